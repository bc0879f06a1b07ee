"""The real app, served where unshare(2) is refused (as under Docker's default seccomp profile), in a
real Chromium: SuBSENSE is offered, runs in the Video lab and shows its views; nothing says unavailable.

The server runs under ``scripts/no_unshare.py`` (a seccomp filter: unshare -> EPERM), started here
rather than by the shared ``app_server`` fixture, which runs it without the filter.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgapp.methods import METHODS
from tests.browser import browserkit as bk
from tests.seccompkit import LAUNCHER, filter_problem


@pytest.fixture(scope="module")
def filtered_server() -> Iterator[bk.Server]:
    """``scripts/no_unshare.py python -m streamlit run app.py ...`` on a free port, as bk.streamlit_server."""
    reason = filter_problem()
    if reason:
        pytest.skip(reason)
    with bk.streamlit_server(log=bk.ARTIFACTS / "server-no-unshare.log",
                             prefix=[sys.executable, str(LAUNCHER)]) as server:
        yield server


@pytest.mark.browser
def test_subsense_runs_in_the_lab_where_unshare_is_refused(page, filtered_server) -> None:
    cls = METHODS["subsense"]
    if not cls.available():  # in this (unfiltered) test process: pybgs missing
        pytest.skip(cls.unavailable_reason())
    status = Path(f"/proc/{filtered_server.proc.pid}/status").read_text()
    assert "Seccomp:\t2" in status, "the server does not run under the seccomp filter"

    frame, _, img = bk.pick_method(page, filtered_server, cls.title, "Min color dist")
    assert img[:8] == b"\x89PNG\r\n\x1a\n" or img[:3] == b"\xff\xd8\xff", img[:16]  # a picture
    text = page.locator('[data-testid="stApp"]').inner_text()
    assert "unavailable" not in text and "unshare" not in text, text[:2000]
    assert not bk.page_problems(page), bk.page_problems(page)
    _, frames, foreground = bk.lab_status(page)
    assert frames > 0 and frame >= 1
    if frame > 45:  # the demo's objects are in (its warm-up is 40 frames): SuBSENSE finds them
        assert foreground > 0
    bk.screenshot(page, "no-unshare-subsense")
