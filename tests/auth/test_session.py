"""Logging in and out, the cookies' attributes, bearer tokens, /api/me, lockout, identical refusals."""

from __future__ import annotations

from ipaddress import ip_network

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


@pytest.mark.parametrize("base_url", ["https://hub.local", "https://192.168.1.10:8443"])
def test_cookies_are_secure_over_https(hub: Hub, base_url: str) -> None:
    user(hub, Role.HEAD, "+84912345678")
    with TestClient(create_app(lambda: hub), base_url=base_url) as client:
        r = client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
        assert cookies.keys() == {"hamlet_session", "hamlet_csrf"}
        assert all("; secure" in attributes for attributes in cookies.values()), cookies
        assert client.get("/api/me").status_code == 200  # and the browser sends them back over HTTPS


def test_cookies_over_plain_http_on_the_hamlets_network_are_not_secure(hub: Hub) -> None:
    """The hub is reached as http://192.168.x.y or http://127.0.0.1: a Secure cookie would never come back."""
    user(hub, Role.HEAD, "+84912345678")
    with TestClient(create_app(lambda: hub), base_url="http://127.0.0.1:8000") as client:
        r = client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookies = r.headers.get_list("set-cookie")
        assert len(cookies) == 2 and not any("; secure" in c.lower() for c in cookies)
        assert client.get("/api/me").status_code == 200


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


HEAD_PHONE = "0912345678"
STRANGER = ("203.0.113.9", 40000)
AT_HOME = ("198.51.100.1", 40000)


@pytest.fixture
def now(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The auth service's clock, moved by hand: waits are checked without waiting."""
    clock = [1_000_000_000_000]
    monkeypatch.setattr(hub.auth, "clock", lambda: clock[0])
    return clock


def login(client: TestClient, password: str, phone: str = HEAD_PHONE, **headers: str) -> int:
    return client.post("/api/session", json={"phone": phone, "password": password}, headers=headers).status_code


def test_login_waits_grow_with_each_failure_past_five(client: TestClient, hub: Hub, now: list[int]) -> None:
    user(hub, Role.HEAD, "+84912345678")
    assert [login(client, "wrong-pw") for _ in range(5)] == [401] * 5
    locked = client.post("/api/session", json={"phone": HEAD_PHONE, "password": PASSWORD})
    assert locked.status_code == 429  # even the right password, until the wait has passed
    assert locked.headers["Retry-After"] == "1"
    assert hub.auth.audit.page(action="session.login")[0].outcome == "limited"
    now[0] += 1000
    assert login(client, "wrong-pw") == 401  # the sixth failure: now two seconds
    r = client.post("/api/session", json={"phone": HEAD_PHONE, "password": PASSWORD})
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    now[0] += 1999
    assert login(client, PASSWORD) == 429
    now[0] += 1
    assert login(client, PASSWORD) == 200


def test_the_wait_stops_growing_at_a_quarter_of_an_hour(client: TestClient, hub: Hub, now: list[int]) -> None:
    user(hub, Role.HEAD, "+84912345678")
    waits = []
    for _ in range(20):
        r = client.post("/api/session", json={"phone": HEAD_PHONE, "password": "wrong-pw"})
        if r.status_code == 429:  # wait as told, then fail again
            waits.append(int(r.headers["Retry-After"]))
            now[0] += waits[-1] * 1000
            r = client.post("/api/session", json={"phone": HEAD_PHONE, "password": "wrong-pw"})
        assert r.status_code == 401
    assert waits[:5] == [1, 2, 4, 8, 16] and waits[-1] == 900 and max(waits) == 900


def test_the_head_logs_in_from_another_address_after_a_strangers_guesses(hub: Hub, now: list[int]) -> None:
    user(hub, Role.HEAD, "+84912345678")
    app = create_app(lambda: hub)
    with TestClient(app, client=STRANGER) as stranger:
        head = TestClient(app, client=AT_HOME)  # the same running app (one lifespan), another address
        assert [login(stranger, "guess-guess") for _ in range(5)] == [401] * 5
        assert login(stranger, PASSWORD) == 429  # the stranger is slowed down...
        assert login(head, PASSWORD) == 200  # ...not the head, on her own phone
        failed = [e.address for e in hub.auth.audit.page(action="session.login") if e.outcome == "failed"]
        assert failed and set(failed) == {STRANGER[0]}


def test_a_strangers_guesses_do_not_lock_the_accounts_behind_the_same_address(
    client: TestClient, hub: Hub, now: list[int]
) -> None:
    """Behind NAT or a proxy the whole hamlet shares one address."""
    user(hub, Role.HEAD, "+84912345678")
    neighbour = user(hub, Role.RESIDENT, "+84900000150")
    assert [login(client, "guess-guess") for _ in range(6)] == [401] * 5 + [429]
    assert login(client, PASSWORD, phone=neighbour.phone) == 200


def test_one_address_guessing_many_numbers_is_slowed_too(client: TestClient, hub: Hub, now: list[int]) -> None:
    for i in range(20):
        assert login(client, "guess-guess", phone=f"09000001{i:02d}") == 401
    r = client.post("/api/session", json={"phone": "0900000177", "password": "guess-guess"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(hub: Hub, now: list[int]) -> None:
    user(hub, Role.HEAD, "+84912345678")
    proxy = ("10.0.0.2", 40000)
    app = create_app(lambda: hub)
    with TestClient(app, client=proxy) as client:
        # Untrusted (the default): a made-up header per attempt does not make a new address.
        for i in range(5):
            assert login(client, "guess-guess", **{"X-Forwarded-For": f"192.0.2.{i}"}) == 401
        assert login(client, PASSWORD, **{"X-Forwarded-For": "192.0.2.99"}) == 429
        assert {e.address for e in hub.auth.audit.page(action="session.login")} == {proxy[0]}
        # Behind a trusted proxy, the stranger and the head are told apart by the header.
        hub.settings = hub.settings.model_copy(update={"trusted_proxies": (ip_network("10.0.0.0/24"),)})
        now[0] += 3_600_000
        for _ in range(5):
            assert login(client, "guess-guess", **{"X-Forwarded-For": STRANGER[0]}) == 401
        assert login(client, PASSWORD, **{"X-Forwarded-For": STRANGER[0]}) == 429
        assert login(client, PASSWORD, **{"X-Forwarded-For": f"{AT_HOME[0]}, 10.0.0.3"}) == 200
        assert hub.auth.audit.page(action="session.login")[0].address == AT_HOME[0]


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
