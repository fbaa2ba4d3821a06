"""The demo accounts `hamlet up` (make run) creates on its first start: a head, a technician and a
resident with random passwords, printed once. Their numbers are in the 0900 000 00x block, which no
real subscriber in the hamlet will type by accident."""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.passwords import random_password
from hub.auth.phone import local_phone
from hub.auth.principal import Role
from hub.auth.service import Auth

DEMO_ACCOUNTS: tuple[tuple[Role, str, str], ...] = (
    (Role.HEAD, "+84900000001", "Trưởng khu (demo)"),
    (Role.TECHNICIAN, "+84900000002", "Kỹ thuật viên (demo)"),
    (Role.RESIDENT, "+84900000003", "Người dân (demo)"),
)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: Role
    phone: str  # as typed on the login page: 0900000001
    password: str


def create_demo_accounts(auth: Auth) -> list[DemoAccount]:
    """Only into an empty database: a hub that has accounts never gets demo ones (or new passwords)."""
    if auth.users.count():
        return []
    created = []
    for role, phone, name in DEMO_ACCOUNTS:
        password = random_password()
        auth.add_user(phone, role, password, name)
        created.append(DemoAccount(role, local_phone(phone), password))
    return created


def demo_lines(accounts: list[DemoAccount]) -> list[str]:
    """One line per account: role, phone number, password."""
    if not accounts:
        return []
    head = "  Tài khoản thử (chỉ hiện một lần) / demo accounts (shown once, save them now):"
    return [head, *(f"    {a.role.value:<11} {a.phone}  {a.password}" for a in accounts)]
