"""``bgapp host``: serve the lab to a class (N replicas behind HAProxy, coturn), or write ``deploy/``."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from ..errors import BgappError
from ..hosting import Capture, Cluster, HostingError, Topology
from .common import SubParsers, int_at_least


def _capture(text: str) -> Capture:
    try:
        return Capture.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: SubParsers) -> None:
    h = sub.add_parser("host", help="serve the lab to a class: replicas behind HAProxy, with a TURN server",
                       description="Start N app processes behind HAProxy (sticky sessions, health checks) and "
                                   "coturn (per-session TURN credentials) as plain processes from the Debian "
                                   "packages, or write the same topology as a compose file (--write).")
    h.add_argument("--replicas", type=int_at_least(1, "a number of replicas"), default=2,
                   help="app processes; one per core or two is a good start (default 2)")
    h.add_argument("--port", type=int_at_least(1, "a port"), default=8080, help="the port students open (8080)")
    h.add_argument("--app-port", type=int_at_least(1, "a port"), default=8601,
                   help="the first replica's port; the others follow (8601, 8602, ...)")
    h.add_argument("--turn-port", type=int_at_least(1, "a port"), default=3478, help="coturn's port (3478)")
    h.add_argument("--address", default="127.0.0.1",
                   help="the address the proxy and the TURN server listen on: 0.0.0.0 or the machine's own to "
                        "serve a class (default 127.0.0.1: this machine only); the replicas stay on loopback")
    h.add_argument("--public", default=None, metavar="HOST",
                   help="the name or address students' browsers reach this machine by (for the TURN URL; "
                        "default: --address, or this machine's name with 0.0.0.0)")
    h.add_argument("--capture", type=_capture, default=None, metavar="WxH@FPS",
                   help="what every student's camera is asked for, e.g. 320x240@15 (a modest server holds "
                        "about twice the students it holds at 640x480@30)")
    h.add_argument("--workdir", type=Path, default=None, help="where configurations and logs go (a new temp folder)")
    h.add_argument("--write", type=Path, default=None, metavar="DIR",
                   help="write the Docker host's files (compose.yaml, haproxy.cfg, turnserver.conf, env.example) "
                        "into DIR and exit")
    h.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        topology = Topology(replicas=args.replicas, port=args.port, app_port=args.app_port,
                            turn_port=args.turn_port, capture=args.capture)
    except ValueError as exc:
        raise BgappError(str(exc)) from None
    if args.write is not None:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, text in topology.deploy_files().items():
            (args.write / name).write_text(text)
            print(f"wrote {args.write / name}", file=sys.stderr)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bgapp-host-"))
    cluster = Cluster(topology, workdir, host=args.address, public=args.public)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        cluster.start()
    except HostingError as exc:
        raise BgappError(str(exc)) from None
    try:
        print(f"bgapp: {topology.replicas} replicas behind {cluster.url} "
              f"(TURN on {cluster.public}:{topology.turn_port}, relay ports "
              f"{topology.relay_ports[0]}-{topology.relay_ports[1]}/udp; logs in {workdir}); "
              "Ctrl-C stops it", file=sys.stderr)
        while not stop.wait(2.0):
            for name, p in cluster.processes.items():
                if p.alive:
                    continue
                if name in ("proxy", "turn"):
                    print(f"bgapp: {name} stopped; its log: {p.log}\n{p.tail(10)}", file=sys.stderr)
                    return 1
                print(f"bgapp: replica {name} stopped (its sessions went to the others); restarting it",
                      file=sys.stderr)
                cluster.restart(name)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0
