"""Request and response models of the session, account, invite and audit routes (Create / Update / Public).

Requests are `extra="forbid"`: an unexpected field (a resident sending `"role"`) is a 422 naming it,
never silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hub.auth.passwords import MAX_LENGTH, MIN_LENGTH
from hub.auth.phone import display_phone, normalise_phone
from hub.auth.principal import Principal, Role
from hub.auth.users import User

Phone = Annotated[
    str, Field(max_length=40, examples=["0912 345 678"]), AfterValidator(normalise_phone)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
NewPassword = Annotated[str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
Language = Literal["vi", "en"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginCreate(_Request):
    phone: Phone
    # No length policy here: a login reveals nothing about the rules, it only checks.
    password: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
    token: bool = Field(False, description="true: answer a bearer token instead of setting the cookie")


class TokenPublic(BaseModel):
    token: str
    expires_ms: int


class MeUpdate(_Request):
    """The only fields a user may change about themselves. Role and phone are not among them."""

    name: Name | None = None
    language: Language | None = None


class MePublic(BaseModel):
    id: int
    phone: str  # canonical, +84…
    phone_display: str  # 0912 345 678
    name: str
    role: Role
    language: Language

    @classmethod
    def of(cls, p: Principal) -> MePublic:
        language: Language = "en" if p.language == "en" else "vi"
        return cls(id=p.user_id, phone=p.phone, phone_display=display_phone(p.phone), name=p.name, role=p.role,
                   language=language)


class UserPublic(BaseModel):
    id: int
    phone: str
    phone_display: str
    name: str
    role: Role
    disabled: bool
    language: str
    created_ms: int

    @classmethod
    def of(cls, u: User) -> UserPublic:
        return cls(id=u.id, phone=u.phone, phone_display=display_phone(u.phone), name=u.name, role=u.role,
                   disabled=u.disabled, language=u.language, created_ms=u.created_ms)


class InvitePublic(BaseModel):
    code: str
    link: str
    qr_svg: str = Field(description="the link as a QR code, a standalone SVG document")
    expires_ms: int


class InviteAccept(_Request):
    phone: Phone
    name: Name
    password: NewPassword
    language: Language = "vi"


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built straight from hub.auth.audit.AuditEntry

    id: int
    ts_ms: int
    user_id: int | None
    actor: str | None
    role: str | None
    action: str
    target: str
    outcome: str
    detail: str | None
    address: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page; null at the end")
