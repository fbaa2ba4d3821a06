"""`hamlet-sim`: run a site's simulated devices, inject faults and power cuts into a running fleet, generate
load."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import devices
from simulators import control
from simulators.broker import Broker, parse_broker
from simulators.fleet import run_fleet
from simulators.load import publish_load
from simulators.registry import SIMULATORS, fault_catalogue, simulated_kinds

EPILOG = "Faults: `hamlet-sim faults`. Guide: docs/simulators.md."
MODEL_SITE = Path(devices.__file__).parent / "sites" / "son-vi-khu-10.toml"


def default_control() -> Path:
    """Per user, so two technicians on one machine do not steer each other's fleet."""
    return Path(os.environ.get("HAMLET_SIM_CONTROL") or Path(tempfile.gettempdir()) / f"hamlet-sim-{os.getuid()}.sock")


def cmd_fleet(args: argparse.Namespace) -> int:
    from devices.site_loader import load_site  # here: `load` and the control commands need no inventory

    site = load_site(args.site)
    kinds = [args.only] if args.only else list(simulated_kinds())
    counts = {k: sum(1 for d in site.devices if d.kind == k) for k in kinds}
    skipped = sum(1 for d in site.devices if d.kind not in SIMULATORS)
    print(f"{site.id}: simulating {', '.join(f'{n} {k}' for k, n in counts.items())} on {args.broker.url}"
          f" (telemetry every {args.interval:g} s" + (f"; {skipped} without a simulator, skipped)" if skipped else ")"))
    if not args.no_control:
        print(f"control socket: {args.control}  (hamlet-sim fault|offline|online|cabinet --control {args.control} ...)")
    print("Ctrl-C stops: every device publishes offline, then disconnects")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_fleet(site, args.broker.host, args.broker.port, stop, kinds=kinds,
              control_path=None if args.no_control else args.control,
              telemetry_interval_s=args.interval, reboot_s=args.reboot_s)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    result = publish_load(args.broker.host, args.broker.port, args.site, args.devices, args.messages,
                          qos=args.qos, clients=args.clients, kind=args.kind, invalid_rate=args.invalid_rate,
                          window=args.window)
    print(f"published {result.published:,} ({result.invalid:,} invalid), acked {result.acked:,} "
          f"in {result.seconds:.2f} s: {result.rate:,.0f} msg/s "
          f"(QoS {args.qos}, {args.clients} clients, {args.devices:,} devices)")
    return 0 if result.acked == result.published else 1


def cmd_control(args: argparse.Namespace) -> int:
    message: dict[str, Any]
    if args.command == "fault":
        message = {"device": args.device, "fault": None if args.fault in ("none", "clear") else args.fault}
    elif args.command == "status":
        message = {"list": True}
    elif args.command == "cabinet":
        message = {"cabinet": args.cabinet, "power": args.power == "on"}
    elif args.command == "power":
        message = {"device": args.device, "power": args.power == "on"}
    else:
        message = {"device": args.device, "offline": args.command == "offline"}
    try:
        answer = control.request(args.control, message)
    except OSError as err:
        print(f"no fleet answers on {args.control}: {err} (is `hamlet-sim fleet` running?)", file=sys.stderr)
        return 1
    if not answer.get("ok"):
        print(f"refused: {answer.get('error')}", file=sys.stderr)
        return 1
    if "lights" in answer:
        print(f"{args.cabinet}: power {args.power}, {len(answer['lights'])} lights: {' '.join(answer['lights'])}")
    for device in answer.get("devices", []):
        state = "online " if device["online"] else "offline"
        power = "" if device["powered"] else "no power"
        cabinet = device["cabinet"] or ""
        print(f"{device['device']:<32} {device['kind']:<8} {state} {cabinet:<12} {power:<8} {device['fault'] or ''}")
    return 0


def cmd_cameras(args: argparse.Namespace) -> int:
    from devices.site_loader import load_site
    from simulators.camera_serve import serve

    width, _, height = args.size.partition("x")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    serve(load_site(args.site), args.host, args.base_port, int(width), int(height), stop)
    return 0


def cmd_camera_fault(args: argparse.Namespace) -> int:
    from simulators.camera_serve import set_fault

    fault = set_fault(args.host, args.port, None if args.fault in ("none", "clear") else args.fault)
    print(f"{args.host}:{args.port}: {fault or 'no fault'}")
    return 0


def cmd_faults(args: argparse.Namespace) -> int:
    for kind, faults in fault_catalogue().items():
        for name, what in faults.items():
            print(f"{kind:<8} {name:<20} {what}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hamlet-sim", description=__doc__, epilog=EPILOG)
    parser.add_argument("-v", "--verbose", action="store_true", help="log connections and faults")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    broker: dict[str, Any] = {"type": parse_broker, "default": Broker(), "metavar": "URL",
                              "help": "mqtt://host:port (default mqtt://127.0.0.1:1883)"}
    ctl: dict[str, Any] = {"type": Path, "default": default_control(), "metavar": "PATH",
                           "help": "the running fleet's control socket (default %(default)s)"}

    fleet = sub.add_parser("fleet", help="run a site's lights, speakers and cameras until Ctrl-C", epilog=EPILOG)
    fleet.add_argument("--site", type=Path, default=MODEL_SITE, metavar="FILE",
                       help="site inventory TOML (default: the model site, Sơn Vi khu 10)")
    fleet.add_argument("--broker", **broker)
    fleet.add_argument("--interval", type=float, default=10.0, metavar="S", help="telemetry period (default 10)")
    fleet.add_argument("--only", choices=[k.value for k in simulated_kinds()], help="simulate one kind only")
    fleet.add_argument("--reboot-s", type=float, default=3.0, metavar="S",
                       help="how long a camera stays offline when told to reboot (default 3)")
    fleet.add_argument("--control", **ctl)
    fleet.add_argument("--no-control", action="store_true", help="do not open a control socket")
    fleet.set_defaults(run=cmd_fleet)

    load = sub.add_parser("load", help="publish telemetry as fast as the broker takes it, print the rate")
    load.add_argument("--devices", type=int, default=10_000, metavar="N", help="virtual devices (default 10000)")
    load.add_argument("--messages", type=int, default=100_000, metavar="N", help="messages (default 100000)")
    load.add_argument("--broker", **broker)
    load.add_argument("--site", default="load", help="site id in the topics (default load)")
    load.add_argument("--kind", choices=["light", "speaker", "camera"], default="light")
    load.add_argument("--qos", type=int, choices=[0, 1], default=1)
    load.add_argument("--clients", type=int, default=4, metavar="N", help="MQTT connections (default 4)")
    load.add_argument("--window", type=int, default=1000, metavar="N", help="unacked messages per connection")
    load.add_argument("--invalid-rate", type=float, default=0.0, metavar="R", help="share of invalid messages")
    load.set_defaults(run=cmd_load)

    fault = sub.add_parser("fault", help="inject a fault into a running fleet's device (none clears it)")
    fault.add_argument("device")
    fault.add_argument("fault", help="a fault name (see `hamlet-sim faults`), or none")
    for name, what in (("offline", "drop a device's connection: the broker publishes its last will"),
                       ("online", "reconnect a device taken offline"), ("status", "list the fleet's devices")):
        cmd = sub.add_parser(name, help=what)
        if name != "status":
            cmd.add_argument("device")
        cmd.add_argument("--control", **ctl)
        cmd.set_defaults(run=cmd_control)
    fault.add_argument("--control", **ctl)
    fault.set_defaults(run=cmd_control)
    cabinet = sub.add_parser("cabinet", help="cut or restore a power cabinet: its lights drop off together")
    cabinet.add_argument("cabinet", help="a cabinet id of the site (tủ điện), e.g. tu-dien-1")
    cabinet.add_argument("power", choices=["off", "on"], help="off: the mains is cut; on: it is back")
    cabinet.add_argument("--control", **ctl)
    cabinet.set_defaults(run=cmd_control)
    power = sub.add_parser("power", help="cut or restore one device's mains: it stops (a speaker misses what "
                                         "falls due meanwhile) and drops off; on: it restarts")
    power.add_argument("device")
    power.add_argument("power", choices=["off", "on"])
    power.add_argument("--control", **ctl)
    power.set_defaults(run=cmd_control)
    sub.add_parser("faults", help="list the fault names per kind").set_defaults(run=cmd_faults)
    cams = sub.add_parser("cameras", help="serve the site's cameras over HTTP (snapshot, MJPEG, health) until Ctrl-C")
    cams.add_argument("--site", type=Path, default=MODEL_SITE, metavar="FILE")
    cams.add_argument("--host", default="127.0.0.1")
    cams.add_argument("--base-port", type=int, default=8600, metavar="PORT", help="first port (default 8600)")
    cams.add_argument("--size", default="1280x720", help="picture size (default 1280x720)")
    cams.set_defaults(run=cmd_cameras)
    camera_fault = sub.add_parser("camera-fault", help="set a fault on one HTTP camera (none clears it)")
    camera_fault.add_argument("port", type=int)
    camera_fault.add_argument("fault", help="offline, hang, slow, freeze, black, covered, blur, turned_away, noisy, "
                              "glare, stop_recording, storage_full, reboot, corrupt, enormous, or none")
    camera_fault.add_argument("--host", default="127.0.0.1")
    camera_fault.set_defaults(run=cmd_camera_fault)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.run(args)
    except (ValueError, OSError, TimeoutError) as err:
        print(f"hamlet-sim {args.command}: {err}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
