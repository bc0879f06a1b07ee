"""The failure gallery (issue 19): every case opens, plays and scores, is the same clip from its seed
(its MOG2 score pinned), and shows the challenge it is named for; ``case:<name>`` is a source of the
CLI. The synthetic scene's new options change nothing when they are off: the demo is pinned by a
digest of its frames taken before they existed. The pages are tested in test_app_gallery.py."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from bgapp.config import Config
from bgapp.distributed import list_sequences, open_spec
from bgapp.errors import BgappError
from bgapp.gallery import BY_NAME, CASES, PREFIX, case_names, case_scores, get_case, open_case
from bgapp.pipeline import Pipeline
from bgapp.sources import open_scored_sources, open_source
from bgapp.synthetic import CAMOUFLAGE_OFFSET, SyntheticScene

from .conftest import ROOT

# F-measure of MOG2 at its defaults (default post-processing, CDnet rules), computed once with
# case_scores when the cases were made. A change here means a case's clip (or MOG2) changed.
MOG2_F = {"shadows": 0.949, "dynamic_background": 0.551, "camera_jitter": 0.768, "light_switch": 0.204,
          "left_behind": 0.812, "camouflage": 0.254, "night": 0.466}
# sha256 (first 16 hex) of frames, labels and backgrounds 0, 41, 100, 150, 222 and 299 of the demo
# and of the options that existed before the gallery's, taken before its options were added.
DIGESTS = [({}, "a513cb0c36b409ca"), ({"dynamic": "water"}, "d12330760382da3f"),
           ({"dynamic": "vegetation"}, "65e17034c2b53422"), ({"jitter": 2.0}, "e3313c5acd30fc61"),
           ({"light_steps": 3}, "880bf2633d6b00c3"), ({"stops": True}, "c6adae037a683b9b"),
           ({"seed": 7, "width": 160, "height": 120}, "f3ef6195699ffe60")]


def _digest(scene: SyntheticScene) -> str:
    h = hashlib.sha256()
    for i in (0, 41, 100, 150, 222, 299):
        for img in (scene.frame(i), scene.ground_truth(i), scene.background(i)):
            h.update(img.tobytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize(("options", "digest"), DIGESTS)
def test_the_new_options_leave_the_demo_and_the_old_options_as_they_were(options: dict, digest: str) -> None:
    assert _digest(SyntheticScene(**options)) == digest


# every case -----------------------------------------------------------------------------------------

def test_the_cases_are_registered_once_with_what_the_page_shows() -> None:
    assert case_names() == ["shadows", "dynamic_background", "camera_jitter", "light_switch", "left_behind",
                            "camouflage", "night"]
    assert list(BY_NAME) == case_names() and len({c.seed for c in CASES}) == len(CASES)
    for case in CASES:
        sentences = [s for s in case.why.split(". ") if s.strip()]
        assert 2 <= len(sentences) <= 4, case.name
        assert case.stands_for.startswith(("CDnet 2014 ", "none in CDnet 2014")), case.stands_for
    assert "none in CDnet 2014" in BY_NAME["camouflage"].stands_for
    assert "none in CDnet 2014" in BY_NAME["light_switch"].stands_for


@pytest.mark.parametrize("name", list(MOG2_F))
def test_every_case_loads_plays_and_scores_the_same_from_its_seed(name: str) -> None:
    scene, again = open_case(name), open_case(PREFIX + name)
    assert (scene.name, scene.path, scene.category) == (name, f"case:{name}", "gallery")
    assert len(scene) == 200 and scene.scored_indices[0] == 40 and scene.size == (320, 240)
    for i in (0, 60, get_case(name).look_at, 199):
        assert np.array_equal(scene.frame(i), again.frame(i))
        assert np.array_equal(scene.ground_truth(i), again.ground_truth(i))
    assert any(scene.ground_truth(i).max() == 255 for i in range(40, 200, 20)), "something to find"
    pipe = Pipeline()
    masks = [pipe.process(f).clean for f in scene.frames_from(0)]
    assert len(masks) == 200 and masks[-1].shape == (240, 320)
    (row,) = case_scores(name, ("mog2",))
    assert row.method == "mog2" and round(row.f_measure, 3) == MOG2_F[name]
    assert 0 <= row.precision <= 1 and 0 <= row.recall <= 1


def test_scores_cover_the_methods_asked_for_and_leave_out_what_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from bgapp.methods import METHODS

    monkeypatch.setattr(METHODS["knn"], "available", classmethod(lambda cls: False))
    rows = case_scores("left_behind", ("absdiff", "knn", "sigma_delta"))
    assert [r.method for r in rows] == ["absdiff", "sigma_delta"]
    with pytest.raises(BgappError, match="unknown method"):
        case_scores("left_behind", ("nope",))


def test_a_bad_case_name_lists_the_cases() -> None:
    with pytest.raises(BgappError) as err:
        open_source("case:nope")
    assert str(err.value) == ("no gallery case 'nope'; the cases are shadows, dynamic_background, camera_jitter, "
                              "light_switch, left_behind, camouflage, night")


def test_sources_and_the_cli_name_a_case() -> None:
    assert open_source("case:night").name == "night"
    assert [s.name for s in open_scored_sources(["case:shadows", "demo"])] == ["shadows", "demo"]
    assert list_sequences(["case:night", "demo"]) == ["case:night", "demo"], "the spec a worker opens"
    assert open_spec("case:night").name == "night"
    run = [sys.executable, "-m", "bgapp", "eval", "case:shadows", "--method", "mog2", "--json"]
    proc = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [s["name"] for s in doc["sequences"]] == ["shadows"] and doc["scored"] == 160
    assert round(doc["overall"]["f_measure"], 3) == MOG2_F["shadows"]
    bad = subprocess.run(run[:4] + ["case:nope"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == ("bgapp: error: no gallery case 'nope'; the cases are shadows, "
                                                   "dynamic_background, camera_jitter, light_switch, left_behind, "
                                                   "camouflage, night")


# each case shows its challenge ----------------------------------------------------------------------

def test_shadows_are_labelled_50_and_darker_than_the_floor() -> None:
    scene = open_case("shadows")
    seen = 0
    for i in range(60, 200, 20):
        shadow = scene.ground_truth(i) == 50
        if shadow.sum() < 50:
            continue
        seen += 1
        ratio = scene.frame(i)[shadow].astype(float).mean() / scene.background(i)[shadow].astype(float).mean()
        assert 0.5 < ratio < 0.62, ratio  # shadow_gain 0.55, plus noise
    assert seen >= 4


def test_dynamic_background_moves_where_the_labels_say_background() -> None:
    scene = open_case("dynamic_background")
    a, b = scene.frame(10), scene.frame(30)  # warm-up: no object yet
    assert not scene.ground_truth(10).any() and not scene.ground_truth(30).any()
    changed = cv2.absdiff(a, b).max(axis=2) > 40
    assert changed.sum() > 2000, "the water did not move"


def test_camera_jitter_shifts_the_whole_frame() -> None:
    scene = open_case("camera_jitter")
    still = cv2.cvtColor(scene.background(0), cv2.COLOR_BGR2GRAY).astype(np.float32)
    shifts = []
    for i in range(0, 40, 4):  # warm-up frames: only the camera moves
        seen = cv2.cvtColor(scene.frame(i), cv2.COLOR_BGR2GRAY).astype(np.float32)
        (dx, dy), _ = cv2.phaseCorrelate(still, seen)
        assert max(abs(dx), abs(dy)) <= 3.5
        shifts.append((round(dx), round(dy)))
    assert len(set(shifts)) >= 4 and any(max(abs(x), abs(y)) >= 1 for x, y in shifts)


def test_the_light_switches_on_at_its_frame() -> None:
    scene = open_case("light_switch")
    means = np.array([scene.frame(i).mean() for i in range(90, 110)])
    jumps = np.abs(np.diff(means))
    assert int(np.argmax(jumps)) == 9, "the step is between frames 99 and 100"
    assert means[10] / means[9] > 1.4 and np.sort(jumps)[-2] < 2
    unlit = SyntheticScene(n_frames=200, warmup=40, seed=14, objects=("drone", "walker", "ball"))
    for i in (99, 100, 101):  # the light changes no label: the whole bright frame is background
        assert np.array_equal(scene.ground_truth(i), unlit.ground_truth(i))


def test_the_object_left_behind_is_absent_at_first_then_stays_foreground() -> None:
    scene = open_case("left_behind")
    case = scene._sprites[-1]
    h, w = case.mask.shape
    x, y = case.position(90 - scene.warmup, 320)
    assert case.position(199 - scene.warmup, 320) == (x, y), "it rests from frame 90 to the end"
    box = (slice(y, y + h), slice(x, x + w))
    assert not (scene.ground_truth(45)[box] == 255).any(), "not there at the start"
    for i in (90, 150, 199):
        assert (scene.ground_truth(i)[box] == 255).all()
    assert np.abs(scene.frame(150)[box].astype(int) - scene.background(150)[box].astype(int)).mean() > 40
    with pytest.raises(ValueError, match="left_behind must be at least"):
        SyntheticScene(n_frames=100, warmup=40, left_behind=50)


def test_the_left_behind_why_holds_mog2_absorbs_it_the_median_never_sees_it_absdiff_keeps_it() -> None:
    scene = open_case("left_behind")
    suitcase = scene._sprites[-1]
    h, w = suitcase.mask.shape
    x, y = suitcase.position(90 - scene.warmup, 320)
    pipes = {m: Pipeline(Config(m)) for m in ("mog2", "median", "absdiff")}
    found: dict[str, list[float]] = {m: [] for m in pipes}
    for m, pipe in pipes.items():
        pipe.prime(scene)
        for i, frame in enumerate(scene):
            mask = pipe.process(frame).clean
            if i in (92, 120, 199):
                found[m].append(float((mask[y:y + h, x:x + w] == 255).mean()))
    assert found["mog2"][0] > 0.9 and found["mog2"][1] < 0.05 and found["mog2"][2] < 0.05, found["mog2"]
    assert max(found["median"]) < 0.05, found["median"]
    assert min(found["absdiff"]) > 0.9, found["absdiff"]
    assert "within about 30 frames" in BY_NAME["left_behind"].why


def test_the_camouflaged_figure_is_coloured_like_what_is_behind_it() -> None:
    scene = SyntheticScene(n_frames=200, warmup=40, seed=16, objects=(), camouflage=True, noise_sigma=0, drift=0)
    assert open_case("camouflage")._sprites[-1].name == "camouflaged"
    seen = 0
    for i in range(60, 200, 20):
        fg = scene.ground_truth(i) == 255
        if fg.sum() < 300:
            continue
        seen += 1
        diff = scene.frame(i)[fg].astype(float) - scene.background(i)[fg].astype(float)
        assert np.abs(diff.mean(axis=0) - CAMOUFLAGE_OFFSET).max() < 4, "off by its offset, on average"
        assert np.abs(diff).mean() < 12, "within a few grey levels of what is behind it"
    assert seen >= 4
    # the demo's walker, for contrast, stands out by far more
    demo = SyntheticScene(noise_sigma=0, drift=0, objects=("walker",))
    fg = demo.ground_truth(100) == 255
    assert np.abs(demo.frame(100)[fg].astype(float) - demo.background(100)[fg].astype(float)).mean() > 40


def test_night_is_dark_and_noisy_with_lamps() -> None:
    night, day = open_case("night"), open_case("shadows")
    assert night.frame(20).mean() < 0.35 * day.frame(20).mean()
    residual = night.frame(20).astype(float) - night.background(20).astype(float)
    lit = night.background(20) > 30  # away from black, where clipping hides half the noise
    assert residual[lit].std() > 10 and (day.frame(20).astype(float) - day.background(20)).std() < 5
    lamp = night.background(20)[int(0.8 * 240), int(0.3 * 320)].mean()
    corner = night.background(20)[int(0.8 * 240), int(0.95 * 320)].mean()
    assert lamp > 2 * corner, "a lamp's pool is brighter than the dark around it"
