"""Camera addresses: host, port and path on an allow-listed network; everything else refused, saying why."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.cameras.address import AddressRefused, Policy, resolve_checked
from hub.cameras.models import Registration

LAN = Policy.of(["192.168.1.0/24"], [("192.168.1.2", 8000, "the hub itself"), ("192.168.1.3", 1883, "the broker")],
                resolve=lambda host, port: [host])
DNS = {"cam.local": ["192.168.1.50"], "evil.example": ["192.168.1.50", "169.254.169.254"],
       "inside.example": ["127.0.0.1"]}


def fake_dns(host: str, port: int) -> list[str]:
    if host in DNS:
        return DNS[host]
    if host[0].isdigit() or ":" in host:
        return [host]
    raise OSError(8, "Name or service not known")


def check(host: str, port: int = 80, policy: Policy = LAN) -> str:
    return resolve_checked(host, port, policy, fake_dns)


def test_a_camera_on_the_allowed_network_passes() -> None:
    assert check("192.168.1.50") == "192.168.1.50"
    assert check("cam.local") == "192.168.1.50"


@pytest.mark.parametrize(("host", "port", "why"), [
    ("http://192.168.1.50/snap.jpg", 80, "not a URL with a scheme"),
    ("file:/etc/passwd", 80, "not a URL"),
    ("127.0.0.1", 80, "loopback"),
    ("::1", 80, "loopback"),
    ("169.254.169.254", 80, "cloud metadata"),
    ("169.254.10.1", 80, "link-local"),
    ("evil.example", 80, "cloud metadata"),  # one bad address among several is enough
    ("inside.example", 80, "loopback"),
    ("10.0.0.5", 80, "not on an allowed camera network"),
    ("192.168.1.2", 8000, "the hub itself"),
    ("192.168.1.3", 1883, "the broker"),
    ("0.0.0.0", 80, "not a single host"),
    ("224.0.0.1", 80, "not a single host"),
    ("::ffff:169.254.169.254", 80, "cloud metadata"),
    ("nowhere.example", 80, "does not resolve"),
    ("bad host!", 80, "not a host name"),
])
def test_forbidden_addresses_are_refused_naming_why(host: str, port: int, why: str) -> None:
    with pytest.raises(AddressRefused, match=why):
        check(host, port)


def test_loopback_only_when_explicitly_allowed() -> None:
    tests = Policy.of(["127.0.0.1/32"], [("127.0.0.1", 8000, "the hub itself")], resolve=lambda h, p: [h])
    assert check("127.0.0.1", 8600, tests) == "127.0.0.1"
    with pytest.raises(AddressRefused, match="the hub itself"):
        check("127.0.0.1", 8000, tests)


@pytest.mark.parametrize(("field", "value", "why"), [
    ("snapshot_path", "snap.jpg", "plain path"),
    ("snapshot_path", "/a/../admin", "plain path"),
    ("snapshot_path", "//evil/x", "plain path"),
    ("snapshot_path", "/snap.jpg?redirect=x", "plain path"),
    ("health_path", "/h#x", "plain path"),
    ("host", "rtsp://cam", "not a URL"),
    ("port", 0, "greater than or equal to 1"),
])
def test_registration_fields_are_checked(field: str, value: object, why: str) -> None:
    with pytest.raises(ValidationError, match=why) as info:
        Registration.model_validate({"host": "192.168.1.50", field: value})
    assert info.value.errors()[0]["loc"][0] == field
