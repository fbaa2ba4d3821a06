"""One writer on a camera's retained state: the hub publishes the health it probed there, once per change;
its own message comes back through the ingest like a device's (valid, stored, in the registry) without
counting as hearing from the camera, and without making the hub publish again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.camera import CameraTelemetry
from devices.contract import ONLINE, Channel, Kind, topic
from hub.auth.principal import Role
from tests.auth.clients import bearer
from tests.cameras.apphub import CameraApp, address, camera_app, midday
from tests.support.waiting import eventually

DEVICE = "cam-1"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[CameraApp]:
    with camera_app(tmp_path, count=1) as app:
        yield app


def state_topic(app: CameraApp) -> str:
    return topic(app.hub.site.id, Kind.CAMERA, DEVICE, Channel.STATE)


def test_the_hub_alone_writes_a_cameras_state_and_does_not_echo_itself(app: CameraApp) -> None:
    camera = app.broker.client()
    camera.start()
    camera.publish(topic(app.hub.site.id, Kind.CAMERA, DEVICE, Channel.AVAILABILITY), ONLINE.encode(), retain=True)
    report = CameraTelemetry(ts=midday(), seq=1, fps=15.0, bitrate_kbps=2048.0, uptime_s=60, temperature_c=40.0,
                             storage_free_pct=80.0, recording=True, stream_ok=True)
    camera.publish(topic(app.hub.site.id, Kind.CAMERA, DEVICE, Channel.TELEMETRY), report.model_dump_json().encode())
    live = app.hub.registry.get(DEVICE)
    assert live is not None
    eventually(lambda: live.telemetry.get("stream_ok") is True, 10, "the camera's own report in the registry")
    heard = live.last_seen_ms
    assert heard is not None

    response = app.client.put(f"/api/cameras/{DEVICE}/address", json=address(app.cameras[DEVICE]),
                              headers=bearer(app.hub, Role.TECHNICIAN))
    assert response.status_code == 200, response.text
    # The hub's retained state came back through the ingest: accepted (no dead letter) and in the registry ...
    eventually(lambda: live.state.get("health") == "ok", 15, "the hub's probed health in the registry")
    assert live.state["stream_ok"] is True and app.hub.outbox.dead_letter_rows() == 0
    # ... but it is not the camera speaking: its last-seen time is still the camera's own message.
    assert live.last_seen_ms == heard
    published = len(app.broker.messages_on(lambda t: t == state_topic(app)))
    assert published == 1  # never probed -> ok: one change, one message
    time.sleep(1.0)  # several more probes (0.15 s apart) and the echo of its own message: nothing new
    assert len(app.broker.messages_on(lambda t: t == state_topic(app))) == published

    app.cameras[DEVICE].set_fault("storage_full")
    eventually(lambda: live.state.get("health") == "degraded", 15, "storage_full in the hub's state")
    assert "storage_full" in str(live.state["reasons"]).split(",") and live.last_seen_ms == heard
    time.sleep(0.5)
    assert len(app.broker.messages_on(lambda t: t == state_topic(app))) == published + 1
    camera.stop()
