"""The one adapter between bgapp and BGSLibrary's Python wrapper (``pybgs``), and its quirks.

BGSLibrary's objects have no setters: each reads its parameters from ``./config/<Name>.xml``,
relative to the *working directory*, when it is constructed (writing the file with defaults,
including ``showOutput 1``, where it is missing). Construction prints ``+Name()`` to stdout,
destruction ``-Name()``, and some algorithms print their settings at the first frame. The LB*
family crashes the process when destroyed before it has seen a frame.

So every object is built, fed its first frame and destroyed on one *builder thread*. For each object
it writes the config into a fresh private folder (``tempfile``), makes that folder the working
directory the constructor sees, constructs, and removes the folder. One thread also serialises the
write-then-construct pair, so concurrent sessions never read each other's files, and the process's
own working directory (read-only in the container) is never written. Later frames run on the
caller's thread at full speed. Models still alive at exit are destroyed there too, before the
interpreter tears down. How the folder becomes the working directory (:func:`working_directory_mode`):

- :data:`PRIVATE_CWD`: the builder thread calls ``unshare(CLONE_FS)`` (Linux) once, so it has a working
  directory of its own; it changes into each folder and back to ``/``, and every other thread keeps the
  process's working directory all along.
- :data:`SHARED_CWD`: where ``unshare`` is refused (Docker's default seccomp profile answers EPERM without
  ``CAP_SYS_ADMIN``; not Linux), the builder changes the *process's* working directory into the folder for the
  constructor alone and back (to a descriptor of the directory it left, so it returns there exactly), under
  :data:`CWD_LOCK`. A relative path resolved by another thread in that window would resolve in the private
  folder (``No such file``, or a file created there and deleted with it). The window is the constructor:
  BGSLibrary reads its config there and nowhere else (its sources: ``initLoadSaveConfig`` in each constructor;
  no algorithm bgapp offers opens a file in ``process``): about 0.15 ms (measured medians 0.14-0.17 ms for
  SuBSENSE, PAWCS, SOBS, Codebook and ViBe; the heavy initialisation is at the first frame, after it;
  0.10-0.13 ms with unshare). The two directory changes go through ``ctypes.PyDLL``, which keeps the GIL,
  pybgs's constructors keep it too (no other thread runs during one, measured; its ``apply`` lets it go while
  it converts arrays), and the three calls are chained in C (``map``) with the garbage collector paused, so
  the builder runs no Python bytecode in the window and CPython has no point at which to hand the GIL to
  another thread: no other thread runs Python code (``open``, ``os.path.abspath``, an import) in it. Code that
  runs without the GIL can: a system call already under way in another thread, native code resolving a
  relative path at that moment (OpenCV's ``imread``, PyAV's ``open``; even ``os.getcwd`` makes its call
  without the GIL). tests/test_bgslibrary_seccomp.py checks both under a real seccomp filter
  (``scripts/no_unshare.py``): a thread that looks while holding the GIL never sees the private folder. In
  this app the paths that matter are absolute: Streamlit's script and pages (``streamlit run`` makes the
  script path absolute, pages are resolved against it), its static files and config files; bgapp's presets,
  model weights, session folders and temporary files. Relative are only what a user types: a CLI argument (the
  CLI reads its frames on the thread that waits for the build) and a relative path in the pages' local "Path"
  box (offered to someone at the server's own machine only), whose frames another session could fail to read
  during the window. On a free-threaded Python (no GIL) the window is the same length but open to every
  thread.

Not ``CLONE_FILES`` as well (a private stdout for that thread): a copied file table keeps every socket the
server had open at that moment alive in the copy, so a connection the server closes stays open and stays
registered with its epoll loop (it stalled the app's pages). Nor file descriptor 1 pointed at a capture file
for the native call: another thread's write that had already looked up descriptor 1 landed in the capture
after it was read, and was lost (a test caught it: 16 of 60 runs under load). Instead BGSLibrary's prints are
caught where they are made, in C's ``stdout`` stream (``std::cout`` writes into it; :func:`quietly`): for
construction, the first frame and destruction alone, the stream writes into an in-memory file; afterwards the
captured lines that are BGSLibrary's (:data:`NATIVE_LINE`) are dropped and any other is written on. So a
user's terminal (``bgapp bench-table``'s progress, a server's log) no longer shows ``+SuBSENSE()`` and
``-SuBSENSE()``, and what other threads write to descriptor 1 never goes near the capture. ``std::cout``
writes a line in pieces (``+``, the name, ``()``, the newline), and another thread's ``printf`` between two
pieces tears it (``+other`` then ``SuBSENSE()``: the likely way a CI run lost one of its test's lines;
tests/test_bgslibrary.py makes such a tear). For construction, which keeps the GIL, the builder holds the
stream's lock for the whole window, chained in C like the directory changes, so such a line waits and arrives
whole. A frame and a destruction let the GIL go (pybgs converts arrays without it: measured), so holding the
lock there could hang the process: a thread that took the GIL meanwhile and printed would wait on the lock
while holding the GIL. There a line landing inside one of BGSLibrary's is taken back out of it
(:func:`_untangle`). What some algorithms print while they run (IMBS's ``WARNING: changeBg``) still reaches
stdout: ``python -m bgapp`` points file descriptor 1 at stderr while a command runs and calls
:func:`close_all` before it restores it, so its ``--json`` output stays one JSON object.

Several algorithms draw from C's ``rand()``; each model seeds it when built, so a single run is repeatable.
It is one state per process: sessions running at once interleave their draws.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import logging
import os
import queue
import re
import select
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from functools import cache, partial
from operator import methodcaller
from typing import Any, TypeVar

import cv2
import numpy as np

from .errors import BgappError
from .standalone import seed_c_rand, write_bgs_config

INSTALL = "bash scripts/setup.sh --bgslibrary   (or: pip install 'bgapp[bgslibrary]'; needs cmake and libopencv-dev)"
CLONE_FS = 0x00000200
PRIVATE_CWD = "private working directory (unshare)"
SHARED_CWD = "shared working directory, changed under a lock"
CWD_LOCK = threading.Lock()  # held while SHARED_CWD has the process in a private folder
T = TypeVar("T")
log = logging.getLogger(__name__)
_DIR_FLAGS = (getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0)
              | getattr(os, "O_CLOEXEC", 0))  # a descriptor to come back to; O_PATH needs no read permission
_CALL = methodcaller("__call__")
# What BGSLibrary prints on construction (``+Name()``), destruction (``-Name()``) and, for the fuzzy
# integral, at the first frame (its settings); measured on every algorithm bgapp offers.
NATIVE_LINE = re.compile(rb"[+-]\w+\(\)|\w+ parameters:|Color space: \w+"
                         rb"|Fuzzing by \d+ colou?r components? \+ \d+ texture components?"
                         rb"|\w+ initializing background model by .+")


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


def working_directory_mode() -> str | None:
    """How this process builds BGSLibrary objects: :data:`PRIVATE_CWD` or :data:`SHARED_CWD` (see the
    module docstring); None when pybgs is not installed or neither way works here."""
    if _module() is None:
        return None
    return _builder().mode


def _unshare_fs() -> OSError | None:
    """Give the calling thread its own working directory; the error when refused (None when done)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_FS) != 0:
            err = ctypes.get_errno()
            return OSError(err, os.strerror(err))
    except (OSError, AttributeError, TypeError) as exc:  # no unshare here (not Linux)
        return OSError(f"no unshare here ({exc})")
    return None


def _gil_holding(name: str, argtype: Any) -> Any:
    """libc's ``name`` through ``ctypes.PyDLL`` (the call keeps the GIL), raising ValueError on -1
    without running Python code: the restype is called with the result, and ``bytes(-1)`` raises."""
    fn = getattr(ctypes.PyDLL(None, use_errno=True), name)
    fn.argtypes = [argtype]
    fn.restype = bytes
    return fn


class _BuilderThread:
    """One thread that builds and destroys every BGSLibrary object, running callables in order."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.mode: str | None = None
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), name="bgslibrary-builder", daemon=True)
        self._thread.start()
        ready.wait()

    def _main(self, ready: threading.Event) -> None:
        try:  # both ways change directory with the GIL held, so the calls can be chained in C (build_in)
            self._chdir, self._fchdir = _gil_holding("chdir", ctypes.c_char_p), _gil_holding("fchdir", ctypes.c_int)
        except (OSError, AttributeError, TypeError) as exc:
            self.error = f"BGSLibrary methods need libc's chdir and fchdir here ({exc})"
            ready.set()
            return
        refused = _unshare_fs()
        if refused is None:
            self.mode = PRIVATE_CWD
        else:
            try:  # the fallback needs a way back to the working directory
                os.close(os.open(".", _DIR_FLAGS))
            except OSError as exc:
                self.error = (f"BGSLibrary methods need a thread with its own working directory (Linux "
                              f"unshare(CLONE_FS), refused here: {refused}) or a way back to this one "
                              f"after changing it ({exc})")
                ready.set()
                return
            self.mode = SHARED_CWD
            log.info("BGSLibrary: unshare(CLONE_FS) refused (%s): each object is built with the process's "
                     "working directory changed into its private config folder for the constructor, "
                     "under a lock", refused)
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

    def build_in(self, folder: str, factory: Callable[[], T]) -> T:
        """On the builder thread only: ``factory()`` with ``folder`` as the working directory it sees,
        in a quiet window (:func:`quietly`: its ``+Name()`` is dropped)."""
        if self.mode == PRIVATE_CWD:  # this thread's own working directory
            return self._chained(folder, factory, partial(self._chdir, b"/"), partial(os.chdir, "/"))
        with CWD_LOCK:
            back = os.open(".", _DIR_FLAGS)
            try:
                return self._chained(folder, factory, partial(self._fchdir, back), partial(os.fchdir, back))
            finally:
                os.close(back)

    def _chained(self, folder: str, factory: Callable[[], T], back: Callable[[], Any],
                 recover: Callable[[], Any]) -> T:
        """chdir, construct and ``back``, chained in C (:func:`quietly`), so no bytecode runs in the
        window and the GIL stays here; ``recover`` returns the ordinary way after a failure."""
        built: list[Any] = []
        try:
            quietly((partial(self._chdir, os.fsencode(folder)), factory, back), built, keeps_gil=True)
        except ValueError:  # from chdir (nothing built) or back (built; len 2), or the constructor's own
            if len(built) == 1:
                raise
            err = ctypes.get_errno()
            where = f"into {folder}" if not built else "back to the working directory"
            raise OSError(err, f"cannot change {where}: {os.strerror(err)}") from None
        finally:
            if len(built) < 3:  # the constructor raised, or going back did
                recover()
            if 2 <= len(built) < 3:  # built but not fed a frame: never destroy it (LB* crash)
                _UNSAFE.append(built[1])
        return built[1]


class _FileHead(ctypes.Structure):
    """The head of glibc's ``struct _IO_FILE`` (``<bits/types/struct_FILE.h>``, a stable ABI) up to
    ``_fileno``, the descriptor the stream writes to, which no public function sets."""

    _fields_ = [("_flags", ctypes.c_int), *((f"_ptr{i}", ctypes.c_void_p) for i in range(11)),
                ("_markers", ctypes.c_void_p), ("_chain", ctypes.c_void_p), ("_fileno", ctypes.c_int)]


class _CStdout:
    """C's ``stdout`` stream, the one BGSLibrary prints through (``std::cout`` writes into it); its
    descriptor is swapped while the builder holds the stream's lock (:meth:`locked_into`)."""

    def __init__(self) -> None:
        libc = ctypes.PyDLL(None)  # every call keeps the GIL
        stream = ctypes.c_void_p.in_dll(libc, "stdout").value
        if not stream:
            raise ValueError("C's stdout is not open")
        self.stream: int = stream
        for name in ("flockfile", "funlockfile", "fflush", "fileno"):
            getattr(libc, name).argtypes = [ctypes.c_void_p]
        libc.memcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        libc.memcpy.restype = ctypes.c_void_p
        self.libc = libc
        self.field = _FileHead.from_address(self.stream)
        self._fflush = ctypes.CDLL(None).fflush  # releases the GIL while it writes
        self._fflush.argtypes = [ctypes.c_void_p]

    def fileno(self) -> int:
        return int(self.libc.fileno(self.stream))

    def drain(self) -> None:
        """Write out what the stream holds without the GIL (a slow reader of stdout then stalls no one
        else), so the flush under the lock in :meth:`locked_into` has little or nothing left to write."""
        self._fflush(self.stream)

    def point_at(self, fd: int) -> None:
        """Flush what the stream holds to its descriptor of now, then make it write to ``fd``; the four
        calls chained in C under the stream's lock."""
        self.locked_into(fd, (), [])

    def locked_into(self, fd: int, calls: Sequence[Callable[[], Any]], done: list[Any]) -> None:
        """Lock the stream, flush it, point it at ``fd``, run ``calls``, flush, point it back and unlock,
        all chained in C with the garbage collector paused; each call's result is appended to ``done``.

        Meanwhile another thread's ``printf`` waits for the lock. ``calls`` must keep the GIL throughout
        (pybgs's constructors, ``ctypes.PyDLL``'s calls): no bytecode runs in the chain, so this thread
        never hands the GIL to one that would then wait on the lock while holding it, a hang. When a
        call raises, pointing the stream back and unlocking it is the handler's first step (the few
        bytecodes before it are the one place, on that error path alone, where the GIL could pass).
        """
        into, before = ctypes.c_int(fd), ctypes.c_int(self.fileno())
        fd_at = ctypes.addressof(self.field) + _FileHead._fileno.offset
        lock = (partial(self.libc.flockfile, self.stream), partial(self.libc.fflush, self.stream),
                partial(self.libc.memcpy, fd_at, ctypes.addressof(into), ctypes.sizeof(into)))
        unlock: tuple[partial[Any], ...] = (partial(self.libc.fflush, self.stream),
                  partial(self.libc.memcpy, fd_at, ctypes.addressof(before), ctypes.sizeof(before)),
                  partial(self.libc.funlockfile, self.stream))
        if not calls:  # the swap alone: the stream points at fd when the lock is let go
            unlock = unlock[2:]
        ran: list[Any] = []
        collecting = gc.isenabled()
        gc.disable()  # a collection could run finalizers (Python code) inside the chain
        try:
            ran.extend(map(_CALL, (*lock, *calls, *unlock)))
        except BaseException:
            list(map(_CALL, unlock))  # only calls raise: the lock is held, the stream points at fd
            raise
        finally:
            if collecting:
                gc.enable()
            done.extend(ran[len(lock):len(lock) + len(calls)])


@cache
def _c_stdout() -> _CStdout | None:
    """C's stdout where its descriptor can be set (glibc, checked through ``fileno``), else None."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        out = _CStdout()
    except (OSError, AttributeError, ValueError, TypeError):
        return None
    return out if out.field._fileno == out.fileno() >= 0 else None


def _capture_file() -> int:
    """A descriptor of an unnamed in-memory file (a temp file where memfd is not offered): unlike a pipe
    it never fills up, so the builder never blocks on its own prints while it holds the GIL."""
    try:
        return os.memfd_create("bgapp-bgslibrary-stdout", os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        return os.dup(tempfile.TemporaryFile().fileno())


_QUIET_LOCK = threading.RLock()  # one window at a time: each restores the descriptor it found


def quietly(calls: Sequence[Callable[[], Any]], done: list[Any], *, keeps_gil: bool = False) -> None:
    """Run ``calls`` in order with BGSLibrary's prints kept off stdout, appending each one's result to
    ``done`` as it returns (after an exception, ``len(done)`` says how far it got).

    For the window C's stdout stream writes into a capture file instead of its descriptor; afterwards
    the lines matching :data:`NATIVE_LINE` are dropped and the rest are written on to that descriptor
    (:func:`_pass_on`). File descriptor 1 itself is never touched, so what other threads write to it
    (Python's ``print``, a log handler) goes straight out, and a redirection of it by someone else
    (``python -m bgapp``, pytest) is never undone or captured. Where the stream cannot be reached (not
    glibc) or no capture file can be had, nothing is caught.

    ``keeps_gil``: the calls never let the GIL go (pybgs's constructors), so the stream stays locked
    for the whole window (:meth:`_CStdout.locked_into`) and another thread's ``printf`` waits for its
    end instead of landing inside one of BGSLibrary's lines. Otherwise (a frame, a destruction: pybgs
    lets the GIL go while it converts arrays) the lock is taken only to swap the descriptor: a thread
    that took the GIL meanwhile and printed (pybgs's own ``WARNING`` on a session's thread) would wait
    on the lock while holding the GIL, and the builder for the GIL, for ever. There another thread's
    line is written into the capture and passed on, and one landing inside a BGSLibrary line is taken
    back out of it (:func:`_untangle`).
    """
    stream = _c_stdout()
    with _QUIET_LOCK:
        try:
            capture = _capture_file() if stream is not None else None
        except OSError:
            capture = None
        if stream is None or capture is None:
            done.extend(map(_CALL, calls))
            return
        before = stream.fileno()
        try:
            stream.drain()
            if keeps_gil:
                stream.locked_into(capture, calls, done)
            else:
                stream.point_at(capture)
                try:
                    done.extend(map(_CALL, calls))
                finally:
                    stream.point_at(before)
        finally:
            _pass_on(capture, before)


def _pass_on(capture: int, fd: int) -> None:
    """Write the captured lines that are not BGSLibrary's to ``fd``, then close the capture.

    They go out in whole lines of at most ``PIPE_BUF`` bytes a write, which a pipe never interleaves
    with another writer's (one larger write was split mid-line by another thread's output)."""
    try:
        os.lseek(capture, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(capture, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(capture)
    with contextlib.suppress(OSError):
        for piece in line_chunks(_untangle(b"".join(chunks).splitlines(keepends=True)), select.PIPE_BUF):
            while piece:
                piece = piece[os.write(fd, piece):]


def _untangle(lines: list[bytes], reach: int = 8) -> list[bytes]:
    """``lines`` without BGSLibrary's (:data:`NATIVE_LINE`), also where another thread's line landed
    inside one of them: ``std::cout`` writes ``+SuBSENSE()`` as ``+``, the name, ``()`` and the newline,
    so ``other`` printed between the first two reads ``+other`` then ``SuBSENSE()``. The pair is put
    back: the nearest later line that completes it (within ``reach``) is dropped and ``other`` kept.
    Only a line that cannot be BGSLibrary's is taken apart: one word landing after ``Color space:``
    reads as a whole BGSLibrary line and is dropped with it. Two lines landing inside the same
    BGSLibrary line are left as they came.

    >>> _untangle([b"+Foo()\\n", b"+other\\n", b"Bar()\\n", b"kept\\n", b"Color space: RGB\\n"])
    [b'other\\n', b'kept\\n']
    """
    out = [line for line in lines if not NATIVE_LINE.fullmatch(line.rstrip(b"\r\n"))]
    i = 0
    while i < len(out):
        line = out[i].rstrip(b"\r\n")
        for j in range(i + 1, min(i + 1 + reach, len(out))):
            rest = out[j].rstrip(b"\r\n")
            head = next((k for k in range(1, len(line)) if NATIVE_LINE.fullmatch(line[:k] + rest)), 0)
            if head:
                out[i] = out[i][head:]
                del out[j]
                break
        i += 1
    return out


def line_chunks(lines: Sequence[bytes], limit: int) -> Iterator[bytes]:
    """``lines`` joined into pieces of whole lines, each at most ``limit`` bytes unless one line alone
    is longer (then it is a piece of its own).

    >>> list(line_chunks([b"ab\\n", b"cd\\n", b"efgh\\n"], 6))
    [b'ab\\ncd\\n', b'efgh\\n']
    """
    piece = b""
    for line in lines:
        if piece and len(piece) + len(line) > limit:
            yield piece
            piece = b""
        piece += line
    if piece:
        yield piece


_BUILDER: _BuilderThread | None = None
_BUILDER_LOCK = threading.RLock()  # re-entrant: a model collected inside it closes through _builder()


def _builder() -> _BuilderThread:
    """The process's builder thread, started on first use (again in a forked child, which has none)."""
    global _BUILDER
    with _BUILDER_LOCK:
        if _BUILDER is None or _BUILDER.pid != os.getpid():
            _BUILDER = _BuilderThread()
        return _BUILDER


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
        folder = tempfile.mkdtemp(prefix="bgapp-bgslibrary-")  # this object's own ./config
        try:
            write_bgs_config(folder, self.algorithm, self.fields)
            seed_c_rand(self.rng_seed)
            obj = _builder().build_in(folder, getattr(_module(), self.algorithm))  # quiet: "+Name()"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        done: list[np.ndarray] = []
        try:
            quietly((partial(obj.apply, frame),), done)  # some print their settings here
        except BaseException:
            _UNSAFE.append(obj)  # some crash when destroyed before a frame went through: never destroy it
            raise
        self._box.append(obj)
        return done[0]

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
    """Drop the last reference to a native object: destroyed here, on the builder thread, in a quiet
    window (its ``-Name()`` is dropped)."""
    quietly((box.clear,), [])


def close_all() -> None:
    """Destroy every live model now, on the builder thread, and wait until that is done."""
    if _BUILDER is None or _BUILDER.error or _BUILDER.pid != os.getpid():
        return
    for model in list(_LIVE):
        model.close()
    _BUILDER.call(lambda: None)  # wait for the queue to drain


atexit.register(close_all)  # before the interpreter would destroy them on the main thread
