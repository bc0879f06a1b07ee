"""The app's pages in the sidebar's order, a :class:`~bgapp.registry.Registry` of :class:`Page` by
script. ``app.py`` builds the navigation from it and the Home page its "How to use it" list, so the
two cannot drift apart; a new page is one ``PAGES.add(Page(...))`` line and its script."""

from __future__ import annotations

from typing import NamedTuple

from bgapp.registry import Registry


class Page(NamedTuple):
    """One page: its script (the registry's name for it), the sidebar's title and icon."""

    path: str
    title: str
    icon: str


PAGES: Registry[Page] = Registry("page", (
    Page("app_pages/home.py", "Home", ":material/home:"),
    Page("app_pages/video_lab.py", "Video lab", ":material/movie:"),
    Page("app_pages/label.py", "Label frames", ":material/brush:"),
    Page("app_pages/gallery.py", "Failure gallery", ":material/school:"),
    Page("app_pages/webcam.py", "Live webcam", ":material/videocam:"),
    Page("app_pages/compare.py", "Compare", ":material/compare:"),
    Page("app_pages/background_stats.py", "Background statistics", ":material/analytics:"),
    Page("app_pages/image_diff.py", "Image diff", ":material/difference:"),
    Page("app_pages/evaluate.py", "Evaluate & tune", ":material/tune:"),
    Page("app_pages/benchmark.py", "Benchmark", ":material/leaderboard:"),
    Page("app_pages/challenge.py", "Class challenge", ":material/emoji_events:"),
), name_of=lambda page: page.path)
