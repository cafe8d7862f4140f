"""Start-up cost: what a plain lint run imports (issue 15 item 6; a structural check, not a timing test).

A one-file lint without a config file or specs must not import Pydantic (and the capacity model):
importing them costs ~80 ms, more than the lint of a small file itself. Inside a repository with
``specs/``, the specs are validated with the Pydantic models once; while they are unchanged, later
runs take the platform facts from the lint cache and import neither Pydantic nor the spec models.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

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
import json, sys
before = set(sys.modules)  # an interpreter may load some at start-up (a .pth file): not ours
from gitops_gen.cli import main
try:
    main(["lint", "--format", "json", *json.loads(sys.argv[1])])
except SystemExit:
    pass
heavy = sorted(m for m in ("pydantic", "ruamel.yaml", "gitops_gen.spec.models", "gitops_gen.capacity.nodes", "gitops_gen.capacity.profiles.loki", "_hashlib", "dataclasses", "importlib.resources", "base64", "email.utils") if m in sys.modules and m not in before)
print("HEAVY:" + ",".join(heavy))
"""


def _heavy_imports(target: Path, cwd: Path, *args: str) -> list[str]:
    argv = json.dumps([str(target), *(args or ("--no-cache",))])
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY:")]
    assert line, proc.stderr
    return [m for m in line[-1].removeprefix("HEAVY:").split(",") if m]


def test_one_file_lint_imports_no_pydantic(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the repository root: the config lookup stops here
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    # nor email.utils (with base64), which jsonschema-rs's import asks for one date (lint.schema.rs_import)
    assert _heavy_imports(target, tmp_path) == []


def test_config_file_still_validated_with_pydantic(tmp_path: Path) -> None:
    """The lazy import does not skip the config: a config file is read (and Pydantic loaded for it)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitops-gen.yaml").write_text("disable: [probes]\n", encoding="utf-8")
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    assert "pydantic" in _heavy_imports(target, tmp_path)


def test_one_file_lint_with_unchanged_specs_imports_no_pydantic(tmp_path: Path) -> None:
    """The pre-commit hook's case: a one-file lint inside a repository with ``specs/``, with the
    default cache. The first run validates the specs (Pydantic); the next ones do not import it while
    the specs are unchanged, and an edited spec is validated again."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert "gitops_gen.spec.models" in _heavy_imports(target, tmp_path, *cache)  # validated once
    warm = _heavy_imports(target, tmp_path, *cache)
    assert "pydantic" not in warm and "gitops_gen.spec.models" not in warm and "ruamel.yaml" not in warm
    assert "gitops_gen.capacity.nodes" in warm  # the node size came from the specs: the budget rules ran
    assert "gitops_gen.capacity.profiles.loki" not in warm  # no HelmRelease of that chart: not loaded
    # records are msgspec Structs, cache keys blake2b without hashlib (which loads OpenSSL): neither
    # dataclasses' method compiling nor OpenSSL is paid on this path (docs/performance.md, seventh pass)
    assert "dataclasses" not in warm and "_hashlib" not in warm, warm
    assert "base64" not in warm  # imported where a Secret's value is decoded (capacity.releases)
    # the hook's usual case: the file was just edited, so it is validated again (the specs are not):
    # the bundled CRD index is read without importlib.resources (it imports tempfile, shutil, random)
    target.write_text(DEPLOYMENT.replace("nginx:1.25", "nginx:1.26"), encoding="utf-8")
    edited = _heavy_imports(target, tmp_path, *cache)
    assert "pydantic" not in edited and "importlib.resources" not in edited, edited
    assert "email.utils" not in edited, edited  # jsonschema-rs is imported without it (rs_import)
    platform = tmp_path / "specs" / "platform.yaml"
    platform.write_text(platform.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert "gitops_gen.spec.models" in _heavy_imports(target, tmp_path, *cache)  # changed: validated


def test_no_cache_still_validates_the_specs(tmp_path: Path) -> None:
    """``--no-cache``: nothing is read from the cache, the specs included (validated every run)."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    assert "pydantic" in _heavy_imports(target, tmp_path, "--no-cache")


def test_spec_locations_of_unchanged_specs_import_no_pydantic(tmp_path: Path) -> None:
    """Findings on rendered objects name their spec key: with the specs unchanged since they were
    validated, the key's position is read from the plain documents, not through the models."""
    root = tmp_path / "examples" / "fleet"
    for name in ("specs", "output"):
        shutil.copytree(REPO / "examples" / "fleet" / name, root / name)
    (tmp_path / ".git").mkdir()
    cache = ["--cache-dir", str(tmp_path / "cache")]
    target = Path("output")
    assert "gitops_gen.spec.models" in _heavy_imports(target, root, *cache)
    probe = json.dumps([str(target), *cache])
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, probe], cwd=root, capture_output=True, text=True, timeout=120
    )
    report = json.loads(proc.stdout[: proc.stdout.rindex("HEAVY:")])
    assert any(f.get("spec") for f in report["findings"])  # the memory-budget infos of the fleet example
    heavy = proc.stdout.rsplit("HEAVY:", 1)[1].strip().split(",")
    assert "pydantic" not in heavy and "gitops_gen.spec.models" not in heavy


def test_the_cache_is_found_again_whatever_the_string_hashing(tmp_path: Path) -> None:
    """The cache keys hold the platform facts: they must not depend on the process's string hashing
    (a set's order does), or each run with specs/ writes a new cache and none is ever reused."""
    import os

    (tmp_path / ".git").mkdir()
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    target = tmp_path / "web.yaml"
    target.write_text(DEPLOYMENT, encoding="utf-8")
    cache = tmp_path / "cache"
    argv = json.dumps([str(target), "--cache-dir", str(cache)])
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, argv], cwd=tmp_path, env=env, capture_output=True, timeout=120
        )
        assert b"HEAVY:" in proc.stdout, proc.stderr
    settings = [d.name for d in cache.iterdir() if d.name not in ("specs", "schemas")]
    assert len(settings) == 1, settings


HELP_PROBE = """
import sys
sys.argv = ["gitops-gen", *sys.argv[1:]]
pathlib_before = "pathlib" in sys.modules  # an interpreter may load it at start-up (a .pth file)
import atexit
from gitops_gen.cli import main

def report():  # main() ends the process itself, after the exit handlers
    print("PATHLIB:" + str(not pathlib_before and "pathlib" in sys.modules), file=sys.stderr)
    print("LOADED:" + ",".join(sorted(m for m in sys.modules if m.startswith("gitops_gen"))), file=sys.stderr)

atexit.register(report)
main()
"""


def test_help_and_version_import_only_the_cli(tmp_path: Path) -> None:
    """``--help`` (and ``--version``) load the command-line module and nothing else of the package (nor
    pathlib): the error types and the text escaping are imported when an error is reported; an error
    still reads as before."""
    for args in (["--help"], ["--version"], ["lint", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-c", HELP_PROBE, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        loaded = proc.stderr.rsplit("LOADED:", 1)[1].strip().split(",")
        assert loaded == ["gitops_gen", "gitops_gen.cli"], (args, loaded)
        assert "PATHLIB:False" in proc.stderr, args  # pathlib is loaded when a path option is converted
    proc = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, "lint", str(tmp_path / "missing\x07.yaml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "missing\\x07.yaml" in proc.stderr and "no such file or directory" in proc.stderr
