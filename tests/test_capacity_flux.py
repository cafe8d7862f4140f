"""Flux's own controllers in the budget: synthetic before `flux bootstrap`, plain workloads after.

The rendered tree holds clusters/<cluster>/flux-system/gotk-sync.yaml but not gotk-components.yaml
(written by `flux bootstrap`): the budget adds the component "Flux (flux bootstrap)" with the
controllers' upstream requests. Once gotk-components.yaml is committed, its Deployments are counted
as they are, and the synthetic component disappears (no double count).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.cli import main
from gitops_gen.render.api import run_render

REPO = Path(__file__).resolve().parents[1]
MI = 2**20
CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")


def _budget(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    with pytest.raises(SystemExit) as exc:
        main(["budget", str(path), "--node-memory", "12Gi", "--node-cpu", "4", "--format", "json"])
    out = capsys.readouterr()
    assert exc.value.code in (0, 1), out.err
    data: dict[str, Any] = json.loads(out.out)
    return data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flux")
    assert run_render(REPO / "specs", root / "output") == 0
    return root / "output"


def _flux_workloads(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["name"]: w for c in data["components"] for w in c["workloads"] if w["name"] in CONTROLLERS}


def test_controllers_counted_before_bootstrap(
    rendered: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert list(rendered.rglob("gotk-sync.yaml")) and not list(rendered.rglob("gotk-components.yaml"))
    data = _budget(rendered, capsys)
    [flux] = [c for c in data["components"] if c["owner"] == "Flux (flux bootstrap)"]
    by_name = {w["name"]: w for w in flux["workloads"]}
    assert sorted(by_name) == sorted(CONTROLLERS)
    assert sum(w["pods"] for w in by_name.values()) == 4
    assert sum(w["requests"]["cpu_millis"] for w in by_name.values()) == 350
    assert sum(w["requests"]["memory_bytes"] for w in by_name.values()) == 4 * 64 * MI
    assert by_name["source-controller"]["surge"] == 0  # strategy: Recreate upstream
    assert all(w["namespace"] == "flux-system" for w in by_name.values())
    # the totals include them: removing the sync objects takes exactly these requests away
    no_sync = tmp_path / "no-sync"
    shutil.copytree(rendered, no_sync)
    for f in no_sync.rglob("gotk-sync.yaml"):
        f.unlink()
    bare = _budget(no_sync, capsys)
    assert not _flux_workloads(bare)
    assert data["totals"]["requests"]["memory_bytes"] - bare["totals"]["requests"]["memory_bytes"] == 256 * MI


GOTK = """---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: flux-system}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: manager
          image: ghcr.io/fluxcd/{name}:v1.0.0
          resources:
            requests: {{cpu: 10m, memory: 32Mi}}
            limits: {{cpu: 500m, memory: 512Mi}}
"""


def test_gotk_components_counted_once(
    rendered: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    tree = tmp_path / "bootstrapped"
    shutil.copytree(rendered, tree)
    [sync] = list(tree.rglob("gotk-sync.yaml"))
    # after bootstrap, with only three of the default components (--components without notification)
    (sync.parent / "gotk-components.yaml").write_text(
        "".join(GOTK.format(name=n) for n in CONTROLLERS[:3]), encoding="utf-8"
    )
    data = _budget(tree, capsys)
    assert not [c for c in data["components"] if c["owner"] == "Flux (flux bootstrap)"]
    flux = _flux_workloads(data)
    assert sorted(flux) == sorted(CONTROLLERS[:3])  # the committed ones, nothing synthetic added
    assert all(w["requests"] == {"cpu_millis": 10, "memory_bytes": 32 * MI} for w in flux.values())
