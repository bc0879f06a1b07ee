"""Exports: JSON round trip, Roboflow Workflows documents, and a standalone script that gives the
engine's masks pixel for pixel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

from bgapp.config import Config
from bgapp.documents import resolve_config
from bgapp.errors import BgappError
from bgapp.export import export, python_script, roboflow_workflow
from bgapp.pipeline import Pipeline
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene

from .conftest import ROOT, need

POST = {"open": 3, "close": 7, "min_area": 40, "fill_holes": True}


DEMO_FRAMES = 90


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    """The demo scene (objects from frame 21) as a PNG sequence folder of 90 frames."""
    root = tmp_path_factory.mktemp("demo") / "demo_seq"
    (root / "input").mkdir(parents=True)
    scene = SyntheticScene(n_frames=DEMO_FRAMES, warmup=20)
    for i in range(DEMO_FRAMES):
        cv2.imwrite(str(root / "input" / f"in{i + 1:06d}.png"), scene.frame(i))
    return root


@pytest.fixture(scope="module")
def highway_folder(shared_data, tmp_path_factory) -> Path:
    """The first 40 frames of CDnet baseline/highway (enough: cars pass from the first frame)."""
    highway = need(shared_data / "cdnet" / "baseline" / "highway")
    folder = tmp_path_factory.mktemp("highway") / "highway40"
    (folder / "input").mkdir(parents=True)
    for f in sorted((highway / "input").iterdir())[:40]:
        shutil.copy(f, folder / "input" / f.name)
    return folder


@contextmanager
def opencv_threads(config: Config):
    """GSOC and LSBP repeat their own masks run to run only on one OpenCV thread (README): run
    the engine on one for them, as the script is run (see script_masks)."""
    threads = cv2.getNumThreads()
    if config.method in SINGLE_THREAD:
        cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


SINGLE_THREAD = ("gsoc", "lsbp")


def engine_masks(config: Config, folder: Path) -> list[np.ndarray]:
    """What bgapp itself produces on ``folder`` (as 'bgapp process' does: prime, then every frame)."""
    src = Sequence(folder)
    with opencv_threads(config):
        pipeline = Pipeline(config)
        pipeline.prime(src)
        return [r.clean for r in pipeline.run(src)]


# Runs an exported script as `python SCRIPT INPUT OUTDIR` does, where no bgapp can be imported.
RUNNER = ("import runpy, sys; sys.modules['bgapp'] = None; import cv2; threads = int(sys.argv.pop(1)); "
          "threads and cv2.setNumThreads(threads); sys.argv = sys.argv[1:]; "
          "runpy.run_path(sys.argv[0], run_name='__main__')")


def script_masks(config: Config, folder: Path, work: Path) -> list[np.ndarray]:
    script = work / "bg.py"
    script.write_text(python_script(config))
    out = work / "masks"
    threads = "1" if config.method in SINGLE_THREAD else "0"
    proc = subprocess.run([sys.executable, "-c", RUNNER, threads, str(script), str(folder), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    files = sorted(out.iterdir())
    assert [f.name for f in files[:2]] == ["mask000001.png", "mask000002.png"]
    return [cv2.imread(str(f), cv2.IMREAD_UNCHANGED) for f in files]


def assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.dtype == y.dtype == np.uint8 and x.shape == y.shape, i
        assert np.array_equal(x, y), f"frame {i + 1}: {int((x != y).sum())} pixels differ"
    assert sum(int(np.count_nonzero(x)) for x in a) > 0  # something was detected


# The script runs the engine's own model classes (bgapp.standalone), so what these end-to-end runs still
# prove is the script around them: its frame reading, sampling, CONFIG, post-processing and mask files.
# One case per model class (where the arguments are adjusted, the adjusted case), on the demo; three on
# real video. Every method and value is run through the script's code in-process further down.
EXPORTABLE = [
    Config("mog2", {"var_threshold": 24.5, "warmup_frames": 15, "warmup_rate": 0.02}, post=POST),
    Config("knn", {"n_samples": 3, "knn_samples": 5, "detect_shadows": False}, post=POST),  # clamped as bgapp does
    Config("absdiff", {"reference": "median", "distance": "hsv", "threshold": 25, "median_frames": 9}, post=POST),
    Config("ssim", {"reference": "running_average", "threshold": 0.25, "avg_rate": 0.05}, post=POST),
    Config("frame_diff", {"mode": "three", "threshold": 10, "blur": 3}, post=POST),
    Config("median", {"n_frames": 9, "refresh": 20, "sample_every": 3, "distance": "max"}, post=POST),
    Config("sigma_delta", {"min_var": 40, "max_var": 20}, post=POST),  # clamped as bgapp does
    Config("lsbp", {"n_samples": 10, "lsbp_radius": 8, "t_lower": 40, "t_upper": 32}, post=POST),  # adjusted
    # BGSLibrary: the script builds the same config file and seeds C's rand() as the engine does
    Config("lobster", {"samples": 4, "required_samples": 6}, post=POST),  # clamped as bgapp does
    # the learned model: the script reads the same two ONNX files through the same cv2.dnn calls
    Config("bmn_bsn", {"n_frames": 6, "refresh": 25, "sample_every": 4, "threshold": 0.4, "smoothing": 0.3}, post=POST),
]
ON_VIDEO = [c for c in EXPORTABLE if c.method in ("mog2", "median", "lobster")]


def _config_id(c: Config) -> str:
    return "-".join([c.method, *(str(c.params[k]) for k in ("reference", "distance", "mode") if k in c.params)])


def test_every_model_class_has_an_end_to_end_case():
    """Adding a model class to bgapp.standalone means adding its case to EXPORTABLE."""
    from bgapp import standalone
    from bgapp.methods import get_method

    assert {get_method(c.method).model_class for c in EXPORTABLE} == set(standalone.MODELS.values())


def _need_method(config: Config) -> None:
    from bgapp.methods import get_method

    cls = get_method(config.method)
    if not cls.available():
        pytest.skip(f"{config.method} unavailable: {cls.unavailable_reason()}")


@pytest.mark.parametrize("config", EXPORTABLE, ids=_config_id)
def test_script_equals_engine_on_demo(config, demo_folder, tmp_path):
    _need_method(config)
    assert_same(engine_masks(config, demo_folder), script_masks(config, demo_folder, tmp_path))


@pytest.mark.parametrize("config", ON_VIDEO, ids=_config_id)
def test_script_equals_engine_on_highway(config, highway_folder, tmp_path):
    _need_method(config)
    assert_same(engine_masks(config, highway_folder), script_masks(config, highway_folder, tmp_path))


@pytest.mark.parametrize("method", ["gsoc", "lsbp"])
def test_script_shows_no_motion_where_motion_compensation_cannot_track(method, tmp_path):
    """Frames with too few features for Lucas-Kanade make OpenCV raise; the engine shows those frames
    without foreground (and says so), and the exported script must do the same instead of failing."""
    config = Config(method, {"motion_compensation": True}, {"open": 1, "close": 1})
    _need_method(config)
    folder = tmp_path / "sparse"
    (folder / "input").mkdir(parents=True)
    for i in range(4):  # black with one small square: nothing to track
        frame = np.zeros((60, 80, 3), np.uint8)
        frame[10 + i:12 + i, 10:12] = 255
        cv2.imwrite(str(folder / "input" / f"in{i + 1:06d}.png"), frame)
    pipeline = Pipeline(config)
    with opencv_threads(config):
        ours = [r.clean for r in pipeline.run(Sequence(folder))]
    assert any("too few features" in n for n in pipeline.notes)
    theirs = script_masks(config, folder, tmp_path)
    assert len(ours) == len(theirs) == 4
    assert all(np.array_equal(a, b) and not b.any() for a, b in zip(ours, theirs))


def test_script_reads_images_as_bgapp_does(tmp_path):
    """Grey, 16-bit, RGBA and colour files in one folder, names not zero-padded (natural order)."""
    folder = tmp_path / "frames"
    folder.mkdir()
    scene = SyntheticScene(n_frames=40, warmup=10)
    for i in range(40):
        img = scene.frame(i)
        kind = i % 4
        if kind == 0:
            out = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        elif kind == 1:
            out = img.astype(np.uint16) * 257 + (i % 7)
        elif kind == 2:
            out = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
        else:
            out = img
        cv2.imwrite(str(folder / f"frame_{i + 1}.png"), out)
    (tmp_path / "seq").mkdir()
    (folder).rename(tmp_path / "seq" / "in")
    cfg = Config("mog2", {"history": 20}, post={"open": 3})
    assert_same(engine_masks(cfg, tmp_path / "seq"), script_masks(cfg, tmp_path / "seq" / "in", tmp_path))


def test_script_refuses_what_it_cannot_express():
    for ref in ("image", "snapshot"):
        with pytest.raises(BgappError, match=ref):
            python_script(Config("absdiff", {"reference": ref}))
    text = python_script(Config("gmg"))
    ns: dict = {"__name__": "exported"}
    exec(compile(text, "gmg.py", "exec"), ns)  # the factory is named in CONFIG, called on cv2.bgsegm
    assert ns["CONFIG"]["model_args"] == {"factory": "createBackgroundSubtractorGMG", "args": [120, 0.8]}
    assert "getattr(bgsegm, factory)(*args)" in text and "import bgapp" not in text


def test_script_usage_and_bad_input(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(python_script(Config()))
    usage = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert usage.returncode == 2 and "INPUT OUTDIR" in usage.stderr
    bad = subprocess.run([sys.executable, str(script), str(tmp_path / "nope"), str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [f"error: no such file or folder: "
                                                                        f"{tmp_path / 'nope'}"]


def test_json_export_round_trips():
    cfg = Config("knn", {"history": 123}, post={"open": 5})
    out = export(cfg, "json")
    assert Config.from_json(out.text) == cfg and out.notes == []


def test_roboflow_mog2_document():
    cfg = Config("mog2", {"var_threshold": 23.6, "history": 250, "n_mixtures": 3, "learning_rate": 0.01},
                 post={"open": 3, "close": 4, "iterations": 2, "kernel_shape": "rect", "min_area": 50})
    doc, notes = roboflow_workflow(cfg)
    assert doc["version"] == "1.0" and doc["inputs"] == [{"type": "InferenceImage", "name": "image"}]
    bs, opening, closing = doc["steps"]
    assert bs == {"type": "roboflow_core/background_subtraction@v1", "name": "background_subtraction",
                  "image": "$inputs.image", "threshold": 24, "history": 250}
    assert opening["type"] == "roboflow_core/morphological_transformation@v2"
    assert (opening["operation"], opening["kernel_size"], opening["image"]) == (
        "Opening", 5, "$steps.background_subtraction.image")  # 3x3 twice = one 5x5 square
    assert (closing["operation"], closing["kernel_size"]) == ("Closing", 9)  # 4 rounds up to 5; twice: 9
    assert doc["outputs"] == [{"type": "JsonField", "name": "mask", "selector": "$steps.closing.image"}]
    text = " ".join(notes)
    for word in ("n_mixtures", "learning_rate", "shadow", "min_area", "rounded to 24"):
        assert word in text, word
    assert "fill_holes" not in text and "kernel_shape" not in text  # rect kernels are exact
    _, notes = roboflow_workflow(Config("mog2", post={"fill_holes": True}))
    assert any("fill_holes" in n for n in notes) and any("square" in n for n in notes)


def test_roboflow_motion_detection_and_refusals():
    doc, notes = roboflow_workflow(Config("mog2", {"var_threshold": 40}, post={"min_area": 300}), "motion_detection")
    (step,) = doc["steps"]
    assert step["type"] == "roboflow_core/motion_detection@v1"
    assert (step["threshold"], step["history"], step["minimum_contour_area"]) == (40, 500, 300)
    assert step["morphological_kernel_size"] == 3 and step["suppress_first_detections"] is True
    assert {o["selector"] for o in doc["outputs"]} == {f"$steps.motion.{k}" for k in
                                                      ("motion", "alarm", "detections", "motion_zones")}
    assert any("close" in n for n in notes)
    for method in ("knn", "absdiff", "gmg"):
        with pytest.raises(BgappError, match="no Roboflow"):
            roboflow_workflow(Config(method))


def bgapp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bgapp", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_cli_export(tmp_path):
    cfg = tmp_path / "c.json"
    Config("mog2", {"n_mixtures": 4}, post={"fill_holes": True}).save(cfg)
    proc = bgapp("export", str(cfg), "--format", "roboflow")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["steps"][0]["type"] == "roboflow_core/background_subtraction@v1"
    assert "n_mixtures" in proc.stderr and "fill_holes" in proc.stderr
    out = tmp_path / "bg.py"
    proc = bgapp("export", str(cfg), "--format", "python", "--out", str(out))
    assert proc.returncode == 0 and proc.stdout == "" and "createBackgroundSubtractorMOG2" in out.read_text()
    assert resolve_config(cfg) == Config.load(cfg)
    tune_doc = tmp_path / "t.json"
    tune_doc.write_text(json.dumps({"best": Config("knn").to_dict(), "value": 0.5, "trials": 3}))
    proc = bgapp("export", str(tune_doc))
    assert proc.returncode == 0 and Config.from_json(proc.stdout) == Config("knn")
    bad = bgapp("export", str(tune_doc), "--format", "roboflow")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "knn" in bad.stderr
    missing = bgapp("export", "/no/such.json")
    assert missing.returncode == 2 and "not found" in missing.stderr


# Every method, every declared value: exported, or refused in one clear line --------------------------

def _variants() -> list[tuple[str, dict]]:
    """Each method at its defaults, then one value at a time at its min and max, each other choice,
    the other bool; plus the LSBP thresholds from the bug report (t_lower above t_upper)."""
    from bgapp.methods import METHODS

    out: list[tuple[str, dict]] = []
    for name, cls in METHODS.items():
        out.append((name, {}))
        for p in cls.params:
            if p.kind in ("int", "float"):
                values = [p.min, p.max]
            elif p.kind == "choice":
                values = [c for c in p.choices if c != p.default]
            else:
                values = [not p.default]
            out += [(name, {p.name: p.coerce(v)}) for v in values]
    out.append(("lsbp", {"t_lower": 40, "t_upper": 32}))
    return out


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory) -> Path:
    """Twelve 64x48 frames of the demo scene as a PNG sequence folder (fast enough for ~100 configs)."""
    root = tmp_path_factory.mktemp("tiny") / "seq"
    (root / "input").mkdir(parents=True)
    scene = SyntheticScene(64, 48, n_frames=12, warmup=2)
    for i in range(12):
        cv2.imwrite(str(root / "input" / f"in{i + 1:06d}.png"), scene.frame(i))
    return root


def inprocess_script_masks(text: str, folder: Path) -> list[np.ndarray]:
    """Run an exported script's code in this process (as its main() does, minus the PNG files)."""
    ns: dict = {"__name__": "exported"}
    exec(compile(text, "exported.py", "exec"), ns)
    frames = ns["Frames"](str(folder))
    model = ns["make_model"](ns["CONFIG"])
    post = ns["PostProcess"](ns["CONFIG"]["post"])
    if model.wants_samples:
        model.prime(frames.sample(model.wants_samples))
    return [post(model.apply(f)) for f in frames]


def assert_one_clear_line(exc: BgappError, method: str) -> None:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text and method in text, text


def _variant_id(x: str | dict) -> str:
    return x if isinstance(x, str) else "-".join(f"{k}={v}" for k, v in x.items()) or "defaults"


@pytest.mark.parametrize(("method", "params"), _variants(), ids=_variant_id)
def test_every_method_and_value_exports_or_is_refused_clearly(method, params, tiny_folder):
    from bgapp.methods import METHODS

    if not METHODS[method].available():
        pytest.skip(f"{method} unavailable: {METHODS[method].unavailable_reason()}")
    cfg = Config(method, params)
    assert Config.from_json(export(cfg, "json").text) == cfg
    try:
        doc = json.loads(export(cfg, "roboflow").text)
        assert method == "mog2" and doc["steps"][0]["threshold"] >= 1
    except BgappError as exc:
        assert method != "mog2"
        assert_one_clear_line(exc, method)
    try:
        out = export(cfg, "python")
    except BgappError as exc:
        assert method in ("absdiff", "ssim") and params.get("reference") in ("snapshot", "image")
        assert_one_clear_line(exc, method)
        return
    assert out.filename == f"bgapp_{method}.py"
    threads = cv2.getNumThreads()
    if method in ("gsoc", "lsbp"):  # run to run reproducible only on one OpenCV thread (README)
        cv2.setNumThreads(1)
    try:
        assert_same_or_empty(engine_masks(cfg, tiny_folder), inprocess_script_masks(out.text, tiny_folder))
    finally:
        cv2.setNumThreads(threads)


def assert_same_or_empty(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    """Pixel equality; unlike assert_same, an all-black run is fine (GMG learns for 120 frames)."""
    assert len(a) == len(b) > 0
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.shape == y.shape and np.array_equal(x, y), f"frame {i + 1}: {int((x != y).sum())} pixels differ"


def test_cli_exports_lsbp_with_t_lower_above_t_upper(tmp_path):
    cfg = tmp_path / "lsbp.json"
    cfg.write_text(json.dumps({"method": "lsbp", "params": {"t_lower": 40, "t_upper": 32}}))
    proc = bgapp("export", str(cfg), "--format", "python")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "createBackgroundSubtractorLSBP" in proc.stdout
    assert "note: lsbp: t_upper must exceed t_lower; using 41" in proc.stderr  # the adjustment is said


# The standalone module: written once, what the engine runs, and a clean script ------------------------

def _imported_modules(text: str, top_level: bool = False) -> set[str]:
    import ast

    tree = ast.parse(text)
    found = set()
    for node in (tree.body if top_level else ast.walk(tree)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import"
            found.add((node.module or "").split(".")[0])
    return found


def test_standalone_module_and_scripts_import_only_opencv_numpy_and_the_standard_library():
    """At module level; BGSLibrary's model imports its wrapper (pybgs) when its first frame comes."""
    from bgapp import standalone
    from bgapp.methods import METHODS

    allowed = {"cv2", "numpy"} | set(sys.stdlib_module_names)
    source = Path(standalone.__file__).read_text()
    assert _imported_modules(source, top_level=True) <= allowed and "__future__" not in _imported_modules(source)
    assert _imported_modules(source) - allowed == {"pybgs"}
    for name, cls in METHODS.items():
        if cls.model_class:
            text = python_script(Config(name))
            assert source in text  # verbatim
            assert _imported_modules(text, top_level=True) <= allowed, name


def test_exported_scripts_pass_ruff(tmp_path):
    """One script per standalone model class, linted with the project's own ruff settings."""
    pytest.importorskip("ruff")
    configs = [Config("mog2"), Config("knn", {"knn_samples": 9}), Config("absdiff", {"reference": "median"}),
               Config("ssim"), Config("frame_diff"), Config("median"), Config("lsbp", {"t_lower": 40}),
               Config("bmn_bsn"), Config("subsense")]  # the last two say what more they need
    for c in configs:
        (tmp_path / f"bgapp_{c.method}.py").write_text(python_script(c))
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_engine_primitives_are_the_standalone_ones():
    """The engine runs the very functions and model classes a script carries, not copies of them."""
    from bgapp import bmn_bsn, frames, methods, postprocess, sequences, ssim, standalone
    from bgapp.methods import base

    shared = [(base.blur, "blur"), (base.threshold, "threshold"), (methods.binarise, "binarise"),
              (ssim.ReferenceStats, "ReferenceStats"), (postprocess.fill_holes, "fill_holes"),
              (postprocess.remove_small, "remove_small"), (sequences.natural_key, "natural_key"),
              (bmn_bsn.to_blob, "bmn_bsn_blob"), (bmn_bsn.reference_slots, "bmn_bsn_slots")]
    for obj, name in shared:
        assert obj is getattr(standalone, name), name
    assert methods.RNG_SEED == standalone.RNG_SEED
    with pytest.raises(BgappError, match="unsupported pixel type int32"):
        frames.to_bgr8(np.zeros((2, 2), np.int32))  # standalone's check, said as a BgappError
    ran = set()
    for name, cls in methods.METHODS.items():
        assert cls.model_class is None or standalone.MODELS[cls.model_class.__name__] is cls.model_class, name
        if cls.model_class is not None and cls.available():
            assert type(methods.create(name).model) is cls.model_class, name  # the script's class itself
            ran.add(cls.model_class)
    assert len(ran) >= 8


def test_a_method_without_a_recipe_refuses_in_one_line():
    from bgapp.methods import Method

    class Plain(Method):
        name, title, summary, params = "plain", "Plain", "", ()

    with pytest.raises(BgappError) as exc:
        Plain.script_model({})
    assert_one_clear_line(exc.value, "plain")
    assert "no OpenCV recipe" in str(exc.value)


def test_export_formats_registry(monkeypatch):
    """A format is one class in EXPORT_FORMATS: export() and 'bgapp export --format' find it there."""
    from bgapp import export as export_mod
    from bgapp.cli import build_parser

    assert export_mod.FORMATS == ("json", "roboflow", "python")
    cfg = Config("mog2")
    names = {f: export(cfg, f).filename for f in export_mod.FORMATS}
    assert names == {"json": "bgapp_mog2.json", "roboflow": "bgapp_mog2-workflow.json", "python": "bgapp_mog2.py"}
    assert export(cfg, "python").mime == "text/x-python" and export(cfg, "roboflow").mime == "application/json"

    class Yaml(export_mod.ExportFormat):
        name, label, ending, mime, language = "yaml", "YAML", ".yaml", "application/yaml", "yaml"

        def write(self, config, **options):
            return f"method: {config.method}\n", ["yaml note"]

    monkeypatch.setitem(export_mod.EXPORT_FORMATS, "yaml", Yaml())
    out = export(cfg, "yaml", name="x")
    assert (out.text, out.filename, out.notes) == ("method: mog2\n", "x_mog2.yaml", ["yaml note"])
    assert build_parser().parse_args(["export", "c.json", "--format", "yaml"]).format == "yaml"
    with pytest.raises(BgappError, match="unknown export format 'toml'"):
        export(cfg, "toml")
