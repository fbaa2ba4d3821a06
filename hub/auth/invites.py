"""One-time invitations from the hamlet head to residents: a short code, a link, the link as a QR code.

Only the code's hash is stored. Accepting an invite creates the resident and spends the code in one
transaction, so two phones racing with the same code create one account.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

from hub.auth.errors import Gone, NotFound
from hub.auth.principal import Role
from hub.auth.tokens import new_code, token_hash
from hub.auth.users import insert_user
from hub.statedb import StateDB


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    expires_ms: int


@dataclass(frozen=True, slots=True)
class NewResident:
    phone: str
    name: str
    password_hash: str
    language: str


def normalise_code(code: str) -> str:
    """People type codes in lower case and with spaces or dashes; the stored hash is of the bare form."""
    return "".join(code.split()).replace("-", "").upper()


def invite_link(base_url: str, code: str) -> str:
    # In the fragment: the browser never sends it, so the code stays out of every access log.
    return f"{base_url.rstrip('/')}/#/invite/{code}"


def qr_svg(text: str) -> str:
    """A standalone SVG (with its namespace), usable inline or as an <img> data: URL."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", xmldecl=False, scale=4, border=2, svgclass="qr")
    return out.getvalue().decode()


class InviteStore:
    def __init__(self, db: StateDB) -> None:
        self.db = db

    def create(self, created_by: int, now: int, ttl_ms: int) -> Invite:
        code = new_code()
        self.db.execute(
            "INSERT INTO invites (code_hash, created_by, created_ms, expires_ms) VALUES (?,?,?,?)",
            (token_hash(code), created_by, now, now + ttl_ms),
        )
        return Invite(code, now + ttl_ms)

    def redeem(self, code: str, resident: NewResident, now: int) -> int:
        """Create the resident and spend the code; NotFound / Gone when it is unknown, used or expired."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT expires_ms, used_ms FROM invites WHERE code_hash = ?", (token_hash(normalise_code(code)),)
            ).fetchone()
            if row is None:
                raise NotFound("this invite code is not known")
            if row["used_ms"] is not None:
                raise Gone("this invite code has already been used")
            if row["expires_ms"] <= now:
                raise Gone("this invite code has expired: ask the hamlet head for a new one")
            user_id = insert_user(
                conn, resident.phone, resident.name, Role.RESIDENT, resident.password_hash, resident.language, now
            )
            conn.execute(
                "UPDATE invites SET used_ms = ?, used_by = ? WHERE code_hash = ?",
                (now, user_id, token_hash(normalise_code(code))),
            )
        return user_id
