"""The command-line contract other tools rely on, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from bgapp.metrics import Counts

from .conftest import ROOT, bare_loop_counts, need

METRIC_KEYS = {"tp", "fp", "fn", "tn", "recall", "specificity", "fpr", "fnr", "pwc", "precision", "f_measure"}


def bgapp(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "bgapp", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr}")
    return proc


def test_methods_json_contract():
    doc = json.loads(bgapp("methods", "--json").stdout)
    names = [m["name"] for m in doc["methods"]]
    assert names == ["mog2", "knn", "absdiff", "frame_diff", "ssim", "median", "sigma_delta", "gmg", "cnt", "gsoc",
                     "lsbp", "mog", "bmn_bsn",
                     "subsense", "pawcs", "lobster", "vibe", "pbas", "codebook", "imbs", "sobs", "two_points",
                     "fuzzy_choquet"]
    for m in doc["methods"]:
        assert isinstance(m["available"], bool)
        for p in m["params"]:
            assert set(p) == {"name", "type", "default", "min", "max", "step", "typical", "choices", "help"}
            assert p["type"] in ("int", "float", "bool", "choice")
    mog2 = {p["name"]: p for p in doc["methods"][0]["params"]}
    assert mog2["history"]["default"] == 500 and mog2["var_threshold"]["default"] == 16.0
    assert {p["name"] for p in doc["post"]} >= {"open", "close", "dilate", "erode", "min_area", "fill_holes"}


def test_eval_demo_json_contract_and_set_changes_result():
    base = json.loads(bgapp("eval", "demo", "--method", "mog2", "--json").stdout)
    assert len(base["sequences"]) == 1
    seq = base["sequences"][0]
    assert set(seq) == METRIC_KEYS | {"name", "path", "frames", "scored", "fps"}
    assert seq["scored"] == 260 and base["scored"] == 260 and base["warnings"] == [] and base["skipped"] == []
    assert seq["name"] == "demo" and seq["frames"] == 300
    assert set(base["overall"]) >= METRIC_KEYS
    assert 0.77 <= seq["f_measure"] <= 1.0
    c = Counts(seq["tp"], seq["fp"], seq["fn"], seq["tn"])
    assert abs(c.f_measure - seq["f_measure"]) < 1e-12
    tighter = json.loads(bgapp("eval", "demo", "--method", "mog2", "--set", "var_threshold=60", "--json").stdout)
    assert tighter["sequences"][0]["tp"] < seq["tp"]  # a less sensitive model finds fewer foreground pixels
    raw = json.loads(bgapp("eval", "demo", "--no-post", "--json").stdout)
    assert raw["sequences"][0]["tp"] != seq["tp"]


def test_eval_config_file_equals_sets(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"method": "knn", "params": {"dist2_threshold": 300}, "post": {"open": 5}}))
    a = json.loads(bgapp("eval", "demo", "--config", str(cfg), "--json").stdout)
    b = json.loads(bgapp("eval", "demo", "--method", "knn", "--set", "dist2_threshold=300", "--set", "open=5",
                         "--json").stdout)
    assert a["sequences"][0]["tp"] == b["sequences"][0]["tp"] and a["sequences"][0]["fp"] == b["sequences"][0]["fp"]


@pytest.mark.parametrize("args, words", [
    (["eval", "/no/such/folder"], "no such"),
    (["eval", "demo", "--method", "nope"], "unknown method"),
    (["eval", "demo", "--set", "var_threshold=-1"], "var_threshold"),
    (["eval", "demo", "--set", "history=lots"], "history"),
    (["eval", "demo", "--set", "bogus=1"], "bogus"),
    (["eval", "demo", "--config", "/no/such.json"], "not found"),
    (["process", "/no/such.mp4", "--out", "x.mp4"], "no such"),
    (["frobnicate"], "invalid choice"),
    (["eval"], "required"),
])
def test_bad_input_exits_2_with_one_line(args, words):
    proc = bgapp(*args, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert words in lines[0] and "Traceback" not in proc.stderr


def test_unreadable_media_exits_2(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 10)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for path in (fake, empty):
        proc = bgapp("process", str(path), "--out", str(tmp_path / "o.mp4"), check=False)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_process_writes_playable_mp4_and_png_folder(tmp_path):
    import av

    out = tmp_path / "masks.mp4"
    bgapp("process", "demo", "--method", "mog2", "--out", str(out))
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in c.decode(video=0)) == 300
    folder = tmp_path / "pngs"
    bgapp("process", "demo", "--method", "knn", "--out", str(folder))
    files = sorted(folder.glob("*.png"))
    assert len(files) == 300
    m = cv2.imread(str(files[150]), cv2.IMREAD_UNCHANGED)
    assert m.shape == (240, 320) and set(np.unique(m)) <= {0, 255} and m.max() == 255
    comp = tmp_path / "comp.mp4"
    bgapp("process", "demo", "--composite", "green", "--out", str(comp))
    assert comp.stat().st_size > 1000


def test_process_masks_equal_engine_masks(tmp_path):
    """CLI and engine parity: the PNGs the CLI writes are the engine's masks."""
    from bgapp import Config, Pipeline
    from bgapp.synthetic import SyntheticScene

    bgapp("process", "demo", "--method", "absdiff", "--set", "threshold=25", "--out", str(tmp_path / "m"))
    p = Pipeline(Config("absdiff", {"threshold": 25}))
    scene = SyntheticScene()
    for i, res in enumerate(p.run(scene)):
        if i % 50 == 0:
            disk = cv2.imread(str(tmp_path / "m" / f"mask{i + 1:06d}.png"), cv2.IMREAD_UNCHANGED)
            assert np.array_equal(disk, res.clean)


def test_highway_mog2_no_post_equals_bare_opencv_loop(shared_data):
    """mog2 --no-post gives exactly the confusion counts of a bare OpenCV MOG2 loop."""
    path = need(shared_data / "cdnet" / "baseline" / "highway")
    doc = json.loads(bgapp("eval", str(path), "--method", "mog2", "--no-post", "--set", "history=300",
                           "--set", "var_threshold=20", "--json").stdout)
    mog = cv2.createBackgroundSubtractorMOG2(300, 20, True)
    total = bare_loop_counts(path, mog.apply)
    got = doc["sequences"][0]
    assert (got["tp"], got["fp"], got["fn"], got["tn"]) == (total.tp, total.fp, total.fn, total.tn)
    assert got["frames"] == 1700


def test_eval_category_tree_averages_the_cdnet_way(shared_data):
    need(shared_data / "sbi" / "Board")
    doc = json.loads(bgapp("eval", str(shared_data / "sbi"), "--method", "knn", "--json").stdout)
    names = sorted(s["name"] for s in doc["sequences"])
    assert names == ["Board", "Foliage", "IBMtest2"]
    fs = [s["f_measure"] for s in doc["sequences"]]
    assert abs(doc["overall"]["f_measure"] - sum(fs) / len(fs)) < 1e-9  # one category: mean of its videos


def test_eval_json_on_a_zip_reports_the_path_inside_the_zip(tmp_path, capsys):
    import io
    import zipfile

    from bgapp.cli import main
    from bgapp.config import Config
    from bgapp.distributed import eval_document

    from .factories import cdnet_sequence

    seq = cdnet_sequence(tmp_path / "data" / "baseline" / "highway", n=12)
    bare = cdnet_sequence(tmp_path / "data2" / "lobby", n=12)
    for zname, top in (("highway.zip", seq.parent.parent), ("lobby.zip", bare.parent)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for f in sorted(top.rglob("*")):
                if f.is_file():
                    zf.write(f, f.relative_to(top).as_posix())
        (tmp_path / zname).write_bytes(buf.getvalue())
    assert main(["eval", str(tmp_path / "highway.zip"), str(tmp_path / "lobby.zip"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["path"] for s in doc["sequences"]] == ["highway.zip:baseline/highway", "lobby.zip:lobby"]
    assert list(doc["categories"]) == ["baseline", "uploaded"]
    # the same through the task runner, which reopens each sequence by its extracted path
    doc2 = eval_document([str(tmp_path / "highway.zip")], Config(), workers=1)
    assert [s["path"] for s in doc2["sequences"]] == ["highway.zip:baseline/highway"]
