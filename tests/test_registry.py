"""bgapp.registry: every extension point has the same shape, and a new kind of source is one class."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from bgapp.errors import BgappError
from bgapp.registry import Registry
from bgapp.sources import SOURCE_KINDS, SourceChoice, SourceKind, open_scored_sources, open_source
from bgapp.synthetic import SyntheticScene


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def test_a_registry_keeps_registration_order_and_reads_as_a_mapping() -> None:
    reg: Registry[_Named] = Registry("thing", (_Named("b"), _Named("a")))
    c = reg.add(_Named("c"))
    assert list(reg) == ["b", "a", "c"] and reg.names() == ("b", "a", "c") and len(reg) == 3
    assert isinstance(reg, Mapping) and reg["c"] is c and reg.find("c") is c and "a" in reg and "z" not in reg
    assert [t.name for t in reg.values()] == ["b", "a", "c"]
    assert reg.get("z") is None  # get is Mapping.get; find names the known ones


def test_a_taken_name_is_refused() -> None:
    reg: Registry[_Named] = Registry("thing", (_Named("a"),))
    with pytest.raises(ValueError, match="thing 'a' is registered twice"):
        reg.add(_Named("a"))
    assert list(reg) == ["a"]


def test_an_unknown_name_is_a_bgapp_error_listing_the_known_ones() -> None:
    reg: Registry[_Named] = Registry("thing", (_Named("one"), _Named("two")))
    with pytest.raises(BgappError) as exc:
        reg.find("three")
    assert str(exc.value) == "unknown thing 'three'; choose one of: one, two"
    with pytest.raises(BgappError, match="characters"):  # a long name is cut short, as every message does
        reg.find("x" * 500)


def test_register_decorates_a_class_and_make_builds_the_item() -> None:
    classes: Registry[type[_Named]] = Registry("class", name_of=lambda cls: cls.__name__.lower())
    instances: Registry[_Named] = Registry("instance", make=lambda cls: cls("made"))

    @classes.register
    class Alpha(_Named):
        pass

    assert classes["alpha"] is Alpha  # the class itself, handed back unchanged
    assert instances.register(_Named) is _Named and isinstance(instances["made"], _Named)
    with pytest.raises(ValueError, match="registered twice"):
        instances.register(_Named)


def test_every_extension_point_is_a_registry() -> None:
    from bgapp.cli import COMMANDS
    from bgapp.composite import COMPOSITES
    from bgapp.export import EXPORT_FORMATS
    from bgapp.methods import METHODS
    from ui.pages import PAGES

    points = {"method": METHODS, "composite": COMPOSITES, "export format": EXPORT_FORMATS, "command": COMMANDS,
              "page": PAGES, "kind of source": SOURCE_KINDS}
    for what, reg in points.items():
        assert isinstance(reg, Registry) and reg.what == what and len(reg) > 0
        with pytest.raises(BgappError, match=f"unknown {what} 'nope'; choose one of: {', '.join(reg)}"):
            reg.find("nope")
    assert list(SOURCE_KINDS) == ["demo", "case", "video", "zip", "folder", "study", "labelled"]
    assert list(COMMANDS) == ["methods", "eval", "process", "tune", "export", "bench-table", "host"]
    assert next(iter(PAGES)) == "app_pages/home.py" and list(METHODS)[:2] == ["mog2", "knn"]


def test_a_new_kind_of_source_is_one_class(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A throwaway kind, ``tiny:<frames>``, registered once: open_source, evaluation and the picker's
    contract (its inputs and pick) all come from the class."""

    class Tiny(SourceKind):
        name, label, doing = "tiny", "A tiny scene", "opening the tiny scene"

        def matches(self, spec: str | Path) -> bool:
            return isinstance(spec, str) and spec.startswith("tiny:")

        def open(self, spec: str | Path, max_side: int | None = None) -> SyntheticScene:
            return SyntheticScene(width=64, height=48, n_frames=int(str(spec)[5:]), warmup=2)

        def pick(self, values, picking):
            src = self.open("tiny:5")
            return SourceChoice(self.name, "tiny:5", src, "tiny")

    assert SOURCE_KINDS.get("tiny") is None
    with pytest.raises(BgappError, match="no such file or folder: tiny:7"):
        open_source("tiny:7")
    monkeypatch.setitem(SOURCE_KINDS, "tiny", Tiny())
    src = open_source("tiny:7")
    frame = src.frame(0)
    assert len(src) == 7 and frame.shape == (48, 64, 3) and frame.dtype == np.uint8
    assert [len(s) for s in open_scored_sources(["tiny:4", "demo"])] == [4, len(open_source("demo"))]
    assert SOURCE_KINDS.find("tiny").pick({}, None).kind == "tiny"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="registered twice"):
        SOURCE_KINDS.register(Tiny)


def test_the_built_in_kinds_recognise_their_specs(tmp_path: Path) -> None:
    from bgapp.sources import kind_of

    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    archive = tmp_path / "seq.zip"
    archive.write_bytes(b"x")
    found = {spec: (k.name if (k := kind_of(spec)) else None)
             for spec in ("demo", "case:shadows", str(video), str(archive), str(tmp_path), str(tmp_path / "none"))}
    assert list(found.values()) == ["demo", "case", "video", "zip", "folder", None]
    with pytest.raises(BgappError, match="is a file: evaluation needs a sequence folder"):
        open_scored_sources([str(video)])
    with pytest.raises(BgappError, match="no such folder"):
        open_scored_sources([str(tmp_path / "none")])
