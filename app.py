# bgapp: an interactive background-subtraction lab. Run with `streamlit run app.py`.
# This file only sets up the page and the navigation; each page lives in app_pages/ (a folder named
# pages/ beside this file would switch Streamlit to its legacy multipage mode: a fresh server's first
# request for /video_lab would run that page without app.py).
from __future__ import annotations

import streamlit as st

from bgapp.hosting import apply_cv_threads
from ui import replica
from ui.errors import guard
from ui.pages import PAGES
from ui.session import visit

apply_cv_threads()  # a replica of a class's server: OpenCV on one thread (bgapp.hosting)
st.set_page_config(page_title="bgapp", page_icon=":material/blur_on:", layout="wide")


pages = [st.Page(path, title=title, icon=icon, default=(path == "app_pages/home.py"))
         for path, title, icon in PAGES.values()]
page = st.navigation(pages)
visit(page.url_path)
replica.show()
with guard(f"showing {page.title}"):
    page.run()
