"""The Evaluate & tune page, driven with Streamlit's AppTest: same numbers as the engine, a study,
"Apply best", exports, and zip uploads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from bgapp.evaluate import evaluate, report
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene

from .conftest import ROOT
from .test_tuning import write_sequence

PAGE = str(ROOT / "pages" / "evaluate.py")


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


def zipped(folder: Path, prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, prefix + f.relative_to(folder.parent).as_posix())
    return buf.getvalue()


def test_zip_upload_is_evaluated_and_unsafe_zips_are_refused(tmp_path):
    seq = write_sequence(tmp_path / "upload" / "lobby", seed=4)
    expected = report([evaluate(Sequence(seq), Config())])["overall"]["f_measure"]
    at = page()
    at.radio(key="eval.kind").set_value("zip").run()
    at.file_uploader(key="eval.zip").set_value(("lobby.zip", zipped(seq), "application/zip")).run()
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
    at.switch_page("pages/video_lab.py").run()
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
    """The buttons work when the page runs inside app.py's navigation too: there every AppTest run
    first goes through ui.boot.through_app's rerun, which a click read from st.button's return
    value did not survive (the page's buttons set flags in callbacks instead)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/evaluate.py").run()
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
    assert any(s.value.startswith("Best F-measure") for s in at.subheader)
    at.button(key="eval.apply").click().run()
    assert at.success and "Applied" in at.success[0].value
    assert at.session_state["applied_config"] == result.best

    at.switch_page("pages/video_lab.py").run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    assert at.selectbox(key="lab.method").value == "knn"
    assert at.slider(key="lab.knn.dist2_threshold").value == result.best.params["dist2_threshold"]
    assert at.session_state["lab.config"] == result.best
