"""Findings on objects rendered by gitops-gen name the spec file, line, column and key that set the
value, and their fix names the spec key (issue 14 item 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.cli import main
from gitops_gen.k8s.loader import load_resources
from gitops_gen.lint.specmap import _exists, app_key, dotted_key
from gitops_gen.render.api import run_render
from gitops_gen.spec.loader import load_specs

REPO = Path(__file__).resolve().parents[1]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()  # drop what an earlier render printed
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code or 0), capsys.readouterr().out


def project(root: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """The bundled example with ``edits`` ({spec file: (old, new)}), rendered into root/output."""
    shutil.copytree(REPO / "specs", root / "specs")
    for rel, (old, new) in edits.items():
        p = root / "specs" / rel
        text = p.read_text(encoding="utf-8")
        assert old in text
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert run_render(root / "specs", root / "output", check=False) == 0
    return root


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_a_capacity_finding_names_the_spec_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, {"apps/lingua-app.yaml": ("maxReplicas: 5", "maxReplicas: 500")})
    monkeypatch.chdir(root)
    code, out = run(["lint", "output", "--no-cache", "--format", "json"], capsys)
    [f] = [f for f in json.loads(out)["findings"] if f["rule"] == "cpu-budget"]
    spec = root / "specs/apps/lingua-app.yaml"
    assert code == 1
    assert f["spec"] == {
        "file": "specs/apps/lingua-app.yaml",
        "line": line_of(spec, "maxReplicas: 500"),
        "column": 5,
        "path": "spec.autoscaling.maxReplicas",
    }
    assert f["file"] == "output/apps/vps/lingua-app/hpa.yaml"  # the rendered location stays
    assert f["remediation"].startswith("change spec.autoscaling.maxReplicas in specs/apps/lingua-app.yaml: ")
    # text: the spec location first, the key before the message, the rendered place after the object
    _, text = run(["lint", "output", "--no-cache"], capsys)
    [line] = [x for x in text.splitlines() if "cpu-budget:" in x]
    assert line.startswith(
        f"specs/apps/lingua-app.yaml:{f['spec']['line']}:5: error cpu-budget: spec.autoscaling.maxReplicas: "
    )
    assert line.endswith("(rendered: output/apps/vps/lingua-app/hpa.yaml:15:3)")
    # SARIF: the spec location as a related location
    _, sarif = run(["lint", "output", "--no-cache", "--format", "sarif"], capsys)
    [res] = [r for r in json.loads(sarif)["runs"][0]["results"] if r["ruleId"] == "cpu-budget"]
    [rel] = res["relatedLocations"]
    assert rel["physicalLocation"]["artifactLocation"]["uri"] == "specs/apps/lingua-app.yaml"
    assert rel["physicalLocation"]["region"]["startLine"] == f["spec"]["line"]
    assert "spec.autoscaling.maxReplicas" in rel["message"]["text"]


def test_a_probe_finding_and_a_component_value_map_to_their_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path,
        {
            # liveness the same check as readiness, giving up no later: a probes warning
            "apps/lingua-app.yaml": (
                "initialDelaySeconds: 30\n      periodSeconds: 10",
                "initialDelaySeconds: 10\n      periodSeconds: 5",
            ),
            "platform.yaml": ("chunksCache: false", "chunksCache: true"),
        },
    )
    monkeypatch.chdir(root)
    _, out = run(["lint", "output", "--no-cache", "--format", "json"], capsys)
    findings = json.loads(out)["findings"]
    [probe] = [f for f in findings if f["rule"] == "probes"]
    assert probe["file"] == "output/apps/vps/lingua-app/deployment.yaml"
    assert probe["spec"]["file"] == "specs/apps/lingua-app.yaml"
    assert probe["spec"]["path"] == "spec.probes.liveness"
    assert probe["spec"]["line"] == line_of(root / "specs/apps/lingua-app.yaml", "liveness:")
    [loki] = [f for f in findings if f["rule"] == "memory-budget" and f["severity"] == "error"]
    assert loki["resource"] == "HelmRelease/logging/loki"  # the seed incident stays on the Loki release
    assert loki["spec"]["path"] == "spec.components.logging.loki.chunksCache"
    assert loki["spec"]["line"] == line_of(root / "specs/platform.yaml", "chunksCache: true")


def test_a_hand_written_tree_gets_no_spec_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = project(tmp_path, {})
    marker = root / "output" / ".gitops-gen-render"
    marker.unlink()  # no render marker: not a gitops-gen render, even with the headers
    bad = root / "output/apps/vps/lingua-app/deployment.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("memory: 512Mi", "memory: lots"), encoding="utf-8")
    _, out = run(["lint", "output", "--no-cache", "--format", "json"], capsys)
    assert [f for f in json.loads(out)["findings"] if "spec" in f] == []


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in _leaves(v, (*path, i))]
    return [(path, node)]


def test_the_table_agrees_with_what_render_writes() -> None:
    """Every scalar of the example app's rendered objects that the table maps to a scalar the spec
    writes has the spec's value: the table is checked against the renderer, not against itself."""
    specs = load_specs(REPO / "specs")
    doc = specs.docs["App/lingua-app"]
    resources, _ = load_resources([REPO / "output/apps/vps/lingua-app"])
    checked = set()
    for r in resources:
        for path, value in _leaves(r.body):
            key = app_key(r.kind, path)
            if not _exists(doc, key):
                continue
            node: Any = doc
            for part in key:
                node = node[part]
            if isinstance(node, (dict, list)):
                continue
            if path[-1] != key[-1] and (path[-1], key[-1]) != ("containerPort", "port"):
                continue  # a field beside the one the key sets (a port's name, a probe's handler)
            assert str(value) == str(node), (r.kind, path, dotted_key(key))
            checked.add(dotted_key(key))
    assert {
        "spec.image",
        "spec.resources.requests.cpu",
        "spec.resources.limits.memory",
        "spec.autoscaling.maxReplicas",
        "spec.autoscaling.minReplicas",
        "spec.disruptionBudget.minAvailable",
        "spec.probes.liveness.periodSeconds",
        "spec.ingress.host",
    } <= checked


def test_a_cluster_override_is_the_spec_location_in_a_fleet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a fleet, a value a cluster's ``spec.apps.<app>`` override sets is found in that cluster's
    spec, not in the app's own file."""
    shutil.copytree(REPO / "examples/fleet/specs", tmp_path / "specs")
    prod = tmp_path / "specs/clusters/production.yaml"
    text = prod.read_text(encoding="utf-8")
    assert "maxReplicas: 10," in text
    prod.write_text(text.replace("maxReplicas: 10,", "maxReplicas: 400,"), encoding="utf-8")
    assert run_render(tmp_path / "specs", tmp_path / "output", check=False) == 0
    monkeypatch.chdir(tmp_path)
    _, out = run(["lint", "output", "--specs", "specs", "--no-cache", "--format", "json"], capsys)
    [f] = [f for f in json.loads(out)["findings"] if f["rule"] == "cpu-budget"]
    assert f["spec"]["file"] == "specs/clusters/production.yaml"
    assert f["spec"]["path"] == "spec.apps.shop.autoscaling.maxReplicas"
    assert f["spec"]["line"] == line_of(prod, "maxReplicas: 400")
    assert " nodes (allocatable " in f["message"] and " are short of " in f["message"]
