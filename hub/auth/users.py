"""Accounts in the state DB: phone number (canonical), name, role, argon2 hash, disabled, language."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from hub.auth.errors import Conflict
from hub.auth.principal import Principal, Role
from hub.statedb import StateDB

COLUMNS = "id, phone, name, role, password_hash, disabled, language, created_ms"


@dataclass(frozen=True)
class User:
    id: int
    phone: str
    name: str
    role: Role
    disabled: bool
    language: str
    created_ms: int
    password_hash: str = field(repr=False)  # never in a repr, so never in a log line or traceback

    def principal(self) -> Principal:
        return Principal(self.id, self.phone, self.name, self.role, self.language)


def user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=row["id"], phone=row["phone"], name=row["name"], role=Role(row["role"]),
        disabled=bool(row["disabled"]), language=row["language"], created_ms=row["created_ms"],
        password_hash=row["password_hash"],
    )


def insert_user(
    conn: sqlite3.Connection, phone: str, name: str, role: Role, password_hash: str, language: str, now: int
) -> int:
    """Inside a caller's transaction (an invite's acceptance inserts the user and spends the code at once)."""
    try:
        cursor = conn.execute(
            "INSERT INTO users (phone, name, role, password_hash, language, created_ms) VALUES (?,?,?,?,?,?)",
            (phone, name, role.value, password_hash, language, now),
        )
    except sqlite3.IntegrityError:
        raise Conflict("this phone number already has an account") from None
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class UserStore:
    def __init__(self, db: StateDB) -> None:
        self.db = db

    def add(self, phone: str, name: str, role: Role, password_hash: str, language: str, now: int) -> User:
        with self.db.transaction() as conn:
            user_id = insert_user(conn, phone, name, role, password_hash, language, now)
        user = self.get(user_id)
        assert user is not None
        return user

    def get(self, user_id: int) -> User | None:
        row = self.db.fetchone(f"SELECT {COLUMNS} FROM users WHERE id = ?", (user_id,))
        return user_from_row(row) if row else None

    def by_phone(self, phone: str) -> User | None:
        row = self.db.fetchone(f"SELECT {COLUMNS} FROM users WHERE phone = ?", (phone,))
        return user_from_row(row) if row else None

    def all(self) -> list[User]:
        return [user_from_row(r) for r in self.db.fetchall(f"SELECT {COLUMNS} FROM users ORDER BY id")]

    def count(self) -> int:
        return int(self.db.scalar("SELECT count(*) FROM users"))

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))
            if disabled:  # a disabled account is signed out everywhere at once
                conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    def set_password(self, user_id: int, password_hash: str, *, sign_out: bool = True) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            if sign_out:  # a reset password means the old one may be known: end its sessions
                conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    def update(self, user_id: int, *, name: str | None = None, language: str | None = None) -> None:
        with self.db.transaction() as conn:
            if name is not None:
                conn.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))
            if language is not None:
                conn.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))
