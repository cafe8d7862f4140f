"""The lint engine: loading (hostile files, kustomize roles, --build), annotations, determinism."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lint_helpers import FIXTURES, SHARED, as_tuples, by_rule, run

from gitops_gen.errors import UserError
from gitops_gen.k8s.loader import split_chunks

BAD = FIXTURES / "bad"


def test_split_chunks_keeps_line_numbers() -> None:
    text = "# head\na: 1\n---\nb: 2\n...\n--- # c\nc: 3\n"
    chunks = split_chunks(text)
    assert [(s, c.strip()) for s, _e, c in chunks if c.strip()] == [
        (0, "# head\na: 1"),
        (3, "b: 2"),
        (6, "c: 3"),
    ]


@pytest.mark.parametrize(
    ("name", "severity", "line", "needle"),
    [
        ("malformed.yaml", "error", 5, "invalid YAML"),
        ("dupkey.yaml", "error", 2, "duplicate"),  # at the duplicate key
        ("blob.yaml", "error", 1, "binary"),
        ("latin1.yaml", "error", 7, "UTF-8"),
        ("empty.yaml", "info", 1, "empty file"),
        ("values.yaml", "info", 1, "not a Kubernetes manifest"),
    ],
)
def test_hostile_and_non_kubernetes_files_are_located_findings(
    name: str, severity: str, line: int, needle: str
) -> None:
    result = run([BAD / name])
    found = by_rule(result, "yaml")
    assert len(found) == 1, found
    f = found[0]
    assert (str(f.severity), f.line, f.file.endswith(name)) == (severity, line, True)
    assert needle in f.message


def test_a_syntax_error_does_not_hide_the_other_documents() -> None:
    result = run([BAD / "malformed.yaml"])
    assert result.resources == 1  # the second document, ConfigMap/x/b, is still linted


def test_whole_directory_never_raises_and_counts_files() -> None:
    result = run([BAD])
    assert result.files == 6 and result.errors == 4


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        run([tmp_path / "nope"])


def test_kustomize_roles_patches_are_partial_generator_inputs_skipped() -> None:
    result = run([FIXTURES / "kustomize"])
    # only base/cm.yaml is a resource: patches are partial, settings.yaml feeds a generator,
    # kustomization.yaml files are kustomize's config
    assert result.resources == 1
    assert result.findings == [], [f.message for f in result.findings]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_build_lints_kubectl_kustomize_output_at_the_kustomization() -> None:
    result = run([FIXTURES / "kustomize"], build=True)
    assert result.resources == 2  # base-config (patched) + the generated "extra" ConfigMap
    # the strategic-merge patch adds a field no ConfigMap has: only the build shows it
    assert [(f.rule, f.line, f.resource) for f in result.findings] == [
        ("schema", 1, "ConfigMap/demo/base-config")
    ]
    assert result.findings[0].file.endswith("lint/kustomize/overlay/kustomization.yaml")
    assert "labels-that-are-not-a-field" in result.findings[0].message


def test_ignore_annotation_silences_listed_rules(tmp_path: Path) -> None:
    doc = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\n"
        '  annotations:\n    gitops-gen.io/ignore: "schema, probes"\ndata:\n  a: 1\n'
    )
    (tmp_path / "c.yaml").write_text(doc)
    result = run([tmp_path])
    assert by_rule(result, "schema") == []
    assert [f.rule for f in result.ignored] == ["schema"] and result.ignored[0].line == 9
    (tmp_path / "c.yaml").write_text(doc.replace("schema, probes", "probes"))
    assert len(by_rule(run([tmp_path]), "schema")) == 1


def _corpus_copy(tmp_path: Path) -> Path:
    src = SHARED / "corpus" / "fluxcd__flux2-kustomize-helm-example"
    if not src.is_dir():
        pytest.skip("reference corpus is absent")
    dst = tmp_path / "repo"
    shutil.copytree(src, dst)
    shutil.copytree(FIXTURES / "schema", dst / "extra-schema")
    shutil.copytree(FIXTURES / "bad", dst / "extra-bad")
    return dst


def test_identical_results_with_and_without_cache_and_with_one_or_two_workers(tmp_path: Path) -> None:
    repo = _corpus_copy(tmp_path)  # plain file mode: the cache is per file (cluster mode: test_cluster_view)
    cache = tmp_path / "cache"
    base = as_tuples(run([repo], plain=True, jobs=1))
    assert base  # the bad fixtures guarantee findings
    assert as_tuples(run([repo], plain=True, jobs=2)) == base
    assert as_tuples(run([repo], plain=True, jobs=2, cache_dir=cache)) == base  # cold cache
    assert as_tuples(run([repo], plain=True, jobs=1, cache_dir=cache)) == base  # warm cache
    # change one file: the warm cache must not serve its stale result
    target = repo / "extra-schema" / "good.yaml"
    target.write_text(
        target.read_text() + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n"
        "  namespace: shop\ndata:\n  k: 5\n"
    )
    os.utime(target, ns=(1, 1))  # an old mtime, different from the recorded one
    fresh = as_tuples(run([repo], plain=True, jobs=1))
    assert fresh != base
    assert as_tuples(run([repo], plain=True, jobs=2, cache_dir=cache)) == fresh


def test_cli_exit_codes_and_fail_on(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gitops_gen", "lint", "--no-cache", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )

    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\n")
    warn = tmp_path / "warn.yaml"
    warn.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    assert cli(str(good)).returncode == 0
    assert cli(str(warn)).returncode == 0
    assert cli("--fail-on", "warning", str(warn)).returncode == 1
    assert cli(str(FIXTURES / "schema" / "bad.yaml")).returncode == 1
    r = cli(str(tmp_path / "missing"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    # a file given as a schema directory: a usage error, not an "internal error" finding per object
    r = cli("--schema-dir", str(good), str(good))
    assert r.returncode == 2 and "not a directory" in r.stderr and "internal error" not in r.stdout + r.stderr
    (tmp_path / ".gitops-gen.yaml").write_text("disable: [nosuch]\n")
    r = cli(str(good))
    assert r.returncode == 2 and ".gitops-gen.yaml:1:" in r.stderr


LIST_TEXT = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
  spec:
    selector:
      app: web
    ports:
    - port: "eighty"
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata:
    name: web
    namespace: shop
  spec:
    rules:
    - host: shop.example.com
      http:
        paths:
        - path: /
          pathType: Prefix
          backend:
            service:
              name: missing
              port:
                number: 80
"""


def test_findings_inside_list_items_point_at_the_item_field(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text(LIST_TEXT)
    lines = LIST_TEXT.split("\n")
    base = run([tmp_path / "list.yaml"])
    schema = by_rule(base, "schema")
    assert [(f.line, f.resource) for f in schema] == [(13, "Service/shop/web")]
    assert "port" in lines[schema[0].line - 1]
    # a cross-object finding (phase 2) on a List item is placed at its field too
    ingress = [f for f in by_rule(base, "ingress") if "missing" in f.message]
    assert ingress and all(lines[f.line - 1].strip() == "name: missing" for f in ingress)
    cache = tmp_path / "cache"
    assert as_tuples(run([tmp_path / "list.yaml"], cache_dir=cache)) == as_tuples(base)
    assert as_tuples(run([tmp_path / "list.yaml"], cache_dir=cache)) == as_tuples(base)
