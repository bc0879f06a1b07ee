"""The one exception type a user is meant to read."""

from __future__ import annotations


class BgappError(Exception):
    """A problem with the user's input (a path, a value, a file), stated in one clear line.

    The CLI prints it and exits with status 2; the app shows it with ``st.error``. Anything
    that is not a ``BgappError`` is a bug in bgapp, not the user's fault.
    """
