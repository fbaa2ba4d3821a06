"""The lights API over a whole hub on the in-memory bus: roles, commands, schedules, preview, sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.auth.principal import Role
from hub.lights.schedules.presets import preset_rule
from tests.auth.clients import bearer
from tests.lights.apprig import AppRig, app_rig
from tests.lights.sites import hamlet
from tests.support.waiting import eventually

SITE = hamlet()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[AppRig]:
    with app_rig(tmp_path, SITE) as r:
        yield r


def test_the_head_turns_an_alley_on_and_reads_the_roll_up(rig: AppRig) -> None:
    head = bearer(rig.hub, Role.HEAD)
    sent = rig.client.post("/api/lights/commands", json={"target": {"group": "ngo-3"}, "on": True}, headers=head)
    assert sent.status_code == 202, sent.text
    command_id = sent.json()["id"]

    def done() -> bool:
        return bool(rig.client.get(f"/api/lights/commands/{command_id}", headers=head).json()["rollup"]["done"])

    eventually(done)
    body = rig.client.get(f"/api/lights/commands/{command_id}", headers=head).json()
    assert body["rollup"]["vi"] == "Ngõ 3: 12/12 đèn đã bật" and body["rollup"]["en"] == "Ngõ 3: 12/12 lights on"
    assert {item["status"] for item in body["lights"]} == {"confirmed"}
    devices = rig.client.get("/api/devices?group=ngo-3", headers=head).json()
    assert {d["state"]["state"] for d in devices} == {"ON"}  # what the lights said, not what was sent
    audit = rig.client.get("/api/audit?action=light", headers=head).json()["items"]
    eventually(lambda: any(e["action"] == "light.command.result"
                           for e in rig.client.get("/api/audit?action=light", headers=head).json()["items"]))
    assert any(e["action"] == "light.command" and e["target"] == "group:ngo-3" for e in audit)


def test_a_resident_gets_403_and_nothing_is_published(rig: AppRig) -> None:
    resident = bearer(rig.hub, Role.RESIDENT)
    before = rig.to_lights()
    refused = rig.client.post("/api/lights/commands", json={"target": {"all": True}, "on": True}, headers=resident)
    assert refused.status_code == 403
    rule = preset_rule("theo-mat-troi").model_dump(mode="json")
    assert rig.client.post("/api/lights/schedules", json=rule, headers=resident).status_code == 403
    assert rig.sets() == [] and rig.to_lights() == before
    assert rig.client.get("/api/lights/schedules", headers=resident).status_code == 200  # reading is fine


def test_bad_targets_and_bodies_name_the_field(rig: AppRig) -> None:
    head = bearer(rig.hub, Role.HEAD)
    unknown = rig.client.post("/api/lights/commands", json={"target": {"group": "ngo-9"}, "on": True}, headers=head)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "target"]
    both = rig.client.post("/api/lights/commands", json={"target": {"all": True, "group": "ngo-3"}, "on": True},
                           headers=head)
    assert both.status_code == 422
    dim_off = rig.client.post("/api/lights/commands", json={"target": {"all": True}, "on": False, "brightness": 5},
                              headers=head)
    assert dim_off.status_code == 422 and "brightness" in dim_off.text
    rule = preset_rule("theo-mat-troi", "ngo-9").model_dump(mode="json")
    bad = rig.client.post("/api/lights/schedules", json=rule, headers=head)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "target"]
    assert rig.client.get("/api/lights/commands/nope", headers=head).status_code == 404
    assert rig.sets() == []


def test_a_schedule_reaches_every_light_as_its_retained_config_and_the_lights_agree(rig: AppRig) -> None:
    tech = bearer(rig.hub, Role.TECHNICIAN)
    rig.lights["den-3"].echoes_config = False  # an old firmware that does not report its version
    rule = preset_rule("tiet-kiem-dien", "duong-1").model_dump(mode="json")
    created = rig.client.post("/api/lights/schedules", json=rule, headers=tech)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    configs = {d: rig.config_of(d) for d in rig.lights}
    assert all(c is not None and len(c.steps) >= 7 * 4 for c in configs.values())  # the road takes its alley
    versions = {c.version for c in configs.values() if c is not None}
    assert len(versions) == 1  # the same timeline for the road and its alley: the same version
    eventually(lambda: sum(not s["in_sync"] for s in rig.client.get("/api/lights/schedules/sync",
                                                                      headers=tech).json()) == 1)
    sync = {s["device"]: s for s in rig.client.get("/api/lights/schedules/sync", headers=tech).json()}
    assert not sync["den-3"]["in_sync"] and sync["den-3"]["reported_version"] is None

    assert rig.client.get(f"/api/lights/schedules/{rule_id}", headers=tech).json()["name"] == "Tiết kiệm điện"
    renamed = {**rule, "name": "Đêm tiết kiệm", "priority": 15}
    assert rig.client.put(f"/api/lights/schedules/{rule_id}", json=renamed, headers=tech).status_code == 200
    assert rig.client.delete(f"/api/lights/schedules/{rule_id}", headers=tech).status_code == 204
    after = rig.config_of("den-1")
    assert after is not None and {s.brightness for s in after.steps} == {0}  # no rule left: off
    assert rig.client.delete(f"/api/lights/schedules/{rule_id}", headers=tech).status_code == 404


def test_the_preview_shows_each_group_a_week_ahead(rig: AppRig) -> None:
    head = bearer(rig.hub, Role.HEAD)
    for key in ("theo-mat-troi", "ram-mung-mot"):
        body = preset_rule(key).model_dump(mode="json")
        assert rig.client.post("/api/lights/schedules", json=body, headers=head).status_code == 201
    resident = bearer(rig.hub, Role.RESIDENT)
    preview = rig.client.get("/api/lights/schedules/preview?days=7", headers=resident).json()
    assert {g["group"] for g in preview} == {"ngo-3", "duong-1"}
    ngo3 = next(g for g in preview if g["group"] == "ngo-3")
    evenings = [s for s in ngo3["steps"] if s["brightness"] == 100]
    assert 7 <= len(evenings) <= 8 and ngo3["lights"] == 12
    assert evenings[0]["rule_name"] in {"Theo mặt trời", "Rằm và Mùng 1"}
    assert len(evenings[0]["at_local"]) == len("21/06/2026 18:43")
    one = rig.client.get("/api/lights/schedules/preview?days=1&group=duong-1", headers=resident).json()
    assert [g["group"] for g in one] == ["duong-1"]
    presets = rig.client.get("/api/lights/schedules/presets", headers=resident).json()
    assert {p["name_vi"] for p in presets} >= {"Theo mặt trời", "Tiết kiệm điện"}


def test_faults_are_listed_for_the_head_and_seen_once(rig: AppRig) -> None:
    head = bearer(rig.hub, Role.HEAD)
    for _ in range(2):
        rig.lights["den-1"].telemetry(100, 0.8)

    def lamp_faults() -> list[dict[str, object]]:
        found = rig.client.get("/api/lights/faults?open=true", headers=head).json()
        return [f for f in found if f["kind"] == "lamp_failure"]

    eventually(lambda: len(lamp_faults()) == 1)
    [fault] = lamp_faults()
    assert (fault["subject"], fault["vi"], fault["en"]) == ("den-1", "Đèn 1: bóng đèn hỏng", "Đèn 1: lamp failure")
    seen = rig.client.post(f"/api/lights/faults/{fault['id']}/seen", headers=head).json()
    assert seen["seen_ms"] is not None and seen["closed_ms"] is None
    assert rig.client.post("/api/lights/faults/999/seen", headers=head).status_code == 404
    assert rig.client.get("/api/lights/faults", headers=bearer(rig.hub, Role.RESIDENT)).status_code == 403
    actions = {e["action"] for e in rig.client.get("/api/audit?action=light", headers=head).json()["items"]}
    assert "light.fault.seen" in actions


def test_energy_per_road_in_kwh_and_dong_for_everyone(rig: AppRig) -> None:
    noon = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(hour=12, minute=0) - timedelta(days=1)
    start = int(noon.timestamp() * 1000)  # yesterday noon: the hour cannot straddle a day or a month
    for i in range(7):  # an hour at 50% on Đường 1's first light: 23 Wh, 45 Wh at full power
        rig.lights["duong-den-1"].telemetry(50, 23.0, 23.0 / 6 * i, ts=start + i * 600_000)
    resident = bearer(rig.hub, Role.RESIDENT)

    def road() -> list[dict[str, object]]:
        body = rig.client.get("/api/lights/energy?by=road&period=month", headers=resident).json()
        return [r for r in body["rows"] if r["key"] == "duong-1"]

    eventually(lambda: bool(road()) and road()[0]["kwh"] == 0.023)
    [row] = road()
    assert (row["name"], row["saved_kwh"], row["cost_vnd"], row["saved_vnd"]) == ("Đường 1", 0.022, 46, 44)
    bad = rig.client.get("/api/lights/energy?by=street", headers=resident)
    assert bad.status_code == 422
