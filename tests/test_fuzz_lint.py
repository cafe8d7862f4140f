"""Property tests: mutated and random manifests through `gitops-gen lint` (in-process CLI).

The corpus is what gitops-gen renders from the hardening test specs plus hand-written manifests of
other kinds; each example damages one to three files (fields dropped, retyped, renamed, nested,
huge numbers, odd unicode, tabs, anchors, truncation...) and lints the whole tree. The only
acceptable outcomes: exit 0, exit 1 with findings that name an existing file and a line, or exit 2
with a ``file:line`` message. Never a traceback or an internal error, never a hang.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import (
    FUZZ,
    HAND_WRITTEN,
    SHARED,
    assert_clean,
    corpus,
    docs_of,
    dump_yaml,
    mutated_doc,
    mutated_text,
    run_cli,
    values,
    write_files,
)
from hypothesis import given
from hypothesis import strategies as st


def _lint(root: Path, fmt: str) -> None:
    outcome = run_cli(["lint", str(root), "--no-cache", "--format", fmt], timeout=60, cwd=root)
    assert_clean(outcome)
    if fmt == "json" and outcome.code in (0, 1):
        report = json.loads(outcome.out)
        for finding in report["findings"]:
            assert isinstance(finding["line"], int) and finding["line"] >= 0, finding
            if finding["file"]:
                assert (root / finding["file"]).exists() or Path(finding["file"]).exists(), finding
        if outcome.code == 1:
            assert report["summary"]["errors"] >= 1
    if fmt == "sarif" and outcome.code in (0, 1):
        assert json.loads(outcome.out)["version"] == "2.1.0"


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_lint_mutated_manifests(data: Any) -> None:
    files = dict(corpus())
    for rel in data.draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=3, unique=True)):
        docs = docs_of(files[rel])
        if docs and data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(docs) - 1))
            docs[i] = data.draw(mutated_doc(docs[i]))
        text = "---\n".join(dump_yaml(d) for d in docs) if docs else files[rel]
        files[rel] = data.draw(mutated_text(text, max_ops=3))
    fmt = data.draw(st.sampled_from(["json", "json", "text", "sarif", "github"]))
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), files)
        _lint(Path(tmp), fmt)


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_lint_random_documents(data: Any) -> None:
    """Objects of real kinds with random bodies, and non-objects (lists, scalars, empty docs)."""
    kinds = st.sampled_from(
        [
            ("apps/v1", "Deployment"),
            ("v1", "Service"),
            ("policy/v1", "PodDisruptionBudget"),
            ("autoscaling/v2", "HorizontalPodAutoscaler"),
            ("v1", "Secret"),
            ("v1", "ConfigMap"),
            ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
            ("networking.k8s.io/v1", "Ingress"),
            ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
            ("v1", "List"),
            ("apps/v1", "DaemonSet"),
            ("batch/v1", "CronJob"),
            ("x.example/v1", "Widget"),
        ]
    )
    obj = st.builds(
        lambda k, name, ns, extra, spec: {
            "apiVersion": k[0],
            "kind": k[1],
            "metadata": {"name": name, "namespace": ns, **extra},
            "spec": spec,
            "data": spec,
        },
        kinds,
        st.one_of(st.sampled_from(["a", "web", ""]), values),
        st.sampled_from(["shop", None, 1]),
        st.dictionaries(st.sampled_from(["labels", "annotations"]), values, max_size=2),
        values,
    )
    docs = data.draw(st.lists(st.one_of(obj, values), min_size=1, max_size=4))
    text = data.draw(mutated_text("---\n".join(dump_yaml(d) for d in docs)))
    name = data.draw(st.sampled_from(["a.yaml", "kustomization.yaml", "b.yml"]))
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), {name: text, "ok.yaml": HAND_WRITTEN["misc/statefulset.yaml"]})
        _lint(Path(tmp), "json")


def test_unmutated_corpus_lints_without_errors_of_its_own(tmp_path: Path) -> None:
    """The base of the fuzzing is sane: the clean corpus lints with exit 0 or 1, no yaml findings."""
    write_files(tmp_path, corpus())
    outcome = run_cli(["lint", str(tmp_path), "--no-cache", "--format", "json"], timeout=60, cwd=tmp_path)
    assert_clean(outcome, allowed=(0, 1))
    findings = json.loads(outcome.out)["findings"]
    assert not [f for f in findings if f["rule"] == "yaml" and f["severity"] == "error"], findings


def _shared_corpus() -> list[Path]:
    root = SHARED / "corpus"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.y*ml") if p.is_file() and p.stat().st_size < 64_000)


@pytest.mark.skipif(not _shared_corpus(), reason="../shared/corpus (real public Flux repositories) is absent")
@pytest.mark.slow
@FUZZ
@given(st.data())
def test_lint_mutated_real_world_files(data: Any) -> None:
    """Files of real public Flux repositories, damaged, linted with their siblings."""
    src = data.draw(st.sampled_from(_shared_corpus()))
    text = src.read_text(encoding="utf-8", errors="replace")
    try:
        docs = docs_of(text)
    except Exception:  # a corpus file ruamel refuses: damage its text only
        docs = []
    if docs and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(docs) - 1))
        docs[i] = data.draw(mutated_doc(docs[i]))
        text = "---\n".join(dump_yaml(d) for d in docs)
    text = data.draw(mutated_text(text))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for sib in src.parent.iterdir():
            if sib.is_file() and sib.suffix in (".yaml", ".yml") and sib.stat().st_size < 64_000:
                shutil.copyfile(sib, root / sib.name)
        (root / src.name).write_text(text, encoding="utf-8")
        _lint(root, data.draw(st.sampled_from(["json", "text"])))
