# Image diff: what changed between two photos of one place (an intrusion check).
from __future__ import annotations

import streamlit as st

from bgapp.display import heat
from bgapp.postprocess import POST_PARAMS
from ui.errors import guard, plain
from ui.imagediff import BOX_PARAMS, DIFF_PARAMS, MODES, SSIM_PARAMS, compare, demo_pair, load_pair
from ui.lab import IMAGE_TYPES
from ui.sources import APP_MAX_SIDE, MAX_SIDES, upload_limit_mb, working_side
from ui.views import combined
from ui.widgets import param_controls

st.title("Image diff")
st.caption("Two photos from the same fixed camera: a reference (the scene as it should be) and a current one. "
           "Pixels that differ by more than the threshold form the mask, and each region gets a box — "
           "the core of an intrusion or tamper check. The camera must not move between the shots.")

limit = upload_limit_mb()
c1, c2 = st.columns(2)
up_a = c1.file_uploader(f"Reference image (before), up to {limit} MB", type=IMAGE_TYPES, key="diff.a",
                        help="PNG, JPEG, BMP, TIFF or WebP; grey, colour, with alpha or 16-bit.")
up_b = c2.file_uploader(f"Current image (after), up to {limit} MB", type=IMAGE_TYPES, key="diff.b",
                        help="Resized to the reference when the sizes differ.")

with st.sidebar:
    mode = st.radio("Compare by", list(MODES), format_func=MODES.get, key="diff.mode",
                    help="Colour difference compares pixel values: simple, but a lighting change shows up too. "
                         "SSIM compares local structure (mean, contrast, texture), so it tolerates uniform "
                         "lighting changes better and reacts to edges and shapes.")
    typed = st.toggle("Type exact values", key="diff.typed",
                      help="Number boxes instead of sliders, each taking any value in the parameter's full "
                           "range. The sliders cover the values that usually make sense.")
    values = param_controls(SSIM_PARAMS if mode == "ssim" else DIFF_PARAMS, {}, f"diff.{mode}", typed=typed)
    box = param_controls(BOX_PARAMS, {}, "diff.box", typed=typed)
    with st.expander("Mask clean-up"):
        post = param_controls(POST_PARAMS, {}, "diff.post", typed=typed)

pair = None
if up_a is not None and up_b is not None:
    max_side = st.sidebar.select_slider(
        "Processing size (longest side)", MAX_SIDES, value=1280, key="diff.max_side",
        format_func=lambda v: f"original (up to {APP_MAX_SIDE} px)" if v == 0 else f"{v} px",
        help="Large photos are scaled down to this first: faster, and it ignores pixel-level noise. "
             f"'original' keeps their size up to {APP_MAX_SIDE} px.")
    max_side = working_side(max_side)
    with guard("reading the images") as g:
        a, b, notes = load_pair(up_a, up_b, max_side)
        for note in notes:
            st.info(plain(note))
        pair = a, b
    if not g.ok:
        st.stop()
if pair is None:
    if (up_a is None) != (up_b is None):
        st.info("Upload the other image too; meanwhile this shows the built-in demo.")
    elif up_a is None:
        st.caption("Showing the built-in demo: the empty room as reference and a busy frame as the current image.")
    pair = demo_pair()

with guard("comparing the images"):
    a, b = pair
    d = compare(a, b, mode, values, post, box["box_min_area"])
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Verdict", "changed" if d.regions else "no change",
              help="Whether any region survived the threshold, the clean-up and the minimum blob area.")
    m2.metric("Regions", d.regions)
    m3.metric("Changed pixels", f"{100 * d.changed:.2f} %")
    m4.metric("SSIM", f"{d.ssim:.3f}", help="Mean structural similarity: 1 identical, near 0 unrelated.")
    st.image(combined([a, b, d.boxed, heat(d.difference), heat(d.dissimilarity, 1.0), d.mask],
                      ["reference", "current", f"{d.regions} region(s) boxed", f"{d.distance} difference",
                       "1 - SSIM", "mask: " + ("1 - SSIM" if mode == "ssim" else "difference") + " > threshold"],
                      cols=3), width="stretch")
    st.caption("Heat maps: dark is unchanged, bright is changed (the difference map is scaled to its own range). "
               "Raise the threshold or the clean-up to ignore noise and small changes; raise the minimum blob "
               "area to box only large regions.")
