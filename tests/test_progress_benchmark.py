"""The Benchmark page says before running about how long it will take, names methods by title with
the best first, and shows the published figures where the data's categories are CDnet's, or says
why they are absent (on the page and in the Markdown download)."""

from __future__ import annotations

import pytest

from bgapp.benchtable import LITERATURE, entries, estimate, run_bench, sequence_shapes
from bgapp.methods import METHODS

from .apphelpers import assert_clean, captions, open_page
from .factories import cdnet_sequence, zip_folder

PAIR = ["frame_diff", "mog2"]  # worst first on purpose


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """File name -> the bytes a download button serves under it."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, (bytes, str)):
            files[filename] = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return files


def test_estimate_before_running_follows_the_choices():
    at = open_page("app_pages/benchmark.py")
    everything = next(c.value for c in at.caption if c.value.startswith("Estimate: "))
    at.multiselect(key="bench.methods").set_value(PAIR)
    at.number_input(key="bench.workers").set_value(1)
    at.run()
    assert_clean(at)
    two = next(c.value for c in at.caption if c.value.startswith("Estimate: "))
    assert two == estimate(sequence_shapes(["demo"]), PAIR, 1).text()
    assert " in this process for 2 (method, sequence) runs (each method over 300 frames), " in two
    assert "measured on the demo" in two and everything != two
    assert not at.dataframe  # nothing ran: the estimate comes before the run


def test_demo_table_has_titles_best_first_and_says_why_no_published_figures(downloads):
    at = open_page("app_pages/benchmark.py")
    at.multiselect(key="bench.methods").set_value(PAIR)
    at.number_input(key="bench.workers").set_value(1)
    at.button(key="bench.run").click().run()
    assert_clean(at)
    shown = at.dataframe[0].value
    assert list(shown["method"]) == ["MOG2 (Gaussian mixture)", "Frame differencing"]  # sorted by overall F
    overall = [float(x) for x in shown["overall"]]
    assert overall == sorted(overall, reverse=True)
    per_seq = at.dataframe[1].value
    assert list(per_seq["method"]) == [*shown["method"], "(frames scored)"]
    assert per_seq.iloc[-1].tolist()[1:] == ["260 of 300"]  # the demo scores from frame 41
    expected = run_bench(["demo"], entries(PAIR)[0]).published_note()
    assert expected.startswith("No published figures: the category 'synthetic' is not a CDnet 2014 category")
    assert expected in captions(at)
    md = downloads["bgapp-benchmark.md"].decode()
    assert expected in md and "| MOG2 (Gaussian mixture) | " in md and "| mog2 |" not in md
    csv_text = downloads["bgapp-benchmark.csv"].decode()
    assert "measured,MOG2 (Gaussian mixture),mog2," in csv_text


def test_cdnet_categories_get_the_published_rows(tmp_path):
    root = tmp_path / "cdnet"
    cdnet_sequence(root / "baseline" / "hall", n=20, width=64, height=48, seed=1)
    cdnet_sequence(root / "shadow" / "porch", n=20, width=64, height=48, seed=2)
    at = open_page("app_pages/benchmark.py")
    at.radio(key="bench.kind").set_value("zip").run()
    at.file_uploader(key="bench.zip").set_value(("cdnet.zip", zip_folder(root), "application/zip")).run()
    at.multiselect(key="bench.methods").set_value(["absdiff"])
    at.number_input(key="bench.workers").set_value(1)
    at.button(key="bench.run").click().run()
    assert_clean(at)
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["method", "baseline", "shadow", "overall"]
    published = [m for m in shown["method"] if m.endswith("(published)")]
    assert published and {m.removesuffix(" (published)") for m in published} == \
        {p.method for p in LITERATURE if {"baseline", "shadow"} & set(p.f_measure)}
    assert list(shown["method"])[0] == METHODS["absdiff"].title
    text = captions(at)
    assert "No published figures" not in text and "Published figures only" not in text
    assert "SuBSENSE (published): changedetection.net" in text
