"""The cameras' tables in hub.sqlite3: addresses, maintenance, current status (with the last picture),
status history (uptime is computed from it) and faults (with the picture that raised each one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.cameras.models import Registration
from hub.statedb import Migration, StateDB

MIGRATIONS = (
    Migration("cameras-001-tables", """
        CREATE TABLE camera_addresses (
            device TEXT PRIMARY KEY, body TEXT NOT NULL, updated_ms INTEGER NOT NULL, updated_by INTEGER
        );
        CREATE TABLE camera_maintenance (
            device TEXT PRIMARY KEY, until_ms INTEGER NOT NULL, note TEXT NOT NULL, set_by INTEGER,
            set_ms INTEGER NOT NULL
        );
        CREATE TABLE camera_status (
            device TEXT PRIMARY KEY, status TEXT NOT NULL, reasons TEXT NOT NULL, since_ms INTEGER NOT NULL,
            checked_ms INTEGER, latency_ms REAL, readings TEXT NOT NULL, thumbnail BLOB
        );
        CREATE TABLE camera_history (
            id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts_ms INTEGER NOT NULL, status TEXT NOT NULL,
            reasons TEXT NOT NULL
        );
        CREATE INDEX camera_history_device ON camera_history(device, ts_ms);
        CREATE TABLE camera_faults (
            id INTEGER PRIMARY KEY, device TEXT NOT NULL, kind TEXT NOT NULL, opened_ms INTEGER NOT NULL,
            seen_ms INTEGER, seen_by INTEGER, closed_ms INTEGER, picture BLOB
        );
        CREATE UNIQUE INDEX camera_faults_open ON camera_faults(device, kind) WHERE closed_ms IS NULL;
        CREATE INDEX camera_faults_device ON camera_faults(device, opened_ms);
    """),
)
MAX_PICTURE_BYTES = 512 * 1024  # what is kept of a picture: a snapshot of a normal camera fits


@dataclass(frozen=True, slots=True)
class Saved:
    """A camera's current status as stored (and loaded back at start)."""

    device: str
    status: str
    since: dict[str, int]  # reason -> since when; "" -> since when the status holds
    checked_ms: int | None
    latency_ms: float | None
    readings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FaultRow:
    id: int
    device: str
    kind: str
    opened_ms: int
    seen_ms: int | None
    closed_ms: int | None
    picture: bool


class CameraStore:
    def __init__(self, db: StateDB) -> None:
        self._db = db

    # --- registrations and maintenance ---------------------------------------------------------
    def addresses(self) -> dict[str, Registration]:
        rows = self._db.fetchall("SELECT device, body FROM camera_addresses")
        return {r["device"]: Registration.model_validate_json(r["body"]) for r in rows}

    def set_address(self, device: str, reg: Registration, by: int | None, now: int) -> None:
        self._db.execute(
            "INSERT INTO camera_addresses(device, body, updated_ms, updated_by) VALUES (?,?,?,?) "
            "ON CONFLICT(device) DO UPDATE SET body=excluded.body, updated_ms=excluded.updated_ms, "
            "updated_by=excluded.updated_by", (device, reg.model_dump_json(), now, by))

    def maintenance(self) -> dict[str, int]:
        rows = self._db.fetchall("SELECT device, until_ms FROM camera_maintenance")
        return {r["device"]: r["until_ms"] for r in rows}

    def set_maintenance(self, device: str, until_ms: int | None, note: str, by: int | None, now: int) -> None:
        if until_ms is None:
            self._db.execute("DELETE FROM camera_maintenance WHERE device = ?", (device,))
            return
        self._db.execute(
            "INSERT INTO camera_maintenance(device, until_ms, note, set_by, set_ms) VALUES (?,?,?,?,?) "
            "ON CONFLICT(device) DO UPDATE SET until_ms=excluded.until_ms, note=excluded.note, "
            "set_by=excluded.set_by, set_ms=excluded.set_ms", (device, until_ms, note, by, now))

    # --- status, history, faults: written together after each round of probes ---------------
    def statuses(self) -> dict[str, Saved]:
        rows = self._db.fetchall("SELECT device, status, reasons, checked_ms, latency_ms, readings FROM camera_status")
        return {r["device"]: Saved(r["device"], r["status"], json.loads(r["reasons"]), r["checked_ms"],
                                   r["latency_ms"], json.loads(r["readings"])) for r in rows}

    def save(self, saved: Saved, thumbnail: bytes | None, history: bool, now: int) -> None:
        picture = thumbnail if thumbnail is not None and len(thumbnail) <= MAX_PICTURE_BYTES else None
        since = saved.since.get("", now)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO camera_status(device, status, reasons, since_ms, checked_ms, latency_ms, readings, "
                "thumbnail) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(device) DO UPDATE SET status=excluded.status, "
                "reasons=excluded.reasons, since_ms=excluded.since_ms, checked_ms=excluded.checked_ms, "
                "latency_ms=excluded.latency_ms, readings=excluded.readings, "
                "thumbnail=COALESCE(excluded.thumbnail, camera_status.thumbnail)",
                (saved.device, saved.status, json.dumps(saved.since), since, saved.checked_ms, saved.latency_ms,
                 json.dumps(saved.readings), picture))
            if history:
                reasons = sorted(k for k in saved.since if k)
                conn.execute("INSERT INTO camera_history(device, ts_ms, status, reasons) VALUES (?,?,?,?)",
                             (saved.device, now, saved.status, json.dumps(reasons)))

    def thumbnail(self, device: str) -> bytes | None:
        value = self._db.scalar("SELECT thumbnail FROM camera_status WHERE device = ?", (device,))
        return bytes(value) if value is not None else None

    def history(self, device: str, since_ms: int, limit: int = 200) -> list[tuple[int, str, list[str]]]:
        rows = self._db.fetchall(
            "SELECT ts_ms, status, reasons FROM camera_history WHERE device = ? AND ts_ms >= ? "
            "ORDER BY ts_ms DESC LIMIT ?", (device, since_ms, limit))
        return [(r["ts_ms"], r["status"], json.loads(r["reasons"])) for r in rows]

    def uptime(self, device: str, since_ms: int, until_ms: int) -> float | None:
        """Share of [since, until) the camera answered, from its history; maintenance and the time before
        its first probe count neither way. None when nothing is known."""
        before = self._db.fetchone(
            "SELECT ts_ms, status FROM camera_history WHERE device = ? AND ts_ms < ? ORDER BY ts_ms DESC LIMIT 1",
            (device, since_ms))
        rows = self._db.fetchall(
            "SELECT ts_ms, status FROM camera_history WHERE device = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms",
            (device, since_ms, until_ms))
        points = ([(since_ms, before["status"])] if before is not None else []) + [(r[0], r[1]) for r in rows]
        if not points:
            return None
        up = known = 0
        for (start, status), end in zip(points, [p[0] for p in points[1:]] + [until_ms], strict=True):
            if status == "maintenance":
                continue
            known += end - start
            up += (end - start) if status != "offline" else 0
        return up / known if known > 0 else None

    def open_fault(self, device: str, kind: str, now: int, picture: bytes | None) -> int:
        kept = picture if picture is not None and len(picture) <= MAX_PICTURE_BYTES else None
        cursor = self._db.execute(
            "INSERT INTO camera_faults(device, kind, opened_ms, picture) VALUES (?,?,?,?) "
            "ON CONFLICT DO NOTHING", (device, kind, now, kept))
        return int(cursor.lastrowid or 0)

    def close_fault(self, device: str, kind: str, now: int) -> None:
        self._db.execute("UPDATE camera_faults SET closed_ms = ? WHERE device = ? AND kind = ? AND closed_ms IS NULL",
                         (now, device, kind))

    def see_fault(self, device: str, fault_id: int, by: int, now: int) -> bool:
        cursor = self._db.execute(
            "UPDATE camera_faults SET seen_ms = ?, seen_by = ? WHERE id = ? AND device = ? AND seen_ms IS NULL",
            (now, by, fault_id, device))
        return cursor.rowcount > 0

    def open_faults(self) -> set[tuple[str, str]]:
        rows = self._db.fetchall("SELECT device, kind FROM camera_faults WHERE closed_ms IS NULL")
        return {(r[0], r[1]) for r in rows}

    def faults(self, device: str, limit: int = 50) -> list[FaultRow]:
        rows = self._db.fetchall(
            "SELECT id, device, kind, opened_ms, seen_ms, closed_ms, picture IS NOT NULL AS has_picture "
            "FROM camera_faults WHERE device = ? ORDER BY id DESC LIMIT ?", (device, limit))
        return [FaultRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    def fault_picture(self, device: str, fault_id: int) -> bytes | None:
        value = self._db.scalar("SELECT picture FROM camera_faults WHERE id = ? AND device = ?", (fault_id, device))
        return bytes(value) if value is not None else None
