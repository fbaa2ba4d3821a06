from __future__ import annotations

import pytest

from simulators.broker import Broker, parse_broker


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker.local:1884", Broker("broker.local", 1884)),
        ("mqtt://10.0.0.5", Broker("10.0.0.5", 1883)),
        ("localhost:2000", Broker("localhost", 2000)),
    ],
)
def test_parse_broker(url: str, expected: Broker) -> None:
    assert parse_broker(url) == expected


@pytest.mark.parametrize(("url", "why"), [("mqtts://x", "only mqtt"), ("mqtt://", "no host"),
                                          ("mqtt://x:port", "port")])
def test_a_wrong_broker_url_says_why(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_broker(url)
