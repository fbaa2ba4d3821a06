"""The head invites a resident: code, link and QR; the code works once and expires."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.access import Role
from hub.runtime import Hub
from hub.timeutil import now_ms
from tests.auth.clients import bearer, user

NEW = {"phone": "0987 654 321", "name": "Bà Lan", "password": "lan-password-1"}
WEEK_MS = 7 * 86_400_000


def invite(client: TestClient, hub: Hub) -> dict[str, Any]:
    r = client.post("/api/invites", headers=bearer(hub, Role.HEAD))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_an_invite_has_a_code_a_link_and_a_qr_svg(client: TestClient, hub: Hub) -> None:
    body = invite(client, hub)
    assert len(body["code"]) == 12 and body["code"].isalnum()
    assert body["link"] == f"http://testserver/#/invite/{body['code']}"  # in the fragment: never logged
    svg = ET.fromstring(body["qr_svg"])  # noqa: S314 -- our own segno output, parsed to check its shape
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and len(svg) > 0
    assert abs(body["expires_ms"] - (now_ms() + WEEK_MS)) < 60_000


def test_accepting_creates_a_signed_in_resident(hub: Hub, client: TestClient) -> None:
    code = invite(client, hub)["code"]
    r = client.post(f"/api/invites/{code}/accept", json=NEW)
    assert r.status_code == 201
    assert r.json()["role"] == "resident" and r.json()["phone"] == "+84987654321"
    assert client.get("/api/me").json()["name"] == "Bà Lan"  # the cookie came with the answer
    client.cookies.clear()
    assert client.post("/api/session", json={"phone": "0987654321", "password": NEW["password"]}).status_code == 200


def test_a_code_works_once(client: TestClient, hub: Hub) -> None:
    code = invite(client, hub)["code"]
    assert client.post(f"/api/invites/{code}/accept", json=NEW).status_code == 201
    again = client.post(f"/api/invites/{code}/accept", json={**NEW, "phone": "0987654322"})
    assert again.status_code == 410 and "already been used" in again.json()["detail"]
    assert hub.auth.users.by_phone("+84987654322") is None


def test_an_expired_code_is_refused(client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    code = invite(client, hub)["code"]
    monkeypatch.setattr(hub.auth, "clock", lambda: now_ms() + WEEK_MS + 1000)
    r = client.post(f"/api/invites/{code}/accept", json=NEW)
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    assert hub.auth.users.by_phone("+84987654321") is None


def test_unknown_code(client: TestClient) -> None:
    assert client.post("/api/invites/NOSUCHCODE23/accept", json=NEW).status_code == 404


def test_codes_are_forgiving_about_case_and_dashes(client: TestClient, hub: Hub) -> None:
    code = invite(client, hub)["code"]
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    assert client.post(f"/api/invites/{typed}/accept", json=NEW).status_code == 201


def test_a_taken_phone_number_does_not_spend_the_code(client: TestClient, hub: Hub) -> None:
    user(hub, Role.RESIDENT, "+84987654321")
    code = invite(client, hub)["code"]
    taken = client.post(f"/api/invites/{code}/accept", json=NEW)
    assert taken.status_code == 409
    assert client.post(f"/api/invites/{code}/accept", json={**NEW, "phone": "0987654322"}).status_code == 201


@pytest.mark.parametrize(("change", "field"), [
    ({"password": "short"}, "password"),
    ({"phone": "12"}, "phone"),
    ({"name": "   "}, "name"),
    ({"role": "head"}, "role"),  # an invite only ever makes a resident
])
def test_bad_acceptance_is_a_422_naming_the_field(
    client: TestClient, hub: Hub, change: dict[str, str], field: str
) -> None:
    code = invite(client, hub)["code"]
    r = client.post(f"/api/invites/{code}/accept", json={**NEW, **change})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["body", field]]


def test_guessing_codes_is_rate_limited(client: TestClient) -> None:
    for i in range(5):
        client.post(f"/api/invites/GUESS{i:07d}/accept", json=NEW)
    r = client.post("/api/invites/GUESS9999999/accept", json=NEW)
    assert r.status_code == 429 and "Retry-After" in r.headers
