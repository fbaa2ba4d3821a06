"""Hub settings: from HAMLET_* environment variables, over an optional TOML config file, over defaults.

Validated once at start; a wrong value stops the hub with a message naming the setting, e.g.
`HAMLET_HTTP_PORT: Input should be a valid integer`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from ipaddress import IPv4Network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, IPvAnyNetwork, ValidationError

from devices.messages import DeviceId

ENV_PREFIX = "HAMLET_"
MODEL_SITE = Path(__file__).resolve().parent.parent / "devices" / "sites" / "son-vi-khu-10.toml"


def _comma_list(value: Any) -> Any:
    """A list setting from the environment arrives as one string: "10.0.0.1, 192.168.1.0/24"."""
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


class SettingsError(ValueError):
    """A setting with a wrong value; the message names the setting (as its environment variable)."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Path("data")
    site_file: Path = MODEL_SITE
    http_host: str = "127.0.0.1"
    http_port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # MQTT: empty means "start the embedded broker" (make run); mqtt://host:port for a real one.
    mqtt_url: str = ""
    mqtt_client_id: DeviceId = "hamlet-hub"
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_keepalive: Annotated[int, Field(ge=5, le=3600)] = 30
    embedded_broker_port: Annotated[int, Field(ge=0, le=65535)] = 1883
    # Telemetry store: empty means the embedded SQLite store; http(s)://… an InfluxDB (version from /ping).
    influx_url: str = ""
    influx_version: Literal["auto", "1", "2"] = "auto"
    influx_database: str = "hamlet"
    influx_username: str | None = None
    influx_password: str | None = None
    influx_token: str | None = None
    influx_org: str = "hamlet"
    influx_bucket: str = "hamlet"
    # Ingest: acknowledge to the broker in batches after the outbox commit.
    ingest_batch: Annotated[int, Field(ge=1, le=50_000)] = 2000
    ingest_flush_ms: Annotated[int, Field(ge=1, le=10_000)] = 20
    writer_batch: Annotated[int, Field(ge=1, le=50_000)] = 5000
    # A device clock further off than this is replaced by the ingest time (and counted).
    max_clock_ahead_s: Annotated[int, Field(ge=0)] = 300
    max_clock_behind_s: Annotated[int, Field(ge=0)] = 7 * 24 * 3600
    # /healthz says degraded when the data directory (outbox, SQLite store) has less free space than this.
    min_free_disk_mb: Annotated[int, Field(ge=0, le=1_000_000)] = 200
    # Dead letters: at most this many rows (the oldest go first), none kept longer than this.
    dead_letter_max_rows: Annotated[int, Field(ge=100, le=10_000_000)] = 10_000
    dead_letter_retention_days: Annotated[int, Field(ge=1, le=3650)] = 7
    simulate: bool = True  # `hamlet up` runs a simulated fleet of the site
    # Street lights: the electricity tariff energy is costed at (đồng per kWh; EVN's public-lighting retail
    # price is around 2,000 đ), and how long lights of one power cabinet may take to drop before their
    # losses count as one power cut (the broker notices each dead light up to 1.5 keepalives late).
    lights_tariff_vnd_per_kwh: Annotated[float, Field(ge=0, le=100_000)] = 2_000
    lights_offline_hold_s: Annotated[int, Field(ge=0, le=3600)] = 60
    # HTTP access: X-Forwarded-For is believed only from these proxies (addresses or CIDRs, comma-separated
    # in the environment); empty: the peer's own address is the client's. The audit log keeps this long.
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], BeforeValidator(_comma_list)] = ()
    audit_retention_days: Annotated[int, Field(ge=1, le=3650)] = 365
    audit_max_rows: Annotated[int, Field(ge=1000, le=10_000_000)] = 200_000
    # Cameras (hub/cameras): the networks technicians may register cameras on (comma-separated in the
    # environment; loopback only when listed here explicitly, as tests do), how many probes run at once,
    # and whether residents see a recent picture (the head and technicians always do).
    cameras_allowed_networks: Annotated[tuple[IPvAnyNetwork, ...], BeforeValidator(_comma_list)] = (
        IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12"), IPv4Network("192.168.0.0/16"))
    cameras_probe_workers: Annotated[int, Field(ge=1, le=64)] = 8
    cameras_residents_see_thumbnails: bool = False
    # Loudspeaker bulletins: quiet hours (giờ yên tĩnh, local HH:MM; equal times: none) keep normal bulletins
    # out of the night; the address speakers download media from (empty: this hub's own HTTP address).
    broadcasts_quiet_start: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "22:00"
    broadcasts_quiet_end: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "05:30"
    broadcasts_media_url: Annotated[str, Field(pattern=r"^(https?://\S+)?$", max_length=2000)] = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def load_settings(env: Mapping[str, str] | None = None, config_file: Path | None = None, **overrides: Any) -> Settings:
    """Defaults < config file (HAMLET_CONFIG or `config_file`) < environment < explicit overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or (Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None)
    if path is not None:
        values.update(_read_config(path))
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in env:
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise SettingsError(f"config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "settings"
        what = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"{ENV_PREFIX}{name.upper()}: {what}")
    return "; ".join(lines)
