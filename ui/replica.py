"""Which server process (replica) holds this session, and a note when the session had to move.

Behind ``python -m bgapp host`` (or ``deploy/``) each replica is named by ``BGAPP_REPLICA``, and the
proxy's cookie keeps a browser on one replica. When that replica dies, the proxy sends the browser
to a live one, where Streamlit starts a new session from the page's URL and the widgets' values.
To tell such a session from a reload on the same server, each replica puts a marker of its own in
the URL (``?s=<replica>-<random>``) and remembers the markers it gave out: a new session whose URL
carries a marker this process never gave, from a browser that has the proxy's cookie (it was on
some replica before), came from a replica that stopped.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections import OrderedDict

import streamlit as st

from bgapp.hosting import COOKIE, REPLICA_ENV

MARKER = "s"  # the URL's query key (the lab's links leave it alone and never copy it)
_MOVED = "bgapp.moved_from"
_TOKEN = "bgapp.marker"
_KNOWN: OrderedDict[str, None] = OrderedDict()  # markers this process gave out, newest last
_KNOWN_MAX = 10_000
_lock = threading.Lock()


def name() -> str | None:
    """This process's replica name, or None when it runs alone."""
    return os.environ.get(REPLICA_ENV) or None


def _remember(token: str) -> None:
    with _lock:
        _KNOWN[token] = None
        _KNOWN.move_to_end(token)
        while len(_KNOWN) > _KNOWN_MAX:
            _KNOWN.popitem(last=False)


def _known(token: str) -> bool:
    with _lock:
        return token in _KNOWN


def arrival(own: str, marker: str | None, has_cookie: bool) -> tuple[str, str | None]:
    """This new session's marker, and the replica it moved from (None: a first visit or a reload).

    >>> _ = arrival("app1", None, False)  # a first visit: a fresh marker, no move
    >>> token, moved = arrival("app2", "app1-3f9a1c0d", True)
    >>> token.startswith("app2-"), moved
    (True, 'app1')
    """
    if marker and _known(marker):
        return marker, None  # a reload, or another tab, on this same process
    token = f"{own}-{secrets.token_hex(4)}"
    _remember(token)
    moved = marker.rsplit("-", 1)[0] if marker and has_cookie and "-" in marker else None
    return token, moved


def show() -> None:
    """On a session's first run, notice a move; then, until dismissed, say so; and name the server."""
    own = name()
    if own is None:
        return
    state = st.session_state
    if _TOKEN not in state:
        try:
            has_cookie = COOKIE in st.context.cookies
        except Exception:  # noqa: BLE001 - no request context (AppTest)
            has_cookie = False
        state[_TOKEN], state[_MOVED] = arrival(own, st.query_params.get(MARKER), has_cookie)
    if st.query_params.get(MARKER) != state[_TOKEN]:
        st.query_params[MARKER] = state[_TOKEN]
    st.sidebar.caption(f":material/dns: Server {own}")
    old = state.get(_MOVED)
    if old:
        box = st.container(border=True)
        box.warning(f"The server that held your session ({old}) stopped, so this is a new session on {own}. "
                    "The settings in the page's link are back; everything else starts again: the model "
                    "learns the background anew, and uploaded files need uploading again.",
                    icon=":material/sync_problem:")
        box.button("OK", key="bgapp.moved_ok", on_click=lambda: state.update({_MOVED: None}))
