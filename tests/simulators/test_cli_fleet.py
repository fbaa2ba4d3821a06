"""`hamlet-sim fleet` as a technician runs it: a process that Ctrl-C stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices.contract import Channel, ingest_filters, parse_topic
from simulators.cli import MODEL_SITE
from tests.simulators.probe import Probe, Received
from tests.support.mosquitto import Mosquitto

pytestmark = pytest.mark.integration
SITE = "son-vi-khu-10"
SPEAKERS = 6  # in the model site


def availability(message: Received) -> str | None:
    return message.text if parse_topic(message.topic).channel == Channel.AVAILABILITY else None


def test_fleet_runs_until_ctrl_c_then_leaves_every_device_offline(mosquitto: Mosquitto, tmp_path: Path) -> None:
    ctl = tmp_path / "ctl.sock"
    argv = [sys.executable, "-m", "simulators.cli", "fleet", "--site", str(MODEL_SITE), "--broker", mosquitto.url,
            "--only", "speaker", "--interval", "0.5", "--control", str(ctl)]
    with Probe(mosquitto.host, mosquitto.port, ingest_filters(SITE)) as probe:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            probe.wait_for(lambda m: availability(m) == "online", timeout=15, count=SPEAKERS)
            assert ctl.is_socket()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err
        assert "simulating 6 speaker" in out
        probe.wait_for(lambda m: availability(m) == "offline", count=SPEAKERS)
    assert not ctl.exists()
