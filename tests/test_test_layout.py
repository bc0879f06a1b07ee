"""How the tests are laid out: shared helpers live in helper modules, never in test modules."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(source: str, package: str) -> set[str]:
    """Dotted names ``source`` imports, with relative imports resolved against ``package``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)  # from tests import test_x
    return names


def test_no_test_module_imports_another():
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(TESTS.parent).parts[:-1])
        names = _imported_modules(path.read_text(), package)
        bad = sorted(n for n in names if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_"))
        if bad:
            offenders[str(path.relative_to(TESTS))] = bad
    assert not offenders, offenders


def test_the_guard_sees_relative_and_absolute_imports():
    names = _imported_modules("from .test_browser_pages import x\nfrom tests import test_cli\n"
                              "import tests.test_metrics\nfrom ..factories import cdnet_sequence\n", "tests.browser")
    assert {"tests.browser.test_browser_pages", "tests.test_cli", "tests.test_metrics"} <= names
    assert "tests.factories.cdnet_sequence" in names
