"""The commands service on the in-memory bus with scripted lights: lifecycle, roll-up, offline lights,
expiry, refusals, restarts and overrides that end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.light import LightSet
from hub.commands.lifecycle import Status
from hub.lights.commands.model import CommandRequest, LightCommand
from hub.lights.commands.overrides import OverridePhase
from hub.lights.commands.service import CommandService, Who
from tests.lights.fakes import Rig, rig_of
from tests.lights.sites import hamlet

HEAD = Who(1, "Trưởng khu")
SITE = hamlet()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_of(tmp_path, SITE)


def ngo3(**extra: object) -> CommandRequest:
    return CommandRequest.model_validate({"target": {"group": "ngo-3"}, "on": True, **extra})


def state_of(rig: Rig, device: str) -> dict[str, object]:
    live = rig.registry.get(device)
    assert live is not None
    return live.state


def statuses(command: LightCommand) -> dict[str, Status]:
    return {d: p.status for d, p in command.lights.items()}


def test_a_group_command_reaches_every_online_light_and_rolls_up(rig: Rig) -> None:
    rig.all_online()
    rig.lights["den-7"].answers = False
    command = rig.commands.submit(ngo3(), HEAD)
    assert set(command.lights) == {f"den-{i}" for i in range(1, 13)}  # not the road's own lights
    rig.settle()
    assert statuses(command)["den-7"] == Status.DELIVERED  # the broker has it (PUBACK); the light is silent
    assert sum(s == Status.CONFIRMED for s in statuses(command).values()) == 11
    assert state_of(rig, "den-7")["state"] == "OFF"  # the app shows what the light says
    assert state_of(rig, "den-1")["state"] == "ON"
    rig.clock.advance(30_000)
    rig.settle()
    r = command.rollup()
    assert r.vi == "Ngõ 3: 11/12 đèn đã bật — đèn 7 không phản hồi"
    assert r.en == "Ngõ 3: 11/12 lights on — Đèn 7 not responding"
    assert command.finished_ms == rig.clock.now
    assert all(len(rig.sets_to(f"den-{i}")) == 1 for i in range(1, 13))
    assert rig.sets_to("duong-den-1") == []
    wire = LightSet.model_validate_json(rig.sets_to("den-1")[0].payload)
    assert (wire.command_id, wire.state, wire.expires_at) == (command.id, "ON", command.expires_ms)


def test_an_offline_light_gets_the_command_when_it_comes_back(rig: Rig) -> None:
    for device, light in rig.lights.items():
        if device != "den-5":
            light.online()
    rig.settle()
    command = rig.commands.submit(ngo3(brightness=60), HEAD)
    rig.settle()
    assert statuses(command)["den-5"] == Status.QUEUED and rig.sets_to("den-5") == []
    assert command.rollup().vi == "Ngõ 3: 11/12 đèn đã bật 60% — đèn 5 đang chờ kết nối lại"
    rig.clock.advance(5 * 60_000)
    rig.lights["den-5"].online()
    rig.settle()
    assert statuses(command)["den-5"] == Status.CONFIRMED
    assert state_of(rig, "den-5") == {"state": "ON", "brightness": 60, "mode": "manual"}
    assert command.rollup().ok


def test_an_offline_light_that_stays_away_past_the_deadline_expires(rig: Rig) -> None:
    command = rig.commands.submit(CommandRequest.model_validate(
        {"target": {"device": "den-5"}, "on": False, "expires_in_minutes": 10}), HEAD)
    rig.clock.advance(10 * 60_000)
    rig.settle()
    assert statuses(command) == {"den-5": Status.EXPIRED}
    assert command.rollup().vi == "Đèn 5: mất kết nối, lệnh đã hết hạn"
    rig.lights["den-5"].online()
    rig.settle()
    assert rig.sets_to("den-5") == []  # too late: never sent


def test_a_light_that_drops_and_returns_is_sent_again_with_the_same_id(rig: Rig) -> None:
    rig.all_online()
    light = rig.lights["den-2"]
    light.answers = False
    command = rig.commands.submit(ngo3(), HEAD)
    rig.settle()
    light.drop()
    rig.clock.advance(40_000)
    rig.settle()
    assert statuses(command)["den-2"] == Status.TIMED_OUT
    light.answers = True
    light.online()
    rig.settle()
    assert statuses(command)["den-2"] == Status.CONFIRMED  # a late answer still counts
    assert light.seen == [command.id, command.id]
    assert command.lights["den-2"].attempts == 2


def test_a_refusal_fails_with_the_lights_reason(rig: Rig) -> None:
    rig.all_online()
    rig.lights["den-9"].refuses = "relay_stuck"
    command = rig.commands.submit(ngo3(on=False), HEAD)
    rig.settle()
    progress = command.lights["den-9"]
    assert (progress.status, progress.error) == (Status.FAILED, "relay_stuck")
    assert command.rollup().vi == "Ngõ 3: 11/12 đèn đã tắt — đèn 9 báo lỗi"


def test_an_ack_without_an_agreeing_state_is_not_a_confirmation(rig: Rig) -> None:
    rig.all_online()
    light = rig.lights["den-4"]
    light.answers = False
    command = rig.commands.submit(CommandRequest.model_validate({"target": {"device": "den-4"}, "on": True}), HEAD)
    rig.settle()
    # It says "ok" but its state still says OFF (a relay that clicked but did not close).
    light.ack(command.id)
    rig.settle()
    assert command.lights["den-4"].acked and statuses(command)["den-4"] == Status.DELIVERED
    light.state = "ON"
    light.publish_state()
    rig.settle()
    assert statuses(command)["den-4"] == Status.CONFIRMED


def test_commands_survive_a_restart_of_the_hub(rig: Rig) -> None:
    command = rig.commands.submit(ngo3(), HEAD)
    rig.settle()
    again = CommandService(rig.bus, rig.registry, rig.store, clock=rig.clock)
    rig.ingest.observers[:] = [again.observe]
    again.load()
    assert statuses(again.get(command.id) or command) == dict.fromkeys(command.lights, Status.QUEUED)
    rig.all_online()
    restored = again.get(command.id)
    assert restored is not None and restored.rollup().ok
    assert rig.store.get(command.id) is not None


def test_an_override_returns_to_the_schedule_when_it_ends(rig: Rig) -> None:
    rig.all_online()
    command = rig.commands.submit(ngo3(for_minutes=120), HEAD)
    rig.settle()
    assert command.rollup().vi == "Ngõ 3: 12/12 đèn đã bật trong 2 giờ"
    assert command.override_until_ms == rig.clock.now + 120 * 60_000
    assert {o.device for o in rig.commands.overrides.active()} == set(command.lights)
    rig.clock.advance(121 * 60_000)
    for device, light in rig.lights.items():
        if device != "den-12":  # the device ends the override itself; den-12's timer is broken
            light.mode = "schedule"
            light.publish_state()
    rig.settle()
    phases = rig.commands.overrides.of_command(command.id)
    assert phases["den-1"] == OverridePhase.RETURNED
    assert phases["den-12"] == OverridePhase.NOT_RETURNED


def test_a_newer_command_ends_the_hubs_watch_of_an_override(rig: Rig) -> None:
    rig.all_online()
    rig.commands.submit(ngo3(for_minutes=60), HEAD)
    rig.settle()
    rig.clock.advance(1000)
    rig.commands.submit(ngo3(on=False), HEAD)
    rig.settle()
    assert rig.commands.overrides.active() == []


def test_unknown_or_empty_targets_are_refused(rig: Rig) -> None:
    for target in ({"group": "ngo-9"}, {"device": "den-99"}):
        with pytest.raises(LookupError, match="target"):
            rig.commands.submit(CommandRequest.model_validate({"target": target, "on": True}), HEAD)
    assert rig.broker.published == []



def test_a_late_confirmation_after_the_timeout_is_still_accepted(rig: Rig) -> None:
    rig.all_online()
    light = rig.lights["den-4"]
    light.answers = False
    command = rig.commands.submit(CommandRequest.model_validate({"target": {"device": "den-4"}, "on": True}), HEAD)
    rig.settle()
    rig.clock.advance(rig.commands.confirm_timeout_ms)
    rig.settle()
    assert statuses(command) == {"den-4": Status.TIMED_OUT}
    assert command.lights["den-4"].error == "no confirmation in time"
    # The light was only slow: it answers now, without being sent the command again.
    light.state = "ON"
    light.publish_state()
    light.ack(command.id)
    rig.settle()
    assert statuses(command) == {"den-4": Status.CONFIRMED}
    assert len(rig.sets_to("den-4")) == 1
    assert command.rollup().ok and command.rollup().vi == "Đèn 4: đã bật"


def test_a_late_refusal_after_the_timeout_is_still_accepted(rig: Rig) -> None:
    rig.all_online()
    light = rig.lights["den-4"]
    light.answers = False
    command = rig.commands.submit(CommandRequest.model_validate({"target": {"device": "den-4"}, "on": True}), HEAD)
    rig.settle()
    rig.clock.advance(rig.commands.confirm_timeout_ms)
    rig.settle()
    assert statuses(command) == {"den-4": Status.TIMED_OUT}
    light.ack(command.id, ok=False)
    rig.settle()
    progress = command.lights["den-4"]
    assert (progress.status, progress.error) == (Status.FAILED, "refused")
    assert command.rollup().vi == "Đèn 4: báo lỗi"


def test_no_timeout_before_the_confirm_timeout(rig: Rig) -> None:
    rig.all_online()
    rig.lights["den-4"].answers = False
    command = rig.commands.submit(CommandRequest.model_validate({"target": {"device": "den-4"}, "on": True}), HEAD)
    rig.settle()
    rig.clock.advance(rig.commands.confirm_timeout_ms - 1)
    rig.settle()
    assert statuses(command) == {"den-4": Status.DELIVERED}
    rig.clock.advance(1)
    rig.settle()
    assert statuses(command) == {"den-4": Status.TIMED_OUT}
