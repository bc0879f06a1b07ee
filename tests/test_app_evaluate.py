"""The Evaluate & tune page, driven with Streamlit's AppTest: same numbers as the engine, a study,
"Apply best", exports, and zip uploads."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from bgapp.evaluate import evaluate, report
from bgapp.presets import list_presets
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene
from ui.keys import APPLIED_CONFIG, LAB_CONFIG

from .conftest import ROOT
from .factories import cdnet_sequence, zip_folder

PAGE = str(ROOT / "app_pages" / "evaluate.py")


@pytest.fixture(scope="module")
def demo_doc() -> dict:
    return report([evaluate(SyntheticScene(), Config())])


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def overall_row(at: AppTest):
    df = next(d.value for d in at.dataframe if "level" in getattr(d.value, "columns", []))
    return df[df["level"] == "overall"].iloc[0]


def test_evaluate_shows_the_engine_numbers(demo_doc):
    at = page()
    assert at.multiselect(key="eval.samples").value == ["demo"]
    at.button(key="eval.run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    row = overall_row(at)
    for m in ("f_measure", "precision", "recall", "pwc"):
        assert row[m] == demo_doc["overall"][m]
    assert at.metric[0].value == f"{demo_doc['overall']['f_measure']:.4f}"
    assert len(at.get("plotly_chart")) >= 1  # per-frame F, precision, recall
    at.slider(key="eval.frame.0").set_value(120).run()  # scrub the error-coded viewer
    assert not at.exception and any("Frame 120: F" in c.value for c in at.caption)
    assert any("true positive" in m.value for m in at.markdown)  # the legend


def test_tune_apply_best_and_export():
    at = page()
    at.number_input(key="eval.trials").set_value(2).run()
    at.button(key="eval.tune").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    result, started, specs = at.session_state["eval.tuned"]
    assert result.trials == 2 and specs == ["demo"] and started == Config()
    assert any(result.metric in s.value or "F-measure" in s.value for s in at.subheader)
    at.button(key="eval.apply").click().run()
    applied = at.session_state["applied_config"]
    assert isinstance(applied, Config) and applied == result.best
    assert at.success and "Applied" in at.success[0].value
    at.radio(key="eval.export_src").set_value("best")
    at.radio(key="eval.format").set_value("python").run()
    assert "createBackgroundSubtractorMOG2" in at.code[0].value
    at.radio(key="eval.format").set_value("roboflow").run()
    assert '"roboflow_core/background_subtraction@v1"' in at.code[0].value
    assert at.warning and "shadow" in at.warning[0].value
    at.radio(key="eval.export_src").set_value("sidebar").run()
    at.selectbox(key="eval.v0.method").set_value("knn").run()
    assert not at.exception and at.error and "no Roboflow" in at.error[0].value


def test_zip_upload_is_evaluated_and_unsafe_zips_are_refused(tmp_path):
    seq = cdnet_sequence(tmp_path / "upload" / "lobby", seed=4)
    expected = report([evaluate(Sequence(seq), Config())])["overall"]["f_measure"]
    at = page()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value(("lobby.zip", zip_folder(seq), "application/zip")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="eval.run").click().run()
    assert overall_row(at)["f_measure"] == expected

    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../escape/input/in000001.png", b"x")
    at.file_uploader(key="eval.zip").set_value(("evil.zip", bad.getvalue(), "application/zip")).run()
    assert not at.exception and at.error and ".." in at.error[0].value


def test_applied_settings_reach_the_video_lab_widgets():
    """What 'Apply best' stores (checked above) is shown by the lab's sidebar, once."""
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=180)
    at.switch_page("app_pages/video_lab.py").run()
    assert at.selectbox(key="lab.method").value == "mog2"
    at.session_state["applied_config"] = Config("knn", {"dist2_threshold": 777.0}, {"open": 5})
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="lab.method").value == "knn"
    assert at.slider(key="lab.knn.dist2_threshold").value == 777.0
    assert at.slider(key="lab.post.open").value == 5
    assert at.session_state["lab.player"][1].pipeline.config.params["dist2_threshold"] == 777.0
    at.slider(key="lab.knn.dist2_threshold").set_value(500.0).run()  # taken once: the user's next move holds
    assert at.session_state["lab.player"][1].pipeline.config.params["dist2_threshold"] == 500.0
    assert at.session_state["applied_config"].params["dist2_threshold"] == 777.0  # kept for the other pages


def test_run_evaluation_and_study_through_the_app(demo_doc):
    """The buttons work when the page runs inside app.py's navigation too (the page's buttons set
    flags in callbacks, so a click survives a rerun that lands before the button is reached)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/evaluate.py").run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    assert at.title[0].value == "Evaluate & tune"
    at.button(key="eval.run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    assert at.metric and at.metric[0].value == f"{demo_doc['overall']['f_measure']:.4f}"
    assert overall_row(at)["f_measure"] == demo_doc["overall"]["f_measure"]

    at.selectbox(key="eval.v0.method").set_value("knn").run()
    at.number_input(key="eval.trials").set_value(2).run()
    at.button(key="eval.tune").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    result, started, specs = at.session_state["eval.tuned"]
    assert result.trials == 2 and result.method == "knn" and specs == ["demo"]
    heading = f"F-measure: {result.value:.4f} tuning · {result.check_value:.4f} check"  # the default check set
    assert any(s.value == heading for s in at.subheader), [s.value for s in at.subheader]
    at.button(key="eval.apply").click().run()
    assert at.success and "Applied" in at.success[0].value
    assert at.session_state["applied_config"] == result.best

    at.switch_page("app_pages/video_lab.py").run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    assert at.selectbox(key="lab.method").value == "knn"
    assert at.slider(key="lab.knn.dist2_threshold").value == result.best.params["dist2_threshold"]
    assert at.session_state["lab.config"] == result.best


# No internal names on the page: categories, paths and file names are the user's -------------------

def results_frame(at: AppTest):
    return next(d.value for d in at.dataframe if "level" in getattr(d.value, "columns", []))


@pytest.mark.parametrize(("upload", "category", "sequence", "path"), [
    ("lobby.zip", "uploaded", "lobby", "lobby.zip:lobby"),  # a bare sequence folder
    ("flat.zip", "uploaded", "flat", "flat.zip"),  # input/ at the zip's root
    ("baseline.zip", "baseline", "hall", "baseline.zip:baseline/hall"),  # a category of sequences
])
def test_zip_categories_come_from_the_zip_never_a_temp_folder(tmp_path, upload, category, sequence, path):
    if upload == "baseline.zip":
        data = zip_folder(cdnet_sequence(tmp_path / "baseline" / "hall", n=12).parent)
    elif upload == "flat.zip":
        data = zip_folder(cdnet_sequence(tmp_path / "flat", n=12), flat=True)
    else:
        data = zip_folder(cdnet_sequence(tmp_path / "lobby", n=12))
    at = page()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value((upload, data, "application/zip")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    described = at.dataframe[0].value
    assert list(described["category"]) == [category] and list(described["sequence"]) == [sequence]
    picker = next(m for m in at.multiselect if str(m.key).startswith("eval.found."))
    assert picker.options == [path]  # the sequence picker's label
    at.button(key="eval.run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = results_frame(at)
    assert list(table[table["level"] == "category"]["name"]) == [category]
    assert list(table[table["level"] == "sequence"]["name"]) == [sequence]
    assert at.session_state["eval.result"].doc["sequences"][0]["path"] == path  # the report download


def test_a_bad_file_in_an_uploaded_zip_is_named_inside_the_zip(tmp_path):
    import tempfile

    seq = cdnet_sequence(tmp_path / "lobby", n=12)
    (seq / "temporalROI.txt").write_text("30 5")
    at = page()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value(("lobby.zip", zip_folder(seq), "application/zip")).run()
    assert not at.exception and len(at.error) == 1
    msg = at.error[0].value
    assert "lobby.zip:lobby/temporalROI.txt" in msg and tempfile.gettempdir() not in msg, msg


def test_a_sequence_of_a_zipped_dataset_that_cannot_be_scored_is_named_and_the_rest_evaluated(tmp_path):
    import cv2
    import numpy as np

    cdnet_sequence(tmp_path / "baseline" / "good", n=12)
    bad = cdnet_sequence(tmp_path / "baseline" / "bad", n=12)
    cv2.imwrite(str(bad / "ROI.bmp"), np.full((240, 352), 255, np.uint8))
    at = page()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value(("cdnet.zip", zip_folder(tmp_path / "baseline"), "application/zip"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [w.value for w in at.warning] == [
        "cdnet.zip:baseline/bad left out: ROI.bmp is 352x240 but the frames are 320x240"]  # named in the zip
    assert at.multiselect[0].value and all(v.endswith("good") for v in at.multiselect[0].value)
    at.button(key="eval.run").click().run()
    assert not at.exception and not at.error
    assert overall_row(at)["scored"] == 2  # cdnet_sequence: temporal ROI from frame 11 of 12


@pytest.fixture
def stored_files(monkeypatch) -> dict[str, str | None]:
    """File id -> the file name Streamlit serves it under (what a browser saves a download as)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    names: dict[str, str | None] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        names[file_id] = filename
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return names


@pytest.mark.parametrize(("fmt", "name"), [("python", "bgapp_mog2.py"), ("json", "bgapp_mog2.json"),
                                           ("roboflow", "bgapp_mog2-workflow.json")])
def test_export_download_names_the_method_once(stored_files, fmt, name):
    at = page()
    at.radio(key="eval.format").set_value(fmt).run()
    button = next(b for b in at.get("download_button") if b.key == "eval.dl_export")
    assert button.label == f"Download {name}"
    assert stored_files[button.proto.url.rsplit("/", 1)[1].split(".")[0]] == name


@pytest.fixture()
def drawn(monkeypatch) -> list[tuple[float, str]]:
    """What the page's progress bars draw, in order (the bar itself is cleared when the job ends)."""
    from ui.eval_inputs import LiveProgress

    seen: list[tuple[float, str]] = []
    real = LiveProgress.draw

    def draw(self, fraction: float, text: str) -> None:
        seen.append((fraction, text))
        real(self, fraction, text)

    monkeypatch.setattr(LiveProgress, "draw", draw)
    return seen


def test_evaluation_progress_counts_sequences_and_frames_then_the_results_take_its_place(drawn):
    at = page()
    at.button(key="eval.run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    fractions = [f for f, _ in drawn]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(drawn) >= 10
    assert drawn[0][1].startswith("0 of 1 sequences done · demo: frame 0 of 300 · ")
    assert any(t.startswith("0 of 1 sequences done · demo: frame 150 of 300 · ") for _, t in drawn)
    assert drawn[-1][1].startswith("1 of 1 sequences done · ") and drawn[-1][1].endswith(" s")
    assert not at.get("progress")  # gone: the results are shown where it was
    tab = at.tabs[0]
    assert tab.label == "Evaluate" and tab.metric and tab.metric[0].label == "F-measure"
    assert any(c.value.startswith("1 sequence(s), 300 frames, 260 of them scored, evaluated in ") for c in tab.caption)
    assert any(c.value == "Scored: frames 41–300 (the demo's temporal ROI); earlier frames are the model's warm-up "
                          "and CDnet does not score them." for c in tab.caption)  # under the per-frame chart


def test_study_progress_shows_each_trial_as_it_ends(drawn, monkeypatch):
    """The bar moves during the first trial (its frames), each trial is listed under it as it ends
    (score, time), the line carries the best so far, the time per trial and an estimate; and three
    trials draw no parameter-importance chart, saying why."""
    from ui.eval_inputs import LiveProgress

    tables: list = []
    real = LiveProgress.table
    monkeypatch.setattr(LiveProgress, "table", lambda self, df: (tables.append(df.copy()), real(self, df)))
    at = page()
    at.number_input(key="eval.trials").set_value(3).run()
    at.number_input(key="eval.batch").set_value(2).run()
    at.button(key="eval.tune").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    texts = [t for _, t in drawn]
    assert texts[0].startswith("0 of 3 trials done · best F-measure so far: none yet · ")
    assert any(t.startswith("0 of 3 trials done · trial 0 running: demo frame 150 of 300 · best F-measure so far: "
                            "none yet · about ") for t in texts)  # the first trial is not silent
    later = [t for t in texts if t.startswith("1 of 3 trials done · trial 1 running: demo frame ")]
    assert later and all(" (trial 0) · " in t and " a trial · about " in t and t.endswith(" s") for t in later)
    assert texts[-1].startswith("3 of 3 trials done · best F-measure so far: 0.")
    fractions = [f for f, _ in drawn]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(set(fractions)) > 10
    assert [list(t["trial"]) for t in tables] == [[0], [1, 0], [2, 1, 0]]  # newest first, each as it ends
    result = at.session_state["eval.tuned"][0]
    assert list(tables[-1]["F-measure"]) == [r.value for r in reversed(result.records)]
    assert all(s > 0 for s in tables[-1]["seconds"])
    assert not at.get("progress")
    tab = at.tabs[1]
    assert tab.label == "Tune" and re.fullmatch(r"F-measure: 0\.\d+ tuning · 0\.\d+ check", tab.subheader[0].value)
    assert list(tables[-1]["check F-measure"]) == [r.check for r in reversed(result.records)]
    assert any(" · took " in c.value for c in tab.caption)
    assert any(i.value.startswith("No parameter-importance chart: with 3 trial(s) over ") and "from 10 trials" in
               i.value for i in tab.info)
    assert [c.key for c in tab.get("plotly_chart")] == ["eval.threshold", "eval.studyplot"]


def test_ten_trials_draw_the_importance_chart():
    at = page()
    at.number_input(key="eval.trials").set_value(10).run()
    at.number_input(key="eval.batch").set_value(5).run()
    at.button(key="eval.tune").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    tab = at.tabs[1]
    assert [c.key for c in tab.get("plotly_chart")] == ["eval.importances", "eval.threshold", "eval.studyplot"]
    assert not any("importance" in i.value for i in tab.info)


def test_apply_best_opens_the_study_sequence_in_the_lab(tmp_path):
    """A study on an uploaded zip: Apply best carries its settings *and* its clip, even though the
    lab had the demo open before."""
    seq = cdnet_sequence(tmp_path / "upload" / "lobby", seed=4)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/video_lab.py").run()
    assert at.session_state["bgapp.source"].kind == "demo"
    at.switch_page("app_pages/evaluate.py").run()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value(("lobby.zip", zip_folder(seq), "application/zip")).run()
    at.number_input(key="eval.trials").set_value(2).run()
    at.button(key="eval.tune").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    result = at.session_state["eval.tuned"][0]
    assert [Path(s).name for s in result.sequences] == ["lobby"]
    at.button(key="eval.apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    assert at.success and at.success[0].value.startswith("Applied: the Video lab") and "lobby" in at.success[0].value

    at.switch_page("app_pages/video_lab.py").run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    source = at.session_state["bgapp.source"]
    assert source.kind == "study" and Path(source.source.path) == Path(result.sequences[0])
    assert at.radio(key="src.kind").value == "study"
    assert any(c.value.startswith("lobby: 320x240, 40 frames, ground truth") for c in at.sidebar.caption)
    player = at.session_state["lab.player"][1]
    assert player.clip.name == "lobby" and player.pipeline.config == result.best

    at.switch_page("app_pages/compare.py").run()  # the other pages open it too
    assert not at.exception and at.session_state["bgapp.source"].ident == source.ident
    at.radio(key="src.kind").set_value("demo").run()  # until the user picks another
    assert at.session_state["bgapp.source"].kind == "demo"
    assert "The study's sequence: lobby" in at.radio(key="src.kind").options  # and back, any time
    at.radio(key="src.kind").set_value("study").run()
    assert at.session_state["bgapp.source"].ident == source.ident


def test_apply_best_after_a_study_on_several_sequences_opens_the_chosen_one(tmp_path):
    cdnet_sequence(tmp_path / "set" / "rooms" / "a", seed=1, n=30)
    cdnet_sequence(tmp_path / "set" / "rooms" / "b", seed=2, n=30)
    at = page()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value(("set.zip", zip_folder(tmp_path / "set"), "application/zip")).run()
    at.number_input(key="eval.trials").set_value(1).run()
    at.button(key="eval.tune").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    pick = at.selectbox(key="eval.apply_seq")
    assert [pick.format_func(o) for o in pick.options] == ["rooms/a", "rooms/b"]
    pick.set_value(pick.options[1]).run()
    at.button(key="eval.apply").click().run()
    assert not at.exception and not at.error
    assert at.session_state["bgapp.source"].source.name == "b"


def test_settings_start_from_defaults_presets_and_what_this_session_applied():
    from ui.eval_inputs import start_choices

    plain_ = start_choices({})
    assert plain_["defaults"].config == Config() and "applied" not in plain_ and "lab" not in plain_
    assert {k for k in plain_ if k.startswith("preset:")} == {f"preset:{p.name}" for p in list_presets()}
    preset = next(p for p in list_presets())
    assert plain_[f"preset:{preset.name}"].config == preset.config
    assert plain_[f"preset:{preset.name}"].note == preset.description
    applied, lab = Config("knn"), Config("median")
    both = start_choices({APPLIED_CONFIG: applied, LAB_CONFIG: lab})
    assert both["applied"].config is applied and both["lab"].config is lab
    assert "applied" not in start_choices({APPLIED_CONFIG: "not a config"})

    at = page()  # the page loads a preset's settings into its controls
    at.selectbox(key="eval.start").set_value(f"preset:{preset.name}").run()
    assert not at.exception and at.selectbox(key="eval.v1.method").value == preset.config.method
