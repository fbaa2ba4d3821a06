"""How the runtime builds the cameras service (see hub/service.py): its options, its migrations, and the
address policy made from the settings (allowed networks; the hub, the broker and InfluxDB reserved)."""

from __future__ import annotations

from urllib.parse import urlsplit

from hub.cameras.address import Policy
from hub.cameras.service import CameraOptions, Cameras, Record
from hub.cameras.store import MIGRATIONS, CameraStore
from hub.service import ServiceContext, ServiceSpec
from hub.settings import Settings


def reserved(settings: Settings) -> list[tuple[str, int, str]]:
    """The hub's own endpoints a camera address must never point at."""
    taken = [(settings.http_host, settings.http_port, "the hub itself")]
    if settings.http_host in ("0.0.0.0", "::"):
        taken.append(("127.0.0.1", settings.http_port, "the hub itself"))
    mqtt = urlsplit(settings.mqtt_url) if settings.mqtt_url else None
    if mqtt is not None and mqtt.hostname:
        taken.append((mqtt.hostname, mqtt.port or 1883, "the MQTT broker"))
    else:
        taken.append(("127.0.0.1", settings.embedded_broker_port, "the MQTT broker"))
    influx = urlsplit(settings.influx_url) if settings.influx_url else None
    if influx is not None and influx.hostname:
        taken.append((influx.hostname, influx.port or (443 if influx.scheme == "https" else 8086), "InfluxDB"))
    return taken


def policy_of(settings: Settings) -> Policy:
    return Policy.of([str(n) for n in settings.cameras_allowed_networks], reserved(settings))


def build(ctx: ServiceContext) -> Cameras:
    options = ctx.options_for("cameras", CameraOptions(workers=ctx.settings.cameras_probe_workers))
    policy = policy_of(ctx.settings)
    record: Record | None = getattr(ctx, "record", None)  # the outbox, when the runtime offers it
    return Cameras(ctx.site, ctx.bus, CameraStore(ctx.state), ctx.events, lambda: policy, clock=ctx.clock,
                   options=options, record=record, audit=ctx.audit,
                   residents_see_thumbnails=ctx.settings.cameras_residents_see_thumbnails)


SPEC = ServiceSpec("cameras", build, MIGRATIONS)
