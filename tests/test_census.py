"""The census counts what a process holds without walking the garbage collector's object list."""

from __future__ import annotations

import gc

from bgapp.config import Config
from bgapp.pipeline import Pipeline
from tests import census
from ui.lifecycle import SessionDir


def test_the_census_counts_live_pipelines_and_session_folders_and_forgets_them_when_dropped() -> None:
    census.install()
    wrapped = Pipeline.__init__
    census.install()
    assert Pipeline.__init__ is wrapped  # a second install wraps nothing twice
    before = census.stats()
    pipe, folder = Pipeline(Config("mog2")), SessionDir()
    during = census.stats()
    assert during["pipelines"] == before["pipelines"] + 1
    assert str(folder.path) in during["session_dirs"]
    path = folder.path
    del pipe, folder
    gc.collect()
    after = census.stats()
    assert after["pipelines"] == before["pipelines"]
    assert str(path) not in after["session_dirs"] and not path.exists()
