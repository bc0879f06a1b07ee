"""Bad input through the command line: one clear line on stderr, status 2 (or, where the input is
usable, the work done plus a ``note:`` line), never a traceback.

Most cases call ``bgapp.cli.main`` in-process (the same entry point as ``python -m bgapp``, a few
milliseconds instead of a second per case); the cases about the process itself (file names that
are not UTF-8 printed to a strict UTF-8 terminal) run ``python -m bgapp`` as a subprocess.
The same inputs go through the app in test_bad_input_app.py.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from bgapp.cli import main
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.sequences import Sequence
from tests import badfiles as bf
from tests.conftest import ROOT
from tests.factories import zip_folder


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    return code, out, err


def refused(capsys: pytest.CaptureFixture, *args: str) -> str:
    """Run, expect status 2 and exactly one line on stderr; return that line."""
    code, out, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, (code, err)
    assert lines[0].startswith("bgapp: error: ")
    return lines[0]


def notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("note: ")]


def frame_count(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


# videos ------------------------------------------------------------------------------------------------

def test_zero_byte_video(tmp_path, capsys):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    line = refused(capsys, "process", empty, "--out", tmp_path / "o.mp4")
    assert "empty.mp4" in line and "empty" in line
    assert not (tmp_path / "o.mp4").exists()


def test_text_file_renamed_mp4(tmp_path, capsys):
    line = refused(capsys, "process", bf.text_as_mp4(tmp_path / "notes.mp4"), "--out", tmp_path / "o.mp4")
    assert "notes.mp4" in line and "not a readable media file" in line


def test_truncated_mp4_without_index_is_refused(tmp_path, capsys):
    """A camera-style MP4 (index at the end) cut short has no index left: nothing to decode."""
    whole = bf.mp4(tmp_path / "whole.mp4", faststart=False)
    cut = bf.truncated(tmp_path / "cut.mp4", whole)
    line = refused(capsys, "process", cut, "--out", tmp_path / "o.mp4")
    assert "cut.mp4" in line and "truncated" in line


def test_truncated_mp4_with_index_keeps_what_is_there_and_says_so(tmp_path, capsys):
    whole = bf.mp4(tmp_path / "whole.mp4", n=60, faststart=True)
    cut = bf.truncated(tmp_path / "cut.mp4", whole, keep=0.5)
    out = tmp_path / "masks.mp4"
    code, _, err = run(capsys, "process", cut, "--out", out)
    assert code == 0, err
    written = frame_count(out)
    assert 1 <= written < 60
    assert any("truncated" in n and f"after {written} frames" in n for n in notes(err)), err


def test_codec_that_cannot_be_decoded(tmp_path, capsys):
    line = refused(capsys, "process", bf.unknown_codec(tmp_path / "odd.avi"), "--out", tmp_path / "o.mp4")
    assert "odd.avi" in line and "ZQZQ" in line and "not supported" in line


@pytest.mark.parametrize("method", ["mog2", "frame_diff", "median", "gmg"])
def test_one_frame_video(tmp_path, capsys, method):
    one = bf.mp4(tmp_path / "one.mp4", n=1)
    out = tmp_path / "masks.mp4"
    code, _, err = run(capsys, "process", one, "--method", method, "--out", out)
    assert code == 0, err
    assert "wrote 1 frames" in err and frame_count(out) == 1


def test_very_large_frames_are_scaled_on_request(tmp_path, capsys):
    big = bf.mp4(tmp_path / "big.mp4", n=4, w=2560, h=1440)
    out = tmp_path / "masks.mp4"
    code, _, err = run(capsys, "process", big, "--max-side", "1920", "--out", out)
    assert code == 0, err
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (1920, 1080)
    for bad in ("0", "-5", "abc", "8"):
        line = refused(capsys, "process", big, "--max-side", bad, "--out", out)
        assert "--max-side" in line


def test_decompression_bomb_frame_is_refused(tmp_path, capsys):
    seq = bf.sequence(tmp_path / "seq", n=4)
    (seq / "input" / "in000003.png").write_bytes(bf.huge_png())
    line = refused(capsys, "process", seq, "--out", tmp_path / "m")
    assert "in000003.png is 30000x30000" in line and "megapixels" in line


def test_tiny_frames_go_through_every_method(tmp_path, capsys):
    from bgapp.methods import METHODS

    seq = tmp_path / "tiny"
    (seq / "input").mkdir(parents=True)
    for i in range(4):
        (seq / "input" / f"in{i + 1:06d}.png").write_bytes(bf.png(np.full((1, 1, 3), 60 * i, np.uint8)))
    for name, cls in METHODS.items():
        if not cls.available():
            continue
        code, _, err = run(capsys, "process", seq, "--method", name, "--composite", "blur", "--out", tmp_path / name)
        assert code == 0, (name, err)
        masks = sorted((tmp_path / name).glob("*.png"))
        assert len(masks) == 4 and cv2.imread(str(masks[-1]), cv2.IMREAD_UNCHANGED).shape[:2] == (1, 1)


# image sequences ---------------------------------------------------------------------------------------

def test_grey_rgba_and_16bit_frames(tmp_path, capsys):
    seq = bf.sequence(tmp_path / "mixed", n=30, kinds=("grey8", "bgra8", "grey16", "bgr16", "bgr8"))
    code, out, err = run(capsys, "eval", seq, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["sequences"][0]["frames"] == 30 and doc["sequences"][0]["tp"] > 0
    code, _, err = run(capsys, "process", seq, "--out", tmp_path / "masks.zip")
    assert code == 0 and "wrote 30 frames" in err


def test_ground_truth_of_another_size(tmp_path, capsys):
    seq = bf.sequence(tmp_path / "seq", n=6, gt_size=(48, 36))
    line = refused(capsys, "eval", seq)
    assert "gt000001.png is 48x36" in line and "96x72" in line
    code, _, err = run(capsys, "process", seq, "--out", tmp_path / "m")  # process needs no ground truth
    assert code == 0, err


def test_ground_truth_values_outside_the_cdnet_levels(tmp_path, capsys):
    seq = bf.sequence(tmp_path / "seq", n=6, gt_value=128)
    line = refused(capsys, "eval", seq)
    assert "gt000001.png" in line and "[128]" in line and "CDnet levels" in line


def test_missing_frames_and_ground_truth_pair_by_number(tmp_path, capsys):
    """Frames 8-9 missing, GT 15 and 20 missing: each frame is scored against its own GT."""
    seq = bf.sequence(tmp_path / "gappy", n=40, skip_frames=(8, 9), skip_gt=(15, 20), temporal="1 40")
    code, out, err = run(capsys, "eval", seq, "--json", "--no-post")
    assert code == 0, err
    said = " ".join(notes(err))
    assert "2 frame number(s) missing" in said and "the first is 8" in said
    assert "2 of 38 frames have no ground truth" in said and "in000015.png" in said
    assert "2 ground-truth file(s) match no frame" in said  # gt000008, gt000009
    s = Sequence(seq)
    assert sum(s.scored(i) for i in range(len(s))) == 36
    i15 = [p.name for p in s.frame_files].index("in000016.png")
    assert s.gt_files[s._gt_of[i15]].name == "gt000016.png"  # not shifted by the missing files
    assert json.loads(out)["sequences"][0]["frames"] == 38


@pytest.mark.parametrize("text, words", [
    ("100 200", "no frame would be scored"),
    ("30 5", "expected 0 <= first <= last"),
    ("-3 10", "expected 0 <= first <= last"),
    ("first last", "two frame numbers"),
])
def test_temporal_roi_out_of_range(tmp_path, capsys, text, words):
    seq = bf.sequence(tmp_path / "seq", n=10, temporal=text)
    line = refused(capsys, "eval", seq)
    assert "temporalROI.txt" in line and words in line


def test_temporal_roi_past_the_end_scores_up_to_the_last_frame(tmp_path, capsys):
    seq = bf.sequence(tmp_path / "seq", n=10, temporal="3 5000")
    code, out, err = run(capsys, "eval", seq, "--json")
    assert code == 0, err
    assert Sequence(seq).scored_indices == list(range(2, 10))


def test_file_names_that_are_not_utf8(tmp_path):
    """Latin-1 bytes in the folder and frame names: processed and printed as \\xNN, even to a
    terminal that accepts nothing but UTF-8."""
    seq = bf.nonutf8_sequence(tmp_path)
    s = Sequence(seq)
    assert s.name == "caf\\xe9" and len(s) == 12 and s.has_ground_truth
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    r = subprocess.run([sys.executable, "-m", "bgapp", "eval", os.fsencode(seq)], capture_output=True, cwd=ROOT,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b"caf\\xe9" in r.stdout and b"Traceback" not in r.stderr
    broken = Path(os.fsdecode(os.fsencode(seq) + b"/input/in000004-\xe9t\xe9.png"))
    broken.write_bytes(b"not a png")
    r = subprocess.run([sys.executable, "-m", "bgapp", "process", os.fsencode(seq), "--out",
                        os.fsencode(tmp_path / "m")], capture_output=True, cwd=ROOT, env=env, timeout=120)
    lines = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "in000004-\\xe9t\\xe9.png" in lines[0] and "Traceback" not in lines[0]


# zips --------------------------------------------------------------------------------------------------

def extracted_dirs() -> set[Path]:
    gc.collect()
    return set(Path(tempfile.gettempdir()).glob("bgapp-zip-*"))


@pytest.mark.parametrize("name", list(bf.evil_zips()))
def test_hostile_zips_are_refused(tmp_path, capsys, name):
    data, words = bf.evil_zips()[name]
    z = tmp_path / f"{name}.zip"
    z.write_bytes(data)
    before = extracted_dirs()
    line = refused(capsys, "eval", z)
    assert words in line
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    assert extracted_dirs() <= before, "a refused zip left its temp folder behind"


def test_a_good_zip_is_evaluated_and_its_files_are_gone_afterwards(tmp_path, capsys):
    seq = bf.sequence(tmp_path / "lobby", n=20)
    z = tmp_path / "lobby.zip"
    z.write_bytes(zip_folder(seq))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = subprocess.run([sys.executable, "-m", "bgapp", "eval", str(z), "--json"], capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp)}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not list(tmp.iterdir()), f"the extracted zip outlived the command: {list(tmp.iterdir())}"
    direct = main(["eval", str(seq), "--json"])
    assert direct == 0 and json.loads(capsys.readouterr().out)["overall"] == json.loads(r.stdout)["overall"]


# settings ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, words", bf.BAD_CONFIGS, ids=range(len(bf.BAD_CONFIGS)))
def test_bad_config_files(tmp_path, capsys, content, words):
    """One short line naming the file, the same words as the app's (both come from Config.from_json)."""
    cfg = tmp_path / "c.json"
    cfg.write_bytes(content)
    line = refused(capsys, "eval", "demo", "--config", cfg)
    assert words in line
    with pytest.raises(BgappError) as app_side:
        Config.from_json(content, "c.json")
    assert line == f"bgapp: error: {app_side.value}"
    assert line.startswith("bgapp: error: c.json: ") and len(line) <= bf.LONGEST_MESSAGE, line


@pytest.mark.parametrize("value, words", bf.BAD_SETS)
def test_bad_set_values(capsys, value, words):
    line = refused(capsys, "eval", "demo", "--set", value)
    assert words in line
