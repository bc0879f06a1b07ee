"""Helpers for the webcam browser tests (tests/browser/test_browser_webcam.py, test_sessions.py): a
helper module, not a test module. They use pytest, which browserkit (runnable as a script) does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.browser import browserkit as bk

ISOLATED_TIMEOUT = 300


def run_isolated(nodeid: str, tmp_path: Path) -> None:
    """Run ``nodeid`` in a fresh pytest inside a loopback-only namespace; mirror its outcome."""
    problem = bk.unshare_problem()
    if problem:
        pytest.skip(f"the webcam browser test needs a loopback-only network namespace: {problem}")
    xml = tmp_path / "inner.xml"
    cmd = bk.netns_command([sys.executable, "-m", "pytest", nodeid, "-q", "-p", "no:cacheprovider",
                            "-o", "addopts=", "-rs", "-s", f"--junitxml={xml}", f"--basetemp={tmp_path / 'inner'}"])
    env = {**os.environ, bk.NETNS_ENV: "1"}
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=bk.ROOT, env=env, capture_output=True, text=True, timeout=ISOLATED_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the isolated webcam test did not finish in {ISOLATED_TIMEOUT} s:\n{exc.stdout or ''}")
    output = (r.stdout + r.stderr)[-6000:]
    print(f"isolated run ({time.monotonic() - t0:.1f} s, exit {r.returncode}):\n{output}")
    if not xml.exists():
        pytest.fail(f"the isolated pytest wrote no report (exit {r.returncode}):\n{output}")
    cases = ET.parse(xml).getroot().findall(".//testcase")
    if not cases:
        pytest.fail(f"the isolated pytest ran no test (exit {r.returncode}):\n{output}")
    for case in cases:
        for tag in ("failure", "error"):
            bad = case.find(tag)
            if bad is not None:
                pytest.fail(f"inside the loopback-only namespace: {bad.get('message', '')}\n{output}")
        skipped = case.find("skipped")
        if skipped is not None:
            pytest.skip(f"inside the loopback-only namespace: {skipped.get('message', '')}")
    assert r.returncode == 0, output


def frames_processed(page) -> int:
    """The Live webcam page's "frames processed: N" (0 before it shows)."""
    loc = page.get_by_text(re.compile(r"processed: \d+")).first
    m = re.search(r"processed: (\d+)", loc.inner_text())
    return int(m.group(1)) if m else 0
