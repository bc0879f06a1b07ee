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

from .base import RNG_SEED, Method, MethodOutput, binarise
from .bgslibrary import BGSLIBRARY_METHODS, BGSLibraryMethod
from .contrib import CNT, GMG, GSOC, LSBP, MOG, ContribMethod
from .difference import SSIM, AbsDiff, FrameDiff
from .learned import BMNBSN
from .median import TemporalMedian
from .mixture import KNN, MOG2
from .sigma_delta import SigmaDelta

__all__ = ["METHODS", "RNG_SEED", "BGSLibraryMethod", "ContribMethod", "Method", "MethodOutput", "binarise", "create",
           "get_method", "MOG2", "KNN", "AbsDiff", "SSIM", "FrameDiff", "TemporalMedian", "SigmaDelta", "GMG", "CNT",
           "GSOC", "LSBP", "MOG", "BMNBSN"]

_ALL: tuple[type[Method], ...] = (MOG2, KNN, AbsDiff, FrameDiff, SSIM, TemporalMedian, SigmaDelta, GMG, CNT, GSOC,
                                  LSBP, MOG, BMNBSN,
                                  *BGSLIBRARY_METHODS)
METHODS: dict[str, type[Method]] = {m.name: m for m in _ALL}


def get_method(name: str) -> type[Method]:
    """The method class called ``name``; a BgappError lists the known names otherwise."""
    from ..errors import BgappError

    try:
        return METHODS[name]
    except KeyError:
        raise BgappError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}") from None


def create(name: str, values: Mapping[str, Any] | None = None) -> Method:
    """A ready method; raises BgappError when it is unknown or unavailable here."""
    cls = get_method(name)
    if not cls.available():
        from ..errors import BgappError

        raise BgappError(cls.unavailable_reason() or f"{name} is not available")
    return cls(values)
