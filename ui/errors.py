"""One wrapper for every user-input problem: a BgappError is shown as its message, anything else
as a friendly line (the traceback goes to the server log, never to the page)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from bgapp.errors import BgappError, printable

log = logging.getLogger("bgapp.ui")
T = TypeVar("T")

GENERIC = ("Something went wrong while {what}. Please try again or use another file; if it keeps "
           "happening, the server log has the details.")


@dataclass
class Outcome:
    """Whether the guarded block finished without a problem."""

    ok: bool = True


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\*[]<>$`~|"})


def plain(text: object) -> str:
    """``text`` (a file name, a zip member, a message naming them) for Streamlit's markdown: shown
    as written, never as a link, emphasis, formula or HTML; not-UTF-8 names made printable."""
    return printable(text).translate(_MARKDOWN)


def report(exc: BaseException, what: str, where: Any = st) -> None:
    """Show ``exc`` the way a user should see it."""
    if isinstance(exc, BgappError):
        where.error(plain(exc))
    else:
        log.exception("unexpected error while %s", what, exc_info=exc)
        where.error(GENERIC.format(what=what))


@contextmanager
def guard(what: str = "processing", where: Any = st) -> Iterator[Outcome]:
    """``with guard("reading the upload") as g: ...``; afterwards ``g.ok`` says whether it worked.

    Streamlit's rerun/stop signals derive from BaseException and pass through untouched.
    """
    outcome = Outcome()
    try:
        yield outcome
    except Exception as exc:  # noqa: BLE001 - the point of this wrapper
        outcome.ok = False
        report(exc, what, where)


def attempt(fn: Callable[..., T], *args: Any, what: str = "processing", where: Any = st, **kwargs: Any) -> T | None:
    """``fn(*args, **kwargs)``, or None after showing the problem."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        report(exc, what, where)
        return None
