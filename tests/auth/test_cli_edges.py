"""`hamlet user …` at its edges: the help a person reads, the required options, the password length
bounds, stdin passwords kept verbatim, and the exact lines printed. (Mutants that survived `make mutation`.)"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from hub import cli
from hub.auth import cli as user_cli
from hub.auth.passwords import Passwords
from hub.auth.service import Auth
from hub.statedb import StateDB


def flat(text: str) -> str:
    return " " + " ".join(text.split()) + " "  # argparse wraps help to the terminal's width


def says(text: str, line: str) -> bool:
    return f" {line} " in text  # whole words: nothing added before or after


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def helps(parser: argparse.ArgumentParser) -> str:
    return flat(parser.format_help())


def test_the_help_a_person_reads() -> None:
    top = cli.parser()
    assert says(helps(top), "user manage accounts (works on HAMLET_DATA_DIR/hub.sqlite3 directly)")
    user = subparsers(top)["user"]
    text = helps(user)
    assert says(text, "hamlet user [-h] ACTION ...")
    for line in ("add create an account; a random password is printed when none is given", "list list accounts",
                 "disable disable an account and end its sessions", "enable enable it again",
                 "reset-password set a new password (random when none is given)"):
        assert says(text, line)
    actions = subparsers(user)
    add = helps(actions["add"])
    for line in ("--phone PHONE e.g. 0912 345 678 or +84912345678", "--role {head,technician,resident}",
                 "--password PASSWORD the password, or - to read it from stdin (keeps it out of history)",
                 "--name NAME the name shown in the app (default: the phone number)", "--language {vi,en}"):
        assert says(add, line)
    assert says(helps(actions["reset-password"]), "--password PASSWORD the password, or - to read it from stdin")


@pytest.mark.parametrize("argv", [
    ["user"],
    ["user", "add", "--role", "head"],
    ["user", "add", "--phone", "0912345678"],
    ["user", "add", "--phone", "0912345678", "--role", "head", "--language", "fr"],
    ["user", "disable"],
    ["user", "enable"],
    ["user", "reset-password"],
])
def test_a_missing_or_unknown_option_is_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.parser().parse_args(argv)
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_language_defaults_to_vietnamese_and_takes_english() -> None:
    base = ["user", "add", "--phone", "0912345678", "--role", "head"]
    assert cli.parser().parse_args(base).language == "vi"
    assert cli.parser().parse_args([*base, "--language", "en"]).language == "en"


def run(tmp_path: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = user_cli.run(cli.parser().parse_args(["user", *argv]), tmp_path, out)
    return code, out.getvalue()


def can_log_in(tmp_path: Path, phone: str, password: str) -> bool:
    db = StateDB(tmp_path / "hub.sqlite3")
    try:
        user = Auth(db).users.by_phone(phone)
        return user is not None and Passwords().verify(user.password_hash, password)
    finally:
        db.close()


def test_the_lines_each_action_prints(tmp_path: Path) -> None:
    assert run(tmp_path, "add", "--phone", "0912.345.678", "--role", "head", "--password", "head-password",
               "--language", "en") == (0, "added    1  head        0912 345 678   active   en  0912 345 678\n")
    assert run(tmp_path, "add", "--phone", "0987654321", "--role", "resident", "--password", "12345678",
               "--name", "Bà Lan") == (0, "added    2  resident    0987 654 321   active   vi  Bà Lan\n")
    assert run(tmp_path, "disable", "--phone", "0987654321") == (0, "disabled 0987 654 321\n")
    assert run(tmp_path, "list") == (0, "   1  head        0912 345 678   active   en  0912 345 678\n"
                                        "   2  resident    0987 654 321   disabled vi  Bà Lan\n")
    assert run(tmp_path, "enable", "--phone", "0987654321") == (0, "enabled 0987 654 321\n")
    assert run(tmp_path, "reset-password", "--phone", "0987654321", "--password", "new-password") == (
        0, "new password set for 0987 654 321; its sessions are ended\n")
    assert can_log_in(tmp_path, "+84987654321", "new-password")


def test_a_generated_password_is_printed_once_after_the_line(tmp_path: Path) -> None:
    code, out = run(tmp_path, "add", "--phone", "0912345678", "--role", "technician")
    added, shown, end = out.split("\n")
    assert code == 0 and added.startswith("added    1  technician") and end == ""
    assert shown.startswith("password (shown once): ")
    assert can_log_in(tmp_path, "+84912345678", shown.removeprefix("password (shown once): "))
    code, out = run(tmp_path, "reset-password", "--phone", "0912345678")
    reset, shown, _ = out.split("\n")
    assert reset == "new password set for 0912 345 678; its sessions are ended"
    assert can_log_in(tmp_path, "+84912345678", shown.removeprefix("password (shown once): "))


def test_output_goes_to_stdout_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli.parser().parse_args(["user", "list"])
    assert user_cli.run(args, tmp_path) == 0
    run(tmp_path, "add", "--phone", "0912345678", "--role", "head", "--password", "head-password")
    assert user_cli.run(args, tmp_path) == 0
    assert capsys.readouterr().out == "   1  head        0912 345 678   active   vi  0912 345 678\n"


@pytest.mark.parametrize(("length", "code"), [(7, 2), (8, 0), (128, 0), (129, 2)])
def test_a_password_has_8_to_128_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], length: int, code: int
) -> None:
    assert run(tmp_path, "add", "--phone", "0912345678", "--role", "head", "--password", "p" * length)[0] == code
    err = capsys.readouterr().err
    assert err == ("hamlet: a password has 8 to 128 characters\n" if code else "")
    assert can_log_in(tmp_path, "+84912345678", "p" * length) is (code == 0)


def test_a_password_from_stdin_keeps_its_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("  spaced out X\n"))
    assert run(tmp_path, "add", "--phone", "0912345678", "--role", "head", "--password", "-")[0] == 0
    assert can_log_in(tmp_path, "+84912345678", "  spaced out X")


def test_what_the_service_refuses_exits_1_with_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "disable", "--phone", "0912345678") == (1, "")
    assert capsys.readouterr().err == "hamlet: no account with phone number +84912345678\n"
    assert run(tmp_path, "add", "--phone", "12345", "--role", "head")[0] == 2
    assert capsys.readouterr().err == "hamlet: type the number as 0912 345 678 or +84 912 345 678\n"
