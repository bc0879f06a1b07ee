"""The JSON documents bgapp reads and writes, for the CLI and the pages alike.

* :func:`dumps`: a report or result as one line of strict JSON, undefined figures (NaN, e.g.
  precision with no detections) written as ``null``; ``bgapp eval --json`` and the Evaluate
  page's download are the same document.
* :func:`resolve_config`: a config named the way ``--config`` takes it: a config file, a ``bgapp
  tune --json`` document, a preset file, or a preset name.
* :func:`build_config`: the config a command works with, from ``--config``, ``--method`` and
  ``--set`` (in that order).

It sits above :mod:`bgapp.config` and :mod:`bgapp.presets` (a preset holds a Config), so neither
of those imports the other's caller.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .config import Config
from .presets import get_preset


def clean_json(obj: Any) -> Any:
    """``obj`` with every non-finite float (an undefined metric) replaced by None (JSON null)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """One line of strict JSON (no NaN or Infinity tokens: those become null)."""
    return json.dumps(clean_json(obj), allow_nan=False)


def resolve_config(spec: str | Path) -> Config:
    """A config from a file (a config, a ``bgapp tune --json`` document, a preset file) or a preset name."""
    path = Path(spec)
    if not path.exists() and "/" not in str(spec) and not str(spec).endswith(".json"):
        return get_preset(str(spec)).config
    return Config.load(path)


def build_config(spec: str | Path | None = None, method: str | None = None, sets: Iterable[str] = ()) -> Config:
    """``spec`` (see :func:`resolve_config`; default: the default config), then ``method`` (a
    different method keeps the post-processing and composite), then ``KEY=VALUE`` ``sets``."""
    if spec:
        cfg = resolve_config(spec)
        if method and method != cfg.method:
            cfg = Config(method, {}, cfg.post, cfg.composite)
    else:
        cfg = Config(method or "mog2")
    return cfg.with_sets(sets)
