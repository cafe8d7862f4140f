"""The kubeconform back end: its documented JSON output, a fake binary on PATH, and (when installed)
a side-by-side comparison with the embedded validator."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from lint_helpers import FIXTURES, by_rule, run

from gitops_gen.errors import UserError
from gitops_gen.lint.schema.kubeconform import (
    DEFINITIONS_URL,
    command,
    parse_output,
    pointer_to_path,
    seed_cache,
)

# kubeconform README (yannh/kubeconform), "Validating a single invalid file, setting output to json"
README_OUTPUT = """{
  "resources": [
    {
      "filename": "fixtures/invalid.yaml",
      "kind": "ReplicationController",
      "version": "v1",
      "status": "INVALID",
      "msg": "Additional property templates is not allowed - Invalid type. Expected: [integer,null], given: string"
    }
  ],
  "summary": {"valid": 0, "invalid": 1, "errors": 0, "skipped": 0}
}"""


def test_parse_readme_output() -> None:
    [r] = parse_output(README_OUTPUT)
    assert (r.filename, r.kind, r.version, r.status) == (
        "fixtures/invalid.yaml",
        "ReplicationController",
        "v1",
        "invalid",
    )
    assert [e.message for e in r.errors] == [
        "Additional property templates is not allowed",
        "Invalid type. Expected: [integer,null], given: string",
    ]


def test_parse_current_output_with_validation_errors() -> None:
    text = json.dumps(
        {
            "resources": [
                {
                    "filename": "a.yaml",
                    "kind": "Deployment",
                    "name": "web",
                    "version": "apps/v1",
                    "status": "statusInvalid",
                    "msg": "...",
                    "validationErrors": [
                        {"path": "/spec/replicas", "msg": "expected integer or null, but got string"},
                        {
                            "path": "/spec/template/spec/containers/0",
                            "msg": "additional properties 'x' not allowed",
                        },
                    ],
                },
                {
                    "filename": "b.yaml",
                    "kind": "Widget",
                    "name": "w",
                    "version": "example.com/v1",
                    "status": "statusError",
                    "msg": "could not find schema for Widget",
                },
                {
                    "filename": "c.yaml",
                    "kind": "ConfigMap",
                    "name": "c",
                    "version": "v1",
                    "status": "statusValid",
                    "msg": "",
                },
            ]
        }
    )
    a, b, c = parse_output(text)
    assert a.status == "invalid" and [e.path for e in a.errors] == [
        ("spec", "replicas"),
        ("spec", "template", "spec", "containers", 0),
    ]
    assert b.status == "error" and c.status == "valid"
    assert pointer_to_path("/metadata/annotations/a~1b") == ("metadata", "annotations", "a/b")


def test_parse_garbage_is_a_user_error() -> None:
    with pytest.raises(UserError):
        parse_output("panic: runtime error")


def test_cache_seed_and_command(tmp_path: Path) -> None:
    defs = tmp_path / "_definitions.json"
    defs.write_text("{}")
    target = seed_cache(tmp_path / "cache", defs)
    assert target.name == hashlib.sha256(DEFINITIONS_URL.encode()).hexdigest() and target.read_text() == "{}"
    cmd = command("kubeconform", ["x.yaml"], tmp_path, "1.34", tmp_path / "cache", [tmp_path / "s"])
    assert cmd[:5] == ["kubeconform", "-output", "json", "-strict", "-summary"]
    assert str(tmp_path / "s" / "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json") in cmd
    assert cmd[-1] == "x.yaml"


FAKE = r"""#!{python}
import json, sys
files = [a for a in sys.argv[1:] if a.endswith(".yaml")]
out = []
for f in files:
    if f.endswith("bad.yaml"):
        out.append({{"filename": f, "kind": "Deployment", "name": "web", "version": "apps/v1",
                    "status": "statusInvalid", "msg": "x",
                    "validationErrors": [{{"path": "/spec/replicas", "msg": "expected integer or null, but got string"}}]}})
        out.append({{"filename": f, "kind": "Widget", "name": "w", "version": "example.com/v1",
                    "status": "statusError", "msg": "could not find schema for Widget"}})
print(json.dumps({{"resources": out, "summary": {{}}}}))
sys.exit(1 if out else 0)
"""


def test_fake_kubeconform_results_become_located_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "kubeconform"
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    result = run([FIXTURES / "schema" / "bad.yaml"], validator="kubeconform")
    found = {(f.line, f.column, str(f.severity), f.message) for f in by_rule(result, "schema")}
    assert found == {
        (7, 3, "error", "spec.replicas: expected integer or null, but got string"),
        (34, 1, "warning", "no schema for Widget example.com/v1: not validated"),
    }


def test_kubeconform_asked_for_but_missing_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    from gitops_gen.lint.api import _pick_validator

    with pytest.raises(UserError, match="kubeconform is not on PATH"):
        _pick_validator("kubeconform")
    assert _pick_validator("auto") == "embedded"


@pytest.mark.skipif(shutil.which("kubeconform") is None, reason="kubeconform is not installed here")
def test_both_back_ends_agree_on_verdicts() -> None:
    paths = [FIXTURES / "schema" / "bad.yaml", FIXTURES / "schema" / "good.yaml"]
    embedded = run(paths)
    kc = run(paths, validator="kubeconform")

    def verdicts(result: object) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in by_rule(result, "schema"):  # type: ignore[arg-type]
            out[f.resource] = max(out.get(f.resource, ""), str(f.severity))
        return out

    assert verdicts(kc) == verdicts(embedded)
