"""`gitops-gen budget` and the budget lint rules end to end, on rendered platforms.

* the reference platform as rendered (output/) fits its node; the totals are printed;
* the same platform with `logging.loki.chunksCache: true` fails `gitops-gen lint` (exit 1) naming the
  loki HelmRelease, the chunks cache, its 9830Mi request, the 12Gi node and the fix;
* two 8Gi nodes: the sum fits, the chunks cache fits no node and is reported Pending.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from gitops_gen.cli import main
from gitops_gen.render.api import run_render

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "capacity"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def chunks_platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The reference specs with the Loki chunks cache on, rendered to a temporary directory."""
    root = tmp_path_factory.mktemp("chunks")
    specs = root / "specs"
    shutil.copytree(REPO / "specs", specs)
    platform = specs / "platform.yaml"
    text = platform.read_text(encoding="utf-8")
    assert "chunksCache: false" in text
    platform.write_text(text.replace("chunksCache: false", "chunksCache: true"), encoding="utf-8")
    out = root / "out"
    assert run_render(specs, out, check=False) == 0
    return specs, out


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("two") / "out"
    specs = FIXTURES / "two-nodes"
    assert run_render(specs, out, check=False) == 0
    return specs, out


def test_reference_platform_fits_its_node(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["budget", str(REPO / "output"), "--specs", str(REPO / "specs")], capsys)
    assert code == 0, out
    assert "vps-c9e6ac23 (4 CPU, 12Gi; allocatable 4 CPU, 12188Mi)" in out
    m = re.search(r"Total requests .*: (\d+) pods, (\d+)m CPU, (\d+)Mi memory", out)
    assert m, out
    pods, cpu, mem = (int(x) for x in m.groups())
    assert 0 < mem < 12188 and 0 < cpu < 4000 and pods > 10
    assert "every pod fits" in out and "Pending pods" not in out
    for release in (
        "HelmRelease logging/loki [loki 6.55.0]",
        "HelmRelease monitoring/kube-prometheus-stack [kube-prometheus-stack 88.5.3]",
        "Deployment lingua-app/lingua-app",
        "K3s add-ons (kube-system)",
    ):
        assert release in out
    assert "HPA 2-5, counted at 5" in out
    # the table and the JSON agree
    code, text, _ = cli(
        ["budget", str(REPO / "output"), "--specs", str(REPO / "specs"), "--format", "json"], capsys
    )
    data = json.loads(text)
    assert code == 0 and data["pending"] == []
    assert data["totals"]["requests"]["memory_bytes"] == mem * 2**20
    assert data["totals"]["allocatable"] == {"cpu_millis": 4000, "memory_bytes": 12188 * 2**20}
    code, md, _ = cli(
        ["budget", str(REPO / "output"), "--specs", str(REPO / "specs"), "--format", "markdown"], capsys
    )
    assert code == 0 and md.startswith("## Memory/CPU budget") and "| COMPONENT |" in md


def test_reference_platform_lints_without_budget_findings(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _ = cli(
        ["lint", str(REPO / "output"), "--specs", str(REPO / "specs"), "--format", "json", "--no-cache"],
        capsys,
    )
    findings = json.loads(out)["findings"]
    assert not [f for f in findings if f["rule"] in ("memory-budget", "cpu-budget")], findings


def test_chunks_cache_fails_lint_with_a_useful_finding(
    chunks_platform: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    specs, out = chunks_platform
    code, text, _ = cli(["lint", str(out), "--specs", str(specs), "--format", "json", "--no-cache"], capsys)
    assert code == 1
    findings = [f for f in json.loads(text)["findings"] if f["rule"] == "memory-budget"]
    assert len(findings) == 1, findings
    f = findings[0]
    assert f["severity"] == "error"
    assert f["resource"] == "HelmRelease/logging/loki"
    assert f["file"].endswith("infrastructure/controllers/loki/release.yaml")
    assert "chunks-cache" in f["message"] and "9830Mi" in f["message"]
    assert "0/1 nodes are available: 1 Insufficient memory." in f["message"]
    assert "12Gi" in f["message"] and "vps-c9e6ac23" in f["message"]
    assert "logging.loki.chunksCache: false" in f["remediation"]
    assert "values.chunksCache.allocatedMemory" in f["remediation"]
    # the finding points at the chunksCache values in the HelmRelease file
    release = (out / "infrastructure/controllers/loki/release.yaml").read_text(encoding="utf-8").splitlines()
    assert "chunksCache" in release[f["line"] - 1]
    # the budget says the same and exits 1
    code, text, _ = cli(["budget", str(out), "--specs", str(specs)], capsys)
    assert code == 1
    assert "chunks-cache (StatefulSet loki-chunks-cache): 1 of 1 pod would stay Pending" in text


def test_two_nodes_sum_fits_but_the_chunks_cache_fits_neither(
    two_nodes: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    specs, out = two_nodes
    code, text, _ = cli(["budget", str(out), "--specs", str(specs), "--format", "json"], capsys)
    data = json.loads(text)
    assert code == 1
    totals = data["totals"]
    assert totals["requests"]["memory_bytes"] < totals["allocatable"]["memory_bytes"]
    [pending] = data["pending"]
    assert pending["owner"] == "HelmRelease logging/loki" and pending["component"] == "chunks-cache"
    assert pending["message"] == "0/2 nodes are available: 2 Insufficient memory."
    assert (
        pending["requests"]["memory_bytes"]
        > max(n["allocatable"]["memory_bytes"] for n in data["nodes"]) - 2**30
    )
    code, text, _ = cli(["lint", str(out), "--specs", str(specs), "--format", "json", "--no-cache"], capsys)
    assert code == 1
    [f] = [f for f in json.loads(text)["findings"] if f["rule"] == "memory-budget"]
    assert "0/2 nodes are available: 2 Insufficient memory." in f["message"]


def test_unknown_chart_and_flags(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no specs/ here: nodes come from the flags only
    manifests = FIXTURES / "manifests"
    code, text, _ = cli(["budget", str(manifests), "--node-memory", "8Gi", "--node-cpu", "2"], capsys)
    assert code == 0
    assert "HelmRelease apps/podinfo" in text and "unknown footprint (not zero)" in text
    assert "Unknown footprint (not counted, not zero; " in text and "): HelmRelease apps/podinfo" in text
    # honest totals: the unknown release is said next to the total, and "every pod fits" is qualified
    assert "(1 of 1 HelmRelease not counted: at least this much)" in text
    assert "every counted pod fits, but 1 of 1 HelmRelease not counted" in text
    assert "every pod fits" not in text
    code, _, err = cli(
        ["budget", str(manifests), "--node-memory", "8Gi", "--node-cpu", "2", "--fail-on-unknown"], capsys
    )
    assert code == 1 and "1 of 1 HelmRelease not counted (--fail-on-unknown)" in err
    code, jtext, _ = cli(["budget", str(manifests), "--format", "json"], capsys)
    assert json.loads(jtext)["totals"]["releases"] == {
        "total": 1,
        "counted": 0,
        "not_counted": 1,
        "complete": False,
        "summary": "1 of 1 HelmRelease not counted",
    }
    assert "HPA 2-6, counted at 6" in text
    assert "node-1 (2 CPU, 8Gi; allocatable 2 CPU, 8092Mi)" in text
    # api at 6 x 250m = 1500m on a 1-CPU node: 2 of the HPA's extra pods stay Pending, for CPU
    code, text, _ = cli(
        ["budget", str(manifests), "--node-memory", "8Gi", "--node-cpu", "1", "--format", "json"], capsys
    )
    assert code == 1
    [p] = json.loads(text)["pending"]
    assert (p["component"], p["phase"], p["pods"]) == ("api", "autoscaling", 2)
    assert p["message"] == "0/1 nodes are available: 1 Insufficient cpu."
    code, text, _ = cli(
        ["lint", str(manifests), "--node-memory", "8Gi", "--node-cpu", "1", "--format", "json", "--no-cache"],
        capsys,
    )
    rules = {(f["rule"], f["severity"]) for f in json.loads(text)["findings"]}
    assert ("cpu-budget", "error") in rules and ("memory-budget", "info") in rules
    assert ("memory-budget", "error") not in rules
    # without any node size there is nothing to compare with: table only, exit 0
    code, text, _ = cli(["budget", str(manifests)], capsys)
    assert code == 0 and "no node size known" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["--node-memory", "lots", "--node-cpu", "2"],
        ["--nodes", "0", "--node-memory", "1Gi", "--node-cpu", "1"],
    ],
)
def test_bad_node_flags_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["budget", str(FIXTURES / "manifests"), *argv], capsys)
    assert code == 2 and err.startswith("error: --node")


def test_missing_path_and_chart_dir(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["budget"], capsys)
    assert code == 2 and "output/ does not exist" in err
    code, _, err = cli(["budget", str(tmp_path / "nope")], capsys)
    assert code == 2 and "no such file or directory" in err
    code, _, err = cli(
        ["budget", str(FIXTURES / "manifests"), "--chart-dir", f"x={tmp_path / 'absent'}"], capsys
    )
    assert code == 2 and "--chart-dir" in err


def test_budget_is_deterministic(two_nodes: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    specs, out = two_nodes
    first = cli(["budget", str(out), "--specs", str(specs), "--format", "json"], capsys)[1]
    second = cli(["budget", str(out), "--specs", str(specs), "--format", "json"], capsys)[1]
    assert first == second
