"""Live webcam: background subtraction on your camera, tuned while it runs."""

from __future__ import annotations

import os

import streamlit as st

from bgapp.composite import uses_image
from bgapp.config import Config
from bgapp.display import jpeg
from bgapp.frames import decode_image
from bgapp.load import machine_load
from bgapp.methods import METHODS
from bgapp.pace import explain
from bgapp.pipeline import Pipeline
from ui import inspector
from ui.errors import attempt, guard
from ui.lab import load_settings, take_applied
from ui.st_runtime import session_id
from ui.views import Grid
from ui.visitor import visitor_is_local
from ui.webcam import (
    DEFAULT_CAPTURE,
    VIEW_HELP,
    VIEW_MODES,
    IceConfigError,
    WebcamProcessor,
    format_ms,
    resolve_capture,
    resolve_ice_servers,
    session_credentials,
    turn_problem,
)
from ui.webrtc_stream import live_stream, resize_note
from ui.widgets import config_controls

KEY = "webcam"
START = Config("mog2", {"history": 200}, composite={"mode": "overlay"})


st.title("Live webcam")
st.markdown(
    "Press **START** and allow the camera: every frame goes through the same background model as "
    "the Video lab, and what comes back is the view you pick below. Move the sliders in the sidebar "
    "while it runs: the model keeps what it has learned unless a setting needs a fresh start."
)

with st.sidebar:
    st.header("Settings")
    loaded = load_settings(KEY) or take_applied(KEY)
    running = st.session_state.get(f"{KEY}.processor")
    base = loaded or (running.pipeline.config if running is not None else START)
    config = attempt(config_controls, KEY, base, what="reading the settings") or START

state = st.session_state
if f"{KEY}.processor" not in state:  # one pipeline per session, kept across reruns
    state[f"{KEY}.processor"] = WebcamProcessor(Pipeline(config), mode="composite")
processor: WebcamProcessor = state[f"{KEY}.processor"]
pipeline = processor.pipeline

with guard("changing the settings"):
    changed = processor.update(config)
    if changed.rebuilt:
        st.toast("The model restarted: this setting cannot change on a running model.")

if uses_image(config.composite):
    upload = st.sidebar.file_uploader("Replacement background", type=["png", "jpg", "jpeg", "bmp", "webp"],
                                      key=f"{KEY}.bg_image")
    if upload is not None and state.get(f"{KEY}.bg_image_id") != upload.file_id:
        img = attempt(decode_image, upload.getvalue(), upload.name, what="reading the image", where=st.sidebar)
        if img is not None:
            pipeline.set_background_image(img)
            state[f"{KEY}.bg_image_id"] = upload.file_id

mode = st.radio("View", VIEW_MODES, index=VIEW_MODES.index(processor.mode), horizontal=True,
                key=f"{KEY}.view", help="What the video below shows. " +
                "; ".join(f"{k}: {v}" for k, v in VIEW_HELP.items()) + ".")
processor.mode = mode

uses_reference = METHODS[config.method].uses_reference
left, right, _ = st.columns([1, 1.6, 2])
if left.button("Reset model", key=f"{KEY}.reset", help="Forget everything the model has learned and start over."):
    processor.reset()
    st.toast("Model reset: it is learning the background again.")
if right.button("Capture reference", key=f"{KEY}.capture", disabled=not uses_reference,
                help="Absolute difference and SSIM compare each frame with a reference: this uses the "
                     "current camera frame. Step out of view first, then capture. Set Reference to "
                     "'snapshot' to keep the capture; in 'first' mode the next frame becomes the reference."
                     if uses_reference else "Only Absolute difference and SSIM use a reference frame."):
    if pipeline.capture_reference():
        st.toast("Reference captured: anything that differs from it is now foreground.")
    else:
        st.warning("No camera frame yet: press START first, then capture.")

try:
    ice = resolve_ice_servers(os.environ, st.secrets)
except IceConfigError as exc:
    ice = None
    st.error(f"Cannot start the camera connection. {exc} Fix the setting (environment variables "
             "BGAPP_ICE_SERVERS / BGAPP_TURN_SECRET / BGAPP_TURN_URLS, or .streamlit/secrets.toml) and "
             "restart the app.")
try:
    capture = resolve_capture(os.environ)
except ValueError as exc:
    capture = DEFAULT_CAPTURE
    st.warning(f"{exc}. The cameras are asked for {capture} instead.")
if ice is not None:
    problem = turn_problem(ice)
    if problem:
        st.error(f"Cameras on other networks cannot connect: {problem}. On this server's own network the "
                 "camera may still work. Whoever hosts the lab: see README, Host it for a class.",
                 icon=":material/wifi_off:")
    elif not ice.has_turn and not visitor_is_local():
        st.warning("No TURN server is set up: a camera behind a home router or a campus firewall may never "
                   "connect (the picture stays blank). Whoever hosts the lab: set BGAPP_TURN_SECRET and "
                   "BGAPP_TURN_URLS (README, Host it for a class).", icon=":material/wifi_off:")

video_col, info_col = st.columns([3, 2], gap="medium")
ctx = None
with video_col:
    if ice is not None:
        creds = session_credentials(ice, state, session_id() or "session", bool(state.get(f"{KEY}.streaming")))
        try:
            from streamlit_webrtc import WebRtcMode, webrtc_streamer

            stream = live_stream(KEY, processor, state, fps=capture.fps)
            ctx = webrtc_streamer(
                key=f"{KEY}.stream", mode=WebRtcMode.SENDRECV, server_rtc_configuration=ice.rtc_configuration(creds),
                frontend_rtc_configuration=ice.browser_configuration(creds),
                sink_video_track=stream.sink, source_video_track=stream.source,
                media_stream_constraints=capture.constraints(),
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a test harness without a WebRTC session
            st.info(f"The live camera needs a browser session; it is not available here "
                    f"({type(exc).__name__}). The settings still work.")
        st.caption(f"{ice.describe()} Cameras are asked for {capture.width}x{capture.height} at {capture.fps} fps.")


streaming = ctx is not None and ctx.state.playing
if streaming and not state.get(f"{KEY}.streaming"):
    processor.stats.new_stream()  # the rates, sizes and latency of an earlier stream say nothing of this one
state[f"{KEY}.streaming"] = streaming


@st.fragment(run_every=1.0)
def live_stats() -> None:
    """Measurements from the callback thread, refreshed every second; after STOP, that it stopped."""
    s = processor.stats.snapshot()
    if not streaming:
        if s.frames:
            st.info(f"The stream is stopped. The model keeps what it learned from {s.since_reset} frames "
                    "until you reset it or change a setting that needs a new one; press START to go on.",
                    icon=":material/stop_circle:")
        else:
            st.caption("Press START and allow the camera: frame rate, timings and the foreground share show here.")
        st.caption(f"frames processed since the page opened: {s.frames} · received: {s.received} · "
                   f"dropped: {s.dropped}")
        return
    a, b = st.columns(2)
    a.metric("FPS", f"{s.fps:.1f}", help="Frames processed per second (last 2 s).")
    b.metric("Latency", f"{s.latency_ms:.0f} ms" if s.latency_ms else "-",
             help="From a camera frame's arrival on the server to its processed view being sent back "
                  "(smoothed). Frames never queue: a slow method skips frames instead of falling behind.")
    c, d = st.columns(2)
    c.metric("ms per frame", format_ms(s.model_ms),
             help="Model, post-processing and composite time per frame. Above about 33 ms the "
                  "camera's 30 fps cannot be kept up and frames are skipped.")
    share = f" ({100 * s.dropped / s.received:.0f} %)" if s.received else ""
    d.metric("Dropped", f"{s.dropped}{share}",
             help="Camera frames skipped because a newer one arrived before they could be processed.")
    st.metric("Foreground", f"{100 * s.fg_fraction:.1f} %", help="Share of pixels in the clean mask.")
    size = f" · {s.size[0]}x{s.size[1]}" if s.size else ""
    load = machine_load()
    st.caption(f"frames received: {s.received} ({s.arrival_fps:.0f} a second) · processed: {s.frames} · "
               f"dropped: {s.dropped} · frames in this model: {s.since_reset}{size} · "
               f"ms total: {format_ms(s.total_ms)}" + (f" · server: {load.text()}" if load else ""))
    pace = s.pace()
    why = pace and explain(pace, METHODS[pipeline.config.method].title, "the processed video",
                           "receiving, converting and sending the video", s.size)
    if why:
        st.warning(f"{why} Frames the method has no time for are skipped, so what you see lags and jumps.",
                   icon=":material/speed:")
    if load is not None and load.at_limit:
        st.warning(f"The server is at its limit ({load.text()}): every session skips the frames it has no "
                   "time for, so pictures stay live but jump. Fewer sessions per server, or a smaller camera size "
                   "or rate set by whoever hosts the lab, helps.", icon=":material/memory:")
    note = resize_note(s.largest_size, s.size)
    if note:
        st.warning(note)
    history = pipeline.config.params.get("history")
    if s.frames and (s.learning or pipeline.method.learning):
        st.info("Learning the background: the first masks are not meaningful yet. Keep still or step out.")
    elif s.frames and history and s.since_reset < history:
        st.progress(s.since_reset / history,
                    text=f"Model history filling: {s.since_reset} of {history} frames since it (re)started.")
    for note in pipeline.notes:
        st.caption(f"Note: {note}")
    if s.error:
        st.error(f"The last frame failed: {s.error}")


with info_col:
    live_stats()

last = pipeline.last_frame
size = None if last is None else (last.shape[1], last.shape[0])  # of the frames processed, None before the first
with guard("following the pixel"):
    inspector.follow(pipeline, pipeline.trace, inspector.wanted(KEY, size))
if inspector.controls(KEY, size, clicks="the still below"):

    @st.fragment(run_every=1.0 if streaming else None)
    def live_pixel() -> None:
        """The followed pixel, refreshed every second while the stream runs."""
        trace, still = pipeline.trace, pipeline.last_frame
        left, right = st.columns([2, 3])
        if still is not None and trace is not None:
            grid = Grid.of((still.shape[1], still.shape[0]), 1, 1)
            if inspector.clickable(left, KEY, jpeg(still), grid, (trace.x, trace.y)):
                st.rerun()  # follow the pixel clicked
            left.caption("The latest frame: click to follow another pixel.")
        inspector.show(right, trace, pipeline.config.method, since=" since you picked it")

    live_pixel()
elif st.session_state.get(f"{KEY}.inspect"):
    st.caption("Press START: the pixel inspector follows a pixel of the live stream once frames arrive.")

with st.expander("What am I looking at?", expanded=ctx is None or not ctx.state.playing):
    st.markdown(
        "- **clean mask**: white pixels are what the method calls *foreground* (moving or new), "
        "after the post-processing in the sidebar; **raw mask** is the method's own output.\n"
        "- **composite** paints the mask onto the picture (overlay, outlines, green screen, blur...); "
        "**grid** shows input, raw mask, clean mask and composite at once.\n"
        "- **Stand still and watch yourself fade.** MOG2 and KNN learn the background from the last "
        "*history* frames. Set History to 50 and stay still: within a few seconds you become "
        "background and vanish from the mask. At 1000 you stay visible much longer, but a light "
        "switched on also stays 'foreground' for longer.\n"
        "- **Threshold sliders** trade noise for sensitivity: lower values catch a sleeve of the "
        "same colour as the wall, and also camera noise.\n"
        "- **Absolute difference / SSIM** compare with one reference picture: step out of view, press "
        "*Capture reference*, step back in. Nothing fades, but moving the camera breaks everything.\n"
        "- **FPS and ms per frame** tell you the cost: with a slow method frames are skipped, so "
        "*history* counts processed frames, not seconds."
    )
