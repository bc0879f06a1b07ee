"""The learned background model (BMN-BSN): the shipped networks, the method's behaviour, parity with
a bare OpenCV DNN loop, the card's figures, and a real (quick) training run."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from bgapp import bmn_bsn, modelcard
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.export import export
from bgapp.methods import METHODS, create
from bgapp.pipeline import Pipeline, Views
from bgapp.source import sample_indices
from bgapp.synthetic import SyntheticScene

from .conftest import ROOT, bare_loop_counts, need

VALIDATE = "ucsd/bottle"  # a short training scene, left out of the quick run to validate on


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return SyntheticScene()


def test_the_shipped_model_is_small_readable_and_described():
    folder = bmn_bsn.model_dir()
    assert bmn_bsn.unavailable_reason() is None and METHODS["bmn_bsn"].available()
    sizes = [(folder / n).stat().st_size for n in (bmn_bsn.BMN_FILE, bmn_bsn.BSN_FILE)]
    assert all(s < 4_000_000 for s in sizes), sizes  # a few MB at most, as the package ships them
    card = bmn_bsn.card()
    assert card["networks"]["input_size"] == list(bmn_bsn.NET_SIZE)
    assert card["networks"]["fine_size"] == list(bmn_bsn.FINE_SIZE)
    assert card["networks"]["reference_frames"] == bmn_bsn.N_REF
    assert card["networks"]["model_channels"] == bmn_bsn.M_CHANNELS
    assert not card["training"]["quick"] and card["training"]["loss_last"] < card["training"]["loss_first"]
    held_out = set(card["held_out"])
    assert not held_out & {name.split("/", 1)[1] for name in card["data"]["real"]}  # scene-disjoint
    assert set(card["f_measure"]) == {"bmn_bsn", "mog2", "knn", "median"}
    assert card["calibration"]["scenes"] == len(card["data"]["real"])  # the threshold was chosen on training scenes
    best = max(card["calibration"]["mean_f_by_threshold"].items(), key=lambda kv: kv[1])
    assert float(best[0]) == card["threshold"]


def test_the_readme_shows_what_the_shipped_card_says():
    """The README's model-card block is the shipped card rendered (``python -m bgapp.modelcard``
    rewrites it after a training run): no figure there is typed by hand."""

    readme = (ROOT / "README.md").read_text()
    assert modelcard.block(bmn_bsn.card()) in readme
    assert modelcard.rewrite(readme, bmn_bsn.card()) == readme


def test_the_card_summary_says_how_shadows_were_labelled_where_the_card_records_it():
    import copy


    card = copy.deepcopy(bmn_bsn.card())
    card["training"].pop("shadow_label", None)
    assert "shadow" not in modelcard.summary(card)  # an older card: shadows were left out of the loss
    card["training"].update(shadows=0.25, shadow_label="background")
    assert "25% of them casting a shadow; every cast shadow labelled background" in modelcard.summary(card)


def test_the_card_summary_says_which_weights_ship():
    import copy

    card = copy.deepcopy(bmn_bsn.card())
    card["training"].pop("ema", None)
    assert "moving average" not in modelcard.summary(card)  # an older card: the last step's weights
    card["training"]["ema"] = 0.999
    assert "an exponential moving average of its weights (decay 0.999 a step)" in modelcard.summary(card)
    card["training"].update(ema_start=3000, steps=6000)
    assert "(decay 0.999 a step, begun at step 3,000 of 6,000)" in modelcard.summary(card)


def test_the_card_summary_says_which_scenes_and_objects_were_turned_negative():
    import copy

    card = copy.deepcopy(bmn_bsn.card())
    card["training"].pop("negative", None)
    card["training"].pop("negative_objects", None)
    card["training"].pop("linger", None)  # the clause after the negatives'
    assert "negative" not in modelcard.summary(card)  # an older card: no negatives
    card["training"].update(negative=0.5, negative_objects=0.0)
    said = modelcard.summary(card)
    assert "; 50% of batch scenes turned to their negative)" in said and "pasted objects turned" not in said
    card["training"].update(negative_objects=0.25)
    assert ("50% of batch scenes turned to their negative, 25% of pasted objects turned to their negative)"
            in modelcard.summary(card))


def test_the_card_summary_says_how_often_an_object_stayed_a_while():
    import copy

    card = copy.deepcopy(bmn_bsn.card())
    card["training"].pop("linger", None)
    assert "stays a while" not in modelcard.summary(card)  # an older card: no lingering objects
    card["training"]["linger"] = 0.25
    assert ("; in 25% of batch scenes one object stays a while: foreground in every target and also in some of "
            "the references (never all))" in modelcard.summary(card))


def test_the_card_summary_says_which_channels_of_the_model_are_given():
    import copy

    card = copy.deepcopy(bmn_bsn.card())
    card["networks"]["bmn"].pop("spread", None)
    assert "standard deviation" not in modelcard.summary(card)  # an older card: all channels learned
    card["networks"]["bmn"]["spread"] = 3
    assert ("at 320x240, the modeler's last 3 of 12 channels each colour's standard deviation over the references "
            "(given, not learned); threshold" in modelcard.summary(card))


def test_the_model_card_command_rewrites_only_its_block_and_refuses_a_readme_without_one(tmp_path):

    readme = tmp_path / "README.md"
    readme.write_text(f"# before\n\n{modelcard.BEGIN}\nstale figures\n{modelcard.END}\n\nafter\n")
    proc = subprocess.run([sys.executable, "-m", "bgapp.modelcard", str(readme)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = readme.read_text()
    assert text == f"# before\n\n{modelcard.block(bmn_bsn.card())}\n\nafter\n" and "stale" not in text
    readme.write_text("# no block here\n")
    proc = subprocess.run([sys.executable, "-m", "bgapp.modelcard", str(readme)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert readme.read_text() == "# no block here\n"  # nothing lost


def test_missing_or_broken_files_make_the_method_unavailable_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv(bmn_bsn.MODELS_ENV, str(tmp_path))
    reason = METHODS["bmn_bsn"].unavailable_reason()
    assert reason and "bmn.onnx" in reason and "train/bmn_bsn.py" in reason
    assert not METHODS["bmn_bsn"].available()
    with pytest.raises(BgappError, match="bmn.onnx"):
        create("bmn_bsn")
    (tmp_path / bmn_bsn.BMN_FILE).write_bytes(b"not a network")
    (tmp_path / bmn_bsn.BSN_FILE).write_bytes(b"")
    reason = METHODS["bmn_bsn"].unavailable_reason()
    assert reason is not None and "not a readable ONNX network" in reason and "\n" not in reason


def test_probability_is_the_score_and_the_threshold_acts_live(scene):
    m = create("bmn_bsn")
    m.prime(scene.sample(16))
    out = m.apply(scene.frame(150))
    assert not m.learning
    p = out.score
    assert p is not None and p.shape == (240, 320) and p.dtype == np.float32
    assert 0.0 <= p.min() and p.max() <= 1.0
    t = m.values["threshold"]
    assert t == bmn_bsn.card()["threshold"]  # the default is the one training calibrated
    assert np.array_equal(out.mask, np.where(p > t, 255, 0).astype(np.uint8))
    model = m.model.features
    assert m.update({"threshold": 0.1}) is False  # no rebuild: the fitted model stays
    again = m.apply(scene.frame(150))
    assert m.model.features is model
    assert np.array_equal(again.mask, np.where(p > 0.1, 255, 0).astype(np.uint8))
    assert (again.mask > 0).sum() > (out.mask > 0).sum()


def test_smoothing_averages_each_pixels_probability_over_frames_acts_live_and_a_new_fit_starts_afresh(scene):
    plain, smooth = create("bmn_bsn", {"smoothing": 0.0}), create("bmn_bsn", {"smoothing": 0.6})
    for m in (plain, smooth):
        m.prime(scene.sample(16))
    expected = None
    for i in range(6):
        p = plain.apply(scene.frame(100 + 3 * i)).score
        out = smooth.apply(scene.frame(100 + 3 * i))
        assert p is not None and out.score is not None
        expected = p if expected is None else 0.4 * p + 0.6 * expected  # the first frame has no past
        assert np.allclose(out.score, expected, atol=1e-5)
        assert np.array_equal(out.mask, np.where(out.score > smooth.values["threshold"], 255, 0).astype(np.uint8))
    assert not np.allclose(out.score, p, atol=1e-3)  # the objects moved: the past shows
    features = smooth.model.features
    assert smooth.update({"smoothing": 0.0}) is False  # no rebuild: the fitted model stays
    assert np.array_equal(smooth.apply(scene.frame(130)).score, plain.apply(scene.frame(130)).score)
    assert smooth.model.features is features
    smooth.update({"smoothing": 0.6})
    smooth.apply(scene.frame(135))
    smooth.reset()  # a replay or a seek: the old probabilities are not averaged in
    assert np.allclose(smooth.apply(scene.frame(140)).score, plain.apply(scene.frame(140)).score, atol=1e-5)


def test_the_model_is_fitted_to_the_samples_and_refitted_on_a_new_sample(scene):
    m = create("bmn_bsn", {"n_frames": 8})
    frames = scene.sample(8)
    m.prime(frames)
    m.apply(scene.frame(100))
    nets = bmn_bsn.Networks()
    small = [cv2.resize(f, bmn_bsn.NET_SIZE, interpolation=cv2.INTER_AREA) for f in frames]
    assert np.allclose(m.model.features, nets.model(small), atol=1e-5)
    assert np.array_equal(m.model.median, np.median(np.stack(frames), axis=0).astype(np.uint8))  # 320x240 already
    m.prime(frames[:4])
    m.apply(scene.frame(100))
    assert np.allclose(m.model.features, nets.model(small[:4]), atol=1e-5)
    assert not np.allclose(m.model.features, nets.model(small), atol=1e-3)
    assert np.array_equal(m.model.median, np.median(np.stack(frames[:4]), axis=0).astype(np.uint8))


def test_a_stream_learns_from_its_first_samples_then_refreshes(scene):
    m = create("bmn_bsn", {"n_frames": 4, "sample_every": 5, "refresh": 30})
    fits = []
    original = m.model.fit
    m.model.fit = lambda samples: (fits.append((m.frames_seen, len(samples))), original(samples))[1]
    for i in range(60):
        out = m.apply(scene.frame(40 + i))
        assert out.mask.shape == (240, 320)
        assert m.learning == (i < 15)  # 4 samples, one in 5 frames: frames 0, 5, 10, 15
    assert fits[:4] == [(0, 1), (5, 2), (10, 3), (15, 4)]
    assert fits[4:] == [(45, 4)]  # 30 frames after the full fit


def test_background_view_shows_the_twelve_channels_in_false_colour(scene):
    p = Pipeline(Config("bmn_bsn"), views=Views(background=True))
    p.prime(scene)
    res = p.process(scene.frame(120))
    bg = res.background
    assert bg is not None and bg.shape == (240, 320, 3) and bg.dtype == np.uint8
    tiles = [bg[:120, :160], bg[:120, 160:], bg[120:, :160], bg[120:, 160:]]
    assert all(t.std() > 5 for t in tiles)  # each of the 4 images holds 3 stretched channels
    assert len({t.tobytes() for t in tiles}) == 4


def test_the_script_export_says_what_it_needs_and_finds_the_networks(tmp_path, monkeypatch):
    with pytest.raises(BgappError, match="bmn_bsn") as err:
        export(Config("bmn_bsn"), "roboflow")
    assert "\n" not in str(err.value)
    doc = export(Config("bmn_bsn", {"threshold": 0.35}), "json")
    assert json.loads(doc.text)["params"]["threshold"] == 0.35
    script = export(Config("bmn_bsn"), "python").text
    assert "bmn.onnx and bsn.onnx" in script and str(bmn_bsn.model_dir().resolve()) in script
    # moved to a machine without them: one clear line, exit status 2
    moved = script.replace(repr(str(bmn_bsn.model_dir().resolve())), repr(str(tmp_path / "gone")))
    (tmp_path / "bg.py").write_text(moved)
    clip = tmp_path / "in"
    clip.mkdir()
    cv2.imwrite(str(clip / "frame_1.png"), SyntheticScene(64, 48, 2).frame(1))
    env = {k: v for k, v in os.environ.items() if k != bmn_bsn.MODELS_ENV}
    proc = subprocess.run([sys.executable, str(tmp_path / "bg.py"), str(clip), str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: the learned model needs bmn.onnx and bsn.onnx")
    assert "Traceback" not in proc.stderr


def _bare_loop(path):
    """The shipped ONNX files through cv2.dnn directly: 16 frames sampled across the clip, at 320x240,
    into the BMN once (halved) and into their per-pixel median; each frame into the BSN, halved with the
    model and the median and at 320x240 with the median; probability resized back, > the card's threshold."""
    from bgapp.sequences import Sequence

    seq = Sequence(path)
    bmn = cv2.dnn.readNetFromONNX(str(bmn_bsn.model_dir() / bmn_bsn.BMN_FILE))
    bsn = cv2.dnn.readNetFromONNX(str(bmn_bsn.model_dir() / bmn_bsn.BSN_FILE))

    def fine(img):
        return cv2.resize(img, bmn_bsn.FINE_SIZE, interpolation=cv2.INTER_AREA)

    def blob(imgs, size=bmn_bsn.NET_SIZE):
        return np.concatenate([cv2.resize(i, size, interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
                               for i in imgs]).astype(np.float32)[None] / np.float32(255)

    refs = [fine(cv2.imread(str(seq.frame_files[i]))) for i in sample_indices(16, len(seq))]
    bmn.setInput(blob(refs))
    model = bmn.forward()
    median = np.median(np.stack(refs), axis=0).astype(np.uint8)

    def apply(frame):
        f = fine(frame)
        bsn.setInput(np.concatenate([model, blob([median, f])], axis=1), "coarse")
        bsn.setInput(blob([f, median], bmn_bsn.FINE_SIZE), "fine")
        p = cv2.resize(bsn.forward()[0, 0], (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        return cv2.threshold(p, bmn_bsn.card()["threshold"], 255, cv2.THRESH_BINARY)[1].astype(np.uint8)

    return bare_loop_counts(path, apply)


def _cli_eval(path, *args):
    proc = subprocess.run([sys.executable, "-m", "bgapp", "eval", str(path), "--method", "bmn_bsn", "--json", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_cli_eval_on_highway_matches_a_bare_dnn_loop_and_the_card(shared_data):
    highway = need(shared_data / "cdnet/baseline/highway")
    raw = _cli_eval(highway, "--no-post")["sequences"][0]
    bare = _bare_loop(highway)
    assert (raw["tp"], raw["fp"], raw["fn"], raw["tn"]) == (bare.tp, bare.fp, bare.fn, bare.tn)
    posted = _cli_eval(highway)["sequences"][0]
    assert posted["f_measure"] == pytest.approx(bmn_bsn.card()["f_measure"]["bmn_bsn"]["baseline/highway"], abs=1e-9)


@pytest.mark.slow
def test_quick_training_runs_lowers_the_loss_and_exports_what_the_engine_reads(tmp_path, shared_data):
    last = tmp_path / "last"
    proc = subprocess.run([sys.executable, "train/bmn_bsn.py", "--quick", "--out", str(tmp_path), "--data",
                           str(shared_data), "--validate", VALIDATE, "--ema", "0.9", "--ema-start", "0.5",
                           "--keep-last", str(last)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    card = json.loads((tmp_path / bmn_bsn.CARD_FILE).read_text())
    # the average ships; the last step's weights of the same run are exported and validated beside it
    kept = json.loads((last / bmn_bsn.CARD_FILE).read_text())
    assert card["training"]["ema"] == 0.9 and card["training"]["ema_start"] == 30
    assert "moving average of its weights (decay 0.9 a step, begun at step 30 of 60)" in modelcard.summary(card)
    assert kept["training"]["ema"] == kept["training"]["ema_start"] == 0
    assert VALIDATE in kept["validation"]["bmn_bsn"]
    assert "moving average" not in modelcard.summary(kept)
    assert (last / bmn_bsn.BSN_FILE).read_bytes() != (tmp_path / bmn_bsn.BSN_FILE).read_bytes()
    assert bmn_bsn.unavailable_reason(last) is None
    assert card["data"]["validation"] == [VALIDATE] and VALIDATE not in card["data"]["real"]
    assert 0.0 <= card["validation"]["bmn_bsn"][VALIDATE] <= 1.0 and "median" in card["validation"]
    assert VALIDATE in modelcard.summary(card)
    assert card["training"]["quick"] and card["training"]["loss_last"] < 0.8 * card["training"]["loss_first"]
    assert card["data"]["synthetic_clips"] > 0
    # the default recipe reads as the earlier cards do (--ensemble compares cards), with no teacher or start
    assert card["training"]["optimiser"] == "Adam 1e-3, cosine"
    assert not {"init", "teacher", "distil"} & set(card["training"])
    assert 0.0 <= card["f_measure"]["bmn_bsn"]["ucsd/boats"] <= 1.0
    assert bmn_bsn.unavailable_reason(tmp_path) is None
    nets = bmn_bsn.Networks(tmp_path)
    frames = [SyntheticScene(320, 240, 50).frame(i) for i in range(0, 50, 5)]
    model = nets.model(frames)
    w, h = bmn_bsn.NET_SIZE
    assert model.shape == (bmn_bsn.M_CHANNELS, h, w)
    p = nets.probability(frames[-1], model, np.median(np.stack(frames), axis=0).astype(np.uint8))
    assert p.shape == bmn_bsn.FINE_SIZE[::-1] and p.dtype == np.float32 and 0.0 <= p.min() <= p.max() <= 1.0


@pytest.mark.parametrize("size", [(1, 1), (7, 5), (321, 239)])
def test_any_frame_size_gives_a_frame_sized_mask_and_view(size):
    """The networks run at their own size whatever comes in: a tiny or odd frame is resized in and out."""
    w, h = size
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(6)]
    m = create("bmn_bsn")
    m.prime(frames[:4])
    for f in frames:
        out = m.apply(f)
        assert out.mask.shape == (h, w) and out.score is not None and out.score.shape == (h, w)
        bg = m.background()
        assert bg is not None and bg.shape == (h, w, 3)


@pytest.fixture(scope="module")
def training():
    """``train/bmn_bsn.py`` as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("train_bmn_bsn", ROOT / "train" / "bmn_bsn.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_training_labels_score_a_cast_shadow_as_background_as_cdnet_does(training):
    gt = np.array([[0, 50, 85, 170, 255]], np.uint8).repeat(4, 0).repeat(4, 1)
    labels = cv2.resize(training.labels_of(gt, None), (20, 4), interpolation=cv2.INTER_NEAREST)
    assert labels[0, ::4].tolist() == [0, 0, training.IGNORE, training.IGNORE, 1]


def test_a_cast_shadow_darkens_the_ground_below_an_object_and_only_there(training):
    img = np.full((100, 100, 3), 180, np.uint8)
    mask = np.zeros((20, 10), bool)
    mask[:, 3:7] = True
    training.cast_shadow(img, mask, 10, 40, np.random.default_rng(0))
    dark = (img < 180).any(axis=2)
    rows = np.flatnonzero(dark.any(axis=1))
    assert dark.sum() > 10 and (img <= 180).all()  # darker, never lighter
    assert rows.min() >= 29 - 2 and rows.max() <= 29 + 0.6 * 20 + 4  # from the feet (row 29), flattened


def test_pasted_objects_are_foreground_and_their_shadows_background(training):
    obj = training.Cutout(np.full((20, 10, 3), 30, np.uint8), np.ones((20, 10), bool))
    shadowed = 0
    for seed in range(20):
        img, lab = np.full((120, 120, 3), 180, np.uint8), np.zeros((120, 120), np.uint8)
        training.paste(img, lab, [obj], np.random.default_rng(seed), shadows=1.0)
        changed = (img != 180).any(axis=2)
        assert lab.max() == 1 and (img[lab == 1] < 60).all()  # the objects, relit, are labelled
        outside = changed & (lab == 0)
        assert (img[outside] < 180).all()  # what changed beside them is shade, and stays background
        shadowed += outside.sum() > 10
        plain, plain_lab = np.full((120, 120, 3), 180, np.uint8), np.zeros((120, 120), np.uint8)
        training.paste(plain, plain_lab, [obj], np.random.default_rng(seed), shadows=0.0)
        assert ((plain != 180).any(axis=2) == (plain_lab == 1)).all()  # no shadow asked, none cast
    assert shadowed >= 15  # most cast one; the rest fell off the window's bottom edge


def test_validation_scenes_are_left_out_of_training_and_a_wrong_name_is_refused(training, shared_data):
    """``--validate`` names training scenes by ``category/name``; they leave the list training, cutouts and
    calibration read, and a name that is not there stops the run before it starts."""
    root = shared_data / "train"
    if not root.is_dir():
        pytest.skip(f"no training scenes at {root}")
    every = [f"{s.category}/{s.name}" for s in training.training_scenes(root)]
    kept = [f"{s.category}/{s.name}" for s in training.training_scenes(root, (every[0], VALIDATE))]
    assert kept == [n for n in every if n not in (every[0], VALIDATE)]
    with pytest.raises(SystemExit, match="no training scene ucsd/nowhere"):
        training.training_scenes(root, ("ucsd/nowhere",))


def test_keeping_the_last_weights_without_an_average_is_refused(training, tmp_path, capsys):
    """``--keep-last`` exports the last step beside the averaged weights; without ``--ema`` there is no
    average, so the run stops before it starts instead of silently writing one set."""
    with pytest.raises(SystemExit) as stop:
        training.main(["--out", str(tmp_path / "m"), "--keep-last", str(tmp_path / "last")])
    said = capsys.readouterr().err
    assert stop.value.code == 2 and "--keep-last" in said and "it needs --ema" in said
    assert not (tmp_path / "m").exists() and not (tmp_path / "last").exists()


def test_a_negative_scene_turns_references_median_and_targets_over_and_keeps_the_labels(training):
    """``negative``: a scene and its references become 1 - x together (a dark object on a lit ground
    becomes a bright one on a dark ground), labelled as before."""
    frames = np.full((6, training.FH, training.FW, 3), 200, np.uint8)
    labels = np.zeros((6, training.FH, training.FW), np.uint8)
    frames[:, 100:140, 150:170] = 20  # a dark object, standing in every frame
    labels[:, 100:140, 150:170] = 1
    clip = training.Clip("real/one", frames, labels, np.arange(6))
    refs, med, tgts, labs = training.batch([clip], np.random.default_rng(0), 1, 2, training.FH, negative=1.0)
    obj = labs == 1
    assert obj.any() and not (labs == training.IGNORE).any()
    for t in tgts:  # the object is now brighter than its ground, in every channel
        grey = t.mean(0)
        assert grey[obj[0]].min() > grey[~obj[0]].max()
    assert float(med.mean()) < 0.5 and float(refs.mean()) < 0.5  # the lit ground is now dark
    _, _, plain, plain_labs = training.batch([clip], np.random.default_rng(0), 1, 2, training.FH)
    was = plain_labs[0] == 1  # (its own crop: asking for negatives draws one more number)
    assert plain[0].mean(0)[was].max() < plain[0].mean(0)[~was].min()  # without it, dark as it was


def test_a_lingering_object_is_foreground_in_every_target_and_in_some_references_never_all(training):
    """``linger``: one object at one place (give or take 2 pixels) in all of a scene's targets, labelled
    foreground, and in 1 to n-1 of its n distinct references, so at least one shows what is behind it."""
    frames = np.zeros((40, training.FH, training.FW, 3), np.uint8)  # a black scene: any light is the object
    clip = training.Clip("real/dark", frames, np.zeros((40, training.FH, training.FW), np.uint8), np.arange(40))
    white = training.Cutout(np.full((12, 10, 3), 200, np.uint8), np.ones((12, 10), bool))
    held_counts = set()
    for seed in range(12):
        rng = np.random.default_rng(seed)
        refs, med, tgts, labs = training.batch([clip], rng, 1, 3, 128, objects=[white], linger=1.0)
        lit = tgts.numpy().max(1) > 0
        assert lit.any() and np.array_equal(lit, labs.numpy() == 1)  # foreground exactly where the object is
        corners = np.array([np.argwhere(m).min(0) for m in lit])
        assert np.abs(corners - corners[0]).max() <= 4  # one place, give or take 2 pixels each way
        slots = refs[0].numpy().reshape(bmn_bsn.N_REF, 3 * 128 * 128).max(1) > 0
        assert slots.any() and not slots.all()
        held_counts.add(int(slots.sum()))
    assert len(held_counts) > 2  # how many references hold it varies


def test_a_negative_pasted_object_is_brighter_than_its_dark_cut(training):
    obj = training.Cutout(np.full((20, 10, 3), 30, np.uint8), np.ones((20, 10), bool))
    for seed in range(10):
        img, lab = np.full((120, 120, 3), 100, np.uint8), np.zeros((120, 120), np.uint8)
        training.paste(img, lab, [obj], np.random.default_rng(seed), negative=1.0)
        assert lab.max() == 1 and (img[lab == 1] > 150).all()  # 225, relit 0.7-1.3
        assert (img[lab == 0] == 100).all()


@pytest.fixture(scope="module")
def polarity_script():
    spec = importlib.util.spec_from_file_location("train_polarity", ROOT / "train" / "polarity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_polarity_splits_the_foreground_and_what_eval_finds_of_it(polarity_script):
    """The three buckets hold every scored foreground pixel once, and what they say was found adds up to
    ``bgapp eval``'s true positives on the same run."""
    from bgapp.evaluate import evaluate

    scene = SyntheticScene(width=160, height=120, n_frames=60, warmup=20)
    counts = polarity_script.polarity(scene, Config("median"))
    fg = sum(int((scene.ground_truth(i) == 255).sum()) for i in scene.scored_indices)
    assert sum(n for n, _ in counts.values()) == fg > 0
    assert sum(k for _, k in counts.values()) == evaluate(scene, Config("median")).counts.tp
    assert all(0 <= k <= n for n, k in counts.values())


def test_the_spread_modeler_gives_each_colours_deviation_over_the_references_and_exports(training, tmp_path):
    """``--spread``: the model's last three channels are each colour's standard deviation over the
    references (times SPREAD_GAIN), not learned; OpenCV reads the exported modeler as torch runs it,
    and bgapp's engine (references repeated to fill the inputs) sees the spread of what it was given."""
    import torch

    torch.manual_seed(0)
    bmn = training.SpreadBMN(4)
    refs = np.full((4, training.H, training.W, 3), 120, np.uint8)
    refs[:, 30:40, 50:60, 2] = [[[v]] for v in (0, 200, 0, 200)]  # red flickers by 100 either way
    slots = bmn_bsn.reference_slots(list(refs))
    with torch.no_grad():
        got = bmn(torch.from_numpy(bmn_bsn.to_blob(slots, bmn_bsn.NET_SIZE)))[0, -3:].numpy()
    want = training.SPREAD_GAIN * 100 / 255
    assert np.allclose(got[2, 30:40, 50:60], want, atol=1e-3)  # the flickering pixels' red
    assert got[:2].max() < 0.01 and got[2, :25].max() < 0.01  # still colours, still ground: ~0 (the 1e-6)
    training.export(bmn, training.BSN(4), tmp_path)  # checks both against cv2.dnn, or exits
    dnn = cv2.dnn.readNetFromONNX(str(tmp_path / bmn_bsn.BMN_FILE))
    assert np.allclose(bmn_bsn.bmn_bsn_model(dnn, list(refs))[-3:], got, atol=1e-4)


def test_an_average_begun_late_holds_only_the_steps_after_its_start(training):
    """``--ema-start``: the steps before the start weigh nothing; the first step counted is copied, the
    next ones blended in at the decay's rate; begun at 0 the early weights stay in the average."""
    import torch

    def run(start):
        net = torch.nn.Linear(1, 1, bias=False)
        averages = training.Averages((net,), decay=0.5, start=start)
        for step in range(8):
            with torch.no_grad():
                net.weight.fill_(float(step))
            averages.update(step)
        return averages.modules()[0].weight.item()

    want = 5.0  # steps 5, 6, 7: 5, then 0.5 * 5 + 0.5 * 6 = 5.5, then 0.5 * 5.5 + 0.5 * 7 = 6.25
    for w in (6.0, 7.0):
        want = 0.5 * want + 0.5 * w
    assert run(5) == pytest.approx(want)
    assert run(0) == pytest.approx(sum(0.5 * s * 0.5 ** (7 - s) for s in range(1, 8)))  # step 0 copied: 0
    assert run(0) < run(5)


def test_a_wider_last_stage_sees_each_pixels_neighbours_and_exports(training, tmp_path):
    """``--refine-kernel 3``: a difference at one pixel moves its neighbours' answers (with 1 it moves
    only its own); OpenCV reads the exported subtractor as torch runs it; the card summary says it."""
    import copy

    import torch

    def change_beside(kernel):
        torch.manual_seed(0)
        bsn = training.BSN(4, kernel=kernel)
        torch.nn.init.normal_(bsn.refine[2].weight)  # trained, not at its start (zeros: the U-Net's answer)
        coarse = torch.zeros(1, bmn_bsn.M_CHANNELS + 6, training.H, training.W)
        full = torch.zeros(1, 6, training.FH, training.FW)
        moved = full.clone()
        moved[0, :3, 50, 60] = 1.0  # the frame differs from the median at one pixel
        with torch.no_grad():
            a, b = bsn(coarse, full)[0, 0], bsn(coarse, moved)[0, 0]
        return bsn, float((a - b).abs()[50, 60]), float((a - b).abs()[49:52, 59:62].sum() - (a - b).abs()[50, 60])

    _, own, beside = change_beside(1)
    assert own > 0 and beside == 0
    bsn, own, beside = change_beside(3)
    assert own > 0 and beside > 0
    training.export(training.UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS, 4), bsn, tmp_path)  # or exits
    card = copy.deepcopy(bmn_bsn.card())
    assert "neighbours" not in modelcard.summary(card)
    card["networks"]["bsn"]["refine"] = "3x3, 16 hidden, at fine_size"
    assert "last stage at 320x240 (3x3 convolutions: each pixel with its neighbours)" in modelcard.summary(card)


def test_an_ensemble_is_one_pair_of_files_giving_the_mean_of_its_members_probabilities(training, tmp_path):
    """``--ensemble``: two runs read back from their ONNX files and written as one pair; OpenCV runs that
    pair through bgapp's engine as any other, its model is the members' side by side and its probability
    their mean; runs trained differently are refused; the card summary names the members' seeds."""
    import copy

    import torch

    card = copy.deepcopy(bmn_bsn.card())
    for key in ("threshold", "calibration", "f_measure", "validation"):
        card.pop(key, None)
    folders = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        bsn = training.BSN(4)
        torch.nn.init.normal_(bsn.refine[2].weight)  # trained, not at its start
        folder = tmp_path / f"run{seed}"
        training.export(training.UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS, 4), bsn, folder)
        training.write_card(folder, {**card, "training": {**card["training"], "seed": seed}})
        folders.append(folder)
    out = tmp_path / "ensemble"
    assert training.make_ensemble(folders, out) == tuple(card["data"].get("validation", []))

    frames = [SyntheticScene(320, 240, 40).frame(i) for i in range(0, 40, 5)]
    median = np.median(np.stack(frames), axis=0).astype(np.uint8)
    members = [bmn_bsn.Networks(f) for f in folders]
    ensemble = bmn_bsn.Networks(out)
    models = [n.model(frames) for n in members]
    model = ensemble.model(frames)
    w, h = bmn_bsn.NET_SIZE
    assert model.shape == (2 * bmn_bsn.M_CHANNELS, h, w)
    assert np.allclose(model, np.concatenate(models), atol=1e-5)
    probs = [n.probability(frames[-1], m, median) for n, m in zip(members, models)]
    assert np.abs(probs[0] - probs[1]).max() > 0.01  # the members differ, so the mean is a test
    assert np.allclose(ensemble.probability(frames[-1], model, median), (probs[0] + probs[1]) / 2, atol=1e-5)

    written = bmn_bsn.card(out)
    assert written["networks"]["members"] == 2 and [m["seed"] for m in written["training"]["members"]] == [1, 2]
    assert written["training"]["train_seconds"] == 2 * card["training"]["train_seconds"]
    summary = modelcard.summary({**written, "threshold": 0.4, "f_measure": card_scores()})
    assert "An ensemble of 2 runs trained alike from seeds 1, 2" in summary

    other = {**card, "training": {**card["training"], "seed": 3, "grey": 0.9}}
    with pytest.raises(SystemExit, match="not trained alike"):
        training.ensemble_card([bmn_bsn.card(folders[0]), other])
    # a card from before an option existed is the same recipe as one that left it off, not one that used it
    older = {**card, "training": {k: v for k, v in card["training"].items() if k != "negative"}}
    newer = training.ensemble_card([older, {**card, "training": {**card["training"], "negative": 0.0}}])
    assert newer["training"]["negative"] == 0.0
    with pytest.raises(SystemExit, match="not trained alike"):
        training.ensemble_card([older, {**card, "training": {**card["training"], "negative": 0.5}}])


def card_scores() -> dict[str, dict[str, float]]:
    """A card's held-out scores, enough for its summary."""
    return {"bmn_bsn": {"baseline/highway": 0.9, "mean": 0.9}, "median": {"baseline/highway": 0.8, "mean": 0.8}}


def test_a_teacher_adds_its_soft_targets_and_a_student_equal_to_it_learns_only_from_the_labels(training, tmp_path):
    """``--teacher``: the loss adds the cross-entropy of the student's full-size answer against the
    teacher's probability (the mean of its runs'). Its gradient is the gap between the two, so a student
    that already answers as its teacher gets the labels' gradient alone, one that does not gets more;
    the teacher itself never learns."""
    import torch

    torch.manual_seed(0)
    bmn, bsn = training.UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS, 4), training.BSN(4)
    torch.nn.init.normal_(bsn.refine[2].weight)
    training.export(bmn, bsn, tmp_path / "student")
    torch.manual_seed(1)
    training.export(training.UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS, 4), training.BSN(4), tmp_path / "other")
    for folder in ("student", "other"):
        training.write_card(tmp_path / folder, {"training": {"seed": 1}})

    rng = np.random.default_rng(0)
    refs, med, tgts = (torch.from_numpy(rng.random((n, c, 64, 64), np.float32))
                       for n, c in ((1, 3 * bmn_bsn.N_REF), (1, 3), (2, 3)))
    labs = torch.from_numpy(rng.integers(0, 3, (2, 64, 64)).astype(np.uint8))

    def grads(teacher):
        bmn.zero_grad()
        bsn.zero_grad()
        loss = training.step_loss(bmn, bsn, refs, med, tgts, labs, teacher)
        loss.backward()
        return loss.item(), torch.cat([p.grad.flatten() for p in [*bmn.parameters(), *bsn.parameters()]])

    plain_loss, plain = grads(None)
    itself = training.ensemble_of([tmp_path / "student"])
    same_loss, same = grads(itself)
    assert same_loss > plain_loss  # the soft targets' own entropy: a floor, no gradient
    assert torch.allclose(same, plain, atol=1e-6)
    pair = training.ensemble_of([tmp_path / "student", tmp_path / "other"])
    _, taught = grads(pair)
    assert (taught - plain).abs().max() > 1e-3
    assert all(p.grad is None and not p.requires_grad for net in pair for p in net.parameters())


def test_the_card_summary_says_where_a_continued_run_started_and_what_taught_it():
    card = bmn_bsn.card()
    t = {**card["training"], "seed": 2028, "steps": 2500, "train_seconds": 2700, "distil": 1.0,
         "init": {"seed": 2026, "steps": 6000, "train_seconds": 3569, "threshold": 0.35},
         "teacher": [{"seed": 2026}, {"seed": 2027}]}
    summary = modelcard.summary({**card, "training": t, "f_measure": card_scores()})
    assert "Trained for 2,500 steps in 45 min" in summary and "seed 2028" in summary
    assert "starting from the weights of a run of 6,000 steps from seed 2026 (59 min)" in summary
    assert "the mean probability of 2 finished runs (seeds 2026, 2027)" in summary
    t = {**t, "seed": 2029, "init": {"seed": 2028, "steps": 2500, "train_seconds": 2343, "init": t["init"]}}
    summary = modelcard.summary({**card, "training": t, "f_measure": card_scores()})
    assert ("seed 2029), starting from the weights of a run of 2,500 steps from seed 2028 (39 min), itself "
            "started from a run of 6,000 steps from seed 2026 (59 min), learning") in summary  # the whole chain


def test_starting_from_a_run_takes_its_networks_so_a_spread_modeler_is_refused(training, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        training.main(["--out", str(tmp_path / "m"), "--init", str(tmp_path), "--spread"])
    assert stop.value.code == 2 and "--init" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
