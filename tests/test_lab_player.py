"""The Video lab's player: a paused view never lies and never drifts the model.

A change of the view (composite, background picture) or of the post-processing redraws the
shown frame without the model seeing it again; a change of a model value replays to the shown
frame, so flipping a value back and forth ends where one change would; an interrupted multi-frame
operation leaves the picture, the numbers and the next frame consistent.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from bgapp.config import SCOPES, Change, Config
from bgapp.metrics import METRIC_SHORT, Counts
from bgapp.player import Player
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene
from tests.apphelpers import assert_clean, captions, metrics, open_page
from tests.factories import cdnet_sequence, png

FRAME = 100  # the lab opens paused here (frame 101 in the page's 1-based numbering)


def paused(config: Config | None = None) -> Player:
    player = Player(SyntheticScene(), config or Config())
    player.seek(FRAME)
    return player


def with_composite(config: Config, mode: str) -> Config:
    return replace(config, composite={**config.composite, "mode": mode})


def test_view_changes_while_paused_leave_the_model_alone() -> None:
    player = paused()
    seen, f = player.pipeline.method.frames_seen, player.total.f_measure
    mask = player.kept.result.clean.copy()
    for k in range(8):
        change = player.apply(with_composite(player.pipeline.config, "green" if k % 2 else "blur"))
        assert change is not None and change.scope == "view"
        player.refresh(change.scope)
    assert player.pipeline.method.frames_seen == seen, "a view change fed frames to the model"
    assert player.total.f_measure == f
    assert np.array_equal(player.kept.result.clean, mask)
    assert player.shown.index == FRAME and player.next == FRAME + 1
    comp = player.kept.result.composite
    assert np.array_equal(comp, player.pipeline.compositor(player.kept.result.frame, mask)), "the view is redrawn"


def test_post_processing_change_while_paused_redraws_from_the_kept_raw_mask() -> None:
    player = paused()
    seen, raw = player.pipeline.method.frames_seen, player.kept.result.raw.copy()
    change = player.apply(replace(player.pipeline.config, post={**player.pipeline.config.post, "open": 9}))
    assert change.scope == "post"
    player.refresh(change.scope)
    assert player.pipeline.method.frames_seen == seen
    assert np.array_equal(player.kept.result.raw, raw)
    assert np.array_equal(player.kept.result.clean, player.pipeline.post(raw))
    fresh = Player(SyntheticScene(), player.pipeline.config)
    fresh.seek(FRAME)
    assert player.counts[FRAME] == fresh.counts[FRAME], "the frame's score follows the new mask"


def test_a_model_value_flipped_while_paused_ends_where_one_change_does() -> None:
    once = paused()
    cfg30 = Config("mog2", {"var_threshold": 30})
    once.refresh(once.apply(cfg30).scope)
    flipped = paused()
    for k in range(9):  # 30, 16, 30, ... ending at 30
        value = 16 if k % 2 else 30
        flipped.refresh(flipped.apply(Config("mog2", {"var_threshold": value})).scope)
    assert np.array_equal(once.kept.result.clean, flipped.kept.result.clean)
    assert once.total == flipped.total
    assert once.shown.index == flipped.shown.index == FRAME
    # and both equal a model that ran with the value from the start
    direct = paused(cfg30)
    assert np.array_equal(direct.kept.result.clean, once.kept.result.clean)
    # playing on continues from the same model
    once.step()
    direct.step()
    assert np.array_equal(once.kept.result.clean, direct.kept.result.clean)


def test_an_interrupted_full_run_is_discarded_and_said(tmp_path: Path) -> None:
    player = paused()

    def stop_at_11(done: int, total: int) -> None:
        if done == 11:
            raise KeyboardInterrupt("the user left the page")

    with pytest.raises(KeyboardInterrupt):
        player.run_all(tmp_path, stop_at_11)
    assert player.outputs is None
    assert list(tmp_path.iterdir()) == [], "partial files are deleted"
    assert player.shown.index == 10 and player.next == 11, "the picture is the last frame the model saw"
    assert len(player.fraction) == 11
    assert player.interrupted and "stopped at frame 11 of 300" in player.interrupted
    assert player.step().index == 11, "Next frame continues from there"


def test_an_interrupted_full_run_keeps_the_previous_downloads(tmp_path: Path) -> None:
    player = paused()
    done = player.run_all(tmp_path, lambda d, t: None)
    assert all(p.is_file() for p in done.files.values())

    def stop(d: int, t: int) -> None:
        if d == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        player.run_all(tmp_path, stop)
    assert player.outputs is done and all(p.is_file() for p in done.files.values())
    again = player.run_all(tmp_path, lambda d, t: None)
    assert all(p.is_file() for p in again.files.values())
    assert not any(p.exists() for p in done.files.values()), "a completed run replaces the previous files"


def _stop_after(k: int):
    """A progress callback that interrupts the work after ``k`` frames (a quicker change, a click)."""
    def stop(done: int, total: int) -> None:
        if done >= k:
            raise KeyboardInterrupt
    return stop


def test_an_interrupted_seek_keeps_its_frame_and_the_next_run_lands_there() -> None:
    player = paused()
    before = player.shown
    with pytest.raises(KeyboardInterrupt):
        player.seek(200, _stop_after(30))
    assert player.shown is before, "the picture stays on the user's frame until the new one is reached"
    assert player.pending.target == 200 and player.goal == 200 and "catching up to frame 201" in player.status()
    assert player.next == FRAME + 1 + 30, "the model has seen exactly the frames before next"
    assert player.work()
    direct = paused()
    direct.seek(200)
    assert player.shown.index == 200 and player.pending is None
    assert np.array_equal(player.kept.result.clean, direct.kept.result.clean)
    assert player.total == direct.total


def test_a_later_jump_replaces_one_under_way() -> None:
    player = paused()
    player.aim(250)
    assert not player.work(budget=0.0), "a zero budget does one frame and stops"
    player.aim(40)  # dragged back meanwhile: the model restarts, the picture waits
    assert player.shown.index == FRAME and player.next == 0
    player.work()
    direct = Player(SyntheticScene(), Config())
    direct.seek(40)
    assert player.shown.index == 40 and player.total == direct.total and player.counts == direct.counts


@pytest.mark.parametrize("method,param,values", [
    ("mog2", "var_threshold", (20, 24, 28)),  # changed on the running model
    ("sigma_delta", "min_var", (10, 20, 30)),  # numpy, changed on the running model
    ("subsense", "min_color_dist", (20, 25, 35)),  # every change rebuilds the model
])
def test_quick_changes_while_paused_end_on_the_frame_as_one_change_would(method: str, param: str,
                                                                           values: tuple) -> None:
    """Issue 16: changes that interrupt each other's replay (any number of them, cut at any point) end
    on the frame the user was on, with the model and the numbers of one change to the final value."""
    from bgapp.methods import METHODS

    if not METHODS[method].available():
        pytest.skip(METHODS[method].unavailable_reason())
    frame = 40
    scene = SyntheticScene(160, 120, n_frames=60, warmup=10)

    def at_frame() -> Player:
        p = Player(scene, Config(method))
        p.seek(frame)
        return p

    once = at_frame()
    once.refresh(once.apply(Config(method, {param: values[-1]})).scope)
    for n_changes in (2, 3, 10):
        quick = at_frame()
        for k in range(n_changes):
            value = values[-1] if k == n_changes - 1 else values[k % (len(values) - 1)]
            change = quick.apply(Config(method, {param: value}))
            if change is None:
                continue
            if k < n_changes - 1:  # interrupted after a few frames by the next change
                with pytest.raises(KeyboardInterrupt):
                    quick.refresh(change.scope, _stop_after(1 + 7 * k % 23))
                assert quick.shown.index == frame
            else:
                quick.refresh(change.scope)
        assert quick.shown.index == frame and quick.pending is None, n_changes
        assert np.array_equal(quick.kept.result.clean, once.kept.result.clean), n_changes
        assert quick.total == once.total and quick.counts == once.counts, n_changes


def test_a_post_processing_change_during_a_replay_starts_it_again() -> None:
    player = paused()
    with pytest.raises(KeyboardInterrupt):
        player.refresh(player.apply(Config("mog2", {"var_threshold": 30})).scope, _stop_after(20))
    final = Config("mog2", {"var_threshold": 30}, post={**Config().post, "open": 7})
    player.refresh(player.apply(final).scope)
    once = paused()
    once.refresh(once.apply(final).scope)
    assert player.shown.index == FRAME and player.total == once.total and player.counts == once.counts


def test_next_frame_during_a_jump_goes_one_past_it() -> None:
    player = paused()
    with pytest.raises(KeyboardInterrupt):
        player.seek(150, _stop_after(5))
    player.aim(player.goal + 1)
    player.work()
    assert player.shown.index == 151


def test_the_playing_rate_is_measured_and_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    player = paused(Config("mog2"))
    assert player.pace() is None and player.playing_text() == "playing" and player.pace_warning() is None
    clock = [0.0]
    player.rate.clock = lambda: clock[0]
    for k in range(30):  # 10 frames a second, each 95 ms of processing, on a 25 fps clip
        clock[0] = k * 0.1
        player.played(replace(player.shown, ms=95.0))
    why = player.pace_warning()
    assert player.playing_text() == "playing at 10.0 of 25 fps"
    assert why is not None and why.startswith("MOG2") and "95 ms a frame at 320x240" in why and "40 ms" in why
    player.rate.reset()
    for k in range(30):  # 25 a second: keeping up, nothing to explain
        clock[0] = 10 + k * 0.04
        player.played(replace(player.shown, ms=3.0))
    assert player.playing_text() == "playing at 25.0 of 25 fps" and player.pace_warning() is None


# the player on its own, on a small scene ------------------------------------------------------------------

def small(config: Config | None = None) -> Player:
    return Player(SyntheticScene(96, 72, n_frames=40, warmup=10), config or Config())


def test_change_scope_names_the_widest_part_touched() -> None:
    base = Config("mog2")
    assert Change(base, base).scope is None
    assert Change(base, with_composite(base, "green")).scope == "view"
    assert Change(base, replace(base, post={**base.post, "open": 5})).scope == "post"
    both = replace(with_composite(base, "green"), post={**base.post, "open": 5})
    assert Change(base, both).scope == "post"
    assert Change(base, Config("mog2", {"var_threshold": 30}, post=both.post)).scope == "model"
    assert Change(base, Config("knn")).scope == "model"
    assert SCOPES == ("view", "post", "model")


def test_apply_reports_a_rebuild_and_marks_totals_mixed_only_after_frames() -> None:
    player = small()
    assert player.apply(Config()) is None
    first = player.apply(with_composite(Config(), "blur"))
    assert first is not None and (first.rebuilt, first.scope) == (False, "view") and not player.mixed
    player.step()
    assert player.apply(with_composite(Config(), "green")).scope == "view" and not player.mixed
    change = player.apply(Config("knn", composite={"mode": "green"}))
    assert change.scope == "model" and change.rebuilt and player.mixed
    player.restart()
    assert not player.mixed and player.next == 0 and player.shown is None and not player.counts


def test_seeking_back_replays_to_the_same_mask_and_totals_as_playing_forward() -> None:
    forward = small()
    for _ in range(25):
        forward.step()
    player = small()
    player.seek(30)
    player.seek(24)  # backwards: a replay from the start
    assert player.shown.index == forward.shown.index == 24 and player.next == 25
    assert np.array_equal(player.kept.result.clean, forward.kept.result.clean)
    assert player.total == forward.total and player.counts == forward.counts  # replays replace, never add
    assert sorted(player.fraction) == list(range(25))


def test_the_end_of_the_clip_and_the_numbers_for_the_page() -> None:
    player = small()
    assert player.status() == "No frame processed yet." and player.timeline().empty
    player.seek(39)
    assert player.step() is None and player.shown.index == 39  # nothing after the last frame
    status = player.status()
    assert status.startswith("frame 40 / 40 · ") and "foreground" in status and "F this frame" in status
    df = player.timeline()
    assert list(df["frame"]) == list(range(1, 41))  # as the status line counts
    f = df[METRIC_SHORT["f_measure"]].to_numpy()
    assert np.isnan(f[:10]).all()  # before the temporal ROI
    assert f[10:] == pytest.approx([player.counts[i].f_measure for i in range(10, 40)], nan_ok=True)
    assert df["foreground %"].to_numpy() == pytest.approx([100 * player.fraction[i] for i in range(40)])


def test_a_clip_without_ground_truth_has_no_scores(tmp_path: Path) -> None:
    clip = Sequence(cdnet_sequence(tmp_path / "seq", 12, width=96, height=72, warmup=2, ground_truth=False,
                                   temporal=None))
    player = Player(clip, Config())
    player.seek(5)
    assert player.total == Counts() and not player.counts and player.shown.counts is None
    assert list(player.timeline().columns) == ["frame", "foreground %"]
    assert "F this frame" not in player.status()


# the page ---------------------------------------------------------------------------------------------

def test_lab_composite_switched_eight_times_while_paused_keeps_the_score() -> None:
    at = open_page("app_pages/video_lab.py")
    before = metrics(at)["F-measure"]
    player = at.session_state["lab.player"][1]
    seen = player.pipeline.method.frames_seen
    for k in range(8):
        at.selectbox(key="lab.composite.mode").set_value("green" if k % 2 == 0 else "blur").run()
        assert_clean(at)
    assert metrics(at)["F-measure"] == before
    assert "frame 101 / 300" in captions(at)
    assert player.pipeline.method.frames_seen == seen


def test_lab_background_picture_upload_while_paused_keeps_the_score() -> None:
    at = open_page("app_pages/video_lab.py")
    at.selectbox(key="lab.composite.mode").set_value("image").run()
    before = metrics(at)["F-measure"]
    player = at.session_state["lab.player"][1]
    seen = player.pipeline.method.frames_seen
    picture = cv2.resize(SyntheticScene().frame(0)[:, ::-1], (200, 150))
    for k in range(3):
        at.file_uploader(key="lab.bgimg").set_value((f"beach{k}.png", png(picture + k), "image/png")).run()
        assert_clean(at)
    assert player.pipeline.method.frames_seen == seen
    assert metrics(at)["F-measure"] == before


def test_tiles_name_what_they_show_in_plain_type() -> None:
    """Issue 16: a method with no background image says so on its tile; labels are drawn with a real font
    (Hershey's brackets had wide gaps: "score map ( none for this method )")."""
    from bgapp.display import _text_band, label

    player = Player(SyntheticScene(160, 120, n_frames=20, warmup=5), Config("frame_diff"))
    player.seek(5)
    assert player.kept.result.background is None and player.kept.result.score is not None
    img = np.zeros((120, 160, 3), np.uint8)
    band = _text_band("(x)", 12)  # the type size label() picks for a frame 160 pixels wide
    out = label(img, "(x)")
    assert np.array_equal(out[: band.shape[0], : band.shape[1], 0], band) and out[band.shape[0]:].max() == 0
    narrow, spaced = _text_band("(x)", 14), _text_band("( x )", 14)
    assert narrow.shape[1] < spaced.shape[1], "brackets take no space of their own"
