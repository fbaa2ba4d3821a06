"""Every route × {anonymous, resident, technician, head}, called for real on the memory hub.

ADDING A ROUTE? Add a row to MATRIX: who may call it. The test fails until every route of the app is in
the table, and fails when the app answers differently from the table (anonymous: 401, another role: 403,
an allowed caller: any deliberate answer — 200, 404, 422 all mean "let through"; a 5xx fails).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.access import Role
from hub.runtime import Hub
from tests.auth.clients import bearer, user
from tests.auth.routes import concrete, operations

ANONYMOUS = "anonymous"
HEAD, TECHNICIAN, RESIDENT = Role.HEAD.value, Role.TECHNICIAN.value, Role.RESIDENT.value
ROLES = frozenset({HEAD, TECHNICIAN, RESIDENT})
PUBLIC = ROLES | {ANONYMOUS}
WHO = (ANONYMOUS, RESIDENT, TECHNICIAN, HEAD)

MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # the web app shell and the public list
    ("GET", "/"): PUBLIC,
    ("GET", "/app/{name:path}"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("POST", "/api/session"): PUBLIC,
    ("POST", "/api/invites/{code}/accept"): PUBLIC,
    # everyone logged in
    ("DELETE", "/api/session"): ROLES,
    ("GET", "/api/me"): ROLES,
    ("PATCH", "/api/me"): ROLES,
    ("GET", "/api/site"): ROLES,
    ("GET", "/api/home"): ROLES,
    ("GET", "/api/events"): ROLES,
    ("GET", "/api/devices"): ROLES,
    ("GET", "/api/devices/{device}"): ROLES,
    ("GET", "/api/devices/{device}/telemetry"): ROLES,
    # the hamlet head: residents
    ("GET", "/api/users"): frozenset({HEAD}),
    ("POST", "/api/users/{user_id}/disable"): frozenset({HEAD}),
    ("POST", "/api/users/{user_id}/enable"): frozenset({HEAD}),
    ("POST", "/api/invites"): frozenset({HEAD}),
    # technicians: diagnostics
    ("GET", "/metrics"): frozenset({TECHNICIAN}),
    ("GET", "/api/dead-letters"): frozenset({TECHNICIAN}),
    # head and technicians
    ("GET", "/api/audit"): frozenset({HEAD, TECHNICIAN}),
    # street lights: everyone reads the schedules; the head and technicians command and write them
    ("POST", "/api/lights/commands"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/lights/commands/{command_id}"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/lights/schedules"): ROLES,
    ("GET", "/api/lights/schedules/presets"): ROLES,
    ("GET", "/api/lights/schedules/preview"): ROLES,
    ("GET", "/api/lights/schedules/{rule_id}"): ROLES,
    ("GET", "/api/lights/schedules/sync"): frozenset({HEAD, TECHNICIAN}),
    ("POST", "/api/lights/schedules"): frozenset({HEAD, TECHNICIAN}),
    ("PUT", "/api/lights/schedules/{rule_id}"): frozenset({HEAD, TECHNICIAN}),
    ("DELETE", "/api/lights/schedules/{rule_id}"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/lights/faults"): frozenset({HEAD, TECHNICIAN}),
    ("POST", "/api/lights/faults/{fault_id}/seen"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/lights/energy"): ROLES,
    # loudspeaker bulletins: everyone reads them (and listens again); the head and technicians write them,
    # read the as-run log and the speaker faults; speakers download media by hash without an account
    ("GET", "/api/broadcasts"): ROLES,
    ("GET", "/api/broadcasts/upcoming"): ROLES,
    ("GET", "/api/broadcasts/{bulletin_id}"): ROLES,
    ("POST", "/api/broadcasts"): frozenset({HEAD, TECHNICIAN}),
    ("PUT", "/api/broadcasts/{bulletin_id}"): frozenset({HEAD, TECHNICIAN}),
    ("POST", "/api/broadcasts/{bulletin_id}/cancel"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/broadcasts/log"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/broadcasts/faults"): frozenset({HEAD, TECHNICIAN}),
    ("POST", "/api/broadcasts/faults/{fault_id}/seen"): frozenset({HEAD, TECHNICIAN}),
    ("POST", "/api/media"): frozenset({HEAD, TECHNICIAN}),
    ("POST", "/api/media/speech"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/media/{sha256}"): PUBLIC,
    # security cameras: everyone reads the status per gate; pictures for the head and technicians (residents
    # only when the site turns cameras_residents_see_thumbnails on: off in the test hub); technicians set
    # where a camera answers and its maintenance
    ("GET", "/api/cameras"): ROLES,
    ("GET", "/api/cameras/{device}"): ROLES,
    ("GET", "/api/cameras/{device}/thumbnail"): frozenset({HEAD, TECHNICIAN}),
    ("GET", "/api/cameras/{device}/faults/{fault_id}/picture"): frozenset({HEAD, TECHNICIAN}),
    ("PUT", "/api/cameras/{device}/address"): frozenset({TECHNICIAN}),
    ("PUT", "/api/cameras/{device}/maintenance"): frozenset({TECHNICIAN}),
    ("POST", "/api/cameras/{device}/faults/{fault_id}/seen"): frozenset({HEAD, TECHNICIAN}),
}


def expected(allowed: frozenset[str], who: str) -> str:
    if who in allowed:
        return "let through"
    return "401" if who == ANONYMOUS else "403"


def observed(status: int) -> str:
    """A 500 is a crash, never "let through": the route must answer something deliberate (200, 404, 422...)."""
    return str(status) if status in (401, 403) or status >= 500 else "let through"


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    routes = {(method, path) for method, path, _ in operations(client.app)}  # type: ignore[arg-type]
    missing = sorted(routes - MATRIX.keys())
    assert not missing, (
        "routes missing from MATRIX in tests/auth/test_role_matrix.py — add a row saying who may call each:\n"
        + "\n".join(f"    ({m!r}, {p!r}): ...," for m, p in missing)
    )
    gone = sorted(MATRIX.keys() - routes)
    assert not gone, f"MATRIX lists routes the app no longer has: {gone}"


def test_role_matrix(client: TestClient, hub: Hub) -> None:
    # A resident the head may disable and enable, other than the resident making the calls.
    target = user(hub, Role.RESIDENT, "+84900000198")
    wrong = []
    for method, path, _ in operations(client.app):  # type: ignore[arg-type]
        allowed = MATRIX.get((method, path))
        if allowed is None:
            continue  # reported by test_every_route_is_in_the_matrix
        url = concrete(path, {"user_id": str(target.id)})
        for who in WHO:
            # A fresh token per call: DELETE /api/session ends the session it is called with.
            headers = {} if who == ANONYMOUS else bearer(hub, Role(who))
            body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
            with client.stream(method, url, headers=headers, json=body) as response:
                got = observed(response.status_code)  # streams (SSE) are closed unread
            if got != expected(allowed, who):
                wrong.append(f"{method} {url} as {who}: expected {expected(allowed, who)}, got {got}")
    assert not wrong, "\n".join(wrong)
