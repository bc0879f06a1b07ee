"""The learned model's card (``bgapp/models/card.json``) as the README's text, so the figures a reader
sees are the ones training measured: ``python -m bgapp.modelcard [README.md]`` rewrites the block
between :data:`BEGIN` and :data:`END`, and ``tests/test_learned.py`` checks that the README's block is
what the shipped card renders.

The table holds every method the card scored on each held-out sequence (the best of each column in
bold), then the published figures (:data:`bgapp.benchtable.LITERATURE`) for the CDnet categories among
those sequences: a reference measured on all of CDnet 2014, not the same experiment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .benchtable import LITERATURE, markdown_table

BEGIN = "<!-- model-card: generated from bgapp/models/card.json by `python -m bgapp.modelcard`; do not edit -->"
END = "<!-- /model-card -->"
TARGET_MEAN = 0.78  # issue 21's bar for the mean F over the held-out sequences


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def table(card: dict[str, Any]) -> str:
    """The held-out F-measures of every method on the card, the mean, and the published rows.

    Examples
    --------
    >>> card = {"f_measure": {"bmn_bsn": {"baseline/highway": 0.9, "sbi/Board": 0.8, "mean": 0.85},
    ...                       "median": {"baseline/highway": 0.88, "sbi/Board": 0.7, "mean": 0.79}}}
    >>> print(table(card))
    | method | highway | Board | mean |
    |---|---:|---:|---:|
    | **bmn_bsn** | **0.900** | **0.800** | **0.850** |
    | median | 0.880 | 0.700 | 0.790 |
    | GMM (Stauffer & Grimson), published (CDnet baseline category) | 0.825 |  |  |
    | SuBSENSE, published (CDnet baseline category) | 0.950 |  |  |
    | PAWCS, published (CDnet baseline category) | 0.940 |  |  |
    | BMN-BSN, published (CDnet baseline category) | 0.952 |  |  |
    """
    scores: dict[str, dict[str, float]] = card["f_measure"]
    sequences = [k for k in next(iter(scores.values())) if k != "mean"]
    columns = [*sequences, "mean"]
    best = {c: max(s[c] for s in scores.values()) for c in columns}

    def cell(value: float, column: str) -> str:
        return f"**{value:.3f}**" if value == best[column] else f"{value:.3f}"

    rows = [[f"**{method}**" if method == "bmn_bsn" else method, *(cell(row[c], c) for c in columns)]
            for method, row in scores.items()]
    for pub in LITERATURE:
        figures = [pub.f_measure.get(s.split("/")[0]) for s in sequences]
        if any(f is not None for f in figures):
            categories = sorted({s.split("/")[0] for s in sequences if s.split("/")[0] in pub.f_measure})
            rows.append([f"{pub.method}, published (CDnet {', '.join(categories)} category)",
                         *("" if f is None else f"{f:.3f}" for f in figures), ""])
    return markdown_table(["method", *(s.split("/")[-1] for s in sequences), "mean"], rows)


def _shadows(training: dict[str, Any]) -> str:
    """The cast shadows' part of the recipe, where the card records it (cards before issue 21's
    fourth model left shadows out of the loss and do not)."""
    if training.get("shadow_label") != "background":
        return ""
    return f", {training['shadows']:.0%} of them casting a shadow; every cast shadow labelled background"


def _negatives(training: dict[str, Any]) -> str:
    """The photographic negatives, where the run asked for them (older cards predate the option)."""
    said = [f"{training[k]:.0%} of {what} turned to their negative"
            for k, what in (("negative", "batch scenes"), ("negative_objects", "pasted objects")) if training.get(k)]
    return "; " + ", ".join(said) if said else ""


def _linger(training: dict[str, Any]) -> str:
    """The objects that stay a while, where the run asked for them (older cards predate the option)."""
    if not training.get("linger"):
        return ""
    return (f"; in {training['linger']:.0%} of batch scenes one object stays a while: foreground in every "
            "target and also in some of the references (never all)")


def _weights(training: dict[str, Any]) -> str:
    """Which weights ship, where the run averaged them (cards before it shipped the last step's)."""
    decay = training.get("ema", 0.0)
    if not decay:
        return ""
    start = training.get("ema_start", 0)
    begun = f", begun at step {start:,} of {training['steps']:,}" if start else ""
    return f"; the shipped model is an exponential moving average of its weights (decay {decay} a step{begun})"


def _spread(net: dict[str, Any]) -> str:
    """The modeler's given channels, where the run asked for them (older cards predate the option)."""
    n = net.get("bmn", {}).get("spread", 0)
    if not n:
        return ""
    return (f", the modeler's last {n} of {net['model_channels']} channels each colour's standard deviation "
            "over the references (given, not learned)")


def _refine(net: dict[str, Any]) -> str:
    """The last stage's reach, where it is wider than one pixel (older cards: pixel by pixel)."""
    kernel = net.get("bsn", {}).get("refine", "1x1").split(",")[0]
    return "" if kernel == "1x1" else f" ({kernel} convolutions: each pixel with its neighbours)"


def _validation(card: dict[str, Any]) -> str:
    """The validation scenes' figure, where the run left some training scenes out to choose on."""
    scores = card.get("validation", {})
    if "bmn_bsn" not in scores:
        return ""
    scenes = ", ".join(k for k in scores["bmn_bsn"] if k != "mean")
    median = f" (the median's {scores['median']['mean']:.3f})" if "median" in scores else ""
    return (f" Training scenes left out of training and calibration, to compare runs on ({scenes}): "
            f"mean F {scores['bmn_bsn']['mean']:.3f}{median}.")


def _continued(t: dict[str, Any]) -> str:
    """Where a run started from another's weights (``--init``) and learned from others' answers
    (``--teacher``): the time those took counts towards the model's."""
    text, start, lead = "", t.get("init"), ", starting from the weights of"
    while start:  # a chain of continued runs, newest first
        took = _duration(start["train_seconds"])
        text += f"{lead} a run of {start['steps']:,} steps from seed {start['seed']} ({took})"
        start, lead = start.get("init"), ", itself started from"
    if t.get("teacher"):
        seeds = ", ".join(str(m["seed"]) for m in t["teacher"])
        text += (f", learning the labels and, as soft targets (weight {t['distil']:g}), the mean probability "
                 f"of {len(t['teacher'])} finished runs (seeds {seeds})")
    return text


def _trained(t: dict[str, Any]) -> str:
    """How long, where and from which seed(s): one run, or an ensemble's members (trained alike)."""
    where = f"{t['machine']}, {t['threads']} threads, torch {t['torch']}"
    members = t.get("members")
    if not members:
        return (f"Trained for {t['steps']:,} steps in {_duration(t['train_seconds'])} ({where}, seed {t['seed']})"
                f"{_continued(t)}")
    seeds = ", ".join(str(m["seed"]) for m in members)
    times = " and ".join(_duration(m["train_seconds"]) for m in members)
    return (f"An ensemble of {len(members)} runs trained alike from seeds {seeds}, the mean of their "
            f"probabilities thresholded; each trained for {t['steps']:,} steps ({times}; {where})")


def summary(card: dict[str, Any]) -> str:
    """One paragraph: what was trained on what, for how long, and how the held-out figures stand
    against the bars (mean F, the median on highway, GMM's published figure per CDnet category)."""
    t, d, net = card["training"], card["data"], card["networks"]
    (w, h), (fw, fh) = net["input_size"], net["fine_size"]
    scores = card["f_measure"]
    ours = scores["bmn_bsn"]
    parts = [
        f"{_trained(t)} on {len(d['real'])} real scenes of "
        f"`../shared/data/train/` ({d['real_frames']:,} frames) and {d['synthetic_clips']} synthetic clips "
        f"({t['real_share']:.0%} of batch scenes real, {t['grey']:.0%} turned grey; {t['pasted_objects']} objects "
        f"cut from the real scenes' labels pasted into {t['paste']:.0%} of targets{_shadows(t)}"
        f"{_negatives(t)}{_linger(t)}){_weights(t)}; "
        f"both U-Nets at {w}x{h}, the subtractor's last stage at {fw}x{fh}{_refine(net)}{_spread(net)}; "
        f"threshold {card['threshold']} chosen on the training scenes.{_validation(card)}",
    ]
    mean_bar = "met" if ours["mean"] >= TARGET_MEAN else "not met"
    parts.append(f"Mean F on the held-out sequences {ours['mean']:.3f} (bar {TARGET_MEAN}: {mean_bar}).")
    highway = next((k for k in ours if k.endswith("/highway")), None)
    if highway and "median" in scores:
        m = scores["median"][highway]
        parts.append(f"Highway {ours[highway]:.3f} against the median's {m:.3f} "
                     f"({'met' if ours[highway] >= m else 'not met'}).")
    gmm = next((p for p in LITERATURE if p.method.startswith("GMM")), None)
    if gmm:
        for category in sorted({k.split("/")[0] for k in ours if k.split("/")[0] in gmm.f_measure}):
            mine = [v for k, v in ours.items() if k.split("/")[0] == category]
            f = sum(mine) / len(mine)
            parts.append(f"CDnet {category}: {f:.3f} against GMM's published {gmm.f_measure[category]:.3f} "
                         f"({'beaten' if f > gmm.f_measure[category] else 'not beaten'}).")
    return " ".join(parts)


def block(card: dict[str, Any]) -> str:
    """The README's generated block, markers included."""
    return f"{BEGIN}\n{summary(card)}\n\n{table(card)}\n{END}"


def rewrite(text: str, card: dict[str, Any]) -> str:
    """``text`` with its block between the markers replaced by the card's."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no block between {BEGIN!r} and {END!r}")
    return text[:start] + block(card) + text[end + len(END):]


def main(argv: list[str] | None = None) -> int:
    from .bmn_bsn import card

    args = sys.argv[1:] if argv is None else argv
    readme = Path(args[0] if args else "README.md")
    try:
        readme.write_text(rewrite(readme.read_text(), card()))
    except (OSError, ValueError, KeyError) as e:  # no such file, no block, a card without scores
        print(f"error: {readme}: {e}", file=sys.stderr)
        return 2
    print(f"rewrote the model card's block in {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
