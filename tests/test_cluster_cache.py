"""The warm re-lint of a Flux repository: a cluster whose inputs have not changed is neither built nor
linted again, and each kind of change that alters what a cluster applies is seen (the result always
equals a run without the cache)."""

from __future__ import annotations

import os
from pathlib import Path

from cluster_helpers import DEPLOY, flux_ks, sync, two_clusters, write
from lint_helpers import run

from gitops_gen.lint.model import Severity


def lint(root: Path, cache: Path | None, **kw: object) -> list[tuple[object, ...]]:
    result = run([root], cache_dir=cache, **kw)
    return sorted(
        (f.rule, str(f.severity), f.file, f.line, f.column, f.message, f.cluster) for f in result.findings
    )


def touch(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    os.utime(p, ns=(1, 1))  # an old mtime: only the content (and ctime) says it changed


def test_each_change_a_cluster_sees_is_seen_warm(tmp_path: Path, monkeypatch: object) -> None:
    import gitops_gen.lint.clusters as clusters_mod

    root = two_clusters(tmp_path)
    write(
        root,
        {
            "clusters/staging/extra.yaml": flux_ks("extra", "./extra"),  # no kustomization.yaml there
            "extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
        },
    )
    cache = tmp_path / "cache"
    assert lint(root, cache) == lint(root, None)
    built: list[str] = []
    real = clusters_mod.tasks_of

    def counting(view: object, cwd: Path) -> object:
        built.append(view.name)  # type: ignore[attr-defined]
        return real(view, cwd)  # type: ignore[arg-type]

    monkeypatch.setattr(clusters_mod, "tasks_of", counting)  # type: ignore[attr-defined]
    assert lint(root, cache) == lint(root, None) and built.count("production") == 1  # only the uncached run
    built.clear()
    assert lint(root, cache) and built == []  # warm, nothing changed: nothing built
    # a file added where Flux generates the kustomization: staging applies it (a Deployment: findings)
    touch(
        root / "extra/deploy.yaml", (root / "apps/base/deploy.yaml").read_text().replace("${REPLICAS}", "1")
    )
    assert lint(root, cache) == lint(root, None)
    assert any(f[2].endswith("extra/deploy.yaml") and f[6] == "staging" for f in lint(root, cache))
    # a file a cluster reads changes: production's substitution
    apps = root / "clusters/production/apps.yaml"
    touch(apps, apps.read_text().replace("REPLICAS: '6'", "REPLICAS: '7'"))
    built.clear()
    assert lint(root, cache) == lint(root, None)
    assert built.count("staging") == 1  # the uncached run only: staging is served from the cache
    # the config's severities apply to stored findings too
    sev = {"probes": Severity.WARNING}
    assert lint(root, cache, severity=sev) == lint(root, None, severity=sev) != lint(root, None)


def test_the_working_directory_is_part_of_what_is_stored(tmp_path: Path, monkeypatch: object) -> None:
    root = write(
        tmp_path / "r",
        {
            "clusters/c/flux-system/gotk-sync.yaml": sync("c"),
            "clusters/c/apps.yaml": flux_ks("apps", "./apps"),
            "apps/deploy.yaml": DEPLOY.replace("${REPLICAS}", "1"),  # no probes: findings
        },
    )
    cache = tmp_path / "cache"
    monkeypatch.chdir(root)  # type: ignore[attr-defined]
    here = lint(Path("."), cache)
    assert here and {f[2] for f in here} == {"apps/deploy.yaml"}
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    assert lint(Path("r"), cache) == lint(Path("r"), None) != here


ALERT = """
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: alertmanager, namespace: flux-system}
spec:
  providerRef: {name: alertmanager}
  eventSources:
    - {kind: FluxInstance, name: "*"}
"""
FLUX_INSTANCE_RELEASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: flux-instance, namespace: flux-system}
spec:
  interval: 30m
  chart:
    spec:
      chart: flux-instance
      sourceRef: {kind: HelmRepository, name: controlplaneio}
"""


def test_a_warm_plain_run_keeps_the_flux_operators_enums(tmp_path: Path) -> None:
    """An Alert on a FluxInstance is valid where a flux-instance release installs the operator: the
    warm re-lint (phase 1 restored from the cache, no phase 2) found the error again (home-ops)."""
    root = write(tmp_path / "r", {"alert.yaml": ALERT, "release.yaml": FLUX_INSTANCE_RELEASE})
    cache = tmp_path / "cache"
    cold = lint(root, None)
    assert not [f for f in cold if f[0] == "schema" and f[1] == "error"]
    assert lint(root, cache) == cold  # cold cache
    assert lint(root, cache) == cold  # warm
    (root / "release.yaml").unlink()
    assert any(f[0] == "schema" and "FluxInstance" in str(f[5]) for f in lint(root, cache))


def test_a_clusters_file_records_survive_a_compaction(tmp_path: Path, monkeypatch: object) -> None:
    """A cluster's per-file records (keyed by the file and its objects as the graph built them) are led
    by the file's content digest like any record, so a compaction (a large run's save) keeps them: after
    one, an edit re-analyses the file it touched, not every file of the cluster."""
    from gitops_gen.lint import engine
    from gitops_gen.lint.cache import ResultCache

    root = two_clusters(tmp_path)
    cache = tmp_path / "cache"
    assert lint(root, cache) == lint(root, None)
    for d in [d for d in cache.iterdir() if d.name not in ("specs", "schemas")]:
        c = ResultCache(d)
        c._load()
        c.used_parts = set(c.parts)
        c._compact()  # as the save of a large run does
        c.close()
    apps = root / "clusters/production/apps.yaml"
    touch(apps, apps.read_text() + "# a comment: the same objects\n")
    want = lint(root, None)
    analysed: list[str] = []
    real = engine.run_phase1

    def spy(tasks: list[object], *args: object) -> object:
        analysed.extend(t.display for t in tasks)  # type: ignore[attr-defined]
        return real(tasks, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "run_phase1", spy)  # type: ignore[attr-defined]
    assert lint(root, cache) == want
    assert [Path(a).name for a in analysed] == ["apps.yaml"], analysed
