"""The method base class and what several method families share.

A method turns a BGR uint8 frame into a raw mask (uint8, 255 = foreground, 0 = background),
with where it has them a score map (what was thresholded) and a background image. Shadow
pixels that OpenCV marks 127 become background unless the user asks to keep them, so every
mask downstream holds only 0 and 255.

The algorithm itself is a model class of :mod:`bgapp.standalone` (the code a script export runs):
a method names it (``model_class``), maps its validated values to the model's arguments once
(:meth:`Method.model_args`, used by the engine and the export alike) and holds one instance. On top
it adds what the lab needs: declared parameters, live changes, the background and score views,
learning state, notes. Changing a parameter goes through :meth:`Method.update`, which sets what the
model can change while it runs and rebuilds it for the rest (``Param.rebuild``): calling
``setNMixtures``/``setNSamples`` on a running model crashes the process (NOTES).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from .. import standalone
from ..errors import BgappError
from ..params import Notes, Param, validate
from ..standalone import REFERENCE_MODES, RNG_SEED, binarise, blur, threshold

__all__ = ["RNG_SEED", "Method", "MethodOutput", "PixelState", "binarise", "blur", "threshold"]


@dataclass
class MethodOutput:
    """What a method yields for one frame."""

    mask: np.ndarray  # uint8 0/255
    score: np.ndarray | None = None  # the map that was thresholded (distance, 1 - SSIM...)


@dataclass(frozen=True)
class PixelState:
    """What a method compared one pixel with on its last frame, beyond the mask (the pixel inspector).

    ``background``: the model's background value there, per channel (B, G, R), where the method has
    a background image in pixel units; ``low``/``high``: per channel, the band the pixel had to stay
    inside to be background, where the method decides per channel on such a band (Sigma-Delta);
    ``threshold``: what the score map was compared with (foreground above it), where the method
    thresholds one; ``shadow``: the method marked the pixel as shadow (OpenCV's 127).
    """

    background: tuple[float, ...] | None = None
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None
    threshold: float | None = None
    shadow: bool = False


def pixel_of(img: np.ndarray | None, x: int, y: int) -> tuple[float, ...] | None:
    """``img[y, x]`` as a tuple of floats (one per channel), or None where ``img`` is absent or smaller."""
    if img is None or not (0 <= y < img.shape[0] and 0 <= x < img.shape[1]):
        return None
    v = img[y, x]
    return tuple(float(c) for c in np.atleast_1d(v))


# Shared declarations ---------------------------------------------------------------------------

def learning_rate_param(default: float = -1.0) -> Param:
    return Param(
        "learning_rate", "float", default,
        "How fast the background model absorbs new frames. -1 lets OpenCV choose "
        "(1/min(2*frames, history)); 0 freezes the model so nothing new becomes background; "
        "larger values make stopped objects fade into the background sooner.",
        min=-1.0, max=1.0, step=0.01, tune=False,
    )


def shadow_params() -> tuple[Param, ...]:
    return (
        Param("detect_shadows", "bool", True,
              "Mark pixels that look like a darker copy of the background as shadow (grey 127 in "
              "OpenCV) instead of foreground. Costs a little speed; helps where objects cast shadows."),
        Param("shadow_threshold", "float", 0.5,
              "How much darker than the background a pixel may be and still count as shadow "
              "(0.5: down to half the brightness). Lower values call more dark pixels shadow.",
              min=0.0, max=1.0, step=0.01, visible_if=("detect_shadows", (True,))),
        Param("keep_shadows", "bool", False,
              "Count shadow pixels as foreground. Off (the CDnet convention): shadows are background.",
              tune=False, visible_if=("detect_shadows", (True,))),
    )


def reference_params(threshold: Param) -> tuple[Param, ...]:
    return (
        Param("reference", "choice", "first",
              "What the frame is compared with: the first frame, a snapshot you capture, an image "
              "you upload, a running average that slowly follows the scene, or the per-pixel median "
              "of frames sampled from the clip (moving objects vanish from a median).",
              choices=REFERENCE_MODES, tune=False),
        threshold,
        Param("avg_rate", "float", 0.02,
              "Running-average speed: each frame contributes this fraction. High values adapt to "
              "lighting fast but also absorb slow objects.",
              min=0.001, max=0.5, step=0.001, log=True, typical=(0.001, 0.1),
              visible_if=("reference", ("running_average",))),
        Param("median_frames", "int", 25,
              "How many frames the median reference is built from. More frames remove busier "
              "traffic from the background but take longer to compute.",
              min=3, max=199, step=2, tune=False, visible_if=("reference", ("median",))),
    )


def blur_param(default: int = 5) -> Param:
    return Param("blur", "int", default,
                 "Gaussian pre-blur kernel size applied before differencing (1 = off). Smooths "
                 "sensor noise so fewer isolated pixels cross the threshold, at the cost of "
                 "softer object edges.",
                 min=1, max=21, step=2, odd=True)


# Base class ------------------------------------------------------------------------------------

class Method:
    """Base class: holds validated parameter values and a model that may need rebuilding.

    Each concrete method's docstring is its summary followed by numpydoc sections made from its
    declarations (:func:`constructor_doc`): the parameters are declared once, and the docstring, the
    sliders and the CLI all read them.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and "params" in cls.__dict__:
            cls.__doc__ = constructor_doc(cls)

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]
    uses_reference: ClassVar[bool] = False  # accepts capture_reference/set_reference_image
    model_class: ClassVar[type[standalone.Model] | None] = None  # the algorithm, run here and in scripts
    model: Any  # the model_class instance this method runs
    script_needs: ClassVar[str | None] = None  # what that script needs beyond OpenCV and numpy
    score_threshold: ClassVar[str | None] = None  # the parameter the score map is compared with, if any
    inspect_note: ClassVar[str] = (
        "Shown: the pixel, the background image the method gives (where it gives one) and its decision. "
        "The method keeps the rest of its per-pixel model inside its library, which does not expose it.")

    @classmethod
    def model_args(cls, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The keyword arguments of ``model_class`` for the validated ``values``, and a note for each
        value adjusted to fit the algorithm. By default the model takes every parameter under its own
        name. The engine builds with these and a script export writes them: one mapping for both."""
        return {p.name: values[p.name] for p in cls.params}, []

    @classmethod
    def script_model(cls, values: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
        """How this method exports as a standalone script: the name of its model class, that class's
        arguments (:meth:`model_args`) and the notes. Raises a one-line BgappError where a script
        cannot reproduce the method."""
        if cls.model_class is None:
            raise BgappError(f"cannot export {cls.name} as a script: no OpenCV recipe for it")
        args, notes = cls.model_args(values)
        return cls.model_class.__name__, args, notes

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.values = validate(self.params, values, f"{self.name}.")
        self.notes = Notes()
        self.frames_seen = 0
        self._start()

    def _start(self) -> None:
        """(Re)build the model from a fixed random seed.

        KNN, GMG, GSOC and LSBP draw random samples from OpenCV's per-thread generator; seeding
        it at every (re)start makes a re-run of the same clip give the same masks.
        """
        cv2.setRNGSeed(RNG_SEED)
        self._build()

    @classmethod
    def available(cls) -> bool:
        return True

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    def _build(self) -> None:
        """Create the model from ``self.values`` (what a restart should keep of the old one: :meth:`_carry`)."""
        args = self._args()
        old = getattr(self, "model", None)
        self.model = self._make(args)
        if old is not None:
            self._carry(old)

    def _args(self) -> dict[str, Any]:
        """:meth:`model_args` of the current values, its notes told to the user."""
        args, notes = self.model_args(self.values)
        for note in notes:
            self.notes.add(note)
        return args

    def _make(self, args: dict[str, Any]) -> Any:
        """A new model; a method whose model needs more than its arguments (networks) says so here."""
        if self.model_class is None:
            raise NotImplementedError(f"{type(self).__name__} has no model_class")
        return self.model_class(**args)

    def _carry(self, old: Any) -> None:
        """Take over what ``old`` (the model being replaced) holds that outlives a restart."""

    def _configure(self, changed: set[str]) -> None:
        """Apply changed values that do not need a rebuild: by default every model argument that is
        an attribute of the running model (the model classes keep them under the same names)."""
        for key, value in self._args().items():
            if hasattr(self.model, key):
                setattr(self.model, key, value)

    def update(self, values: Mapping[str, Any]) -> bool:
        """Change parameters by name, validating them (from a notebook or a test); returns True when
        the model had to be rebuilt (and so restarts). The app's changes come validated: :meth:`change`."""
        new = validate(self.params, {**self.values, **dict(values)}, f"{self.name}.")
        return self.change(new)

    def change(self, values: Mapping[str, Any]) -> bool:
        """Apply values already validated against :attr:`params` (a :class:`~bgapp.config.Change`'s
        ``params``): what the running model can take is set on it, a ``rebuild`` value restarts it.
        Returns True when the model was rebuilt."""
        changed = {k for k, v in values.items() if self.values[k] != v}
        if not changed:
            return False
        self.values = {**self.values, **{k: values[k] for k in changed}}
        by_name = {p.name: p for p in self.params}
        if any(by_name[k].rebuild for k in changed):
            self.frames_seen = 0
            self._start()
            return True
        self._configure(changed)
        return False

    def reset(self) -> None:
        """Start learning from scratch with the same parameters."""
        self.frames_seen = 0
        self._start()

    def apply(self, frame: np.ndarray) -> MethodOutput:
        out = self._apply(frame)
        self.frames_seen += 1
        return out

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        return MethodOutput(self.model.apply(frame), self.model.score)

    @property
    def wants_samples(self) -> int:
        """Frames to sample from the clip before running (0: none), as the model asks."""
        model = getattr(self, "model", None)
        return int(model.wants_samples) if model is not None else 0

    def background(self) -> np.ndarray | None:
        """The current background image (BGR uint8) where the method has one."""
        return None

    def inspect(self, x: int, y: int, background: np.ndarray | None = None) -> PixelState:
        """What pixel (``x``, ``y``) was compared with on the last frame (see :class:`PixelState`);
        ``background``: this frame's :meth:`background`, where the caller has it already.

        By default: the background image's value there and the threshold of the score map. A
        method whose model holds more per pixel (a band, a shadow mark) says so by overriding this;
        it is called only while someone inspects a pixel, so it may cost a little.
        """
        name = self.score_threshold
        bg = self.background() if background is None else background
        return PixelState(background=pixel_of(bg, x, y),
                          threshold=None if name is None else float(self.values[name]))

    @property
    def learning(self) -> bool:
        """True while the model is still warming up (its masks are not yet meaningful)."""
        return False

    def prime(self, samples: list[np.ndarray]) -> None:
        """Frames sampled across the clip (only for methods with ``wants_samples``)."""
        self.model.prime(samples)

    # reference-based methods override these

    def capture_reference(self, frame: np.ndarray) -> None:
        """Use ``frame`` as the reference background."""

    def set_reference_image(self, img: np.ndarray | None) -> None:
        """Use a user's image as the reference background."""


def _kind_doc(p: Param) -> str:
    if p.kind == "choice":
        return "{" + ", ".join(repr(c) for c in p.choices or ()) + "}"
    kind = {"int": "int", "float": "float", "bool": "bool"}[p.kind]
    if p.kind == "bool":
        return kind
    return f"{kind} in [{p.min:g}, {p.max:g}]" if p.min is not None and p.max is not None else kind


def constructor_doc(cls: type[Method]) -> str:
    """``cls``'s docstring: its summary, then numpydoc Parameters (one entry per declared value, with
    its type, range, default and help) and Examples sections. The example builds the method with its
    first value at its default and runs it on two frames, so it runs as a doctest wherever the method
    is available (the BGSLibrary methods need pybgs, the learned model its two networks)."""
    import textwrap

    wrap = textwrap.TextWrapper(width=96, initial_indent="    ", subsequent_indent="    ")
    lines = [cls.summary, "", "Parameters", "----------",
             "values : mapping of str to value, optional",
             "    Values by name, checked against the declarations below; missing ones take their defaults.",
             "    A string is parsed as the value's type (``\"200\"`` for an int)."]
    for p in cls.params:
        lines.append(f"{p.name} : {_kind_doc(p)}, default {p.default!r}")
        lines += wrap.wrap(p.help + (" Changing it rebuilds the model." if p.rebuild and "rebuild" not in p.help
                                     and "restart" not in p.help else ""))
    first = cls.params[0] if cls.params else None
    given = "" if first is None else f"{{{first.name!r}: {first.default!r}}}"
    lines += ["", "Raises", "------", "BgappError",
              "    For an unknown name or a value out of its declared range, or a method not available here.",
              "", "Examples", "--------",
              ">>> import numpy as np",
              f">>> from {cls.__module__} import {cls.__name__}",
              f">>> method = {cls.__name__}({given})",
              ">>> frame = np.full((48, 64, 3), (40, 90, 160), np.uint8)",
              ">>> out = method.apply(frame)",
              ">>> out = method.apply(frame)",
              ">>> out.mask.shape, out.mask.dtype, set(np.unique(out.mask).tolist()) <= {0, 255}",
              "((48, 64), dtype('uint8'), True)"]
    return "\n".join(lines)
