"""A schema that is no JSON Schema (a user's ``--schema-dir`` file, a CRD of the input) is said on each
object of its kind, as a schema finding at the object; it was an internal error of the rule, and for a
CRD of the input an internal error of the whole lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hardening_helpers import assert_clean, run_cli

OBJECT = "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: a}\nspec: {n: 1}\n"
# a CRD whose one version types a field with a list of numbers: no JSON Schema
CRD = (
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    "metadata: {name: things.example.com}\n"
    "spec: {group: example.com, scope: Namespaced, names: {kind: Thing, plural: things}, versions: ["
    "{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
    "{type: object, properties: {spec: {type: object, properties: {n: {type: [1, 2]}}}}}}}]}\n"
)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("[1, 2", "Expecting"),  # not JSON
        ("[1, 2]", "a JSON Schema is an object, not list"),
        (json.dumps({"type": "object", "properties": {"n": {"type": [1, 2]}}}), "is not valid under any"),
    ],
)
def test_a_schema_dir_file_that_is_no_json_schema_is_a_finding(
    tmp_path: Path, content: str, said: str
) -> None:
    schemas = tmp_path / "schemas" / "example.com"
    schemas.mkdir(parents=True)
    (schemas / "thing_v1.json").write_text(content, encoding="utf-8")
    target = tmp_path / "thing.yaml"
    target.write_text(OBJECT, encoding="utf-8")
    outcome = run_cli(["lint", "--no-cache", "--schema-dir", str(tmp_path / "schemas"), str(target)])
    assert_clean(outcome, allowed=(1,))
    assert "thing.yaml:1:1: error schema: the schema of Thing example.com/v1 (" in outcome.text, outcome.text
    assert "is not a usable JSON Schema" in outcome.text and said in outcome.text
    assert "fix that schema file or CRD" in outcome.text


def test_a_crd_of_the_input_whose_schema_is_no_json_schema_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "crd.yaml").write_text(CRD, encoding="utf-8")
    (tmp_path / "thing.yaml").write_text(OBJECT, encoding="utf-8")
    outcome = run_cli(["lint", "--no-cache", str(tmp_path)])
    assert_clean(outcome, allowed=(1,))
    assert "thing.yaml:1:1: error schema: the schema of Thing example.com/v1 (its CRD) is not a usable" in (
        outcome.text
    ), outcome.text
