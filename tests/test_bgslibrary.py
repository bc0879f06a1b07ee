"""BGSLibrary's algorithms through pybgs: the adapter's quirks (config files read from the working
directory, prints on stdout, no setters) handled safely, and parity with a bare pybgs loop."""

from __future__ import annotations

import ctypes
import gc
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import cv2
import numpy as np
import pytest

from bgapp import pybgs_adapter
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.methods import METHODS, RNG_SEED, create
from bgapp.methods.bgslibrary import BGSLIBRARY_METHODS, BGSLibraryMethod
from bgapp.pipeline import Pipeline

from .conftest import ROOT, bare_loop_counts, need
from .factories import square_scene


@pytest.fixture
def pybgs():
    reason = pybgs_adapter.unavailable_reason("SuBSENSE")
    if reason:
        pytest.skip(reason)
    return pybgs_adapter._module()


def test_ci_builds_the_wrapper():
    """CI sets BGAPP_REQUIRE_BGSLIBRARY=1 (.ci/run), so these tests cannot skip there unnoticed."""
    if os.environ.get("BGAPP_REQUIRE_BGSLIBRARY") != "1":
        pytest.skip("only where BGAPP_REQUIRE_BGSLIBRARY=1 (CI)")
    assert pybgs_adapter.unavailable_reason("SuBSENSE") is None
    assert all(cls.available() for cls in BGSLIBRARY_METHODS)


def test_every_declared_field_is_one_the_algorithm_writes(pybgs, tmp_path):
    """Each parameter sets a field of the algorithm's own config file, with that file's default."""
    for cls in BGSLIBRARY_METHODS:
        folder = tmp_path / cls.name
        (folder / "config").mkdir(parents=True)
        # one frame, then exit without destroying it (the LB* family crashes when destroyed unused)
        script = (f"import os, numpy, pybgs; pybgs.{cls.algorithm}().apply(numpy.zeros((16, 16, 3), numpy.uint8)); "
                  "os._exit(0)")
        subprocess.run([sys.executable, "-c", script], cwd=folder, check=True, capture_output=True)
        fs = cv2.FileStorage(str(folder / "config" / f"{cls.algorithm}.xml"), cv2.FILE_STORAGE_READ)
        for p in cls.params:
            node = fs.getNode(cls.fields[p.name])
            assert not node.empty(), (cls.name, p.name)
            assert node.real() == pytest.approx(float(p.default), rel=1e-6), (cls.name, p.name)
        for key, value in cls.fixed.items():
            assert fs.getNode(key).real() == value
        fs.release()


def _codebook_mask(alpha: int, bg: np.ndarray, fg: np.ndarray) -> np.ndarray:
    m = create("codebook", {"alpha": alpha, "learning_frames": 3})
    for _ in range(6):
        m.apply(bg)
    return m.apply(fg).mask


def test_concurrent_constructions_each_read_their_own_config(pybgs, tmp_path, monkeypatch):
    """Sixteen sessions building models with different configs at once: each model runs with its
    own values, the process's working directory never changes, nothing lands in it, and the private
    folders the models were built in are gone. (Codebook draws no random numbers, so its masks do
    not depend on how the threads interleave.)"""
    import tempfile

    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    bg, fg = square_scene(30)
    expected = {5: _codebook_mask(5, bg, fg), 60: _codebook_mask(60, bg, fg)}
    assert expected[5].sum() > 0 and expected[60].sum() == 0  # the two configs give different masks

    seen_cwd: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen_cwd.add(os.getcwd())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        alphas = [5, 60] * 8
        with ThreadPoolExecutor(16) as pool:
            masks = list(pool.map(lambda a: _codebook_mask(a, bg, fg), alphas))
    finally:
        stop.set()
        watcher.join()
    for alpha, mask in zip(alphas, masks):
        assert np.array_equal(mask, expected[alpha]), alpha
    assert seen_cwd == {str(work)}
    assert list(work.iterdir()) == []
    gc.collect()
    pybgs_adapter._builder().call(lambda: None)  # every construction and destruction done
    assert list(temp.iterdir()) == []


def test_every_change_rebuilds_and_the_pipeline_keeps_its_frame_count(pybgs):
    bg, fg = square_scene(40)
    p = Pipeline(Config("vibe"))
    for _ in range(5):
        p.process(bg)
    update = p.set_config(Config("vibe", {"matching_threshold": 30}))
    assert update.rebuilt
    assert all(prm.rebuild for cls in BGSLIBRARY_METHODS for prm in cls.params)
    r = p.process(fg)
    assert r.index == 5 and r.raw.shape == fg.shape[:2]


def test_a_frame_too_small_or_a_new_size_never_crashes(pybgs):
    rng = np.random.default_rng(0)
    for cls in BGSLIBRARY_METHODS:
        m = create(cls.name)
        for h, w in ((40, 60), (3, 3), (1, 1), (60, 40), (60, 40)):
            out = m.apply(rng.integers(0, 255, (h, w, 3), np.uint8))
            assert out.mask.shape == (h, w) and set(np.unique(out.mask)) <= {0, 255}
            bg = m.background()
            assert bg is None or bg.shape == (h, w, 3)
        assert any("frame size changed" in n for n in m.notes.items)


def test_unavailable_without_the_wrapper_says_how_to_install(monkeypatch, capsys):
    from bgapp.cli import main

    monkeypatch.setattr(pybgs_adapter, "_module", lambda: None)
    assert not METHODS["subsense"].available()
    assert "scripts/setup.sh" in (METHODS["subsense"].unavailable_reason() or "")
    with pytest.raises(BgappError, match="pybgs"):
        create("subsense")
    assert main(["methods"]) == 0
    assert "SuBSENSE (BGSLibrary)  (unavailable: BGSLibrary's Python wrapper (pybgs) is not installed" \
        in capsys.readouterr().out
    assert main(["eval", "demo", "--method", "pawcs"]) == 2
    assert "pybgs" in capsys.readouterr().err


def _bgapp(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bgapp", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


@pytest.mark.parametrize("method", ["imbs", "fuzzy_choquet"])
def test_eval_json_is_one_object_though_the_algorithm_prints(pybgs, method):
    """IMBS and the fuzzy integral print while they run; stdout stays one JSON object."""
    proc = _bgapp("eval", "demo", "--method", method, "--json")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert json.loads(out)["overall"]["f_measure"] > 0


def test_highway_subsense_no_post_equals_bare_pybgs_loop(pybgs, shared_data, tmp_path, monkeypatch):
    """subsense --no-post gives exactly the confusion counts of a bare pybgs loop with the same config
    (SuBSENSE's own defaults, C's rand() seeded as bgapp seeds it). The CLI runs meanwhile."""
    path = need(shared_data / "cdnet" / "baseline" / "highway")
    proc = _bgapp("eval", str(path), "--method", "subsense", "--no-post", "--json")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()  # SuBSENSE writes its defaults there
    ctypes.CDLL(None).srand(RNG_SEED)
    total = bare_loop_counts(path, pybgs.SuBSENSE().apply)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    got = json.loads(out)["sequences"][0]
    assert (got["tp"], got["fp"], got["fn"], got["tn"]) == (total.tp, total.fp, total.fn, total.tn)
    assert got["frames"] == 1700
    assert total.f_measure > 0.85  # SuBSENSE on highway: a real result, not an empty mask


def test_exported_script_says_it_needs_pybgs():
    from bgapp.export import python_script

    text = python_script(Config("subsense"))
    assert "pip install pybgs" in text and "'algorithm': 'SuBSENSE'" in text
    assert "also needs" not in python_script(Config("mog2"))


def test_every_bgslibrary_method_is_registered():
    assert {cls.name for cls in BGSLIBRARY_METHODS} <= set(METHODS)
    assert all(issubclass(METHODS[cls.name], BGSLibraryMethod) for cls in BGSLIBRARY_METHODS)


def test_a_background_view_is_a_picture_or_declared_absent(pybgs):
    """The lab's "background model" tile shows a real image or says there is none: the four algorithms
    whose getBackgroundModel() is all black declare ``has_background = False`` and give None."""
    from bgapp.synthetic import SyntheticScene

    scene = SyntheticScene(96, 72, n_frames=20, warmup=5)
    for cls in BGSLIBRARY_METHODS:
        m = create(cls.name, {})
        for i in range(20):
            m.apply(scene.frame(i))
        bg = m.background()
        if cls.has_background:
            assert bg is not None and bg.shape[:2] == (72, 96) and bg.max() > 0, f"{cls.name}: a black background"
        else:
            assert bg is None, cls.name
            assert not m.model.model.background().any(), f"{cls.name} now has a background image: declare it"


_QUIET_CHILD = """
import ctypes, gc, os, sys, threading, time
import numpy as np
from bgapp import pybgs_adapter
from bgapp.methods import create

stop = threading.Event()


def c_writer(kind, libc):  # another thread writing through C's stdout stream, which BGSLibrary prints to
    libc.fputs.argtypes, libc.fflush.argtypes = [ctypes.c_char_p, ctypes.c_void_p], [ctypes.c_void_p]
    stdout = ctypes.c_void_p.in_dll(libc, "stdout")
    i = 0
    while not stop.is_set():
        libc.fputs(b"%s %d\\n" % (kind, i), stdout)
        libc.fflush(stdout)
        i += 1
        time.sleep(0.0002)
    libc.fputs(b"%ss %d\\n" % (kind, i), stdout)
    libc.fflush(stdout)


def fd_writer():  # another thread writing to file descriptor 1, as Python's print does
    i = 0
    while not stop.is_set():
        os.write(1, b"other %d\\n" % i)
        i += 1
        time.sleep(0.0002)
    os.write(1, b"others %d\\n" % i)


writers = [threading.Thread(target=fd_writer),
           # without the GIL, as another library's printf would be
           threading.Thread(target=c_writer, args=(b"stdio", ctypes.CDLL(None))),
           # with the GIL held, as pybgs itself prints on a session's thread (IMBS's warnings)
           threading.Thread(target=c_writer, args=(b"held", ctypes.PyDLL(None)))]
for w in writers:
    w.start()
rng = np.random.default_rng(0)
for name in sys.argv[1:]:
    m = create(name)
    for _ in range(3):
        m.apply(rng.integers(0, 255, (48, 64, 3), np.uint8))
    del m
    gc.collect()
pybgs_adapter._builder().call(lambda: None)  # every destruction done
stop.set()
for w in writers:
    w.join()
"""


def test_construction_first_frame_and_destruction_print_nothing_on_stdout(pybgs):
    """``+SuBSENSE()``, ``-SuBSENSE()`` and the fuzzy integral's settings never reach a real process's
    stdout (``bgapp bench-table`` printed them between its progress lines), while every line three other
    threads wrote meanwhile arrives once and whole: one writing to file descriptor 1, one through C's
    stdout stream without the GIL and one through it with the GIL held (a descriptor-level capture lost
    a line under way when descriptor 1 was pointed back; a window that took the stream's lock only to
    swap its descriptor let a line be torn across it under load). The last one also shows that the
    window never waits on the GIL while it holds the stream (that would hang: the timeout)."""
    names = [cls.name for cls in BGSLIBRARY_METHODS]
    proc = subprocess.run([sys.executable, "-c", _QUIET_CHILD, *names], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    lines = proc.stdout.decode().splitlines()
    for kind in ("other", "stdio", "held"):
        got = [line for line in lines if line.startswith(f"{kind} ")]
        total = int(next(line for line in lines if line.startswith(f"{kind}s ")).split()[1])
        assert total > 0 and sorted(got) == sorted(f"{kind} {i}" for i in range(total)), f"a {kind} line was lost"
    native = [line for line in lines if not line.startswith(("other", "stdio", "held"))]
    assert native == [], native
    for cls in BGSLIBRARY_METHODS:  # what the check stands for: these are what BGSLibrary prints
        assert pybgs_adapter.NATIVE_LINE.fullmatch(f"+{cls.algorithm}()".encode())


def _c_print(text: bytes) -> None:
    """``text`` through C's stdout stream, flushed: as BGSLibrary's ``std::cout`` writes it."""
    libc = ctypes.CDLL(None)
    stream = ctypes.c_void_p.in_dll(libc, "stdout")
    libc.fputs.argtypes, libc.fflush.argtypes = [ctypes.c_char_p, ctypes.c_void_p], [ctypes.c_void_p]
    libc.fputs(text, stream)
    libc.fflush(stream)


def test_a_quiet_window_drops_bgslibrary_lines_and_passes_the_rest_on(capfd):
    """Inside the window C's stream is caught and filtered; descriptor 1 itself is left alone, so a
    write to it goes straight out (first), and the stream writes to descriptor 1 again after. Each
    call's result is kept in order."""
    done: list[object] = []
    pybgs_adapter.quietly((partial(_c_print, b"+SuBSENSE()\nsomeone else\nFuzzyChoquetIntegral parameters:\n"
                                             b"Color space: RGB\n"),
                           partial(os.write, 1, b"python\n"),
                           partial(_c_print, b"-SuBSENSE()\nno newline")), done)
    _c_print(b"\nafter\n")
    assert capfd.readouterr().out == "python\nsomeone else\nno newline\nafter\n"
    assert done == [None, 7, None]


def _print_inside_a_bgslibrary_line(keeps_gil: bool) -> None:
    """A quiet window printing ``+SuBSENSE()`` in two pieces, as ``std::cout`` does, with another
    thread printing ``other`` through C's stream between them (given a second to do so)."""
    ready = threading.Event()

    def other() -> None:
        ready.set()
        _c_print(b"other\n")  # through ctypes.CDLL: waits on a locked stream without the GIL

    thread = threading.Thread(target=other)

    def in_between() -> None:  # a test may let the GIL go here: the thread waiting on the lock does not hold it
        thread.start()
        ready.wait()
        thread.join(timeout=1.0)  # it has printed by now, unless the stream is locked

    pybgs_adapter.quietly((partial(_c_print, b"+"), in_between, partial(_c_print, b"SuBSENSE()\n")), [],
                          keeps_gil=keeps_gil)
    thread.join()


def test_another_threads_printf_waits_for_a_window_that_keeps_the_gil(capfd):
    """Construction: the builder holds the stream, so a line printed meanwhile arrives whole after it
    and BGSLibrary's is still recognised and dropped (without the lock: ``+other`` and ``SuBSENSE()``)."""
    _print_inside_a_bgslibrary_line(keeps_gil=True)
    assert capfd.readouterr().out == "other\n"


def test_a_line_printed_inside_a_bgslibrary_line_is_taken_back_out(capfd):
    """A frame or a destruction: the stream is not held (pybgs lets the GIL go), so ``other`` lands inside
    ``+SuBSENSE()`` and is taken back out of it whole (:func:`pybgs_adapter._untangle`)."""
    _print_inside_a_bgslibrary_line(keeps_gil=False)
    assert capfd.readouterr().out == "other\n"


def test_untangling_keeps_every_line_of_another_thread():
    """A line landing just before BGSLibrary's newline, several lines between the two halves, and lines
    that only look torn: nothing of theirs is lost."""
    untangle = pybgs_adapter._untangle
    assert untangle([b"-PAWCS()other\n", b"\n"]) == [b"other\n"]
    assert untangle([b"Color space: a 1\n", b"b 2\n", b"RGB\n", b"c\n"]) == [b"a 1\n", b"b 2\n", b"c\n"]
    assert untangle([b"plain\n", b"+\n", b"x\n"]) == [b"plain\n", b"+\n", b"x\n"]
    assert untangle([b"+a\n", *[b"n\n"] * 8, b"Foo()\n"]) == [b"+a\n", *[b"n\n"] * 8, b"Foo()\n"]  # out of reach


def test_passed_on_lines_go_out_whole_in_pipe_sized_writes():
    """A pipe may split a write larger than PIPE_BUF around another writer's; each write is whole lines."""
    lines = [b"line %d\n" % i for i in range(2000)]
    pieces = list(pybgs_adapter.line_chunks(lines, 4096))
    assert b"".join(pieces) == b"".join(lines) and len(pieces) > 1
    assert all(len(p) <= 4096 and p.endswith(b"\n") for p in pieces)
    assert list(pybgs_adapter.line_chunks([b"x" * 5000, b"y\n"], 4096)) == [b"x" * 5000, b"y\n"]


def test_a_call_that_raises_leaves_the_stream_unlocked_and_writing_to_its_descriptor(capfd):
    """What was printed before the failure is filtered and passed on, the error reaches the caller, and
    the stream is free: another thread can print through it at once."""
    done: list[object] = []

    def boom() -> None:
        raise RuntimeError("constructor failed")

    with pytest.raises(RuntimeError, match="constructor failed"):
        pybgs_adapter.quietly((partial(_c_print, b"+SuBSENSE()\nkept\n"), boom, partial(_c_print, b"never\n")), done,
                              keeps_gil=True)
    assert done == [None]
    thread = threading.Thread(target=_c_print, args=(b"free\n",))
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the stream was left locked"
    assert capfd.readouterr().out == "kept\nfree\n"


def test_the_quiet_window_reaches_c_stdout_here():
    """The adapter's one private detail, glibc's ``FILE._fileno``, is found (else nothing is caught)."""
    stream = pybgs_adapter._c_stdout()
    assert stream is not None and stream.fileno() == 1
