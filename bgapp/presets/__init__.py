"""Presets for typical scenes, tuned on real sequences and shipped as JSON beside this file.

Each preset file is a ``bgapp tune --json`` document (``best``, ``value``, ``trials``) plus
``name``, ``title``, ``description``, ``tuned_on`` (the sequences), ``metric`` and ``seed``, so
it says what data it was tuned on and the score it reached there. ``get_preset(name).config``
is an ordinary :class:`~bgapp.config.Config`; ``bgapp export NAME`` and ``bgapp tune --config
NAME`` accept a preset name wherever they take a config file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import BgappError

PRESET_DIR = Path(__file__).resolve().parent


@dataclass
class Preset:
    name: str
    title: str
    description: str
    tuned_on: list[str]
    metric: str
    value: float | None
    trials: int
    config: Config
    seed: int | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """One line: the scene, the method, and the score reached on which data."""
        score = f"{self.metric.replace('_', '-')} {self.value:.3f}" if self.value is not None else "not scored"
        return f"{self.title}: {self.config.method}, {score} on {', '.join(self.tuned_on)}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description, "tuned_on": self.tuned_on,
                "metric": self.metric, "value": self.value, "trials": self.trials, "seed": self.seed,
                "best": self.config.to_dict(), **self.extra}


def preset_from_dict(data: Any, where: str = "preset") -> Preset:
    """Validate a preset document (a tune document with the descriptive fields)."""
    if not isinstance(data, dict) or not isinstance(data.get("best"), dict):
        raise BgappError(f"{where}: expected a 'bgapp tune --json' document with a 'best' config")
    missing = [k for k in ("name", "description", "tuned_on") if k not in data]
    if missing:
        raise BgappError(f"{where}: missing {', '.join(missing)}")
    known = {"name", "title", "description", "tuned_on", "metric", "value", "trials", "seed", "best"}
    return Preset(
        name=str(data["name"]), title=str(data.get("title") or data["name"]), description=str(data["description"]),
        tuned_on=[str(s) for s in data["tuned_on"]], metric=str(data.get("metric", "f_measure")),
        value=None if data.get("value") is None else float(data["value"]), trials=int(data.get("trials", 0)),
        config=Config.from_dict(data["best"]), seed=data.get("seed"),
        extra={k: v for k, v in data.items() if k not in known},
    )


def load_preset(path: str | Path) -> Preset:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BgappError(f"cannot read preset {path.name}: {exc}") from None
    preset = preset_from_dict(data, path.name)
    preset.path = path
    return preset


def list_presets() -> list[Preset]:
    """Every shipped preset, by file name."""
    return [load_preset(p) for p in sorted(PRESET_DIR.glob("*.json"))]


def names() -> list[str]:
    return [p.stem for p in sorted(PRESET_DIR.glob("*.json"))]


def get_preset(name: str) -> Preset:
    """The preset called ``name``; a BgappError lists the names otherwise."""
    path = PRESET_DIR / f"{name}.json"
    if "/" in name or "\\" in name or not path.is_file():
        raise BgappError(f"no config file or preset called {name!r}; presets: {', '.join(names()) or 'none'}")
    return load_preset(path)
