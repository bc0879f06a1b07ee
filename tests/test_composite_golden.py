"""Each composite's pixels on a fixed frame and mask, pinned by digest.

The digests were recorded from the mode-string compositor before composites became one class each
(issue 9): any change to a composite's output, however small, fails here. A deliberate change of a
composite's look updates its digest here, with the reason in the commit.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bgapp.composite import Compositor

H, W = 72, 96
GRADIENT_NOTE = "no background image uploaded yet: showing the gradient instead"

# (settings, with a replacement picture, first 16 hex digits of the output's sha256, note)
CASES = [
    ({"mode": "none"}, False, "b7ab18a8bd758d74", None),
    ({"mode": "overlay"}, False, "78f5d000acc9da80", None),
    ({"mode": "overlay", "opacity": 0.85}, False, "87b3004d9013871b", None),
    ({"mode": "contours"}, False, "0fd03717fffc6a80", None),
    ({"mode": "contours", "box_min_area": 100}, False, "2a202a1405d4d4be", None),
    ({"mode": "green"}, False, "4d3a39610e2c0df2", None),
    ({"mode": "green", "feather": 4}, False, "7e7655ee330934da", None),
    ({"mode": "green", "feather": 20}, False, "539e4f72b7218a50", None),
    ({"mode": "gradient"}, False, "d9a6c4046747f023", None),
    ({"mode": "gradient", "feather": 7}, False, "af9b56ed2572bc0d", None),
    ({"mode": "blur"}, False, "f426b8d688094021", None),
    ({"mode": "blur", "feather": 3, "blur_strength": 30}, False, "8aee7f79b7048e12",
     "kernel size 30 is even; using 31"),
    ({"mode": "blur", "blur_strength": 3}, False, "4711a036ac327abd", None),
    ({"mode": "image"}, False, "d9a6c4046747f023", GRADIENT_NOTE),  # the gradient's digest
    ({"mode": "image"}, True, "08a9fe62e9f5e2ea", None),
    ({"mode": "image", "feather": 5}, False, "97e2f30dba202f18", GRADIENT_NOTE),
    ({"mode": "image", "feather": 5}, True, "8890b7a6e12bb5c8", None),
]


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (H, W, 3), np.uint8)
    mask = np.zeros((H, W), np.uint8)
    mask[10:50, 20:70] = 255
    mask[60:64, 5:9] = 255  # a 16-pixel blob: the contours' minimum area drops it
    picture = rng.integers(0, 256, (30, 50, 3), np.uint8)  # another size and aspect: fit_cover crops
    return frame, mask, picture


def _digest(img: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(img).tobytes()).hexdigest()[:16]


@pytest.mark.parametrize(("settings", "with_image", "digest", "note"), CASES,
                         ids=[f"{c[0]}{'+image' if c[1] else ''}" for c in CASES])
def test_composite_output_is_pinned(settings, with_image, digest, note):
    frame, mask, picture = _inputs()
    comp = Compositor(settings)
    if with_image:
        comp.set_image(picture)
    for _ in range(2):  # the second frame runs on cached backgrounds and reused buffers
        out = comp(frame, mask)
        assert out.dtype == np.uint8 and out.shape == frame.shape
        assert _digest(out) == digest
        assert comp.note == note


def test_a_picture_does_not_change_modes_that_ignore_it():
    frame, mask, picture = _inputs()
    for settings, with_image, digest, _ in CASES:
        if with_image or settings["mode"] == "image":
            continue
        comp = Compositor(settings)
        comp.set_image(picture)
        assert _digest(comp(frame, mask)) == digest, settings
