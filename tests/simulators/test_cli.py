from __future__ import annotations

from pathlib import Path

import pytest

from simulators.cli import main


@pytest.mark.parametrize(
    "command", [[], ["fleet"], ["load"], ["fault"], ["offline"], ["online"], ["status"], ["cabinet"]]
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: hamlet-sim" in capsys.readouterr().out


def test_faults_lists_every_fault_per_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faults"]) == 0
    out = capsys.readouterr().out
    for name in ("lamp_failure", "relay_stuck", "no_ack", "slow_ack", "amp_fault", "stream_lost", "storage_full"):
        assert name in out


def test_no_fleet_on_the_control_socket_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fault", "--control", str(tmp_path / "none.sock"), "den-01", "no_ack"]) == 1
    assert "no fleet answers" in capsys.readouterr().err


def test_a_wrong_broker_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["load", "--broker", "http://x"])
    assert exit_.value.code == 2
    assert "--broker" in capsys.readouterr().err
