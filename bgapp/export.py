"""Export a config: as JSON, as a Roboflow Workflows document, or as a standalone Python script.

- ``json``: the config itself, reloadable by the app, ``bgapp eval --config`` and ``Config.load``.
- ``roboflow``: a Workflows document (NOTES, "Roboflow Workflows export targets") running MOG2 in
  ``roboflow_core/background_subtraction@v1`` (or ``motion_detection@v1``) followed by
  ``roboflow_core/morphological_transformation@v2`` steps where the post-processing can be
  expressed. What the blocks cannot express is listed in :attr:`Export.notes`; methods without a
  Roboflow block raise a BgappError.
- ``python``: a script that needs only OpenCV and numpy and reproduces the engine's masks pixel
  for pixel on image folders: ``python script.py INPUT OUTDIR``.
"""

from __future__ import annotations

import json
import pprint
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .documents import resolve_config  # noqa: F401 - re-exported
from .errors import BgappError
from .methods import RNG_SEED, ContribMethod, get_method
from .params import odd_kernel

FORMATS = ("json", "roboflow", "python")
ROBOFLOW_BLOCKS = ("background_subtraction", "motion_detection")


@dataclass
class Export:
    """An exported document, its suggested file name, and what it could not carry over."""

    text: str
    filename: str
    mime: str
    notes: list[str] = field(default_factory=list)


def export(config: Config, fmt: str, roboflow_block: str = "background_subtraction", name: str = "bgapp") -> Export:
    """Export ``config`` in ``fmt`` (one of FORMATS), as a file named ``NAME_METHOD`` + the format's ending."""
    stem = f"{name}_{config.method}"
    if fmt == "json":
        return Export(config.to_json() + "\n", f"{stem}.json", "application/json")
    if fmt == "roboflow":
        doc, notes = roboflow_workflow(config, roboflow_block)
        return Export(json.dumps(doc, indent=2) + "\n", f"{stem}-workflow.json", "application/json", notes)
    if fmt == "python":
        script_notes: list[str] = []
        text = python_script(config, script_notes)
        return Export(text, f"{stem}.py", "text/x-python", script_notes)
    raise BgappError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")


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

_COMMON = r'''
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".y4m"}


class InputError(Exception):
    pass


def natural_key(name):
    """frame_2 before frame_10."""
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name)]


def to_bgr8(img):
    """HxWx3 uint8 BGR from grey, BGRA, 16-bit or float images (as bgapp reads them)."""
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype == np.uint16:
        img = ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(np.nan_to_num(img) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif img.dtype == np.bool_:
        img = img.astype(np.uint8) * 255
    elif img.dtype != np.uint8:
        raise InputError("unsupported pixel type %s" % img.dtype)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(img)


def read_image(path):
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InputError("cannot decode image %s" % os.path.basename(path))
    return to_bgr8(img)


class Frames:
    """The frames of a video file or an image folder (a sequence folder's input/ or in/ too)."""

    def __init__(self, path):
        self.path = path
        self.files = None
        if os.path.isdir(path):
            folder = path
            subdirs = {d.lower(): d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d))}
            for name in ("input", "in"):
                if name in subdirs:
                    folder = os.path.join(path, subdirs[name])
                    break
            names = [n for n in os.listdir(folder) if not n.startswith(".")
                     and os.path.splitext(n)[1].lower() in IMAGE_EXTS and os.path.isfile(os.path.join(folder, n))]
            if not names:
                raise InputError("no images in %s" % folder)
            self.files = [os.path.join(folder, n) for n in sorted(names, key=natural_key)]
            self.size = read_image(self.files[0]).shape[:2]
        elif os.path.isfile(path):
            cap = cv2.VideoCapture(path)
            ok = cap.isOpened()
            self.count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if ok else 0
            cap.release()
            if not ok:
                raise InputError("cannot open video %s" % path)
        else:
            raise InputError("no such file or folder: %s" % path)

    def __len__(self):
        return len(self.files) if self.files is not None else max(self.count, 1)

    def frame(self, i):
        img = read_image(self.files[i])
        if img.shape[:2] != self.size:
            raise InputError("frame %s is not the size of the first frame" % os.path.basename(self.files[i]))
        return img

    def __iter__(self):
        if self.files is not None:
            for i in range(len(self.files)):
                yield self.frame(i)
            return
        cap = cv2.VideoCapture(self.path)
        try:
            while True:
                ok, img = cap.read()
                if not ok:
                    return
                yield to_bgr8(img)
        finally:
            cap.release()

    def sample(self, n):
        """Up to n frames evenly spaced from first to last, as bgapp picks them: never padded or
        repeated, so fewer when the clip is shorter."""
        if self.files is not None:
            return [self.frame(i) for i in sample_indices(n, len(self))]
        picks, total = self._sample_pass(sample_indices(n, len(self)))
        if len(picks) < min(n, len(self)) and total > 0:  # shorter than its header said
            picks, _ = self._sample_pass(sample_indices(n, total))
        return picks

    def _sample_pass(self, wanted):
        picks, total = [], 0
        if not wanted:
            return picks, total
        for i, img in enumerate(self):
            total = i + 1
            if i == wanted[len(picks)]:
                picks.append(img)
                if len(picks) == len(wanted):
                    break
        return picks, total


def sample_indices(n, length):
    k = min(n, length)
    if k <= 0:
        return []
    if k == 1:
        return [0]
    return np.unique(np.linspace(0, length - 1, k).round().astype(int)).tolist()


def median_image(frames):
    if len(frames) == 1:
        return frames[0].copy()
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def blur(img, k):
    if k <= 1:
        return img
    k = k + 1 if k % 2 == 0 else k
    return cv2.GaussianBlur(img, (k, k), 0)


def threshold(score, t):
    """255 where score > t."""
    mask = cv2.threshold(score, t, 255, cv2.THRESH_BINARY)[1]
    return mask if mask.dtype == np.uint8 else mask.astype(np.uint8)
'''

_DISTANCE = {
    "grey": r'''
def distance(frame, ref):
    """|grey(frame) - grey(ref)|"""
    return cv2.absdiff(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.cvtColor(ref, cv2.COLOR_BGR2GRAY))
''',
    "max": r'''
def distance(frame, ref):
    """The largest per-channel absolute difference."""
    d = cv2.absdiff(frame, ref)
    return cv2.max(cv2.max(d[:, :, 0], d[:, :, 1]), d[:, :, 2])
''',
    "euclidean": r'''
def distance(frame, ref):
    """Length of the BGR difference vector."""
    d = cv2.absdiff(frame, ref).astype(np.float32)
    sq = cv2.transform(cv2.multiply(d, d), np.ones((1, 3), np.float32))
    return cv2.sqrt(sq)[..., 0] if sq.ndim == 3 else cv2.sqrt(sq)
''',
    "hsv": r'''
def distance(frame, ref):
    """Chroma change on the hue/saturation disc, or half the change in value, whichever is larger."""
    a = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV_FULL)
    b = cv2.cvtColor(ref, cv2.COLOR_BGR2HSV_FULL)
    ha, sa, va = (a[:, :, i].astype(np.float32) for i in range(3))
    hb, sb, vb = (b[:, :, i].astype(np.float32) for i in range(3))
    k = np.float32(2 * np.pi / 256)
    xa, ya = cv2.polarToCart(sa, ha * k)
    xb, yb = cv2.polarToCart(sb, hb * k)
    chroma = cv2.magnitude(xa - xb, ya - yb) * np.float32(0.5)
    value = cv2.absdiff(va, vb) * np.float32(0.5)
    return cv2.max(chroma, value)
''',
}

_MOG2 = r'''
class Model:
    """OpenCV MOG2 with bgapp's learning-rate schedule; shadows (127) become {shadow_word}."""

    wants_samples = 0

    def __init__(self):
        cv2.setRNGSeed(RNG_SEED)
        m = cv2.createBackgroundSubtractorMOG2({history}, {var_threshold}, {detect_shadows})
        m.setNMixtures({n_mixtures})
        m.setBackgroundRatio({background_ratio})
        m.setShadowThreshold({shadow_threshold})
        self.model = m
        self.frames_seen = 0

    def prime(self, samples):
        pass

    def apply(self, frame):
        rate = {warmup_rate} if self.frames_seen < {warmup_frames} else {learning_rate}
        raw = self.model.apply(frame, learningRate=rate)
        self.frames_seen += 1
        return cv2.threshold(raw, {shadow_cut}, 255, cv2.THRESH_BINARY)[1]
'''

_KNN = r'''
class Model:
    """OpenCV KNN; shadows (127) become {shadow_word}."""

    wants_samples = 0

    def __init__(self):
        cv2.setRNGSeed(RNG_SEED)
        m = cv2.createBackgroundSubtractorKNN({history}, {dist2_threshold}, {detect_shadows})
        m.setNSamples({n_samples})
        m.setkNNSamples({knn_samples})
        m.setShadowThreshold({shadow_threshold})
        self.model = m

    def prime(self, samples):
        pass

    def apply(self, frame):
        raw = self.model.apply(frame, learningRate={learning_rate})
        return cv2.threshold(raw, {shadow_cut}, 255, cv2.THRESH_BINARY)[1]
'''

_REFERENCE = r'''
class Reference:
    """The reference background: mode {mode!r}."""

    def __init__(self):
        self.image = None
        self.avg = None
        self.primed = None

    def prime(self, samples):
        self.primed = list(samples) if samples else None

    def update(self, frame):
        mode = {mode!r}
        if mode == "first":
            if self.image is None:
                self.image = frame.copy()
        elif mode == "running_average":
            if self.avg is None:
                self.avg = frame.astype(np.float32)
            else:
                cv2.accumulateWeighted(frame, self.avg, {avg_rate})
            self.image = cv2.convertScaleAbs(self.avg)
        elif mode == "median":
            if self.image is None:
                if not self.primed or self.primed[0].shape != frame.shape:
                    raise InputError("the median reference needs frames sampled from the input")
                self.image = median_image(self.primed)
        return self.image
'''

_ABSDIFF = r'''
class Model:
    """Absolute difference ({distance}) against the reference, blur {blur}, threshold {threshold}."""

    wants_samples = {wants_samples}

    def __init__(self):
        cv2.setRNGSeed(RNG_SEED)
        self.ref = Reference()

    def prime(self, samples):
        self.ref.prime([blur(s, {blur}) for s in samples])

    def apply(self, frame):
        f = blur(frame, {blur})
        ref = self.ref.update(f)
        return threshold(distance(f, ref), {threshold})
'''

_SSIM = r'''
C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2
SIGMA = {sigma}
KSIZE = 2 * int(3.5 * SIGMA + 0.5) + 1


def gblur(img):
    return cv2.GaussianBlur(img, (KSIZE, KSIZE), SIGMA, borderType=cv2.BORDER_REFLECT)


class Model:
    """1 - SSIM against the reference (sigma {sigma}), threshold {threshold}."""

    wants_samples = {wants_samples}

    def __init__(self):
        cv2.setRNGSeed(RNG_SEED)
        self.ref = Reference()
        self.stats_for = None

    def prime(self, samples):
        self.ref.prime(samples)

    def _stats(self, ref):
        if self.stats_for is not ref:
            y = cv2.cvtColor(ref, cv2.COLOR_BGR2GRAY).astype(np.float32) - 128.0
            mu = gblur(y)
            self.y, self.mu, self.var = y, mu, gblur(y * y) - mu * mu
            self.mu_raw = mu + 128.0
            self.stats_for = ref

    def apply(self, frame):
        ref = self.ref.update(frame)
        self._stats(ref)
        x = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32) - 128.0
        mu_x = gblur(x)
        var_x = gblur(x * x) - mu_x * mu_x
        cov = gblur(x * self.y) - mu_x * self.mu
        mx = mu_x + 128.0
        my = self.mu_raw
        num = (2.0 * mx * my + C1) * (2.0 * cov + C2)
        den = (mx * mx + my * my + C1) * (var_x + self.var + C2)
        score = np.float32(1.0) - num / den
        return threshold(score, {threshold})
'''

_FRAME_DIFF = r'''
class Model:
    """Frame differencing ({mode}-frame), blur {blur}, threshold {threshold}."""

    wants_samples = 0

    def __init__(self):
        cv2.setRNGSeed(RNG_SEED)
        self.prev = []

    def prime(self, samples):
        pass

    def apply(self, frame):
        g = blur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), {blur})
        if not self.prev:
            score = np.zeros_like(g)
        elif {mode!r} == "two" or len(self.prev) < 2:
            score = cv2.absdiff(g, self.prev[-1])
        else:
            score = cv2.min(cv2.absdiff(g, self.prev[-1]), cv2.absdiff(g, self.prev[-2]))
        self.prev = (self.prev + [g])[-2:]
        return threshold(score, {threshold})
'''

_MEDIAN = r'''
class Model:
    """Temporal median of {n_frames} frames sampled from the input, refreshed every {refresh} frames (0: never)."""

    wants_samples = {n_frames}

    def __init__(self):
        cv2.setRNGSeed(RNG_SEED)
        self.primed = None
        self.recent = deque(maxlen={n_frames})
        self.bg = None
        self.since_refresh = 0
        self.frames_seen = 0

    def prime(self, samples):
        self.primed = [s.copy() for s in samples] if samples else None
        self.bg = None

    def apply(self, frame):
        f = blur(frame, {blur})
        if self.frames_seen % {sample_every} == 0 or self.bg is None:
            self.recent.append(f)
        if self.bg is None:
            if self.primed and self.primed[0].shape == frame.shape:
                self.bg = median_image([blur(s, {blur}) for s in self.primed])
            else:
                self.bg = median_image(list(self.recent))
        elif {refresh} and self.since_refresh >= {refresh}:
            self.bg = median_image(list(self.recent))
            self.since_refresh = 0
        self.since_refresh += 1
        self.frames_seen += 1
        return threshold(distance(f, self.bg), {threshold})
'''

_CONTRIB = r'''
class Model:
    """{title} from opencv-contrib (cv2.bgsegm)."""

    wants_samples = 0

    def __init__(self):
        if not hasattr(cv2, "bgsegm"):
            raise InputError("this script needs cv2.bgsegm: pip install opencv-contrib-python-headless")
        cv2.setRNGSeed(RNG_SEED)
        self.model = cv2.bgsegm.{factory}(*{args!r})

    def prime(self, samples):
        pass

    def apply(self, frame):
        return cv2.threshold(self.model.apply(frame), 254, 255, cv2.THRESH_BINARY)[1]
'''

_MAIN = r'''
def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src, outdir = argv[1], argv[2]
    try:
        frames = Frames(src)
        model = Model()
        if model.wants_samples:
            model.prime(frames.sample(model.wants_samples))
        os.makedirs(outdir, exist_ok=True)
        n = 0
        for frame in frames:
            mask = postprocess(model.apply(frame))
            n += 1
            ok, buf = cv2.imencode(".png", mask)
            if not ok:
                raise InputError("cannot encode mask %d as PNG" % n)
            buf.tofile(os.path.join(outdir, "mask%06d.png" % n))
    except (InputError, OSError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    if n == 0:
        print("error: no frames could be read from %s" % src, file=sys.stderr)
        return 2
    print("wrote %d masks to %s" % (n, outdir), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
'''

_SHAPES = {"ellipse": "cv2.MORPH_ELLIPSE", "rect": "cv2.MORPH_RECT", "cross": "cv2.MORPH_CROSS"}


def _post_code(post: dict[str, Any]) -> str:
    """bgapp's PostProcessor for these values: open, close, dilate, erode, min_area, fill_holes."""
    shape = _SHAPES[post["kernel_shape"]]
    it = int(post["iterations"])
    lines = ['', '', 'def postprocess(mask):',
             f'    """bgapp post-processing: {_post_summary(post)}."""', '    out = mask']
    kernels = []
    for name, call in (("open", "cv2.morphologyEx(out, cv2.MORPH_OPEN, {k}, iterations={it})"),
                       ("close", "cv2.morphologyEx(out, cv2.MORPH_CLOSE, {k}, iterations={it})"),
                       ("dilate", "cv2.dilate(out, {k}, iterations={it})"),
                       ("erode", "cv2.erode(out, {k}, iterations={it})")):
        size = odd_kernel(post[name])[0]
        if size > 1:
            k = f"K_{name.upper()}"
            kernels.append(f"{k} = cv2.getStructuringElement({shape}, ({size}, {size}))")
            lines.append(f"    out = {call.format(k=k, it=it)}")
    if post["min_area"] > 1:
        lines += [
            "    n, labels, stats, _ = cv2.connectedComponentsWithStats(out, connectivity=8)",
            "    if n > 1:",
            f"        keep = (stats[:, cv2.CC_STAT_AREA] >= {int(post['min_area'])}).astype(np.uint8) * 255",
            "        keep[0] = 0",
            "        out = keep[labels]",
        ]
    if post["fill_holes"]:
        lines += [
            "    h, w = out.shape",
            "    flood = cv2.copyMakeBorder(out, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)",
            "    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 255)",
            "    out = cv2.bitwise_or(out, cv2.bitwise_not(flood)[1:-1, 1:-1])",
        ]
    lines.append("    return out")
    return "\n".join([""] + kernels + lines) + "\n"


def _post_summary(post: dict[str, Any]) -> str:
    parts = []
    for name in ("open", "close", "dilate", "erode"):
        size = odd_kernel(post[name])[0]
        if size > 1:
            parts.append(f"{name} {size}")
    if parts:
        parts.append(f"{post['kernel_shape']} kernels x{post['iterations']}")
    if post["min_area"] > 1:
        parts.append(f"min_area {post['min_area']}")
    if post["fill_holes"]:
        parts.append("fill holes")
    return ", ".join(parts) or "none"


def _method_code(config: Config, notes: list[str]) -> str:
    m, v = config.method, dict(config.params)
    if m in ("mog2", "knn"):
        v["shadow_cut"] = 0 if v["keep_shadows"] else 254
        v["shadow_word"] = "foreground" if v["keep_shadows"] else "background"
        if m == "knn":
            v["knn_samples"] = min(v["knn_samples"], v["n_samples"])  # bgapp clamps it the same way
        return (_MOG2 if m == "mog2" else _KNN).format(**{k: repr(x) if not isinstance(x, str) else x
                                                            for k, x in v.items()})
    if m in ("absdiff", "ssim"):
        if v["reference"] in ("snapshot", "image"):
            what = "a snapshot captured in the app" if v["reference"] == "snapshot" else "an uploaded image"
            raise BgappError(f"cannot export {m} with reference {v['reference']!r} as a script: it compares "
                             f"frames with {what}, which the config does not hold; use reference first, "
                             "running_average or median")
        wants = v["median_frames"] if v["reference"] == "median" else 0
        ref = _REFERENCE.format(mode=v["reference"], avg_rate=repr(v["avg_rate"]))
        if m == "absdiff":
            body = _DISTANCE[v["distance"]] + ref + _ABSDIFF.format(
                distance=v["distance"], blur=v["blur"], threshold=repr(v["threshold"]), wants_samples=wants)
        else:
            body = ref + _SSIM.format(sigma=repr(v["sigma"]), threshold=repr(v["threshold"]), wants_samples=wants)
        return body
    if m == "frame_diff":
        return _FRAME_DIFF.format(mode=v["mode"], blur=v["blur"], threshold=repr(v["threshold"]))
    if m == "median":
        return _DISTANCE[v["distance"]] + _MEDIAN.format(
            n_frames=v["n_frames"], refresh=v["refresh"], sample_every=v["sample_every"], blur=v["blur"],
            threshold=repr(v["threshold"]))
    cls = get_method(m)
    if not issubclass(cls, ContribMethod):
        raise BgappError(f"cannot export {m} as a script: no OpenCV recipe for it")
    args, adjusted = cls.factory_args(v)  # the engine's own argument list for these values
    notes.extend(adjusted)
    return _CONTRIB.format(title=cls.title, factory=cls.factory, args=tuple(args))


def python_script(config: Config, notes: list[str] | None = None) -> str:
    """A standalone script reproducing ``config``'s masks (method, learning schedule, post).

    Values the engine adjusts to fit OpenCV are adjusted the same way; ``notes`` (when given)
    receives what was adjusted, for the user."""
    method_code = _method_code(config, [] if notes is None else notes)
    cfg = pprint.pformat({"method": config.method, "params": config.params, "post": config.post},
                         sort_dicts=False, width=100)
    header = f'''#!/usr/bin/env python3
"""Background subtraction exported from bgapp: {get_method(config.method).title}.

Usage: python SCRIPT INPUT OUTDIR

INPUT   a video file, or a folder of images read in natural order (frame_2 before frame_10); a
        CDnet-style sequence folder (with input/ or in/) works too.
OUTDIR  receives one PNG mask per frame, in order: mask000001.png, mask000002.png, ...
        (255 = foreground, 0 = background).

Needs only OpenCV and numpy. On image folders the masks equal bgapp's pixel for pixel; on
video files OpenCV's decoder may differ from bgapp's (PyAV) by a grey level here and there.
"""

import os
import re
import sys
from collections import deque

import cv2
import numpy as np

# The bgapp config this script was generated from (for reference; the code below is what runs).
CONFIG = {cfg}
RNG_SEED = {RNG_SEED:#x}  # bgapp seeds OpenCV's generator at every model start
'''
    script = header + _COMMON + method_code + _post_code(config.post) + _MAIN
    if "deque(" not in method_code:
        script = script.replace("from collections import deque\n\n", "\n", 1)
    return script.replace("\n\n\n\n", "\n\n\n")

