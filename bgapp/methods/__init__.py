"""Background-subtraction methods, each declaring its parameters once, and their registry.

One module per family: :mod:`.mixture` (MOG2, KNN), :mod:`.difference` (absolute difference,
SSIM, frame differencing), :mod:`.median` (temporal median), :mod:`.sigma_delta`, :mod:`.contrib`
(``cv2.bgsegm``), :mod:`.bgslibrary` (BGSLibrary's algorithms through ``pybgs``), :mod:`.learned`
(the BMN-BSN networks); :mod:`.sampled` holds what the median and the learned model share.
A new method is one class deriving from :class:`~.base.Method` and one line in ``METHODS``. It
says how it exports as a script with ``script`` (a model class of :mod:`bgapp.standalone`) or by
overriding ``script_model``; tests/test_export.py's ``EXPORTABLE`` then wants its pixel-equality case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import Registry
from .base import RNG_SEED, Method, MethodOutput, binarise
from .bgslibrary import BGSLIBRARY_METHODS, BGSLibraryMethod
from .contrib import CNT, GMG, GSOC, LSBP, MOG, ContribMethod
from .difference import SSIM, AbsDiff, FrameDiff
from .learned import BMNBSN
from .median import TemporalMedian
from .mixture import KNN, MOG2
from .sigma_delta import SigmaDelta

__all__ = ["METHODS", "TAGS", "TRY_FIRST", "RNG_SEED", "BGSLibraryMethod", "ContribMethod", "Method", "MethodOutput",
           "binarise", "create", "get_method", "guide", "tag_of", "MOG2", "KNN", "AbsDiff", "SSIM", "FrameDiff",
           "TemporalMedian", "SigmaDelta", "GMG", "CNT", "GSOC", "LSBP", "MOG", "BMNBSN"]

# The registry (bgapp.registry): the method picker, the CLI and the tests list methods in this order.
METHODS: Registry[type[Method]] = Registry("method", (MOG2, KNN, AbsDiff, FrameDiff, SSIM, TemporalMedian, SigmaDelta,
                                                      GMG, CNT, GSOC, LSBP, MOG, BMNBSN, *BGSLIBRARY_METHODS))

# Where a beginner starts, in the order to try them: method name -> when it is the one to pick.
# The method picker's help and the Home page show it (:func:`guide`).
TRY_FIRST: dict[str, str] = {
    "mog2": "start here: it works with its defaults and follows slow lighting changes",
    "knn": "the other OpenCV classic; compare it with MOG2 on your clip",
    "median": "for a fixed camera: a clean background from frames sampled across the clip",
    "subsense": "strong on shaking cameras and moving backgrounds with no tuning, but slow "
                "(about 50 ms a 320x240 frame)",
}

# What the tags at the end of some titles mean: tag -> the base class of the methods it marks, what it says.
TAGS: dict[str, tuple[type[Method], str]] = {
    "contrib": (ContribMethod, "methods from OpenCV's extra (contrib) module, `cv2.bgsegm`"),
    "BGSLibrary": (BGSLibraryMethod, "methods from BGSLibrary, a C++ library of background-subtraction "
                                     "algorithms built by the set-up script"),
}


def tag_of(cls: type[Method]) -> str | None:
    """The tag at the end of ``cls``'s title ("contrib", "BGSLibrary"), or None."""
    return next((tag for tag, (base, _) in TAGS.items() if issubclass(cls, base)), None)


def guide() -> str:
    """Markdown, short: which methods to try first, and what the title tags mean. A method that is
    not available here says so."""
    first = []
    for name, why in TRY_FIRST.items():
        cls = METHODS[name]
        missing = "" if cls.available() else " (not available on this server)"
        first.append(f"- **{cls.title}**{missing} — {why}")
    tags = "; ".join(f"**({tag})**: {what}" for tag, (_, what) in TAGS.items())
    lines = "\n".join(first)
    return f"Try these first:\n\n{lines}\n\nIn the titles, {tags}."


def get_method(name: str) -> type[Method]:
    """The method class called ``name``; a BgappError lists the known names otherwise."""
    from ..errors import BgappError, brief

    try:
        return METHODS[name]
    except KeyError:
        raise BgappError(f"unknown method {brief(name)}; choose one of: {', '.join(METHODS)}") from None


def create(name: str, values: Mapping[str, Any] | None = None) -> Method:
    """A ready method; raises BgappError when it is unknown or unavailable here."""
    cls = get_method(name)
    if not cls.available():
        from ..errors import BgappError

        raise BgappError(cls.unavailable_reason() or f"{name} is not available")
    return cls(values)
