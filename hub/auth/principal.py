"""Who is asking: the three roles and the authenticated principal every protected route receives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")


class Role(StrEnum):
    HEAD = "head"  # trưởng khu: lights, bulletins, residents
    TECHNICIAN = "technician"  # kỹ thuật viên: devices, cameras, diagnostics
    RESIDENT = "resident"  # người dân: read-only


ANY_ROLE: tuple[Role, ...] = (Role.HEAD, Role.TECHNICIAN, Role.RESIDENT)


@dataclass(frozen=True)
class Principal:
    user_id: int
    phone: str
    name: str
    role: Role
    language: str  # "vi" | "en"
