"""The auth service the hub owns (`hub.auth`): logins, sessions, accounts, invites, the audit log.

Every method is blocking (argon2, SQLite): call it from a plain `def` route (threadpool) or the CLI.
Phone numbers arrive canonical (hub.auth.phone); passwords never leave this module except as hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hub.auth.audit import AuditLog, Retention
from hub.auth.errors import AuthError, Forbidden, InvalidLogin, NotFound, TooManyAttempts
from hub.auth.invites import Invite, InviteStore, NewResident
from hub.auth.passwords import Passwords
from hub.auth.principal import Principal, Role
from hub.auth.ratelimit import LOGIN_RULES, FailureTracker, Limit, login_keys
from hub.auth.sessions import SessionStore, Via
from hub.auth.users import User, UserStore
from hub.settings import Settings
from hub.statedb import StateDB
from hub.timeutil import now_ms

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
WRONG_LOGIN = "wrong phone number or password"  # the one answer for an unknown number and a wrong password


@dataclass(frozen=True, slots=True)
class AuthOptions:
    cookie_ttl_ms: int = 30 * DAY_MS
    bearer_ttl_ms: int = 365 * DAY_MS  # scrapers and integrations: a year, revocable by logout or disable
    invite_ttl_ms: int = 7 * DAY_MS
    login_rules: Mapping[str, Limit] = field(default_factory=lambda: dict(LOGIN_RULES))
    audit: Retention = field(default_factory=Retention)


def auth_options(settings: Settings) -> AuthOptions:
    """The options the hub's settings choose (the rest keep their defaults)."""
    return AuthOptions(audit=Retention(max_age_ms=settings.audit_retention_days * DAY_MS,
                                       max_rows=settings.audit_max_rows))


@dataclass(frozen=True, slots=True)
class Login:
    token: str = field(repr=False)
    principal: Principal
    expires_ms: int


class Auth:
    def __init__(
        self,
        db: StateDB,
        options: AuthOptions | None = None,
        passwords: Passwords | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.options = options or AuthOptions()
        self.passwords = passwords or Passwords()
        self.clock = clock
        self.users = UserStore(db)
        self.sessions = SessionStore(db)
        self.invites = InviteStore(db)
        self.audit = AuditLog(db, self.options.audit)
        self.failures = FailureTracker(self.options.login_rules)

    # --- the access gate (hub.api.access) ------------------------------------------------------------
    def principal_for(self, token: str, via: Via) -> Principal | None:
        return self.sessions.principal_for(token, via, self.clock())

    def denied(self, who: Principal | None, target: str, address: str | None, reason: str) -> None:
        self.audit.refused(who, "access", target, "denied", reason, address=address)

    # --- sessions ------------------------------------------------------------------------------------
    def login(self, phone: str, password: str, via: Via, address: str | None) -> Login:
        keys = login_keys(phone, address)
        wait = self.failures.retry_after(keys, self.clock() / 1000)
        if wait is not None:
            self.audit.refused(None, "session.login", phone, "limited", "too many failed attempts",
                               address=address, actor=phone)
            raise TooManyAttempts(wait)
        user = self.users.by_phone(phone)
        if user is None:
            self.passwords.verify_dummy(password)  # same cost as a real check: timing tells nothing
            ok = False
        else:
            ok = self.passwords.verify(user.password_hash, password)
        if user is None or not ok:
            self.failures.fail(keys, self.clock() / 1000)
            self.audit.refused(None, "session.login", phone, "failed", address=address, actor=phone)
            raise InvalidLogin(WRONG_LOGIN)
        if user.disabled:  # only someone who knows the password learns this
            self.audit.record(user.principal(), "session.login", phone, "denied", "disabled", address=address)
            raise Forbidden("this account is disabled: ask the hamlet head")
        # The account's counters only: clearing the address's would let one valid login reset a guesser.
        self.failures.clear(keys.pair, keys.phone)
        if self.passwords.needs_rehash(user.password_hash):
            self.users.set_password(user.id, self.passwords.hash(password), sign_out=False)
        login = self._session(user.principal(), via)
        self.audit.record(login.principal, "session.login", phone, "ok", via, address=address)
        return login

    def logout(self, principal: Principal, token: str, address: str | None) -> None:
        self.sessions.revoke(token)
        self.audit.record(principal, "session.logout", principal.phone, "ok", address=address)

    def _session(self, principal: Principal, via: Via) -> Login:
        ttl = self.options.cookie_ttl_ms if via == "cookie" else self.options.bearer_ttl_ms
        now = self.clock()
        return Login(self.sessions.create(principal.user_id, via, now, ttl), principal, now + ttl)

    # --- accounts ------------------------------------------------------------------------------------
    def add_user(self, phone: str, role: Role, password: str, name: str, language: str = "vi") -> User:
        """For the command line and the demo accounts; residents normally join by invite."""
        user = self.users.add(phone, name, role, self.passwords.hash(password), language, self.clock())
        self.audit.record(None, "user.add", f"user:{user.id}", "ok", role.value, actor="cli")
        return user

    def reset_password(self, phone: str, password: str) -> User:
        user = self.by_phone(phone)
        self.users.set_password(user.id, self.passwords.hash(password))
        self.audit.record(None, "user.reset_password", f"user:{user.id}", "ok", actor="cli")
        return user

    def set_disabled(self, by: Principal | None, user_id: int, disabled: bool, address: str | None = None) -> User:
        """`by` None is the command line (any account); a head may switch residents only."""
        action = "user.disable" if disabled else "user.enable"
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        if by is not None and user.role is not Role.RESIDENT:
            self.audit.record(by, action, f"user:{user_id}", "denied", f"target is a {user.role}", address=address)
            raise Forbidden("only residents can be disabled or enabled here")
        self.users.set_disabled(user_id, disabled)
        self.audit.record(by, action, f"user:{user_id}", "ok", address=address, actor=None if by else "cli")
        return self._get(user_id)

    def update_profile(
        self, principal: Principal, name: str | None, language: str | None, address: str | None = None
    ) -> Principal:
        self.users.update(principal.user_id, name=name, language=language)
        changed = ", ".join(k for k, v in (("name", name), ("language", language)) if v is not None)
        self.audit.record(principal, "me.update", f"user:{principal.user_id}", "ok", changed or None, address=address)
        return self._get(principal.user_id).principal()

    # --- invites -------------------------------------------------------------------------------------
    def create_invite(self, by: Principal, address: str | None = None) -> Invite:
        invite = self.invites.create(by.user_id, self.clock(), self.options.invite_ttl_ms)
        self.audit.record(by, "invite.create", "invite", "ok", address=address)
        return invite

    def accept_invite(
        self, code: str, phone: str, name: str, password: str, language: str, address: str | None
    ) -> Login:
        """Create the resident and sign them in (a cookie session), so the new phone lands on Home."""
        keys = [f"invite:{address}"]
        wait = self.failures.retry_after(keys, self.clock() / 1000)
        if wait is not None:
            raise TooManyAttempts(wait)
        resident = NewResident(phone, name, self.passwords.hash(password), language)
        try:
            user_id = self.invites.redeem(code, resident, self.clock())
        except AuthError as exc:
            self.failures.fail(keys, self.clock() / 1000)
            self.audit.refused(None, "invite.accept", phone, "failed", exc.message, address=address, actor=phone)
            raise
        principal = self._get(user_id).principal()
        self.audit.record(principal, "invite.accept", f"user:{user_id}", "ok", address=address)
        return self._session(principal, "cookie")

    def _get(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    def by_phone(self, phone: str) -> User:
        """The account with this (canonical) number, or NotFound."""
        user = self.users.by_phone(phone)
        if user is None:
            raise NotFound(f"no account with phone number {phone}")
        return user
