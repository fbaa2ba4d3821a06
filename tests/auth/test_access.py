"""Default deny over the real app's route table; 401 without credentials; CSRF; denied attempts audited.

/docs, /redoc and /openapi.json stay FastAPI's own and public: they describe routes (the source is public
anyway) and return no hub data, and every route they describe is itself guarded. Technicians use them on
the hamlet's network without logging in first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from hub.api.access import ANY_ROLE, Principal, Role, allow, public
from hub.api.app import create_app
from hub.runtime import Hub
from tests.auth.clients import bearer, cookie_login, user
from tests.auth.routes import concrete, operations, undeclared


def test_every_route_declares_who_may_call_it(client: TestClient) -> None:
    problems = undeclared(client.app)  # type: ignore[arg-type]
    assert not problems, "default deny: declare allow(...) or public() on:\n" + "\n".join(problems)


def test_the_check_catches_an_undeclared_route() -> None:
    app = FastAPI()
    open_router = APIRouter()

    @open_router.get("/forgotten")
    def forgotten() -> None: ...

    @app.get("/guarded", dependencies=[allow(Role.HEAD)])
    def guarded() -> None: ...

    @app.get("/param")
    def param(user: Annotated[Principal, allow(*ANY_ROLE)]) -> None: ...

    @app.get("/open", dependencies=[public()])
    def open_route() -> None: ...

    app.include_router(open_router, prefix="/api")
    assert undeclared(app) == ["['GET'] /api/forgotten: no allow()/public()"]


def test_every_protected_route_answers_401_without_credentials(client: TestClient, hub: Hub) -> None:
    victim = user(hub, Role.RESIDENT, "+84900000199")
    wrong: list[str] = []
    for method, path, route in operations(client.app):  # type: ignore[arg-type]
        if any(rule.public for rule in route.rules):
            continue
        url = concrete(path, {"user_id": str(victim.id)})
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Cookie": "hamlet_session=forged"}):
            with client.stream(method, url, headers=headers, json={} if method != "GET" else None) as r:
                if r.status_code != 401:
                    wrong.append(f"{method} {url} with {headers or 'nothing'}: {r.status_code}")
    assert not wrong, "\n".join(wrong)


def test_401_names_the_bearer_scheme(client: TestClient) -> None:
    r = client.get("/api/me")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"


def test_cookie_sessions_need_the_csrf_token_on_writes(client: TestClient, hub: Hub) -> None:
    csrf = cookie_login(client, hub, Role.HEAD)
    assert client.get("/api/me").status_code == 200  # reads need none
    assert client.post("/api/invites").status_code == 403
    assert client.post("/api/invites", headers={"X-CSRF-Token": "0" * 32}).status_code == 403
    assert client.patch("/api/me", json={"language": "en"}).status_code == 403
    assert client.post("/api/invites", headers=csrf).status_code == 201
    assert client.patch("/api/me", json={"language": "en"}, headers=csrf).status_code == 200


def test_a_planted_csrf_cookie_does_not_pass(client: TestClient, hub: Hub) -> None:
    """Double-submit alone trusts any cookie pair; ours must also match the session it belongs to.

    The cookies are sent as one explicit header, so the planted value is the only CSRF cookie the app
    sees (a second cookie set beside the real one proves nothing)."""
    real = cookie_login(client, hub, Role.HEAD)["X-CSRF-Token"]
    session = client.cookies["hamlet_session"]
    client.cookies.clear()

    def invite(csrf_cookie: str, csrf_header: str) -> int:
        cookies = f"hamlet_session={session}; hamlet_csrf={csrf_cookie}"
        return client.post("/api/invites", headers={"Cookie": cookies, "X-CSRF-Token": csrf_header}).status_code

    assert invite(real, real) == 201  # the control: the same request with the real pair passes
    assert invite("a" * 32, "a" * 32) == 403  # an attacker's matching pair, not derived from the session
    assert invite(real, "a" * 32) == 403 and invite("a" * 32, real) == 403


def test_a_csrf_token_works_only_with_its_own_session(hub: Hub) -> None:
    """Tied to the session: the head's token pair is useless with a technician's session, and the reverse."""
    app = create_app(lambda: hub)
    with TestClient(app) as head:
        other = TestClient(app)  # the same running app, another browser
        head_csrf = cookie_login(head, hub, Role.HEAD)["X-CSRF-Token"]
        other_csrf = cookie_login(other, hub, Role.HEAD, "+84900000177")["X-CSRF-Token"]
        assert head_csrf != other_csrf
        theirs = f"hamlet_session={other.cookies['hamlet_session']}; hamlet_csrf={head_csrf}"
        assert other.post("/api/invites", headers={"Cookie": theirs, "X-CSRF-Token": head_csrf}).status_code == 403
        mine = f"hamlet_session={other.cookies['hamlet_session']}; hamlet_csrf={other_csrf}"
        assert other.post("/api/invites", headers={"Cookie": mine, "X-CSRF-Token": other_csrf}).status_code == 201


def test_bearer_requests_need_no_csrf_token(client: TestClient, hub: Hub) -> None:
    assert client.post("/api/invites", headers=bearer(hub, Role.HEAD)).status_code == 201


def test_a_cookie_session_is_not_a_bearer_token(client: TestClient, hub: Hub) -> None:
    """Otherwise a leaked cookie value would also skip the CSRF check."""
    cookie_login(client, hub, Role.HEAD)
    token = client.cookies["hamlet_session"]
    client.cookies.clear()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_denied_attempts_are_in_the_audit_log(client: TestClient, hub: Hub) -> None:
    resident = bearer(hub, Role.RESIDENT)
    assert client.get("/api/audit", headers=resident).status_code == 403
    assert client.post("/api/invites").status_code == 401
    assert client.get("/api/site").status_code == 401  # an anonymous read: the app's first load, not logged
    cookie_login(client, hub, Role.HEAD)
    assert client.post("/api/invites").status_code == 403  # a cookie session without the CSRF header
    denied = [(e.role, e.target, e.detail) for e in hub.auth.audit.page(action="access")]
    assert denied == [
        ("head", "POST /api/invites", "csrf"),
        (None, "POST /api/invites", "missing or invalid credentials"),
        ("resident", "GET /api/audit", "role resident"),
    ]


def test_disabling_an_account_ends_its_sessions_at_once(client: TestClient, hub: Hub) -> None:
    headers = bearer(hub, Role.RESIDENT)
    assert client.get("/api/me", headers=headers).status_code == 200
    hub.auth.set_disabled(None, user(hub, Role.RESIDENT).id, True)
    assert client.get("/api/me", headers=headers).status_code == 401

