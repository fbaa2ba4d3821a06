"""`hamlet user …` on the data dir's hub.sqlite3, and the demo accounts of `hamlet up`, printed once."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from hub import cli
from hub.auth.passwords import Passwords
from hub.auth.service import Auth
from hub.runtime import open_state
from tests.support.procs import free_port


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HAMLET_DATA_DIR", str(tmp_path))
    return tmp_path


def hamlet(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def can_log_in(data_dir: Path, phone: str, password: str) -> bool:
    db = open_state(data_dir)  # as the hub and the CLI open it: with the services' migrations
    try:
        user = Auth(db).users.by_phone(phone)
        return user is not None and not user.disabled and Passwords().verify(user.password_hash, password)
    finally:
        db.close()


def test_add_with_a_random_password_printed_once(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hamlet(capsys, "user", "add", "--phone", "0912 345 678", "--role", "head", "--name", "Ông Hùng")
    assert code == 0
    password = re.search(r"password \(shown once\): (\S+)", out)
    assert password and can_log_in(data_dir, "+84912345678", password.group(1))
    code, out, _ = hamlet(capsys, "user", "list")
    assert "0912 345 678" in out and "head" in out and "Ông Hùng" in out
    assert password.group(1) not in out and "argon2" not in out


def test_add_with_a_given_password_and_from_stdin(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = hamlet(capsys, "user", "add", "--phone", "+84912345678", "--role", "technician",
                          "--password", "tech-password")
    assert code == 0 and "shown once" not in out
    assert can_log_in(data_dir, "+84912345678", "tech-password")
    monkeypatch.setattr("sys.stdin", io.StringIO("stdin-password\n"))
    assert hamlet(capsys, "user", "add", "--phone", "0987654321", "--role", "resident", "--password", "-")[0] == 0
    assert can_log_in(data_dir, "+84987654321", "stdin-password")


def test_refusals(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert hamlet(capsys, "user", "add", "--phone", "0912345678", "--role", "head")[0] == 0
    code, _, err = hamlet(capsys, "user", "add", "--phone", "+84 912 345 678", "--role", "resident")
    assert code == 1 and "already has an account" in err
    code, _, err = hamlet(capsys, "user", "add", "--phone", "12345", "--role", "resident")
    assert code == 2 and "0912 345 678" in err
    code, _, err = hamlet(capsys, "user", "add", "--phone", "0987654321", "--role", "resident", "--password", "short")
    assert code == 2 and "8 to 128" in err
    code, _, err = hamlet(capsys, "user", "disable", "--phone", "0900000000")
    assert code == 1 and "no account" in err
    with pytest.raises(SystemExit):
        hamlet(capsys, "user", "add", "--phone", "0987654321", "--role", "mayor")


def test_disable_enable_and_reset_password(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hamlet(capsys, "user", "add", "--phone", "0987654321", "--role", "resident", "--password", "first-password")
    assert hamlet(capsys, "user", "disable", "--phone", "0987654321")[0] == 0
    assert not can_log_in(data_dir, "+84987654321", "first-password")
    assert "disabled" in hamlet(capsys, "user", "list")[1]
    assert hamlet(capsys, "user", "enable", "--phone", "0987 654 321")[0] == 0
    assert can_log_in(data_dir, "+84987654321", "first-password")
    code, out, _ = hamlet(capsys, "user", "reset-password", "--phone", "0987654321")
    new = re.search(r"password \(shown once\): (\S+)", out)
    assert code == 0 and new is not None
    assert can_log_in(data_dir, "+84987654321", new.group(1))
    assert not can_log_in(data_dir, "+84987654321", "first-password")


def test_hamlet_up_prints_the_demo_accounts_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []

    def serve(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        """Instead of serving: what uvicorn was handed, the web port already bound."""
        assert sockets is not None
        served.append((server.config.app, [s.getsockname()[1] for s in sockets]))
        server.started = True

    monkeypatch.setattr(uvicorn.Server, "run", serve)
    port = str(free_port())
    code, out, _ = hamlet(capsys, "up", "--no-sim", "--port", port)
    assert code == 0 and len(served) == 1 and served[0][1] == [int(port)]
    lines = re.findall(r"^\s+(head|technician|resident)\s+(0\d{9})\s+(\S+)$", out, re.MULTILINE)
    assert [role for role, _, _ in lines] == ["head", "technician", "resident"]
    for _, phone, password in lines:
        assert can_log_in(data_dir, "+84" + phone[1:], password)
    code, again, _ = hamlet(capsys, "up", "--no-sim", "--port", port)
    assert code == 0 and not re.search(r"^\s+head\s+0\d{9}", again, re.MULTILINE)
    assert all(password not in again for _, _, password in lines)
