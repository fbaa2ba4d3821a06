"""The broadcasts as a service of the runtime: its tables' migrations, its options and how it is built."""

from __future__ import annotations

from hub.broadcasts.mediastore import MediaStore
from hub.broadcasts.plan import QuietHours
from hub.broadcasts.service import BroadcastOptions, Broadcasts
from hub.broadcasts.store import MIGRATIONS, BulletinTable, FaultTable, RunLog
from hub.service import ServiceContext, ServiceSpec


def media_url(host: str, port: int) -> str:
    """Where speakers download media: the hub's own HTTP address (a wildcard bind is no address to fetch)."""
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{reachable}:{port}/media"


def build(ctx: ServiceContext) -> Broadcasts:
    s = ctx.settings
    default = BroadcastOptions(media_base_url=s.broadcasts_media_url.rstrip("/") or media_url(s.http_host, s.http_port),
                               quiet=QuietHours(s.broadcasts_quiet_start, s.broadcasts_quiet_end))
    options = ctx.options_for("broadcasts", default)  # tests pass their own (a tick, a media URL, quiet hours)
    return Broadcasts(ctx.bus, ctx.registry, BulletinTable(ctx.state), RunLog(ctx.state), FaultTable(ctx.state),
                      MediaStore(s.data_dir / "media"), ctx.audit, ctx.events, ctx.clock, options)


SPEC = ServiceSpec("broadcasts", build, MIGRATIONS)
