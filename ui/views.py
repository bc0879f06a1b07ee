"""Small display helpers shared by the pages: inline JPEG frames, the error legend and the sentence
saying which frames are scored. The combined JPEG per frame (its :class:`Grid`) and the number
formatting for metrics are the engine's (:mod:`bgapp.display`, used by :mod:`bgapp.player`) and keep
their names here."""

from __future__ import annotations

import base64

from bgapp.display import Grid, combined, fmt  # noqa: F401 - the pages' names for the engine's helpers
from bgapp.evaluate import FEW_SCORED, scored_span
from bgapp.metrics import ERROR_COLOURS, ERROR_LABELS, Counts
from bgapp.source import Source


def inline_jpeg(jpeg: bytes, alt: str = "frame") -> str:
    """An ``<img>`` carrying ``jpeg`` inline (a data URI), for ``st.html`` during playback.

    ``st.image`` stores each frame on the media endpoint and the browser fetches it over HTTP: at
    video rate the next frame replaces the element before the fetch ends, and about half the
    frames are never seen (12 of 25 per second measured with bench/bench_playback.py). Inline
    bytes arrive with the message that shows them, so every frame sent is drawn.
    """
    data = base64.b64encode(jpeg).decode("ascii")
    return f'<img alt="{alt}" style="width:100%;display:block" src="data:image/jpeg;base64,{data}">'


class Html:
    """A ready HTML body for ``st.html``, which uses an object's ``_repr_html_`` as it is: a plain
    ``str`` body is dedented and checked against the file system first, 0.7 ms for a 640x480
    frame's 40 KB, every frame of playback (0.05 ms this way)."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return self.body


def error_legend() -> str:
    """HTML swatches for the error image, from the engine's colours and labels."""
    items = []
    for key, (b, g, r) in ERROR_COLOURS.items():
        items.append(
            f"<span style='display:inline-block;width:0.9em;height:0.9em;background:rgb({r},{g},{b});"
            f"border:1px solid #888;vertical-align:middle;margin:0 0.3em 0 0.8em'></span>{ERROR_LABELS[key]}"
        )
    return "<div style='font-size:0.85em'>Errors image: " + "".join(items) + "</div>"


def counts_line(c: Counts) -> str:
    return f"TP {c.tp:,} · FP {c.fp:,} · FN {c.fn:,} · TN {c.tn:,}"


def scored_note(source: Source, processed: int | None = None) -> str:
    """Which frames of ``source`` are scored and why the first ones show no score (CDnet's
    temporal ROI), plus, given the number of frames ``processed`` from the start, how many of
    those count. Frames are numbered from 1 by position, as the pages' frame sliders are.
    Empty for a clip without ground truth. One sentence for every page that shows scores.
    """
    if not source.has_ground_truth:
        return ""
    span = scored_span(source)
    if span is None:
        return "No frame of this clip is scored: none has ground truth inside its temporal ROI."
    a, b = span.first + 1, span.last + 1
    if span.from_file:
        where = " (temporalROI.txt"
        if span.numbers is not None and span.numbers != (a, b):
            where += f": files {span.numbers[0]}–{span.numbers[1]} in their own numbering"
        where += ")"
    elif span.temporal_roi is not None:
        where = " (the demo's temporal ROI)" if source.path == "demo" else " (temporal ROI)"
    else:
        where = " (every frame with ground truth: there is no temporalROI.txt)"
    text = f"Scored: frames {a}–{b}{where}"
    if span.count != b - a + 1:
        text += f", the {span.count} of them with ground truth"
    if span.warmup:
        text += "; earlier frames are the model's warm-up and CDnet does not score them."
    elif span.first:
        text += "; earlier frames have no ground truth and are not scored."
    else:
        text += "; every frame counts, the model's first ones (while it learns the background) included."
    if processed is not None:
        processed = min(processed, span.frames)
        k = span.scored_within(processed)
        if k == 0:
            text += f" None of the {processed} frames processed so far is scored: scoring starts at frame {a}."
        elif k < FEW_SCORED:
            text += (f" Only {k} of the {processed} processed frames {'is' if k == 1 else 'are'} scored: "
                     "an F-measure over so few frames says little; process more frames.")
        else:
            text += f" {k} of the {processed} processed frames are scored."
    return text


def too_few_scored(source: Source, processed: int) -> bool:
    """Whether a score over the first ``processed`` frames rests on fewer than FEW_SCORED frames."""
    span = scored_span(source)
    return span is not None and span.scored_within(processed) < FEW_SCORED
