"""The `hamlet` command: `hamlet up` (hub + embedded broker + simulated fleet), `hamlet serve` (hub only),
`hamlet user …` (accounts)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import socket
import sys
from collections.abc import Sequence
from ipaddress import IPv4Network
from pathlib import Path
from typing import Final

import uvicorn

from devices.site import Site
from devices.site_loader import SiteError, load_site
from hub.api.app import create_app
from hub.auth import cli as user_cli
from hub.auth.demo import create_demo_accounts, demo_lines
from hub.auth.service import Auth
from hub.cameras.models import Registration
from hub.cameras.service import Cameras
from hub.runtime import Companion, Hub, broker_address, build_hub, migrations, open_state
from hub.settings import Settings, SettingsError, load_settings

log = logging.getLogger("hamlet")
STARTUP_FAILURE: Final = 3  # the exit code uvicorn.run gives when the app's start-up failed
# `hamlet up` serves the site's cameras on loopback and may register them there: this network, added for the
# demo's own simulated cameras only (`hamlet serve` keeps the production default, where loopback is refused).
DEMO_CAMERA_NETWORK: Final = IPv4Network("127.0.0.1/32")
DEMO_CAMERA_INTERVAL_S: Final = 10  # probes every 10 s, so a fault set with `hamlet-sim camera-fault` shows soon


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hamlet",
        description="Hamlet Hub: street lights, loudspeakers and cameras of one residential zone over MQTT. "
        "Settings come from HAMLET_* environment variables or a TOML file (HAMLET_CONFIG); "
        "data lives in HAMLET_DATA_DIR (./data by default).",
    )
    p.add_argument("--config", type=Path, help="TOML settings file (keys as in hub/settings.py)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = sub.add_parser("up", help="run the hub with an embedded broker, the SQLite store and a simulated fleet")
    serve = sub.add_parser("serve", help="run the hub against the configured broker and store, no simulators")
    for cmd in (up, serve):
        cmd.add_argument("--port", type=int, help="HTTP port (default 8000, or HAMLET_HTTP_PORT)")
        cmd.add_argument("--host", help="HTTP address to listen on (default 127.0.0.1)")
    up.add_argument("--no-sim", action="store_true", help="do not start the simulated fleet")
    user_cli.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "user":
        try:
            data_dir = load_settings(config_file=args.config).data_dir
        except SettingsError as exc:
            print(f"hamlet: {exc}", file=sys.stderr)
            return 2
        return user_cli.run(args, data_dir, migrations=migrations())
    try:
        settings = load_settings(config_file=args.config, http_port=args.port, http_host=args.host)
        if args.command == "up":
            settings = _embedded(settings, simulate=not args.no_sim)
        site = load_site(settings.site_file)
    except (SettingsError, SiteError, ValueError, OSError) as exc:
        print(f"hamlet: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return _serve(settings, site, demo=args.command == "up")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # amqtt and its state machine narrate every connection at INFO: only their problems are news here.
    for noisy in ("amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _embedded(settings: Settings, simulate: bool) -> Settings:
    """`hamlet up` always runs the embedded broker; its port falls back to a free one when 1883 is taken. With
    the simulated fleet, loopback becomes a camera network, for the simulated cameras it registers."""
    port = settings.embedded_broker_port
    if port == 0 or not _port_free(port):
        port = _free_port()
    update: dict[str, object] = {"mqtt_url": "", "embedded_broker_port": port, "simulate": simulate}
    if simulate and DEMO_CAMERA_NETWORK not in settings.cameras_allowed_networks:
        update["cameras_allowed_networks"] = (*settings.cameras_allowed_networks, DEMO_CAMERA_NETWORK)
    return settings.model_copy(update=update)


def _serve(settings: Settings, site: Site, demo: bool = False) -> int:
    try:
        listener = _listen(settings.http_host, settings.http_port)
    except OSError as exc:
        print(f"hamlet: cannot listen on {settings.http_host}:{settings.http_port}: {exc.strerror or exc} "
              "(is another program on that port? choose another with --port)", file=sys.stderr)
        return 2

    def make_hub() -> Hub:
        hub = build_hub(settings, site)
        if settings.simulate and not settings.mqtt_url:
            hub.companions.append(_fleet(hub))
            if demo:
                hub.companions.append(_cameras(hub))
        return hub

    base = f"http://{settings.http_host}:{settings.http_port}"
    address = broker_address(settings)
    print(f"Hamlet Hub — {site.name} ({site.id})")
    print(f"  Ứng dụng / web app : {base}/")
    print(f"  API docs           : {base}/docs")
    print(f"  MQTT broker        : mqtt://{address.host}:{address.port}")
    print(f"  Dữ liệu / data     : {settings.data_dir.resolve()}")
    if demo:
        for line in _demo_accounts(settings):
            print(line)
    print("  Ctrl-C để dừng / to stop", flush=True)
    # The bridge allocates a few small objects per message; at the default young-generation threshold (700)
    # the collector runs every few hundred messages and walks them: about half of decode's CPU in H1's
    # measurement (15 -> 8 µs per message with 50,000). Cyclic garbage waits a little longer (a few MB at most).
    gc.set_threshold(50_000, 20, 20)
    # proxy_headers off: X-Forwarded-For is for hub.api.forwarded to judge (HAMLET_TRUSTED_PROXIES), not uvicorn.
    server = uvicorn.Server(uvicorn.Config(create_app(make_hub), log_level="warning", proxy_headers=False))
    # uvicorn re-raises the Ctrl-C it handled once it has stopped cleanly: that is the normal way out.
    with listener, contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    return 0 if server.started else STARTUP_FAILURE


def _listen(host: str, port: int) -> socket.socket:
    """The web port, bound before anything starts. Uvicorn would bind it only after the hub's start-up, by which
    time the demo's simulated devices hold ~100 ephemeral ports (their connections, the camera servers), and one
    of them may be the port asked for. A port in use is also said at once, before demo accounts are made."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart must not wait out TIME_WAIT
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _demo_accounts(settings: Settings) -> list[str]:
    """`hamlet up` on an empty hub.sqlite3: a head, a technician and a resident, their passwords shown once."""
    db = open_state(settings.data_dir)  # with the services' migrations, as the hub opens it
    try:
        return demo_lines(create_demo_accounts(Auth(db)))
    finally:
        db.close()


def _fleet(hub: Hub) -> Companion:
    # Only the CLI glue imports the simulators (for the demo); hub services never do.
    from simulators.fleet import Fleet

    address = broker_address(hub.settings)
    return Fleet(hub.site, address.host, address.port)


def _cameras(hub: Hub) -> Companion:
    """The site's cameras as HTTP servers on loopback, each registered as a technician would (host, port,
    paths, the on-screen clock's place), so the demo shows health as probed, not as assumed."""
    from simulators.camera_scene import CLOCK_REGION
    from simulators.camera_serve import CameraServers

    service = hub.services.get("cameras")

    def register(device: str, host: str, port: int) -> None:
        if not isinstance(service, Cameras):
            return
        service.register(device, Registration(host=host, port=port, clock_region=CLOCK_REGION,
                                              interval_s=DEMO_CAMERA_INTERVAL_S), by=None)
        print(f"  Camera mô phỏng    : {device:<20} {host}:{port}  "
              f"(lỗi thử / fault: hamlet-sim camera-fault {port} covered)", flush=True)

    return CameraServers(hub.site, register)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

