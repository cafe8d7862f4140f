"""Capacity findings blame the cause (issue 14 item 3): one finding per overflowing node or cluster,
at the workload whose requests push it over, naming the top consumers and the amount missing; the
pods of other objects left Pending (or whose rollouts stall) are listed in it, not reported apart.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitops_gen.cli import main
from gitops_gen.render.api import run_render

REPO = Path(__file__).resolve().parents[1]
BUDGET = ("memory-budget", "cpu-budget")


def lint_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]]]:
    with pytest.raises(SystemExit) as exc:
        main(["lint", *argv, "--no-cache", "--format", "json"])
    return int(exc.value.code or 0), json.loads(capsys.readouterr().out)["findings"]


def rendered(root: Path, old: str, new: str) -> tuple[Path, Path]:
    """The bundled example's specs with one edit to the app, rendered into ``root/out``."""
    specs = root / "specs"
    shutil.copytree(REPO / "specs", specs)
    app = specs / "apps" / "lingua-app.yaml"
    text = app.read_text(encoding="utf-8")
    assert old in text
    app.write_text(text.replace(old, new), encoding="utf-8")
    out = root / "out"
    assert run_render(specs, out, check=False) == 0
    return specs, out


@pytest.fixture(scope="module")
def max500(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return rendered(tmp_path_factory.mktemp("max500"), "maxReplicas: 5", "maxReplicas: 500")


def test_one_apps_max_replicas_is_one_error_on_that_app(
    max500: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    specs, out = max500
    code, findings = lint_json([str(out), "--specs", str(specs)], capsys)
    budget = [f for f in findings if f["rule"] in BUDGET]
    assert code == 1
    # exactly one capacity finding: no warnings on Flux, Grafana or ingress-nginx whose rollouts stall
    assert len(budget) == 1, [(f["rule"], f["resource"], f["severity"]) for f in budget]
    [f] = budget
    assert (f["rule"], f["severity"]) == ("cpu-budget", "error")
    assert f["resource"] == "HorizontalPodAutoscaler/lingua-app/lingua-app"
    hpa = (out / "apps/vps/lingua-app/hpa.yaml").read_text(encoding="utf-8").splitlines()
    assert hpa[int(str(f["line"])) - 1].strip() == "maxReplicas: 500"
    message = str(f["message"])
    # the amount missing: 498 extra pods x 100m, less the CPU the node has left, is tens of CPUs
    assert "Node vps-c9e6ac23" in message and " is short of 47.515 CPU" in message
    assert "Deployment lingua-app/lingua-app (500 pods at maxReplicas × 100m CPU" in message
    assert "Top consumers of CPU: Deployment lingua-app/lingua-app 50 CPU" in message
    assert "476 of 498 pods of Deployment lingua-app/lingua-app added by the HPA" in message
    # the victims are listed in it: the rollouts of other objects that no longer find room
    assert "Would stall" in message and "Flux (flux bootstrap): helm-controller" in message
    assert "HelmRelease ingress-nginx/ingress-nginx: controller" in message
    assert "lower maxReplicas" in str(f["remediation"])


def test_without_the_change_nothing_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    _code, findings = lint_json([str(REPO / "output"), "--specs", str(REPO / "specs")], capsys)
    assert not [f for f in findings if f["rule"] in BUDGET]


def test_a_full_node_is_blamed_on_its_largest_consumer_not_on_the_pods_left_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fifty 100m replicas of one app fill a 4-CPU node: the simulation leaves the *larger* pods of
    other objects Pending (the most pods run), but the finding is on the app that fills the node."""
    monkeypatch.chdir(tmp_path)
    docs = [_deployment("web", "big", 50, "100m", "64Mi")]
    docs += [_deployment(f"svc{i}", "small", 1, "600m", "256Mi") for i in range(3)]
    (tmp_path / "all.yaml").write_text("---\n".join(docs), encoding="utf-8")
    code, findings = lint_json(
        [str(tmp_path / "all.yaml"), "--node-memory", "8Gi", "--node-cpu", "4"], capsys
    )
    budget = [f for f in findings if f["rule"] in BUDGET]
    assert code == 1 and len(budget) == 1, budget
    [f] = budget
    assert f["resource"] == "Deployment/big/web" and f["severity"] == "error"
    message = str(f["message"])
    # 50 x 100m + 3 x 600m = 6.8 CPU on 4: 2.8 CPU missing
    assert "is short of 2.8 CPU at steady state" in message
    assert "Deployment big/web (50 pods × 100m CPU, 64Mi memory) pushes it over" in message
    assert "Left Pending (0/1 nodes are available: 1 Insufficient cpu.)" in message
    assert "Deployment small/svc0" in message  # a victim, listed in the one finding


def _deployment(name: str, ns: str, replicas: int, cpu: str, memory: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: {replicas}
  strategy: {{type: Recreate}}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: ghcr.io/example/{name}:1.0.0
          resources:
            requests: {{cpu: {cpu}, memory: {memory}}}
            limits: {{memory: {memory}}}
"""


def test_diff_blames_the_overflow_on_the_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3Gi database and a web app fit a 4Gi node; the change scales the web app from 2 to 8
    replicas. Lint of the result alone blames the largest consumer (the database); ``diff`` blames
    the web app, whose requests the change grew."""
    from gitops_gen.diff.api import diff_output_dirs
    from gitops_gen.lint.api import LintFlags

    monkeypatch.chdir(tmp_path)
    for side, replicas in (("old", 2), ("new", 8)):
        (tmp_path / side).mkdir()
        docs = [
            _deployment("db", "data", 1, "100m", "3Gi"),
            _deployment("web", "shop", replicas, "50m", "256Mi"),
        ]
        (tmp_path / side / "all.yaml").write_text("---\n".join(docs), encoding="utf-8")
    node = ["--node-memory", "4Gi", "--node-cpu", "4"]
    _code, plain = lint_json([str(tmp_path / "new"), *node], capsys)
    [alone] = [f for f in plain if f["rule"] in BUDGET]
    assert alone["resource"] == "Deployment/data/db"
    report = diff_output_dirs(
        tmp_path / "old", tmp_path / "new", None, LintFlags(node_memory="4Gi", node_cpu="4")
    )
    assert report.lint is not None
    [f] = [f for f in report.lint.introduced if f.rule in BUDGET]
    assert (f.rule, f.resource) == ("memory-budget", "Deployment/shop/web")
    assert "this change's growth of Deployment shop/web (8 pods × 50m CPU, 256Mi memory)" in f.message
    assert report.lint.fixed == [] and report.lint.changed == []  # the base had no capacity finding
