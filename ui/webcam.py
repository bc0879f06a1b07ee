"""The live-webcam page's configuration: ICE servers from the environment, secrets or a default.

The frame callback itself (:class:`bgapp.live.LiveProcessor`, with its FPS meter and
lock-protected :class:`bgapp.live.LiveStats`) lives in the engine and is re-exported here.
Nothing here calls ``st.*`` at import time: :func:`resolve_ice_servers` takes the environment
and a secrets getter, so it is unit-testable without a browser.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

ICE_ENV = "BGAPP_ICE_SERVERS"
DEFAULT_ICE_SERVERS: list[dict[str, Any]] = [{"urls": ["stun:stun.l.google.com:19302"]}]
ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
ICE_KEYS = ("urls", "username", "credential")

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
class IceConfig:
    """ICE servers for both the browser and the server, and where they came from."""

    servers: list[dict[str, Any]]
    source: str  # "environment", "secrets" or "default"

    @property
    def rtc_configuration(self) -> dict[str, Any]:
        """What ``webrtc_streamer(rtc_configuration=...)`` takes (``[]`` stays empty: no STUN)."""
        return {"iceServers": [dict(s) for s in self.servers]}

    def describe(self) -> str:
        """A line for the page; never shows credentials."""
        if not self.servers:
            return f"No ICE servers ({self.source}): only direct connections (same machine or LAN)."
        urls = [u for s in self.servers for u in ([s["urls"]] if isinstance(s["urls"], str) else s["urls"])]
        kinds = sorted({u.split(":", 1)[0].upper() for u in urls})
        return f"ICE servers from {self.source}: {len(self.servers)} ({', '.join(kinds)})."


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


def resolve_ice_servers(environ: Mapping[str, str] | None = None, secrets: Any = None) -> IceConfig:
    """ICE servers from ``BGAPP_ICE_SERVERS`` (JSON), else ``secrets["ice_servers"]``, else public STUN.

    ``secrets["ice_servers"]`` may be a TOML array of tables or a JSON string. An empty or blank
    environment variable counts as unset. Raises :class:`IceConfigError` for a malformed value.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(ICE_ENV, "")
    if text.strip():
        return IceConfig(parse_ice_servers(text, ICE_ENV), "environment")
    secret = read_secret(secrets, "ice_servers")
    if secret is not None:
        where = 'secrets["ice_servers"]'
        servers = parse_ice_servers(secret, where) if isinstance(secret, str) else validate_ice_servers(secret, where)
        return IceConfig(servers, "secrets")
    return IceConfig([dict(s) for s in DEFAULT_ICE_SERVERS], "default")


def format_ms(ms: float) -> str:
    return "-" if not ms or math.isnan(ms) else f"{ms:.1f}"
