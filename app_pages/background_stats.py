# Background statistics: which pixels of a scene are busy, what its background looks like.
from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from bgapp.clip import Clip
from bgapp.composite import RED, overlay
from bgapp.methods import METHODS
from ui.bgstats import SAMPLER_DEFAULTS, run_stats, set_stable_threshold, stable_share
from ui.charts import heatmap, histogram, over_time
from ui.errors import guard
from ui.lab import progress_bar
from ui.session import keep
from ui.sources import choose_source
from ui.views import combined
from ui.widgets import method_select

st.title("Background statistics")
st.caption("Before choosing a method, look at the scene: where pixels change a lot (leaves, water, screens, "
           "traffic), a background model has to work harder, and no single background image is right.")

with st.sidebar:
    choice = choose_source()
if choice is None:
    st.stop()
clip = Clip(choice.source)
with st.sidebar:
    frames = st.slider("Frames to use", 2, max(clip.n, 3), min(clip.n, 300), key="bgs.frames",
                       help="From the start of the clip.")
    every = st.slider("Keep one frame in", 1, 50, SAMPLER_DEFAULTS["every"], key="bgs.every",
                      help="The median and the stability use every N-th frame: spreading the samples over "
                           "time keeps a slow object from filling them.")
    max_samples = st.slider("Samples at most", 3, 99, SAMPLER_DEFAULTS["max_samples"], key="bgs.samples",
                            help="The newest samples kept for the median (memory grows with it).")
    method = method_select("bgs.method", where=st.sidebar)
    st.caption("The foreground curve uses this method on its default settings.")

progress = st.empty()
with guard("collecting the statistics") as g:
    key = (choice.ident, frames, every, max_samples, method)
    run = keep("bgs.run", lambda: run_stats(clip, key, method, frames, every, max_samples,
                                            progress_bar(progress, "Collecting statistics")), key)
progress.empty()
if not g.ok or run.frames == 0:
    st.stop()

threshold = st.slider("Stable-pixel threshold (grey levels)", 1.0, 60.0, float(SAMPLER_DEFAULTS["stable_threshold"]),
                      0.5, key="bgs.threshold",
                      help="A pixel is stable when its grey level spreads by at most this much across the "
                           "samples (interquartile range / 1.349: a standard deviation that ignores anything "
                           "present in under a quarter of the samples, such as a passer-by).")
sampled, running = run.sampled, run.running
set_stable_threshold(sampled, threshold)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Frames processed", run.frames)
c2.metric("Samples in the median", sampled.n_samples)
c3.metric("Stable pixels", f"{100 * stable_share(sampled):.1f} %")
variance = running.variance_grey()
c4.metric("Median variance", f"{float(np.median(variance)):.1f}", help="Of all pixels, over all frames (grey levels²).")

unstable = overlay(sampled.median(), cv2.bitwise_not(sampled.stable_mask()), RED, 0.8)
st.image(combined([sampled.background(), sampled.median(), running.mean_image(), unstable],
                  ["median background (unstable filled in)", "raw median", "running mean", "unstable pixels (red)"],
                  cols=4), width="stretch")
st.caption("**Median background**: the per-pixel median of the samples — moving objects vanish as long as they "
           "cover a pixel in under half of them; unstable pixels are filled from stable neighbours. "
           "**Running mean**: the average of every frame, as a plain averaging model sees the scene — moving "
           "objects leave ghosts. **Unstable pixels** (red) spread more than the threshold across the samples: no "
           "single background value is right there.")

left, right = st.columns(2)
with left:
    st.plotly_chart(heatmap(variance, "Per-pixel variance over all frames", "variance"), key="bgs.heat", theme=None)
with right:
    st.plotly_chart(histogram(variance, "How busy the pixels are", "variance"), key="bgs.hist")
    st.caption("Grey-level variance of each pixel over all frames (channels averaged). A static camera's pixels "
               "sit low (sensor noise, slow lighting changes); a long tail means moving objects or a dynamic "
               "background. Hover the map to read a pixel's value.")

idx, values = run.series.arrays()
df = pd.DataFrame({"frame": idx, "foreground %": 100 * values})
st.plotly_chart(over_time(df, ["foreground %"]), key="bgs.series")
st.caption(f"Share of each frame's pixels in the clean mask of {METHODS[method].title} (default settings): "
           "peaks are busy moments, a slow rise often means the model is absorbing a stopped object or a "
           "lighting change.")
