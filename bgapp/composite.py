"""Compositing: turn a frame and its foreground mask into something a person wants to look at.

Plain functions over uint8 arrays; one small :class:`Composite` class per composite mode, each with
one method, :meth:`Composite.apply`, registered in :data:`COMPOSITES`; and one :class:`Compositor`
that the app calls per frame with the mode chosen. Adding a composite is one new class (with
``@register``) plus its test: the mode choices, the controls each mode shows and the CLI's
``--composite`` all come from the registry and the classes' ``params``. Masks
are 0 (background) / 255 (foreground); remove shadow values (127) before compositing, since any
non-zero value counts as foreground on a hard edge and as partial alpha on a soft one.
Per-frame work uses cv2 ops (NOTES: cv2 float blending 1.1 ms against 2.6 ms in float numpy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

import cv2
import numpy as np

from .errors import BgappError
from .frames import to_bgr8
from .params import Param, odd_kernel, validate
from .registry import Registry

Colour = tuple[int, int, int]  # BGR

GREEN: Colour = (0, 255, 0)
RED: Colour = (0, 0, 255)
GRADIENT_TOP: Colour = (90, 40, 20)  # dark blue (BGR)
GRADIENT_BOTTOM: Colour = (210, 170, 120)  # light blue-grey


def _check(frame: np.ndarray, mask: np.ndarray) -> None:
    if mask.shape != frame.shape[:2]:
        raise BgappError(f"mask shape {mask.shape} does not match frame shape {frame.shape[:2]}")


def overlay(frame: np.ndarray, mask: np.ndarray, colour: Colour = GREEN, opacity: float = 0.5) -> np.ndarray:
    """Tint foreground pixels with ``colour``; background pixels stay exactly as they were.

    Shows precisely which pixels a method calls foreground, without hiding the scene.
    """
    _check(frame, mask)
    out = frame.copy()
    scaled = cv2.convertScaleAbs(frame, alpha=1.0 - opacity)
    tint = tuple(float(c) * opacity for c in colour) + (0.0,)
    # OpenCV takes a Scalar (a tuple) for src2; its type stubs list only arrays there
    cv2.add(scaled, tint, dst=out, mask=mask)  # type: ignore[call-overload]
    return out


def draw_contours(
    frame: np.ndarray,
    mask: np.ndarray,
    min_area: float = 0,
    boxes: bool = True,
    colour: Colour = RED,
    thickness: int = 2,
) -> np.ndarray:
    """Outline each foreground blob of at least ``min_area`` pixels and, with ``boxes``, box it.

    Boxes are what a motion detector reports, so this shows what such a detector would see.
    """
    _check(frame, mask)
    out = frame.copy()
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if min_area > 0:
        contours = [c for c in contours if cv2.contourArea(c) >= min_area]
    cv2.drawContours(out, contours, -1, colour, thickness)
    if boxes:
        for c in contours:
            x, y, w, h = cv2.boundingRect(c)
            cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thickness)
    return out


class Scratch:
    """Named work arrays reused from frame to frame (one owner thread).

    A fresh 1-4 MB array per frame is not free: each one is new pages from the OS, which measured
    1-3 ms per blend at 640x480 against 0.7 ms with reused buffers.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
        a = self._arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = self._arrays[name] = np.empty(shape, dtype)
        return a


def alpha_from_mask(mask: np.ndarray, feather: int, out: np.ndarray | None = None) -> np.ndarray:
    """Alpha (float32 HxW in [0, 1]) from a mask: hard for ``feather`` 0, else Gaussian-softened.

    The blur has a radius of ``feather`` pixels, so only pixels within about ``feather`` of an
    edge take intermediate values. Wide feathers are blurred at a reduced scale and resized back:
    a 101-tap Gaussian costs ~8 ms at 640x480, this stays under 1 ms at any width.
    """
    soft = mask
    if feather > 0:
        h, w = mask.shape[:2]
        scale = max(1, round(feather / 8))
        if scale > 1:
            soft = cv2.resize(mask, (max(1, w // scale), max(1, h // scale)), interpolation=cv2.INTER_AREA)
        radius = max(1, round(feather / scale))
        soft = cv2.GaussianBlur(soft, (2 * radius + 1, 2 * radius + 1), 0)
        if scale > 1:
            soft = cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR)
    # numpy, not cv2 with a Python scalar: OpenCV can take a 4x1 mask for the scalar operand
    if out is None or out.shape != soft.shape or out.dtype != np.float32:
        out = np.empty(soft.shape, np.float32)
    return np.multiply(soft, np.float32(1.0 / 255.0), out=out, dtype=np.float32)


def blend(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, scratch: Scratch | None = None) -> np.ndarray:
    """``alpha * fg + (1 - alpha) * bg`` as uint8 via ``cv2.blendLinear`` (0.7 ms at 640x480).

    Where alpha is exactly 1 the result is exactly ``fg``, where 0 exactly ``bg``; elsewhere it is
    within 1 grey level of the exact blend. ``scratch`` saves allocating the 1 - alpha plane.
    """
    inv = None if scratch is None else scratch.get("inverse_alpha", alpha.shape)
    if inv is None or inv.shape != alpha.shape or inv.dtype != alpha.dtype:
        inv = np.empty_like(alpha)
    np.subtract(alpha.dtype.type(1), alpha, out=inv)
    return cv2.blendLinear(fg, bg, alpha, inv)


def _cut_out(
    frame: np.ndarray,
    mask: np.ndarray,
    feather: int,
    bg: np.ndarray,
    scratch: Scratch | None = None,
    bg_is_temporary: bool = False,
) -> np.ndarray:
    """Foreground of ``frame`` over ``bg``: a masked copy for hard edges (0.04 ms), else a blend.

    ``bg_is_temporary`` lets a hard edge write into ``bg`` instead of copying it.
    """
    _check(frame, mask)
    if feather <= 0:
        out = bg if bg_is_temporary else bg.copy()
        cv2.copyTo(frame, mask, out)
        return out
    alpha = alpha_from_mask(mask, feather, None if scratch is None else scratch.get("alpha", mask.shape))
    return blend(frame, bg, alpha, scratch)


def solid(h: int, w: int, colour: Colour) -> np.ndarray:
    """An HxW BGR image of one colour."""
    out = np.empty((h, w, 3), np.uint8)
    out[:] = colour
    return out


def green_screen(frame: np.ndarray, mask: np.ndarray, feather: int = 0, colour: Colour = GREEN) -> np.ndarray:
    """The foreground over a solid colour: the classic chroma-key look, ready for another keyer."""
    return _cut_out(frame, mask, feather, solid(frame.shape[0], frame.shape[1], colour), bg_is_temporary=True)


def vertical_gradient(
    h: int, w: int, top: Colour = GRADIENT_TOP, bottom: Colour = GRADIENT_BOTTOM
) -> np.ndarray:
    """An HxW BGR image fading linearly from ``top`` to ``bottom``: a calm virtual backdrop."""
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    col = np.asarray(top, np.float32) * (1.0 - t) + np.asarray(bottom, np.float32) * t
    col = np.rint(col).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(col[:, None, :], (h, w, 3)))


def blur_background(
    frame: np.ndarray, mask: np.ndarray, feather: int = 0, strength: int = 31, scratch: Scratch | None = None
) -> np.ndarray:
    """Portrait mode: the sharp foreground over a heavily blurred copy of the frame.

    ``strength`` is the blur kernel size (even values rounded up). It uses ``cv2.stackBlur``, a
    Gaussian look-alike whose cost does not grow with the kernel (1 ms at 99 against 13 ms for
    GaussianBlur at 640x480). Foreground pixels stay exactly the frame's.
    """
    k, _ = odd_kernel(max(1, int(strength)))
    if k <= 1:
        return _cut_out(frame, mask, feather, frame, scratch)
    blurred = None if scratch is None else scratch.get("blurred", frame.shape, np.uint8)
    blurred = cv2.stackBlur(frame, (k, k), dst=blurred)
    return _cut_out(frame, mask, feather, blurred, scratch)


def fit_cover(image: np.ndarray, h: int, w: int) -> np.ndarray:
    """Scale ``image`` to cover HxW keeping its aspect ratio, then crop the centre: no stretching."""
    ih, iw = image.shape[:2]
    if (ih, iw) == (h, w):
        return image
    scale = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * scale)), max(h, round(ih * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interp)
    y0, x0 = (nh - h) // 2, (nw - w) // 2
    return np.ascontiguousarray(resized[y0:y0 + h, x0:x0 + w])


def replace_background(
    frame: np.ndarray, mask: np.ndarray, image: np.ndarray, feather: int = 0
) -> np.ndarray:
    """The foreground over a user image, scaled to cover the frame (see :func:`fit_cover`).

    Resizing here costs a resize per call; :class:`Compositor` caches the resized image instead.
    """
    h, w = frame.shape[:2]
    bg = fit_cover(to_bgr8(image), h, w)
    return _cut_out(frame, mask, feather, bg, bg_is_temporary=bg is not image)



# ---------------------------------------------------------------------------------------------
# One class per composite


class Context:
    """What composites keep between frames, owned by one :class:`Compositor` (one thread).

    ``scratch``: work arrays reused from frame to frame. ``image``: the replacement picture as
    (generation, image), or None; swapped whole, so another thread may set it. ``note``: a message
    for the user about the frame just composited, or None.
    """

    def __init__(self) -> None:
        self.scratch = Scratch()
        self.image: tuple[int, np.ndarray] | None = None
        self.note: str | None = None
        self._cache: dict[str, tuple[tuple[int, ...], np.ndarray]] = {}

    def cached(self, key: str, sig: tuple[int, ...], make: Callable[[], np.ndarray]) -> np.ndarray:
        """``make()`` once per ``sig`` (the frame size, plus the image's generation in image mode)."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == sig:
            return hit[1]
        img = make()
        self._cache[key] = (sig, img)
        return img


class Composite:
    """One way to show a mask over its frame: a name, one sentence for the mode's help, the
    settings it reads (``params``, declared once; shared ones such as :data:`FEATHER` are the same
    object in several composites) and :meth:`apply`.

    Instances keep no state: what lasts between frames lives in the :class:`Context`.
    ``uses_image`` says the composite shows the uploaded replacement picture (the app then offers
    an upload).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    uses_image: ClassVar[bool] = False

    def apply(self, frame: np.ndarray, mask: np.ndarray, values: Mapping[str, Any], ctx: Context) -> np.ndarray:
        """The composited frame (BGR uint8, frame-shaped) for these settings."""
        raise NotImplementedError


# The composites by name, one instance each (bgapp.registry); the order is the mode menu's.
COMPOSITES: Registry[Composite] = Registry("composite", make=lambda cls: cls())
register = COMPOSITES.register  # class decorator: a taken name is a ValueError


FEATHER = Param(
    "feather", "int", 0,
    "Edge softness in pixels for cut-out modes ({modes}). 0 gives a hard "
    "edge: every pixel is either the frame or the new background. Larger values blur the "
    "mask so the cut-out fades over about this many pixels on each side of the edge, which "
    "hides a ragged mask at the cost of a halo.",
    min=0, max=50, step=1, tune=False,
)


@register
class NoComposite(Composite):
    name = "none"
    summary = "the frame as it is."

    def apply(self, frame, mask, values, ctx):
        return frame


@register
class Overlay(Composite):
    name = "overlay"
    summary = "foreground pixels tinted green, to see exactly what the method calls foreground."
    params = (Param(
        "opacity", "float", 0.5,
        "Strength of the green tint in overlay mode: 0 leaves the frame unchanged, 1 paints "
        "foreground pixels solid green. Background pixels are never changed.",
        min=0.0, max=1.0, step=0.05, tune=False,
    ),)

    def apply(self, frame, mask, values, ctx):
        return overlay(frame, mask, GREEN, values["opacity"])


@register
class Contours(Composite):
    name = "contours"
    summary = "outlines and bounding boxes of foreground blobs, as a motion detector would report them."
    params = (Param(
        "box_min_area", "int", 0,
        "Drawing only: contours mode outlines and boxes the blobs whose outline encloses at least "
        "this many pixels (the image diff also counts only these regions). Raise it to ignore speckle "
        "noise in the picture. The mask and the scores do not change; to delete small blobs from the "
        "mask itself, use post-processing's 'Remove blobs under'.",
        min=0, max=100000, step=50, tune=False, typical=(0, 5000), label="Outline blobs of at least (px)",
    ),)

    def apply(self, frame, mask, values, ctx):
        return draw_contours(frame, mask, min_area=values["box_min_area"])


class CutOut(Composite):
    """The foreground over a new background, with edges softened by ``feather``: subclasses only
    say what the background is (:meth:`backdrop`)."""

    params: ClassVar[tuple[Param, ...]] = (FEATHER,)

    def backdrop(self, frame: np.ndarray, values: Mapping[str, Any], ctx: Context) -> np.ndarray:
        """The frame-sized BGR background; a cached or scratch array, never written to."""
        raise NotImplementedError

    def apply(self, frame, mask, values, ctx):
        return _cut_out(frame, mask, values["feather"], self.backdrop(frame, values, ctx), ctx.scratch)


@register
class GreenScreen(CutOut):
    name = "green"
    summary = "the foreground cut out over a green screen."

    def backdrop(self, frame, values, ctx):
        h, w = frame.shape[:2]
        return ctx.cached("green", (h, w), lambda: solid(h, w, GREEN))


@register
class Gradient(CutOut):
    name = "gradient"
    summary = "the same over a calm colour gradient."

    def backdrop(self, frame, values, ctx):
        h, w = frame.shape[:2]
        return ctx.cached("gradient", (h, w), lambda: vertical_gradient(h, w))


@register
class Blur(CutOut):
    name = "blur"
    summary = "portrait mode, a sharp foreground over a blurred copy of the frame."
    params = (FEATHER, Param(
        "blur_strength", "int", 31,
        "Blur kernel size in pixels for blur mode. Larger values blur the background more "
        "heavily; the cost stays about the same whatever the size. Even values are rounded up "
        "to the next odd one.",
        min=3, max=99, step=2, odd=True, tune=False,
    ))

    def backdrop(self, frame, values, ctx):
        k, _ = odd_kernel(values["blur_strength"])
        return cv2.stackBlur(frame, (k, k), dst=ctx.scratch.get("blurred", frame.shape, np.uint8))


@register
class Picture(Gradient):
    name = "image"
    summary = "the foreground over an uploaded picture (falls back to the gradient until one is uploaded)."
    uses_image = True

    def backdrop(self, frame, values, ctx):
        entry = ctx.image  # read once: set_image may run in another thread
        if entry is None:
            ctx.note = "no background image uploaded yet: showing the gradient instead"
            return super().backdrop(frame, values, ctx)
        h, w = frame.shape[:2]
        gen, image = entry
        return ctx.cached("image", (h, w, gen), lambda: fit_cover(image, h, w))


def _declare() -> tuple[Param, ...]:
    """``mode`` (its choices and help from the registry) and each composite's settings, once each,
    shown only for the modes that read them. ``{modes}`` in a help text lists those modes."""
    mode = Param(
        "mode", "choice", "none",
        "How the mask is shown. " + " ".join(f"{c.name}: {c.summary}" for c in COMPOSITES.values()),
        choices=tuple(COMPOSITES), tune=False, label="Composite",
    )
    users: dict[str, tuple[Param, list[str]]] = {}
    for c in COMPOSITES.values():
        for p in c.params:
            if users.setdefault(p.name, (p, []))[0] is not p:
                raise ValueError(f"composite parameter {p.name!r} is declared twice")
            users[p.name][1].append(c.name)
    return (mode,) + tuple(
        replace(p, help=p.help.replace("{modes}", ", ".join(modes)), visible_if=("mode", tuple(modes)))
        for p, modes in users.values()
    )


COMPOSITE_PARAMS: tuple[Param, ...] = _declare()
MODES = tuple(COMPOSITES)


def uses_image(values: Mapping[str, Any]) -> bool:
    """Whether the composite these settings choose shows the uploaded replacement picture."""
    return COMPOSITES[values.get("mode", "none")].uses_image


class Compositor:
    """Applies the composite chosen by ``COMPOSITE_PARAMS`` values to each frame.

    Backgrounds that depend only on the frame size (green, gradient, the resized image) are built
    once per size and cached, and work planes are reused (:class:`Scratch`), so a frame costs only
    the cut-out and its fresh output array. Use one instance per thread. ``note`` carries a message
    for the user (an even kernel rounded up, no image uploaded yet), or None.
    """

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.context = Context()
        self._generation = 0
        self.update(values or {})

    def update(self, values: Mapping[str, Any]) -> None:
        """Change settings by name, validating them; cached backgrounds and the replacement image are kept."""
        self.change(validate(COMPOSITE_PARAMS, {**self.values, **dict(values)}, "composite."))

    def change(self, values: Mapping[str, Any]) -> None:
        """Apply values already validated (a :class:`~bgapp.config.Change`'s ``composite``)."""
        self.values = {**self.values, **values}
        self.composite = COMPOSITES[self.values["mode"]]
        # an even kernel rounded up, said for as long as the composite that reads it is chosen
        self._notes = [odd_kernel(self.values[p.name])[1] for p in self.composite.params if p.odd]
        self.context.note = self._settings_note()

    def _settings_note(self) -> str | None:
        return next((n for n in self._notes if n), None)

    @property
    def note(self) -> str | None:
        return self.context.note

    def set_image(self, img: np.ndarray | None) -> None:
        """Set (or clear, with None) the picture for image mode; it is resized once per frame size."""
        self._generation += 1
        self.context.image = None if img is None else (self._generation, to_bgr8(img))

    def __call__(self, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The composited frame (BGR uint8, frame-shaped); mode "none" returns ``frame`` itself."""
        self.context.note = self._settings_note()
        return self.composite.apply(frame, mask, self.values, self.context)
