"""A session's settings as one JSON document that round-trips.

``{"method": "mog2", "params": {...}, "post": {...}, "composite": {...}}``: every value is
validated against the declarations (unknown keys and out-of-range values raise a BgappError
that names the key), and missing values take their declared defaults, so a saved config
reproduces the same masks wherever it is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BgappError
from .methods import get_method
from .params import Param, validate
from .postprocess import NO_POST, POST_PARAMS

SECTIONS = ("method", "params", "post", "composite")
OPTIONAL_KEYS = ("version", "description")


def composite_params() -> tuple[Param, ...]:
    from .composite import COMPOSITE_PARAMS

    return COMPOSITE_PARAMS


@dataclass
class Config:
    """Method name plus fully validated parameter, post-processing and composite values."""

    method: str = "mog2"
    params: dict[str, Any] = field(default_factory=dict)
    post: dict[str, Any] = field(default_factory=dict)
    composite: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cls = get_method(self.method)
        self.params = validate(cls.params, self.params, f"params.{self.method}.")
        self.post = validate(POST_PARAMS, self.post, "post.")
        self.composite = validate(composite_params(), self.composite, "composite.")

    @classmethod
    def from_dict(cls, data: Any) -> Config:
        """Validate a parsed JSON document."""
        if not isinstance(data, Mapping):
            raise BgappError("config must be a JSON object with keys method, params, post, composite")
        unknown = [k for k in data if k not in SECTIONS + OPTIONAL_KEYS]
        if unknown:
            raise BgappError(f"unknown config key {unknown[0]!r}; expected {', '.join(SECTIONS)}")
        method = data.get("method", "mog2")
        if not isinstance(method, str):
            raise BgappError(f"config key 'method' must be a method name, got {method!r}")
        sections = {}
        for key in ("params", "post", "composite"):
            value = data.get(key) or {}
            if not isinstance(value, Mapping):
                raise BgappError(f"config key {key!r} must be an object of name: value pairs")
            sections[key] = dict(value)
        return cls(method, **sections)

    @classmethod
    def from_json(cls, text: str | bytes) -> Config:
        try:
            if isinstance(text, (bytes, bytearray)):
                text = bytes(text).decode("utf-8-sig")  # not json's guess, which also takes UTF-16/32
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BgappError(f"config is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        except UnicodeDecodeError:
            raise BgappError("config is not UTF-8 text: expected a JSON file") from None
        except RecursionError:
            raise BgappError("config is nested too deeply to be a bgapp config") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """A config file; a ``bgapp tune --json`` document or a preset file loads its ``best`` config."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise BgappError(f"config file not found: {path}") from None
        except IsADirectoryError:
            raise BgappError(f"{path} is a folder: expected a config JSON file") from None
        except UnicodeDecodeError:
            raise BgappError(f"config {path.name} is not UTF-8 text: expected a JSON file") from None
        except OSError as exc:
            raise BgappError(f"cannot read config {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BgappError(f"config {path.name} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        except RecursionError:
            raise BgappError(f"config {path.name} is nested too deeply to be a bgapp config") from None
        if isinstance(data, Mapping) and isinstance(data.get("best"), Mapping):
            data = data["best"]
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": dict(self.params), "post": dict(self.post),
                "composite": dict(self.composite)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    def without_post(self) -> Config:
        """The same config with every post-processing step turned off."""
        return Config(self.method, dict(self.params), {**self.post, **NO_POST}, dict(self.composite))

    def with_sets(self, sets: Iterable[str]) -> Config:
        """Apply ``KEY=VALUE`` strings, as given to ``--set``.

        A bare key names a method parameter, else a post-processing one, else a composite one;
        ``post.KEY``, ``composite.KEY`` and ``params.KEY`` say which explicitly.
        """
        params, post, comp = dict(self.params), dict(self.post), dict(self.composite)
        method_names = {p.name for p in get_method(self.method).params}
        post_names = {p.name for p in POST_PARAMS}
        comp_names = {p.name for p in composite_params()}
        for item in sets:
            if "=" not in item:
                raise BgappError(f"--set expects KEY=VALUE, got {item!r}")
            key, value = (s.strip() for s in item.split("=", 1))
            section, _, name = key.rpartition(".")
            if section == "params" or (not section and name in method_names):
                target, names = params, method_names
            elif section == "post" or (not section and name in post_names):
                target, names = post, post_names
            elif section == "composite" or (not section and name in comp_names):
                target, names = comp, comp_names
            else:
                raise BgappError(f"unknown parameter {key!r} for method {self.method}; see "
                                 f"'bgapp methods' for the names")
            if name not in names:
                raise BgappError(f"unknown parameter {key!r} for method {self.method}")
            target[name] = value
        return Config(self.method, params, post, comp)

