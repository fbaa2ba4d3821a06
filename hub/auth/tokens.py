"""Secrets handed to clients. Only their SHA-256 is stored, so a copy of hub.sqlite3 opens no session."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Invite codes are read aloud and typed on phones: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(session_token: str) -> str:
    """The CSRF value bound to a cookie session (signed double-submit): a cookie planted by someone else
    cannot pass, because the header must match the value derived from the real session."""
    return hmac.new(session_token.encode(), b"hamlet-csrf", hashlib.sha256).hexdigest()[:32]


def new_code(length: int = 12) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
