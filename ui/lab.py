"""Video-lab pieces that are widgets plus a little logic: progress bars, the reference and
background pictures some settings need, and the downloads."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from bgapp.composite import uses_image
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.frames import decode_image
from bgapp.methods import METHODS
from bgapp.player import Player

from .errors import guard, plain
from .keys import APPLIED_CONFIG
from .sources import upload_limit_mb
from .widgets import clear_widgets

IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"]


def progress_bar(where: Any, text: str):
    """A throttled progress callback ``(done, total)`` drawing into placeholder ``where``."""
    last = [-1]

    def update(done: int, total: int) -> None:
        pct = int(100 * done / max(total, 1))
        if pct != last[0]:
            last[0] = pct
            where.progress(min(pct, 100) / 100, text=f"{text}: frame {done} of {total}")

    return update


def _uploaded_image(where: Any, label: str, key: str, help: str) -> tuple[str, Any] | None:
    """(file id, BGR image) of an uploaded picture; problems are shown, not raised."""
    up = where.file_uploader(f"{label} (up to {upload_limit_mb()} MB)", type=IMAGE_TYPES, key=key, help=help)
    if up is None:
        return None
    with guard("reading the image", where) as g:
        img = decode_image(up.getvalue(), up.name)
    return (up.file_id, img) if g.ok else None




def _clear_widgets(key: str) -> None:
    """Forget the settings widgets' own values; the next ones are drawn with a newly loaded config,
    which :func:`ui.widgets.param_widget` writes into session state so the browser shows it."""
    clear_widgets(key)


def take_applied(key: str, where: str = "") -> Config | None:
    """The settings "Apply best" sent from Evaluate & tune, once per page (``key``): the widgets
    then show them and keep them. Each page takes each applied config once; it stays in session
    state for the others (and for Evaluate's "Start from")."""
    config = st.session_state.get(APPLIED_CONFIG)
    if not isinstance(config, Config) or st.session_state.get(f"{key}.applied_seen") is config:
        return None
    st.session_state[f"{key}.applied_seen"] = config
    _clear_widgets(key)
    st.toast(f"Using the best settings from Evaluate & tune{where}: {plain(METHODS[config.method].title)}.",
             icon=":material/tune:")
    return config


def load_settings(key: str, where: Any = st.sidebar) -> Config | None:
    """A settings file (JSON, as the Downloads or ``bgapp tune --out`` write it) to start from.

    Returns the loaded Config once, on the run after a new file arrives, having cleared the
    widgets' own values so that they show it, and says so in a toast naming the file and the
    method. A bad file is refused in a toast too (seen wherever the page is scrolled, when it
    arrives) and in the sidebar for as long as it is there. The messages are the CLI's
    (:meth:`bgapp.config.Config.from_json`).
    """
    with where.expander("Load settings (JSON)"):
        up = st.file_uploader("A settings file saved by this app or by bgapp tune", type=["json"],
                              key=f"{key}.settings", help="Method, parameters, post-processing and composite. "
                              "Every value is checked against the declared ranges.")
    if up is None:
        st.session_state.pop(f"{key}.settings_seen", None)
        return None
    seen = st.session_state.get(f"{key}.settings_seen")
    if seen is not None and seen[0] == up.file_id:
        if seen[1]:
            where.error(seen[1], icon=":material/error:")
        return None
    try:
        config = Config.from_json(up.getvalue(), up.name)
    except BgappError as exc:
        message = plain(f"Settings not loaded: {exc}")
        st.session_state[f"{key}.settings_seen"] = (up.file_id, message)
        st.toast(message, icon=":material/error:", duration="long")
        where.error(message, icon=":material/error:")
        return None
    st.session_state[f"{key}.settings_seen"] = (up.file_id, None)
    _clear_widgets(key)
    st.toast(plain(f"Loaded {up.name}: {METHODS[config.method].title}, with its parameters, post-processing "
                   "and composite."), icon=":material/task_alt:")
    return config


def picture_controls(player: Player, cfg: Config, key: str, where: Any = st.sidebar) -> str | None:
    """Widgets that only matter for some settings: capture or upload a reference, upload a
    background picture. Returns what changed, as :attr:`bgapp.config.Change.scope` names it
    (``model`` for a new reference, ``view`` for a new background picture), or None."""
    changed: str | None = None
    pipe = player.pipeline
    reference = cfg.params.get("reference") if METHODS[cfg.method].uses_reference else None
    if reference == "snapshot":
        if where.button("Use the shown frame as reference", key=f"{key}.capture", width="stretch",
                        help="The difference methods compare every frame with this snapshot. Take it "
                             "when the scene is empty."):
            changed = "model" if pipe.capture_reference() else None
    elif reference == "image":
        got = _uploaded_image(where, "Reference image", f"{key}.refimg",
                              "A picture of the empty scene; it is resized to the frames if needed.")
        if got is not None and st.session_state.get(f"{key}.refimg_id") != got[0]:
            pipe.set_reference_image(got[1])
            st.session_state[f"{key}.refimg_id"] = got[0]
            changed = "model"
    if uses_image(cfg.composite):
        got = _uploaded_image(where, "Background picture", f"{key}.bgimg",
                              "Shown behind the foreground in the 'image' composite; scaled to cover the frame.")
        if got is not None and st.session_state.get(f"{key}.bgimg_id") != got[0]:
            pipe.set_background_image(got[1])
            st.session_state[f"{key}.bgimg_id"] = got[0]
            changed = changed or "view"
    return changed


def downloads(player: Player, where: Any = st) -> None:
    """Download buttons for the last full run, plus the current settings as JSON."""
    stem = Path(player.clip.name).stem or "clip"
    out = player.outputs
    cols = where.columns(4)
    if out is not None:
        items = [("mask", "Mask video (MP4)", f"{stem}_mask.mp4", "video/mp4"),
                 ("composite", "Composite video (MP4)", f"{stem}_composite.mp4", "video/mp4"),
                 ("zip", "Masks (zip of PNGs)", f"{stem}_masks.zip", "application/zip")]
        for col, (name, label, file_name, mime) in zip(cols, items):
            path = out.files[name]
            col.download_button(label, partial(path.read_bytes), file_name=file_name, mime=mime,
                                key=f"lab.dl.{name}", on_click="ignore", icon=":material/download:",
                                width="stretch")
    cols[3].download_button("Settings (JSON)", player.pipeline.config.to_json(), file_name=f"{stem}_config.json",
                            mime="application/json", key="lab.dl.config", on_click="ignore",
                            icon=":material/download:", width="stretch",
                            help="Load it with `python -m bgapp process --config` to get the same masks.")
    if out is None:
        where.caption("**Re-run from start** renders the mask video, the composite video and a zip of masks "
                      "(bin000001.png…, the CDnet results naming) for the whole clip.")
    elif out.config != player.pipeline.config:
        where.caption(f"These files cover {out.frames} frames made with earlier settings: "
                      "**Re-run from start** to render the current ones.")
    else:
        where.caption(f"{out.frames} frames rendered with the current settings.")
