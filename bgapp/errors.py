"""The one exception type a user is meant to read."""

from __future__ import annotations

import reprlib


class BgappError(Exception):
    """A problem with the user's input (a path, a value, a file), stated in one clear line.

    The CLI prints it and exits with status 2; the app shows it with ``st.error``. Anything
    that is not a ``BgappError`` is a bug in bgapp, not the user's fault. Its text is always
    printable (see :func:`printable`), even when it names a file whose name is not UTF-8.
    """

    def __str__(self) -> str:
        return printable(super().__str__())


class SourceError(BgappError):
    """A source's own files cannot be read (a label of another size, a frame missing mid-way): a
    run over many sequences leaves that one out and goes on. A problem of the method or the
    settings stays a plain :class:`BgappError`, which stops the run: it would fail everywhere."""


def printable(text: object) -> str:
    """``text`` safe to print or show: a file name that is not valid UTF-8 (Python keeps its
    bytes as lone surrogates) gets ``\\xNN`` escapes instead of breaking the terminal or the page."""
    s = str(text)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    out = []
    for c in s:
        n = ord(c)
        if 0xDC80 <= n <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
            out.append(f"\\x{n - 0xDC00:02x}")
        elif 0xD800 <= n <= 0xDFFF:
            out.append(f"\\u{n:04x}")
        else:
            out.append(c)
    return "".join(out)


BRIEF_CHARS = 40  # a string in a message shows this many characters, then "…"
BRIEF_DIGITS = 15  # a whole number longer than this is described, not printed


def brief(value: object, limit: int = BRIEF_CHARS) -> str:
    """``value`` as a message shows it to a person: short values as Python writes them (``'lots'``,
    ``3.5``, ``True``); a whole number too long to read as "a number 309 digits long"; a long string
    as its first ``limit`` characters, "…" and its length; a long list or object cut to about two
    lines' worth. The CLI's errors and the pages' share it, so both say the same thing."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        digits = _digits(value)
        return f"a number {digits:,} digits long" if digits > BRIEF_DIGITS else repr(value)
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        head = repr(value[:limit])
        return f"{head[:-1]}…{head[-1]} ({len(value):,} characters)"
    try:
        text = _SHORT.repr(value)
    except Exception:  # noqa: BLE001 - an object whose repr fails still gets a message
        text = f"a {type(value).__name__}"
    return text if len(text) <= 2 * limit else text[: 2 * limit] + "…"


def _digits(n: int) -> int:
    """Decimal digits of ``n`` (no sign), also beyond Python's 4300-digit ``str`` limit."""
    n = abs(n)
    if n.bit_length() < 10_000:
        return len(str(n))
    return int(n.bit_length() * 0.30102999566398120) + 1  # within one digit; only ever shown as a length


class _ShortRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = BRIEF_CHARS
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict = 3, 5, 5, 5

    def repr_int(self, x: int, level: int) -> str:
        return brief(x)


_SHORT = _ShortRepr()
