"""Hosting the lab for a class: N app processes behind HAProxy, and coturn for the webcams.

Why several processes: a Streamlit server is one Python interpreter, and the CPU-bound work of every
session it holds (decoding, the model, encoding) shares its one interpreter lock, so a machine's
further cores need further servers. A Streamlit session lives in one process, so the proxy in front
keeps each browser on the process that holds its session (a cookie, ``BGAPP_REPLICA``: the first
response names a replica and every later request, the websocket included, goes back to it), checks
each replica's ``/_stcore/health``, and sends a browser whose replica died to a live one.

Why TURN: a student's browser behind a home router or campus NAT usually cannot reach the server's
WebRTC ports; coturn relays the media. It runs with ``use-auth-secret``: each session gets its own
expiring credentials from the shared secret (:mod:`bgapp.turn`), never one static password.

One description, :class:`Topology`, renders every file of both ways to run it:

* :meth:`Topology.compose` and friends write ``deploy/`` for a Docker host (``docker compose up``);
* :class:`Cluster` starts the same processes here from Debian's packages (``haproxy``, ``coturn``)
  and the venv's Streamlit: what ``python -m bgapp host`` and the tests run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .challenge import TEACHER_PASSCODE_ENV
from .store import DATABASE_URL_ENV

ROOT = Path(__file__).resolve().parents[1]

REPLICA_ENV = "BGAPP_REPLICA"  # the replica's name, shown on the pages (which server holds this session)
LOCAL_FILES_ENV = "BGAPP_LOCAL_FILES"  # "0": nobody gets the server's own files as a source
TURN_SECRET_ENV = "BGAPP_TURN_SECRET"
TURN_URLS_ENV = "BGAPP_TURN_URLS"  # comma-separated turn: URLs the browsers and the server use
TURN_TTL_ENV = "BGAPP_TURN_TTL"  # seconds each session's credentials live
CAPTURE_ENV = "BGAPP_CAPTURE"  # the camera size and rate the browsers are asked for, e.g. 320x240@15
DB_PASSWORD_ENV = "BGAPP_DB_PASSWORD"  # the compose file's PostgreSQL password (deploy/.env)
CV_THREADS_ENV = "BGAPP_CV_THREADS"  # OpenCV's threads per process (a replica: 1, see apply_cv_threads)
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"  # one for all replicas: uploads survive a failover
COOKIE = "BGAPP_REPLICA"
HEALTH = "/_stcore/health"


def apply_cv_threads(environ: Mapping[str, str] | None = None) -> int | None:
    """Set OpenCV's thread count from ``BGAPP_CV_THREADS`` (None when unset; returns the count).

    OpenCV splits one frame's work across threads, which lowers one user's latency but costs CPU
    (MOG2 + clean-up at 640x480: 9.4 ms of CPU a frame on 2 threads, 7.2 ms on one). A server that
    holds a class spends its cores on sessions, not on splitting frames, so each replica runs
    OpenCV on one thread; the masks are the same (NOTES: cv2.setNumThreads gives identical masks).
    """
    text = (os.environ if environ is None else environ).get(CV_THREADS_ENV, "").strip()
    if not text:
        return None
    import cv2

    n = max(0, int(text))
    if cv2.getNumThreads() != n:
        cv2.setNumThreads(n)
    return n


class HostingError(RuntimeError):
    """A part of the topology did not start; the message says which and shows its log's tail."""


@dataclass(frozen=True)
class Capture:
    """What the browsers' cameras are asked for: a class on a modest server asks for less."""

    width: int = 640
    height: int = 480
    fps: int = 30

    @classmethod
    def parse(cls, text: str) -> Capture:
        """``"320x240@15"`` (``@fps`` optional, default 30)."""
        size, _, rate = text.strip().lower().partition("@")
        w, sep, h = size.partition("x")
        try:
            cap = cls(int(w), int(h), int(rate) if rate else 30)
        except ValueError:
            raise ValueError(f"{CAPTURE_ENV}={text!r}: expected WIDTHxHEIGHT@FPS, e.g. 320x240@15") from None
        if not sep or not (32 <= cap.width <= 3840 and 32 <= cap.height <= 2160 and 1 <= cap.fps <= 60):
            raise ValueError(f"{CAPTURE_ENV}={text!r}: expected WIDTHxHEIGHT@FPS within 32x32@1..3840x2160@60")
        return cap

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{self.fps}"

    def constraints(self) -> dict[str, Any]:
        """``getUserMedia`` constraints: ideal values, so a camera that cannot still streams."""
        return {"video": {"width": {"ideal": self.width}, "height": {"ideal": self.height},
                          "frameRate": {"ideal": self.fps, "max": self.fps}}, "audio": False}


@dataclass(frozen=True)
class Server:
    """Where one replica listens, as the proxy reaches it."""

    name: str
    host: str
    port: int


@dataclass(frozen=True)
class Topology:
    """The deployment: how many replicas, which ports, what the cameras are asked for.

    >>> t = Topology(replicas=3)
    >>> [s.port for s in t.local_servers()]
    [8601, 8602, 8603]
    """

    replicas: int = 2
    port: int = 8080  # what students open (HTTP; put HTTPS in front, see README)
    app_port: int = 8601  # the first local replica's port; in containers every replica uses 8501
    turn_port: int = 3478
    relay_ports: tuple[int, int] = (49160, 49260)  # coturn's relay range (UDP): open it in the firewall
    capture: Capture | None = None
    realm: str = "bgapp"
    ttl: int = 6 * 3600

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= 64:
            raise ValueError(f"replicas must be 1 to 64, got {self.replicas}")
        lo, hi = self.relay_ports
        if not 1024 <= lo < hi <= 65535:
            raise ValueError(f"relay ports must be a range within 1024-65535, got {lo}-{hi}")

    def names(self) -> list[str]:
        return [f"app{i + 1}" for i in range(self.replicas)]

    def local_servers(self, host: str = "127.0.0.1") -> list[Server]:
        return [Server(n, host, self.app_port + i) for i, n in enumerate(self.names())]

    def container_servers(self) -> list[Server]:
        return [Server(n, n, 8501) for n in self.names()]

    # What each replica is given ---------------------------------------------------------------------

    def app_env(self, name: str, turn_host: str, turn_secret: str, cookie_secret: str) -> dict[str, str]:
        """A replica's environment: its name, no server files, TURN, the shared cookie secret."""
        env = {REPLICA_ENV: name, LOCAL_FILES_ENV: "0", CV_THREADS_ENV: "1", TURN_SECRET_ENV: turn_secret,
               TURN_URLS_ENV: f"turn:{turn_host}:{self.turn_port}?transport=udp", TURN_TTL_ENV: str(self.ttl),
               COOKIE_SECRET_ENV: cookie_secret}
        if self.capture is not None:
            env[CAPTURE_ENV] = str(self.capture)
        return env

    @staticmethod
    def app_args(address: str, port: int) -> list[str]:
        """``streamlit run app.py`` options for a replica (after the program itself)."""
        return ["run", "app.py", "--server.address", address, "--server.port", str(port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none", "--server.runOnSave", "false"]

    # The proxy ---------------------------------------------------------------------------------------

    def haproxy_cfg(self, servers: Sequence[Server], bind: str, docker_dns: bool = False) -> str:
        """HAProxy's configuration: sticky by cookie, health-checked, websockets kept for the lesson.

        ``docker_dns``: look the replicas' names up again in Docker's DNS (a restarted container
        may get another address)."""
        lines = [
            "# bgapp's proxy (rendered by bgapp.hosting.Topology: edit that, not this file)",
            "global",
            "    maxconn 4096",
            "",
            "defaults",
            "    mode http",
            "    option forwardfor          # X-Forwarded-For: the app then knows no student is local",
            "    timeout connect 5s",
            "    timeout client 60s",
            "    timeout server 60s",
            "    timeout tunnel 4h          # a session's websocket lives as long as the tab",
            "    timeout http-request 15s",
            "",
            "frontend students",
            f"    bind {bind}:{self.port}",
            "    default_backend replicas",
            "",
            "backend replicas",
            "    balance leastconn          # a session is one long websocket: fewest open ones first",
            f"    cookie {COOKIE} insert nocache httponly   # the app reads it too: see ui/replica.py",
            f"    option httpchk GET {HEALTH}",
            "    http-check expect string ok",
            "    option redispatch          # a session whose replica died goes to a live one",
            "    retries 2",
            "    default-server init-addr last,libc,none   # start even while a replica is not up yet",
        ]
        dns = " resolvers docker" if docker_dns else ""
        lines += [f"    server {s.name} {s.host}:{s.port} check inter 1s fall 2 rise 2 cookie {s.name}{dns}"
                  for s in servers]
        if docker_dns:
            lines += ["", "resolvers docker", "    nameserver dns 127.0.0.11:53", "    hold valid 5s"]
        return "\n".join(lines) + "\n"

    # TURN --------------------------------------------------------------------------------------------

    def turnserver_conf(self, listen: str | None, relay: str | None, loopback_peers: bool = False) -> str:
        """coturn's configuration without the secret (given on its command line or in a private file).

        ``loopback_peers`` lets coturn relay to 127.0.0.1: only for a topology that lives entirely
        on loopback (the tests); a real server must not relay into its own loopback services.
        """
        lo, hi = self.relay_ports
        lines = [
            "# bgapp's TURN server (rendered by bgapp.hosting.Topology: edit that, not this file)",
            f"listening-port={self.turn_port}",
            *([f"listening-ip={listen}"] if listen else []),
            *([f"relay-ip={relay}"] if relay else []),
            f"min-port={lo}",
            f"max-port={hi}",
            "# TURN REST API: each session's credentials expire; they come from the shared secret",
            "use-auth-secret",
            f"realm={self.realm}",
            "fingerprint",
            "no-tls",
            "no-dtls",
            "no-cli",
            "no-multicast-peers",
            "no-tcp-relay",
            "simple-log",
            "# one line per session (its user name: the expiry and the app's session id) and allocation",
            "verbose",
        ]
        if loopback_peers:
            lines += ["# everything on loopback (the tests): relay to 127.0.0.1", "allow-loopback-peers"]
        else:
            lines.append("denied-peer-ip=0.0.0.0-0.255.255.255")
            lines.append("denied-peer-ip=127.0.0.0-127.255.255.255")
        return "\n".join(lines) + "\n"

    # Docker ------------------------------------------------------------------------------------------

    def compose(self) -> dict[str, Any]:
        """The compose file's content: replicas built from the Dockerfile, haproxy, coturn and
        PostgreSQL images.

        coturn uses the host's network (its relay ports are a range of UDP ports, which Docker's
        port mapping handles badly); the replicas reach it at ``BGAPP_PUBLIC_HOST``. The replicas
        keep the class challenge in one PostgreSQL database (``db``): each container's own SQLite
        file would give each replica its own leaderboard. They get the teacher passcode too.
        """
        required = "set it in deploy/.env (see README: Host it for a class)"

        def given(name: str) -> str:
            return "${" + name + ":?" + required + "}"

        services: dict[str, Any] = {}
        for s in self.container_servers():
            env = self.app_env(s.name, given("BGAPP_PUBLIC_HOST"), given(TURN_SECRET_ENV), given("BGAPP_COOKIE_SECRET"))
            env[DATABASE_URL_ENV] = f"postgresql://bgapp:{given(DB_PASSWORD_ENV)}@db:5432/bgapp"
            env[TEACHER_PASSCODE_ENV] = given(TEACHER_PASSCODE_ENV)
            services[s.name] = {
                "image": "bgapp",
                "build": "..",
                "restart": "unless-stopped",
                "environment": env,
                "depends_on": {"db": {"condition": "service_healthy"}},
                "command": ["streamlit", *self.app_args("0.0.0.0", s.port)],
            }
        services["db"] = {
            "image": "postgres:16",
            "restart": "unless-stopped",
            "environment": {"POSTGRES_USER": "bgapp", "POSTGRES_PASSWORD": given(DB_PASSWORD_ENV),
                            "POSTGRES_DB": "bgapp"},
            "volumes": ["db:/var/lib/postgresql/data"],
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "bgapp", "-d", "bgapp"], "interval": "5s",
                            "retries": 12},
        }
        services["proxy"] = {
            "image": "haproxy:2.6",
            "restart": "unless-stopped",
            "ports": [f"{self.port}:{self.port}"],
            "volumes": ["./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"],
            "depends_on": self.names(),
        }
        services["turn"] = {
            "image": "coturn/coturn:4.6",
            "restart": "unless-stopped",
            "network_mode": "host",
            "volumes": ["./turnserver.conf:/etc/coturn/turnserver.conf:ro"],
            "command": ["-c", "/etc/coturn/turnserver.conf", f"--external-ip={given('BGAPP_PUBLIC_HOST')}",
                        f"--static-auth-secret={given(TURN_SECRET_ENV)}"],
        }
        return {"name": "bgapp", "services": services, "volumes": {"db": {}}}

    def deploy_files(self) -> dict[str, str]:
        """Every file of ``deploy/``, by name: what ``python -m bgapp host --write deploy`` writes."""
        header = ("# bgapp for a class on a Docker host (rendered by bgapp.hosting.Topology: edit that, not this "
                  "file).\n# cd deploy && cp env.example .env (fill it in) && docker compose up -d --build\n")
        return {
            "compose.yaml": header + to_yaml(self.compose()),
            "haproxy.cfg": self.haproxy_cfg(self.container_servers(), bind="*", docker_dns=True),
            "turnserver.conf": self.turnserver_conf(listen=None, relay=None),
            "env.example": ("# copy to .env and fill in; keep .env private\n"
                            "BGAPP_PUBLIC_HOST=lab.example.org   # the address students' browsers reach\n"
                            "BGAPP_TURN_SECRET=                   # a long random string: openssl rand -hex 32\n"
                            "BGAPP_COOKIE_SECRET=                 # another one\n"
                            "BGAPP_DB_PASSWORD=                   # another one (hex: it goes into a URL)\n"
                            "BGAPP_TEACHER_PASSCODE=              # the teacher types it on the challenge page\n"),
        }


def to_yaml(value: Any, indent: int = 0) -> str:
    """Plain block YAML for dicts, lists and scalars (strings quoted as JSON, which YAML reads)."""
    pad = "  " * indent
    out = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(v, list) and v and not any(isinstance(x, (Mapping, list)) for x in v):
                out.append(f"{pad}{k}: [{', '.join(_scalar(x) for x in v)}]\n")
            elif isinstance(v, (Mapping, list)) and v:
                out.append(f"{pad}{k}:\n{to_yaml(v, indent + 1)}")
            else:
                out.append(f"{pad}{k}: {_scalar(v)}\n")
    else:
        for v in value:
            if isinstance(v, Mapping):
                body = to_yaml(v, indent + 1)
                out.append(f"{pad}- {body.lstrip()}")
            else:
                out.append(f"{pad}- {_scalar(v)}\n")
    return "".join(out)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (Mapping, list)):
        return "{}" if isinstance(v, Mapping) else "[]"
    return json.dumps(str(v))


# Running it here ------------------------------------------------------------------------------------

def missing_programs() -> list[str]:
    """The Debian packages :class:`Cluster` needs and this machine lacks."""
    need = {"haproxy": "haproxy", "turnserver": "coturn"}
    return [pkg for prog, pkg in need.items() if shutil.which(prog) is None]


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    def start(self, cwd: Path) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=cwd, env={**os.environ, **self.env}, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
        if not self.alive:
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(grace)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Cluster:
    """The topology as plain processes on this machine: coturn, N Streamlit replicas, HAProxy.

    The proxy and coturn listen on ``host`` (loopback by default; the machine's address to serve a
    class), the replicas on loopback only (only the proxy reaches them). ``public`` is the name or
    address students' browsers reach the machine by (the TURN URL the pages hand out; default:
    ``host``, or this machine's name when ``host`` is 0.0.0.0). Configurations and logs go under
    ``workdir``; the TURN and cookie secrets are fresh random strings unless given, and the file
    holding the TURN secret is readable by its owner only. ``env`` adds variables to every replica
    (the tests' network settings).
    """

    def __init__(self, topology: Topology, workdir: Path, host: str = "127.0.0.1",
                 env: Mapping[str, str] | None = None, turn_secret: str | None = None,
                 python: str = sys.executable, public: str | None = None) -> None:
        self.topology = topology
        self.workdir = Path(workdir)
        self.host = host
        self.public = public or (socket.getfqdn() if host in ("0.0.0.0", "::") else host)
        self.turn_secret = turn_secret or secrets.token_hex(32)
        self.cookie_secret = secrets.token_hex(32)
        self.loopback = host.startswith("127.") or host == "localhost"
        self.url = f"http://{self.public if host in ('0.0.0.0', '::') else host}:{topology.port}"
        self.servers = topology.local_servers("127.0.0.1")
        self.processes: dict[str, Process] = {}
        self._env = dict(env or {})
        self._python = python

    def _process(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> Process:
        p = Process(name, argv, self.workdir / f"{name}.log", dict(env or {}))
        self.processes[name] = p
        return p

    def start(self, timeout: float = 90.0) -> Cluster:
        missing = missing_programs()
        if missing:
            raise HostingError(f"install the Debian packages {' '.join(missing)} (apt-get install {' '.join(missing)})")
        self.workdir.mkdir(parents=True, exist_ok=True)
        t = self.topology
        turn_conf = self.workdir / "turnserver.conf"
        turn_conf.touch(mode=0o600)
        listen = None if self.host in ("0.0.0.0", "::") else self.host
        turn_conf.write_text(t.turnserver_conf(listen, listen, loopback_peers=self.loopback)
                             + f"static-auth-secret={self.turn_secret}\n"
                             + f"pidfile={self.workdir / 'turnserver.pid'}\n"
                             + f"userdb={self.workdir / 'turndb'}\n")
        self._process("turn", ["turnserver", "-c", str(turn_conf), "--log-file=stdout"]).start(self.workdir)
        for s in self.servers:
            env = {**t.app_env(s.name, self.public, self.turn_secret, self.cookie_secret), "PYTHONUNBUFFERED": "1",
                   **self._env}
            self._process(s.name, [self._python, "-m", "streamlit", *t.app_args(s.host, s.port)], env).start(ROOT)
        try:
            self.wait_healthy([f"http://{s.host}:{s.port}{HEALTH}" for s in self.servers], timeout)
            # the proxy starts once every replica answers, so it begins with all of them up
            cfg = self.workdir / "haproxy.cfg"
            cfg.write_text(t.haproxy_cfg(self.servers, bind=self.host))
            self._process("proxy", ["haproxy", "-db", "-f", str(cfg)]).start(self.workdir)
            self.wait_healthy([f"{self.url}{HEALTH}"], timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, urls: Sequence[str], timeout: float = 90.0) -> None:
        """Until every URL answers ``ok``; fails at once when a process of the topology exits."""
        deadline = time.monotonic() + timeout
        pending = list(urls)
        while pending:
            for name, p in self.processes.items():
                if not p.alive:
                    raise HostingError(f"{name} exited with {p.proc.returncode if p.proc else '?'}:\n{p.tail()}")
            if _ok(pending[0]):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise HostingError(f"{pending[0]} did not answer in {timeout:.0f} s")
            time.sleep(0.25)

    def replica(self, name: str) -> Process:
        return self.processes[name]

    def kill(self, name: str) -> None:
        """Kill a replica at once (SIGKILL: what a crash looks like to the proxy and the browsers)."""
        self.processes[name].stop(signal.SIGKILL)

    def restart(self, name: str) -> None:
        """Start a replica that stopped again (the proxy takes it back once its health check passes)."""
        self.processes[name].start(ROOT)

    def stop(self) -> None:
        for name in ["proxy", *(s.name for s in self.servers), "turn"]:
            if name in self.processes:
                self.processes[name].stop()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def running(topology: Topology, workdir: Path, **kwargs: Any) -> Iterator[Cluster]:
    """A started :class:`Cluster`, stopped on the way out."""
    cluster = Cluster(topology, workdir, **kwargs)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
