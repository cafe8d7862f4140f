"""``gitops-gen charts pull``: fetch the chart of every HelmRelease into the chart cache.

Resolution and download are done by the real ``helm pull`` (the Helm binary on PATH, else Helm's
Go SDK from ``helm-python-sdk``, see :mod:`.backend`): for an HTTP(S)
repository it reads ``<url>/index.yaml`` and picks the newest version matching the range, for an OCI
repository it lists the tags and does the same. Helm and Flux's source-controller both resolve ranges
with the Masterminds semver library, so ``^1.2``, ``~1.2``, ``>=1.0 <2``, ``1.x`` and ``*`` pick the
version Flux picks (pre-releases only when the range names one). ``helm pull`` runs with its cache and
repository configuration in a temporary directory; registry logins (``helm registry login``) are
honoured. Each reference is pulled once; a reference already in the cache is not fetched again.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from msgspec import Struct

from gitops_gen.charts.backend import SDK, BinaryError, SdkError, run_binary, sdk_pull
from gitops_gen.charts.cache import ChartCache, Entry
from gitops_gen.charts.sources import ChartRef, chart_ref
from gitops_gen.k8s.model import ObjectIndex, Resource

TIMEOUT_SECONDS = 300


class PullError(Exception):
    """``helm pull`` failed (network, authentication, no matching version)."""


class Outcome(Struct, frozen=True):
    release: str  # "HelmRelease ns/name"
    where: str  # file:line of the HelmRelease
    ref: ChartRef | None
    status: str  # "pulled" | "cached" | "skipped" | "failed"
    detail: str  # version and digest, or why not

    @property
    def ok(self) -> bool:
        return self.status in ("pulled", "cached")


def pull_all(resources: list[Resource], cache: ChartCache, helm: str) -> list[Outcome]:
    """Pull the chart of every HelmRelease in ``resources`` (sorted by file and line)."""
    index = ObjectIndex(resources)
    done: dict[str, tuple[str, str]] = {}
    out: list[Outcome] = []
    for hr in sorted(index.kinds("HelmRelease"), key=lambda r: (r.file, r.line)):
        label = f"HelmRelease {hr.namespace or 'default'}/{hr.name}"
        where = f"{hr.file}:{hr.line}"
        ref, why = chart_ref(hr, index.find)
        if ref is None:
            out.append(Outcome(label, where, None, "skipped", why))
            continue
        if ref.key not in done:
            hit = cache.lookup(ref)
            if hit is not None:
                done[ref.key] = ("cached", f"{hit[1].chart} {hit[1].version} {hit[1].digest}")
            else:
                try:
                    entry = pull_one(ref, cache, helm)
                except PullError as exc:
                    done[ref.key] = ("failed", str(exc))
                else:
                    done[ref.key] = ("pulled", f"{entry.chart} {entry.version} {entry.digest}")
        status, detail = done[ref.key]
        out.append(Outcome(label, where, ref, status, detail))
    return out


def pull_one(ref: ChartRef, cache: ChartCache, helm: str) -> Entry:
    """Download one chart with ``helm pull`` and store it (returns the cache entry)."""
    with tempfile.TemporaryDirectory(prefix="gitops-gen-pull-") as tmp:
        dest = Path(tmp, "out")
        dest.mkdir()
        if helm == SDK:
            target = (
                (f"{ref.url}@{ref.digest}" if ref.digest else ref.url) if ref.kind == "oci" else ref.chart
            )
            try:
                sdk_pull(
                    target,
                    dest,
                    version="" if ref.digest else ref.version,
                    repo_url=ref.url if ref.kind == "http" else None,
                    plain_http=ref.kind == "oci" and ref.insecure,
                )
            except SdkError as exc:
                raise PullError(f"pulling {ref} with {SDK} failed: {exc}") from None
            return _store(ref, dest, cache)
        if ref.kind == "oci":
            target = f"{ref.url}@{ref.digest}" if ref.digest else ref.url
            cmd = [helm, "pull", target, "--destination", str(dest)]
            if ref.version and not ref.digest:
                cmd += ["--version", ref.version]
            if ref.insecure:
                cmd.append("--plain-http")
        else:
            cmd = [helm, "pull", ref.chart, "--repo", ref.url, "--destination", str(dest)]
            if ref.version:
                cmd += ["--version", ref.version]
        try:
            run_binary(cmd, f"`helm pull` of {ref}", Path(tmp), TIMEOUT_SECONDS, keep_env=True)
        except BinaryError as exc:
            raise PullError(str(exc)) from None
        return _store(ref, dest, cache)


def _store(ref: ChartRef, dest: Path, cache: ChartCache) -> Entry:
    archives = sorted(dest.glob("*.tgz"))
    if len(archives) != 1:
        raise PullError(f"pulling {ref} left {len(archives)} archives, expected one")
    m = re.fullmatch(re.escape(ref.chart) + r"-(.+)\.tgz", archives[0].name)
    version = m.group(1) if m else ""
    return cache.store(ref, archives[0], version)
