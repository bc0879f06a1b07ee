"""The app's pages in the sidebar's order: (script, title, icon). ``app.py`` builds the navigation
from it and the Home page its "How to use it" list, so the two cannot drift apart."""

from __future__ import annotations

PAGES: list[tuple[str, str, str]] = [
    ("app_pages/home.py", "Home", ":material/home:"),
    ("app_pages/video_lab.py", "Video lab", ":material/movie:"),
    ("app_pages/label.py", "Label frames", ":material/brush:"),
    ("app_pages/gallery.py", "Failure gallery", ":material/school:"),
    ("app_pages/webcam.py", "Live webcam", ":material/videocam:"),
    ("app_pages/compare.py", "Compare", ":material/compare:"),
    ("app_pages/background_stats.py", "Background statistics", ":material/analytics:"),
    ("app_pages/image_diff.py", "Image diff", ":material/difference:"),
    ("app_pages/evaluate.py", "Evaluate & tune", ":material/tune:"),
    ("app_pages/benchmark.py", "Benchmark", ":material/leaderboard:"),
    ("app_pages/challenge.py", "Class challenge", ":material/emoji_events:"),
]
