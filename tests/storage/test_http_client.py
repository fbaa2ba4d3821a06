"""The small HTTP client under the InfluxDB stores: what it sends, where, and what it says when it fails."""

from __future__ import annotations

import base64
import http.client

import pytest

from hub.storage.base import StoreUnavailable
from hub.storage.http_client import HttpClient, Response, basic_auth, redact
from tests.storage.fakehttp import Answer, fake_server, silent_server
from tests.support.procs import free_port


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://admin:hunter2@db.local:8086/influx", "http://db.local:8086/influx"),
        ("https://admin@db.local/x?y=1", "https://db.local/x?y=1"),
        ("http://db.local", "http://db.local"),  # no port: none invented
        ("file:///tmp/x", "file:///tmp/x"),  # no host: none invented
    ],
)
def test_redact_drops_only_the_credentials(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_basic_auth() -> None:
    assert basic_auth(None, "secret") == {}
    assert basic_auth("", "secret") == {}
    assert basic_auth("hub", "s3cret") == {"Authorization": "Basic aHViOnMzY3JldA=="}
    # A user without a password sends an empty one, as curl -u hub: does.
    token = basic_auth("hub", None)["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token) == b"hub:"


@pytest.mark.parametrize("url", ["ftp://db.local", "db.local:8086", "http://", "https:///path", "http:"])
def test_refuses_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(ValueError, match=r"^not an http\(s\) URL: "):
        HttpClient(url, 1.0)


def test_refusal_does_not_repeat_the_password() -> None:
    with pytest.raises(ValueError, match=r"^not an http\(s\) URL: ftp://db\.local/x$") as info:
        HttpClient("ftp://admin:hunter2@db.local/x", 1.0)
    assert "hunter2" not in str(info.value)


def test_url_kept_for_messages_has_no_trailing_slash_and_no_password() -> None:
    assert HttpClient("http://u:p@127.0.0.1:8086/", 1.0).url == "http://127.0.0.1:8086"
    assert HttpClient("http://127.0.0.1:8086/influx/", 1.0).url == "http://127.0.0.1:8086/influx"


def test_request_sends_method_path_query_body_and_both_header_sets() -> None:
    with fake_server(Answer(200, {"X-Thing": "yes"}, b"hello")) as server:
        client = HttpClient(server.url + "/", 2.0, {"Authorization": "Basic abc"})
        answer = client.request("POST", "/write", {"db": "zone", "precision": "ns"}, b"a b=1", {"X-Extra": "1"})
    assert answer == Response(200, answer.headers, b"hello")
    assert answer.ok
    assert answer.headers["x-thing"] == "yes"  # keys lower-cased
    (req,) = server.requests
    assert (req.method, req.path, req.query) == ("POST", "/write", {"db": ["zone"], "precision": ["ns"]})
    assert req.body == b"a b=1"
    assert (req.headers["authorization"], req.headers["x-extra"]) == ("Basic abc", "1")


def test_a_path_prefix_is_kept_for_a_store_behind_a_reverse_proxy() -> None:
    with fake_server() as server:
        HttpClient(server.url + "/influx/", 2.0).request("GET", "/ping")
        HttpClient(server.url + "/influx", 2.0).request("GET", "/ping")
    assert [r.path for r in server.requests] == ["/influx/ping", "/influx/ping"]


@pytest.mark.parametrize(
    ("status", "ok"), [(199, False), (200, True), (204, True), (299, True), (300, False), (404, False), (500, False)]
)
def test_ok_is_2xx(status: int, ok: bool) -> None:
    assert Response(status, {}, b"").ok is ok


def test_any_status_is_an_answer_not_an_error() -> None:
    with fake_server(Answer(503, {}, b"busy")) as server:
        answer = HttpClient(server.url, 2.0).request("GET", "/ping")
    assert (answer.status, answer.body, answer.ok) == (503, b"busy", False)


def test_no_answer_at_all_is_store_unavailable_naming_url_path_and_cause() -> None:
    port = free_port()
    with pytest.raises(StoreUnavailable, match=rf"^http://127\.0\.0\.1:{port}/ping: ConnectionRefusedError: "):
        HttpClient(f"http://admin:hunter2@127.0.0.1:{port}", 2.0).request("GET", "/ping")


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_timeout_applies(scheme: str) -> None:
    """A store that takes the connection and never answers: the request ends at the client's timeout (the
    silent server drops the connection after 3 s, which would give another error)."""
    with silent_server(close_after_s=3.0) as url, pytest.raises(StoreUnavailable, match="timed out"):
        HttpClient(url.replace("http", scheme, 1), 0.2).request("GET", "/ping")


def test_https_speaks_tls() -> None:
    """https:// really means TLS: against a plain-HTTP server the handshake fails (and names SSL)."""
    with fake_server() as server, pytest.raises(StoreUnavailable, match=r"/ping: SSL\w*Error: "):
        HttpClient(server.url.replace("http", "https", 1), 2.0).request("GET", "/ping")
    assert server.requests == []


def test_each_request_closes_its_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    original = http.client.HTTPConnection.close

    def close(self: http.client.HTTPConnection) -> None:
        closed.append(True)
        original(self)

    monkeypatch.setattr(http.client.HTTPConnection, "close", close)
    with fake_server() as server:
        client = HttpClient(server.url, 2.0)
        client.request("GET", "/ping")
        client.request("GET", "/ping")
    assert len(closed) >= 2
