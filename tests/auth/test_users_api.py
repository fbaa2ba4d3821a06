"""The Residents page (head) and the audit log API (head, technician)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.access import Principal, Role
from hub.runtime import Hub
from tests.auth.clients import bearer, user


def test_the_head_lists_accounts_without_their_hashes(client: TestClient, hub: Hub) -> None:
    user(hub, Role.RESIDENT)
    users = client.get("/api/users", headers=bearer(hub, Role.HEAD)).json()
    assert {u["role"] for u in users} == {"head", "resident"}
    assert all("password" not in key for u in users for key in u)
    assert "$argon2" not in str(users)


def test_the_head_disables_and_enables_a_resident(client: TestClient, hub: Hub) -> None:
    resident = bearer(hub, Role.RESIDENT)
    target = user(hub, Role.RESIDENT)
    head = bearer(hub, Role.HEAD)
    r = client.post(f"/api/users/{target.id}/disable", headers=head)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert client.get("/api/me", headers=resident).status_code == 401  # signed out at once
    assert client.post(f"/api/users/{target.id}/enable", headers=head).json()["disabled"] is False
    entries = [(e.action, e.outcome) for e in hub.auth.audit.page(action="user")][:2]
    assert entries == [("user.enable", "ok"), ("user.disable", "ok")]


def test_the_head_manages_residents_only(client: TestClient, hub: Hub) -> None:
    technician = user(hub, Role.TECHNICIAN)
    head = bearer(hub, Role.HEAD)
    r = client.post(f"/api/users/{technician.id}/disable", headers=head)
    assert r.status_code == 403
    assert client.post("/api/users/999/disable", headers=head).status_code == 404
    stored = hub.auth.users.get(technician.id)
    assert stored is not None and not stored.disabled
    assert hub.auth.audit.page(action="user.disable")[0].outcome == "denied"


def test_audit_log_is_newest_first_paged_and_filtered(client: TestClient, hub: Hub) -> None:
    tech = bearer(hub, Role.TECHNICIAN)
    head = user(hub, Role.HEAD)
    principal = head.principal()
    for i in range(5):
        # the helper other services use: hub.auth.audit.record(principal, action, target, outcome, detail)
        hub.auth.audit.record(principal, "light.command", f"group:ngo-{i}", "ok", detail="on 80%")
    hub.auth.audit.record(principal, "lightning.test", "x", "failed")

    first = client.get("/api/audit", params={"action": "light", "limit": 3}, headers=tech).json()
    assert [e["target"] for e in first["items"]] == ["group:ngo-4", "group:ngo-3", "group:ngo-2"]
    assert first["items"][0]["role"] == "head" and first["items"][0]["actor"] == head.phone
    second = client.get("/api/audit", params={"action": "light", "limit": 3, "before": first["next_before"]},
                        headers=tech).json()
    assert [e["target"] for e in second["items"]] == ["group:ngo-1", "group:ngo-0"]
    assert second["next_before"] is None

    by_head = client.get("/api/audit", params={"user": head.id}, headers=tech).json()["items"]
    assert {e["user_id"] for e in by_head} == {head.id} and len(by_head) == 6
    exact = client.get("/api/audit", params={"action": "lightning.test"}, headers=tech).json()["items"]
    assert [e["outcome"] for e in exact] == ["failed"]


def test_audit_record_without_a_principal(hub: Hub) -> None:
    hub.auth.audit.record(None, "broadcast.missed", "loa-1", "failed", actor="scheduler")
    entry = hub.auth.audit.page()[0]
    assert (entry.user_id, entry.actor, entry.role) == (None, "scheduler", None)


def test_principal_is_a_frozen_value() -> None:
    p = Principal(1, "+84912345678", "A", Role.HEAD, "vi")
    assert p == Principal(1, "+84912345678", "A", Role.HEAD, "vi") and hash(p)
