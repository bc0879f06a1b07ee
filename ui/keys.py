"""Session-state keys that more than one page or module reads or writes: defined here once.

A key used by one page only stays in that page (usually ``f"{KEY}.name"`` under the page's prefix).
"""

from __future__ import annotations

# The Config that Evaluate & tune's "Apply best" leaves for the lab pages (a new object per click,
# so each page takes each Apply once).
APPLIED_CONFIG = "applied_config"
# The Video lab's current settings; Evaluate & tune starts from them and "Apply best" replaces them.
LAB_CONFIG = "lab.config"
# The folder of the sequence the Label page saved last (a str path, CDnet layout: every frame, ground
# truth for the labelled frames only); Evaluate & tune offers it as "Labelled here".
LABELLED = "labels.saved"
