# Home: what bgapp does, the demo playing at once, and a tour of the methods.
from __future__ import annotations

import streamlit as st

from bgapp.composite import COMPOSITE_PARAMS
from bgapp.methods import METHODS, guide
from bgapp.postprocess import POST_PARAMS
from ui.demo import demo_loop, demo_still, describe_params, method_tour
from ui.errors import guard
from ui.pages import PAGES

st.title("bgapp — a background-subtraction lab")
st.markdown(
    "Background subtraction separates what moves from what stays: it learns what the empty scene "
    "looks like and marks every pixel that does not fit as **foreground**. It is the first step of "
    "motion detection, people counting, intrusion alarms and virtual backgrounds. Here you can try "
    f"{len(METHODS)} methods on the built-in demo, your own video or a labelled image sequence, watch how "
    "each setting changes the mask, and measure the result against ground truth the way the "
    "CDnet 2014 benchmark does."
)

with guard("preparing the demo"):
    demo = st.empty()
    demo.image(demo_still(), width="stretch")  # at once; the loop takes a server's first visitor about 2 s
    demo.video(demo_loop(), autoplay=True, loop=True, muted=True)
st.caption("The built-in demo: a synthetic room with people, a cart, a drone and a ball, plus sensor noise, a slow "
           "lighting drift and a cast shadow. Left the input, middle the foreground mask MOG2 learns on its own, "
           "right the foreground over a blurred background.")

# What each page is for, by its file; the list below follows ui.pages.PAGES (the sidebar's order and titles).
USES = {
    "app_pages/video_lab.py": "play the demo or upload a clip; change the method and its sliders while it plays and "
    "watch the masks react. With ground truth you get live F-measure, precision and recall and an image of where the "
    "errors are. Turn on the pixel inspector and click a pixel to see why: its value, the background and threshold "
    "it was compared with, and the decision, frame by frame. Download the masks or the composite video.",
    "app_pages/label.py": "your own video has no ground truth: label a few frames (the method's mask is the "
    "starting point, you correct it with a brush), save them as a CDnet sequence and score or tune on it.",
    "app_pages/gallery.py": "the classic failure cases (shadows, rippling water, camera shake, a light switched on, an "
    "object left behind, camouflage, night), each a short clip with exact labels, why methods fail there and their "
    "scores; open any in the Video lab.",
    "app_pages/webcam.py": "the same pipeline on your camera, in the browser.",
    "app_pages/compare.py": "run two to four methods on the same clip side by side, with a chart of their foreground "
    "and accuracy over time.",
    "app_pages/background_stats.py": "see which pixels of a scene are busy (variance), its median background and "
    "which pixels are stable enough to trust.",
    "app_pages/image_diff.py": "compare two photos of one place and box what changed (an intrusion check).",
    "app_pages/evaluate.py": "score settings on labelled sequences the CDnet way and search for better ones.",
    "app_pages/benchmark.py": "every method at its defaults on labelled sequences, scored per sequence, per "
    "category and overall: the papers' table for your own data.",
    "app_pages/challenge.py": "a contest for a class: the teacher sets a clip, students tune in the Video lab and "
    "submit their settings under a name; the server scores each one and the leaderboard shows who leads, with "
    "each row's settings one click from the lab.",
}


steps = [f"**{title}** — {USES[path]}" if path in USES else f"**{title}**"
         for path, title, _ in PAGES.values() if path != "app_pages/home.py"]
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("How to use it")
    st.markdown("\n".join(f"{k}. {text}" for k, text in enumerate(steps, start=1)))
with right:
    st.subheader("Start here")
    st.page_link("app_pages/video_lab.py", label="Open the Video lab", icon=":material/movie:")
    st.page_link("app_pages/compare.py", label="Compare methods", icon=":material/compare:")
    st.info("Every control has a help text (the ? next to it). Uploads stay private to your session and are "
            f"deleted when it ends; the upload limit is {st.get_option('server.maxUploadSize')} MB.")

st.header("The methods")
st.markdown(
    "A **method** turns each frame into a raw mask. Most learn a model of the background over time "
    "(so the first frames are a warm-up); the difference methods compare with a reference image "
    "instead. **Post-processing** then cleans the mask, and a **composite** shows it over the frame."
)
st.markdown(guide())
method_tour()
with st.expander("Post-processing (every method)"):
    st.markdown(describe_params(POST_PARAMS))
with st.expander("Composite views (every method)"):
    st.markdown(describe_params(COMPOSITE_PARAMS))
st.caption("The same engine runs from the command line: `python -m bgapp methods` lists these parameters, "
           "`python -m bgapp eval` scores a method on CDnet-style folders, `python -m bgapp process` writes masks.")
