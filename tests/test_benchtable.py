"""The benchmark table: the same figures as `bgapp eval` for every method, the same on a real Dask
cluster as here, the published figures beside the categories present, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from bgapp.benchtable import LITERATURE, BenchTable, Entry, entries, run_bench
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
    for label, rep in zip(METHODS_RUN, table.reports()):
        results = [evaluate(Sequence(p), Config(label)) for p in sorted((dataset / c / s)
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
    header, rows = table.category_table()
    assert header == ["method", "baseline", "shadow", "overall"]
    labels = [r[0] for r in rows]
    assert labels[:2] == METHODS_RUN
    for p in published:
        row = rows[labels.index(f"{p.method} (published)")]
        assert row[1] == (f"{p.f_measure['baseline']:.3f}" if "baseline" in p.f_measure else "")
    md = table.to_markdown()
    assert "| method | baseline | shadow | overall |" in md
    assert all(p.source in md for p in published)


def test_csv_holds_every_figure_once(table):
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    measured = [r for r in rows if r["kind"] == "measured"]
    assert len(measured) == len(METHODS_RUN) * (3 + 2 + 1)  # sequences, categories, overall
    overall = {r["method"]: float(r["f_measure"]) for r in measured if r["category"] == "overall"}
    for label, rep in zip(METHODS_RUN, table.reports()):
        assert overall[label] == pytest.approx(rep["overall"]["f_measure"], abs=5e-5)
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
    assert [m["label"] for m in doc["methods"]] == ["mog2", "knn"]
    assert set(doc["methods"][0]["categories"]) == {"baseline", "shadow"}
    assert out_csv.read_text().startswith("kind,method,config,category")
    assert "| mog2 |" in out_md.read_text()
    bad = subprocess.run([sys.executable, "-m", "bgapp", "bench-table", str(dataset), "--methods", "nope"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert bad.returncode == 2 and "unknown method 'nope'" in bad.stderr
