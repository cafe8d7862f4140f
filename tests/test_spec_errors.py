"""Bad specs: `gitops-gen render` exits 2 and lists every problem as file:line:col with a hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitops_gen.cli import main

APP = """\
apiVersion: gitops-gen/v1
kind: App
metadata:
  name: web
spec:
  image: ghcr.io/org/web:1.0.0
  port: 8080
  resources:
    requests:
      cpu: 100m
      memory: 128Mi
    limits:
      memory: 256Mi
"""


def _specs(tmp_path: Path, repo_root: Path, app: str | None = None, platform: str | None = None) -> Path:
    specs = tmp_path / "specs"
    (specs / "apps").mkdir(parents=True)
    (specs / "platform.yaml").write_text(
        platform if platform is not None else (repo_root / "specs/platform.yaml").read_text()
    )
    if app is not None:
        (specs / "apps/web.yaml").write_text(app)
    return specs


def _render(specs: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(["render", "--specs", str(specs), "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return int(exc.value.code or 0), err


@pytest.mark.parametrize(
    ("old", "new", "line", "col", "expect"),
    [
        (
            "  port: 8080\n",
            "  port: 8080\n  autoscalling:\n    maxReplicas: 3\n",
            8,
            3,
            r"spec\.autoscalling: unknown field; did you mean 'autoscaling'\?",
        ),
        ("  port: 8080\n", "  port: eighty\n", 7, 9, r"spec\.port: wrong type"),
        (
            "      cpu: 100m\n",
            "      cpu: 100 millicores\n",
            10,
            12,
            r"spec\.resources\.requests\.cpu: .*not a Kubernetes quantity",
        ),
        ("  name: web\n", "  name: Web_App\n", 4, 9, r"metadata\.name: .*DNS-1035"),
        ("  name: web\n", "  name: 1web\n", 4, 9, r"metadata\.name: .*starting with a letter"),
        (
            "      memory: 256Mi\n",
            "      memory: 64Mi\n",
            8,
            3,
            r"requests\.memory \(128Mi\) is greater than limits\.memory",
        ),
    ],
)
def test_bad_app_spec_exits_2_with_file_line_col(
    tmp_path: Path,
    repo_root: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    line: int,
    col: int,
    expect: str,
) -> None:
    assert old in APP
    specs = _specs(tmp_path, repo_root, APP.replace(old, new))
    out = tmp_path / "out"
    code, err = _render(specs, out, capsys)
    assert code == 2
    located = [ln for ln in err.splitlines() if "apps/web.yaml:" in ln]
    assert located, err
    assert any(re.search(expect, ln) for ln in located), err
    assert any(f"apps/web.yaml:{line}:{col}:" in ln for ln in located), err
    assert not out.exists()  # nothing written


def test_all_errors_are_listed_at_once(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = APP.replace("  port: 8080\n", "  port: 70000\n  replica: 2\n").replace("cpu: 100m", "cpu: lots")
    specs = _specs(tmp_path, repo_root, app)
    code, err = _render(specs, tmp_path / "out", capsys)
    assert code == 2
    assert "spec.port" in err and "spec.replica" in err and "did you mean 'replicas'" in err
    assert "spec.resources.requests.cpu" in err


def test_bad_platform_spec_is_located(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (repo_root / "specs/platform.yaml").read_text().replace("retention: 7d", "retension: 7d")
    specs = _specs(tmp_path, repo_root, None, text)
    code, err = _render(specs, tmp_path / "out", capsys)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "retension" in ln)
    assert code == 2
    assert (
        f"platform.yaml:{line}:7: spec.components.monitoring.retension: unknown field; "
        "did you mean 'retention'?" in err
    )


def test_previous_output_survives_a_bad_spec(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = _specs(tmp_path, repo_root, APP)
    out = tmp_path / "out"
    code, _ = _render(specs, out, capsys)
    assert code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (specs / "apps/web.yaml").write_text(APP.replace("cpu: 100m", "cpu: -1"))
    code, err = _render(specs, out, capsys)
    assert code == 2 and "cannot be negative" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_specs_that_do_not_fit_together_are_located(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid one by one, impossible together: TLS with no issuer anywhere; an app in a platform namespace."""
    platform = (repo_root / "specs/platform.yaml").read_text()
    start = platform.index("      acme:\n")
    end = platform.index("    sealedSecrets:")
    no_acme = platform[:start] + platform[end:]
    app = APP + "  namespace: monitoring\n  ingress:\n    host: web.example.com\n"
    specs = _specs(tmp_path, repo_root, app, no_acme)
    code, err = _render(specs, tmp_path / "out", capsys)
    assert code == 2
    assert re.search(
        r"platform\.yaml:\d+:\d+: spec\.components\.monitoring\.grafana\.host: .*no certificate issuer", err
    )
    assert re.search(r"apps/web\.yaml:\d+:\d+: spec\.ingress\.tls: TLS needs a certificate issuer", err)
    assert re.search(
        r"apps/web\.yaml:14:3: spec\.namespace: namespace 'monitoring' belongs to a platform component", err
    )


def test_missing_specs_dir_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _render(tmp_path / "nope", tmp_path / "out", capsys)
    assert code == 2 and "specs directory does not exist" in err


def test_duplicate_app_and_wrong_cluster_point_at_the_key(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the second App is the second document of its file: line 1 would point at the wrong document
    other = APP.replace("  port: 8080\n", "  port: 8080\n  cluster: elsewhere\n")
    specs = _specs(tmp_path, repo_root, APP + "---\n" + other)
    code, err = _render(specs, tmp_path / "out", capsys)
    assert code == 2
    second = len(APP.splitlines()) + 2  # the '---' line, then the second document's first line
    assert re.search(
        rf"apps/web\.yaml:{second + 3}:3: metadata\.name: App 'web' is also defined in "
        rf"\S*apps/web\.yaml:4:3;",
        err,
    ), err
    assert re.search(rf"apps/web\.yaml:{second + 7}:3: spec\.cluster: cluster 'elsewhere'", err), err


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  name: web\n", '  name: "web\\n"\n', r"metadata\.name"),
        ("  image: ghcr.io/org/web:1.0.0\n", '  image: "ghcr.io/org/web:1.0.0\\n"\n', r"spec\.image"),
    ],
)
def test_a_trailing_newline_is_not_part_of_a_valid_name(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str
) -> None:
    # Python's `$` also matches before a final newline; the API server would refuse "web\n"
    specs = _specs(tmp_path, repo_root, APP.replace(old, new))
    code, err = _render(specs, tmp_path / "out", capsys)
    assert code == 2
    assert re.search(rf"apps/web\.yaml:\d+:\d+: {key}: ", err), err
