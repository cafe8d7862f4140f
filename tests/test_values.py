"""gitops_gen.values: the one Helm values merge and dotted-path helpers (render + capacity)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_gen.values import deep_merge, dotted, get_path, set_path


def test_merge_maps_recursively_and_replaces_lists() -> None:
    base: dict[str, Any] = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    out = deep_merge(base, {"a": {"c": [3], "e": 2}})
    assert out == {"a": {"b": 1, "c": [3], "e": 2}, "d": 1}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}  # inputs untouched
    out["a"]["c"].append(4)
    assert base["a"]["c"] == [1, 2]  # and not shared


def test_null_kept_when_layering_user_values_deleted_when_coalescing() -> None:
    base = {"a": {"b": 1, "c": 2}}
    assert deep_merge(base, {"a": {"b": None}}) == {"a": {"b": None, "c": 2}}
    assert deep_merge(base, {"a": {"b": None}}, null_deletes=True) == {"a": {"c": 2}}
    assert deep_merge(base, {"a": None}, null_deletes=True) == {}


def test_get_and_set_path() -> None:
    values: dict[str, Any] = {"x": 1}
    set_path(values, "grafana.sidecar.resources", {"requests": {"cpu": "10m"}})
    assert get_path(values, "grafana.sidecar.resources.requests.cpu") == "10m"
    assert get_path(values, "grafana.missing", "d") == "d"
    assert get_path(values, "x.y", "d") == "d"  # through a scalar
    set_path(values, "x.y", 2)  # a scalar on the way becomes a mapping
    assert values["x"] == {"y": 2}
    with pytest.raises(ValueError):
        set_path(values, "", 1)


def test_dotted() -> None:
    assert dotted(("spec", "env", 2, "value")) == "spec.env[2].value"
    assert dotted(()) == ""
