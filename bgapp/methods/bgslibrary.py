"""BGSLibrary's algorithms (SuBSENSE, PAWCS, LOBSTER, ViBe, PBAS, ...) through its Python wrapper.

Each class names a ``pybgs`` algorithm and declares its parameters once, each paired with the
config field the C++ reads (``save_config``/``load_config`` in ``bgslibrary/algorithms/<Name>.cpp``).
The wrapper has no setters, so every change restarts the model (``rebuild``); the pipeline keeps
the frame counter and the statistics. Building, config files and the library's quirks live in
:mod:`bgapp.pybgs_adapter`. Where ``pybgs`` is not installed the methods are listed as unavailable,
with the command that installs them.

Left out on purpose: the wrapper's SigmaDelta and KDE read memory they never initialise (SigmaDelta
sets up a third of each row's variances only; KDE's masks differ on most pixels from one run to the
next on the same frames), so their masks are not a function of the video; bgapp's own
:mod:`.sigma_delta` runs the Sigma-Delta update rule instead. MultiCue is not in pybgs 3.3.1's build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from .. import pybgs_adapter, standalone
from ..errors import BgappError
from ..params import Param
from ..standalone import RNG_SEED
from .base import Method, MethodOutput

Fields = dict[str, bool | int | float]
_RESTART = " Changing it restarts the model (BGSLibrary reads its settings only when it builds one)."


def declare(*pairs: tuple[str, Param]) -> tuple[tuple[Param, ...], dict[str, str]]:
    """Parameters paired with the BGSLibrary config field each sets: (params, name -> field).
    Every one rebuilds the model and says so in its help."""
    params = tuple(replace(p, help=p.help + _RESTART, rebuild=True) for _, p in pairs)
    return params, {p.name: field for field, p in pairs}


def _clamp(fields: Fields, key: str, limit: str, notes: list[str], names: tuple[str, str]) -> None:
    """Cap ``fields[key]`` at ``fields[limit]`` (the C++ would read out of bounds), with a note."""
    if fields[key] > fields[limit]:
        notes.append(f"{names[0]} {fields[key]} exceeds {names[1]} {fields[limit]}: using {fields[limit]}")
        fields[key] = fields[limit]


class BGSLibraryMethod(Method):
    """A BGSLibrary algorithm; subclasses set ``algorithm``, ``params`` and ``fields``."""

    algorithm: ClassVar[str]
    fields: ClassVar[dict[str, str]]  # parameter name -> config field
    fixed: ClassVar[Fields] = {}  # config fields bgapp does not expose
    min_side: ClassVar[int] = 1  # smaller frames are padded to this (standalone.pad_to)
    # False where pybgs's getBackgroundModel() gives an all-black image (ViBe, Two points, PBAS,
    # Codebook keep no image of the background): the lab then says there is none instead of a black tile
    has_background: ClassVar[bool] = True
    _size: tuple[int, int] = (0, 0)  # (h, w) of the frames the model was built for
    model_class = standalone.BGSLibrary
    model: standalone.BGSLibrary  # holding the adapter's NativeModel
    script_needs = ("BGSLibrary's Python wrapper: pip install pybgs==3.3.1 (it compiles against the system's "
                    "OpenCV: cmake, a C++ compiler and libopencv-dev)")

    @classmethod
    def available(cls) -> bool:
        return pybgs_adapter.unavailable_reason(cls.algorithm) is None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return pybgs_adapter.unavailable_reason(cls.algorithm)

    @classmethod
    def config_fields(cls, values: Mapping[str, Any]) -> tuple[Fields, list[str]]:
        """The config the C++ reads for ``values``, and a note for each value adjusted to fit it.
        A plain function of the values, so that the script export writes the very same file."""
        return {**cls.fixed, **{cls.fields[p.name]: values[p.name] for p in cls.params}}, []

    @classmethod
    def model_args(cls, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        fields, notes = cls.config_fields(values)
        return {"algorithm": cls.algorithm, "fields": fields, "min_side": cls.min_side}, notes

    def _build(self) -> None:
        reason = self.unavailable_reason()
        if reason:
            raise BgappError(reason)
        old = getattr(self, "model", None)
        if old is not None:
            old.model.close()
        super()._build()

    def _make(self, args: dict[str, Any]) -> standalone.BGSLibrary:
        """The model, its native object built by the adapter (a private working directory, one builder
        thread) rather than by the script's chdir, which a server's threads cannot share."""
        return standalone.BGSLibrary(**args, native=pybgs_adapter.NativeModel(self.algorithm, args["fields"], RNG_SEED))

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        h, w = frame.shape[:2]
        if self.frames_seen and (h, w) != self._size:  # BGSLibrary sizes its buffers at the first frame
            self.notes.add(f"the frame size changed to {w}x{h}: the model restarted")
            self._start()
        try:
            out = super()._apply(frame)
        except RuntimeError as exc:  # the wrapper's translation of a C++ exception (an OpenCV assertion)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BgappError(f"{self.title} cannot process this {w}x{h} frame: {first}") from None
        self._size = (h, w)
        return out

    @property
    def learning(self) -> bool:
        return self.model.frames < 2  # the first frame only initialises the model

    def background(self) -> np.ndarray | None:
        if not self.has_background:
            return None
        bg = self.model.model.background()
        return None if bg is None else bg[: self._size[0], : self._size[1]]


# The LBSP family (St-Charles, Bilodeau & Bergevin) ------------------------------------------------

def _lbsp_threshold(default: float) -> Param:
    return Param("lbsp_threshold", "float", default,
                 "How different a neighbour's intensity must be, relative to the centre pixel's, to "
                 "flip a bit of the LBSP texture descriptor. Lower: fine texture changes show up "
                 "(more sensitive, noisier on dynamic backgrounds); higher: only strong texture changes count.",
                 min=0.05, max=1.0, step=0.01, tune_min=0.1, tune_max=0.6, typical=(0.1, 0.6))


def _samples(default: int) -> Param:
    return Param("samples", "int", default,
                 "Background samples kept per pixel. More samples describe busier backgrounds (waves, "
                 "leaves) at a cost in memory and speed.",
                 min=2, max=100, step=1, tune_min=10, tune_max=60)


_REQUIRED = Param("required_samples", "int", 2,
                  "How many samples must match for a pixel to be background. Higher is stricter: "
                  "more foreground, fewer missed objects, more noise. At most the number of samples.",
                  min=1, max=20, step=1, tune_min=1, tune_max=4)
_MOVING_AVG = Param("moving_avg_samples", "int", 100,
                    "Frames the per-pixel feedback (how dynamic the background is, which sets each "
                    "pixel's threshold and update rate) is averaged over. Shorter reacts faster to a "
                    "background that starts or stops moving.",
                    min=10, max=1000, step=1, tune=False, typical=(10, 300))


def _desc_dist_offset(default: int) -> Param:
    return Param("desc_dist_offset", "int", default,
                 "Extra bits of texture-descriptor difference a stored sample (or word) may show and still "
                 "match. Higher tolerates more texture change (fewer false alarms on dynamic backgrounds, "
                 "more missed objects).",
                 min=0, max=20, step=1, tune_min=0, tune_max=8)


def _min_color_dist(default: int, tune_min: int) -> Param:
    return Param("min_color_dist", "int", default,
                 "The smallest colour distance at which a stored sample (or word) stops matching; each pixel "
                 "raises its own threshold from here where the background is dynamic. Lower: more "
                 "sensitive, noisier.",
                 min=1, max=200, step=1, tune_min=tune_min, tune_max=60, typical=(1, 100))


class LBSPMethod(BGSLibraryMethod):
    """The LBSP family: each pixel's texture descriptor reads a 5x5 neighbourhood (smaller frames are
    padded to 8x8), and where a model keeps samples, no more may be required to match than it keeps."""

    min_side = 8

    @classmethod
    def config_fields(cls, values: Mapping[str, Any]) -> tuple[Fields, list[str]]:
        fields, notes = super().config_fields(values)
        if "nRequiredBGSamples" in fields:
            _clamp(fields, "nRequiredBGSamples", "nBGSamples", notes, ("required_samples", "samples"))
        return fields, notes


class SuBSENSE(LBSPMethod):
    name = "subsense"
    title = "SuBSENSE (BGSLibrary)"
    summary = ("Colour and LBSP texture samples per pixel, with per-pixel thresholds and update rates "
               "that adapt to how dynamic the background is (St-Charles et al. 2015). Strong on "
               "camera jitter and dynamic backgrounds with no tuning; about 50 ms per 320x240 frame.")
    algorithm = "SuBSENSE"
    params, fields = declare(
        ("fRelLBSPThreshold", _lbsp_threshold(0.333)),
        ("nDescDistThresholdOffset", _desc_dist_offset(3)),
        ("nMinColorDistThreshold", _min_color_dist(30, tune_min=10)),
        ("nBGSamples", _samples(50)),
        ("nRequiredBGSamples", _REQUIRED),
        ("nSamplesForMovingAvgs", _MOVING_AVG),
    )


class PAWCS(LBSPMethod):
    name = "pawcs"
    title = "PAWCS (BGSLibrary)"
    summary = ("A word-based dictionary of colour and texture per pixel, kept by how often and how "
               "recently each word was seen, with feedback on thresholds (St-Charles et al. 2016). "
               "Among the best unsupervised CDnet scores; the slowest here (about 90 ms per 320x240 frame).")
    algorithm = "PAWCS"
    params, fields = declare(
        ("fRelLBSPThreshold", _lbsp_threshold(0.333)),
        ("nDescDistThresholdOffset", _desc_dist_offset(2)),
        ("nMinColorDistThreshold", _min_color_dist(20, tune_min=5)),
        ("nMaxNbWords", Param(
            "max_words", "int", 50,
            "The most background words (colour and texture appearances) each pixel keeps. More words "
            "model backgrounds with many states, at a cost in speed.",
            min=2, max=100, step=1, tune_min=10, tune_max=60)),
        ("nSamplesForMovingAvgs", _MOVING_AVG),
    )


class LOBSTER(LBSPMethod):
    name = "lobster"
    title = "LOBSTER (BGSLibrary)"
    summary = ("ViBe's sample model with LBSP texture descriptors beside colour, so illumination "
               "changes and camouflage fool it less (St-Charles & Bilodeau 2014). About 30 ms per 320x240 frame.")
    algorithm = "LOBSTER"
    params, fields = declare(
        ("fRelLBSPThreshold", _lbsp_threshold(0.365)),
        ("nLBSPThresholdOffset", Param(
            "lbsp_offset", "int", 0,
            "An absolute intensity step added to the relative LBSP threshold, so flat dark areas do not "
            "flicker. Higher: less texture noise in the dark.",
            min=0, max=50, step=1, tune_min=0, tune_max=20)),
        ("nDescDistThreshold", Param(
            "desc_dist", "int", 4,
            "Bits of texture-descriptor difference a sample may show and still match. Lower: more "
            "sensitive to texture change.",
            min=0, max=30, step=1, tune_min=1, tune_max=12)),
        ("nColorDistThreshold", Param(
            "color_dist", "int", 30,
            "Colour distance within which a sample matches. Lower: more sensitive, noisier.",
            min=1, max=200, step=1, tune_min=10, tune_max=80, typical=(1, 100))),
        ("nBGSamples", _samples(35)),
        ("nRequiredBGSamples", _REQUIRED),
    )


# Sample-based --------------------------------------------------------------------------------------

def _matching_threshold(default: int) -> Param:
    return Param("matching_threshold", "int", default,
                 "Colour radius within which a stored sample matches the pixel. Lower: more sensitive "
                 "(more foreground, more noise); higher: misses objects close to the background colour.",
                 min=1, max=100, step=1, tune_min=5, tune_max=60)


def _update_factor(default: int) -> Param:
    return Param("update_factor", "int", default,
                 "Time subsampling: a background pixel updates its model with chance 1 in this. Lower "
                 "adapts faster (stopped objects fade sooner); higher keeps the background longer.",
                 min=1, max=64, step=1, tune_min=2, tune_max=32)


class ViBe(BGSLibraryMethod):
    name = "vibe"
    title = "ViBe (BGSLibrary)"
    has_background = False
    summary = ("20 colour samples per pixel, updated at random and spread to neighbours, so the model "
               "needs one frame to start (Barnich & Van Droogenbroeck 2011). Very fast.")
    algorithm = "ViBe"
    params, fields = declare(
        ("matchingThreshold", _matching_threshold(20)),
        ("matchingNumber", Param(
            "matching_number", "int", 2,
            "How many of the 20 samples must match for a pixel to be background. Higher: stricter, "
            "more foreground.",
            min=1, max=20, step=1, tune_min=1, tune_max=5)),
        ("updateFactor", _update_factor(16)),
    )


class TwoPoints(BGSLibraryMethod):
    name = "two_points"
    title = "Two points (BGSLibrary)"
    has_background = False
    summary = ("ViBe's idea with just two samples per pixel, the cheapest sample model "
               "(Van Droogenbroeck & Barnich). Fast and noisy: a baseline for the others.")
    algorithm = "TwoPoints"
    params, fields = declare(
        ("matchingThreshold", _matching_threshold(20)),
        ("updateFactor", _update_factor(16)),
    )


class PBAS(BGSLibraryMethod):
    name = "pbas"
    title = "PBAS (BGSLibrary)"
    has_background = False
    summary = ("Pixel-Based Adaptive Segmenter: samples of intensity and gradient per pixel, with a "
               "decision threshold and a learning rate that each pixel controls from its own "
               "background dynamics (Hofmann et al. 2012).")
    algorithm = "PixelBasedAdaptiveSegmenter"
    params, fields = declare(
        ("N", Param("samples", "int", 20,
                    "Background samples kept per pixel (N). More samples model busier backgrounds, slower.",
                    min=2, max=50, step=1, tune_min=10, tune_max=35)),
        ("Raute_min", Param("min_matches", "int", 2,
                            "How many samples must lie within the threshold for background (#min). "
                            "Higher: stricter, more foreground. At most the number of samples.",
                            min=1, max=20, step=1, tune_min=1, tune_max=5)),
        ("R_lower", Param("r_lower", "int", 18,
                          "The lowest decision threshold a pixel may reach. Lower: more sensitive in "
                          "calm areas, noisier.",
                          min=1, max=100, step=1, tune_min=5, tune_max=40)),
        ("R_scale", Param("r_scale", "int", 5,
                          "Each pixel's threshold tends to this times its mean distance to the "
                          "background samples: higher lifts thresholds where the background moves.",
                          min=1, max=20, step=1, tune_min=2, tune_max=10)),
        ("R_incdec", Param("r_incdec", "float", 0.05,
                           "How fast a pixel's threshold moves towards that target each frame.",
                           min=0.001, max=0.5, step=0.001, tune=False, typical=(0.001, 0.2))),
        ("T_lower", Param("t_lower", "int", 2,
                          "Lowest update period: the fastest a pixel may absorb change into its "
                          "background (1 in this chance per frame).",
                          min=1, max=100, step=1, tune=False)),
        ("T_upper", Param("t_upper", "int", 200,
                          "Highest update period: the slowest a pixel may learn. Higher keeps stopped "
                          "objects out of the background longer.",
                          min=2, max=500, step=1, tune=False)),
        ("T_init", Param("t_init", "int", 18,
                         "Update period each pixel starts with, between t_lower and t_upper.",
                         min=1, max=500, step=1, tune=False, typical=(1, 100))),
        ("T_inc", Param("t_inc", "int", 1,
                        "How much a foreground decision lengthens the pixel's update period.",
                        min=1, max=50, step=1, tune=False)),
        ("T_dec", Param("t_dec", "float", 0.05,
                        "How much a background decision shortens it.",
                        min=0.001, max=1.0, step=0.001, tune=False, typical=(0.001, 0.2))),
        ("alpha", Param("alpha", "float", 7.0,
                        "Weight of the gradient magnitude in the pixel distance, against the intensity "
                        "(beta). Higher: edges matter more than brightness.",
                        min=0.0, max=50.0, step=0.1, tune=False, typical=(0.0, 20.0))),
        ("beta", Param("beta", "float", 1.0,
                       "Weight of the intensity in the pixel distance.",
                       min=0.0, max=10.0, step=0.1, tune=False)),
        ("enableInputBlur", Param("input_blur", "bool", True,
                                  "Blur each frame before segmenting: fewer isolated noise pixels.",
                                  tune=False)),
        ("enableOutputBlur", Param("output_blur", "bool", True,
                                   "Median-filter the mask: smoother blobs, thin parts lost.",
                                   tune=False)),
    )

    @classmethod
    def config_fields(cls, values: Mapping[str, Any]) -> tuple[Fields, list[str]]:
        fields, notes = super().config_fields(values)
        _clamp(fields, "Raute_min", "N", notes, ("min_matches", "samples"))
        _clamp(fields, "T_lower", "T_upper", notes, ("t_lower", "t_upper"))
        if not fields["T_lower"] <= fields["T_init"] <= fields["T_upper"]:
            init = min(max(fields["T_init"], fields["T_lower"]), fields["T_upper"])
            notes.append(f"t_init {fields['T_init']} lies outside [t_lower, t_upper]: using {init}")
            fields["T_init"] = init
        return fields, notes


# Statistical ---------------------------------------------------------------------------------------

class CodeBook(BGSLibraryMethod):
    name = "codebook"
    title = "Codebook (BGSLibrary)"
    has_background = False
    summary = ("Per pixel, a codebook of intensity boxes learnt from the first frames; a pixel outside "
               "every box is foreground (Kim et al. 2005). Copes with backgrounds that cycle through states.")
    algorithm = "CodeBook"
    params, fields = declare(
        ("alpha", Param("alpha", "int", 10,
                        "Half-width of each codeword's intensity box. Wider: fewer false alarms, misses "
                        "objects close to the background.",
                        min=1, max=100, step=1, tune_min=3, tune_max=40)),
        ("beta", Param("beta", "float", 1.0,
                       "After learning, how much a codeword keeps its old box when a matching pixel "
                       "comes (1: boxes stay as learnt; lower: they follow slow changes).",
                       min=0.0, max=1.0, step=0.01, tune_min=0.5, tune_max=1.0)),
        ("learningFrames", Param("learning_frames", "int", 10,
                                 "Frames the codebook is learnt from before it segments. More frames "
                                 "capture more background states; the first masks come later.",
                                 min=1, max=500, step=1, tune=False, typical=(1, 100))),
    )


class IMBS(BGSLibraryMethod):
    name = "imbs"
    title = "IMBS (BGSLibrary)"
    summary = ("Independent Multimodal Background Subtraction: a per-pixel histogram of colours, "
               "re-estimated periodically, with shadow suppression and a mark for objects that stay "
               "(Bloisi & Iocchi 2012). Shadows count as background.")
    algorithm = "IndependentMultimodal"
    params, fields = declare(
        ("fps", Param("fps", "int", 10,
                      "The video's frame rate as IMBS assumes it; it sets how often (in frames) the "
                      "background is re-estimated and how long an object must stay to be persistent.",
                      min=1, max=60, step=1, tune=False)),
    )


class SOBS(BGSLibraryMethod):
    name = "sobs"
    title = "SOBS (BGSLibrary)"
    summary = ("Self-Organising Background Subtraction: a small neural map of colours per pixel, "
               "trained on the first frames, whose neighbours learn together (Maddalena & Petrosino 2008).")
    algorithm = "LBAdaptiveSOM"
    params, fields = declare(
        ("sensitivity", Param("sensitivity", "int", 75,
                              "Distance within which a map weight matches the pixel after training. "
                              "Lower: more sensitive.",
                              min=1, max=255, step=1, tune_min=20, tune_max=150)),
        ("trainingSensitivity", Param("training_sensitivity", "int", 245,
                                      "The same distance during training (wide, so the map takes in the scene).",
                                      min=1, max=255, step=1, tune=False)),
        ("learningRate", Param("learning_rate", "int", 62,
                               "How strongly a matching pixel pulls the map after training (of 255). "
                               "Higher adapts faster; stopped objects fade sooner.",
                               min=1, max=255, step=1, tune_min=10, tune_max=200)),
        ("trainingLearningRate", Param("training_learning_rate", "int", 255,
                                       "The same during training.",
                                       min=1, max=255, step=1, tune=False)),
        ("trainingSteps", Param("training_steps", "int", 55,
                                "Frames of training before the map segments.",
                                min=1, max=500, step=1, tune=False, typical=(1, 200))),
    )


class FuzzyChoquet(BGSLibraryMethod):
    name = "fuzzy_choquet"
    title = "Fuzzy Choquet integral (BGSLibrary)"
    summary = ("Fuses colour and texture similarity with a fuzzy Choquet integral instead of a hard "
               "vote (El Baf, Bouwmans & Vachon 2008).")
    algorithm = "FuzzyChoquetIntegral"
    fixed = {"colorSpace": 1, "option": 2}  # RGB; two colour components and one texture component
    params, fields = declare(
        ("threshold", Param("threshold", "float", 0.67,
                            "Fused similarity below which a pixel is foreground. Higher: more foreground.",
                            min=0.0, max=1.0, step=0.01, tune_min=0.3, tune_max=0.95)),
        ("framesToLearn", Param("frames_to_learn", "int", 10,
                                "Frames the background is learnt from before it segments.",
                                min=1, max=200, step=1, tune=False)),
        ("alphaLearn", Param("alpha_learn", "float", 0.1,
                             "Background update rate while learning.",
                             min=0.0, max=1.0, step=0.01, tune=False)),
        ("alphaUpdate", Param("alpha_update", "float", 0.01,
                              "Background update rate afterwards. Higher: stopped objects fade sooner.",
                              min=0.0, max=1.0, step=0.001, tune_min=0.001, tune_max=0.1, log=True,
                              typical=(0.0, 0.2))),
        ("smooth", Param("smooth", "bool", True,
                         "Smooth each frame before comparing: fewer isolated noise pixels.",
                         tune=False)),
    )


BGSLIBRARY_METHODS: tuple[type[BGSLibraryMethod], ...] = (
    SuBSENSE, PAWCS, LOBSTER, ViBe, PBAS, CodeBook, IMBS, SOBS, TwoPoints, FuzzyChoquet)
