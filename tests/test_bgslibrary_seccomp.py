"""BGSLibrary's methods where unshare(2) is refused, as under Docker's default seccomp profile.

``scripts/no_unshare.py`` installs a real seccomp filter (unshare -> EPERM, everything else allowed)
and execs the child, tests/seccompkit.py; the same child also runs without it. Under the filter bgapp
builds each object with the process's working directory changed for the constructor (SHARED_CWD);
without it, on a thread with its own (PRIVATE_CWD). Both give the same SuBSENSE masks on the same
frames, each of 16 concurrent builds reads its own config, the working directory the child started
in is never written, and models alive at exit are destroyed cleanly.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bgapp import pybgs_adapter

from .conftest import ROOT
from .seccompkit import LAUNCHER, filter_problem


def run_child(tmp: Path, filtered: bool) -> tuple[dict, dict[str, np.ndarray], Path, Path]:
    """The child's report and masks, its working directory and its TMPDIR (both empty at the start)."""
    cwd, temp, out = tmp / "cwd", tmp / "tmp", tmp / "out"
    for d in (cwd, temp, out):
        d.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "tests.seccompkit", str(out)]
    if filtered:
        cmd = [sys.executable, str(LAUNCHER), *cmd]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"rc {proc.returncode}\n{proc.stderr[-3000:]}"
    assert "destroyed LBAdaptiveSOM" in proc.stdout  # the LB* model alive at exit was destroyed (no crash)
    assert "-LBAdaptiveSOM()" not in proc.stdout  # and BGSLibrary's print of it stayed off stdout
    with np.load(out / "masks.npz") as z:
        masks = {k: z[k] for k in z.files}
    return json.loads((out / "report.json").read_text()), masks, cwd, temp


@pytest.fixture(scope="module")
def children(tmp_path_factory):
    if pybgs_adapter._module() is None:
        pytest.skip("BGSLibrary's Python wrapper (pybgs) is not installed")
    reason = filter_problem()
    if reason:
        pytest.skip(reason)
    return {name: run_child(tmp_path_factory.mktemp(name), filtered)
            for name, filtered in (("plain", False), ("no_unshare", True))}


def test_the_filter_refuses_unshare_and_bgapp_falls_back(children):
    plain, filtered = children["plain"][0], children["no_unshare"][0]
    if plain["unshare_errno"]:
        pytest.skip(f"unshare is refused here even without the filter ({errno.errorcode[plain['unshare_errno']]})")
    assert plain["mode"] == pybgs_adapter.PRIVATE_CWD
    assert filtered["unshare_errno"] == errno.EPERM  # really refused in the child: not a vacuous pass
    assert filtered["mode"] == pybgs_adapter.SHARED_CWD
    assert plain["reason"] is None and filtered["reason"] is None  # available both ways


def test_subsense_gives_the_same_masks_with_and_without_unshare(children):
    """SuBSENSE through bgapp's engine on the synthetic scene, two configs: identical masks frame for
    frame (so C's rand() was seeded and each config read the same way), foreground found, and the two
    configs differ (so the config file was really read, not defaults)."""
    plain, filtered = children["plain"][1], children["no_unshare"][1]
    assert set(plain) == set(filtered) == {"default", "min_color_dist_10"}
    for name in plain:
        assert plain[name].shape == (60, 120, 160)
        assert np.array_equal(plain[name], filtered[name]), name
        assert plain[name][-20:].mean() > 0.5, name  # some foreground (of 255) once the objects come in
    assert not np.array_equal(plain["default"], plain["min_color_dist_10"])


def test_concurrent_builds_read_their_own_config_and_python_threads_never_see_the_change(children):
    for name, (report, _, cwd, _) in children.items():
        conc = report["concurrent"]
        assert conc["configs_differ"] and conc["own_config"], name
        assert report["cwd"] == report["cwd_after"] == str(cwd), name
        # a thread that only looks while holding the GIL never sees the private folder: the window
        # (chdir, construct, fchdir) keeps the GIL
        assert set(conc["cwd_seen_with_gil"]) == {str(cwd)}, (name, conc["cwd_seen_with_gil"])
        seen = set(conc["cwd_seen_without_gil"]) - {str(cwd)}
        if name == "plain":
            assert not seen
        else:  # os.getcwd makes its system call without the GIL: it may catch the window, never more
            assert all(Path(d).name.startswith("bgapp-bgslibrary-") for d in seen), seen
        print(f"{name}: os.getcwd saw the private folder {sum(conc['cwd_seen_without_gil'].get(d, 0) for d in seen)} "
              f"times in {sum(conc['cwd_seen_without_gil'].values())}")


def test_nothing_is_written_to_the_working_directory_and_no_folder_is_left(children):
    for name, (_, _, cwd, temp) in children.items():
        assert list(cwd.iterdir()) == [], name
        assert list(temp.iterdir()) == [], name


def test_a_failed_build_leaves_the_working_directory_where_it_was(children):
    for name, (report, _, cwd, _) in children.items():
        failed = report["failed_builds"]
        assert failed["constructor raises"] == "RuntimeError: constructor failed", name
        assert failed["no such folder"].startswith(("FileNotFoundError", "OSError")), (name, failed)
        assert "No such file" in failed["no such folder"], (name, failed)
        assert failed["constructor raises: cwd after"] == failed["no such folder: cwd after"] == str(cwd), name


def test_the_launcher_refuses_unshare_to_what_it_runs():
    """The launcher on its own: a program it runs (and that program's threads) gets EPERM from unshare,
    while every other call works."""
    reason = filter_problem()
    if reason:
        pytest.skip(reason)
    code = ("import ctypes, os, threading\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "out = []\n"
            "t = threading.Thread(target=lambda: out.append((libc.unshare(0x200), ctypes.get_errno())))\n"
            "t.start(); t.join()\n"
            "print(out[0][0], out[0][1], open('/proc/self/status').read().count('Seccomp:\\t2'), os.getpid() > 0)\n")
    proc = subprocess.run([sys.executable, str(LAUNCHER), sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["-1", str(errno.EPERM), "1", "True"]
