"""The class challenge in Chromium, as a class meets it: two Streamlit server processes share one real
PostgreSQL (the several-processes case), a teacher creates a challenge on one, two students submit at
the same moment, one on each; both leaderboards show both rows, scored by the server, a hostile name
stays text, a taken name is refused, and a row opens in the Video lab with its settings."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from bgapp.challenge import Board, run_scoring
from bgapp.config import Config
from bgapp.sources import open_source
from tests.browser import browserkit as bk
from tests.pgkit import PostgresServer, missing_reason
from ui.challenge import REFRESH_S

PASSCODE = "a-long-teacher-passcode-for-the-test"
FRAMES = 80  # frames each submission scores: the demo's first 40 are its warm-up, so 40 are scored
HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bk.Server, bk.Server, str]]:
    why = missing_reason()
    if why:
        pytest.skip(why)
    pg = PostgresServer().start()
    try:
        url = pg.new_database()
        env = {"BGAPP_DATABASE_URL": url, "BGAPP_TEACHER_PASSCODE": PASSCODE}
        logs = tmp_path_factory.mktemp("logs")
        with bk.streamlit_server(env=env, log=logs / "a.log") as a, \
                bk.streamlit_server(env=env, log=logs / "b.log") as b:
            yield a, b, url
    finally:
        pg.stop()


def _open(browser, server: bk.Server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    bk.open_page(page, server.url, "challenge")
    bk.wait_idle(page)
    return context, page


def _type(page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")
    bk.wait_idle(page)


def _row_names(page, tries: int = 5) -> list[str]:
    """The leaderboard's names, as the page lists them to open a row (the table itself is a canvas).
    The table's fragment reloads every REFRESH_S, and a reload that brings a new row can redraw the list
    closed just after it was opened (the likely cause, not confirmed, of a CI run that waited 60 s for
    options): then it is opened again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # imported here: absent, the suite skips

    box = page.get_by_role("combobox", name="Open a row's settings in the Video lab", exact=True)
    for attempt in range(tries):
        bk.wait_idle(page)
        box.scroll_into_view_if_needed()
        box.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=3 * REFRESH_S * 1000)
            break
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return sorted(re.sub(r"^\d+\. ", "", o) for o in options)


def _wait_rows(page, names: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    got = _row_names(page)
    while got != names and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        got = _row_names(page)
    assert got == names


@pytest.mark.browser
def test_a_class_submits_at_once_through_two_server_processes(browser, servers) -> None:
    a, b, url = servers
    teacher, tpage = _open(browser, a)
    ann, apage = _open(browser, a)
    bob, bpage = _open(browser, b)
    try:
        tpage.get_by_text("Teacher", exact=True).click()
        _type(tpage, "Teacher passcode", PASSCODE)
        _type(tpage, "Title", "Week 1: the demo room")
        _type(tpage, "Frames to score (0: the whole clip)", str(FRAMES))
        tpage.get_by_role("button", name="Create challenge").click()
        bk.wait_idle(tpage)
        assert not bk.page_problems(tpage), bk.page_problems(tpage)

        for page in (apage, bpage):  # the students' pages, open before, show the challenge by themselves
            page.get_by_label("Your name on the leaderboard", exact=True).wait_for()  # shown once one exists
            bk.wait_idle(page)
            picked = page.get_by_role("combobox", name="Challenge", exact=True).input_value()
            assert picked.startswith("Week 1: the demo room")
        _type(apage, "Your name on the leaderboard", "Ann")
        _type(bpage, "Your name on the leaderboard", HOSTILE)
        apage.get_by_role("button", name="Submit").click()  # both at once, on two processes
        bpage.get_by_role("button", name="Submit").click()
        for page in (apage, bpage):
            page.get_by_text(re.compile(r"Added .*'s row: F = 0\.\d+")).wait_for(timeout=120_000)

        board = Board.open(url)
        rows = board.leaderboard(board.challenges()[0].id)
        assert sorted(e.name for e in rows) == sorted(["Ann", HOSTILE])  # none lost, none doubled
        want = run_scoring(open_source("demo"), Config(), FRAMES)  # the engine's own figure for those settings
        assert [e.f_measure for e in rows] == [want.counts.f_measure] * 2 and rows[0].scored == FRAMES - 40
        for page in (apage, bpage):  # each process's leaderboard shows both rows, the name as text
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
            _wait_rows(page, sorted(["Ann", HOSTILE]))  # the other process's row shows within a refresh
            assert page.evaluate("() => window.__pwned") is None
        assert not bk.page_problems(apage) and not bk.page_problems(bpage)
        bk.screenshot(bpage, "challenge-leaderboard")

        # the same name from another session is refused, and nothing changes
        _type(bpage, "Your name on the leaderboard", "ann")
        bpage.get_by_role("button", name="Submit").click()
        bpage.get_by_text(re.compile("the name .*ann.* is taken in this challenge")).wait_for(timeout=60_000)
        assert len(Board.open(url).leaderboard(rows[0].challenge)) == 2

        # a row's settings open in the lab, on the challenge's clip
        apage.get_by_role("button", name="Open in the Video lab").click()
        apage.get_by_text(bk.LAB_STATUS).first.wait_for(timeout=90_000)
        bk.wait_idle(apage, timeout=120)
        assert "source=demo" in apage.url and "video_lab" in apage.url
    except BaseException:
        for name, page in (("teacher", tpage), ("ann", apage), ("bob", bpage)):
            bk.screenshot(page, f"FAILED-challenge-{name}")
        raise
    finally:
        for context in (teacher, ann, bob):
            context.close()
