"""The access rules themselves (hub/api/access.py) on a small app of their own, with a gate that records
what it is asked: what each refusal says, which credential counts, one lookup per request, and which
refusals are audited with whose address. Written to kill the mutants `make mutation` found surviving
the whole-app tests (tests/auth/test_access.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import ip_network
from types import SimpleNamespace
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from hub.api.access import (
    ANY_ROLE,
    AccessRule,
    Principal,
    Role,
    allow,
    client_address,
    declared_routes,
    presented_token,
    public,
)
from hub.auth.sessions import Via
from hub.auth.tokens import csrf_for

HEAD = Principal(1, "+84900000001", "Trưởng khu", Role.HEAD, "vi")
RESIDENT = Principal(2, "+84900000002", "Người dân", Role.RESIDENT, "vi")
TOKENS = {"head-token": HEAD, "resident-token": RESIDENT}


@dataclass
class Gate:
    lookups: list[tuple[str, Via]] = field(default_factory=list)
    denials: list[tuple[str | None, str, str | None, str]] = field(default_factory=list)

    def principal_for(self, token: str, via: Via) -> Principal | None:
        self.lookups.append((token, via))
        return TOKENS.get(token)

    def denied(self, who: Principal | None, target: str, address: str | None, reason: str) -> None:
        self.denials.append((who.role.value if who else None, target, address, reason))


def build(gate: Gate) -> FastAPI:
    app = FastAPI()
    app.state.hub = SimpleNamespace(auth=gate, settings=SimpleNamespace(trusted_proxies=()))
    heads = APIRouter(dependencies=[allow(Role.HEAD)])

    @heads.post("/heads/write")
    def write(who: Annotated[Principal, allow(Role.HEAD)]) -> str:  # two rules: router and parameter
        return who.name

    @app.get("/anyone", dependencies=[allow(*ANY_ROLE)])
    def anyone() -> str:
        return "ok"

    @app.get("/open", dependencies=[public()])
    def open_route() -> str:
        return "ok"

    app.include_router(heads)
    return app


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def client(gate: Gate) -> Iterator[TestClient]:
    with TestClient(build(gate)) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rules_say_what_they_admit() -> None:
    rule = allow(Role.HEAD, Role.TECHNICIAN, Role.HEAD).dependency
    assert isinstance(rule, AccessRule) and rule.roles == (Role.HEAD, Role.TECHNICIAN) and not rule.public
    assert repr(rule) == "allow(head, technician)"
    open_rule = public().dependency
    assert isinstance(open_rule, AccessRule) and open_rule.public is True and open_rule.roles == ()
    assert repr(open_rule) == "public()"
    with pytest.raises(ValueError, match=r"^allow\(\) needs at least one role; use public\(\) for an open route$"):
        allow()


def test_declared_routes_name_each_route_and_its_rules(gate: Gate) -> None:
    found = {(r.path, r.name): r for r in declared_routes(build(gate))}
    assert set(found) == {("/heads/write", "write"), ("/anyone", "anyone"), ("/open", "open_route")}
    assert found[("/heads/write", "write")].methods == {"POST"}
    assert [repr(rule) for rule in found[("/heads/write", "write")].rules] == ["allow(head)", "allow(head)"]
    assert [repr(rule) for rule in found[("/open", "open_route")].rules] == ["public()"]


def test_refusals_say_why(client: TestClient, gate: Gate) -> None:
    anonymous = client.post("/heads/write")
    assert (anonymous.status_code, anonymous.json()) == (401, {"detail": "not logged in"})
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong_role = client.post("/heads/write", headers=bearer("resident-token"))
    assert (wrong_role.status_code, wrong_role.json()) == (403, {"detail": "this role may not do this"})
    assert "WWW-Authenticate" not in wrong_role.headers
    no_csrf = client.post("/heads/write", headers={"Cookie": "hamlet_session=head-token"})
    assert (no_csrf.status_code, no_csrf.json()) == (403, {"detail": "missing or wrong CSRF token"})
    assert client.post("/heads/write", headers=bearer("head-token")).json() == "Trưởng khu"
    assert client.get("/open").json() == "ok"


def test_the_csrf_header_must_match_both_the_cookie_and_the_session(client: TestClient) -> None:
    token = csrf_for("head-token")

    def write(cookies: str, header: str | None) -> int:
        headers = {"Cookie": cookies} | ({"X-CSRF-Token": header} if header is not None else {})
        return client.post("/heads/write", headers=headers).status_code

    assert write(f"hamlet_session=head-token; hamlet_csrf={token}", token) == 200  # the control
    assert write("hamlet_session=head-token", token) == 403  # derived from the session, but no cookie pair
    assert write(f"hamlet_session=head-token; hamlet_csrf={token}", None) == 403
    assert write(f"hamlet_session=head-token; hamlet_csrf={token}", "") == 403
    assert write("hamlet_session=head-token; hamlet_csrf=XXXX", "XXXX") == 403


def test_only_a_bearer_scheme_carries_a_token(client: TestClient) -> None:
    assert client.get("/anyone", headers={"Authorization": "bearer head-token"}).status_code == 200
    assert client.get("/anyone", headers={"Authorization": "Bearer  head-token "}).status_code == 200
    assert client.get("/anyone", headers={"Authorization": "Basic head-token"}).status_code == 401
    assert client.get("/anyone", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/anyone", headers={"Authorization": "head-token"}).status_code == 401


def test_a_bearer_token_wins_over_the_cookie() -> None:
    def request(headers: list[tuple[bytes, bytes]]) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})

    both = request([(b"authorization", b"Bearer head-token"), (b"cookie", b"hamlet_session=resident-token")])
    assert presented_token(both) == ("head-token", "bearer")
    assert presented_token(request([(b"cookie", b"hamlet_session=resident-token")])) == ("resident-token", "cookie")
    assert presented_token(request([(b"authorization", b"Basic head-token")])) is None
    assert presented_token(request([])) is None


def test_one_lookup_per_request_though_two_rules_guard_it(client: TestClient, gate: Gate) -> None:
    assert client.post("/heads/write", headers=bearer("head-token")).status_code == 200
    assert gate.lookups == [("head-token", "bearer")]


def test_refusals_are_audited_with_the_callers_address_except_anonymous_reads(
    client: TestClient, gate: Gate
) -> None:
    assert client.get("/anyone").status_code == 401  # the web app's first load: not an attempt
    assert gate.denials == []
    assert client.get("/anyone", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/anyone", headers={"Cookie": "hamlet_session=forged"}).status_code == 401
    assert client.post("/heads/write").status_code == 401
    assert client.post("/heads/write", headers=bearer("resident-token")).status_code == 403
    assert gate.denials == [
        (None, "GET /anyone", "testclient", "missing or invalid credentials"),
        (None, "GET /anyone", "testclient", "missing or invalid credentials"),
        (None, "POST /heads/write", "testclient", "missing or invalid credentials"),
        ("resident", "POST /heads/write", "testclient", "role resident"),
    ]


def test_a_request_without_a_peer_has_no_address(gate: Gate) -> None:
    app = build(gate)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b"", "app": app}
    assert client_address(Request(scope)) is None
    assert client_address(Request({**scope, "client": ("203.0.113.7", 5000)})) == "203.0.113.7"


def test_forwarded_lines_from_a_trusted_proxy_are_read_as_one_list(gate: Gate) -> None:
    app = build(gate)
    app.state.hub.settings.trusted_proxies = (ip_network("10.0.0.0/8"),)
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "app": app,
             "client": ("10.0.0.2", 5000)}
    two_lines = [(b"x-forwarded-for", b"198.51.100.9"), (b"x-forwarded-for", b"203.0.113.7, 10.0.0.3")]
    assert client_address(Request({**scope, "headers": two_lines})) == "203.0.113.7"
    assert client_address(Request({**scope, "headers": two_lines[:1]})) == "198.51.100.9"
    assert client_address(Request({**scope, "headers": [], "client": ("192.0.2.1", 5000)})) == "192.0.2.1"
