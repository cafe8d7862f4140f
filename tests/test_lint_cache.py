"""The on-disk cache reuses per-file and per-namespace (cross-object) results; after any change the
results must be exactly those of a run without the cache, including cross-object findings whose
cause is in another file (a deleted Service, an HPA's minReplicas, a Flux source)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from lint_helpers import as_tuples, by_rule, run

from gitops_gen.lint import engine
from gitops_gen.lint.cache import ResultCache
from gitops_gen.lint.engine import FileResult, RawObject
from gitops_gen.lint.model import LintOptions
from gitops_gen.lint.run import GLOBAL, partition_of, slim

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}, labels: {{app: web}}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{{containerPort: 8080, name: http}}]
          resources: {{requests: {{cpu: 10m, memory: 32Mi}}, limits: {{memory: 64Mi}}}}
          readinessProbe: {{httpGet: {{path: /, port: http}}}}
          livenessProbe: {{httpGet: {{path: /, port: http}}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web, namespace: {ns}}}
spec:
  minAvailable: 1
  selector: {{matchLabels: {{app: web}}}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: http, name: http}}]
"""
INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: {ns}}}
spec:
  rules:
    - host: {ns}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: web, port: {{name: http}}}}}}
"""
HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: {ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: {min}
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}
"""


_CLOCK = [1_000_000_000 * 10**9]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    _CLOCK[0] += 10**9  # an old (trusted) mtime, new at each write, as an edit gives
    os.utime(path, ns=(_CLOCK[0], _CLOCK[0]))


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for ns in ("alpha", "beta", "gamma"):
        _write(repo / ns / "ns.yaml", f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")
        _write(repo / ns / "deploy.yaml", DEPLOY.format(ns=ns))
        _write(repo / ns / "service.yaml", SERVICE.format(ns=ns))
        _write(repo / ns / "ingress.yaml", INGRESS.format(ns=ns))
        _write(repo / ns / "hpa.yaml", HPA.format(ns=ns, min=2))
    return repo


def _same_with_cache(repo: Path, cache: Path) -> list[tuple[Any, ...]]:
    base = as_tuples(run([repo]))
    assert as_tuples(run([repo], cache_dir=cache)) == base
    assert as_tuples(run([repo], cache_dir=cache, jobs=2)) == base  # warm, nothing changed
    return base


def test_cross_object_findings_follow_changes_in_other_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    cache = tmp_path / "cache"
    clean = _same_with_cache(repo, cache)
    assert not [f for f in clean if f[0] in ("ingress", "pdb", "hpa")]

    # the Service an Ingress points at disappears: an ingress finding on an unchanged file
    (repo / "beta" / "service.yaml").unlink()
    gone = _same_with_cache(repo, cache)
    assert [f for f in gone if f[0] == "ingress" and "beta" in f[5]]
    assert not [f for f in gone if f[0] == "ingress" and "beta" not in f[5]]

    # an HPA's minReplicas (another file) makes the unchanged PDB block every eviction
    _write(repo / "gamma" / "hpa.yaml", HPA.format(ns="gamma", min=1))
    pdb = _same_with_cache(repo, cache)
    assert pdb != gone

    # the Service comes back (the partition's file set changes again)
    _write(repo / "beta" / "service.yaml", SERVICE.format(ns="beta"))
    back = _same_with_cache(repo, cache)
    assert not [f for f in back if f[0] == "ingress"]

    # a Flux object is global (its references cross namespaces): every partition is re-checked,
    # and a reference to a missing source is found
    flux = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: apps, namespace: flux-system}\n"
        "spec: {interval: 10m, path: ./alpha, prune: true,\n"
        "       sourceRef: {kind: GitRepository, name: missing}}\n"
    )
    _write(repo / "flux" / "ks.yaml", flux)
    with_flux = _same_with_cache(repo, cache)
    assert [f for f in with_flux if f[0] == "flux-refs"]
    _write(repo / "alpha" / "hpa.yaml", HPA.format(ns="alpha", min=1))
    _same_with_cache(repo, cache)


def test_a_one_file_edit_reuses_the_other_namespaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    cache = tmp_path / "cache"
    _same_with_cache(repo, cache)
    _write(repo / "alpha" / "hpa.yaml", HPA.format(ns="alpha", min=1))
    checked: list[set[str]] = []
    real = engine.run_phase2

    def spy(tasks: Any, asm: Any, options: Any, extra: Any = (), subset: Any = None, jobs: Any = None) -> Any:
        checked.append({asm.resources[i].namespace or asm.resources[i].name for i in subset or ()})
        return real(tasks, asm, options, extra, subset=subset, jobs=jobs)

    monkeypatch.setattr(engine, "run_phase2", spy)
    result = run([repo], cache_dir=cache)
    assert checked == [{"alpha"}]  # only the edited namespace is checked again
    checked.clear()
    run([repo], cache_dir=cache)
    assert checked == []  # nothing changed: nothing runs
    monkeypatch.undo()
    assert as_tuples(result) == as_tuples(run([repo]))
    # the cache now knows both versions of alpha's partition and the unchanged beta/gamma ones
    c = ResultCache.open(cache, LintOptions())
    assert c is not None and len(c.parts) >= 4
    assert by_rule(result, "pdb")  # minAvailable 1 = minReplicas 1: the PDB blocks evictions


def test_slim_records_keep_what_the_finishing_step_reads() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": {"k": "v" * 100},
        "metadata": {
            "name": "n",
            "namespace": "ns",
            "labels": {"a": "b"},
            "annotations": {"gitops-gen.io/ignore": "schema", "other": "x"},
        },
    }
    objects, _findings, _counted = slim(FileResult([RawObject(body, 3, 1, 0, False, 2, 9, ())], [], 1))
    assert objects == [
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "n",
                    "namespace": "ns",
                    "annotations": {"gitops-gen.io/ignore": "schema"},
                },
            },
            3,
            1,
            0,
            False,
            2,
            9,
            (),
        )
    ]
    assert partition_of(body, False) == "ns"
    assert partition_of(body, True) is None
    assert partition_of({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}, False) == "ns"
    assert (
        partition_of(
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": "r", "namespace": "ns"},
            },
            False,
        )
        == GLOBAL
    )
    assert partition_of({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, False) == GLOBAL


def test_full_records_lost_to_a_concurrent_compaction_are_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-lint reads full records from the bodies file the index names; when another run has
    compacted it away meanwhile, the files of re-checked namespaces are parsed again, same results."""
    repo = _repo(tmp_path)
    cache = tmp_path / "cache"
    _same_with_cache(repo, cache)
    c = ResultCache.open(cache, LintOptions())
    assert c is not None
    c.used_parts = set(c.parts)
    c._compact()  # a small input stays in the journal: compact it as a large one is
    c.close()
    [digest_dir] = [d for d in cache.iterdir() if d.name != "schemas"]
    bodies = list(digest_dir.glob("bodies-*.bin"))
    assert len(bodies) == 1 and (digest_dir / "index.marshal").is_file()
    bodies[0].unlink()
    _write(repo / "alpha" / "hpa.yaml", HPA.format(ns="alpha", min=1))
    parsed: list[str] = []
    real = engine.run_phase1

    def spy(tasks: Any, *args: Any) -> Any:
        parsed.extend(t.display.rsplit("/", 2)[-2] for t in tasks)
        return real(tasks, *args)

    monkeypatch.setattr(engine, "run_phase1", spy)
    edited = as_tuples(run([repo], cache_dir=cache))
    monkeypatch.undo()
    assert len(parsed) > 1 and set(parsed) == {"alpha"}  # the edit, then alpha's other files again
    assert edited == as_tuples(run([repo]))
    assert [f for f in edited if f[0] == "pdb"]  # alpha's PDB (other file, not re-parsed) now blocks


def test_code_fingerprint_sees_a_rewrite_that_keeps_size_and_mtime(tmp_path: Path) -> None:
    """Cached results depend on gitops-gen's files by stat (no content read): a rewrite that keeps
    the size and restores the mtime, as ``cp -p`` or ``tar x`` do, still changes the ctime or inode."""
    import time

    from gitops_gen.lint.cache import code_stats, fingerprint_stat

    f = tmp_path / "rule.py"
    f.write_text("X = 1\n")
    st = f.stat()
    before = fingerprint_stat([tmp_path], (".py",))
    time.sleep(0.01)  # a ctime tick on coarse clocks
    f.write_text("X = 2\n")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert fingerprint_stat([tmp_path], (".py",)) != before
    ours = code_stats()  # every Python file and bundled schema of the package
    names = {Path(p).name for p, *_ in ours}
    assert {"cache.py", "engine.py", "cli.py"} <= names
    assert any(p.endswith(".json.gz") for p, *_ in ours)


def test_records_of_files_keyed_by_their_written_text_survive_a_compaction(tmp_path: Path) -> None:
    """A file the caller wrote (``diff``'s trees) is keyed by that text without being read, and its stat
    is recorded as for a file read: a compaction keeps the records of the files it knows (it dropped
    every one of them before), and the key is the one reading the file gives."""
    target = tmp_path / "web.yaml"
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n"
    target.write_text(text, encoding="utf-8")
    root = tmp_path / "cache"
    reader = ResultCache.open(root, LintOptions())
    assert reader is not None
    want = reader.key_for(str(target), "resource")
    c = ResultCache.open(root, LintOptions())
    assert c is not None
    c.written = {str(target): text}
    key, data = c.key_and_bytes(str(target), "resource")
    assert key == want and data == text.encode()
    record = ([], [], 1)
    c.put(key, record, record)
    c.save()  # to the journal (small)
    c.used_parts = set(c.parts)
    c._compact()  # as a large run's save does
    c.close()
    again = ResultCache.open(root, LintOptions())
    assert again is not None and again.has(key)
