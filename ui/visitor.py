"""Who is on the other end: someone at the server's own machine, or a visitor over the network.

Only someone at the machine may open the server's own files as a source. Behind a proxy on the same
host every connection comes from loopback, and a proxy may also rewrite ``Host`` to the upstream's
address (nginx's default for ``proxy_pass``), so neither the peer address nor ``Host`` alone says
"local". A visitor counts as local only when all of these hold:

* the TCP peer is loopback (``st.context.ip_address``, the unforgeable peer address: None for
  ``127.0.0.1`` and ``::1``, but ``::ffff:127.0.0.1`` where the server listens on every interface,
  Streamlit's default, which is loopback too);
* no forwarding header is present (``X-Forwarded-For``, ``Forwarded``, ``Via``...): a proxy adds
  one, and a client that forges one only makes itself remote;
* ``Host`` and, where the browser sent it, ``Origin`` (which page scripts cannot set) name loopback.

A proxy that adds no header, rewrites ``Host`` and faces a non-browser client would still pass, so a
hosted deployment also sets ``BGAPP_LOCAL_FILES=0`` (``python -m bgapp host`` and ``deploy/`` do).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Mapping

import streamlit as st

FORWARDING = ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "forwarded", "via",
              "x-forwarded-server", "x-original-forwarded-for", "cf-connecting-ip", "true-client-ip")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _hostname(value: str) -> str:
    """The host of a ``Host`` header (``name:port``, ``[::1]:port``) or an ``Origin`` URL."""
    value = value.strip()
    if "//" in value:
        return (urllib.parse.urlsplit(value).hostname or "").lower()
    return (urllib.parse.urlsplit(f"//{value}").hostname or "").lower()


def loopback_peer(ip_address: str | None) -> bool:
    """Whether the peer address (None: Streamlit's way of saying loopback) is this machine's loopback."""
    if ip_address is None:
        return True
    try:
        ip = ipaddress.ip_address(ip_address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def is_local(ip_address: str | None, headers: Mapping[str, str]) -> bool:
    """Whether a connection with this peer address (None: loopback) and these headers comes from a
    browser on the server's own machine, with no proxy between (see the module's docstring)."""
    if not loopback_peer(ip_address):
        return False
    lower = {k.lower(): v for k, v in headers.items()}
    if any(h in lower for h in FORWARDING):
        return False
    if _hostname(lower.get("host", "")) not in LOOPBACK_NAMES:
        return False
    origin = lower.get("origin")
    return origin is None or _hostname(origin) in LOOPBACK_NAMES


def visitor_is_local() -> bool:
    """:func:`is_local` for the session running this script; False without a request context."""
    try:
        return is_local(st.context.ip_address, dict(st.context.headers))
    except Exception:  # noqa: BLE001 - no request context (bare mode, AppTest): be strict
        return False
