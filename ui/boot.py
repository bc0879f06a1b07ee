"""Make every page run inside app.py's navigation, even on a fresh server's first request.

Streamlit keeps its old multipage mode for apps that have a ``pages/`` folder until some
session has called ``st.navigation``: on a freshly started server, the first request for
``/video_lab`` runs ``pages/video_lab.py`` on its own (no app.py: no wide layout, the old
file-name sidebar). :func:`through_app` notices that mode, switches it off and reruns, so the
page comes back through app.py. It does nothing when app.py already ran, or when a page is run
on its own on purpose (``streamlit run pages/x.py``, ``AppTest.from_file("pages/x.py")``).
"""

from __future__ import annotations

import streamlit as st


def through_app() -> None:
    """Call first thing in a page script."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this class has no such mode to leave
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
