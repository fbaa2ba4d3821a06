"""Logging in and out, the cookies' attributes, bearer tokens, /api/me, lockout, identical refusals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.api.access import Role
from hub.api.app import create_app
from hub.auth.passwords import Passwords
from hub.runtime import Hub
from tests.auth.clients import PASSWORD, user


def test_login_sets_a_strict_httponly_session_cookie_and_a_readable_csrf_cookie(
    client: TestClient, hub: Hub
) -> None:
    user(hub, Role.HEAD, "+84912345678")
    r = client.post("/api/session", json={"phone": "0912 345 678", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["role"] == "head" and r.json()["phone_display"] == "0912 345 678"
    cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
    session, csrf = cookies["hamlet_session"], cookies["hamlet_csrf"]
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    assert "httponly" not in csrf and "samesite=strict" in csrf
    assert "secure" not in session  # plain HTTP on the hamlet's network: a Secure cookie would never return


def test_cookies_are_secure_over_https(hub: Hub) -> None:
    user(hub, Role.HEAD, "+84912345678")
    with TestClient(create_app(lambda: hub), base_url="https://hub.local") as client:
        r = client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
    assert all("; secure" in c.lower() for c in r.headers.get_list("set-cookie"))


def test_token_login_answers_a_bearer_token_and_sets_no_cookie(client: TestClient, hub: Hub) -> None:
    user(hub, Role.TECHNICIAN, "+84912345678")
    r = client.post("/api/session", json={"phone": "+84912345678", "password": PASSWORD, "token": True})
    assert r.status_code == 200 and "set-cookie" not in r.headers
    token = r.json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "technician"
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # only a hash is stored
    assert hub.state.scalar("SELECT count(*) FROM sessions WHERE token_hash = ?", (token,)) == 0


def test_logout_ends_the_session_and_clears_the_cookies(client: TestClient, hub: Hub) -> None:
    user(hub, Role.RESIDENT, "+84912345678")
    client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
    stolen = client.cookies["hamlet_session"]
    r = client.delete("/api/session", headers={"X-CSRF-Token": client.cookies["hamlet_csrf"]})
    assert r.status_code == 204
    assert client.get("/api/me").status_code == 401
    client.cookies.set("hamlet_session", stolen)  # the old value is dead on the server, not just forgotten
    assert client.get("/api/me").status_code == 401


def test_bearer_logout(client: TestClient, hub: Hub) -> None:
    user(hub, Role.HEAD, "+84912345678")
    token = client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD, "token": True})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    assert client.delete("/api/session", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_unknown_phone_and_wrong_password_get_the_same_answer(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    user(hub, Role.HEAD, "+84912345678")
    verified: list[str] = []
    real = Passwords.verify

    def spy(self: Passwords, password_hash: str, password: str) -> bool:
        verified.append(password)
        return real(self, password_hash, password)

    monkeypatch.setattr(Passwords, "verify", spy)
    wrong = client.post("/api/session", json={"phone": "0912345678", "password": "nope-nope"})
    unknown = client.post("/api/session", json={"phone": "0987654321", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong phone number or password"}
    assert wrong.headers.keys() == unknown.headers.keys()
    # Both paths run one argon2 verification (the unknown number against a dummy hash): same work, same time.
    assert verified == ["nope-nope", "nope-nope"]


def test_garbage_phone_is_a_422_naming_the_field(client: TestClient) -> None:
    r = client.post("/api/session", json={"phone": "call me", "password": "x"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "phone"]


def test_login_lockout_per_account_with_retry_after(client: TestClient, hub: Hub) -> None:
    user(hub, Role.HEAD, "+84912345678")
    for _ in range(5):
        assert client.post("/api/session", json={"phone": "0912345678", "password": "wrong-pw"}).status_code == 401
    locked = client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
    assert locked.status_code == 429  # even the right password, until the window passes
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert hub.auth.audit.page(action="session.login")[0].outcome == "limited"


def test_lockout_per_address_across_accounts(client: TestClient, hub: Hub) -> None:
    """One address guessing many numbers is stopped too, and a success does not reset its count."""
    for i in range(5):
        client.post("/api/session", json={"phone": f"09000001{i:02d}", "password": "guess-guess"})
    r = client.post("/api/session", json={"phone": "0900000177", "password": "guess-guess"})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_lockout_expires(client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    user(hub, Role.HEAD, "+84912345678")
    now = [1_000_000_000_000]
    monkeypatch.setattr(hub.auth, "clock", lambda: now[0])
    for _ in range(5):
        client.post("/api/session", json={"phone": "0912345678", "password": "wrong-pw"})
    assert client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD}).status_code == 429
    now[0] += 15 * 60 * 1000 + 1
    assert client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD}).status_code == 200


def test_a_disabled_account_cannot_log_in(client: TestClient, hub: Hub) -> None:
    account = user(hub, Role.RESIDENT, "+84912345678")
    hub.auth.set_disabled(None, account.id, True)
    assert client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD}).status_code == 403
    assert client.post("/api/session", json={"phone": "0912345678", "password": "wrong-pw"}).status_code == 401


def test_me_and_language_preference(client: TestClient, hub: Hub) -> None:
    user(hub, Role.RESIDENT, "+84912345678")
    client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
    csrf = {"X-CSRF-Token": client.cookies["hamlet_csrf"]}
    me = client.get("/api/me").json()
    assert me["language"] == "vi" and me["role"] == "resident"
    r = client.patch("/api/me", json={"language": "en", "name": "  Bà Lan  "}, headers=csrf)
    assert r.status_code == 200 and r.json()["language"] == "en" and r.json()["name"] == "Bà Lan"
    assert client.get("/api/me").json()["language"] == "en"  # remembered per user
    assert client.patch("/api/me", json={"language": "fr"}, headers=csrf).status_code == 422


def test_a_resident_cannot_make_themselves_head(client: TestClient, hub: Hub) -> None:
    account = user(hub, Role.RESIDENT, "+84912345678")
    client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
    csrf = {"X-CSRF-Token": client.cookies["hamlet_csrf"]}
    for body in ({"role": "head"}, {"language": "en", "role": "head"}, {"phone": "0900000001"}):
        r = client.patch("/api/me", json=body, headers=csrf)
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["detail"]] == [["body", next(k for k in body if k != "language")]]
    assert client.get("/api/me").json()["role"] == "resident"
    assert client.get("/api/me").json()["language"] == "vi"  # nothing of a refused body was applied
    stored = hub.auth.users.get(account.id)
    assert stored is not None and stored.role is Role.RESIDENT
    refused = hub.auth.audit.page(action="me.update")[0]
    assert refused.outcome == "denied" and refused.detail == "refused fields: phone"
