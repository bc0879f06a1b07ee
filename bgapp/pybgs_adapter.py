"""The one adapter between bgapp and BGSLibrary's Python wrapper (``pybgs``), and its quirks.

BGSLibrary's objects have no setters: each reads its parameters from ``./config/<Name>.xml``,
relative to the *working directory*, when it is constructed (writing the file with defaults,
including ``showOutput 1``, where it is missing). Construction prints ``+Name()`` to stdout,
destruction ``-Name()``, and some algorithms print their settings at the first frame. The LB*
family crashes the process when destroyed before it has seen a frame.

So every object is built, fed its first frame and destroyed on one *builder thread* that has its own
working directory (``unshare(CLONE_FS)``, Linux): for each object it writes the config into a fresh
private folder, changes into it, constructs, and leaves and removes the folder, while every other
thread keeps the process's working directory. One thread also serialises the write-then-construct
pair, so concurrent sessions never read each other's files. Later frames run on the caller's thread
at full speed. Models still alive at exit are destroyed there too, before the interpreter tears down.

Not ``CLONE_FILES`` as well (a private stdout for that thread): a copied file table keeps every socket
the server had open at that moment alive in the copy, so a connection the server closes stays open
and stays registered with its epoll loop (it stalled the app's pages). The prints reach stdout;
``python -m bgapp`` points file descriptor 1 at stderr while a command runs and calls
:func:`close_all` before it restores it, so its ``--json`` output stays one JSON object.

Several algorithms draw from C's ``rand()``; each model seeds it when built, so a single run is repeatable.
It is one state per process: sessions running at once interleave their draws.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from functools import cache
from typing import Any, TypeVar

import cv2
import numpy as np

from .errors import BgappError
from .standalone import seed_c_rand, write_bgs_config

INSTALL = "bash scripts/setup.sh --bgslibrary   (or: pip install 'bgapp[bgslibrary]'; needs cmake and libopencv-dev)"
CLONE_FS = 0x00000200
T = TypeVar("T")


@cache
def _module() -> Any:
    try:
        import pybgs
    except ImportError:
        return None
    return pybgs


@cache
def algorithms() -> frozenset[str]:
    """The BGSLibrary class names this build of the wrapper has (empty when it is not installed)."""
    mod = _module()
    return frozenset(n for n in dir(mod) if n[:1].isupper()) if mod is not None else frozenset()


def unavailable_reason(algorithm: str) -> str | None:
    """Why ``algorithm`` cannot run here, or None when it can."""
    if _module() is None:
        return f"BGSLibrary's Python wrapper (pybgs) is not installed; install it with: {INSTALL}"
    if algorithm not in algorithms():
        return f"this build of pybgs has no {algorithm}"
    return _builder().error


class _BuilderThread:
    """One thread with its own working directory that runs callables in order."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), name="bgslibrary-builder", daemon=True)
        self._thread.start()
        ready.wait()

    def _main(self, ready: threading.Event) -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_FS) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
        except (OSError, AttributeError) as exc:
            self.error = (f"BGSLibrary methods need a thread with its own working directory "
                          f"(Linux unshare(CLONE_FS), refused here: {exc}); a container may need "
                          "its seccomp profile to allow unshare")
            ready.set()
            return
        ready.set()
        while True:
            fn, fut = self._queue.get()
            try:
                fut.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)
            del fn, fut  # the last reference to whatever fn held dies here, on this thread

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the builder thread and return its result (or raise its exception)."""
        if self.error:
            raise BgappError(self.error)
        fut: Future = Future()
        self._queue.put((fn, fut))
        return fut.result()

    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the builder thread without waiting."""
        if not self.error:
            self._queue.put((fn, Future()))


_BUILDER: _BuilderThread | None = None
_BUILDER_LOCK = threading.RLock()  # re-entrant: a model collected inside it closes through _builder()


def _builder() -> _BuilderThread:
    """The process's builder thread, started on first use (again in a forked child, which has none)."""
    global _BUILDER
    with _BUILDER_LOCK:
        if _BUILDER is None or _BUILDER.pid != os.getpid():
            _BUILDER = _BuilderThread()
        return _BUILDER


@contextlib.contextmanager
def _private_folder() -> Iterator[None]:
    """On the builder thread only: a fresh folder as this thread's working directory, removed after."""
    folder = tempfile.mkdtemp(prefix="bgapp-bgslibrary-")
    try:
        os.chdir(folder)
        yield
    finally:
        os.chdir("/")
        shutil.rmtree(folder, ignore_errors=True)


_LIVE: weakref.WeakSet[NativeModel] = weakref.WeakSet()
_UNSAFE: list[Any] = []


class NativeModel:
    """One BGSLibrary object, built from ``fields`` (config field -> value) with its first frame."""

    def __init__(self, algorithm: str, fields: Mapping[str, bool | int | float], rng_seed: int) -> None:
        reason = unavailable_reason(algorithm)
        if reason:
            raise BgappError(reason)
        self.algorithm = algorithm
        self.fields = dict(fields)
        self.rng_seed = rng_seed
        self._box: list[Any] = []
        self.frames = 0
        _LIVE.add(self)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """The object's raw output for ``frame`` (what BGSLibrary returns: 1 or 3 channels)."""
        frame = np.ascontiguousarray(frame)
        if not self._box:
            out = _builder().call(lambda: self._construct(frame))
        else:
            out = self._box[0].apply(frame)
        self.frames += 1
        return out

    def _construct(self, frame: np.ndarray) -> np.ndarray:
        with _private_folder():  # "." is this (builder) thread's own, fresh folder
            write_bgs_config(".", self.algorithm, self.fields)
            seed_c_rand(self.rng_seed)
            obj = getattr(_module(), self.algorithm)()
        try:
            out = obj.apply(frame)
        except BaseException:
            _UNSAFE.append(obj)  # some crash when destroyed before a frame went through: never destroy it
            raise
        self._box.append(obj)
        return out

    def background(self) -> np.ndarray | None:
        """The algorithm's background image (BGR) once it has seen a frame, else None."""
        if not self._box:
            return None
        bg = self._box[0].getBackgroundModel()
        if bg is None or not getattr(bg, "size", 0):
            return None
        return cv2.cvtColor(bg, cv2.COLOR_GRAY2BGR) if bg.ndim == 2 else bg

    def close(self) -> None:
        """Destroy the object on the builder thread."""
        if not self._box:
            return
        box, self._box = self._box, []
        _builder().post(lambda: _retire(box))

    def __del__(self) -> None:
        self.close()


def _retire(box: list[Any]) -> None:
    obj = box.pop()
    del obj  # the last reference: destroyed here, on the builder thread


def close_all() -> None:
    """Destroy every live model now, on the builder thread, and wait until that is done."""
    if _BUILDER is None or _BUILDER.error or _BUILDER.pid != os.getpid():
        return
    for model in list(_LIVE):
        model.close()
    _BUILDER.call(lambda: None)  # wait for the queue to drain


atexit.register(close_all)  # before the interpreter would destroy them on the main thread
