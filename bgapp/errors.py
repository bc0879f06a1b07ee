"""The one exception type a user is meant to read."""

from __future__ import annotations


class BgappError(Exception):
    """A problem with the user's input (a path, a value, a file), stated in one clear line.

    The CLI prints it and exits with status 2; the app shows it with ``st.error``. Anything
    that is not a ``BgappError`` is a bug in bgapp, not the user's fault. Its text is always
    printable (see :func:`printable`), even when it names a file whose name is not UTF-8.
    """

    def __str__(self) -> str:
        return printable(super().__str__())


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
