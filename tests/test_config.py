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
