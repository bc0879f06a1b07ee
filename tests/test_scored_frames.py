"""Which frames CDnet scores, said in one sentence for every page that shows scores."""

from __future__ import annotations

from pathlib import Path

from bgapp.evaluate import scored_span
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene
from bgapp.video import Mp4Writer, VideoSource
from ui.views import scored_note, too_few_scored

from .conftest import need
from .factories import noise_sequence


def test_highway_scores_from_its_temporal_roi(shared_data: Path) -> None:
    seq = Sequence(need(shared_data / "cdnet" / "baseline" / "highway"))
    span = scored_span(seq)
    assert (span.first, span.last, span.count, span.warmup, span.from_file) == (469, 1699, 1231, 469, True)
    assert scored_note(seq) == ("Scored: frames 470–1700 (temporalROI.txt); earlier frames are the model's "
                                "warm-up and CDnet does not score them.")
    assert scored_note(seq, 300).endswith("None of the 300 frames processed so far is scored: scoring starts at "
                                          "frame 470.")
    assert scored_note(seq, 471).endswith("Only 2 of the 471 processed frames are scored: an F-measure over so "
                                          "few frames says little; process more frames.")
    assert too_few_scored(seq, 471) and not too_few_scored(seq, 1000)


def test_numbering_from_zero_and_no_temporal_roi(shared_data: Path) -> None:
    board = Sequence(need(shared_data / "sbi" / "Board"))  # files in000000.., temporalROI "1 227"
    assert scored_note(board, 1000) == (
        "Scored: frames 2–228 (temporalROI.txt: files 1–227 in their own numbering); earlier frames are the "
        "model's warm-up and CDnet does not score them. 227 of the 228 processed frames are scored.")
    foliage = Sequence(need(shared_data / "sbi" / "Foliage"))
    assert scored_note(foliage) == (
        "Scored: frames 1–389 (every frame with ground truth: there is no temporalROI.txt); every frame counts, "
        "the model's first ones (while it learns the background) included.")


def test_demo_and_clips_without_ground_truth(tmp_path: Path) -> None:
    assert scored_note(SyntheticScene()) == (
        "Scored: frames 41–300 (the demo's temporal ROI); earlier frames are the model's warm-up and CDnet does "
        "not score them.")
    video = tmp_path / "clip.mp4"
    with Mp4Writer(video) as w:
        for frame in SyntheticScene(n_frames=3).sample(3):
            w.write(frame)
    clip = VideoSource(video)
    assert scored_span(clip) is None
    assert scored_note(clip) == "" and not too_few_scored(clip, 10)
    # a sequence without ground truth says nothing either
    folder = tmp_path / "seq"
    noise_sequence(folder, n=3, gt=0)
    seq = Sequence(folder)
    assert scored_span(seq) is None and scored_note(seq) == ""
