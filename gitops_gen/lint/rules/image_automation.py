"""Flux image-automation setter markers name an ImagePolicy that exists and tracks the same image.

**What.**

* A setter marker ``# {"$imagepolicy": "<namespace>:<name>"}`` (also ``...:tag`` and ``...:name``)
  in a workload or a HelmRelease names an ``ImagePolicy`` (``image.toolkit.fluxcd.io``) that exists. Error when
  ImagePolicies were linted (the name is most likely a typo); warning when none were (the
  policies may live outside the linted files).
* The image the marker sits on is the one the policy follows: the repository of the image line
  (``image: ghcr.io/org/app:1.2.3`` with a full marker, or the repository value of a ``:name``
  marker) equals ``spec.image`` of the policy's ``ImageRepository`` (Docker Hub's short names
  are normalised: ``nginx`` is ``docker.io/library/nginx``). Error.

**Why.** The image-automation-controller rewrites only lines whose marker names one of its
policies: a marker with a typo, or a policy that watches another repository, means the image is
never updated - or is updated to tags of the wrong image - and nothing says so on the cluster.

**What we chose.** The markers are read from the manifest text (YAML comments are not part of
the objects); a marker belongs to the object whose document contains it. Markers holding
``${VAR}`` substitutions are skipped. ``:tag`` markers carry only a tag, so only the policy's
existence is checked for them. That the policy's ImageRepository exists and that an
ImageUpdateAutomation's GitRepository exists are checked by ``flux-refs``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from gitops_gen.k8s.loader import file_bytes, read_file
from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS
from gitops_gen.lint.model import Context, Hit, Severity

ID = "image-automation"
SEVERITY = "error"
SCOPE = "object"
# where setter markers go: image lines of pod templates, image values of HelmReleases
KINDS = POD_TEMPLATE_KINDS | {"HelmRelease"}
# the marked field is searched in the object's whole body (``Resource.whole``), read again from its file
READS = {"ImagePolicy": ("spec.imageRepositoryRef",), "ImageRepository": ("spec.image",)}

_GROUP = "image.toolkit.fluxcd.io"
_MARKER = re.compile(r"#\s*\{\s*\"\$imagepolicy\"\s*:\s*\"([^\"]*)\"\s*\}")
_VALUE = re.compile(r"^\s*(?:-\s+)?[^\s:#]+:\s*[\"']?([^\"'\s#]+)[\"']?\s+#")


def normalise(repository: str) -> str:
    """Docker Hub short names in full: ``nginx`` -> ``docker.io/library/nginx``."""
    parts = repository.split("/")
    if len(parts) == 1 or not ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = ["docker.io", *parts]
    if parts[0] == "index.docker.io":
        parts[0] = "docker.io"
    if parts[0] == "docker.io" and len(parts) == 2:
        parts.insert(1, "library")
    return "/".join(parts)


def repository_of(image: str) -> str:
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return ref[: len(ref) - len(last)] + last.split(":", 1)[0]


def _markers(ctx: Context) -> dict[int, list[tuple[int, str, str | None]]]:
    """Markers by ``id(resource)``: (line, marker value, value of the marked field)."""

    def build() -> dict[int, list[tuple[int, str, str | None]]]:
        by_file: dict[str, list[Resource]] = defaultdict(list)
        for r in ctx.resources:
            by_file[r.file].append(r)
        out: dict[int, list[tuple[int, str, str | None]]] = {}
        for file, rs in by_file.items():
            if not any(r.kind in KINDS for r in rs) or not _may_have_markers(file):
                continue
            text, problem = read_file(file, file)
            if text is None or problem is not None or "$imagepolicy" not in text:
                continue
            rs.sort(key=lambda r: r.line)
            starts = [r.line for r in rs]
            for n, line in enumerate(text.split("\n"), start=1):
                m = _MARKER.search(line)
                if m is None:
                    continue
                owner = max((i for i, s in enumerate(starts) if s <= n), default=None)
                if owner is None:
                    continue
                v = _VALUE.match(line)
                out.setdefault(id(rs[owner]), []).append((n, m.group(1), v.group(1) if v else None))
        return out

    result: dict[int, list[tuple[int, str, str | None]]] = ctx.memo("image_automation.markers", build)
    return result


def _may_have_markers(file: str) -> bool:
    """Whether ``file``'s bytes hold a marker at all (most do not: then it is not decoded)."""
    data = file_bytes(file)
    return data is None or b"$imagepolicy" in data  # None: read_file says what is wrong with it


def _path_of(body: Any, value: str, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The first field of ``body`` whose value is ``value``."""
    if isinstance(body, dict):
        items: list[tuple[str | int, Any]] = list(body.items())
    elif isinstance(body, list):
        items = list(enumerate(body))
    else:
        return path if body == value else None
    for key, child in items:
        found = _path_of(child, value, (*path, key))
        if found is not None:
            return found
    return None


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    for line, ref, value in _markers(ctx).get(id(resource), ()):
        path = (_path_of(resource.whole, value) if value is not None else None) or ()
        if "${" in ref:  # a post-build substitution: known only on the cluster
            continue
        parts = ref.split(":")
        if (
            len(parts) not in (2, 3)
            or not all(parts[:2])
            or (len(parts) == 3 and parts[2] not in ("tag", "name"))
        ):
            yield Hit(
                resource,
                f"line {line}: setter marker {ref!r} is not '<namespace>:<name>' "
                "(optionally ':tag' or ':name')",
                'write the marker as # {"$imagepolicy": "flux-system:my-app"}',
                path,
            )
            continue
        ns, name = parts[0], parts[1]
        policy = ctx.find("ImagePolicy", ns, name, group=_GROUP)
        if policy is None:
            linted = any(r.group.endswith(_GROUP) for r in ctx.by_kind.get("ImagePolicy", ()))
            yield Hit(
                resource,
                f"line {line}: setter marker names ImagePolicy {ns}/{name}, which does not exist"
                + ("" if linted else " among the linted files"),
                "create the ImagePolicy (and its ImageRepository) in that namespace, or fix the marker; "
                "the image automation never updates this line otherwise",
                path,
                severity=None if linted else Severity.WARNING,
            )
            continue
        field = parts[2] if len(parts) == 3 else None
        if value is None or field == "tag":
            continue
        spec = policy.body.get("spec")
        ref_obj = spec.get("imageRepositoryRef") if isinstance(spec, dict) else None
        repo_name = ref_obj.get("name") if isinstance(ref_obj, dict) else None
        repo_ns = ref_obj.get("namespace") if isinstance(ref_obj, dict) else None
        if not isinstance(repo_name, str):
            continue
        repo = ctx.find(
            "ImageRepository",
            repo_ns if isinstance(repo_ns, str) else policy.namespace,
            repo_name,
            group=_GROUP,
        )
        rspec = repo.body.get("spec") if repo is not None else None
        watched = rspec.get("image") if isinstance(rspec, dict) else None
        if not isinstance(watched, str) or "${" in watched or "${" in value:
            continue
        used = value if field == "name" else repository_of(value)
        if normalise(used) != normalise(watched):
            yield Hit(
                resource,
                f"line {line}: the marked image is {used}, but ImagePolicy {ns}/{name} follows "
                f"ImageRepository {repo_name} ({watched}): it would write another image's tags here",
                f"point the ImageRepository at {used}, or the marker at the policy of {used}",
                path,
            )
