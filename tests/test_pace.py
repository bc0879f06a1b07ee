"""What the lab and the webcam page say when processing falls behind its source (bgapp.pace)."""

from __future__ import annotations

import math

from bgapp.pace import Pace, explain, rate_text


def test_keeping_up_needs_no_words() -> None:
    assert explain(Pace(25, 24.2, 6.0), "MOG2", "the clip", "drawing the views") is None
    assert rate_text(Pace(25, 24.2, 6.0)) == "24.2 of 25 fps"
    assert Pace(0, 0, 5).keeping_up and math.isinf(Pace(0, 0, 5).budget_ms)


def test_a_slow_method_is_named_with_its_cost_and_what_would_help() -> None:
    why = explain(Pace(25, 10.5, 95), "SuBSENSE", "the clip", "drawing the views", (320, 240))
    assert why == ("SuBSENSE needs about 95 ms a frame at 320x240, and 25 fps leaves 40 ms: the clip runs at "
                   "10.5 fps instead. Smaller frames or a faster method (MOG2, KNN: a few ms) keep up.")


def test_a_fast_method_on_a_slow_page_blames_the_rest() -> None:
    why = explain(Pace(30, 18, 6), "MOG2", "the processed video", "receiving and sending the video")
    assert why is not None
    assert why.startswith("The processed video runs at 18.0 of 30 fps: MOG2 takes 6 ms of the 33 ms")
    assert "receiving and sending the video takes the rest" in why
