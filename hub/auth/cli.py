"""`hamlet user add|list|disable|enable|reset-password`: accounts in the data dir's hub.sqlite3, directly.

No running hub is needed; when one runs, the change applies at its next request (sessions are looked up
per request, and disabling or resetting a password ends the account's sessions).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from hub.auth.errors import AuthError
from hub.auth.passwords import MAX_LENGTH, MIN_LENGTH, random_password
from hub.auth.phone import PhoneError, display_phone, normalise_phone
from hub.auth.principal import Role
from hub.auth.service import Auth
from hub.auth.users import User
from hub.statedb import MIGRATIONS, Migration, StateDB


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="manage accounts (works on HAMLET_DATA_DIR/hub.sqlite3 directly)")
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an account; a random password is printed when none is given")
    add.add_argument("--phone", required=True, help="e.g. 0912 345 678 or +84912345678")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--password", help="the password, or - to read it from stdin (keeps it out of history)")
    add.add_argument("--name", help="the name shown in the app (default: the phone number)")
    add.add_argument("--language", choices=["vi", "en"], default="vi")
    actions.add_parser("list", help="list accounts")
    for action, text in (("disable", "disable an account and end its sessions"), ("enable", "enable it again")):
        actions.add_parser(action, help=text).add_argument("--phone", required=True)
    reset = actions.add_parser("reset-password", help="set a new password (random when none is given)")
    reset.add_argument("--phone", required=True)
    reset.add_argument("--password", help="the password, or - to read it from stdin")


def run(args: argparse.Namespace, data_dir: Path, out: TextIO | None = None,
        migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """`migrations`: every one the hub knows (hub.runtime.migrations()), or a hub's database is refused."""
    db = StateDB(data_dir / "hub.sqlite3", migrations)
    try:
        return _dispatch(args, Auth(db), out or sys.stdout)
    except (PhoneError, ValueError) as exc:
        print(f"hamlet: {exc}", file=sys.stderr)
        return 2
    except AuthError as exc:
        print(f"hamlet: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.close()


def _dispatch(args: argparse.Namespace, auth: Auth, out: TextIO) -> int:
    command: str = args.user_command
    if command == "list":
        for user in auth.users.all():
            print(_row(user), file=out)
        return 0
    phone = normalise_phone(args.phone)
    if command == "add":
        password, generated = _password(args.password)
        user = auth.add_user(phone, Role(args.role), password, args.name or display_phone(phone), args.language)
        print(f"added {_row(user)}", file=out)
    elif command in ("disable", "enable"):
        user = auth.by_phone(phone)
        auth.set_disabled(None, user.id, command == "disable")
        print(f"{command}d {display_phone(phone)}", file=out)
        return 0
    else:  # reset-password
        password, generated = _password(args.password)
        auth.reset_password(phone, password)
        print(f"new password set for {display_phone(phone)}; its sessions are ended", file=out)
    if generated:
        print(f"password (shown once): {password}", file=out)
    return 0


def _password(given: str | None) -> tuple[str, bool]:
    if given is None:
        return random_password(), True
    password = sys.stdin.readline().rstrip("\n") if given == "-" else given
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValueError(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    return password, False


def _row(user: User) -> str:
    state = "disabled" if user.disabled else "active"
    phone = display_phone(user.phone)
    return f"{user.id:>4}  {user.role.value:<11} {phone:<14} {state:<8} {user.language}  {user.name}"
