"""A session's settings as one JSON document that round-trips.

``{"method": "mog2", "params": {...}, "post": {...}, "composite": {...}}``: every value is
validated against the declarations (unknown keys and out-of-range values raise a BgappError
that names the key), and missing values take their declared defaults, so a saved config
reproduces the same masks wherever it is loaded.

The same config also travels as a flat ``str -> str`` query (a link's ``?method=mog2&history=300&
post.open=5&composite.mode=blur``): :meth:`Config.to_query` writes the method and the values that
differ from their defaults, :meth:`Config.from_query` reads one back, using the defaults for what it
cannot use and saying why. Keys are ``--set``'s (:meth:`Config.with_sets`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BgappError, brief
from .methods import METHODS, get_method
from .params import Param, validate
from .postprocess import NO_POST, POST_PARAMS

SECTIONS = ("method", "params", "post", "composite")
OPTIONAL_KEYS = ("version", "description")
DEFAULT_METHOD = "mog2"
SCOPES = ("view", "post", "model")  # what a settings change touches (Change.scope), from least to most


def composite_params() -> tuple[Param, ...]:
    from .composite import COMPOSITE_PARAMS

    return COMPOSITE_PARAMS


def _sections(method: str) -> dict[str, tuple[Param, ...]]:
    """The declarations of each section of a config of ``method``, in the order bare keys resolve."""
    return {"params": tuple(get_method(method).params), "post": POST_PARAMS, "composite": composite_params()}


def _find(method: str, key: str) -> tuple[str, Param] | None:
    """The section and declaration that a ``--set`` or query key names for ``method``: ``params.NAME``,
    ``post.NAME``, ``composite.NAME``, or a bare name looked up in the method's parameters, then
    post-processing, then the composite. None where it names nothing."""
    prefix, _, name = key.rpartition(".")
    for section, params in _sections(method).items():
        if prefix in ("", section):
            found = next((p for p in params if p.name == name), None)
            if found is not None:
                return section, found
    return None


def is_query_key(key: str) -> bool:
    """Whether ``key`` belongs to a config's query (:meth:`Config.to_query`) for some method: ``method``,
    a section's ``params.``/``post.``/``composite.`` prefix, or the bare name of any declared parameter.
    A page that shares its address with other keys owns exactly these."""
    prefix, _, name = key.rpartition(".")
    if prefix:
        return prefix in ("params", "post", "composite")
    return key == "method" or any(_find(m, key) is not None for m in METHODS)


def query_value(param: Param, value: Any) -> str:
    """``value`` as a query writes it, read back exactly by ``param.coerce``: ``true``/``false``, a whole
    number as digits, any other float as Python's shortest round-tripping form (``0.1``, ``1e-05``)."""
    if param.kind == "bool":
        return "true" if value else "false"
    if param.kind == "int":
        return str(int(value))
    if param.kind == "float":
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


@dataclass
class Config:
    """Method name plus fully validated parameter, post-processing and composite values.

    Validated on construction and filled with the declared defaults, so two configs that give the
    same masks compare equal and a saved one reproduces them wherever it is loaded.

    Parameters
    ----------
    method : str, default "mog2"
        A name of :data:`bgapp.methods.METHODS`.
    params, post, composite : dict, optional
        Values by name (see ``bgapp methods`` or the declarations); missing ones take their
        defaults, strings are parsed (``"200"`` for an int).

    Raises
    ------
    BgappError
        For an unknown method, an unknown key or a value out of its declared range; the message
        names the key.

    Examples
    --------
    >>> from bgapp.config import Config
    >>> cfg = Config("mog2", {"history": 200}, {"open": 5})
    >>> cfg.params["history"], cfg.params["var_threshold"], cfg.post["open"], cfg.composite["mode"]
    (200, 16.0, 5, 'none')
    >>> Config.from_dict({"method": "mog2", "params": {"history": "200"}, "post": {"open": 5}}) == cfg
    True
    >>> Config("mog2", {"history": -1})
    Traceback (most recent call last):
    ...
    bgapp.errors.BgappError: params.mog2.history: -1 is out of range [1, 10000]
    """

    method: str = DEFAULT_METHOD
    params: dict[str, Any] = field(default_factory=dict)
    post: dict[str, Any] = field(default_factory=dict)
    composite: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cls = get_method(self.method)
        self.params = validate(cls.params, self.params, f"params.{self.method}.")
        self.post = validate(POST_PARAMS, self.post, "post.")
        self.composite = validate(composite_params(), self.composite, "composite.")

    @classmethod
    def from_dict(cls, data: Any) -> Config:
        """Validate a parsed JSON document."""
        if not isinstance(data, Mapping):
            raise BgappError("config must be a JSON object with keys method, params, post, composite")
        unknown = [k for k in data if k not in SECTIONS + OPTIONAL_KEYS]
        if unknown:
            raise BgappError(f"unknown config key {brief(unknown[0])}; expected {', '.join(SECTIONS)}")
        method = data.get("method", DEFAULT_METHOD)
        if not isinstance(method, str):
            raise BgappError(f"config key 'method' must be a method name, got {brief(method)}")
        sections = {}
        for key in ("params", "post", "composite"):
            value = data.get(key) or {}
            if not isinstance(value, Mapping):
                raise BgappError(f"config key {key!r} must be an object of name: value pairs")
            sections[key] = dict(value)
        return cls(method, **sections)

    @classmethod
    def from_json(cls, text: str | bytes, name: str = "config") -> Config:
        """A settings document as the app's uploads and ``--config`` files hold it (a config, or a
        ``bgapp tune --json`` document whose ``best`` config it loads). Every refusal is one line
        that starts with ``name`` (the file's name) and says what is wrong in words (see
        :func:`parse_json`); the CLI and the pages both come through here.

        Parameters
        ----------
        text : str or bytes
            The document (bytes must be UTF-8).
        name : str, default "config"
            What the messages call the document.

        Returns
        -------
        Config

        Raises
        ------
        BgappError
            For text that is not a JSON object or not a valid config.

        Examples
        --------
        >>> from bgapp.config import Config
        >>> Config.from_json('{"method": "knn", "params": {"dist2_threshold": 500}}').params["dist2_threshold"]
        500.0
        >>> Config.from_json('{"method": "knn",}', "my.json")
        Traceback (most recent call last):
        ...
        bgapp.errors.BgappError: my.json: not valid JSON at line 1, column 18: expected a name in double quotes
        """
        data = parse_json(text, name)
        if isinstance(data, Mapping) and isinstance(data.get("best"), Mapping):
            data = data["best"]
        try:
            return cls.from_dict(data)
        except BgappError as exc:
            raise BgappError(f"{name}: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """A config file; a ``bgapp tune --json`` document or a preset file loads its ``best`` config."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BgappError(f"config file not found: {path}") from None
        except IsADirectoryError:
            raise BgappError(f"{path} is a folder: expected a config JSON file") from None
        except OSError as exc:
            raise BgappError(f"cannot read config {path}: {exc.strerror or exc}") from None
        return cls.from_json(data, path.name)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": dict(self.params), "post": dict(self.post),
                "composite": dict(self.composite)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    def change(self, method: str | None = None, params: Mapping[str, Any] | None = None,
               post: Mapping[str, Any] | None = None, composite: Mapping[str, Any] | None = None) -> Change:
        """The :class:`Change` to these settings with the given values changed (a new ``method``
        starts from its defaults, then ``params``); the new values are validated here, once."""
        name = method or self.method
        same = name == self.method
        after = Config(name, {**(self.params if same else {}), **dict(params or {})},
                       {**self.post, **dict(post or {})}, {**self.composite, **dict(composite or {})})
        return Change(self, after)

    def without_post(self) -> Config:
        """The same config with every post-processing step turned off."""
        return Config(self.method, dict(self.params), {**self.post, **NO_POST}, dict(self.composite))

    def with_sets(self, sets: Iterable[str]) -> Config:
        """Apply ``KEY=VALUE`` strings, as given to ``--set``.

        A bare key names a method parameter, else a post-processing one, else a composite one;
        ``post.KEY``, ``composite.KEY`` and ``params.KEY`` say which explicitly.

        Parameters
        ----------
        sets : iterable of str
            ``KEY=VALUE`` each; the value is parsed by the key's declaration.

        Returns
        -------
        Config
            A new config; this one is unchanged.

        Raises
        ------
        BgappError
            For an item without ``=``, an unknown key or a value its declaration refuses.

        Examples
        --------
        >>> from bgapp.config import Config
        >>> cfg = Config("mog2").with_sets(["history=200", "post.close=9"])
        >>> cfg.params["history"], cfg.post["close"]
        (200, 9)
        """
        values: dict[str, dict[str, Any]] = {"params": dict(self.params), "post": dict(self.post),
                                             "composite": dict(self.composite)}
        for item in sets:
            if "=" not in item:
                raise BgappError(f"--set expects KEY=VALUE, got {brief(item)}")
            key, value = (s.strip() for s in item.split("=", 1))
            found = _find(self.method, key)
            if found is None:
                if key.rpartition(".")[0] in values:
                    raise BgappError(f"unknown parameter {brief(key)} for method {self.method}")
                raise BgappError(f"unknown parameter {brief(key)} for method {self.method}; see "
                                 f"'bgapp methods' for the names")
            section, param = found
            values[section][param.name] = value
        return Config(self.method, **values)

    def to_query(self) -> dict[str, str]:
        """The config as a short flat query: ``method`` always, then each value that differs from its
        default, in declaration order: a method parameter under its bare name, the others as
        ``post.NAME`` and ``composite.NAME``. :meth:`from_query` reads it back to an equal config.

        Returns
        -------
        dict of str to str

        Examples
        --------
        >>> from bgapp.config import Config
        >>> Config("mog2", {"history": 200}, {"open": 5}).to_query()
        {'method': 'mog2', 'history': '200', 'post.open': '5'}
        """
        out = {"method": self.method}
        for section, params in _sections(self.method).items():
            values = getattr(self, section)
            prefix = "" if section == "params" else f"{section}."
            for p in params:
                if values[p.name] != p.default:
                    out[prefix + p.name] = query_value(p, values[p.name])
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[Config, list[str]]:
        """The config a query describes, and what it could not use, one line per problem starting with
        the key as given. Never raises: a missing, unknown or unavailable ``method`` gives
        DEFAULT_METHOD (an unusable one takes its own parameters with it); an unknown key, an
        unparsable or out-of-range value leaves that value at its default. Keys are ``--set``'s
        (:meth:`with_sets`); every value is checked by its declaration (``Param.coerce``).

        Parameters
        ----------
        query : mapping of str to str
            A link's query, as :meth:`to_query` writes it.

        Returns
        -------
        (Config, list of str)
            The config, and one line per key or value it could not use.

        Examples
        --------
        >>> from bgapp.config import Config
        >>> cfg, problems = Config.from_query({"method": "mog2", "history": "lots", "post.open": "5"})
        >>> cfg.params["history"], cfg.post["open"], problems
        (500, 5, ["history: expected a number, got 'lots'"])
        """
        problems: list[str] = []
        raw = query.get("method", DEFAULT_METHOD)
        method, refused = raw, None
        found_cls = METHODS.get(raw) if isinstance(raw, str) else None
        if found_cls is None:
            refused = "no such method"
        elif not found_cls.available():
            reason = found_cls.unavailable_reason()
            refused = "not available on this server" + (f" ({reason})" if reason else "")
        if refused is not None:
            method = DEFAULT_METHOD
        values: dict[str, dict[str, Any]] = {"params": {}, "post": {}, "composite": {}}
        dropped = []
        for key, value in query.items():
            if key == "method":
                continue
            found = _find(method, key)
            if refused is not None and (found is None or found[0] == "params"):
                dropped.append(key)  # the refused method's parameters go with it, in one problem
                continue
            if found is None:
                problems.append(f"{brief(key)}: not a setting of {METHODS[method].title}")
                continue
            section, param = found
            try:
                values[section][param.name] = param.coerce(value, key[: len(key) - len(param.name)])
            except BgappError as exc:
                problems.append(str(exc))
        if refused is not None:
            title = METHODS[method].title
            ignoring = f", ignoring {', '.join(brief(k) for k in dropped)}" if dropped else ""
            problems.insert(0, f"method: {brief(raw)}: {refused}; {title} with its defaults instead{ignoring}")
        return cls(method, **values), problems



# What Python's json module says, in words (its messages start with these).
_JSON_WORDS = (
    ("Expecting value", "expected a value (a number, a string in double quotes, true, false, null, {...} or [...])"),
    ("Expecting property name enclosed in double quotes", "expected a name in double quotes"),
    ("Expecting ':' delimiter", "expected ':' after a name"),
    ("Expecting ',' delimiter", "expected ',' between two items"),
    ("Unterminated string", "a string has no closing double quote"),
    ("Invalid control character", "a line break or tab inside a string"),
    ("Invalid \\uXXXX escape", "a broken \\u escape in a string"),
    ("Invalid \\escape", "an unknown backslash escape in a string"),
    ("Extra data", "more text after the end of the JSON document"),
    ("Illegal trailing comma", "a comma before a closing bracket"),
)


def json_problem(exc: json.JSONDecodeError) -> str:
    """A JSON syntax error as one line: where (line and column) and what, in words. A document that
    stops before it is complete says so, since that is the usual cause (a file cut short)."""
    where = f"line {exc.lineno}, column {exc.colno}"
    if not exc.doc[exc.pos:].strip() and exc.doc.strip():
        return f"not valid JSON: the file ends at {where} before the JSON document is complete"
    what = next((words for start, words in _JSON_WORDS if exc.msg.startswith(start)), exc.msg)
    return f"not valid JSON at {where}: {what}"


@dataclass(frozen=True)
class Change:
    """A move from one validated :class:`Config` to another: the one object a setting travels in.

    A page builds the new Config from its widgets (validated once, there) and the pipeline applies the
    change part by part: a method gets only its changed values (:attr:`params`), post-processing and
    the composite likewise, and nobody validates them again.

    Parameters
    ----------
    before, after : Config
        The settings running now and the ones wanted.

    Examples
    --------
    >>> from bgapp.config import Change, Config
    >>> change = Change(Config("mog2"), Config("mog2", {"history": 200}, {"open": 5}))
    >>> change.params, change.post, change.composite, change.scope
    ({'history': 200}, {'open': 5}, {}, 'model')
    >>> Change(Config("mog2"), Config("mog2", composite={"mode": "blur"})).scope
    'view'
    >>> Change(Config("mog2"), Config("mog2")).scope is None
    True
    """

    before: Config
    after: Config

    @property
    def new_method(self) -> bool:
        """The method itself changes (its model is built afresh)."""
        return self.after.method != self.before.method

    @property
    def params(self) -> dict[str, Any]:
        """The method's values that change (all of them for a new method)."""
        if self.new_method:
            return dict(self.after.params)
        return _changed(self.before.params, self.after.params)

    @property
    def post(self) -> dict[str, Any]:
        """The post-processing values that change."""
        return _changed(self.before.post, self.after.post)

    @property
    def composite(self) -> dict[str, Any]:
        """The composite values that change."""
        return _changed(self.before.composite, self.after.composite)

    @property
    def scope(self) -> str | None:
        """The widest part of the pipeline the change touches: ``model`` (the method or its values),
        ``post``, ``view`` (the composite only), or None where nothing changes."""
        if self.new_method or self.params:
            return "model"
        if self.post:
            return "post"
        if self.composite:
            return "view"
        return None


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def parse_json(text: str | bytes, name: str = "config") -> Any:
    """A parsed JSON document, or a BgappError of one line starting with ``name``: "the file is
    empty" (nothing but blank space), "not UTF-8 text", "not valid JSON at line L, column C: ..."
    (:func:`json_problem`), a number too long to read, or nesting too deep."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")  # not json's guess, which also takes UTF-16/32
        except UnicodeDecodeError:
            raise BgappError(f"{name}: not UTF-8 text: expected a JSON file") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise BgappError(f"{name}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BgappError(f"{name}: {json_problem(exc)}") from None
    except ValueError:  # Python refuses to read a whole number of more than 4300 digits
        raise BgappError(f"{name}: holds a number thousands of digits long: not a bgapp setting") from None
    except RecursionError:
        raise BgappError(f"{name}: nested too deeply to be a bgapp config") from None
