"""Which address a request comes from: X-Forwarded-For believed only from a trusted proxy."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from hub.api.forwarded import client_address
from hub.settings import SettingsError, load_settings

PROXIES = (ip_network("10.0.0.0/24"), ip_network("fd00::/64"))


@pytest.mark.parametrize(("peer", "header", "expected"), [
    ("203.0.113.9", "192.0.2.1", "203.0.113.9"),  # not from a proxy: the header is anyone's to write
    ("10.0.0.2", None, "10.0.0.2"),  # a trusted proxy that forwards nothing
    ("10.0.0.2", "192.0.2.1", "192.0.2.1"),
    ("10.0.0.2", "198.51.100.7, 192.0.2.1", "192.0.2.1"),  # the proxy appended the last: the rest is claims
    ("10.0.0.2", "192.0.2.1, 10.0.0.5", "192.0.2.1"),  # skip a second trusted proxy
    ("10.0.0.2", "10.0.0.7, 10.0.0.5", "10.0.0.7"),  # all proxies: the request began inside
    ("10.0.0.2", "192.0.2.1, not-an-address", "10.0.0.2"),  # garbled: believe none of it
    ("fd00::2", "2001:db8::1", "2001:db8::1"),
    ("testclient", "192.0.2.1", "testclient"),  # not an IP at all: never a proxy
    (None, "192.0.2.1", None),
])
def test_client_address(peer: str | None, header: str | None, expected: str | None) -> None:
    assert client_address(peer, header, PROXIES) == expected


def test_no_proxy_is_trusted_by_default() -> None:
    assert load_settings({}).trusted_proxies == ()
    assert client_address("127.0.0.1", "192.0.2.1", load_settings({}).trusted_proxies) == "127.0.0.1"


def test_the_setting_takes_a_comma_list_and_names_a_bad_value() -> None:
    settings = load_settings({"HAMLET_TRUSTED_PROXIES": "10.0.0.1, 192.168.1.0/24"})
    assert settings.trusted_proxies == (ip_network("10.0.0.1/32"), ip_network("192.168.1.0/24"))
    with pytest.raises(SettingsError, match="HAMLET_TRUSTED_PROXIES"):
        load_settings({"HAMLET_TRUSTED_PROXIES": "10.0.0.1, the-proxy"})
