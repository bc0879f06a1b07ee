"""The live-webcam page's configuration: ICE servers (and TURN credentials per session) from the
environment, secrets or a default, and what the browsers' cameras are asked for.

A TURN server configured with a shared secret (``BGAPP_TURN_SECRET`` and ``BGAPP_TURN_URLS``, or
``[turn]`` with ``secret`` and ``urls`` in the secrets) gives every session its own credentials,
which expire (:mod:`bgapp.turn`); a static ``username``/``credential`` in ``BGAPP_ICE_SERVERS``
still works, and then every browser gets the same one.

The frame callback itself (:class:`bgapp.live.LiveProcessor`, with its FPS meter and
lock-protected :class:`bgapp.live.LiveStats`) lives in the engine and is re-exported here.
Nothing here calls ``st.*`` at import time: :func:`resolve_ice_servers` takes the environment
and a secrets getter, so it is unit-testable without a browser.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from bgapp.hosting import CAPTURE_ENV, TURN_SECRET_ENV, TURN_TTL_ENV, TURN_URLS_ENV, Capture
from bgapp.live import (  # noqa: F401 - re-exported for the page
    GRID_LABELS,
    VIEW_MODES,
    FpsMeter,
    LiveProcessor,
    LiveStats,
    StatsSnapshot,
    WebcamProcessor,
    views_for,
)
from bgapp.turn import DEFAULT_TTL, Credentials, credentials, probe

ICE_ENV = "BGAPP_ICE_SERVERS"
DEFAULT_ICE_SERVERS: list[dict[str, Any]] = [{"urls": ["stun:stun.l.google.com:19302"]}]
ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
ICE_KEYS = ("urls", "username", "credential")
POLICY_ENV = "BGAPP_ICE_POLICY"  # "relay": browsers use only the TURN relay (to check that TURN works)
DEFAULT_CAPTURE = Capture(640, 480, 30)

VIEW_HELP = {
    "clean mask": "the mask after post-processing (white = foreground)",
    "raw mask": "the method's own mask before any clean-up",
    "composite": "the frame with the mask applied (choose the style under Composite)",
    "grid": "input, raw mask, clean mask and composite in a 2x2 grid",
}


# ICE configuration ------------------------------------------------------------------------------

class IceConfigError(ValueError):
    """The ICE server list is malformed; the message says where and how, in one line."""


@dataclass(frozen=True)
class TurnSecret:
    """A TURN server that takes per-session credentials made from a shared secret."""

    urls: list[str]
    secret: str
    ttl: int = DEFAULT_TTL

    def stun_urls(self) -> list[str]:
        """The same servers as STUN (coturn answers both), so no outside STUN server is needed."""
        return sorted({"stun:" + u.split(":", 1)[1].split("?", 1)[0] for u in self.urls if u.startswith("turn:")})

    def server(self, creds: Credentials) -> dict[str, Any]:
        return {"urls": list(self.urls), "username": creds.username, "credential": creds.credential}


@dataclass(frozen=True)
class IceConfig:
    """ICE servers for both the browser and the server, and where they came from."""

    servers: list[dict[str, Any]]
    source: str  # "environment", "secrets" or "default"
    turn: TurnSecret | None = None
    relay_only: bool = False

    def credentials(self, name: str, now: float | None = None) -> Credentials | None:
        """Fresh TURN credentials for session ``name`` (None without a TURN secret)."""
        return None if self.turn is None else credentials(self.turn.secret, name, self.turn.ttl, now)

    def rtc_configuration(self, creds: Credentials | None = None) -> dict[str, Any]:
        """What ``webrtc_streamer(rtc_configuration=...)`` takes (``[]`` stays empty: no STUN); with
        ``creds``, the TURN server with this session's credentials comes first."""
        servers = [dict(s) for s in self.servers]
        if self.turn is not None and creds is not None:
            servers.insert(0, self.turn.server(creds))
        return {"iceServers": servers}

    def browser_configuration(self, creds: Credentials | None = None) -> dict[str, Any]:
        """The browser's RTCConfiguration: the servers, and ``iceTransportPolicy`` when relay-only."""
        config = self.rtc_configuration(creds)
        if self.relay_only:
            config["iceTransportPolicy"] = "relay"
        return config

    @property
    def has_turn(self) -> bool:
        return self.turn is not None or any(
            u.lower().startswith(("turn:", "turns:")) for s in self.servers for u in _urls(s))

    def describe(self) -> str:
        """A line for the page; never shows credentials."""
        parts = []
        if self.turn is not None:
            parts.append(f"TURN with credentials of its own for this session (they expire after "
                         f"{self.turn.ttl / 3600:.3g} h)")
        if self.servers:
            kinds = sorted({u.split(":", 1)[0].upper() for s in self.servers for u in _urls(s)})
            parts.append(f"{len(self.servers)} ICE server{'s' if len(self.servers) > 1 else ''} ({', '.join(kinds)})")
        if not parts:
            return f"No ICE servers ({self.source}): only direct connections (same machine or LAN)."
        relay = " Relay only: every stream goes through the TURN server." if self.relay_only else ""
        return f"From the {self.source}: {'; '.join(parts)}.{relay}"


def _urls(server: Mapping[str, Any]) -> list[str]:
    urls = server["urls"]
    return [urls] if isinstance(urls, str) else list(urls)


def _plain(value: Any) -> Any:
    """Streamlit's secrets AttrDicts and tuples as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def validate_ice_servers(value: Any, where: str = "ICE servers") -> list[dict[str, Any]]:
    """Check a list of RTCIceServer objects (``urls`` plus optional ``username``/``credential``)."""
    value = _plain(value)
    if not isinstance(value, list):
        raise IceConfigError(f"{where} must be a JSON list of objects like "
                             f'{{"urls": "stun:stun.l.google.com:19302"}}, got {type(value).__name__}')
    out = []
    for i, server in enumerate(value):
        item = f"{where}[{i}]"
        if not isinstance(server, dict):
            raise IceConfigError(f"{item} must be an object with a 'urls' key, got {type(server).__name__}")
        unknown = [k for k in server if k not in ICE_KEYS]
        if unknown:
            hint = " (did you mean 'urls'?)" if unknown[0] == "url" else ""
            raise IceConfigError(f"{item} has unknown key {unknown[0]!r}{hint}; allowed: {', '.join(ICE_KEYS)}")
        if "urls" not in server:
            raise IceConfigError(f"{item} needs a 'urls' key (a string or a list of strings)")
        urls = server["urls"]
        url_list = [urls] if isinstance(urls, str) else urls
        if not isinstance(url_list, list) or not url_list or not all(isinstance(u, str) for u in url_list):
            raise IceConfigError(f"{item}.urls must be a non-empty string or list of strings")
        for u in url_list:
            if not u.lower().startswith(ICE_SCHEMES):
                raise IceConfigError(f"{item}.urls: {u!r} must start with one of {', '.join(ICE_SCHEMES)}")
        for key in ("username", "credential"):
            if key in server and not isinstance(server[key], str):
                raise IceConfigError(f"{item}.{key} must be a string")
        if any(u.lower().startswith(("turn:", "turns:")) for u in url_list) and not (
                "username" in server and "credential" in server):
            raise IceConfigError(f"{item} is a TURN server: it needs 'username' and 'credential'")
        out.append(dict(server))
    return out


def parse_ice_servers(text: str, where: str = ICE_ENV) -> list[dict[str, Any]]:
    """Parse and check a JSON list of RTCIceServer objects (``"[]"`` means no ICE servers)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IceConfigError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}. "
                             f'Expected a list such as [{{"urls": "stun:stun.l.google.com:19302"}}] or [].'
                             ) from None
    return validate_ice_servers(value, where)


def read_secret(secrets: Any, key: str) -> Any:
    """``secrets[key]``, or None when there is no secrets file or no such key (never raises)."""
    if secrets is None:
        return None
    try:
        return secrets[key] if key in secrets else None
    except Exception:  # no secrets.toml (FileNotFoundError) or an unparsable one: treat as absent
        return None


def resolve_turn(environ: Mapping[str, str], secrets: Any = None) -> TurnSecret | None:
    """The TURN secret scheme from ``BGAPP_TURN_SECRET`` + ``BGAPP_TURN_URLS`` (+ ``BGAPP_TURN_TTL``),
    else ``secrets["turn"]`` (``secret``, ``urls``, optional ``ttl``), else None."""
    if environ.get(TURN_SECRET_ENV, "").strip() or environ.get(TURN_URLS_ENV, "").strip():
        where = f"{TURN_SECRET_ENV} / {TURN_URLS_ENV}"
        secret, urls, ttl = environ.get(TURN_SECRET_ENV, ""), environ.get(TURN_URLS_ENV, ""), environ.get(TURN_TTL_ENV)
    else:
        table = _plain(read_secret(secrets, "turn"))
        if table is None:
            return None
        where = 'secrets["turn"]'
        if not isinstance(table, dict):
            raise IceConfigError(f"{where} must be a table with 'secret' and 'urls'")
        secret, urls, ttl = table.get("secret", ""), table.get("urls", ""), table.get("ttl")
    url_list = [u.strip() for u in (urls.split(",") if isinstance(urls, str) else urls) if str(u).strip()]
    if not isinstance(secret, str) or not secret.strip():
        raise IceConfigError(f"{where}: the TURN secret is missing (it must equal coturn's static-auth-secret)")
    if not url_list:
        raise IceConfigError(f"{where}: no TURN URL, e.g. turn:lab.example.org:3478")
    bad = [u for u in url_list if not str(u).lower().startswith(("turn:", "turns:"))]
    if bad:
        raise IceConfigError(f"{where}: {bad[0]!r} must start with turn: or turns:")
    try:
        seconds = DEFAULT_TTL if ttl in (None, "") else int(ttl)
    except (TypeError, ValueError):
        raise IceConfigError(f"{where}: the credentials' lifetime {ttl!r} must be whole seconds") from None
    if seconds < 60:
        raise IceConfigError(f"{where}: the credentials' lifetime must be at least 60 s, got {seconds}")
    return TurnSecret([str(u) for u in url_list], secret.strip(), seconds)


def resolve_ice_servers(environ: Mapping[str, str] | None = None, secrets: Any = None) -> IceConfig:
    """ICE servers from ``BGAPP_ICE_SERVERS`` (JSON), else ``secrets["ice_servers"]``, else public STUN
    (or, with a TURN secret, the TURN server's own STUN); plus the TURN secret scheme where set.

    ``secrets["ice_servers"]`` may be a TOML array of tables or a JSON string. An empty or blank
    environment variable counts as unset. Raises :class:`IceConfigError` for a malformed value.
    """
    environ = os.environ if environ is None else environ
    turn = resolve_turn(environ, secrets)
    policy = environ.get(POLICY_ENV, "").strip().lower()
    if policy not in ("", "all", "relay"):
        raise IceConfigError(f"{POLICY_ENV}={policy!r}: expected 'relay' or 'all'")
    relay = policy == "relay"
    if relay and turn is None:
        raise IceConfigError(f"{POLICY_ENV}=relay needs a TURN server ({TURN_SECRET_ENV} and {TURN_URLS_ENV})")
    text = environ.get(ICE_ENV, "")
    if text.strip():
        return IceConfig(parse_ice_servers(text, ICE_ENV), "environment", turn, relay)
    secret = read_secret(secrets, "ice_servers")
    if secret is not None:
        where = 'secrets["ice_servers"]'
        servers = parse_ice_servers(secret, where) if isinstance(secret, str) else validate_ice_servers(secret, where)
        return IceConfig(servers, "secrets", turn, relay)
    if turn is not None:
        return IceConfig([{"urls": turn.stun_urls()}] if turn.stun_urls() else [], "environment", turn, relay)
    return IceConfig([dict(s) for s in DEFAULT_ICE_SERVERS], "default")


def resolve_capture(environ: Mapping[str, str] | None = None) -> Capture:
    """What the cameras are asked for: ``BGAPP_CAPTURE`` (e.g. ``320x240@15``), else 640x480 at 30 fps."""
    environ = os.environ if environ is None else environ
    text = environ.get(CAPTURE_ENV, "").strip()
    return Capture.parse(text) if text else DEFAULT_CAPTURE


TURN_KEY = "webcam.turn_credentials"
_probed: dict[tuple[str, str], tuple[float, str | None]] = {}
PROBE_EVERY = 60.0  # seconds a TURN check's answer is reused for (by every session of this process)


def session_credentials(ice: IceConfig, state: MutableMapping[str, Any], name: str, streaming: bool,
                        now: float | None = None) -> Credentials | None:
    """This session's TURN credentials: made once, and made again when less than a quarter of their
    life is left and no stream runs (a running stream keeps the relay it has)."""
    if ice.turn is None:
        return None
    creds = state.get(TURN_KEY)
    if not isinstance(creds, Credentials) or (not streaming and creds.left(now) < ice.turn.ttl / 4):
        creds = state[TURN_KEY] = ice.credentials(name, now)
    return creds


def turn_problem(ice: IceConfig, now: float | None = None) -> str | None:
    """Why the configured TURN server cannot relay (None when it can, or when there is none);
    the answer of one check is reused for a minute, so a class opening the page costs one check."""
    if ice.turn is None:
        return None
    url = next((u for u in ice.turn.urls if u.lower().startswith("turn:")), None)
    if url is None:
        return None  # turns: (TLS) is not checked from here
    now = time.monotonic() if now is None else now
    key = (url, ice.turn.secret)
    seen = _probed.get(key)
    if seen is None or now - seen[0] > PROBE_EVERY:
        seen = _probed[key] = (now, probe(url, credentials(ice.turn.secret, "bgapp-check", 120)))
    return seen[1]


def format_ms(ms: float) -> str:
    return "-" if not ms or math.isnan(ms) else f"{ms:.1f}"
