"""Evaluate & tune in a real Chromium: Run evaluation shows the CDnet metrics, a two-trial study
shows its best value, and "Apply best" carries the settings into the Video lab's sidebar.

The study starts from KNN with Dist2 threshold moved off its default, so the lab (MOG2 out of the
box) can only show those settings if Apply best reached it. Screenshots: ``evaluate_results``,
``evaluate_study``, ``evaluate_applied_lab`` in ``artifacts/browser/``.
"""

from __future__ import annotations

import json
import re

import pytest

from bgapp.methods import METHODS
from tests.browser import browserkit as bk

METHOD, METHOD_TITLE = "knn", METHODS["knn"].title
METRICS = ["F-measure", "Precision", "Recall", "Specificity", "PWC (%)"]


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar select box labelled ``label``."""
    _sidebar(page).get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    bk.wait_idle(page)


def _metrics(page) -> dict[str, str]:
    found = {}
    boxes = page.locator('[data-testid="stMetric"]')
    for i in range(boxes.count()):
        label = boxes.nth(i).locator('[data-testid="stMetricLabel"]').inner_text().strip()
        found[label] = boxes.nth(i).locator('[data-testid="stMetricValue"]').inner_text().strip()
    return found


def _method_sliders(page) -> dict[str, float]:
    """{title: value} of the sliders under the sidebar's "Method parameters"."""
    box = _sidebar(page).locator('[data-testid="stExpander"]').filter(has_text="Method parameters").first
    pairs = box.get_by_role("slider").evaluate_all("els => els.map(e => [e.getAttribute('aria-label'), e.value])")
    return {label: float(value) for label, value in pairs}


@pytest.mark.browser
def test_evaluate_study_and_apply_best_reach_the_video_lab(page, app_server) -> None:
    bk.open_page(page, app_server.url, "evaluate")
    assert not bk.page_problems(page), bk.page_problems(page)
    assert not _metrics(page), "metrics shown before any evaluation ran"

    # Evaluate: the demo sequence is chosen by default
    page.get_by_role("button", name="Run evaluation").click()
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=180_000)
    bk.wait_idle(page, timeout=180)
    shown = _metrics(page)
    assert list(shown) == METRICS, shown
    assert 0.0 < float(shown["F-measure"]) <= 1.0, shown
    assert not bk.page_problems(page), bk.page_problems(page)
    bk.screenshot(page, "evaluate_results")

    # Tune: KNN, off its default threshold, two trials
    _choose(page, "Method", METHOD_TITLE)
    threshold = _sidebar(page).get_by_role("slider", name="Dist2 threshold")
    threshold.focus()
    for _ in range(5):
        threshold.press("ArrowRight")
    page.wait_for_timeout(300)
    bk.wait_idle(page)
    start = float(threshold.input_value())
    default = next(p.default for p in METHODS[METHOD].params if p.name == "dist2_threshold")
    assert start > default, f"Dist2 threshold did not move off its default {default}: {start}"
    page.get_by_role("tab", name="Tune").click()
    trials = page.get_by_role("spinbutton", name="Trials")
    trials.fill("2")
    trials.press("Enter")
    bk.wait_idle(page)
    assert trials.input_value() == "2"
    page.get_by_role("button", name="Run study").click()
    page.get_by_text(re.compile(r"^F-measure: [\d.]+ tuning · [\d.]+ check$")).wait_for(timeout=300_000)
    bk.wait_idle(page, timeout=300)
    picked = "picked best on the worse of the tuning and check scores"  # the default check set and pick rule
    assert page.get_by_text(re.compile(rf"^Trial \d+ of 2, {picked} · {METHOD} · 1 sequence")).count() == 1
    assert not bk.page_problems(page), bk.page_problems(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download best config (JSON)").click()
    best = json.loads(open(dl.value.path()).read())
    assert best["method"] == METHOD, best
    bk.screenshot(page, "evaluate_study")

    page.get_by_role("button", name="Apply best").click()
    page.get_by_text(re.compile(r"^Applied: the Video lab")).wait_for()
    bk.wait_idle(page)

    # the Video lab (through the navigation: the same session) starts from the best settings
    page.locator('[data-testid="stSidebarNav"] a, a[data-testid="stSidebarNavLink"]').filter(
        has_text="Video lab").first.click()
    page.wait_for_url(re.compile(r"/video_lab$"))
    bk.wait_idle(page, timeout=120)
    assert not bk.page_problems(page), bk.page_problems(page)
    assert _sidebar(page).get_by_role("combobox", name="Method", exact=True).input_value() == METHOD_TITLE
    sliders = _method_sliders(page)
    expected = {p.title: float(best["params"][p.name]) for p in METHODS[METHOD].params
                if p.kind in ("int", "float") and p.name in best["params"] and p.title in sliders}
    assert "Dist2 threshold" in expected, sliders
    assert {t: sliders[t] for t in expected} == pytest.approx(expected), (sliders, best["params"])
    bk.screenshot(page, "evaluate_applied_lab")
