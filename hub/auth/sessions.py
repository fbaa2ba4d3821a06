"""Login sessions: a random token goes to the client (cookie or bearer), only its SHA-256 is stored.
The principal is read fresh from the users table on every request, so disabling an account or changing a
role takes effect at once."""

from __future__ import annotations

from typing import Literal

from hub.auth.principal import Principal, Role
from hub.auth.tokens import new_token, token_hash
from hub.statedb import StateDB

Via = Literal["cookie", "bearer"]


class SessionStore:
    def __init__(self, db: StateDB) -> None:
        self.db = db

    def create(self, user_id: int, via: Via, now: int, ttl_ms: int) -> str:
        token = new_token()
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_ms <= ?", (now,))  # sweep as we go
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, via, created_ms, expires_ms) VALUES (?,?,?,?,?)",
                (token_hash(token), user_id, via, now, now + ttl_ms),
            )
        return token

    def principal_for(self, token: str, via: Via, now: int) -> Principal | None:
        # `via` must match: a cookie session used as a bearer token would skip the CSRF check.
        row = self.db.fetchone(
            "SELECT u.id, u.phone, u.name, u.role, u.language FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.token_hash = ? AND s.via = ? AND s.expires_ms > ? AND u.disabled = 0",
            (token_hash(token), via, now),
        )
        if row is None:
            return None
        return Principal(row["id"], row["phone"], row["name"], Role(row["role"]), row["language"])

    def revoke(self, token: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))

    def count(self, user_id: int) -> int:
        return int(self.db.scalar("SELECT count(*) FROM sessions WHERE user_id = ?", (user_id,)))
