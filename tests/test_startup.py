"""Start-up cost: what a plain lint run imports (issue 15 item 6; a structural check, not a timing test).

A one-file lint without a config file or specs must not import Pydantic (and the capacity model):
importing them costs ~80 ms, more than the lint of a small file itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""  # block style, as manifests are written: positions come from the line scanner, not ruamel


PROBE = """
import sys
from gitops_gen.cli import main
try:
    main(["lint", "--no-cache", "--format", "json", sys.argv[1]])
except SystemExit:
    pass
heavy = sorted(m for m in ("pydantic", "ruamel.yaml", "gitops_gen.spec.models", "gitops_gen.capacity.nodes") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


def _heavy_imports(target: Path, cwd: Path) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(target)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY:")]
    assert line, proc.stderr
    return [m for m in line[-1].removeprefix("HEAVY:").split(",") if m]


def test_one_file_lint_imports_no_pydantic(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the repository root: the config lookup stops here
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    assert _heavy_imports(target, tmp_path) == []


def test_config_file_still_validated_with_pydantic(tmp_path: Path) -> None:
    """The lazy import does not skip the config: a config file is read (and Pydantic loaded for it)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitops-gen.yaml").write_text("disable: [probes]\n", encoding="utf-8")
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    assert "pydantic" in _heavy_imports(target, tmp_path)
