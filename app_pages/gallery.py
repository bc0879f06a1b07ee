# Failure gallery: one short synthetic clip per classic challenge (CDnet 2014's categories, and two
# that CDnet has no category for), each with exact labels, why methods fail there, a table of F at the
# methods' defaults computed here (cached), and "Open in the lab". The cases live in bgapp.gallery.
from __future__ import annotations

import streamlit as st

from bgapp.gallery import CASES
from ui.gallery import card, scored_methods, slow_available

st.title("Failure gallery")
st.caption("Every background subtractor has scenes it gets wrong. Each card is a short clip of the built-in room "
           "with one classic difficulty turned on, with exact ground truth and a fixed seed, so its numbers are "
           "the same every time. The tables score a few methods at their defaults; **Open in the lab** plays "
           "the clip in the Video lab with the method you pick, so you can see the failure and try the settings "
           "that fix it. The command line scores a case too: `python -m bgapp eval case:shadows --method knn`.")
st.markdown(" · ".join(f"[{c.title}](#{c.name})" for c in CASES))
slow = slow_available() and st.toggle(
    "Add SuBSENSE to the tables", key="gallery.slow",
    help="SuBSENSE (BGSLibrary), a strong classic on CDnet, is about twenty times slower than MOG2: ten to twenty "
         "seconds more per case the first time (the tables are kept for every visitor after that).")
methods = scored_methods(slow)
for number, case in enumerate(CASES, start=1):
    card(case, number, methods)
