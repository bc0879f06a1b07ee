"""The Class challenge page (AppTest): the teacher's passcode, a student's submission scored on the
server, the leaderboard, names shown as text, owners, and opening a row in the Video lab."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.challenge
from bgapp.challenge import TEACHER_PASSCODE_ENV, PasscodeGuard
from bgapp.config import Config
from bgapp.evaluate import evaluate
from bgapp.sources import open_source
from bgapp.store import DATABASE_URL_ENV
from tests.apphelpers import APP, TIMEOUT, assert_clean

PAGE = "app_pages/challenge.py"
PASSCODE = "open sesame 42"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'class.sqlite3'}")
    monkeypatch.setenv(TEACHER_PASSCODE_ENV, PASSCODE)
    monkeypatch.setattr(ui.challenge, "PASSCODES", PasscodeGuard())  # a fresh server's count of wrong tries


def session(lab: Config | None = None) -> AppTest:
    """A new browser tab on the page; ``lab``: the settings its Video lab holds."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if lab is not None:
        at.session_state["lab.config"] = lab
    at.switch_page(PAGE).run()
    assert_clean(at)
    return at


def create(at: AppTest, title: str, method: str | None = None, frames: int = 60) -> None:
    at.text_input(key="challenge.passcode").input(PASSCODE).run()
    at.text_input(key="challenge.title").input(title).run()
    at.selectbox(key="challenge.method").set_value(method).run()
    at.number_input(key="challenge.frames").set_value(frames).run()
    at.button(key="challenge.create").click().run()
    assert_clean(at)


def submit(at: AppTest, name: str) -> None:
    at.text_input(key="challenge.name").input(name).run()
    at.button(key="challenge.submit").click().run()


def table(at: AppTest) -> list[dict]:
    return at.dataframe[0].value.to_dict("records") if at.dataframe else []


def texts(at: AppTest) -> list[str]:
    return [e.value for kind in (at.markdown, at.caption, at.success, at.error, at.warning, at.info) for e in kind]


def test_only_the_passcode_opens_the_teachers_controls():
    at = session()
    assert "No challenge yet" in at.info[0].value
    keys = [b.key for b in at.button]
    assert "challenge.create" not in keys
    at.text_input(key="challenge.passcode").input("open sesame").run()
    assert [e.value for e in at.error] == ["That is not the teacher passcode."]
    assert "challenge.create" not in [b.key for b in at.button]
    create(at, "Week 3")
    assert at.selectbox(key="challenge.pick").options == ["Week 3 · demo · any method · first 60 frames"]


def test_wrong_passcodes_are_throttled_per_page_and_reloads_do_not_count():
    at = session()
    for _ in range(3):  # the leaderboard reruns the page every few seconds: the same value is one try
        at.text_input(key="challenge.passcode").input("guess 0").run()
    assert [e.value for e in at.error] == ["That is not the teacher passcode."]
    for i in range(1, 5):
        at.text_input(key="challenge.passcode").input(f"guess {i}").run()
    at.text_input(key="challenge.passcode").input(PASSCODE).run()
    (said,) = [e.value for e in at.error]
    assert said.startswith("too many wrong passcodes from this page: try again in ") and said.endswith(" s")
    assert "challenge.create" not in [b.key for b in at.button]  # the right one waits too
    assert not at.exception
    other = session()  # another tab, as the teacher's: its own tries
    create(other, "Week 3")
    assert other.selectbox(key="challenge.pick").options == ["Week 3 · demo · any method · first 60 frames"]


def test_without_a_passcode_configured_the_page_says_how(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(TEACHER_PASSCODE_ENV)
    at = session()
    assert any(TEACHER_PASSCODE_ENV in t for t in texts(at))
    assert not [t for t in at.text_input if t.key == "challenge.passcode"]


def test_a_database_that_cannot_be_used_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "file").write_text("")
    for url in ("mysql://u@db/class", f"sqlite:///{tmp_path / 'file' / 'under-a-file.sqlite3'}"):
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.switch_page(PAGE).run()
        assert not at.exception
        [error] = [e.value for e in at.error]
        assert DATABASE_URL_ENV in error or "challenge database" in error, error


def test_a_student_submits_and_the_leaderboard_shows_the_servers_score_as_text():
    create(session(), "Week 3")
    cfg = Config("absdiff", {"threshold": 40})
    student = session(lab=cfg)
    assert any("Absolute difference, threshold=40" in t for t in texts(student))
    submit(student, SCRIPT)
    assert_clean(student)
    [row] = table(student)
    seen = [0]
    ref = evaluate(open_source("demo"), cfg, progress=lambda i, n: seen.__setitem__(0, i), stop=lambda: seen[0] >= 60)
    assert row["Name"] == SCRIPT  # a dataframe cell is text
    assert (row["F-measure"], row["Precision"], row["Recall"], row["Scored frames"]) == (
        ref.counts.f_measure, ref.counts.precision, ref.counts.recall, 20)
    assert (row["Method"], row["Settings"], row["Yours"]) == ("Absolute difference", "threshold=40", True)
    assert row["Lab"] == "video_lab?source=demo&method=absdiff&threshold=40"
    shown = [t for t in texts(student) if "alert(1)" in t]
    assert shown and all("\\<script\\>" in t and "<script>" not in t for t in shown), shown
    # another tab sees the row, not as its own
    [other] = table(session())
    assert other["Name"] == SCRIPT and other["Yours"] is False


def test_a_name_belongs_to_its_session():
    create(session(), "Week 3")
    ann = session(lab=Config("absdiff"))
    submit(ann, "Ann")
    eve = session(lab=Config("absdiff", {"threshold": 90}))
    submit(eve, "ANN")
    assert [e.value for e in eve.error] == ["the name 'ANN' is taken in this challenge: choose another"]
    assert [r["Name"] for r in table(eve)] == ["Ann"]
    assert not [s for s in eve.selectbox if s.key == "challenge.own_row"]  # nothing of Eve's to delete
    ann.run()
    assert ann.selectbox(key="challenge.own_row").options == ["Ann"]
    ann.button(key="challenge.delete_row").click().run()
    assert_clean(ann)
    assert table(ann) == []


def test_a_fixed_method_is_said_and_enforced():
    create(session(), "MOG2 week", method="mog2")
    student = session(lab=Config("absdiff"))
    assert any("This challenge is for MOG2" in w.value for w in student.warning)
    submit(student, "ann")
    assert any("this challenge is for MOG2" in e.value for e in student.error)
    assert table(student) == []


def test_a_row_opens_in_the_video_lab():
    create(session(), "Week 3")
    student = session(lab=Config("absdiff", {"threshold": 40}, {"open": 5}))
    submit(student, "ann")
    fresh = session()  # another student opens Ann's settings
    fresh.button(key="challenge.open").click().run()
    assert_clean(fresh)
    assert fresh.session_state["bgapp.page"] == "video_lab"
    assert fresh.session_state["lab.config"] == Config("absdiff", {"threshold": 40}, {"open": 5})


def test_the_teacher_closes_reopens_and_clears():
    teacher = session()
    create(teacher, "Week 3")
    student = session(lab=Config("absdiff"))
    submit(student, "ann")
    teacher.button(key="challenge.toggle").click().run()
    assert [r["Name"] for r in table(teacher)] == ["ann"]
    assert teacher.selectbox(key="challenge.pick").options == ["Week 3 · demo · any method · first 60 frames · closed"]
    student.run()
    assert student.button(key="challenge.submit").disabled
    teacher.button(key="challenge.toggle").click().run()
    teacher.button(key="challenge.clear").click().run()
    assert_clean(teacher)
    assert table(teacher) == []
    teacher.button(key="challenge.drop").click().run()
    assert "No challenge yet" in teacher.info[0].value
