"""One shape for every extension point: an ordered, typed name -> item mapping.

Methods, composites, export formats, CLI commands, the app's pages and the kinds of source are each
one :class:`Registry`, so adding one of them is always the same move: define the thing, register it
(``@REGISTRY.register`` on a class, or :meth:`Registry.add`). A registry is a ``Mapping``: callers
iterate its names in registration order, index it, and list ``values()`` as they would a dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from .errors import BgappError, brief

T = TypeVar("T")
K = TypeVar("K")


def _name_attribute(item: Any) -> str:
    """The name of most registered things: their ``name`` attribute."""
    return str(item.name)


class Registry(Mapping[str, T]):
    """Items by name, in the order they were registered.

    ``what`` names one item in messages ("method", "export format"). ``name_of`` gives an item's
    name (its ``name`` attribute by default). ``make`` turns what :meth:`register` decorates into
    the stored item (a composite class into its instance); without it the decorated object itself
    is stored. A taken name is refused (ValueError: two things claiming one name is a bug, not the
    user's input); an unknown name asked for with :meth:`find` is a BgappError listing the known ones.
    """

    def __init__(self, what: str, items: Iterable[T] = (), *, name_of: Callable[[T], str] = _name_attribute,
                 make: Callable[[Any], T] | None = None) -> None:
        self.what = what
        self._name_of = name_of
        self._make = make
        self._items: dict[str, T] = {}
        for item in items:
            self.add(item)

    def add(self, item: T, name: str | None = None) -> T:
        """Register ``item`` under ``name`` (its own name by default); refuses a name already taken."""
        name = self._name_of(item) if name is None else name
        if name in self._items:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self._items[name] = item
        return item

    def register(self, obj: K) -> K:
        """Class decorator: register ``obj`` (or ``make(obj)``) and hand ``obj`` back unchanged."""
        self.add(self._make(obj) if self._make is not None else obj)  # type: ignore[arg-type]
        return obj

    def names(self) -> tuple[str, ...]:
        """The names, in registration order."""
        return tuple(self._items)

    def find(self, name: str) -> T:
        """The item called ``name``; an unknown name is a BgappError that lists the known ones (what the
        CLI and the pages show). ``get`` stays ``Mapping.get``: None for an unknown name."""
        if name in self._items:
            return self._items[name]
        raise BgappError(f"unknown {self.what} {brief(name)}; choose one of: {', '.join(self._items)}")

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    # Item assignment replaces on purpose (a test swaps an entry in with monkeypatch.setitem and
    # takes it out again); registering goes through add/register, which refuse a taken name.
    def __setitem__(self, name: str, item: T) -> None:
        self._items[name] = item

    def __delitem__(self, name: str) -> None:
        del self._items[name]

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(self._items)})"
