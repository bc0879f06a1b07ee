"""The child process of tests/test_bgslibrary_seccomp.py: BGSLibrary through bgapp's engine, run with or
without scripts/no_unshare.py (a seccomp filter that refuses unshare(2) with EPERM, as Docker's
default profile does). Run as ``python -m tests.seccompkit OUT_DIR`` (with the repository on
PYTHONPATH, in the working directory whose untouchedness the test checks); writes OUT_DIR/masks.npz
and OUT_DIR/report.json, then exits leaving models alive for :func:`close_all` at exit.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from bgapp import pybgs_adapter
from bgapp.methods import create
from bgapp.synthetic import SyntheticScene
from tests.factories import square_scene

LAUNCHER = Path(__file__).resolve().parents[1] / "scripts" / "no_unshare.py"
CONFIGS = {"default": {}, "min_color_dist_10": {"min_color_dist": 10}}  # SuBSENSE draws from rand()


def filter_problem() -> str | None:
    """Why the launcher cannot run a program under its seccomp filter here (None when it can)."""
    if not sys.platform.startswith("linux"):
        return "seccomp filters are Linux's"
    import subprocess

    proc = subprocess.run([sys.executable, str(LAUNCHER), sys.executable, "-c", "pass"],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return f"scripts/no_unshare.py cannot install its seccomp filter here: {proc.stderr.strip()[-300:]}"
    return None


def unshare_errno() -> int:
    """0 when unshare(CLONE_FS) works here (then this thread has its own working directory, which this
    throwaway thread does not mind), else the errno."""
    out = []

    def probe() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        out.append(0 if libc.unshare(pybgs_adapter.CLONE_FS) == 0 else ctypes.get_errno())

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return out[0]


def small_scene() -> SyntheticScene:
    return SyntheticScene(160, 120, n_frames=60, warmup=10)


def subsense_masks(values: dict) -> np.ndarray:
    scene = small_scene()
    model = create("subsense", values)
    return np.stack([model.apply(scene.frame(i)).mask for i in range(scene.n_frames)])


def codebook_mask(alpha: int) -> np.ndarray:
    """Codebook draws no random numbers: its mask depends only on its config."""
    bg, fg = square_scene(30)
    m = create("codebook", {"alpha": alpha, "learning_frames": 3})
    for _ in range(6):
        m.apply(bg)
    return m.apply(fg).mask


def concurrent_builds() -> dict:
    """Sixteen threads build Codebook models with two configs at once while two threads watch the
    working directory: one only while holding the GIL (getcwd through ctypes.PyDLL), asking for the
    GIL again after each look, and one with os.getcwd, which makes the system call without it."""
    expected = {5: codebook_mask(5), 60: codebook_mask(60)}
    libc = ctypes.PyDLL(None)
    libc.getcwd.restype = ctypes.c_char_p
    buf = ctypes.create_string_buffer(4096)
    with_gil: dict[str, int] = {}
    without_gil: dict[str, int] = {}
    stop = threading.Event()

    def watch_with_gil() -> None:
        while not stop.is_set():
            time.sleep(0)  # hands the GIL over and waits for it: first in line whenever it is free
            d = libc.getcwd(buf, 4096).decode()
            with_gil[d] = with_gil.get(d, 0) + 1

    def watch_without_gil() -> None:
        while not stop.is_set():
            d = os.getcwd()
            without_gil[d] = without_gil.get(d, 0) + 1

    watchers = [threading.Thread(target=watch_with_gil), threading.Thread(target=watch_without_gil)]
    for w in watchers:
        w.start()
    try:
        alphas = [5, 60] * 8
        with ThreadPoolExecutor(16) as pool:
            masks = list(pool.map(codebook_mask, alphas))
    finally:
        stop.set()
        for w in watchers:
            w.join()
    return {"own_config": all(np.array_equal(m, expected[a]) for a, m in zip(alphas, masks)),
            "configs_differ": bool(expected[5].sum() > 0 and expected[60].sum() == 0),
            "cwd_seen_with_gil": with_gil, "cwd_seen_without_gil": without_gil}


def failed_builds() -> dict:
    """build_in's failures leave the working directory where it was."""
    builder = pybgs_adapter._builder()
    out: dict[str, str] = {}

    def boom() -> None:
        raise RuntimeError("constructor failed")

    cases: list[tuple[str, str, Callable[[], object]]] = [
        ("constructor raises", os.environ["TMPDIR"], boom), ("no such folder", "/nonexistent/bgapp", dict)]
    for name, folder, factory in cases:
        try:
            builder.call(partial(builder.build_in, folder, factory))
            out[name] = "no error"
        except (RuntimeError, OSError) as exc:
            out[name] = f"{type(exc).__name__}: {exc}"
        out[name + ": cwd after"] = os.getcwd()
    return out


def witness_destruction() -> None:
    """Write ``destroyed NAME`` on stdout whenever a model's native object is gone after the adapter
    retired it on the builder thread (no reference left: its C++ destructor ran). BGSLibrary's own
    ``-Name()`` no longer reaches stdout, so this is the parent's proof of a destruction at exit."""
    retire = pybgs_adapter._retire

    def witnessed(box: list) -> None:
        ref, name = weakref.ref(box[-1]), type(box[-1]).__name__
        retire(box)
        if ref() is None:
            os.write(1, f"destroyed {name}\n".encode())

    pybgs_adapter._retire = witnessed


def main(out_dir: str) -> None:
    out = Path(out_dir)
    witness_destruction()
    report: dict = {"unshare_errno": unshare_errno(), "mode": pybgs_adapter.working_directory_mode(),
                    "reason": pybgs_adapter.unavailable_reason("SuBSENSE"), "cwd": os.getcwd()}
    t = time.perf_counter()
    masks = {name: subsense_masks(values) for name, values in CONFIGS.items()}
    report["subsense_s"] = time.perf_counter() - t
    np.savez_compressed(out / "masks.npz", **masks)  # type: ignore[arg-type]
    report["concurrent"] = concurrent_builds()
    report["failed_builds"] = failed_builds()
    report["cwd_after"] = os.getcwd()
    # left alive for close_all at exit: an LB* model that has seen frames (destroyed on the builder
    # thread, or the process would crash) and one that never saw one (nothing built)
    sobs = create("sobs")
    scene = small_scene()
    for i in range(3):
        sobs.apply(scene.frame(i))
    globals()["_alive"] = (sobs, create("sobs"))
    (out / "report.json").write_text(json.dumps(report))
    print(f"seccompkit: unshare {errno.errorcode.get(report['unshare_errno'], 'ok')}, mode {report['mode']}",
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
