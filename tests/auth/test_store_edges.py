"""The auth building blocks at their edges: invite expiry to the millisecond, the messages a person reads,
the audit log's truncation, paging and summaries, session counts, the rate-limit and throttle bounds,
token and password shapes. (Mutants that survived `make mutation`.)"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from hub.auth.audit import AuditLog, Retention
from hub.auth.demo import DemoAccount, demo_lines
from hub.auth.errors import AuthError, Conflict, Gone, NotFound, TooManyAttempts
from hub.auth.invites import InviteStore, NewResident, invite_link, qr_svg
from hub.auth.passwords import random_password
from hub.auth.phone import PhoneError, normalise_phone
from hub.auth.principal import Principal, Role
from hub.auth.ratelimit import LOGIN_RULES, FailureTracker, Limit, delay_s, retry_after
from hub.auth.sessions import SessionStore
from hub.auth.throttle import Throttle
from hub.auth.tokens import csrf_for, new_token
from hub.auth.users import UserStore
from hub.statedb import StateDB

T0 = 1_800_000_000_000


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "hub.sqlite3")


def resident(phone: str = "+84912000009") -> NewResident:
    return NewResident(phone, "Em Mai", "hash", "en")


# --- invites -------------------------------------------------------------------------------------------
def test_an_invite_is_good_until_the_millisecond_before_it_expires(db: StateDB) -> None:
    store = InviteStore(db)
    UserStore(db).add("+84912000001", "Chị Hoa", Role.HEAD, "h", "vi", T0)  # id 1, who invites
    invite = store.create(1, T0, 1000)
    assert invite.expires_ms == T0 + 1000
    with pytest.raises(Gone) as caught:
        store.redeem(invite.code, resident(), T0 + 1000)
    assert caught.value.message == "this invite code has expired: ask the hamlet head for a new one"
    later = store.create(1, T0, 1000)
    user_id = store.redeem(later.code, resident(), T0 + 999)
    assert UserStore(db).get(user_id) is not None
    with pytest.raises(Gone) as caught:
        store.redeem(later.code, resident("+84912000008"), T0 + 999)
    assert caught.value.message == "this invite code has already been used"
    with pytest.raises(NotFound) as unknown:
        store.redeem("2345-6789-ABCD", resident("+84912000008"), T0)
    assert unknown.value.message == "this invite code is not known"
    assert db.fetchall("SELECT used_ms, used_by FROM invites WHERE used_ms IS NOT NULL")[0][:] == (T0 + 999, user_id)


def test_an_invite_link_keeps_the_base_url_and_drops_only_its_slash() -> None:
    assert invite_link("http://BOX/", "C0DE") == "http://BOX/#/invite/C0DE"
    assert invite_link("http://hub.local", "C0DE") == "http://hub.local/#/invite/C0DE"


def test_the_qr_code_is_an_inline_svg_at_level_m_scale_4_border_2() -> None:
    # 30 bytes fit version 2 at level L but need version 3 (29 modules) at level M: (29 + 2 * 2) * 4 = 132.
    svg = qr_svg("http://hub.local/#/invite/ABCD")
    assert len("http://hub.local/#/invite/ABCD") == 30
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert 'class="qr"' in svg
    assert 'width="132"' in svg and 'height="132"' in svg


# --- users and sessions --------------------------------------------------------------------------------
def test_a_phone_number_has_one_account(db: StateDB) -> None:
    users = UserStore(db)
    users.add("+84912000001", "A", Role.HEAD, "h", "vi", T0)
    with pytest.raises(Conflict) as caught:
        users.add("+84912000001", "B", Role.RESIDENT, "h", "vi", T0)
    assert caught.value.message == "this phone number already has an account"
    assert caught.value.status == 409
    assert users.count() == 1


def test_a_new_password_ends_sessions_unless_told_not_to(db: StateDB) -> None:
    users, sessions = UserStore(db), SessionStore(db)
    uid = users.add("+84912000001", "A", Role.HEAD, "h", "vi", T0).id
    other = users.add("+84912000002", "B", Role.HEAD, "h", "vi", T0).id
    for u in (uid, uid, other):
        sessions.create(u, "cookie", T0, 1000)
    assert (sessions.count(uid), sessions.count(other)) == (2, 1)
    users.set_password(uid, "h2", sign_out=False)
    assert sessions.count(uid) == 2
    users.set_password(uid, "h3")
    assert (sessions.count(uid), sessions.count(other)) == (0, 1)
    assert users.get(uid).password_hash == "h3"  # type: ignore[union-attr]


def test_a_session_lives_until_its_expiry_and_old_ones_are_swept(db: StateDB) -> None:
    users, sessions = UserStore(db), SessionStore(db)
    uid = users.add("+84912000001", "A", Role.TECHNICIAN, "h", "en", T0).id
    token = sessions.create(uid, "bearer", T0, 1000)
    assert sessions.principal_for(token, "bearer", T0 + 999) == Principal(uid, "+84912000001", "A",
                                                                          Role.TECHNICIAN, "en")
    assert sessions.principal_for(token, "cookie", T0) is None
    assert sessions.principal_for(token, "bearer", T0 + 1000) is None
    sessions.create(uid, "bearer", T0 + 999, 1000)  # the first is not yet expired: kept
    assert sessions.count(uid) == 2
    sessions.create(uid, "bearer", T0 + 1000, 1000)  # now it is: swept
    assert sessions.count(uid) == 2
    sessions.revoke(token)
    assert sessions.count(uid) == 2


# --- the audit log -------------------------------------------------------------------------------------
def audit_at(db: StateDB, now: list[int], **retention: int) -> AuditLog:
    return AuditLog(db, Retention(**retention), clock=lambda: now[0])


def test_long_actions_and_texts_are_cut(db: StateDB) -> None:
    audit = audit_at(db, [T0])
    audit.record(None, "a" * 150, "t" * 600, "ok", "d" * 600, actor="cli")
    entry = audit.page()[0]
    assert (len(entry.action), len(entry.target), len(entry.detail or "")) == (100, 500, 500)


def test_the_log_line_names_the_action_and_who(db: StateDB, caplog: pytest.LogCaptureFixture) -> None:
    audit = audit_at(db, [T0])
    who = Principal(7, "+84912000001", "A", Role.HEAD, "vi")
    with caplog.at_level(logging.INFO, logger="hub.auth.audit"):
        audit.record(who, "light.command", "group:ngo-3", "ok", actor="ignored in the log")
        audit.record(None, "user.add", "user:8", "denied", actor="cli")
    assert [r.getMessage() for r in caplog.records] == [
        "audit light.command group:ngo-3 ok by 7", "audit user.add user:8 denied by cli"]


def test_prune_uses_the_time_it_is_given(db: StateDB) -> None:
    now = [T0]
    audit = audit_at(db, now, max_age_ms=1000, every_ms=10**12)
    audit.record(None, "x", "t", "ok", actor="cli")
    now[0] = T0 + 5000
    assert audit.prune(T0 + 1000) == 0  # at T0 + 1000 the row is exactly max_age old: kept
    assert audit.prune(T0 + 1001) == 1


def test_a_page_is_50_newest_first_and_filters_combine(db: StateDB) -> None:
    audit = audit_at(db, [T0])
    who = Principal(3, "+84912000001", "A", Role.HEAD, "vi")
    for i in range(60):
        audit.record(who if i % 2 else None, "light.command" if i % 3 else "lights", f"t{i}", "ok", actor="cli")
    page = audit.page()
    assert len(page) == 50 and page[0].target == "t59" and page[-1].target == "t10"
    mine = audit.page(user_id=3, action="light")
    assert mine and all(e.user_id == 3 and e.action == "light.command" for e in mine)
    assert [e.target for e in mine] == [f"t{i}" for i in range(59, -1, -1) if i % 2 and i % 3]
    older = audit.page(user_id=3, action="light", before=mine[2].id, limit=2)
    assert [e.target for e in older] == [e.target for e in mine[3:5]]


def test_a_summary_without_a_reason_is_only_the_count(db: StateDB) -> None:
    now = [T0]
    audit = audit_at(db, now, throttle_ms=60_000)
    for target in ("GET /a", "GET /b", "GET /c"):
        audit.refused(None, "access", target, "denied", address="10.0.0.7", actor="x")
    now[0] = T0 + 60_000
    entries = audit.page()
    assert [(e.target, e.detail, e.actor) for e in entries] == [
        ("GET /c", "2 more like this within 60 s, the last on GET /c", None),
        ("GET /a", None, "x"),  # a refusal keeps the actor it was given
    ]


# --- rate limits and the throttle ----------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    dict(free=0), dict(base_s=0.0), dict(base_s=2.0, cap_s=1.0), dict(cap_s=100.0, forget_s=99.0)])
def test_an_inconsistent_limit_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="inconsistent login limit"):
        Limit(**bad)  # type: ignore[arg-type]


def test_the_tightest_consistent_limit_is_allowed() -> None:
    assert Limit(free=1, base_s=0.5, cap_s=0.5, forget_s=0.5).free == 1


def test_the_wait_is_capped_however_many_failures() -> None:
    rule = Limit(free=1, base_s=1e-300, cap_s=1e300, forget_s=1e300)
    assert delay_s(66, rule) == 1e-300 * 2.0**64  # doublings stop at 64
    assert delay_s(10**6, rule) == 1e-300 * 2.0**64


def test_a_key_is_forgotten_exactly_forget_s_after_its_last_failure() -> None:
    rule = Limit(free=1, base_s=100.0, cap_s=100.0, forget_s=100.0)
    assert retry_after(1, 0.0, 99.5, rule) == 1
    assert retry_after(1, 0.0, 100.0, rule) is None


def test_the_tracker_starts_with_the_login_rules_and_ten_thousand_keys() -> None:
    tracker = FailureTracker()
    assert tracker.rules == dict(LOGIN_RULES) and tracker.max_keys == 10_000
    assert tracker.rule("pair:+84912000001|2001:db8::1") is LOGIN_RULES["pair"]  # an IPv6 address has colons


def test_a_forgotten_key_starts_over_from_the_new_failure() -> None:
    tracker = FailureTracker({"pair": Limit(free=1, base_s=10.0, cap_s=10.0, forget_s=100.0)})
    tracker.fail(["pair:a"], 0.0)
    tracker.fail(["pair:a"], 200.0)  # forgotten: one failure, counted from 200
    assert tracker.failures("pair:a") == 1
    assert tracker.retry_after(["pair:a"], 205.0) == 5


def test_the_tracker_holds_exactly_max_keys_dropping_forgotten_ones_first() -> None:
    tracker = FailureTracker({"k": Limit(free=1, base_s=1.0, cap_s=1.0, forget_s=100.0)}, max_keys=3)
    for i, t in enumerate((0.0, 1.0, 2.0)):
        tracker.fail([f"k:{i}"], t)
    assert len(tracker) == 3
    tracker.fail(["k:3"], 100.0)  # k:0 is exactly forget_s old: swept, the others kept
    assert len(tracker) == 3 and tracker.failures("k:0") == 0 and tracker.failures("k:1") == 1
    tracker.fail(["k:4"], 100.5)  # nothing forgotten: the least recently failed goes
    assert len(tracker) == 3 and tracker.failures("k:1") == 0 and tracker.failures("k:2") == 1


def test_the_tracker_sweeps_only_above_max_keys() -> None:
    tracker = FailureTracker({"k": Limit(free=1, base_s=1.0, cap_s=1.0, forget_s=100.0)}, max_keys=3)
    tracker.fail(["k:0"], 0.0)
    tracker.fail(["k:1"], 1.0)
    tracker.fail(["k:2"], 200.0)  # k:0 and k:1 are forgotten, but three keys are within bounds: no sweep
    assert len(tracker) == 3


def test_a_sweep_drops_each_key_by_its_own_rule_at_exactly_forget_s() -> None:
    rules = {"a": Limit(free=1, base_s=1.0, cap_s=1.0, forget_s=1000.0),
             "b": Limit(free=1, base_s=1.0, cap_s=1.0, forget_s=50.0)}
    tracker = FailureTracker(rules, max_keys=3)
    tracker.fail(["a:0"], 0.0)
    tracker.fail(["b:1"], 50.0)
    tracker.fail(["a:2"], 60.0)
    tracker.fail(["a:3"], 100.0)  # b:1 is exactly 50 s old: swept, so the older a:0 stays
    assert (tracker.failures("a:0"), tracker.failures("b:1"), len(tracker)) == (1, 0, 3)


def test_the_throttle_defaults_and_its_bounds() -> None:
    default: Throttle[str] = Throttle()
    assert (default.window_ms, default.max_keys) == (60_000, 10_000)
    assert Throttle[str](1, 1).max_keys == 1
    for window, keys in ((0, 5), (5, 0), (0, 0)):
        with pytest.raises(ValueError) as caught:
            Throttle[str](window, keys)
        assert str(caught.value) == "the audit throttle needs a positive window and key count"


# --- small shapes ----------------------------------------------------------------------------------------
def test_tokens_and_csrf_values_have_fixed_shapes() -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", new_token())  # 32 random bytes
    value = csrf_for("session")
    assert re.fullmatch(r"[0-9a-f]{32}", value)
    assert csrf_for("session") != csrf_for("other")


def test_a_random_password_is_three_groups_of_four() -> None:
    assert re.fullmatch(r"[a-hj-km-np-z2-9]{4}-[a-hj-km-np-z2-9]{4}-[a-hj-km-np-z2-9]{4}", random_password())


def test_errors_carry_their_message_and_retry_header() -> None:
    assert str(AuthError("boom")) == "boom"
    limited = TooManyAttempts(7)
    assert (limited.status, limited.retry_after_s, limited.headers) == (429, 7, {"Retry-After": "7"})
    assert str(limited) == limited.message == "too many failed attempts: try again in 7 s"


@pytest.mark.parametrize(("raw", "message"), [
    ("0" * 32, "a Vietnamese number has 10 digits (mobile, 0912 345 678) or 11 (landline, 02xx)"),
    ("0" * 33, "phone number is too long"),
    ("+1 202 555 0100", "only Vietnamese numbers (+84) are accepted"),
    ("912345678", "type the number as 0912 345 678 or +84 912 345 678"),
    ("0912 ABC 678", "a phone number has only digits, spaces, dots and dashes"),
    ("01912345678", "11-digit 01x numbers changed in 2018: use the new 10-digit number"),
])
def test_phone_refusals_say_what_to_type(raw: str, message: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalise_phone(raw)
    assert str(caught.value) == message


def test_the_demo_lines_are_bilingual() -> None:
    lines = demo_lines([DemoAccount(Role.HEAD, "0900000001", "abcd-efgh-jkmn")])
    assert lines == ["  Tài khoản thử (chỉ hiện một lần) / demo accounts (shown once, save them now):",
                     "    head        0900000001  abcd-efgh-jkmn"]
