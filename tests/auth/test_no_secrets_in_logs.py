"""A full run with every logger at DEBUG: no password, session token, bearer token or cookie value may
appear in any log line, nor in the audit log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub import cli
from hub.api.access import Role
from hub.runtime import Hub
from tests.auth.clients import PASSWORD, user


def test_no_secret_in_any_log_line(
    client: TestClient, hub: Hub, caplog: pytest.LogCaptureFixture, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: set[str] = {PASSWORD}
    head = user(hub, Role.HEAD, "+84912345678")
    user(hub, Role.TECHNICIAN, "+84912345679")

    # a failed login, then a cookie login used for reads and writes
    client.post("/api/session", json={"phone": "0912345678", "password": "wrong-password-x"})
    secrets.add("wrong-password-x")
    assert client.post("/api/session", json={"phone": "0912345678", "password": PASSWORD}).status_code == 200
    session, csrf = client.cookies["hamlet_session"], client.cookies["hamlet_csrf"]
    secrets |= {session, csrf}
    assert client.get("/api/me").status_code == 200
    assert client.patch("/api/me", json={"language": "en"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/api/invites").status_code == 403  # a refused write (no CSRF header) is logged too
    code = client.post("/api/invites", headers={"X-CSRF-Token": csrf}).json()["code"]

    # a resident joins by invite and gets a cookie of their own
    resident = TestClient(client.app)
    accepted = resident.post(f"/api/invites/{code}/accept",
                             json={"phone": "0987654321", "name": "Bà Lan", "password": "resident-pass-1"})
    assert accepted.status_code == 201
    secrets |= {"resident-pass-1", resident.cookies["hamlet_session"], resident.cookies["hamlet_csrf"]}
    assert resident.get("/api/audit").status_code == 403

    # a scraper's bearer token
    token = client.post("/api/session", json={"phone": "0912345679", "password": PASSWORD, "token": True})
    bearer = token.json()["token"]
    secrets.add(bearer)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
    assert client.get("/api/audit", headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
    assert client.get("/api/me", headers={"Authorization": "Bearer forged-token-value"}).status_code == 401
    secrets.add("forged-token-value")
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204

    # the command line
    monkeypatch.setenv("HAMLET_DATA_DIR", str(tmp_path / "cli"))
    assert cli.main(["user", "add", "--phone", "0900000009", "--role", "resident", "--password", "cli-pass-123"]) == 0
    assert cli.main(["user", "reset-password", "--phone", "0900000009", "--password", "cli-pass-456"]) == 0
    secrets |= {"cli-pass-123", "cli-pass-456"}
    capsys.readouterr()

    lines = [logging.Formatter("%(name)s %(levelname)s %(message)s").format(r) for r in caplog.records]
    assert any("session.login" in line for line in lines), "the run logged nothing: is capture working?"
    leaks = [(s, line) for s in secrets for line in lines if s in line]
    assert not leaks, f"secrets in log lines: {leaks}"
    # The one-time invite code is in the accept route's path (POST /api/invites/{code}/accept): the test
    # client's own request line shows it, the hub's logs must not (hamlet runs uvicorn without access lines).
    server = [line for record, line in zip(caplog.records, lines, strict=True) if not record.name.startswith("httpx")]
    assert not [line for line in server if code in line]

    audit_text = str(hub.state.fetchall("SELECT * FROM audit"))
    assert not [s for s in secrets if s in audit_text]
    assert head.password_hash not in str(lines)
