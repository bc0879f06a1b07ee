"""TURN credentials that expire, from a secret shared with the TURN server, and a check that they work.

A browser behind a home router or a campus firewall usually cannot reach the server's WebRTC ports
directly; a TURN server relays its media. Handing every browser one static TURN password would let
anyone who opens the page's source relay through the server for ever. The TURN REST API scheme
(coturn's ``use-auth-secret`` with ``static-auth-secret``) avoids that: the app and coturn share a
secret, and each session gets

* ``username = "<unix time it expires>:<name>"``
* ``credential = base64(HMAC-SHA1(secret, username))``

which coturn checks on every request without any per-user state, and refuses after the expiry.

>>> c = credentials("s3cret", "session-1", ttl=3600, now=1_000_000)
>>> c.username, c.credential
('1003600:session-1', 'BnVHpwoBAH6zxFd3D8QMZIaT3mw=')
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import hmac
import time
import urllib.parse
from dataclasses import dataclass

DEFAULT_TTL = 6 * 3600  # seconds: longer than a lesson, so a stream never loses its relay mid-class
PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class Credentials:
    """One session's TURN username and credential, valid until ``expires`` (unix time)."""

    username: str
    credential: str
    expires: int

    def left(self, now: float | None = None) -> float:
        """Seconds until they expire."""
        return self.expires - (time.time() if now is None else now)


def credentials(secret: str, name: str, ttl: int = DEFAULT_TTL, now: float | None = None) -> Credentials:
    """Credentials for ``name`` valid for ``ttl`` seconds from ``now`` (default: the clock).

    ``name`` is free text without ``:`` (a session id); it shows in the TURN server's log, which
    lets a host tell which session holds an allocation.
    """
    if not secret:
        raise ValueError("the TURN secret is empty")
    if ttl <= 0:
        raise ValueError(f"the TURN credentials' lifetime must be positive, got {ttl} s")
    expires = int(time.time() if now is None else now) + int(ttl)
    username = f"{expires}:{name.replace(':', '-')}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return Credentials(username, base64.b64encode(digest).decode("ascii"), expires)


@dataclass(frozen=True)
class TurnUrl:
    """A ``turn:host:port?transport=udp`` URL, split (``turns:`` and TCP are out of scope of the probe)."""

    host: str
    port: int
    transport: str = "udp"

    @classmethod
    def parse(cls, url: str) -> TurnUrl:
        scheme, _, rest = url.partition(":")
        if scheme.lower() not in ("turn", "turns"):
            raise ValueError(f"{url!r} is not a turn: URL")
        hostport, _, query = rest.partition("?")
        transport = urllib.parse.parse_qs(query).get("transport", ["udp"])[0].lower()
        host, sep, port = hostport.rpartition(":")
        if not sep or not port.isdigit():
            host, port = hostport, "5349" if scheme.lower() == "turns" else "3478"
        return cls(host.strip("[]"), int(port), transport)


async def _allocate(url: TurnUrl, creds: Credentials) -> None:
    from aioice.turn import create_turn_endpoint

    transport, _ = await create_turn_endpoint(asyncio.DatagramProtocol, (url.host, url.port), creds.username,
                                              creds.credential, lifetime=60, transport=url.transport)
    transport.close()


def probe(url: str, creds: Credentials, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Ask the TURN server at ``url`` for a relay with ``creds``: None when it gives one, else why not.

    The answer is one sentence a host can act on: the server did not answer (address, port,
    firewall), or it refused the credentials (the secret differs from coturn's
    ``static-auth-secret``, or the clocks differ by more than the lifetime).
    """
    try:
        where = TurnUrl.parse(url)
    except ValueError as exc:
        return str(exc)
    from aioice.stun import TransactionFailed, TransactionTimeout

    # a loop of its own on a thread of its own: the caller's thread may already run one
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="turn-probe") as pool:
        done = pool.submit(asyncio.run, asyncio.wait_for(_allocate(where, creds), timeout))
        try:
            done.result()
        except (asyncio.TimeoutError, TimeoutError, TransactionTimeout):
            return (f"the TURN server {where.host}:{where.port} ({where.transport.upper()}) did not answer in "
                    f"{timeout:.0f} s: check that it runs and that its port is open to this server")
        except TransactionFailed as exc:
            code = exc.response.attributes.get("ERROR-CODE", (0, ""))[0]
            if code in (401, 438):
                return (f"the TURN server {where.host}:{where.port} refused this app's credentials: the TURN "
                        "secret differs from the TURN server's static-auth-secret (or the two clocks disagree)")
            return f"the TURN server {where.host}:{where.port} refused a relay: {exc}"
        except OSError as exc:
            return f"cannot reach the TURN server {where.host}:{where.port}: {exc.strerror or exc}"
        except Exception as exc:  # noqa: BLE001 - anything else: say so, never break the page
            return f"could not check the TURN server {where.host}:{where.port}: {type(exc).__name__}: {exc}"
    return None
