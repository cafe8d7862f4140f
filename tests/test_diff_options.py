"""`gitops-gen diff` exit policy (--fail-on) and the schema options lint has (--crd-dir, --schema-dir,
--kubernetes-version): without them the lint delta cannot see a schema error in a custom kind."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitops_gen.cli import cli, main

CRD = Path(__file__).resolve().parent / "fixtures" / "lint" / "many" / "crd.yaml"
WIDGET = (
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\nspec:\n  color: {}\n"
)
HPA = """apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: h, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
  minReplicas: 1
  maxReplicas: 2
"""


@pytest.fixture
def trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for side, color in (("old", "Teal"), ("new", "Purpel")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "w.yaml").write_text(WIDGET.format(color))
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / "widget.yaml").write_text(CRD.read_text())
    return tmp_path


def diff(*args: str) -> tuple[int, str]:
    """``gitops-gen diff --output-dir old new ARGS`` through the real entry point: exit code, stdout+stderr."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), pytest.raises(SystemExit) as exc:
        main(["diff", "--output-dir", "old", "new", *args])
    return int(exc.value.code or 0), out.getvalue()


def test_crd_dir_lets_the_lint_delta_see_a_custom_kind_error(trees: Path) -> None:
    code, text = diff("--fail-on", "error")
    assert code == 0 and "lint: 0 introduced" in text  # no schema for Widget on either side
    code, text = diff("--fail-on", "error", "--crd-dir", "crds")
    assert code == 1
    assert '+ error schema: Widget/shop/w: spec.color: "Purpel" is not one of "Purple"' in text


def test_schema_dir_works_like_lint_s(trees: Path) -> None:
    result = CliRunner().invoke(cli, ["schemas", "import", "crds/widget.yaml", "--out", "schemas"])
    assert result.exit_code == 0, result.output
    code, text = diff("--fail-on", "error", "--schema-dir", "schemas")
    assert code == 1 and "+ error schema: Widget/shop/w: spec.color" in text


def test_without_fail_on_a_diff_exits_0_whatever_it_adds(trees: Path) -> None:
    code, text = diff("--crd-dir", "crds")
    assert code == 0 and "1 introduced" in text


def test_fail_on_counts_only_what_the_change_adds(trees: Path) -> None:
    (trees / "old" / "w.yaml").write_text(WIDGET.format("Purpel"))  # the error was already there
    code, text = diff("--fail-on", "error", "--crd-dir", "crds")
    assert code == 0 and "errors 1 -> 1" in text
    (trees / "old" / "w.yaml").write_text(WIDGET.format("Teal"))
    (trees / "new" / "w.yaml").write_text(WIDGET.format("Teal"))
    (trees / "new" / "hpa.yaml").write_text(HPA.replace("v2beta2", "v2"))  # a warning-level finding only
    code, text = diff("--fail-on", "error", "--crd-dir", "crds")
    assert code == 0 and "+ warning" in text and "+ error" not in text
    code, _ = diff("--fail-on", "warning", "--crd-dir", "crds")
    assert code == 1


def test_kubernetes_version_reaches_the_lint_delta(trees: Path) -> None:
    (trees / "new" / "w.yaml").write_text(WIDGET.format("Teal"))
    (trees / "new" / "hpa.yaml").write_text(HPA)
    code, text = diff("--fail-on", "error")  # removed in 1.26: the default version no longer serves it
    assert code == 1 and "autoscaling/v2beta2 was removed in Kubernetes 1.26" in text
    code, text = diff("--fail-on", "error", "--kubernetes-version", "1.25")  # 1.25 still does
    assert code == 0 and "was removed" not in text
    code, text = diff("--kubernetes-version", "one")
    assert code == 2 and "--kubernetes-version 'one' is not a version like 1.34" in text


def test_missing_crd_dir_is_a_usage_error(trees: Path) -> None:
    code, text = diff("--crd-dir", "nope")
    assert code == 2 and "nope: no such directory" in text


def test_diff_text_escapes_control_characters(trees: Path) -> None:
    (trees / "new" / "w.yaml").write_text(WIDGET.format('"Teal\\e[2J\\n0 errors"'))
    code, text = diff()
    assert code == 0 and "\x1b" not in text
    assert all(not line.startswith("0 errors") for line in text.splitlines())
