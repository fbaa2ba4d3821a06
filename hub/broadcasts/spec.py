"""The broadcasts as a service of the runtime: its tables' migrations, its options and how it is built."""

from __future__ import annotations

from dataclasses import replace

from hub.broadcasts.mediastore import MediaStore
from hub.broadcasts.service import BroadcastOptions, Broadcasts
from hub.broadcasts.store import MIGRATIONS, BulletinTable, FaultTable, RunLog
from hub.service import ServiceContext, ServiceSpec


def media_url(host: str, port: int) -> str:
    """Where speakers download media: the hub's own HTTP address (a wildcard bind is no address to fetch)."""
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{reachable}:{port}/media"


def build(ctx: ServiceContext) -> Broadcasts:
    s = ctx.settings
    default = BroadcastOptions(media_base_url=media_url(s.http_host, s.http_port))
    options = ctx.options_for("broadcasts", default)
    if options.media_base_url == BroadcastOptions().media_base_url:
        options = replace(options, media_base_url=default.media_base_url)
    return Broadcasts(ctx.bus, ctx.registry, BulletinTable(ctx.state), RunLog(ctx.state), FaultTable(ctx.state),
                      MediaStore(s.data_dir / "media"), ctx.audit, ctx.events, ctx.clock, options)


SPEC = ServiceSpec("broadcasts", build, MIGRATIONS)
