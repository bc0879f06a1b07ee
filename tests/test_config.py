"""Configs round-trip and refuse bad keys and values with a message naming the key."""

import json

import pytest

from bgapp.config import Config
from bgapp.errors import BgappError


def test_round_trip_through_json(tmp_path):
    cfg = Config("knn", {"dist2_threshold": 250, "n_samples": 9}, {"open": 5, "min_area": 30},
                 {"mode": "blur"})
    path = cfg.save(tmp_path / "c.json")
    again = Config.load(path)
    assert again == cfg
    doc = json.loads(path.read_text())
    assert set(doc) == {"method", "params", "post", "composite"}
    assert doc["params"]["dist2_threshold"] == 250.0 and doc["params"]["history"] == 500


@pytest.mark.parametrize("doc, key", [
    ({"method": "mog2", "colour": 1}, "colour"),
    ({"method": "mog2", "params": {"histroy": 3}}, "histroy"),
    ({"method": "mog2", "params": {"history": 0}}, "history"),
    ({"method": "mog2", "params": {"history": "many"}}, "history"),
    ({"method": "mog2", "params": {"history": 2.5}}, "history"),
    ({"method": "mog2", "post": {"open": 99}}, "open"),
    ({"method": "mog2", "post": {"kernel_shape": "star"}}, "kernel_shape"),
    ({"method": "mog2", "params": {"detect_shadows": "maybe"}}, "detect_shadows"),
    ({"method": "whatever"}, "whatever"),
    ({"method": "mog2", "params": [1, 2]}, "params"),
])
def test_bad_documents_name_the_key(doc, key):
    with pytest.raises(BgappError, match=key):
        Config.from_dict(doc)


def test_invalid_json_and_missing_file(tmp_path):
    with pytest.raises(BgappError, match="not valid JSON"):
        Config.from_json("{nope")
    with pytest.raises(BgappError, match="not found"):
        Config.load(tmp_path / "missing.json")


def test_sets_resolve_method_then_post_then_composite():
    cfg = Config("mog2").with_sets(["var_threshold=25", "open=5", "post.min_area=10", "mode=green",
                                    "detect_shadows=false"])
    assert cfg.params["var_threshold"] == 25.0 and cfg.params["detect_shadows"] is False
    assert cfg.post["open"] == 5 and cfg.post["min_area"] == 10
    assert cfg.composite["mode"] == "green"
    with pytest.raises(BgappError, match="nope"):
        Config("mog2").with_sets(["nope=1"])
    with pytest.raises(BgappError, match="KEY=VALUE"):
        Config("mog2").with_sets(["history"])


def test_without_post_turns_every_step_off():
    from bgapp.postprocess import PostProcessor

    cfg = Config("mog2", post={"open": 7, "fill_holes": True, "min_area": 40}).without_post()
    assert not PostProcessor(cfg.post).active


# what a person reads ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    (10**308, "a number 309 digits long"),
    (10**5000, "a number 5,001 digits long"),  # beyond Python's 4300-digit str() limit
    (-123456789012345, "-123456789012345"),  # 15 digits: still printed
    (3.5, "3.5"),
    (float("inf"), "inf"),
    ("lots", "'lots'"),
    ("x" * 41, "'" + "x" * 40 + "…' (41 characters)"),
    (True, "True"),
    ([10**400, 1], "[a number 401 digits long, 1]"),
], ids=range(9))
def test_brief_shortens_what_a_person_cannot_read(value, shown):
    from bgapp.errors import brief

    assert brief(value) == shown
    assert len(brief({"k": "v" * 10_000, "l": list(range(10_000))})) <= 81


@pytest.mark.parametrize("text, message", [
    ("", "c.json: the file is empty"),
    (" \n\t\r\n", "c.json: the file is empty"),
    ("\ufeff\n", "c.json: the file is empty"),
    ('{"method": "mog2",\n  "params": [1, 2,]}', "c.json: not valid JSON at line 2, column 19: expected a value"),
    ('{"method": "mog2"}\n{"method": "knn"}', "c.json: not valid JSON at line 2, column 1: more text after the end"),
    ('{"method": "mog2", "params": {', "c.json: not valid JSON: the file ends at line 1, column 31 before the JSON"),
    ('{"method": "mog2", "params": {"history": 1' + "0" * 5000 + "}}", "c.json: holds a number thousands of digits"),
    ('{"method": "mog2", "params": {"history": 1' + "0" * 308 + "}}",
     "c.json: params.mog2.history: a number 309 digits long is out of range [1, 10000]"),
    ('{"method": "mog2", "params": {"history": "1e999"}}',
     "c.json: params.mog2.history: expected a number, got '1e999'"),
], ids=range(9))
def test_refusals_are_one_short_line_in_words(text, message):
    with pytest.raises(BgappError) as exc:
        Config.from_json(text.encode(), "c.json")
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value) and len(str(exc.value)) < 200
    assert "Expecting" not in str(exc.value), "Python's words are translated"


def test_file_and_upload_read_the_same_way(tmp_path):
    """``--config`` files and the pages' uploads share one reader: the same message, and a
    ``bgapp tune --json`` document loads its best config either way."""
    for content in (b"  ", b'{"method": "mog2", ', b'{"method": "mog2", "params": {"history": 0}}'):
        path = tmp_path / "same.json"
        path.write_bytes(content)
        with pytest.raises(BgappError) as from_file:
            Config.load(path)
        with pytest.raises(BgappError) as from_upload:
            Config.from_json(content, "same.json")
        assert str(from_file.value) == str(from_upload.value)
    doc = json.dumps({"study": "x", "best": {"method": "knn", "params": {"history": 300}}}).encode()
    path.write_bytes(doc)
    assert Config.load(path) == Config.from_json(doc) == Config("knn", {"history": 300})


def test_a_number_too_large_for_a_float_is_refused_not_crashed():
    from bgapp.params import Param

    with pytest.raises(BgappError, match="x: a number 401 digits long is too large"):
        Param("x", "float", 1.0, "").coerce(10**400)
    with pytest.raises(BgappError, match="out of range"):
        Config.from_dict({"method": "mog2", "params": {"var_threshold": 10**400}})


# A config as a link's query (issue 17, item 5) ------------------------------------------------------

def _other_value(p):
    """A valid value of ``p`` other than its default, with awkward digits where it is a float."""
    if p.kind == "bool":
        return not p.default
    if p.kind == "choice":
        return next(c for c in p.choices if c != p.default)
    if p.kind == "int":
        return int(p.max) if p.max != p.default else int(p.min)
    value = p.min + (p.max - p.min) / 3  # 1/3 of the way: a float that needs all its digits
    return value if value != p.default else p.min + (p.max - p.min) / 7


def _all_params(method):
    from bgapp.composite import COMPOSITE_PARAMS
    from bgapp.methods import METHODS
    from bgapp.postprocess import POST_PARAMS

    return [("params", p) for p in METHODS[method].params] + [("post", p) for p in POST_PARAMS] + \
        [("composite", p) for p in COMPOSITE_PARAMS]


def _through_a_url(query):
    """The query as a browser's address holds it and Streamlit reads it back."""
    from urllib.parse import parse_qsl, urlencode

    return dict(parse_qsl(urlencode(query), keep_blank_values=True))


@pytest.mark.parametrize("method", sorted(__import__("bgapp.methods", fromlist=["METHODS"]).METHODS))
def test_every_method_round_trips_through_a_query_at_defaults_and_at_each_other_value(method):
    cfg = Config(method)
    assert cfg.to_query() == {"method": method}, "defaults are left out"
    assert Config.from_query(_through_a_url(cfg.to_query())) == (cfg, [])
    for section, p in _all_params(method):
        value = _other_value(p)
        one = Config(method, **{section: {p.name: value}})
        query = one.to_query()
        key = p.name if section == "params" else f"{section}.{p.name}"
        assert list(query) == ["method", key]
        again, problems = Config.from_query(_through_a_url(query))
        assert problems == [] and again == one, key
        assert getattr(again, section)[p.name] == value and type(getattr(again, section)[p.name]) is type(value)


def test_a_query_is_short_and_readable_and_floats_come_back_bit_for_bit():
    cfg = Config("mog2", {"history": 300, "detect_shadows": False, "shadow_threshold": 0.1 + 0.2},
                 {"open": 5}, {"mode": "blur"})
    assert cfg.to_query() == {"method": "mog2", "history": "300", "detect_shadows": "false",
                              "shadow_threshold": "0.30000000000000004", "post.open": "5", "composite.mode": "blur"}
    assert Config.from_query(cfg.to_query())[0].params["shadow_threshold"] == 0.1 + 0.2
    assert Config("mog2", {"var_threshold": 25.0}).to_query()["var_threshold"] == "25"
    assert Config("mog2", {"learning_rate": 1e-05}).to_query()["learning_rate"] == "1e-05"


def test_a_query_takes_the_keys_that_set_takes():
    query = {"method": "mog2", "params.history": "300", "open": "5", "mode": "green"}
    assert Config.from_query(query) == (Config("mog2").with_sets(["params.history=300", "open=5", "mode=green"]), [])


@pytest.mark.parametrize("query, key, why", [
    ({"method": "mog2", "history": "lots"}, "history", "expected a number"),
    ({"method": "mog2", "history": "0"}, "history", "out of range"),
    ({"method": "mog2", "history": "2.5"}, "history", "whole number"),
    ({"method": "mog2", "var_threshold": "nan"}, "var_threshold", "expected a number"),
    ({"method": "mog2", "params.var_threshold": "1e999"}, "params.var_threshold", "expected a number"),
    ({"method": "mog2", "post.open": "99"}, "post.open", "out of range"),
    ({"method": "mog2", "post.kernel_shape": "star"}, "post.kernel_shape", "expected one of"),
    ({"method": "mog2", "detect_shadows": "maybe"}, "detect_shadows", "true or false"),
    ({"method": "mog2", "composite.mode": ""}, "composite.mode", "expected one of"),
    ({"method": "mog2", "colour": "red"}, "'colour'", "not a setting of MOG2"),
    ({"method": "mog2", "post.nope": "1"}, "'post.nope'", "not a setting"),
    ({"method": "mog2", "dist2_threshold": "500"}, "'dist2_threshold'", "not a setting of MOG2"),  # KNN's
])
def test_a_bad_value_or_key_takes_the_default_and_one_problem_names_it(query, key, why):
    good = {"history": "300", "post.close": "7"}
    cfg, problems = Config.from_query({**query, **{k: v for k, v in good.items() if k not in query}})
    assert len(problems) == 1 and problems[0].startswith(f"{key}: ") and why in problems[0], problems
    assert cfg.params["history"] == (300 if key != "history" else 500) and cfg.post["close"] == 7
    name = key.strip("'").rpartition(".")[2]
    for section in ("params", "post", "composite"):
        values = getattr(cfg, section)
        if name in values:
            assert values[name] == getattr(Config(), section)[name], "the default, not the bad value"


def test_an_unknown_method_gives_mog2_with_its_defaults_and_one_problem():
    cfg, problems = Config.from_query({"method": "knnn", "dist2_threshold": "500", "post.open": "5"})
    assert cfg == Config("mog2", post={"open": 5})
    assert problems == ["method: 'knnn': no such method; MOG2 (Gaussian mixture) with its defaults instead, "
                        "ignoring 'dist2_threshold'"]
    assert Config.from_query({}) == (Config(), [])


def test_an_unavailable_method_is_refused_with_its_reason(monkeypatch):
    from bgapp.methods import METHODS

    monkeypatch.setattr(METHODS["knn"], "available", classmethod(lambda cls: False))
    monkeypatch.setattr(METHODS["knn"], "unavailable_reason", classmethod(lambda cls: "no KNN here"))
    cfg, problems = Config.from_query({"method": "knn", "dist2_threshold": "500"})
    assert cfg == Config() and len(problems) == 1
    assert problems[0].startswith("method: 'knn': not available on this server (no KNN here)")


def test_is_query_key_owns_the_config_keys_only():
    from bgapp.config import is_query_key

    for key in ("method", "history", "dist2_threshold", "open", "mode", "params.x", "post.open", "composite.mode"):
        assert is_query_key(key), key
    for key in ("s", "source", "foo", "embed", "x.history"):
        assert not is_query_key(key), key
