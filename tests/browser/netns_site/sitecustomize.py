"""Test-server only (put on PYTHONPATH by tests/browser): let aioice use loopback when alone.

aioice leaves 127.0.0.1 out of its host candidates. Inside the loopback-only network namespace
of the webcam browser test that leaves it nothing to offer, so ICE never connects. When the real
lookup finds no address, fall back to ``["127.0.0.1"]``; with any real interface present the
behaviour is unchanged. The app never imports this module.
"""

from __future__ import annotations


def _install() -> None:
    try:
        import aioice.ice as ice
    except ImportError:  # a server without aioice has nothing to patch
        return
    original = ice.get_host_addresses
    if getattr(original, "_bgapp_loopback_fallback", False):
        return

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = original(use_ipv4, use_ipv6)
        if not addresses and use_ipv4:
            return ["127.0.0.1"]
        return addresses

    get_host_addresses._bgapp_loopback_fallback = True  # type: ignore[attr-defined]
    ice.get_host_addresses = get_host_addresses


_install()
