"""One session's processing state: method, post-processing, statistics and compositor.

The same :class:`Pipeline` serves an uploaded clip, the CLI and the webcam callback. The
callback thread calls :meth:`Pipeline.process` while the page thread calls :meth:`update`;
a lock makes each frame see one consistent set of settings. ``update`` keeps the learned
model unless a changed value needs a rebuild (the method decides, from its declarations).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .composite import Compositor
from .config import Change, Config
from .frames import to_bgr8
from .methods import Method, create
from .postprocess import PostProcessor
from .source import Source
from .stats import ForegroundSeries, RunningStats, SampledMedian, foreground_fraction
from .trace import PixelTrace


@dataclass
class FrameResult:
    """Everything the views need for one frame."""

    index: int
    frame: np.ndarray
    raw: np.ndarray
    clean: np.ndarray
    fg_fraction: float
    ms: float
    learning: bool
    score: np.ndarray | None = None
    background: np.ndarray | None = None
    composite: np.ndarray | None = None
    model_frames: int = 0  # frames the current model has seen, this one included (0 after a rebuild)


@dataclass
class Views:
    """Which optional outputs to compute per frame (each costs time)."""

    background: bool = False
    composite: bool = False
    stats: bool = False


@dataclass
class UpdateResult:
    """What applying a :class:`~bgapp.config.Change` did: whether the model restarted, the widest part
    of the pipeline touched (``model``, ``post``, ``view``; None: nothing), the notes after it."""

    rebuilt: bool = False
    notes: list[str] = field(default_factory=list)
    scope: str | None = None


class Pipeline:
    """Holds a session's model and turns frames into masks and views.

    One object per stream: the model learns from every frame it is given, so two streams need two.

    Parameters
    ----------
    config : Config or dict, optional
        The settings; a dict is read by :meth:`Config.from_dict` (default: MOG2 at its defaults).
    views : Views, optional
        Which optional outputs each frame computes (default: none of them).
    roi : (H, W) uint8 array, optional
        Foreground only where it is non-zero (a mask of another size is ignored, with a note).

    Raises
    ------
    BgappError
        For an invalid config, or a method not available here.

    Examples
    --------
    >>> import numpy as np
    >>> from bgapp.pipeline import Pipeline
    >>> pipe = Pipeline({"method": "absdiff"})  # the first frame is the reference
    >>> empty = np.full((48, 64, 3), 100, np.uint8)
    >>> frame = empty.copy()
    >>> frame[10:30, 20:40] = 250  # a bright 20x20 object
    >>> result = pipe.process(empty)
    >>> result = pipe.process(frame)
    >>> result.index, result.clean.shape, result.clean.dtype, np.unique(result.clean).tolist()
    (1, (48, 64), dtype('uint8'), [0, 255])
    """

    def __init__(self, config: Config | Mapping[str, Any] | None = None, views: Views | None = None,
                 roi: np.ndarray | None = None) -> None:
        self._lock = threading.RLock()
        self.config = config if isinstance(config, Config) else Config.from_dict(config or {})
        self.views = views or Views()
        self.method: Method = create(self.config.method, self.config.params)
        self.post = PostProcessor(self.config.post, roi)
        self.compositor = Compositor(self.config.composite)
        self.running = RunningStats()
        self.sampled = SampledMedian()
        self.series = ForegroundSeries()
        self.index = 0
        self.last_frame: np.ndarray | None = None
        self._samples: list[np.ndarray] | None = None  # the source's sample(self._sampled_n)
        self._sampled_n = 0
        self._source: Source | None = None
        self.trace: PixelTrace | None = None  # the inspected pixel's history, only while one is inspected

    # settings -----------------------------------------------------------------------------------
    def update(self, method: str | None = None, params: Mapping[str, Any] | None = None,
               post: Mapping[str, Any] | None = None,
               composite: Mapping[str, Any] | None = None) -> UpdateResult:
        """Change settings from any thread; the next frame uses them.

        A new method, or a parameter whose declaration says ``rebuild``, restarts the model
        (``rebuilt`` is True); anything else keeps what the model has learned.

        Parameters
        ----------
        method : str, optional
            A new method (its parameters start from their defaults, then ``params``).
        params, post, composite : dict, optional
            Values to change by name; the others keep theirs.

        Returns
        -------
        UpdateResult
            ``rebuilt``: whether the model restarted; ``notes``: :attr:`notes` after the change.

        Raises
        ------
        BgappError
            For an invalid value; then nothing changes, the other values included.

        Examples
        --------
        >>> from bgapp.pipeline import Pipeline
        >>> pipe = Pipeline({"method": "mog2"})
        >>> pipe.update(params={"history": 50}, post={"open": 5}).rebuilt
        False
        >>> pipe.update(params={"n_mixtures": 3}).rebuilt  # declared ``rebuild``
        True
        >>> pipe.update(method="knn").rebuilt, pipe.config.method
        (True, 'knn')
        """
        with self._lock:
            return self.apply(self.config.change(method, params, post, composite))

    def set_config(self, config: Config) -> UpdateResult:
        """Move to ``config`` with the fewest rebuilds (same method: only changed values)."""
        with self._lock:
            return self.apply(Change(self.config, config))

    def apply(self, change: Change) -> UpdateResult:
        """Apply a validated :class:`~bgapp.config.Change`: each part gets only its changed values.
        A change made against older settings than the running ones applies as the move from these."""
        with self._lock:
            if change.before != self.config:
                change = Change(self.config, change.after)
            result = UpdateResult(scope=change.scope)
            if change.new_method:
                self.method = create(change.after.method, change.after.params)
                self._prime_method()
                result.rebuilt = True
            elif change.params:
                wanted = self.method.wants_samples
                result.rebuilt = self.method.change(change.params)
                if result.rebuilt or self.method.wants_samples != wanted:
                    self._prime_method()
            if self.trace is not None and change.scope is not None:
                self.trace.mark(self.index, "new model" if result.rebuilt else "settings changed")
            if change.post:
                self.post.change(change.post)
            if change.composite:
                self.compositor.change(change.composite)
            self.config = change.after
            result.notes = self.notes
            return result

    def reset(self, start: int = 0) -> None:
        """Forget everything learned: model, statistics, the inspected pixel's history; the next frame
        is numbered ``start`` (a player that replays from part-way through a clip keeps its numbers).

        Parameters
        ----------
        start : int, default 0
            The next frame's ``index``.

        Examples
        --------
        >>> import numpy as np
        >>> from bgapp.pipeline import Pipeline
        >>> pipe = Pipeline()
        >>> results = list(pipe.run([np.zeros((8, 8, 3), np.uint8)] * 3))
        >>> pipe.index, pipe.method.frames_seen
        (3, 3)
        >>> pipe.reset(start=100)
        >>> pipe.index, pipe.method.frames_seen
        (100, 0)
        """
        with self._lock:
            self.method.reset()
            self._prime_method()
            self.running.reset()
            self.sampled.reset()
            self.series = ForegroundSeries()
            self.index = start
            if self.trace is not None:
                self.trace.clear()

    # the pixel inspector -------------------------------------------------------------------------
    def inspect(self, x: int, y: int) -> PixelTrace:
        """Follow pixel (``x``, ``y``) from the next frame on (see :mod:`bgapp.trace`); replaces any
        pixel followed before. Until :meth:`stop_inspecting`, each frame costs a few reads more."""
        with self._lock:
            self.trace = PixelTrace(x, y)
            return self.trace

    def stop_inspecting(self) -> None:
        with self._lock:
            self.trace = None

    @property
    def notes(self) -> list[str]:
        """Messages for the user: rounded kernels, clamped values, a missing reference."""
        with self._lock:
            out = list(self.method.notes.items) + list(self.post.notes.items)
            note = getattr(self.compositor, "note", None)
            if note:
                out.append(note)
            return out

    # references ---------------------------------------------------------------------------------
    def prime(self, source: Source | None) -> None:
        """Remember ``source`` so methods that build a reference from frames sampled across the
        clip (a median) get them, now and after any change that needs a different sample; None
        (a live stream) forgets it. A clip shorter than the sample asked for gives each of its
        frames once (``Source.sample``'s contract)."""
        with self._lock:
            self._source = source
            self._samples = None
            self._prime_method()

    def _prime_method(self) -> None:
        n = self.method.wants_samples
        if not n or self._source is None:
            return
        if self._samples is None or self._sampled_n != n:
            self._samples = [to_bgr8(f) for f in self._source.sample(n)]
            self._sampled_n = n
        self.method.prime(self._samples)

    def capture_reference(self, frame: np.ndarray | None = None) -> bool:
        """Use ``frame`` (default: the last frame processed) as the reference background."""
        with self._lock:
            frame = self.last_frame if frame is None else to_bgr8(frame)
            if frame is None or not self.method.uses_reference:
                return False
            self.method.capture_reference(frame)
            return True

    def set_reference_image(self, img: np.ndarray | None) -> None:
        with self._lock:
            self.method.set_reference_image(img)

    def set_background_image(self, img: np.ndarray | None) -> None:
        """The replacement background for the ``image`` composite."""
        with self._lock:
            self.compositor.set_image(img)

    def set_roi(self, roi: np.ndarray | None) -> None:
        with self._lock:
            self.post.set_roi(roi)

    # processing ---------------------------------------------------------------------------------
    def process(self, frame: np.ndarray) -> FrameResult:
        """Run one frame through the model and the enabled views.

        Parameters
        ----------
        frame : (H, W, 3) uint8 BGR array
            Also taken: grey (H, W), BGRA, uint16 and float in [0, 1], converted as
            :func:`bgapp.frames.to_bgr8` says.

        Returns
        -------
        FrameResult
            ``raw`` (the method's mask) and ``clean`` (post-processed): (H, W) uint8 arrays, 0 or
            255 (127 for a shadow where the method keeps shadows); ``fg_fraction``: the share of
            ``clean`` that is foreground; ``background`` and ``composite`` where :class:`Views` asks.

        Raises
        ------
        BgappError
            For a frame that cannot be read as an image.

        Examples
        --------
        >>> import numpy as np
        >>> from bgapp.pipeline import Pipeline
        >>> pipe = Pipeline({"method": "mog2"})
        >>> empty = np.full((48, 64, 3), 100, np.uint8)
        >>> frame = empty.copy()
        >>> frame[10:30, 20:40] = 250
        >>> for _ in range(5):
        ...     result = pipe.process(empty)
        >>> print(f"{result.fg_fraction:.3f}")
        0.000
        >>> result = pipe.process(frame)
        >>> result.index, result.clean.shape, result.clean.dtype
        (5, (48, 64), dtype('uint8'))
        >>> print(f"{result.fg_fraction:.3f}")  # the 20x20 object, corners rounded by the opening
        0.129
        """
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            frame = to_bgr8(frame)
        with self._lock:
            t0 = time.perf_counter()
            out = self.method.apply(frame)
            if self.post.roi is not None and self.post.roi.shape != out.mask.shape:
                self.post.set_roi(None)
                self.post.notes.add("the ROI mask does not match the frame size: ignored")
            result = self._finish(FrameResult(
                index=self.index, frame=frame, raw=out.mask, clean=out.mask, fg_fraction=0.0,
                ms=0.0, learning=self.method.learning, score=out.score,
            ))
            if self.views.background:
                result.background = self.method.background()
            if self.views.stats:
                self.running.update(frame)
                self.sampled.update(frame)
            self.series.append(self.index, result.fg_fraction)
            if self.trace is not None:
                self.trace.record(result, self.method)
            result.model_frames = self.method.frames_seen
            self.last_frame = frame
            self.index += 1
            result.ms = (time.perf_counter() - t0) * 1000.0
            return result

    def redraw(self, result: FrameResult) -> FrameResult:
        """``result`` again with the current post-processing and composite, the model untouched.

        Post-processing and compositing keep no state between frames, so a paused view can show a
        change of theirs exactly without feeding the frame to the model a second time (which
        would teach it the same frame twice and drift it).

        Parameters
        ----------
        result : FrameResult
            A result of :meth:`process`; it is not changed.

        Returns
        -------
        FrameResult
            A copy with ``clean``, ``fg_fraction`` and ``composite`` made again.

        Examples
        --------
        >>> import numpy as np
        >>> from bgapp.pipeline import Pipeline
        >>> pipe = Pipeline({"method": "absdiff"})
        >>> empty = np.full((48, 64, 3), 100, np.uint8)
        >>> frame = empty.copy()
        >>> frame[10:30, 20:40] = 250
        >>> result = pipe.process(empty)
        >>> result = pipe.process(frame)
        >>> _ = pipe.update(post={"dilate": 7})
        >>> int(np.count_nonzero(result.clean)), int(np.count_nonzero(pipe.redraw(result).clean))
        (480, 756)
        """
        with self._lock:
            out = self._finish(replace(result))
            if self.trace is not None:
                self.trace.redraw(out)
            return out

    def _finish(self, result: FrameResult) -> FrameResult:
        """The stages after the model, which keep no state: clean-up, foreground share, composite."""
        result.clean = self.post(result.raw)
        result.fg_fraction = foreground_fraction(result.clean)
        result.composite = self.compositor(result.frame, result.clean) if self.views.composite else None
        return result

    def run(self, frames: Iterable[np.ndarray]) -> Iterable[FrameResult]:
        """Process a stream of frames lazily (nothing is held beyond the current frame).

        Parameters
        ----------
        frames : iterable of (H, W, 3) uint8 BGR arrays
            A :class:`bgapp.source.Source`, a list, a generator.

        Yields
        ------
        FrameResult
            As :meth:`process` returns it, one per frame, in order.

        Examples
        --------
        >>> from bgapp.pipeline import Pipeline
        >>> from bgapp.synthetic import SyntheticScene
        >>> scene = SyntheticScene(width=160, height=120, n_frames=60, warmup=30)
        >>> shares = [r.fg_fraction for r in Pipeline({"method": "mog2"}).run(scene)]
        >>> len(shares)
        60
        >>> print(f"{max(shares[:30]):.3f} {max(shares[30:]):.3f}")  # an empty room while it learns
        0.000 0.012
        """
        for frame in frames:
            yield self.process(frame)
