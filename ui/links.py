"""Links that open an exercise: the Video lab's source and settings live in the page's address.

The address holds ``source`` (``demo``, a failure case of the gallery such as ``case:shadows``, or a
shared sample's path under the shared data, as Evaluate & tune lists them) and the engine's query of
the config (:meth:`bgapp.config.Config.to_query`: the method, and only the values that differ from
their defaults), for example
``?source=demo&method=knn&history=300&post.open=5&composite.mode=blur``. Uploads and local folders
cannot travel in a link: a link made from one carries the settings alone.

The address is read once, when a session arrives at the lab with a query it has not seen (a link
opened, typed or pasted); every run after that writes it from the settings in effect, so a later run
never finds a stale address to go back to (a setting never silently reverts). What the link could not
use keeps its default and is listed in one note. Keys that are not the lab's (such as ``s``) are left
as they are.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException

from bgapp.composite import uses_image
from bgapp.config import Config, is_query_key
from bgapp.errors import BgappError, brief
from bgapp.methods import METHODS

from .errors import plain
from .evaluate import SHARED_DATA, sample_sequences
from .keys import LAB_CONFIG
from .sources import SOURCE_KINDS, SourceChoice, case_choice, demo_choice, select_source, study_choice
from .widgets import clear_widgets

SOURCE = "source"
DEMO = "demo"
CASE = "case:"  # a gallery case: case:<name>
LAB_PAGE = "app_pages/video_lab.py"
FOREIGN = ("s",)  # keys other parts of the app own: never read as a setting, never reported or removed
SEEN_MAX = 64  # the queries a session remembers having written or opened
NOTE_LINES = 8  # a note lists at most this many problems, then says how many more


def source_name(choice: SourceChoice) -> str | None:
    """How a link names ``choice``: ``demo``, a gallery case (``case:shadows``), a shared sample's path
    under the shared data (``cdnet/baseline/highway``), or None for what cannot travel (an upload, a
    local folder). Each kind of source says (``SourceKind.link_name``)."""
    kind = SOURCE_KINDS.get(choice.kind)
    return None if kind is None else kind.link_name(choice, SHARED_DATA)


def open_source(name: str) -> SourceChoice:
    """Make the source a link names the session's source (the one :func:`ui.sources.choose_source`
    then shows). Only the demo, the gallery's cases and the shared samples can be named; raises
    BgappError otherwise."""
    if name == DEMO:
        return select_source(demo_choice())
    if name.startswith(CASE):
        try:
            return select_source(case_choice(name))
        except BgappError as exc:
            raise BgappError(f"{exc}; the source stays as it was") from None
    specs = dict(sample_sequences())
    if name not in specs:
        raise BgappError(f"{brief(name)} is not one of this server's shared samples; the source stays as "
                         f"it was ({SOURCE_KINDS['demo'].label.lower()} in a new session)")
    return select_source(study_choice(specs[name]))


def link_query(choice: SourceChoice, cfg: Config) -> dict[str, str]:
    """The lab's part of the address: the source where it can travel, then the config's query."""
    name = source_name(choice)
    return ({SOURCE: name} if name is not None else {}) | cfg.to_query()


def open_in_lab(query: dict[str, str], key: str = "lab") -> NoReturn:
    """Go to the Video lab with the address ``query`` (a :func:`link_query`), read as a link even where
    this session opened the same one before (the gallery's "Open in the lab" opens the case afresh
    each time, however its settings were changed in between)."""
    seen: list[frozenset] = st.session_state.setdefault(f"{key}.link_seen", [])
    item = frozenset(query.items())
    if item in seen:
        seen.remove(item)
    st.switch_page(LAB_PAGE, query_params=query)


def owns(key: str) -> bool:
    """Whether ``key`` of the address is the lab's to write and remove."""
    return key == SOURCE or is_query_key(key)


def _ours() -> dict[str, str]:
    qp = st.query_params
    return {k: qp[k] for k in qp if owns(k)}


def _given() -> dict[str, str]:
    qp = st.query_params
    return {k: qp[k] for k in qp if k not in FOREIGN}


def _remember(seen: list[frozenset], query: dict[str, str]) -> None:
    item = frozenset(query.items())
    if item in seen:
        seen.remove(item)
    seen.append(item)
    del seen[:-SEEN_MAX]


def _write(query: dict[str, str]) -> None:
    """Make the address's lab keys ``query`` (one browser history entry), leaving the others' keys."""
    qp = st.query_params
    whole: dict[str, str | list[str]] = {k: v if len(v) != 1 else v[0] for k in qp if not owns(k)
                                         for v in [qp.get_all(k)]}
    whole.update(query)
    try:
        qp.from_dict(whole)
    except StreamlitAPIException:  # a key bound to a widget cannot be set: change only the lab's own keys
        for key in [k for k in qp if owns(k) and k not in query]:
            del qp[key]
        qp.update(query)


class Link:
    """The lab's address for one run: what a link opened (:attr:`config`, once), the address following
    the settings (:meth:`follow`), and the Copy link control (:meth:`copy_control`)."""

    def __init__(self, key: str, config: Config | None, note: Any) -> None:
        self.key = key
        self.config = config
        self.query: dict[str, str] = {}
        self.travels = True
        self._note = note

    def follow(self, choice: SourceChoice, cfg: Config) -> None:
        """Write the settings in effect into the address (only where they changed: no rerun, no
        widget touched). The link's note goes once a setting changes."""
        state = st.session_state
        self.query = link_query(choice, cfg)
        self.travels = SOURCE in self.query
        _remember(state.setdefault(f"{self.key}.link_seen", []), self.query)
        if _ours() != self.query:
            _write(self.query)
        note = state.get(f"{self.key}.link_note")
        if note is not None:
            if note[1] is None:
                note[1] = self.query  # the settings the link opened
            elif note[1] != self.query:
                del state[f"{self.key}.link_note"]
                self._note.empty()

    def url(self) -> str:
        """The link to these settings: the page's address (``st.context.url``, None where no browser
        sent one) and the lab's query; other keys (a session's own) are not part of it."""
        query = urlencode(self.query)
        base = st.context.url
        return f"{base}?{query}" if base else f"?{query}"

    def copy_control(self, where: Any = st) -> None:
        """A "Copy link" popover: the link, with the copy button Streamlit's code block has."""
        with where.popover("Copy link", icon=":material/link:", width="stretch",
                           help="A link that opens this source with this method and every setting."):
            st.code(self.url(), language=None, wrap_lines=True)
            cfg = st.session_state.get(LAB_CONFIG)
            said = ["It opens the same source, method, parameters, post-processing and composite; "
                    "the frame shown and the pictures you uploaded are not part of it."]
            if not self.travels:
                said.append("Your source (an upload or a folder on this server) cannot travel in a link: "
                            "the link opens these settings on the built-in demo.")
            elif isinstance(cfg, Config) and (uses_image(cfg.composite) or
                                              (METHODS[cfg.method].uses_reference
                                               and cfg.params.get("reference") in ("image", "snapshot"))):
                said.append("It names the reference or background picture's setting, not the picture: "
                            "whoever opens it captures or uploads their own.")
            st.caption(" ".join(said))


def open_link(key: str = "lab") -> Link:
    """Read the address on the session's first arrival at the page with a query it has not seen (a
    link): make its source the session's, and return its config in :attr:`Link.config` (the widgets
    under ``key`` cleared, so they show it). What it could not use is listed in one note, shown here
    until a setting changes. Call it before the source picker."""
    state = st.session_state
    seen: list[frozenset] = state.setdefault(f"{key}.link_seen", [])
    given = _given()
    ours = {k: v for k, v in given.items() if owns(k)}
    slot = st.empty()
    config = None
    if ours and frozenset(ours.items()) not in seen:
        _remember(seen, ours)
        problems = []
        name = given.get(SOURCE)
        if name is not None:
            try:
                open_source(name)
            except BgappError as exc:
                problems.append(f"source: {exc}")
        config, bad = Config.from_query({k: v for k, v in given.items() if k != SOURCE})
        problems += bad
        clear_widgets(key)
        state[LAB_CONFIG] = config
        state.pop(f"{key}.link_note", None)
        if problems:
            state[f"{key}.link_note"] = [problems, None]
    note = state.get(f"{key}.link_note")
    if note is not None:
        problems = note[0]
        lines = "\n".join(f"- {plain(p)}" for p in problems[:NOTE_LINES])
        if len(problems) > NOTE_LINES:
            lines += f"\n- and {len(problems) - NOTE_LINES} more"
        slot.warning(f"This link opened with defaults for what it could not use:\n\n{lines}",
                     icon=":material/link_off:")
    return Link(key, config, slot)
