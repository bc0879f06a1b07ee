"""The benchmark table: the same figures as `bgapp eval` for every method, the same on a real Dask
cluster as here, the published figures beside the categories present, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from bgapp.benchtable import (
    CLUSTER_START_S,
    COST_MS,
    FILE_READ_MS,
    FIXED_SHARE,
    LITERATURE,
    BenchTable,
    Entry,
    Shape,
    entries,
    estimate,
    measure_cost,
    run_bench,
)
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.evaluate import evaluate, report
from bgapp.methods import METHODS
from bgapp.sequences import Sequence

from .conftest import ROOT
from .factories import cdnet_sequence

METHODS_RUN = ["mog2", "absdiff"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A CDnet-shaped tree: two baseline sequences and one shadow sequence."""
    root = tmp_path_factory.mktemp("bench") / "data"
    cdnet_sequence(root / "baseline" / "one", n=30, width=96, height=72, seed=1)
    cdnet_sequence(root / "baseline" / "two", n=30, width=96, height=72, seed=2)
    cdnet_sequence(root / "shadow" / "three", n=30, width=96, height=72, seed=3)
    return root


@pytest.fixture(scope="module")
def table(dataset) -> BenchTable:
    rows, _ = entries(METHODS_RUN)
    return run_bench([str(dataset)], rows)


def test_figures_are_those_of_eval_for_every_method(table, dataset):
    assert sorted(e.config.method for e in table.entries) == sorted(METHODS_RUN)
    for entry, rep in zip(table.entries, table.reports()):
        results = [evaluate(Sequence(p), entry.config) for p in sorted((dataset / c / s)
                   for c, s in (("baseline", "one"), ("baseline", "two"), ("shadow", "three")))]
        expected = report(results)
        assert rep["overall"] == expected["overall"]
        assert rep["categories"] == expected["categories"]
    assert table.categories == ["baseline", "shadow"]


def test_a_real_dask_cluster_gives_the_same_table(table, dataset):
    rows, _ = entries(METHODS_RUN)
    on_dask = run_bench([str(dataset)], rows, workers=2)
    assert on_dask.to_csv() == table.to_csv()


def test_published_figures_sit_beside_the_categories_present(table):
    published = table.published()
    assert published and all(p.source for p in published)
    assert table.published_note() == ""  # every category present is a CDnet one
    header, rows = table.category_table()
    assert header == ["method", "baseline", "shadow", "overall"]
    labels = [r[0] for r in rows]
    assert sorted(labels[:2]) == sorted(METHODS[m].title for m in METHODS_RUN)  # titles, not names
    for p in published:
        row = rows[labels.index(f"{p.method} (published)")]
        assert row[1] == (f"{p.f_measure['baseline']:.3f}" if "baseline" in p.f_measure else "")
    md = table.to_markdown()
    assert "| method | baseline | shadow | overall |" in md
    assert all(p.source in md for p in published) and "No published figures" not in md


def test_rows_are_sorted_by_overall_f_and_named_by_title():
    """Given worst first, the table puts the best first, in every view; names stay in CSV and JSON."""
    rows, _ = entries(["frame_diff", "mog2", "absdiff"])
    assert [e.label for e in rows] == ["Frame differencing", "MOG2 (Gaussian mixture)", "Absolute difference"]
    bench = run_bench(["demo"], rows)
    overall = [rep["overall"]["f_measure"] for rep in bench.reports()]
    assert overall == sorted(overall, reverse=True) and overall[0] > overall[-1]
    order = [e.label for e in bench.entries]
    assert order[-1] == "Frame differencing"  # the demo's worst of the three
    assert [r[0] for r in bench.category_table()[1]] == order
    assert [r[0] for r in bench.sequence_table()[1]] == [*order, "(frames scored)"]
    assert [m["label"] for m in bench.to_dict()["methods"]] == order
    measured = [r for r in csv.DictReader(io.StringIO(bench.to_csv())) if r["category"] == "overall"]
    assert [r["method"] for r in measured] == order
    assert {r["config"] for r in measured} == {"frame_diff", "mog2", "absdiff"}  # the internal name, for tools
    md = bench.to_markdown()
    assert all(f"| {name} |" not in md for name in ("frame_diff", "mog2", "absdiff"))


def test_why_published_figures_are_absent():
    """The demo is not a CDnet category: no published row, and a sentence that says why, on the
    page's table, in the Markdown and the JSON."""
    bench = run_bench(["demo"], entries(["absdiff"])[0])
    assert bench.categories == ["synthetic"] and bench.published() == []
    note = bench.published_note()
    assert note.startswith("No published figures: the category 'synthetic' is not a CDnet 2014 category (the demo "
                           "is a synthetic scene), so the published per-category figures do not apply to it.")
    assert note in bench.to_markdown() and bench.to_dict()["published_note"] == note
    assert [r[0] for r in bench.category_table()[1]] == ["Absolute difference"]


def test_published_figures_for_the_cdnet_categories_of_mixed_data(tmp_path):
    cdnet_sequence(tmp_path / "baseline" / "one", n=12, width=64, height=48, seed=1)
    cdnet_sequence(tmp_path / "garden" / "two", n=12, width=64, height=48, seed=2)
    bench = run_bench([str(tmp_path)], entries(["absdiff"])[0])
    assert bench.categories == ["baseline", "garden"]
    assert {p.method for p in bench.published()} == {p.method for p in LITERATURE if "baseline" in p.f_measure}
    assert bench.published_note().startswith("Published figures only for baseline: the category 'garden' is not a "
                                             "CDnet 2014 category, so")
    means = [float(r[1]) for r in bench.category_table()[1] if r[0].endswith("(published)")]  # baseline column
    assert means == sorted(means, reverse=True)


def test_estimate_scales_with_frames_pixels_methods_and_workers(monkeypatch):
    assert set(COST_MS) == set(METHODS)  # every method has a measured cost
    one = estimate([(300, 320 * 240)], ["mog2"])
    assert one.seconds == pytest.approx(COST_MS["mog2"] * 300 / 1000) and one.runs == 1 and one.frames == 300
    big = estimate([(300, 640 * 480), (100, 320 * 240)], ["mog2", "subsense"])
    assert big.runs == 4 and big.frames == 400
    scale = FIXED_SHARE + (1 - FIXED_SHARE) * 4  # 640x480 has four times the pixels; a share of the cost does not grow
    assert big.seconds == pytest.approx((COST_MS["mog2"] + COST_MS["subsense"]) * (scale * 300 + 100) / 1000)
    read = estimate([Shape(300, 320 * 240, files=True)], ["mog2"])  # frames from files cost their reading too
    assert read.seconds == pytest.approx((COST_MS["mog2"] + FILE_READ_MS) * 300 / 1000)
    monkeypatch.setattr("bgapp.benchtable.os.cpu_count", lambda: 8)
    shared = estimate([(300, 320 * 240)] * 4, ["mog2"], workers=4)
    assert shared.seconds == pytest.approx(COST_MS["mog2"] * 300 / 1000 + CLUSTER_START_S)
    longest = estimate([(3000, 320 * 240), (30, 320 * 240)], ["pawcs"], workers=4)  # one long run sets the floor
    assert longest.seconds == pytest.approx(COST_MS["pawcs"] * 3000 / 1000 + CLUSTER_START_S)
    text = estimate([(300, 320 * 240)], ["mog2", "nope"]).text()
    assert text.startswith("Estimate: about 3.7 s in this process for ") and "2 (method, sequence) runs" in text
    assert "No measured cost for nope" in text
    assert 0 < measure_cost("absdiff", frames=20) < 1000  # milliseconds, as the table holds


def test_csv_holds_every_figure_once(table):
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    measured = [r for r in rows if r["kind"] == "measured"]
    assert len(measured) == len(METHODS_RUN) * (3 + 2 + 1)  # sequences, categories, overall
    overall = {r["config"]: float(r["f_measure"]) for r in measured if r["category"] == "overall"}
    for entry, rep in zip(table.entries, table.reports()):
        assert overall[entry.config.method] == pytest.approx(rep["overall"]["f_measure"], abs=5e-5)
    assert {r["method"] for r in rows if r["kind"] == "published"} == {p.method for p in table.published()}


def test_presets_are_marked_where_tuned(dataset):
    rows, _ = entries(["mog2"], presets=True)
    assert any(e.tuned_on for e in rows)
    tuned = Entry("t", Config("mog2"), ("baseline/one",))
    bench = run_bench([str(dataset / "baseline")], [tuned])
    assert [bench.tuned_here(tuned, r) for r in bench.sequences] == [True, False]
    assert bench.sequence_table()[1][0][1].endswith("*")
    assert "tuned on this sequence" in bench.to_markdown()


def test_a_named_method_that_cannot_run_is_an_error(monkeypatch):
    monkeypatch.setattr(METHODS["gmg"], "available", classmethod(lambda cls: False))
    with pytest.raises(BgappError, match="gmg"):
        entries(["gmg"])
    rows, skipped = entries()
    assert "gmg" in skipped and "gmg" not in [e.label for e in rows]


def test_literature_names_its_sources():
    assert {p.method for p in LITERATURE} >= {"GMM (Stauffer & Grimson)", "SuBSENSE", "PAWCS", "BMN-BSN"}
    for p in LITERATURE:
        assert p.source and p.f_measure and all(0 < f < 1 for f in p.f_measure.values())


def test_cli_bench_table_json_csv_and_markdown(dataset, tmp_path):
    out_csv, out_md = tmp_path / "t.csv", tmp_path / "t.md"
    proc = subprocess.run([sys.executable, "-m", "bgapp", "bench-table", str(dataset), "--methods", "mog2,knn",
                           "--json", "--csv", str(out_csv), "--markdown", str(out_md)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert sorted(m["label"] for m in doc["methods"]) == ["KNN (sample-based)", "MOG2 (Gaussian mixture)"]
    f = [m["overall"]["f_measure"] for m in doc["methods"]]
    assert f == sorted(f, reverse=True)
    assert set(doc["methods"][0]["categories"]) == {"baseline", "shadow"}
    assert out_csv.read_text().startswith("kind,method,config,category")
    assert "| MOG2 (Gaussian mixture) |" in out_md.read_text()
    assert proc.stderr.startswith("Estimate: under a second in this process for 6 (method, sequence) runs ")
    bad = subprocess.run([sys.executable, "-m", "bgapp", "bench-table", str(dataset), "--methods", "nope"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert bad.returncode == 2 and "unknown method 'nope'" in bad.stderr
