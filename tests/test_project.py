"""Project habits: one version (gitops_gen.__version__) everywhere, py.typed and templates in the wheel,
a changelog entry, and the test suite's own rules (helpers live in helper modules, markers are declared)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import gitops_gen

REPO = Path(__file__).resolve().parents[1]


def test_the_version_is_single_sourced() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?(a|b|rc|dev|post)\d+)?", gitops_gen.__version__)


def test_cli_version_prints_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_gen", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == f"gitops-gen, version {gitops_gen.__version__}\n"


def test_the_wheel_carries_the_version_py_typed_and_templates(tmp_path: Path) -> None:
    # the real build backend on this checkout, offline (hatchling is a dev dependency)
    proc = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"gitops_gen-{gitops_gen.__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {gitops_gen.__version__}\n" in metadata
    assert "gitops_gen/py.typed" in names
    templates = {p.name for p in (REPO / "templates").iterdir() if p.is_file()}
    assert templates and {f"gitops_gen/templates/{t}" for t in templates} <= names


def test_the_changelog_has_this_version_and_an_unreleased_section() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in text
    assert re.search(rf"^## \[{re.escape(gitops_gen.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in conftest.py or a helpers module (lint_helpers.py, ...), never in a test_*.py."""
    offenders = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [
                f"{path.name}:{node.lineno} imports {n}" for n in names if n.split(".")[0].startswith("test_")
            ]
    assert not offenders


def test_markers_are_declared_and_enforced() -> None:
    pytest_ini = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"][
        "ini_options"
    ]
    assert "--strict-markers" in pytest_ini["addopts"].split()  # a typo'd @pytest.mark.slwo is an error
    assert any(m.startswith("slow:") for m in pytest_ini["markers"])
