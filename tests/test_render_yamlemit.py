"""The small YAML emitter: whatever it writes, YAML 1.1 (PyYAML) and 1.2 (ruamel) parsers read back
exactly the data it was given."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gitops_gen.render.yamlemit import dump, quote

TRICKY = [
    "y",
    "n",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "null",
    "~",
    "1.34",
    "010",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    "12:30:00",
    "2024-04-01",
    ".inf",
    "-.5",
    "+1",
    "-",
    "- x",
    "a: b",
    "a #b",
    "#c",
    "*a",
    "&a",
    "!t",
    "%x",
    "@x",
    "`x",
    "|",
    ">",
    "'q'",
    '"q"',
    "[x]",
    "{x}",
    "x,y",
    "?",
    "?x",
    ":x",
    "x:",
    "",
    " ",
    " x",
    "x ",
    "\t",
    "a\nb",
    "a\nb\n",
    "\n",
    "é",
    "\u2028",
    "\x85",
    "<<",
    "=",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
keys = st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=8))
data = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def _ruamel(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


@pytest.mark.slow
@settings(max_examples=120, deadline=None)
@given(st.dictionaries(keys, data, max_size=5))
def test_round_trip_through_yaml_11_and_12_parsers(value: dict[str, Any]) -> None:
    text = dump(value, sort_keys=True)
    assert yaml.safe_load(text) == value
    assert _ruamel(text) == value


def test_tricky_strings_survive_both_parsers() -> None:
    for s in TRICKY:
        doc = {"k": s, "l": [s], s or "e": 1}
        text = dump(doc)
        assert yaml.safe_load(text) == doc, (s, text)
        assert _ruamel(text) == doc, (s, text)


def test_plain_where_unambiguous_quoted_otherwise() -> None:
    assert quote("ghcr.io/org/app:1.4.2") == "ghcr.io/org/app:1.4.2"
    assert quote("10m") == "10m" and quote("128Mi") == "128Mi" and quote("v1.21.1") == "v1.21.1"
    assert quote("1.34") == '"1.34"' and quote("yes") == '"yes"' and quote("y") == '"y"'
    assert quote("a: b") == '"a: b"' and quote("") == '""'


def test_layout_matches_kubectl_style() -> None:
    text = dump(
        {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}], "empty": {}, "none": []}}
    )
    assert text == (
        "spec:\n"
        "  containers:\n"
        "    - name: a\n"
        "      ports:\n"
        "        - containerPort: 80\n"
        "  empty: {}\n"
        "  none: []\n"
    )
