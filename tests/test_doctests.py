"""The engine's docstring examples run, pass, and are there: a deleted example fails here.

They run in a fresh interpreter, so what they import is all they import (no Streamlit: the
engine is usable without the app) and the Pipelines they make cannot touch this process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bgapp import pybgs_adapter
from bgapp.methods import METHODS

from .conftest import ROOT

# Each module, and the names in it whose docstrings must hold at least one example.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "bgapp.pipeline": ("Pipeline", "Pipeline.process", "Pipeline.update", "Pipeline.reset", "Pipeline.redraw",
                       "Pipeline.run"),
    "bgapp.config": ("Config", "Config.from_json", "Config.with_sets", "Config.to_query", "Config.from_query",
                     "Change"),
    "bgapp.sources": ("open_source",),
    "bgapp.evaluate": ("evaluate",),
    "bgapp.tuning": ("tune",),
    "bgapp.metrics": ("Counts", "confusion", "error_image", "mean_figures", "summarize"),
    "bgapp.trace": ("",),  # the module's own docstring
    "bgapp.turn": ("",),
    "bgapp.modelcard": ("table",),
    "bgapp.challenge": ("PasscodeGuard",),
}
for _cls in METHODS.values():  # each method's constructor: its docstring is made from its declarations
    EXAMPLES[_cls.__module__] = (*EXAMPLES.get(_cls.__module__, ()), _cls.__name__)

_RUN = """
import doctest, importlib, io, json, sys
out = {}
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    counts = {}
    for test in doctest.DocTestFinder().find(module):
        if test.examples:
            counts[test.name.removeprefix(name).lstrip(".")] = len(test.examples)
            runner.run(test, out=report.write)
    out[name] = {"failed": runner.failures, "counts": counts, "report": report.getvalue()}
out["streamlit imported"] = sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def ran() -> dict:
    proc = subprocess.run([sys.executable, "-c", _RUN, *EXAMPLES], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def _runnable(module: str) -> None:
    """BGSLibrary's examples run its algorithms: where the wrapper is not built they skip, as the
    tests of test_bgslibrary.py do (CI builds it, and test_ci_builds_the_wrapper fails there if not)."""
    if module == "bgapp.methods.bgslibrary":
        reason = pybgs_adapter.unavailable_reason("SuBSENSE")
        if reason:
            pytest.skip(reason)


@pytest.mark.parametrize("module", list(EXAMPLES))
def test_the_examples_pass(ran: dict, module: str) -> None:
    _runnable(module)
    assert ran[module]["failed"] == 0, ran[module]["report"]


@pytest.mark.parametrize("module", list(EXAMPLES))
def test_every_listed_name_has_examples(ran: dict, module: str) -> None:
    counts = ran[module]["counts"]
    missing = [name or module for name in EXAMPLES[module] if not counts.get(name)]
    assert not missing, f"no docstring example for {missing}"


def test_the_examples_do_not_import_streamlit(ran: dict) -> None:
    assert ran["streamlit imported"] == []
