"""hub.auth.service, called directly: the exact audit row each action writes (who, what, outcome, detail,
address), the refusal texts a person reads, and the session/invite lifetimes. (Mutants that survived
`make mutation`: the whole-app tests checked that something was logged, not what.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from hub.auth.errors import Forbidden, InvalidLogin, NotFound, TooManyAttempts
from hub.auth.passwords import Passwords
from hub.auth.principal import Principal, Role
from hub.auth.ratelimit import login_keys
from hub.auth.service import DAY_MS, WRONG_LOGIN, Auth, AuthOptions, auth_options
from hub.settings import Settings
from hub.statedb import StateDB

HEAD = "+84912000001"
TECH = "+84912000002"
RES = "+84912000003"
NEW = "+84912000004"
ADDR = "10.0.0.7"
PW = "correct horse"
T0 = 1_800_000_000_000


def rows(auth: Auth) -> list[tuple[Any, ...]]:
    """(user_id, actor, role, action, target, outcome, detail, address) in the order written."""
    return [tuple(r) for r in auth.audit.db.fetchall(
        "SELECT user_id, actor, role, action, target, outcome, detail, address FROM audit ORDER BY id")]


@pytest.fixture
def now() -> list[int]:
    return [T0]


@pytest.fixture
def auth(tmp_path: Path, now: list[int]) -> Auth:
    options = AuthOptions(cookie_ttl_ms=3 * DAY_MS, bearer_ttl_ms=50 * DAY_MS, invite_ttl_ms=2 * DAY_MS)
    a = Auth(StateDB(tmp_path / "hub.sqlite3"), options, clock=lambda: now[0])
    a.add_user(HEAD, Role.HEAD, PW, "Chị Hoa")
    a.add_user(TECH, Role.TECHNICIAN, PW, "Anh Nam")
    a.add_user(RES, Role.RESIDENT, PW, "Bà Lan")
    a.audit.db.execute("DELETE FROM audit")
    return a


def head(auth: Auth) -> Principal:
    return auth.by_phone(HEAD).principal()


def test_add_user_and_reset_password_are_the_command_lines(auth: Auth) -> None:
    user = auth.add_user(NEW, Role.TECHNICIAN, PW, "Chú Tư")
    auth.reset_password(NEW, "another password")
    assert rows(auth) == [
        (None, "cli", None, "user.add", f"user:{user.id}", "ok", "technician", None),
        (None, "cli", None, "user.reset_password", f"user:{user.id}", "ok", None, None),
    ]
    assert auth.passwords.verify(auth.by_phone(NEW).password_hash, "another password")


def test_by_phone_names_the_missing_number(auth: Auth) -> None:
    with pytest.raises(NotFound) as caught:
        auth.by_phone(NEW)
    assert caught.value.message == f"no account with phone number {NEW}"


@pytest.mark.parametrize(("via", "ttl"), [("cookie", 3 * DAY_MS), ("bearer", 50 * DAY_MS)])
def test_login_lives_as_long_as_its_kind_and_is_audited(auth: Auth, now: list[int], via: Any, ttl: int) -> None:
    login = auth.login(HEAD, PW, via, ADDR)
    assert login.expires_ms == T0 + ttl
    user = auth.by_phone(HEAD)
    assert rows(auth) == [(user.id, HEAD, "head", "session.login", HEAD, "ok", via, ADDR)]
    now[0] = T0 + ttl - 1
    assert auth.principal_for(login.token, via) == login.principal
    now[0] = T0 + ttl
    assert auth.principal_for(login.token, via) is None


def test_a_wrong_password_and_an_unknown_number_get_one_answer(auth: Auth) -> None:
    for phone, address in ((HEAD, ADDR), (NEW, "10.0.0.8")):  # one address: the second is only counted
        with pytest.raises(InvalidLogin) as caught:
            auth.login(phone, "wrong password", "cookie", address)
        assert caught.value.message == WRONG_LOGIN == "wrong phone number or password"
        assert caught.value.status == 401
    assert rows(auth) == [
        (None, HEAD, None, "session.login", HEAD, "failed", None, ADDR),
        (None, NEW, None, "session.login", NEW, "failed", None, "10.0.0.8"),
    ]


def test_the_sixth_failure_from_one_address_waits_a_second(auth: Auth) -> None:
    for _ in range(5):
        with pytest.raises(InvalidLogin):
            auth.login(HEAD, "wrong password", "cookie", ADDR)
    with pytest.raises(TooManyAttempts) as caught:
        auth.login(HEAD, PW, "cookie", ADDR)
    assert caught.value.retry_after_s == 1
    assert caught.value.message == "too many failed attempts: try again in 1 s"
    assert rows(auth)[-1] == (None, HEAD, None, "session.login", HEAD, "limited", "too many failed attempts", ADDR)


def test_a_good_login_clears_the_accounts_counters_not_the_addresses(auth: Auth) -> None:
    for _ in range(3):
        with pytest.raises(InvalidLogin):
            auth.login(HEAD, "wrong password", "cookie", ADDR)
    auth.login(HEAD, PW, "cookie", ADDR)
    keys = login_keys(HEAD, ADDR)
    assert (auth.failures.failures(keys.pair), auth.failures.failures(keys.phone)) == (0, 0)
    assert auth.failures.failures(keys.addr) == 3


def test_a_disabled_account_learns_it_only_with_the_password(auth: Auth) -> None:
    resident = auth.by_phone(RES)
    auth.set_disabled(None, resident.id, True)
    auth.audit.db.execute("DELETE FROM audit")
    with pytest.raises(Forbidden) as caught:
        auth.login(RES, PW, "cookie", ADDR)
    assert caught.value.message == "this account is disabled: ask the hamlet head"
    assert rows(auth) == [(resident.id, RES, "resident", "session.login", RES, "denied", "disabled", ADDR)]


def test_an_old_hash_is_upgraded_at_login_without_signing_out(tmp_path: Path, auth: Auth) -> None:
    old = Passwords(PasswordHasher(time_cost=1, memory_cost=16, parallelism=1, hash_len=16, salt_len=16))
    user = auth.by_phone(RES)
    kept = auth.login(RES, PW, "bearer", ADDR)  # a session from before the upgrade
    auth.users.set_password(user.id, old.hash(PW), sign_out=False)
    auth.login(RES, PW, "cookie", ADDR)  # upgrades the hash
    upgraded = auth.by_phone(RES).password_hash
    assert not auth.passwords.needs_rehash(upgraded)
    assert auth.passwords.verify(upgraded, PW)
    assert auth.principal_for(kept.token, "bearer") is not None  # nobody is signed out by the upgrade
    assert auth.sessions.count(user.id) == 2


def test_a_profile_whose_account_is_gone_is_not_found(auth: Auth) -> None:
    with pytest.raises(NotFound) as caught:
        auth.update_profile(Principal(999, NEW, "Ai đó", Role.RESIDENT, "vi"), "Tên", None)
    assert caught.value.message == "no user 999"


def test_logout_ends_the_session_and_is_audited(auth: Auth) -> None:
    login = auth.login(HEAD, PW, "cookie", ADDR)
    auth.audit.db.execute("DELETE FROM audit")
    auth.logout(login.principal, login.token, ADDR)
    assert auth.principal_for(login.token, "cookie") is None
    assert rows(auth) == [(login.principal.user_id, HEAD, "head", "session.logout", HEAD, "ok", None, ADDR)]


def test_denied_access_is_audited_with_its_reason(auth: Auth) -> None:
    who = head(auth)
    auth.denied(who, "POST /api/lights", ADDR, "needs technician")
    auth.denied(None, "GET /api/me", ADDR, "no session")
    assert rows(auth) == [
        (who.user_id, HEAD, "head", "access", "POST /api/lights", "denied", "needs technician", ADDR),
        (None, None, None, "access", "GET /api/me", "denied", "no session", ADDR),
    ]


def test_a_head_may_switch_residents_only(auth: Auth) -> None:
    who = head(auth)
    tech = auth.by_phone(TECH)
    with pytest.raises(Forbidden) as caught:
        auth.set_disabled(who, tech.id, True, ADDR)
    assert caught.value.message == "only residents can be disabled or enabled here"
    assert not auth.by_phone(TECH).disabled
    resident = auth.by_phone(RES)
    assert auth.set_disabled(who, resident.id, True, ADDR).disabled
    assert not auth.set_disabled(None, resident.id, False).disabled
    assert rows(auth) == [
        (who.user_id, HEAD, "head", "user.disable", f"user:{tech.id}", "denied", "target is a technician", ADDR),
        (who.user_id, HEAD, "head", "user.disable", f"user:{resident.id}", "ok", None, ADDR),
        (None, "cli", None, "user.enable", f"user:{resident.id}", "ok", None, None),
    ]


def test_switching_a_missing_user_names_it(auth: Auth) -> None:
    with pytest.raises(NotFound) as caught:
        auth.set_disabled(None, 999, True)
    assert caught.value.message == "no user 999"
    assert rows(auth) == []


@pytest.mark.parametrize(
    ("name", "language", "detail"),
    [("Cô Hoa", "en", "name, language"), ("Cô Hoa", None, "name"), (None, "en", "language"), (None, None, None)],
)
def test_a_profile_change_says_what_changed(
    auth: Auth, name: str | None, language: str | None, detail: str | None
) -> None:
    who = head(auth)
    after = auth.update_profile(who, name, language, ADDR)
    assert (after.name, after.language) == (name or "Chị Hoa", language or "vi")
    assert rows(auth) == [(who.user_id, HEAD, "head", "me.update", f"user:{who.user_id}", "ok", detail, ADDR)]


def test_an_invite_lives_its_ttl_and_signs_the_resident_in(auth: Auth, now: list[int]) -> None:
    who = head(auth)
    invite = auth.create_invite(who, ADDR)
    assert invite.expires_ms == T0 + 2 * DAY_MS
    now[0] = T0 + 2 * DAY_MS - 1
    login = auth.accept_invite(invite.code.lower(), NEW, "Em Mai", PW, "en", ADDR)
    assert login.expires_ms == now[0] + 3 * DAY_MS  # a cookie session
    assert auth.principal_for(login.token, "cookie") == login.principal
    assert (login.principal.role, login.principal.language) == (Role.RESIDENT, "en")
    uid = login.principal.user_id
    assert rows(auth) == [
        (who.user_id, HEAD, "head", "invite.create", "invite", "ok", None, ADDR),
        (uid, NEW, "resident", "invite.accept", f"user:{uid}", "ok", None, ADDR),
    ]


def test_an_invite_expires_at_its_ttl(auth: Auth, now: list[int]) -> None:
    invite = auth.create_invite(head(auth))
    now[0] = T0 + 2 * DAY_MS
    with pytest.raises(Exception, match="this invite code has expired: ask the hamlet head for a new one"):
        auth.accept_invite(invite.code, NEW, "Em Mai", PW, "vi", ADDR)


def test_wrong_invite_codes_are_audited_and_limited_per_address(auth: Auth) -> None:
    for _ in range(5):
        with pytest.raises(NotFound):
            auth.accept_invite("ABCD-EFGH-JKMN", NEW, "Em Mai", PW, "vi", ADDR)
    assert rows(auth) == [(None, NEW, None, "invite.accept", NEW, "failed", "this invite code is not known", ADDR)]
    assert auth.failures.failures(f"invite:{ADDR}") == 5
    with pytest.raises(TooManyAttempts) as caught:
        auth.accept_invite("ABCD-EFGH-JKMN", NEW, "Em Mai", PW, "vi", ADDR)
    assert caught.value.retry_after_s == 1
    auth.accept_invite(auth.create_invite(head(auth)).code, NEW, "Em Mai", PW, "vi", "10.0.0.8")  # another door


def test_the_settings_choose_the_audit_retention(tmp_path: Path) -> None:
    options = auth_options(Settings(audit_retention_days=12, audit_max_rows=3456))
    assert (options.audit.max_age_ms, options.audit.max_rows) == (12 * DAY_MS, 3456)
    auth = Auth(StateDB(tmp_path / "hub.sqlite3"), options)
    assert auth.audit.retention is options.audit
