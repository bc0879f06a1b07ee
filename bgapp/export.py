"""Export a config: as JSON, as a Roboflow Workflows document, or as a standalone Python script.

- ``json``: the config itself, reloadable by the app, ``bgapp eval --config`` and ``Config.load``.
- ``roboflow``: a Workflows document (NOTES, "Roboflow Workflows export targets") running MOG2 in
  ``roboflow_core/background_subtraction@v1`` (or ``motion_detection@v1``) followed by
  ``roboflow_core/morphological_transformation@v2`` steps where the post-processing can be
  expressed. What the blocks cannot express is listed in :attr:`Export.notes`; methods without a
  Roboflow block raise a BgappError.
- ``python``: a script that needs only OpenCV and numpy and reproduces the engine's masks pixel
  for pixel on image folders: ``python script.py INPUT OUTDIR``. It is :mod:`bgapp.standalone`
  copied verbatim, under a header, with the ``CONFIG`` it runs; each method says how it exports
  (``Method.script_model``).

Each format is one :class:`ExportFormat` in :data:`EXPORT_FORMATS`, which ``bgapp export
--format`` and the Evaluate page read.
"""

from __future__ import annotations

import json
import pprint
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from . import standalone
from .config import Config
from .errors import BgappError
from .methods import get_method
from .params import odd_kernel
from .registry import Registry

ROBOFLOW_BLOCKS = ("background_subtraction", "motion_detection")


@dataclass
class Export:
    """An exported document, its suggested file name, and what it could not carry over."""

    text: str
    filename: str
    mime: str
    notes: list[str] = field(default_factory=list)


# The formats: one class each; the CLI and the Evaluate page list what EXPORT_FORMATS holds -----------

class ExportFormat:
    """One export format: what the page and the CLI show of it, and how it writes a config."""

    name: ClassVar[str]  # what --format takes
    label: ClassVar[str]  # what the page's format choice shows
    ending: ClassVar[str]  # added to NAME_METHOD for the file name
    mime: ClassVar[str]
    language: ClassVar[str]  # for showing the text (st.code)
    notes_heading: ClassVar[str] = "Notes"  # above the list of notes on the page
    options: ClassVar[dict[str, dict[str, str]]] = {}  # option name -> {value: label}, the first the default
    executable: ClassVar[bool] = False  # a file written by the CLI is made executable

    def export(self, config: Config, stem: str, **options: Any) -> Export:
        """``config`` in this format, in a file named ``stem`` + :attr:`ending`."""
        text, notes = self.write(config, **options)
        return Export(text, stem + self.ending, self.mime, notes)

    def write(self, config: Config, **options: Any) -> tuple[str, list[str]]:
        """The document's text and the notes on what it could not carry over."""
        raise NotImplementedError

    def usage(self, filename: str) -> str | None:
        """How to use the downloaded file, where there is something to say."""
        return None


class JsonExport(ExportFormat):
    name, label, ending, mime, language = "json", "JSON config", ".json", "application/json", "json"

    def write(self, config: Config, **options: Any) -> tuple[str, list[str]]:
        return config.to_json() + "\n", []


class RoboflowExport(ExportFormat):
    name, label, ending, mime, language = "roboflow", "Roboflow Workflow", "-workflow.json", "application/json", "json"
    notes_heading = "Not expressed in the Roboflow workflow"
    options = {"roboflow_block": {"background_subtraction": "background_subtraction (a mask)",
                                  "motion_detection": "motion_detection (motion flag, detections)"}}

    def write(self, config: Config, roboflow_block: str = ROBOFLOW_BLOCKS[0], **options: Any) -> tuple[str, list[str]]:
        doc, notes = roboflow_workflow(config, roboflow_block)
        return json.dumps(doc, indent=2) + "\n", notes


class PythonExport(ExportFormat):
    name, label, ending, mime, language = "python", "Python script (OpenCV + numpy)", ".py", "text/x-python", "python"
    notes_heading = "Adjusted to fit OpenCV"
    executable = True

    def write(self, config: Config, **options: Any) -> tuple[str, list[str]]:
        notes: list[str] = []
        return python_script(config, notes), notes

    def usage(self, filename: str) -> str | None:
        return (f"Run it with `python {filename} INPUT OUTDIR`: INPUT is a video file or an image "
                "folder, OUTDIR receives mask000001.png, mask000002.png, ...")


EXPORT_FORMATS: Registry[ExportFormat] = Registry("export format", (JsonExport(), RoboflowExport(), PythonExport()))
FORMATS = tuple(EXPORT_FORMATS)


def export(config: Config, fmt: str, roboflow_block: str = "background_subtraction", name: str = "bgapp") -> Export:
    """Export ``config`` in ``fmt`` (one of FORMATS), as a file named ``NAME_METHOD`` + the format's ending."""
    return EXPORT_FORMATS.find(fmt).export(config, f"{name}_{config.method}", roboflow_block=roboflow_block)


# Roboflow Workflows ------------------------------------------------------------------------------

# What the Roboflow MOG2 blocks do with the values they do not expose (OpenCV's defaults).
_ROBOFLOW_FIXED = {"shadow_threshold": 0.5, "n_mixtures": 5, "background_ratio": 0.9,
                   "learning_rate": -1.0, "warmup_frames": 0}
_MORPH_OPS = {"open": "Opening", "close": "Closing", "dilate": "Dilation", "erode": "Erosion"}


def _equivalent_square(size: int, iterations: int) -> int:
    """One square kernel equal to ``iterations`` passes of a ``size`` square (dilations add up)."""
    return iterations * (size - 1) + 1


def roboflow_workflow(config: Config, block: str = "background_subtraction") -> tuple[dict[str, Any], list[str]]:
    """A Workflows document for ``config`` and the list of what it could not express."""
    if block not in ROBOFLOW_BLOCKS:
        raise BgappError(f"unknown Roboflow block {block!r}; choose one of: {', '.join(ROBOFLOW_BLOCKS)}")
    if config.method != "mog2":
        title = get_method(config.method).title
        raise BgappError(f"no Roboflow Workflows block runs {config.method} ({title}): Roboflow's "
                         "background_subtraction and motion_detection blocks run MOG2 only; export "
                         "--format python (or json) instead, or tune mog2")
    v, post, notes = config.params, config.post, []
    threshold = int(round(v["var_threshold"]))
    if threshold != v["var_threshold"]:
        notes.append(f"var_threshold {v['var_threshold']:g} is rounded to {threshold}: the block takes a whole number")
    by_name = {p.name: p for p in get_method("mog2").params}
    for key, fixed in _ROBOFLOW_FIXED.items():
        if v[key] != fixed and not (key == "shadow_threshold" and not v["detect_shadows"]) \
                and not (key == "warmup_frames" and v[key] == 0):
            notes.append(f"{key} = {v[key]!r} is dropped: the block always uses {fixed!r} "
                         f"({by_name[key].title.lower()})")
    if v["warmup_frames"] > 0:
        notes.append(f"warm-up ({v['warmup_frames']} frames at learning rate {v['warmup_rate']:g}) is dropped: "
                     "the block has no learning-rate schedule")
    counted = "foreground (keep_shadows)" if v["keep_shadows"] else "background"
    if v["detect_shadows"]:
        notes.append(f"shadows: the block marks shadow pixels grey (127) in its mask; bgapp counts them as "
                     f"{counted}: threshold the mask at {1 if v['keep_shadows'] else 254} downstream to match")
    else:
        notes.append("detect_shadows = False is dropped: the block always detects shadows and marks them grey "
                     "(127); threshold the mask at 1 downstream to count them as foreground, as bgapp does here")
    steps: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    if block == "motion_detection":
        kernel = odd_kernel(post["open"])[0]
        step = {"type": "roboflow_core/motion_detection@v1", "name": "motion", "image": "$inputs.image",
                "threshold": threshold, "history": int(v["history"]),
                "minimum_contour_area": int(post["min_area"]) if post["min_area"] > 1 else 200,
                "morphological_kernel_size": kernel if kernel > 1 else 3,
                "suppress_first_detections": True}
        steps.append(step)
        if post["min_area"] <= 1:
            notes.append("minimum_contour_area is set to the block's default 200 (bgapp keeps all blobs)")
        else:
            notes.append("min_area becomes minimum_contour_area: a contour's area, close to but not the "
                         "pixel count bgapp uses")
        if kernel <= 1:
            notes.append("morphological_kernel_size is set to the block's smallest useful 3 (bgapp's opening is off)")
        elif post["kernel_shape"] != "ellipse" or post["iterations"] != 1:
            notes.append("the block's opening uses one pass of an ellipse kernel: kernel_shape "
                         f"{post['kernel_shape']} and iterations {post['iterations']} are dropped")
        for name in ("close", "dilate", "erode"):
            if odd_kernel(post[name])[0] > 1:
                notes.append(f"post.{name} is dropped: motion_detection has no such step")
        if post["fill_holes"]:
            notes.append("post.fill_holes is dropped: no Roboflow block fills holes")
        for out in ("motion", "alarm", "detections", "motion_zones"):
            outputs.append({"type": "JsonField", "name": out, "selector": f"$steps.motion.{out}"})
    else:
        steps.append({"type": "roboflow_core/background_subtraction@v1", "name": "background_subtraction",
                      "image": "$inputs.image", "threshold": threshold, "history": int(v["history"])})
        last = "background_subtraction"
        it = int(post["iterations"])
        shape_noted = False
        for name in ("open", "close", "dilate", "erode"):
            size = odd_kernel(post[name])[0]
            if size <= 1:
                continue
            eq = _equivalent_square(size, it)
            step_name = {"open": "opening", "close": "closing", "dilate": "dilation", "erode": "erosion"}[name]
            steps.append({"type": "roboflow_core/morphological_transformation@v2", "name": step_name,
                          "image": f"$steps.{last}.image", "kernel_size": eq, "operation": _MORPH_OPS[name]})
            last = step_name
            if it > 1:
                notes.append(f"post.{name} {size} x {it} iterations becomes one {eq}x{eq} square kernel "
                             "(the same result for a square kernel)")
            if post["kernel_shape"] != "rect" and not shape_noted:
                notes.append(f"kernel_shape {post['kernel_shape']} becomes a square: the morphology block's "
                             "kernel is always a square")
                shape_noted = True
        if post["min_area"] > 1:
            notes.append(f"post.min_area {post['min_area']} is dropped: no Roboflow block removes small blobs "
                         "from a mask (motion_detection's minimum_contour_area filters its detections)")
        if post["fill_holes"]:
            notes.append("post.fill_holes is dropped: no Roboflow block fills holes")
        outputs.append({"type": "JsonField", "name": "mask", "selector": f"$steps.{last}.image"})
    doc = {"version": "1.0", "inputs": [{"type": "InferenceImage", "name": "image"}], "steps": steps,
           "outputs": outputs}
    return doc, [n for n in notes if n]


# Standalone Python script ------------------------------------------------------------------------

def standalone_source() -> str:
    """The text of :mod:`bgapp.standalone`, which every script export carries verbatim."""
    return Path(standalone.__file__).read_text(encoding="utf-8")


def script_config(config: Config) -> tuple[dict[str, Any], list[str]]:
    """The ``CONFIG`` a script runs and the notes on what was adjusted to fit OpenCV: ``config``'s
    method, params and post, plus the standalone model class (``model``) and, where they are not the
    params themselves, its arguments (``model_args``), as the method says with ``script_model``."""
    model, args, notes = get_method(config.method).script_model(config.params)
    cfg = {"method": config.method, "params": dict(config.params), "post": dict(config.post), "model": model}
    if args != config.params:
        cfg["model_args"] = args
    return cfg, notes


def python_script(config: Config, notes: list[str] | None = None) -> str:
    """A standalone script reproducing ``config``'s masks (method, learning schedule, post):
    a header, :mod:`bgapp.standalone` verbatim, and the ``CONFIG`` it runs.

    Values the engine adjusts to fit OpenCV are adjusted the same way; ``notes`` (when given)
    receives what was adjusted, for the user."""
    cfg, adjusted = script_config(config)
    if notes is not None:
        notes.extend(adjusted)
    method = get_method(config.method)
    needs = textwrap.fill(f"This method also needs {method.script_needs}.", 100) + "\n\n" if method.script_needs else ""
    header = (f'#!/usr/bin/env python3\n"""Background subtraction exported from bgapp: '
              f'{method.title}.\n\n{standalone.USAGE}\n\n{needs}'
              'The settings are in CONFIG at the end of this file; the code is bgapp/standalone.py verbatim.\n"""\n')
    body = standalone_source()
    footer = ("\n\n# The bgapp config this script was exported from (method, params, post) and the model above\n"
              "# that runs it: model_args are its arguments, or the params where there are no model_args.\n"
              f"CONFIG = {pprint.pformat(cfg, sort_dicts=False, width=100)}\n\n"
              'if __name__ == "__main__":\n    sys.exit(main(sys.argv, CONFIG))\n')
    return header + body.rstrip("\n") + "\n" + footer
