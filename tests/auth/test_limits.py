"""Request body limits: 413 on every route of the app before the body is read, declared or streamed; the
limits documented per route in docs/api-limits.md; refusals counted in /metrics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api.access import Role
from hub.api.limits import DEFAULT_LIMIT, LIMITS, Limits, doc_table
from hub.runtime import Hub
from tests.auth.clients import bearer
from tests.auth.routes import body_operations, concrete, operations

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-limits.md"
LIMITS_OF = Limits()


def chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    """A body with no Content-Length: httpx sends it chunked."""
    while total > 0:
        yield b" " * min(size, total)
        total -= size


def test_every_route_refuses_a_declared_length_over_its_limit(client: TestClient) -> None:
    wrong = []
    for method, path, _ in operations(client.app):  # type: ignore[arg-type]
        limit = LIMITS_OF.for_route(method, path)
        url = concrete(path, {"user_id": "1"})
        with client.stream(method, url, content=b"{" + b" " * limit) as r:  # one byte over, anonymous
            if r.status_code != 413:
                wrong.append(f"{method} {url}: {r.status_code}")
    assert not wrong, "not refused with 413:\n" + "\n".join(wrong)


def test_every_route_that_reads_a_body_refuses_a_streamed_one_over_its_limit(client: TestClient, hub: Hub) -> None:
    routes = body_operations(client.app)  # type: ignore[arg-type]
    assert ("POST", "/api/session") in routes and len(routes) >= 5  # the walk found the JSON routes
    wrong = []
    for method, path in routes:
        limit = LIMITS_OF.for_route(method, path)
        url = concrete(path, {"user_id": "1"})
        r = client.request(method, url, content=chunks(limit + 1), headers=bearer(hub, Role.HEAD))
        if r.status_code != 413 or "content-length" in r.request.headers:
            wrong.append(f"{method} {url}: {r.status_code}")
    assert not wrong, "streamed bodies not refused with 413:\n" + "\n".join(wrong)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_body_of_exactly_the_limit_is_read(client: TestClient, streamed: bool) -> None:
    login = b'{"phone": "0912345678", "password": "wrong-password"}'
    body = login + b" " * (DEFAULT_LIMIT - len(login))
    assert len(body) == DEFAULT_LIMIT
    json = {"Content-Type": "application/json"}
    r = client.post("/api/session", content=chunks(len(body)) if streamed else body, headers=json)
    assert r.status_code == (422 if streamed else 401), r.text  # read: all spaces, or a wrong login
    over = client.post("/api/session", content=chunks(len(body) + 1) if streamed else body + b" ", headers=json)
    assert over.status_code == 413
    assert over.json() == {"detail": f"request body too large: this route takes at most {DEFAULT_LIMIT} bytes"}


def test_limits_match_route_templates() -> None:
    limits = Limits({("POST", "/api/media"): 100, ("PUT", "/api/things/{id}"): 10}, default=5)
    assert limits.for_request("POST", "/api/media") == 100
    assert limits.for_request("GET", "/api/media") == 5  # per method
    assert limits.for_request("POST", "/api/media/x") == 5  # whole path, not a prefix
    assert limits.for_request("PUT", "/api/things/42") == 10
    assert limits.for_route("PUT", "/api/things/{id}") == 10
    assert LIMITS[("POST", "/api/media")] > DEFAULT_LIMIT  # uploads get room


def test_the_doc_lists_every_route_with_its_limit(client: TestClient) -> None:
    expected = doc_table((m, p) for m, p, _ in operations(client.app))  # type: ignore[arg-type]
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- limits:begin -->\n(.*?)<!-- limits:end -->", text, re.S)
    assert found, f"{DOC} lost its <!-- limits:begin --> / <!-- limits:end --> markers"
    assert found.group(1) == expected, f"{DOC} is out of date; the table should read:\n{expected}"


def test_refusals_are_counted_in_the_metrics(client: TestClient, hub: Hub) -> None:
    assert client.post("/api/session", content=b" " * (DEFAULT_LIMIT + 1)).status_code == 413
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/audit", headers=bearer(hub, Role.RESIDENT)).status_code == 403
    assert client.get("/api/audit", headers=bearer(hub, Role.RESIDENT)).status_code == 403
    text = client.get("/metrics", headers=bearer(hub, Role.TECHNICIAN)).text
    counted = dict(re.findall(r'hamlet_http_refused_total\{status="(\d+)"\} (\d+)', text))
    assert counted == {"401": "1", "403": "2", "413": "1"}


def test_an_upload_streamed_past_its_limit_is_refused_while_read(client: TestClient, hub: Hub) -> None:
    """POST /api/media reads its raw body itself (no JSON model): the count applies there too."""
    limit = LIMITS_OF.for_route("POST", "/api/media")
    r = client.post("/api/media", content=chunks(limit + 1, 1024 * 1024), headers=bearer(hub, Role.HEAD))
    assert r.status_code == 413 and "content-length" not in r.request.headers
    assert r.json() == {"detail": f"request body too large: this route takes at most {limit} bytes"}
