"""A benchmark table: methods' F-measures per sequence, per category and overall (the CDnet way),
beside the published per-category figures of GMM, SuBSENSE, PAWCS and BMN-BSN.

Every (method, sequence) pair is one independent task (:func:`bgapp.distributed.evaluate_spec`),
so a table runs on a Dask cluster as it runs in this process; each method's figures are exactly
those ``bgapp eval`` gives for it. The published figures come from the sources named in
:data:`LITERATURE`; they were measured on all of CDnet 2014 (or the paper's own split), so beside a
user's own sequences they are a reference, not the same experiment, and they are shown only for
the categories of the data that are CDnet 2014 categories (:meth:`BenchTable.published_note` says
why they are absent otherwise). Rows carry each method's title and are sorted by overall F, best
first; :func:`estimate` says before a run about how long it will take.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .config import Config
from .distributed import Progress, evaluate_grid
from .errors import BgappError
from .evaluate import SequenceResult, report
from .methods import METHODS, get_method

CDNET_CATEGORIES = ("baseline", "cameraJitter", "dynamicBackground", "intermittentObjectMotion", "shadow",
                    "thermal", "badWeather", "lowFramerate", "nightVideos", "PTZ", "turbulence")


@dataclass(frozen=True)
class Published:
    """One method's published F-measure per CDnet 2014 category, and where it was published."""

    method: str
    source: str
    f_measure: dict[str, float]


_CDNET_SITE = "changedetection.net, CDnet 2014 results by category (jacarini.dinf.usherbrooke.ca/results2014)"


def _cdnet(method: str, figures: tuple[float, ...], overall: float) -> Published:
    """A method's figures on the CDnet 2014 website, in :data:`CDNET_CATEGORIES` order; ``overall`` is the
    site's average over the eleven categories, which the figures must reproduce (a transcription check)."""
    pub = Published(method, f"{_CDNET_SITE}; overall {overall:.4f}", dict(zip(CDNET_CATEGORIES, figures)))
    assert abs(sum(figures) / len(CDNET_CATEGORIES) - overall) < 1e-4, method
    return pub


# Published per-category F-measures, all on the full CDnet 2014 evaluation of the website (which scores the
# ground truth it never released too) except BMN-BSN's, from its paper.
LITERATURE: tuple[Published, ...] = (
    _cdnet("GMM (Stauffer & Grimson)",
           (0.8245, 0.5969, 0.6330, 0.5207, 0.7370, 0.6621, 0.7380, 0.5373, 0.4097, 0.1522, 0.4663), 0.5707),
    _cdnet("SuBSENSE", (0.9503, 0.8152, 0.8177, 0.6569, 0.8986, 0.8171, 0.8619, 0.6445, 0.5599, 0.3476, 0.7792),
           0.7408),
    _cdnet("PAWCS", (0.9397, 0.8137, 0.8938, 0.7764, 0.8913, 0.8324, 0.8152, 0.6588, 0.4152, 0.4615, 0.6450),
           0.7403),
    Published("BMN-BSN", "Mondéjar-Guerra et al., BMVC 2019 (full-size model, GPU; baseline category only)",
              {"baseline": 0.952}),
)


@dataclass(frozen=True)
class Entry:
    """One row of the table: a label (the method's title, or a preset's), the config it runs, and the
    sequences it was tuned on. ``config.method`` is the method's name (``mog2``), as CSV and JSON give it."""

    label: str
    config: Config
    tuned_on: tuple[str, ...] = ()


def entries(methods: Sequence[str] | None = None, presets: bool = False) -> tuple[list[Entry], dict[str, str]]:
    """The rows to run: each method at its defaults (every available one when ``methods`` is None),
    then with ``presets`` every shipped preset; and the methods left out, with why. A method named
    explicitly that cannot run here is an error, not a silent gap."""
    skipped: dict[str, str] = {}
    rows: list[Entry] = []
    for name in methods if methods is not None else list(METHODS):
        cls = get_method(name)
        if not cls.available():
            reason = cls.unavailable_reason() or "not available here"
            if methods is not None:
                raise BgappError(f"{name}: {reason}")
            skipped[name] = reason
            continue
        rows.append(Entry(cls.title, Config(name)))
    if presets:
        from .presets import list_presets

        for p in list_presets():
            if get_method(p.config.method).available():
                rows.append(Entry(f"{p.title} (preset, {get_method(p.config.method).title})", p.config,
                                  tuple(p.tuned_on)))
            else:
                skipped[p.name] = get_method(p.config.method).unavailable_reason() or "not available here"
    if not rows:
        raise BgappError("no method to run: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    return rows, skipped


@dataclass
class BenchTable:
    """The measured results of every entry on every sequence, and the published figures beside them."""

    entries: list[Entry]
    results: list[list[SequenceResult]]  # per entry, per sequence (the same order for every entry)
    post: bool = True
    skipped: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)  # sequence (as shown) -> why it could not be scored

    def __post_init__(self) -> None:
        """Sequences that could not be scored for some entry are left out of every row (so each row
        covers the same sequences) and listed in ``left_out``; entries sorted by overall F-measure,
        best first (undefined last; ties keep their order)."""
        for rs in self.results:
            for r in rs:
                if r.error:
                    self.left_out.setdefault(r.path, r.error)
        self.results = [[r for r in rs if r.path not in self.left_out] for rs in self.results]

        def overall(k: int) -> float:
            f = report(self.results[k])["overall"]["f_measure"]
            return -math.inf if math.isnan(f) else f

        order = sorted(range(len(self.entries)), key=lambda k: -overall(k))
        self.entries = [self.entries[k] for k in order]
        self.results = [self.results[k] for k in order]

    @property
    def sequences(self) -> list[SequenceResult]:
        return self.results[0] if self.results else []

    @property
    def categories(self) -> list[str]:
        """The categories present, in CDnet's order first, then the others as they come."""
        present = list(dict.fromkeys(r.category or r.name for r in self.sequences))
        return [c for c in CDNET_CATEGORIES if c in present] + [c for c in present if c not in CDNET_CATEGORIES]

    def reports(self) -> list[dict[str, Any]]:
        """Each entry's ``bgapp eval --json`` document."""
        return [report(rs) for rs in self.results]

    def published(self) -> list[Published]:
        """The published methods with a figure for at least one category present, best mean first
        (over the categories present that they have a figure for)."""
        cats = set(self.categories)
        found = [p for p in LITERATURE if cats & set(p.f_measure)]
        return sorted(found, key=lambda p: -_mean([p.f_measure[c] for c in self.categories if c in p.f_measure]))

    def published_note(self) -> str:
        """Why published figures are absent, for all or some of the categories ("" when every
        category present is a CDnet 2014 category)."""
        other = [c for c in self.categories if c not in CDNET_CATEGORIES]
        if not other:
            return ""
        names = ", ".join(f"'{c}'" for c in other)
        what = f"the categor{'y' if len(other) == 1 else 'ies'} {names} {'is' if len(other) == 1 else 'are'} not"
        demo = " (the demo is a synthetic scene)" if any(r.name == "demo" for r in self.sequences) else ""
        rule = ("published per-category figures do not apply to " + ("it" if len(other) == 1 else "them"))
        head = "No published figures" if len(other) == len(self.categories) else "Published figures only for " + \
            ", ".join(c for c in self.categories if c in CDNET_CATEGORIES)
        kind = "a CDnet 2014 category" if len(other) == 1 else "CDnet 2014 categories"
        return (f"{head}: {what} {kind}{demo}, so the {rule}. "
                "They sit beside the results for sequences of CDnet 2014's categories (baseline, cameraJitter, "
                "dynamicBackground, shadow, ...), found in folders named after them.")

    def tuned_here(self, entry: Entry, result: SequenceResult) -> bool:
        """Whether ``entry`` was tuned on this very sequence (its score there is no held-out claim)."""
        return any(result.path.rstrip("/").endswith(t.rstrip("/")) for t in entry.tuned_on)

    def rows(self) -> list[dict[str, Any]]:
        """One row per figure (long format): measured per sequence, category and overall, and published
        per category; what the CSV holds."""
        out: list[dict[str, Any]] = []
        for entry, rep, results in zip(self.entries, self.reports(), self.results):
            base = {"kind": "measured", "method": entry.label, "config": entry.config.method, "source": "bgapp"}
            for r in results:
                out.append({**base, "category": r.category or r.name, "sequence": r.name, "frames": r.frames,
                            "scored": r.scored, "f_measure": r.counts.f_measure,
                            "tuned_on_this": self.tuned_here(entry, r)})
            for cat, figures in rep["categories"].items():
                out.append({**base, "category": cat, "sequence": "", "f_measure": figures["f_measure"]})
            out.append({**base, "category": "overall", "sequence": "", "f_measure": rep["overall"]["f_measure"]})
        for p in self.published():
            for cat in self.categories:
                if cat in p.f_measure:
                    out.append({"kind": "published", "method": p.method, "config": "", "source": p.source,
                                "category": cat, "sequence": "", "f_measure": p.f_measure[cat]})
        return out

    def to_csv(self) -> str:
        cols = ["kind", "method", "config", "category", "sequence", "frames", "scored", "f_measure", "tuned_on_this",
                "source"]
        buf = io.StringIO()
        w = csv.DictWriter(buf, cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in self.rows():
            w.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()})
        return buf.getvalue()

    def category_table(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the per-category table: measured entries, then the published methods.
        A published row's last cell is its mean over the categories present (CDnet's overall is over
        all eleven), where it has a figure for each of them."""
        cats = self.categories
        header = ["method", *cats, "overall"]
        rows = []
        for entry, rep in zip(self.entries, self.reports()):
            rows.append([entry.label, *(_f(rep["categories"][c]["f_measure"]) for c in cats),
                         _f(rep["overall"]["f_measure"])])
        for p in self.published():
            known = [p.f_measure[c] for c in cats if c in p.f_measure]
            mean = _f(_mean(known)) if len(known) == len(cats) else ""
            rows.append([f"{p.method} (published)", *(_f(p.f_measure[c]) if c in p.f_measure else "" for c in cats),
                         mean])
        return header, rows

    def sequence_table(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the per-sequence table (``*``: the entry was tuned on that sequence), and
        a last row with the frames each sequence was scored on (few where labels are sparse)."""
        seqs = self.sequences
        header = ["method", *(r.label for r in seqs)]
        rows = [[entry.label, *(_f(r.counts.f_measure) + ("*" if self.tuned_here(entry, r) else "") for r in results)]
                for entry, results in zip(self.entries, self.results)]
        rows.append(["(frames scored)", *(f"{r.scored:,} of {r.frames:,}" for r in seqs)])
        return header, rows

    def to_markdown(self) -> str:
        parts = ["F-measure per category (CDnet 2014 rules: counts summed per sequence, mean over a "
                 "category's sequences, overall = mean over categories; a published row's overall is its mean "
                 "over the categories shown); " + ("post-processing on." if self.post else "no post-processing."),
                 "",
                 markdown_table(*self.category_table()), "", "F-measure per sequence.", "",
                 markdown_table(*self.sequence_table())]
        if any(self.tuned_here(e, r) for e, rs in zip(self.entries, self.results) for r in rs):
            parts += ["", "\\* tuned on this sequence: not a held-out score."]
        published = self.published()
        if published:
            parts += ["", "Published figures (measured by their authors on the whole category, not on these "
                          "sequences alone):"]
            parts += [f"- {p.method}: {p.source}" for p in published]
        if self.published_note():
            parts += ["", self.published_note()]
        if self.skipped:
            parts += ["", "Not run here: " + "; ".join(f"{k} ({v})" for k, v in self.skipped.items())]
        if self.left_out:
            parts += ["", "Left out (could not be scored): "
                      + "; ".join(f"{k} ({v})" for k, v in self.left_out.items())]
        few = self.few_scored()
        if few:
            parts += ["", "Few scored frames: " + "; ".join(few)]
        return "\n".join(parts) + "\n"

    def few_scored(self) -> list[str]:
        """The warnings of :func:`~bgapp.evaluate.scoring_warnings` for the table's sequences."""
        from .evaluate import scoring_warnings

        return scoring_warnings(self.sequences)

    def to_dict(self) -> dict[str, Any]:
        """The ``bgapp bench-table --json`` document."""
        return {
            "post": self.post,
            "methods": [{"label": e.label, "config": e.config.to_dict(), "tuned_on": list(e.tuned_on), **rep}
                        for e, rep in zip(self.entries, self.reports())],
            "published": [{"method": p.method, "source": p.source,
                           "f_measure": {c: p.f_measure[c] for c in self.categories if c in p.f_measure}}
                          for p in self.published()],
            "published_note": self.published_note(),
            "skipped": self.skipped,
            "left_out": self.left_out,
        }


def _f(x: float) -> str:
    return f"{x:.3f}"


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, the first column left-aligned and the figures right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def run_bench(specs: Iterable[str], rows: list[Entry], post: bool = True, workers: int | None = None,
              scheduler: str | None = None, progress: Progress | None = None,
              skipped: dict[str, str] | None = None) -> BenchTable:
    """Evaluate every entry on every sequence ``specs`` name, one task per (entry, sequence)."""
    results = evaluate_grid(specs, [e.config for e in rows], post, workers, scheduler, progress)
    return BenchTable(rows, results, post, dict(skipped or {}))


# How long a table takes ------------------------------------------------------------------------

# Milliseconds per 320x240 frame of each method at its defaults, post-processing and scoring
# included: ``evaluate(SyntheticScene(), Config(name))`` over the demo's 300 frames (the wall time
# divided by 300; :func:`measure_cost` does it), measured on a 2-core machine that was running other
# jobs (load average 2-3), 2026-12-05. They scale roughly with the pixels of a frame; a machine with
# more or faster cores runs faster. The basis of :func:`estimate`, not a promise.
COST_MS: dict[str, float] = {
    "mog2": 2.2, "knn": 2.9, "absdiff": 0.7, "frame_diff": 0.7, "ssim": 1.3, "median": 1.0, "sigma_delta": 2.6,
    "gmg": 6.3, "cnt": 0.8, "gsoc": 4.2, "lsbp": 12.4, "mog": 2.0, "bmn_bsn": 10.2,
    "subsense": 46.8, "pawcs": 92.0, "lobster": 23.5, "vibe": 1.3, "pbas": 10.9, "codebook": 3.0, "imbs": 7.4,
    "sobs": 7.3, "two_points": 1.2, "fuzzy_choquet": 17.1,
}
COST_PIXELS = 320 * 240
DEFAULT_COST_MS = 10.0  # assumed for a method with no measured figure (the estimate names it)
CLUSTER_START_S = 5.0  # starting local Dask workers, roughly
# What a frame read from files costs beyond the demo's generated ones (in COST_MS already): decoding a
# 320x240 frame and its ground-truth mask takes 1.1 ms on CDnet highway, the demo's frames 0.4 ms.
# Measured on the same machine, idle; other formats differ (SBI Board, mog2: 3 ms a 200x164 frame).
FILE_READ_MS = 0.7
# The share of a frame's cost that does not shrink with its size (per-frame set-up, the Python around
# the method): PAWCS takes 53 ms on SBI Foliage's 200x144 frames where its pixels alone say 35, SuBSENSE
# 21 where they say 18, MOG2 1.6 where they say 0.8.
FIXED_SHARE = 0.3


class Shape(NamedTuple):
    """What the estimate needs of a sequence: its frames, pixels per frame, and whether they come from
    files (the demo's are generated, which its measured costs already include)."""

    frames: int
    pixels: int
    files: bool = False


def measure_cost(method: str, frames: int = 300) -> float:
    """Milliseconds per frame of ``method`` at its defaults on the demo scene (what :data:`COST_MS` holds)."""
    import time

    from .evaluate import evaluate
    from .synthetic import SyntheticScene

    t0 = time.perf_counter()
    result = evaluate(SyntheticScene(n_frames=frames), Config(method))
    return 1000 * (time.perf_counter() - t0) / max(result.frames, 1)


def sequence_shapes(specs: Iterable[str]) -> list[Shape]:
    """The :class:`Shape` of every sequence ``specs`` name (as ``bgapp eval`` expands them)."""
    from .distributed import find_specs, open_spec

    out = []
    for spec in find_specs([str(s) for s in specs]).specs:  # those left out are not run
        src = open_spec(spec)
        w, h = src.size
        out.append(Shape(len(src), w * h, spec != "demo" and not spec.startswith("case:")))  # generated frames
    return out


@dataclass(frozen=True)
class Estimate:
    """About how long a table takes: see :func:`estimate`."""

    seconds: float
    runs: int  # (method, sequence) runs
    frames: int  # frames of every sequence together (each run once per method)
    workers: int
    unmeasured: tuple[str, ...] = ()  # methods with no measured cost (DEFAULT_COST_MS assumed)

    def text(self) -> str:
        from .tuning import duration_text

        where = "in this process" if self.workers == 1 else f"on {self.workers} workers"
        about = "under a second" if self.seconds < 1 else f"about {duration_text(self.seconds)}"
        out = (f"Estimate: {about} {where} for {self.runs} (method, sequence) runs (each "
               f"method over {self.frames:,} frames), from each method's cost measured on the demo (320x240, a 2-core "
               "machine) scaled by frame size; a busy or faster machine differs.")
        if self.unmeasured:
            out += (f" No measured cost for {', '.join(self.unmeasured)}: {DEFAULT_COST_MS:g} ms a 320x240 frame "
                    "assumed.")
        return out


def estimate(shapes: Sequence[tuple[int, int] | tuple[int, int, bool]], methods: Sequence[str],
             workers: int = 1) -> Estimate:
    """About how long running ``methods`` (names; a preset counts as its method) on sequences of
    ``shapes`` (:class:`Shape`, from :func:`sequence_shapes`) takes: each run costs its method's
    :data:`COST_MS`, plus :data:`FILE_READ_MS` for frames read from files, scaled by pixels (all but
    :data:`FIXED_SHARE` of it), times frames. On several workers the runs share
    ``min(workers, cores, runs)`` processes, the longest run sets a floor, and starting them adds
    :data:`CLUSTER_START_S`."""
    unmeasured = tuple(dict.fromkeys(m for m in methods if m not in COST_MS))
    seqs = [Shape(*s) for s in shapes]
    runs = [(COST_MS.get(m, DEFAULT_COST_MS) + FILE_READ_MS * q.files) * q.frames / 1000
            * (FIXED_SHARE + (1 - FIXED_SHARE) * q.pixels / COST_PIXELS) for m in methods for q in seqs]
    total = sum(runs)
    if workers > 1 and runs:
        par = max(1, min(workers, os.cpu_count() or 1, len(runs)))
        total = max(total / par, max(runs)) + CLUSTER_START_S
    return Estimate(total, len(runs), sum(q.frames for q in seqs), workers, unmeasured)
