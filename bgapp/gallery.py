"""A gallery of the classic failure cases: one short synthetic clip per challenge, with exact labels.

Each :class:`Case` is the demo room (:class:`bgapp.synthetic.SyntheticScene`) with one challenge
turned on, from a fixed seed, so every frame, every label and every score can be reproduced and a
test can pin them. :func:`case_scores` scores a handful of methods at their defaults (default
post-processing, CDnet rules) with the engine's own :func:`bgapp.evaluate.evaluate`, so the figures
are those ``bgapp eval case:<name>`` prints. Sources name a case ``case:<name>``
(:func:`bgapp.sources.open_source`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import Config
from .errors import BgappError
from .methods import METHODS
from .synthetic import SyntheticScene

PREFIX = "case:"  # how a source spec names a case: ``case:shadows``
# Fast methods scored by default: about 2 s a case together on a 2-core machine. SuBSENSE (BGSLibrary)
# is the strong classic, but costs about 10 s a case alone: asked for by name (SLOW_METHODS).
METHODS_SCORED = ("mog2", "knn", "median", "sigma_delta", "absdiff")
SLOW_METHODS = ("subsense",)
FRAMES = 200  # each clip: 40 warm-up frames the model learns from, then 160 scored ones
WARMUP = 40


@dataclass(frozen=True)
class Case:
    """One failure case: what it shows, which benchmark category it stands for, why methods fail
    there, and the scene's keyword arguments (seed included), so :meth:`scene` is always the same clip."""

    name: str
    title: str
    stands_for: str  # the CDnet 2014 category, or an honest word where CDnet has none
    why: str
    options: tuple[tuple[str, Any], ...]  # SyntheticScene keyword arguments beyond the shared ones
    seed: int
    look_at: int  # a frame that shows the challenge (the gallery's thumbnail)

    def scene(self) -> SyntheticScene:
        """The case's clip, named ``case:<name>`` (what ``bgapp eval`` and the links call it)."""
        scene = SyntheticScene(n_frames=FRAMES, warmup=WARMUP, seed=self.seed, **dict(self.options))
        scene.name = self.name
        scene.path = scene.shown_path = PREFIX + self.name
        scene.category = "gallery"
        return scene


CASES: tuple[Case, ...] = (
    Case("shadows", "Cast shadows", "CDnet 2014 shadow",
         "A shadow is a moving region that differs from the background as much as a dark object does, so "
         "a plain difference calls it foreground. Methods that model shadows (MOG2 and KNN mark a pixel "
         "that is a darker copy of the background as shadow, which is scored as background) lose far less; "
         "the ground truth labels the shadow 50, and foreground there is a false positive.",
         (("objects", ("walker", "drone", "ball")), ("shadow_gain", 0.55)), seed=11, look_at=150),
    Case("dynamic_background", "Rippling water", "CDnet 2014 dynamicBackground",
         "Water moves all the time, yet it is background: a model with one mode per pixel sees every ripple "
         "and glint as change. Multi-modal models (MOG2's mixture, KNN's samples, SuBSENSE's feedback) "
         "learn that a pixel takes several values, at the price of missing objects of the water's colours.",
         (("objects", ("walker", "cart", "ball")), ("dynamic", "water")), seed=12, look_at=150),
    Case("camera_jitter", "Camera shake", "CDnet 2014 cameraJitter",
         "When the camera shakes by a few pixels every edge of the scene moves across the pixels beside it, "
         "so each edge lights up as foreground. Per-pixel models cannot tell this from motion; a wide "
         "enough model learns the edges' jumps as more modes, and stabilising the video first fixes it at "
         "the source.",
         (("jitter", 3.0),), seed=13, look_at=150),
    Case("light_switch", "A light switched on",
         "none in CDnet 2014 (the classic test is the Light Switch sequence of Microsoft's Wallflower set)",
         "At frame 100 the room gets 60% brighter at once: every pixel is far from what the model learned, "
         "so the whole frame is foreground until the model relearns, which a slow learning rate makes last "
         "for dozens of frames. Normalising brightness or comparing texture instead of intensity helps.",
         (("objects", ("drone", "walker", "ball")), ("light_switch", 100), ("switch_gain", 1.6)),
         seed=14, look_at=101),
    Case("left_behind", "An object left behind", "CDnet 2014 intermittentObjectMotion",
         "A suitcase slides in and is left on the floor at frame 90; the ground truth keeps it foreground. An "
         "adaptive model learns whatever stands still: MOG2 at its defaults absorbs the suitcase within about 30 "
         "frames, and the median of the clip's frames never sees it, since it stands there for more than half the "
         "clip. A fixed reference (the absolute difference against the first frame) keeps it, but follows no real "
         "change of the scene either.",
         (("objects", ("walker",)), ("left_behind", 90)), seed=15, look_at=170),
    Case("camouflage", "Camouflage",
         "none in CDnet 2014 (the classic test is the Camouflage sequence of Microsoft's Wallflower set)",
         "The figure crossing the room is coloured like the wall and floor behind it, a few grey levels "
         "off. A pixel-wise test sees a difference smaller than the noise and calls it background, so the "
         "object comes out in holes or not at all; lowering the threshold finds it and lets the noise in.",
         (("objects", ("stroller", "cart")), ("camouflage", True)), seed=16, look_at=120),
    Case("night", "Night", "CDnet 2014 nightVideos",
         "At night the camera turns its gain up: the picture is dark, objects differ from the background by "
         "little, and the sensor noise is three times the daytime's. A threshold low enough to find the "
         "objects passes the noise, one high enough to stop the noise misses them, and the lamps' pools "
         "make the contrast differ across the frame.",
         (("night", True), ("noise_sigma", 12.0)), seed=17, look_at=150),
)
BY_NAME: dict[str, Case] = {c.name: c for c in CASES}


def case_names() -> list[str]:
    return [c.name for c in CASES]


def get_case(name: str) -> Case:
    """The case called ``name`` (with or without ``case:``); a BgappError that lists the cases otherwise."""
    key = name[len(PREFIX):] if name.startswith(PREFIX) else name
    if key not in BY_NAME:
        raise BgappError(f"no gallery case {key!r}; the cases are {', '.join(case_names())}")
    return BY_NAME[key]


def open_case(name: str) -> SyntheticScene:
    """The clip of the case called ``name`` (``shadows`` or ``case:shadows``)."""
    return get_case(name).scene()


@dataclass(frozen=True)
class Score:
    """One method's CDnet figures on a case, at its defaults with default post-processing."""

    method: str
    title: str
    f_measure: float
    precision: float
    recall: float


def case_scores(name: str, methods: Iterable[str] = METHODS_SCORED) -> list[Score]:
    """F-measure, precision and recall of each available method in ``methods`` on the case, at its
    defaults (methods that cannot run here, such as SuBSENSE without BGSLibrary, are left out)."""
    from .evaluate import evaluate

    case = get_case(name)
    rows = []
    for method in methods:
        if method not in METHODS:
            raise BgappError(f"unknown method {method!r}")
        if not METHODS[method].available():
            continue
        counts = evaluate(case.scene(), Config(method)).counts
        rows.append(Score(method, METHODS[method].title, counts.f_measure, counts.precision, counts.recall))
    return rows
