"""The control protocol without a broker: a fleet that is never started still answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import control
from simulators.fleet import Fleet
from tests.simulators.sites import small_site


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    unstarted = Fleet(small_site(lights=300), "127.0.0.1", 1)
    yield unstarted
    unstarted.stop()


def test_apply_request_sets_and_clears_faults(fleet: Fleet) -> None:
    assert control.apply_request(fleet, {"device": "den-07", "fault": "relay_stuck"}) == {"ok": True}
    assert fleet.device("den-07").fault == "relay_stuck"
    assert control.apply_request(fleet, {"device": "den-07", "fault": None}) == {"ok": True}
    assert fleet.device("den-07").fault is None


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ([1, 2], "JSON object"),
        ({"device": 7, "fault": None}, "device"),
        ({"device": "den-01"}, "give fault"),
        ({"device": "den-01", "offline": "yes"}, "give fault"),
        ({"device": "nope", "fault": None}, "not simulated"),
        ({"device": "den-01", "fault": "amp_fault"}, "unknown for a light"),
        ({"device": "cam-01", "fault": "relay_stuck"}, "unknown for a camera"),
        ({"cabinet": 3, "power": True}, "cabinet"),
        ({"cabinet": "tu-1"}, "power true/false"),
        ({"cabinet": "tu-1", "power": False}, "not in site test-khu (cabinets: none)"),
    ],
)
def test_apply_request_answers_what_is_wrong(fleet: Fleet, request_: object, error: str) -> None:
    answer = control.apply_request(fleet, request_)
    assert answer["ok"] is False and error in answer["error"]


def test_the_socket_answers_line_by_line_even_a_long_list(fleet: Fleet, tmp_path: Path) -> None:
    server = control.ControlServer(fleet, tmp_path / "ctl.sock")
    server.start()
    try:
        listed = control.request(server.path, {"list": True})
        assert len(listed["devices"]) == 303 and listed["devices"][0]["online"] is False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.connect(str(server.path))
            raw.sendall(b'not json\n{"device": "den-01", "fault": "no_ack"}\n')
            with raw.makefile("rb") as answers:
                assert b"not JSON" in answers.readline() and answers.readline() == b'{"ok": true}\n'
    finally:
        server.stop()
    assert not server.path.exists()


def test_a_stale_socket_file_is_replaced_and_a_live_one_is_not(fleet: Fleet, tmp_path: Path) -> None:
    path = tmp_path / "ctl.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))  # left behind by a killed fleet: nobody listens
    first = control.ControlServer(fleet, path)
    first.start()
    try:
        with pytest.raises(FileExistsError, match="another fleet"):
            control.ControlServer(fleet, path)
    finally:
        first.stop()


def test_a_cabinet_request_on_a_site_with_cabinets_names_the_lights_it_cut() -> None:
    fleet = Fleet(small_site(lights=4, cabinets=2), "127.0.0.1", 1)
    try:
        assert control.apply_request(fleet, {"cabinet": "tu-2", "power": False}) == {
            "ok": True, "lights": ["den-02", "den-04"]}
    finally:
        fleet.stop()
