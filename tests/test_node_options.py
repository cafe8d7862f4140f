"""Node options mean the same in `gitops-gen lint` and `gitops-gen budget` (capacity.nodes.resolve_cluster).

Flags override the spec's node size, ``--nodes N`` gives N nodes of that size, otherwise the spec's
node count is kept; ``--chart-dir`` takes NAME=DIR or a chart cache DIR in both commands.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitops_gen.cli import main

REPO = Path(__file__).resolve().parents[1]

BIG = """apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: apps}
spec:
  replicas: 1
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers:
        - name: big
          image: example.org/big:1.0.0
          resources:
            requests: {cpu: 100m, memory: 10Gi}
            limits: {cpu: 200m, memory: 10Gi}
"""


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture
def two_node_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A platform spec with two 12Gi nodes, and one Deployment asking for 10Gi."""
    monkeypatch.chdir(tmp_path)
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    platform = specs / "platform.yaml"
    text = platform.read_text(encoding="utf-8")
    one = '    - name: vps-c9e6ac23\n      cpu: "4"\n      memory: 12Gi\n'
    assert one in text
    platform.write_text(text.replace(one, one + one.replace("vps-c9e6ac23", "vps-second")), encoding="utf-8")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "big.yaml").write_text(BIG, encoding="utf-8")
    return specs, manifests


def _budget_nodes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[int], list[str]]:
    code, out, err = cli(["budget", *argv, "--format", "json"], capsys)
    assert code in (0, 1), err
    data = json.loads(out)
    return [n["memory_bytes"] for n in data["nodes"]], [p["message"] for p in data["pending"]]


def _lint_pending(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = cli(["lint", *argv, "--format", "json", "--no-cache"], capsys)
    assert code in (0, 1), err
    return [
        f["message"]
        for f in json.loads(out)["findings"]
        if f["rule"] == "memory-budget" and f["severity"] == "error"
    ]


@pytest.mark.parametrize(
    ("flags", "count", "gib"),
    [
        ([], 2, 12),  # the spec's nodes: the 10Gi pod fits
        (["--node-memory", "8Gi"], 2, 8),  # size overridden, the spec's count kept
        (["--node-memory", "8Gi", "--nodes", "3"], 3, 8),
        (["--nodes", "1"], 1, 12),  # count overridden, the spec's size kept
    ],
)
def test_lint_and_budget_agree_on_nodes(
    two_node_spec: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    count: int,
    gib: int,
) -> None:
    specs, manifests = two_node_spec
    argv = [str(manifests), "--specs", str(specs), *flags]
    memories, pending = _budget_nodes(argv, capsys)
    assert memories == [gib * 2**30] * count
    lint_pending = _lint_pending(argv, capsys)
    if gib == 8:
        expected = f"0/{count} nodes are available: {count} Insufficient memory."
        assert any(expected in m for m in pending), pending
        assert any(expected in m for m in lint_pending), lint_pending
    else:
        assert pending == [] and lint_pending == []


def test_without_spec_flags_give_one_node_unless_nodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.yaml").write_text(BIG, encoding="utf-8")
    for flags, count in (
        (["--node-memory", "8Gi", "--node-cpu", "2"], 1),
        (["--node-memory", "8Gi", "--node-cpu", "2", "--nodes", "2"], 2),
    ):
        memories, pending = _budget_nodes([str(tmp_path), *flags], capsys)
        assert memories == [8 * 2**30] * count
        expected = f"0/{count} nodes are available: {count} Insufficient memory."
        assert any(expected in m for m in pending)
        assert any(expected in m for m in _lint_pending([str(tmp_path), *flags], capsys))
    for command in ("lint", "budget"):  # a size without a spec needs both sizes
        code, _, err = cli([command, str(tmp_path), "--node-memory", "8Gi"], capsys)
        assert code == 2 and err.startswith("error: --node-cpu"), err


@pytest.mark.parametrize("command", ["lint", "budget"])
def test_chart_dir_forms_shared(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.yaml").write_text(BIG, encoding="utf-8")
    cache = tmp_path / "charts"
    cache.mkdir()
    monkeypatch.setenv("PATH", str(REPO / ".ci" / "bin") + ":" + __import__("os").environ.get("PATH", ""))
    if shutil.which("helm") is None:
        pytest.skip("helm is not installed (.ci/install-tools.sh)")
    extra = ["--no-cache"] if command == "lint" else []
    for ok in ([str(cache)], [f"tiny={cache}"]):  # a chart cache DIR, or NAME=DIR
        code, _, err = cli([command, str(tmp_path / "big.yaml"), "--chart-dir", ok[0], *extra], capsys)
        assert code in (0, 1), err
    for bad, says in (
        (str(tmp_path / "absent"), "does not exist"),
        (str(tmp_path / "big.yaml"), "not a directory"),
        (f"={cache}", "empty chart name"),
    ):
        code, _, err = cli([command, str(tmp_path / "big.yaml"), "--chart-dir", bad, *extra], capsys)
        assert code == 2 and err.startswith("error: --chart-dir") and says in err, err
