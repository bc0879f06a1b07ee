"""Parameter declarations: the single source for sliders, CLI flags, configs, exports and tuning.

Every method, the post-processing stage and the compositor declare their knobs as a tuple of
:class:`Param`. Nothing else in bgapp or the app retypes a range, a default or a help text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import BgappError, brief
from .standalone import odd

KINDS = ("int", "float", "bool", "choice")


@dataclass(frozen=True)
class Param:
    """One tunable value: its type, default, range or choices, and what it does to the mask.

    ``rebuild`` marks values that cannot be changed on a running model (the model is rebuilt).
    ``tune`` says whether a tuning search space includes it; ``log`` asks for a log-scale search.
    ``tune_min``/``tune_max`` narrow the search range where the full range is wasteful.
    ``typical`` is the (low, high) span where useful values lie: the app's slider covers it, so
    common values use the whole track. Values outside it stay valid everywhere (CLI, configs,
    tuning, and the app's typed entry); without it the slider covers ``min..max``.
    """

    name: str
    kind: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None
    rebuild: bool = False
    tune: bool = True
    log: bool = False
    tune_min: float | None = None
    tune_max: float | None = None
    label: str | None = None
    odd: bool = False  # kernel sizes: even values are rounded up to the next odd one
    # (other param, values where this one matters); (">0",) means "when the other is positive"
    visible_if: tuple[str, tuple[Any, ...]] | None = None
    typical: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"{self.name}: a choice needs choices")
        if self.typical is not None:
            lo, hi = self.typical
            if self.kind not in ("int", "float") or self.min is None or self.max is None:
                raise ValueError(f"{self.name}: a typical range needs a number with min and max")
            if not self.min <= lo < hi <= self.max or not lo <= self.default <= hi:
                raise ValueError(f"{self.name}: typical range {self.typical} must lie in [min, max] "
                                 "and hold the default")
            steps = (lo - self.min) / (self.step or 1)
            if abs(steps - round(steps)) > 1e-9:
                raise ValueError(f"{self.name}: typical low {lo} is not on the step grid from min")

    @property
    def track(self) -> tuple[float, float]:
        """The span a slider covers: the typical range where declared, else ``min..max``."""
        if self.typical is not None:
            return self.typical
        if self.min is None or self.max is None:
            raise ValueError(f"{self.name}: a {self.kind} parameter has no range to cover")
        return self.min, self.max

    @property
    def title(self) -> str:
        """A human label for a widget."""
        return self.label or self.name.replace("_", " ").capitalize()

    def to_dict(self) -> dict[str, Any]:
        """The form ``bgapp methods --json`` prints."""
        return {
            "name": self.name,
            "type": self.kind,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "typical": list(self.typical) if self.typical else None,
            "choices": list(self.choices) if self.choices else None,
            "help": self.help,
        }

    def coerce(self, value: Any, where: str = "") -> Any:
        """Return ``value`` converted to this parameter's type, or raise a BgappError naming the key.

        Strings are accepted for every kind (they come from ``--set KEY=VALUE``). Values out of
        range are refused, not clipped: a silent clip would hide a typo in a config.
        """
        key = f"{where}{self.name}"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise BgappError(f"{key}: expected true or false, got {brief(value)}")
        if self.kind == "choice":
            choices = self.choices or ()
            if isinstance(value, str) and value in choices:
                return value
            raise BgappError(f"{key}: expected one of {', '.join(choices)}; got {brief(value)}")
        given = brief(value)  # as the user wrote it ("1e999", not inf)
        if isinstance(value, bool):
            raise BgappError(f"{key}: expected a number, got {given}")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise BgappError(f"{key}: expected a number, got {given}") from None
        if isinstance(value, float):
            if not math.isfinite(value):
                raise BgappError(f"{key}: expected a number, got {given}")
            if self.kind == "int" and not value.is_integer():
                raise BgappError(f"{key}: expected a whole number, got {given}")
        elif not isinstance(value, int):
            raise BgappError(f"{key}: expected a number, got {given}")
        # compared as given: Python compares a whole number of any length with a float bound exactly
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise BgappError(f"{key}: {given} is out of range [{_fmt(self.min)}, {_fmt(self.max)}]")
        if self.kind == "int":
            return int(value)
        try:
            return float(value)
        except OverflowError:  # a whole number beyond any float, where no range was declared
            raise BgappError(f"{key}: {given} is too large") from None


def _fmt(x: float | None) -> str:
    if x is None:
        return "-inf"
    return str(int(x)) if float(x).is_integer() else str(x)


def is_active(param: Param, values: Mapping[str, Any]) -> bool:
    """Whether ``param`` has any effect given the other values (the app hides dead controls)."""
    if param.visible_if is None:
        return True
    other, allowed = param.visible_if
    if allowed == (">0",):
        return (values.get(other) or 0) > 0
    return values.get(other) in allowed


def defaults(params: Iterable[Param]) -> dict[str, Any]:
    """The default value of each parameter, by name."""
    return {p.name: p.default for p in params}


def validate(params: Iterable[Param], values: Mapping[str, Any] | None, where: str = "") -> dict[str, Any]:
    """Defaults overlaid with ``values``, each coerced; unknown keys raise a BgappError naming them."""
    params = tuple(params)
    by_name = {p.name: p for p in params}
    out = defaults(params)
    for key, value in (values or {}).items():
        if key not in by_name:
            known = ", ".join(by_name) or "none"
            raise BgappError(f"unknown parameter {brief(where + str(key))}; known: {known}")
        out[key] = by_name[key].coerce(value, where)
    return out


def odd_kernel(size: int) -> tuple[int, str | None]:
    """Round an even kernel size up to the next odd one (:func:`bgapp.standalone.odd`), with a note saying so."""
    size, rounded = int(size), odd(size)
    return rounded, (f"kernel size {size} is even; using {rounded}" if rounded != size else None)


@dataclass
class Notes:
    """Messages for the user that are not errors (a rounded kernel, a rebuilt model)."""

    items: list[str] = field(default_factory=list)

    def add(self, msg: str | None) -> None:
        if msg and msg not in self.items:
            self.items.append(msg)
