"""The built-in demo scene: a plausible room with moving objects and pixel-exact ground truth.

It is both the app's demo and the test suite's data when the real sequences are absent, so it
is built to be fair but not trivial: textured background, sensor noise, slow illumination drift,
camouflaged and distinct objects of many sizes and speeds, and a cast shadow (CDnet label 50).
Every frame is random-access and repeatable from ``(seed, i)``.

Options that are off in the demo add what real footage has and a learned model must learn to
ignore or keep: a moving background (``dynamic``: waving vegetation or rippling water, labelled
background), camera shake (``jitter``), sudden light changes (``light_steps``, or one known switch
with ``light_switch``), objects that stop and start again (``stops``, still foreground while
stopped), an object left behind for good (``left_behind``), a figure coloured like the wall behind
it (``camouflage``), a dark room lit by a few lamps (``night``), darker shadows (``shadow_gain``),
a subset of the objects (``objects``) and any still image as the scene (``background``).
``train/bmn_bsn.py`` draws unlimited training clips from them, and :mod:`bgapp.gallery` builds its
failure cases on them. Options draw their randomness from their own generators, so turning one on
never changes what the others draw, and the demo stays frame-for-frame as it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .source import sample_indices

SHADOW_GAIN = 0.6
DYNAMIC = ("none", "vegetation", "water")
OBJECTS = ("stroller", "drone", "cart", "walker", "ball")  # the demo's objects, back to front
NIGHT_AMBIENT = 0.15  # share of the daylight left at night outside the lamps' pools
# Lamp pools at night: centre (fractions of width, height), radius (fraction of the width), strength
LAMPS = ((0.3, 0.8, 0.13, 0.7), (0.8, 0.5, 0.08, 0.55), (0.52, 0.2, 0.06, 0.45))
CAMOUFLAGE_OFFSET = (7, -6, 8)  # BGR: the camouflaged figure's colour minus the (smoothed) wall behind it
NOISE_PAD = 128  # the noise bank is this much larger than a frame: 128*128 distinct windows


@dataclass
class _Sprite:
    """One moving object: a texture, its exact mask, and a periodic straight-line path.

    The object enters fully outside the frame, crosses it, waits ``gap`` frames and comes
    back, so any clip length has objects in most frames.
    """

    tex: np.ndarray  # h x w x 3 uint8
    mask: np.ndarray  # h x w bool
    y0: float  # top edge (horizontal movers) at phase 0
    vx: float  # px/frame; the sign gives the direction
    delay: int  # frames after the warm-up before the first entry
    gap: int  # frames spent outside between passes
    bob: float = 0.0  # vertical sway amplitude in px
    bob_period: float = 60.0
    start_x: float | None = None  # entry x (default: just outside the frame edge)
    shadow: np.ndarray | None = None  # hs x ws bool cast-shadow mask
    shadow_at: tuple[int, int] = (0, 0)  # shadow patch offset from the sprite's top-left
    pause_at: float = 0.5  # where a pause happens, as a fraction of the crossing
    pause: int = 0  # frames it stands still there on each pass (0: never stops)
    name: str = ""
    camo: np.ndarray | None = None  # h x w x 3 int16: drawn as the smoothed background plus this

    def position(self, t: int, width: int) -> tuple[int, int] | None:
        """Top-left (x, y) at ``t`` frames after the warm-up, or None when off screen."""
        t -= self.delay
        if t < 0:
            return None
        h, w = self.mask.shape
        x_in = self.start_x if self.start_x is not None else (-w if self.vx > 0 else width)
        x_out = width if self.vx > 0 else -w
        crossing = abs(x_out - x_in) / abs(self.vx)
        phase = t % (crossing + self.pause + self.gap)
        if phase >= crossing + self.pause:
            return None
        stop = self.pause_at * crossing
        phase = phase if phase < stop else max(stop, phase - self.pause)
        x = x_in + self.vx * phase
        y = self.y0 + self.bob * math.sin(2 * math.pi * phase / self.bob_period)
        return int(round(x)), int(round(y))


def _clip(x: int, y: int, w: int, h: int, width: int, height: int):
    """Slices of the frame and of a w x h patch at (x, y) that overlap, or None."""
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x0 >= x1 or y0 >= y1:
        return None
    return (slice(y0, y1), slice(x0, x1)), (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))


def _smooth(rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int], ch: int = 3):
    """Zero-mean, unit-ish random field with about ``cells`` blobs: coarse noise upsampled."""
    field = rng.standard_normal((cells[1], cells[0], ch)).astype(np.float32)
    return cv2.resize(field, size, interpolation=cv2.INTER_CUBIC).reshape(size[1], size[0], ch)


class SyntheticScene:
    """A wall-and-floor room seen by a static camera, with exact ground truth per frame.

    GT: 255 object, 50 cast shadow not under an object, 0 elsewhere. The first ``warmup``
    frames are empty (to learn the background) and are not scored. A
    :class:`bgapp.source.IndexedSource`.
    """

    name = "demo"
    path = "demo"
    shown_path = "demo"
    category = "synthetic"
    has_ground_truth = True
    roi: np.ndarray | None = None

    def __init__(
        self,
        width: int = 320,
        height: int = 240,
        n_frames: int = 300,
        fps: float = 25.0,
        seed: int = 0,
        noise_sigma: float = 4.0,
        drift: float = 0.08,
        shadow: bool = True,
        warmup: int = 40,
        dynamic: str = "none",
        jitter: float = 0.0,
        light_steps: int = 0,
        stops: bool = False,
        background: np.ndarray | None = None,
        objects: tuple[str, ...] | None = None,
        shadow_gain: float = SHADOW_GAIN,
        light_switch: int | None = None,
        switch_gain: float = 1.6,
        left_behind: int | None = None,
        camouflage: bool = False,
        night: bool = False,
    ):
        """``dynamic``: "none", "vegetation" (a swaying bush) or "water" (a rippling band at the
        bottom); ``jitter``: camera shake, the largest shift in pixels; ``light_steps``: sudden
        changes of the light over the clip, at random frames; ``stops``: two objects stop mid-way
        for a while; ``background``: a BGR image (resized to the frame) that replaces the room.

        ``objects``: which of the demo's objects (:data:`OBJECTS`) appear (None: all);
        ``shadow_gain``: what a cast shadow leaves of the light (lower is darker); ``light_switch``:
        the frame at which the light comes on: before it the scene gets ``1/switch_gain`` of its
        light; ``left_behind``: a suitcase slides in and comes to rest at this frame, then stays to
        the end (labelled foreground throughout, as an abandoned object is what a detector must
        report); ``camouflage``: a walking figure whose colour is the smoothed wall or floor behind
        it, off by :data:`CAMOUFLAGE_OFFSET`; ``night``: the room dark (:data:`NIGHT_AMBIENT` of its
        light) except for the pools of a few lamps (:data:`LAMPS`), objects and shadows included;
        pair it with a larger ``noise_sigma``, as a camera's gain at night gives."""
        if dynamic not in DYNAMIC:
            raise ValueError(f"dynamic must be one of {DYNAMIC}, not {dynamic!r}")
        if objects is not None and not set(objects) <= set(OBJECTS):
            raise ValueError(f"objects must be among {OBJECTS}, not {tuple(objects)!r}")
        if switch_gain <= 0:
            raise ValueError(f"switch_gain must be positive, not {switch_gain!r}")
        self.size: tuple[int, int] = (int(width), int(height))
        self.n_frames = int(n_frames)
        self.fps = float(fps)
        self.seed = int(seed)
        self.noise_sigma = float(noise_sigma)
        self.drift = float(drift)
        self.shadow = bool(shadow)
        self.warmup = int(warmup)
        self.temporal_roi: tuple[int, int] = (self.warmup + 1, self.n_frames)
        self.notes: list[str] = []
        self.dynamic, self.jitter, self.stops = dynamic, float(jitter), bool(stops)
        self.objects = None if objects is None else tuple(objects)
        self.shadow_gain = float(shadow_gain)
        self.light_switch, self.switch_gain = light_switch, float(switch_gain)
        self.left_behind, self.camouflage, self.night = left_behind, bool(camouflage), bool(night)
        rng = np.random.default_rng(self.seed)
        self.horizon = int(round(0.45 * height))
        self._bg = (self._background(rng) if background is None
                    else cv2.resize(background, self.size, interpolation=cv2.INTER_AREA))
        self._sprites = self._make_sprites(rng)
        extra = np.random.default_rng((self.seed, 1))  # the options draw here: the demo stays as it was
        self._moving = self._moving_region(extra) if dynamic != "none" else None
        self._steps = sorted(extra.integers(1, max(2, self.n_frames), light_steps))
        self._step_gain = extra.uniform(0.75, 1.25, light_steps)
        if stops:
            for sp in self._sprites[2:4]:  # the cart and the walker
                sp.pause, sp.pause_at = int(extra.integers(30, 90)), float(extra.uniform(0.3, 0.7))
        self._blurred: np.ndarray | None = None
        if camouflage:
            self._blurred = cv2.GaussianBlur(self._bg, (0, 0), 6 * min(width / 320, height / 240))
            self._sprites.append(self._camouflaged(np.random.default_rng((self.seed, 3))))
        if left_behind is not None:
            self._sprites.append(self._suitcase(int(left_behind), np.random.default_rng((self.seed, 4))))
        self._light = self._lamps() if night else None
        self._noise = (
            np.round(rng.standard_normal((height + NOISE_PAD, width + NOISE_PAD, 3)) * self.noise_sigma)
            .clip(-127, 127)
            .astype(np.int16)
        )
        self._dark = (np.arange(256) * self.shadow_gain).clip(0, 255).astype(np.uint8)

    # -- scene construction (once) -------------------------------------------------------------

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        """Wall with panels, a window and a door; tiled floor; a pot and a bench. Float math once."""
        w, h = self.size
        s = min(w / 320, h / 240)
        hz = self.horizon
        img = np.zeros((h, w, 3), np.float32)
        img[:hz] = (150, 172, 196)  # warm beige wall (BGR)
        img[hz:] = (112, 122, 128)  # grey floor
        # wall panels: mortar-like lines, staggered joints
        row = max(4, int(16 * s))
        for k, y in enumerate(range(0, hz, row)):
            img[y : y + 1] -= 22
            off = (k % 2) * row
            for x in range(off, w, 2 * row):
                img[y : min(y + row, hz), x : x + 1] -= 18
        # floor tiles: checker shades with grout, rows get shallower towards the horizon
        tile = max(6, int(40 * s))
        ys = hz
        r = 0
        while ys < h:
            th = max(4, int(tile * (0.45 + 0.55 * (ys - hz) / max(1, h - hz))))
            for c, x in enumerate(range(-(r % 2) * tile // 2, w, tile)):
                shade = 9 if (r + c) % 2 else -9
                img[ys : ys + th, max(x, 0) : x + tile] += shade
                img[ys : ys + th, max(x, 0) : max(x, 0) + 1] -= 15
            img[ys : ys + 1] -= 15
            ys += th
            r += 1
        img[hz - max(2, int(4 * s)) : hz] = (70, 80, 90)  # skirting board
        # static furniture
        wx0, wy0, wx1, wy1 = int(0.08 * w), int(0.08 * h), int(0.30 * w), int(0.34 * h)
        win = np.linspace(225, 185, wy1 - wy0, dtype=np.float32)[:, None, None] * np.array(
            [1.0, 0.93, 0.8], np.float32
        )
        img[wy0:wy1, wx0:wx1] = win
        cv2.rectangle(img, (wx0, wy0), (wx1 - 1, wy1 - 1), (60, 70, 80), max(1, int(3 * s)))
        cv2.line(img, ((wx0 + wx1) // 2, wy0), ((wx0 + wx1) // 2, wy1 - 1), (60, 70, 80), max(1, int(2 * s)))
        cv2.line(img, (wx0, (wy0 + wy1) // 2), (wx1 - 1, (wy0 + wy1) // 2), (60, 70, 80), max(1, int(2 * s)))
        dx0, dx1 = int(0.72 * w), int(0.86 * w)
        cv2.rectangle(img, (dx0, int(0.06 * h)), (dx1, hz - 1), (50, 80, 115), -1)
        cv2.rectangle(img, (dx0, int(0.06 * h)), (dx1, hz - 1), (35, 55, 80), max(1, int(2 * s)))
        cv2.circle(img, (dx1 - int(6 * s), int(0.3 * h)), max(1, int(3 * s)), (90, 170, 200), -1)
        px, py = int(0.9 * w), int(0.62 * h)
        cv2.ellipse(img, (px, py - int(22 * s)), (int(16 * s), int(20 * s)), 0, 0, 360, (50, 120, 45), -1)
        pot = np.array([[px - 10 * s, py - 4 * s], [px + 10 * s, py - 4 * s], [px + 7 * s, py + 14 * s],
                        [px - 7 * s, py + 14 * s]], np.int32)
        cv2.fillPoly(img, [pot], (40, 70, 150))
        cv2.rectangle(img, (int(0.04 * w), int(0.55 * h)), (int(0.2 * w), int(0.6 * h)), (45, 60, 75), -1)
        # colour variation: low frequency (lighting, dirt) and mid frequency (material texture)
        img += _smooth(rng, (4, 3), (w, h)) * np.float32(7) + _smooth(rng, (4, 3), (w, h), 1) * np.float32(10)
        img += _smooth(rng, (max(2, w // 8), max(2, h // 8)), (w, h)) * np.float32(4)
        img += rng.standard_normal((h, w, 3)).astype(np.float32) * np.float32(2.5)  # static grain
        radius2 = np.linspace(-1, 1, w)[None, :] ** 2 + np.linspace(-1, 1, h)[:, None] ** 2
        vignette = 1.0 - 0.09 * radius2
        img *= vignette[..., None].astype(np.float32)
        return np.clip(img, 15, 230).astype(np.uint8)

    def _moving_region(self, rng: np.random.Generator) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray]:
        """Where the background moves: a textured bush (vegetation) or a band of water, drawn into
        the still background; returns its box, its texture and a smooth per-pixel sway field."""
        w, h = self.size
        if self.dynamic == "vegetation":
            bw, bh = int(w * rng.uniform(0.2, 0.4)), int(h * rng.uniform(0.25, 0.45))
            x0, y0 = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            base = np.array([40, 110, 50], np.float32) + rng.uniform(-20, 20, 3).astype(np.float32)
            tex = base + _smooth(rng, (max(2, bw // 3), max(2, bh // 3)), (bw, bh)) * np.float32(28)
            shape = np.zeros((bh, bw), np.uint8)
            for _ in range(12):  # a clump of leafy blobs
                cv2.ellipse(shape, (int(rng.integers(0, bw)), int(rng.integers(bh // 4, bh))),
                            (max(2, bw // 5), max(2, bh // 5)), 0, 0, 360, 1, -1)
        else:
            bw, bh = w, int(h * rng.uniform(0.2, 0.35))
            x0, y0 = 0, h - bh
            base = np.array([120, 90, 40], np.float32) + rng.uniform(-25, 25, 3).astype(np.float32)
            tex = base + _smooth(rng, (max(2, bw // 6), max(2, bh // 2)), (bw, bh)) * np.float32(22)
            shape = np.ones((bh, bw), np.uint8)
        box = (slice(y0, y0 + bh), slice(x0, x0 + bw))
        region = self._bg[box]
        keep = shape.astype(bool)
        region[keep] = np.clip(tex, 0, 255).astype(np.uint8)[keep]
        sway = _smooth(rng, (3, 3), (bw, bh), 2) * np.float32(1.5 if self.dynamic == "vegetation" else 1.0)
        return box, keep, sway

    def _move_background(self, img: np.ndarray, i: int) -> None:
        """Sway the moving region in place: a smooth displacement field that oscillates in time."""
        assert self._moving is not None
        box, keep, sway = self._moving
        bh, bw = keep.shape
        yy, xx = np.mgrid[:bh, :bw].astype(np.float32)
        t = 2 * math.pi * i
        if self.dynamic == "vegetation":  # gusts: the whole bush leans back and forth, leaves flutter
            amp = 2.5 * math.sin(t / 37.0) + 1.0 * math.sin(t / 11.0)
            dx = sway[..., 0] * amp + 1.2 * np.sin(yy / 3.0 + t / 9.0)
            dy = sway[..., 1] * amp * 0.5
        else:  # ripples travelling across the water, and glints
            dx = 1.5 * np.sin(xx / 9.0 + yy / 4.0 - t / 15.0)
            dy = 1.2 * np.sin(xx / 13.0 - t / 10.0) + sway[..., 1]
        src = cv2.remap(self._bg[box], xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if self.dynamic == "water":
            glint = (np.sin(xx / 5.0 + yy / 2.0 + t / 7.0) > 0.93).astype(np.float32) * np.float32(45)
            src = cv2.add(src, cv2.merge([glint] * 3), dtype=cv2.CV_8U)
        region = img[box]
        region[keep] = src[keep]

    def _camouflaged(self, rng: np.random.Generator) -> _Sprite:
        """A figure that walks along the back of the floor, coloured like what is behind it: drawn
        each frame as the smoothed background plus :data:`CAMOUFLAGE_OFFSET` and a fine grain, so it
        differs from the scene behind it by a few grey levels wherever it goes."""
        w, h = self.size
        s = min(w / 320, h / 240)
        sw, sh = max(4, int(round(24 * s))), max(8, int(round(64 * s)))
        mask = np.zeros((sh, sw), np.uint8)
        head = max(2, sh // 8)
        cv2.circle(mask, (sw // 2, head), head, 1, -1)
        cv2.rectangle(mask, (sw // 8, 2 * head), (sw - 1 - sw // 8, int(sh * 0.6)), 1, -1)
        cv2.rectangle(mask, (sw // 2 - max(2, sw // 3) - 1, int(sh * 0.6)), (sw // 2 + max(2, sw // 3), sh - 1), 1, -1)
        offset = np.array(CAMOUFLAGE_OFFSET, np.float32)
        camo = np.round(offset + rng.standard_normal((sh, sw, 3)).astype(np.float32) * np.float32(2.0)).astype(np.int16)
        tex = np.zeros((sh, sw, 3), np.uint8)  # unused: the colour comes from the background each frame
        return _Sprite(tex, mask > 0, y0=0.74 * h - sh, vx=2.0 * s, delay=0, gap=30, name="camouflaged", camo=camo)

    def _suitcase(self, rest: int, rng: np.random.Generator) -> _Sprite:
        """A suitcase that slides in from the left and comes to rest at frame ``rest``, for good."""
        w, h = self.size
        s = min(w / 320, h / 240)
        sw, sh = max(4, int(round(36 * s))), max(4, int(round(26 * s)))
        tex = np.zeros((sh, sw, 3), np.float32)
        tex[:] = (40, 60, 150)  # a dark red case
        tex[: max(1, sh // 6)] = (30, 40, 110)  # its lid's edge
        cv2.rectangle(tex, (sw // 3, 0), (sw - 1 - sw // 3, max(1, sh // 10)), (25, 25, 25), -1)  # handle
        tex += rng.standard_normal(tex.shape).astype(np.float32) * np.float32(5)
        mask = np.ones((sh, sw), bool)
        speed, x_rest = 4.0 * s, int(0.35 * w)
        travel = (x_rest + sw) / speed  # frames from just outside the left edge to its resting place
        delay = rest - self.warmup - int(math.ceil(travel))
        if delay < 0:
            raise ValueError(f"left_behind must be at least {self.warmup + int(math.ceil(travel))} "
                             f"(the warm-up plus the {int(math.ceil(travel))} frames it takes to slide in), "
                             f"not {rest}")
        crossing = (w + sw) / speed
        return _Sprite(np.clip(tex, 0, 255).astype(np.uint8), mask, y0=0.9 * h - sh, vx=speed, delay=delay,
                       gap=0, pause_at=math.ceil(travel) / crossing, pause=10**9, name="suitcase")

    def _lamps(self) -> np.ndarray:
        """The night's light: :data:`NIGHT_AMBIENT` everywhere, brighter in each lamp's soft pool."""
        w, h = self.size
        yy, xx = np.mgrid[:h, :w].astype(np.float32)
        light = np.full((h, w), NIGHT_AMBIENT, np.float32)
        for fx, fy, fr, strength in LAMPS:
            r = fr * w
            light += np.float32(strength) * np.exp(-((xx - fx * w) ** 2 + (yy - fy * h) ** 2) / (2 * r * r))
        return cv2.merge([np.minimum(light, 1.0)] * 3)

    def _lit(self, img: np.ndarray, i: int) -> np.ndarray:
        """``img`` under frame ``i``'s light: the night's lamps, then the global gain."""
        if self._light is not None:
            return cv2.convertScaleAbs(cv2.multiply(img, self._light, dtype=cv2.CV_32F), alpha=self._gain(i))
        return cv2.convertScaleAbs(img, alpha=self._gain(i))

    def _shift(self, i: int) -> np.ndarray | None:
        """Camera shake for frame ``i``: a 2x3 translation, or None without jitter."""
        if not self.jitter:
            return None
        dx, dy = np.random.default_rng((self.seed, i, 2)).uniform(-self.jitter, self.jitter, 2)
        return np.array([[1, 0, dx], [0, 1, dy]], np.float32)

    def _region_colour(self, x: float, y: float, dx: float, dy: float) -> np.ndarray:
        w, h = self.size
        x0, y0 = int(np.clip(x, 0, w - 2)), int(np.clip(y, 0, h - 2))
        patch = self._bg[y0 : max(y0 + 1, int(y0 + dy)), x0 : max(x0 + 1, int(x0 + dx))]
        return patch.reshape(-1, 3).mean(axis=0)

    def _make_sprites(self, rng: np.random.Generator) -> list[_Sprite]:
        """Back-to-front: distant stroller, drone, cart, walker (casts the shadow), ball."""
        w, h = self.size
        s = min(w / 320, h / 240)
        hz = self.horizon

        def canvas(sw: float, sh: float):
            sw, sh = max(2, int(round(sw * s))), max(2, int(round(sh * s)))
            return np.zeros((sh, sw, 3), np.float32), np.zeros((sh, sw), np.uint8)

        def finish(tex: np.ndarray, mask: np.ndarray, grain: float) -> tuple[np.ndarray, np.ndarray]:
            tex = tex + rng.standard_normal(tex.shape).astype(np.float32) * np.float32(grain)
            m = mask > 0
            return np.clip(tex, 0, 255).astype(np.uint8), m

        sprites: list[_Sprite] = []

        # 1. distant stroller by the wall: small, very slow, close to the wall colour (camouflage)
        tex, mask = canvas(10, 24)
        sh_, sw_ = mask.shape
        wall = self._region_colour(0.35 * w, hz - 30 * s, 40 * s, 20 * s)
        cv2.ellipse(mask, (sw_ // 2, sh_ // 6), (max(1, sw_ // 4), max(1, sh_ // 7)), 0, 0, 360, 1, -1)
        cv2.rectangle(mask, (sw_ // 5, sh_ // 4), (sw_ - 1 - sw_ // 5, sh_ - 1), 1, -1)
        tex[:] = wall - (16, 14, 10)
        tex[sh_ * 2 // 3 :] = wall - (26, 24, 22)
        sprites.append(_Sprite(*finish(tex, mask, 5), y0=hz - sh_ + 3 * s, vx=-0.5 * s, delay=0, gap=0))

        # 2. drone over the wall: medium, distinct dark blue, sways
        tex, mask = canvas(36, 16)
        sh_, sw_ = mask.shape
        cv2.ellipse(mask, (sw_ // 2, sh_ // 2), (sw_ // 2 - 1, sh_ // 2 - 1), 0, 0, 360, 1, -1)
        tex[:] = (120, 60, 40)
        tex[sh_ // 3 : sh_ * 2 // 3] = (170, 150, 140)
        sprites.append(_Sprite(*finish(tex, mask, 6), y0=0.14 * h, vx=2.2 * s, delay=25, gap=30,
                               bob=10 * s, bob_period=70))

        # 3. cart on the floor: large, fast-ish, almost floor-coloured with a fine check (camouflage)
        tex, mask = canvas(70, 34)
        sh_, sw_ = mask.shape
        floor = self._region_colour(0.1 * w, 0.7 * h, 0.8 * w, 20 * s)
        mask[: sh_ - max(2, sh_ // 5)] = 1
        rr = max(2, sh_ // 6)
        for cx in (sw_ // 5, sw_ * 4 // 5):
            cv2.circle(mask, (cx, sh_ - rr - 1), rr, 1, -1)
        yy, xx = np.mgrid[:sh_, :sw_]
        check = (((yy // max(2, int(4 * s))) + (xx // max(2, int(4 * s)))) % 2).astype(np.float32)
        tex[:] = floor + (12, 10, 6)
        tex += (check * 12 - 6)[..., None]
        for cx in (sw_ // 5, sw_ * 4 // 5):
            cv2.circle(tex, (cx, sh_ - rr - 1), rr, (35, 35, 38), -1)
        sprites.append(_Sprite(*finish(tex, mask, 4), y0=0.57 * h, vx=-3.0 * s, delay=70, gap=45))

        # 4. walker in front: tall, slow, clearly distinct; casts a hard shadow on the floor
        tex, mask = canvas(26, 70)
        sh_, sw_ = mask.shape
        head = max(2, sh_ // 8)
        cv2.circle(mask, (sw_ // 2, head), head, 1, -1)
        cv2.circle(tex, (sw_ // 2, head), head, (120, 150, 200), -1)
        body = (sw_ // 8, 2 * head, sw_ - 1 - sw_ // 8, int(sh_ * 0.58))
        cv2.rectangle(mask, body[:2], body[2:], 1, -1)
        cv2.rectangle(tex, body[:2], body[2:], (45, 40, 170), -1)
        for y in range(body[1] + 3, body[3], max(3, int(6 * s))):
            tex[y : y + 1, body[0] : body[2] + 1] = (60, 150, 220)
        leg = max(2, sw_ // 3)
        for lx in (sw_ // 2 - leg - 1, sw_ // 2 + 1):
            cv2.rectangle(mask, (lx, body[3]), (lx + leg, sh_ - 1), 1, -1)
            cv2.rectangle(tex, (lx, body[3]), (lx + leg, sh_ - 1), (90, 50, 30), -1)
        tex_u8, m = finish(tex, mask, 7)
        feet = 0.86 * h
        walker = _Sprite(tex_u8, m, y0=feet - sh_, vx=1.2 * s, delay=0, gap=20)
        if self.shadow:
            walker.shadow, walker.shadow_at = self._cast_shadow(m)
        sprites.append(walker)

        # 5. ball: tiny, fastest, bright yellow, bouncing along the floor
        tex, mask = canvas(8, 8)
        sh_, sw_ = mask.shape
        cv2.circle(mask, (sw_ // 2, sh_ // 2), max(1, sw_ // 2 - 1) if sw_ > 4 else sw_ // 2, 1, -1)
        tex[:] = (30, 210, 235)
        tex[sh_ // 2 :, :] = (20, 150, 200)
        sprites.append(_Sprite(*finish(tex, mask, 5), y0=0.74 * h, vx=6.0 * s, delay=110, gap=25,
                               bob=14 * s, bob_period=24))
        for sp, name in zip(sprites, OBJECTS):
            sp.name = name
        return sprites

    def _cast_shadow(self, mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """The silhouette laid on the floor: flattened to 30% and sheared right from the feet.

        Nearest-neighbour warp keeps it a hard 0/1 mask, so its GT is exact.
        """
        h, w = mask.shape
        ky, shear = 0.3, 0.55
        # (x, y) -> (x + shear*(h - y), h + ky*(h - y) - h) relative to the feet line, flipped
        # so the head lands farthest from the feet
        out_w, out_h = int(w + shear * h) + 2, int(ky * h) + 2
        m = np.array([[1, -shear, shear * h], [0, -ky, ky * h]], np.float32)
        shadow = cv2.warpAffine(mask.astype(np.uint8), m, (out_w, out_h), flags=cv2.INTER_NEAREST) > 0
        return shadow, (0, h - 1)

    # -- per frame -----------------------------------------------------------------------------

    def _gain(self, i: int) -> float:
        """Slow global illumination drift (one smooth sine period over the clip, +-drift), times the
        sudden light changes that have happened by frame ``i``."""
        steps = float(np.prod(self._step_gain[: np.searchsorted(self._steps, i, side="right")]))
        if self.light_switch is not None and i < self.light_switch:
            steps /= self.switch_gain
        return steps * (1.0 + self.drift * math.sin(2 * math.pi * i / max(1, self.n_frames) + 0.3))

    def _check(self, i: int) -> int:
        if not 0 <= i < self.n_frames:
            raise IndexError(f"frame {i} out of range 0..{self.n_frames - 1}")
        return i

    def _placed(self, i: int) -> list[tuple[_Sprite, tuple[int, int]]]:
        t = i - self.warmup
        if t < 0:
            return []
        placed = []
        for sp in self._sprites:
            if self.objects is not None and sp.name in OBJECTS and sp.name not in self.objects:
                continue
            pos = sp.position(t, self.size[0])
            if pos is not None:
                placed.append((sp, pos))
        return placed

    def _shadow_slices(self, sp: _Sprite, pos: tuple[int, int]):
        """Where the sprite's shadow falls, limited to the floor (it is never cast on the wall)."""
        if sp.shadow is None:
            return None
        w, h = self.size
        x, y = pos[0] + sp.shadow_at[0], pos[1] + sp.shadow_at[1]
        sl = _clip(x, y, sp.shadow.shape[1], sp.shadow.shape[0], w, h)
        if sl is None:
            return None
        (fy, fx), (py, px) = sl
        if fy.start < self.horizon:
            cut = self.horizon - fy.start
            if cut >= fy.stop - fy.start:
                return None
            fy, py = slice(self.horizon, fy.stop), slice(py.start + cut, py.stop)
        return (fy, fx), sp.shadow[py, px]

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as BGR uint8; identical on every call (noise is keyed by (seed, i))."""
        self._check(i)
        w, h = self.size
        img = self._bg.copy()
        if self._moving is not None:
            self._move_background(img, i)
        placed = self._placed(i)
        for sp, pos in placed:
            sh = self._shadow_slices(sp, pos)
            if sh is not None:
                (fy, fx), m = sh
                region = img[fy, fx]
                region[m] = self._dark[region[m]]
        for sp, pos in placed:
            sl = _clip(pos[0], pos[1], sp.mask.shape[1], sp.mask.shape[0], w, h)
            if sl is not None:
                (fy, fx), (py, px) = sl
                tex = sp.tex[py, px]
                if sp.camo is not None:
                    assert self._blurred is not None
                    tex = cv2.add(self._blurred[fy, fx], sp.camo[py, px], dtype=cv2.CV_8U)
                np.copyto(img[fy, fx], tex, where=sp.mask[py, px][..., None])
        img = self._lit(img, i)
        shift = self._shift(i)
        if shift is not None:
            img = cv2.warpAffine(img, shift, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if self.noise_sigma > 0:
            oy, ox = np.random.default_rng((self.seed, i)).integers(0, NOISE_PAD, 2)
            img = cv2.add(img, self._noise[oy : oy + h, ox : ox + w], dtype=cv2.CV_8U)
        return img

    def ground_truth(self, i: int) -> np.ndarray:
        """Exact CDnet-style labels for frame ``i``: 255 object, 50 hard shadow, 0 static."""
        self._check(i)
        w, h = self.size
        gt = np.zeros((h, w), np.uint8)
        placed = self._placed(i)
        for sp, pos in placed:
            sh = self._shadow_slices(sp, pos)
            if sh is not None:
                (fy, fx), m = sh
                gt[fy, fx][m] = 50
        for sp, pos in placed:
            sl = _clip(pos[0], pos[1], sp.mask.shape[1], sp.mask.shape[0], w, h)
            if sl is not None:
                (fy, fx), (py, px) = sl
                gt[fy, fx][sp.mask[py, px]] = 255
        shift = self._shift(i)
        if shift is None:
            return gt
        return np.asarray(cv2.warpAffine(gt, shift, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT),
                          np.uint8)

    def background(self, i: int = 0) -> np.ndarray:
        """The true empty scene under frame ``i``'s lighting, without noise or shake (for background
        scores); a moving region is shown at rest."""
        self._check(i)
        return self._lit(self._bg, i)

    def object_sizes(self) -> list[tuple[int, int]]:
        """(width, height) of each moving object, back to front."""
        return [(sp.mask.shape[1], sp.mask.shape[0]) for sp in self._sprites]

    def scored(self, i: int) -> bool:
        return i >= self.warmup

    def __len__(self) -> int:
        return self.n_frames

    def ended_early(self, frames_read: int) -> str | None:
        """Never: every frame is there (a missing or unreadable one raises a BgappError instead)."""
        return None

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self.n_frames):
            yield self.frame(i)

    def pairs(self) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
        for i in range(self.n_frames):
            yield self.frame(i), self.ground_truth(i), self.scored(i)

    def frames_from(self, start: int) -> Iterator[np.ndarray]:
        for i in range(max(start, 0), self.n_frames):
            yield self.frame(i)

    def sample(self, n: int) -> list[np.ndarray]:
        """Up to ``n`` frames spread evenly over the clip (the :mod:`bgapp.source` contract)."""
        return [self.frame(i) for i in sample_indices(n, self.n_frames)]

    @property
    def frame_numbers(self) -> list[int]:
        return list(range(1, self.n_frames + 1))

    @property
    def scored_indices(self) -> list[int]:
        return list(range(max(self.warmup, 0), self.n_frames))

    def check_ground_truth(self) -> None:
        """Nothing to check: the labels are drawn with the frames."""

    def frame_label(self, i: int) -> str:
        return f"frame {i + 1}"

    def __repr__(self) -> str:
        w, h = self.size
        return f"SyntheticScene({w}x{h}, {self.n_frames} frames, seed={self.seed})"
