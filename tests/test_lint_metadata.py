"""The `schema` rule checks names, label/annotation keys and label values as the API server does."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_gen.lint.schema.metadata import key_problem, label_value_problem, metadata_issues, name_problem


@pytest.mark.parametrize(
    ("name", "kind", "builtin", "ok"),
    [
        ("web", "Deployment", True, True),
        ("web.v1", "ConfigMap", True, True),
        ("My_Config", "ConfigMap", True, False),
        ("a" * 254, "ConfigMap", True, False),
        ("web.v1", "Namespace", True, False),
        ("1web", "Service", True, False),
        ("web-1", "Service", True, True),
        ("system:controller:x", "ClusterRole", True, True),
        ("a/b", "ClusterRole", True, False),
        ("Anything_Goes", "HelmRelease", False, True),
        ("..", "HelmRelease", False, False),
    ],
)
def test_names(name: str, kind: str, builtin: bool, ok: bool) -> None:
    assert (name_problem(name, kind, builtin) == "") is ok


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("app", True),
        ("app.kubernetes.io/name", True),
        ("example.com/a_b.c-d", True),
        ("bad key", False),
        ("a/b/c", False),
        ("Example.com/x", False),
        ("-x", False),
        ("x" * 64, False),
        ("", False),
    ],
)
def test_keys(key: str, ok: bool) -> None:
    assert (key_problem(key) == "") is ok


def test_label_values() -> None:
    assert label_value_problem("") == ""
    assert label_value_problem("v1.2_3-x") == ""
    assert label_value_problem("x" * 64) != ""
    assert label_value_problem("has space") != ""


def test_substitutions_and_placeholders_are_skipped() -> None:
    body = {"metadata": {"name": "${APP}", "namespace": "_", "labels": {"${K}": "x", "a": "${V}"}}}
    assert metadata_issues(body, "ConfigMap", True) == []


def test_lint_reports_bad_metadata_at_the_field(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gitops_gen.cli import cli

    f = tmp_path / "cm.yaml"
    f.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: My_Config\n  namespace: shop\n"
        "  labels:\n    good: yes-it-is\n    'bad key': x\ndata: {}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["lint", str(f), "--no-cache", "--format", "json"])
    import json

    out = json.loads(result.output)
    got = sorted((x["line"], x["rule"], x["severity"]) for x in out["findings"])
    assert got == [(4, "schema", "error"), (8, "schema", "error")]
    assert result.exit_code == 1
