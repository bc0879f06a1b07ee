"""The engine's import graph: no module of bgapp imports itself back through others (no cycle),
and nothing but the command line imports the command line (the pages use the engine)."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT


def _module_names() -> dict[str, tuple[Path, bool]]:
    out = {}
    for f in (ROOT / "bgapp").rglob("*.py"):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (f, package)
    return out


def _imports(f: Path, name: str, package: bool) -> set[str]:
    """Every module named by an import statement anywhere in ``f`` (functions included)."""
    base = name.split(".") if package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                target = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            if node.module:  # `from . import x` names the module x, not the package's own __init__
                found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _module_names()
    return {name: {m for m in _imports(f, name, pkg) if m in mods and m != name} for name, (f, pkg) in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_bgapp() -> None:
    graph = _graph()
    assert {"bgapp.cli", "bgapp.cli.tune", "bgapp.config", "bgapp.presets", "bgapp.documents"} <= set(graph)
    assert _cycles(graph) == []


def test_only_the_command_line_imports_the_command_line() -> None:
    users = []
    for folder in ("bgapp", "ui", "app_pages"):
        for f in (ROOT / folder).rglob("*.py"):
            if f.is_relative_to(ROOT / "bgapp" / "cli") or f.name == "__main__.py":
                continue
            text = f.read_text(encoding="utf-8")
            if "bgapp.cli" in text.replace("bgapp.clip", "") or "from .cli" in text or "from . import cli" in text:
                users.append(str(f.relative_to(ROOT)))
    assert users == []


def test_every_command_registers_itself() -> None:
    from bgapp.cli import COMMANDS, build_parser

    parser = build_parser()
    argvs = {"methods": ["methods"], "eval": ["eval", "demo"], "process": ["process", "demo", "--out", "x"],
             "tune": ["tune", "demo"], "export": ["export", "x.json"], "bench_table": ["bench-table", "demo"],
             "host": ["host", "--write", "x"]}
    assert [c.__name__.rsplit(".", 1)[1] for c in COMMANDS.values()] == list(argvs)
    assert list(COMMANDS) == [name.replace("_", "-") for name in argvs]  # a registry by sub-command name
    for command, (name, argv) in zip(COMMANDS.values(), argvs.items()):
        args = parser.parse_args(argv)
        assert args.command == name.replace("_", "-") and args.func is command.run


def test_the_engine_never_imports_streamlit_or_the_pages() -> None:
    """bgapp/ runs without Streamlit (the CLI, the benches, the Player the lab page draws): no module of
    it names ``streamlit``, ``streamlit_webrtc`` or ``ui`` in an import, not even inside a function."""
    offenders = {}
    for name, (f, pkg) in _module_names().items():
        bad = sorted(m for m in _imports(f, name, pkg)
                     if m.split(".")[0] in ("streamlit", "streamlit_webrtc", "ui", "app_pages"))
        if bad:
            offenders[name] = bad
    assert offenders == {}
    assert "bgapp.player" in _module_names()
