"""Credentials for API tests on a memory hub: any test that calls a protected route needs one.

    headers = bearer(hub, Role.HEAD)                  # Authorization header, no CSRF needed
    csrf = cookie_login(client, hub, Role.RESIDENT)   # the client now holds the cookies; send csrf on writes
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.auth.principal import Role
from hub.auth.users import User
from hub.runtime import Hub
from hub.timeutil import now_ms

PASSWORD = "test-password-1"
PHONES = {Role.HEAD: "+84900000101", Role.TECHNICIAN: "+84900000102", Role.RESIDENT: "+84900000103"}
HOUR_MS = 3_600_000


def user(hub: Hub, role: Role, phone: str | None = None, password: str = PASSWORD) -> User:
    """The account for this phone (one per role by default), created on first use."""
    phone = phone or PHONES[role]
    found = hub.auth.users.by_phone(phone)
    return found or hub.auth.add_user(phone, role, password, f"Test {role.value}")


def bearer(hub: Hub, role: Role, phone: str | None = None) -> dict[str, str]:
    """A fresh bearer session straight from the session store (no login, no argon2, no rate limit)."""
    account = user(hub, role, phone)
    token = hub.auth.sessions.create(account.id, "bearer", now_ms(), HOUR_MS)
    return {"Authorization": f"Bearer {token}"}


def cookie_login(client: TestClient, hub: Hub, role: Role, phone: str | None = None) -> dict[str, str]:
    """Log in through POST /api/session like the web app; returns the X-CSRF-Token header to send."""
    account = user(hub, role, phone)
    response = client.post("/api/session", json={"phone": account.phone, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": client.cookies["hamlet_csrf"]}
