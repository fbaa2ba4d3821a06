"""What a technician sends to register a camera or put it in maintenance, and what the API answers.

Split by role as the API is: residents get `CameraPublic` (status in words, no address, a thumbnail only
when the site allows it); the head and technicians get `CameraDetail` (reasons, history, faults, address).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from hub.cameras.address import check_host, check_path

Fraction = Annotated[float, Field(ge=0, le=1)]


def _path(value: str | None) -> str | None:
    return None if value is None else check_path(value)


class Registration(BaseModel):
    """Host, port and paths: never a URL (see hub/cameras/address.py for why)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: Annotated[str, Field(min_length=1, max_length=253), AfterValidator(check_host)]
    port: Annotated[int, Field(ge=1, le=65535)] = 80
    snapshot_path: Annotated[str, AfterValidator(check_path)] = "/snapshot.jpg"
    health_path: Annotated[str | None, AfterValidator(_path)] = "/health"
    stream_path: Annotated[str | None, AfterValidator(_path)] = None
    clock_region: tuple[Fraction, Fraction, Fraction, Fraction] | None = None  # x, y, w, h of the on-screen clock
    interval_s: Annotated[int, Field(ge=5, le=3600)] = 30


class MaintenanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    until_ms: Annotated[int, Field(ge=0, le=32_503_680_000_000)] | None  # None ends maintenance now
    note: Annotated[str, Field(max_length=200)] = ""


class ReasonView(BaseModel):
    code: str
    vi: str
    en: str
    since_ms: int | None


class CameraPublic(BaseModel):
    id: str
    name: str
    gate: str
    gate_name: str
    status: str  # ok | degraded | offline | maintenance | unknown
    vi: str  # "hình bị che khuất", "hoạt động tốt"
    en: str
    since_ms: int | None  # since when the status (or its first reason) holds
    reasons: list[ReasonView]
    maintenance_until_ms: int | None
    uptime_7d: float | None  # share of the last 7 days it answered (None: not probed yet)
    checked_ms: int | None
    thumbnail: bool  # GET /api/cameras/{id}/thumbnail is allowed for this caller


class HistoryEntry(BaseModel):
    ts_ms: int
    status: str
    reasons: list[str]


class FaultView(BaseModel):
    id: int
    kind: str
    vi: str
    en: str
    opened_ms: int
    seen_ms: int | None
    closed_ms: int | None
    picture: bool  # GET /api/cameras/{id}/faults/{fault_id}/picture has the JPEG that raised it


class CameraDetail(CameraPublic):
    address: Registration | None
    latency_ms: float | None
    history: list[HistoryEntry]
    faults: list[FaultView]
    readings: dict[str, float | int | bool | None]
