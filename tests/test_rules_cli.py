"""The rules end to end through `gitops-gen lint` on the fixture files: ids, severities, lines,
exit codes, the ignore annotation, and `gitops-gen rules` showing each rule's documentation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rules_helpers import FIXTURES, RULE_IDS

from gitops_gen.cli import cli


def lint(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["lint", "--no-cache", "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def of_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_bad_fixtures_fail_and_good_ones_are_clean_for_the_rule(rule_id: str) -> None:
    folder = FIXTURES / rule_id
    for path in sorted(folder.glob("bad*.yaml")):
        code, report = lint(str(path))
        found = of_rule(report, rule_id)
        assert found, f"{path.name}: no {rule_id} finding via the CLI"
        assert all(f["file"].endswith(path.name) and f["line"] >= 1 and f["remediation"] for f in found)
        if any(f["severity"] == "error" for f in found):
            assert code == 1
    for path in sorted(folder.glob("good*.yaml")):
        _, report = lint(str(path))
        assert of_rule(report, rule_id) == [], path.name


def test_finding_points_at_the_offending_field() -> None:
    path = FIXTURES / "pdb" / "bad-min-available.yaml"
    _, report = lint(str(path))
    [f] = of_rule(report, "pdb")
    lines = path.read_text().splitlines()
    assert lines[f["line"] - 1].strip() == "minAvailable: 2"
    assert f["resource"] == "PodDisruptionBudget/shop/web"
    path = FIXTURES / "hpa" / "bad-replicas.yaml"
    _, report = lint(str(path))
    [f] = of_rule(report, "hpa")
    assert path.read_text().splitlines()[f["line"] - 1].strip() == "replicas: 2"


def test_ignore_annotation_silences_a_rule(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "image" / "bad.yaml")
        .read_text()
        .replace(
            "  namespace: ops\n", "  namespace: ops\n  annotations:\n    gitops-gen.io/ignore: image\n", 1
        )
    )
    target = tmp_path / "pod.yaml"
    target.write_text(text)
    _, report = lint(str(target))
    assert of_rule(report, "image") == []


def test_rules_command_documents_each_rule() -> None:
    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0
    for rule_id in RULE_IDS:
        assert f"{rule_id}  [" in result.output
    assert "CPU limits are not required" in result.output
    assert "spec.replicas" in result.output
