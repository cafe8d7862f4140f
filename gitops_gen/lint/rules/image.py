"""Container images are pinned: no ``:latest`` tag and no missing tag.

**What.** Every container, init container and sidecar of any workload (Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, and the controllers of a HelmRelease's values in
bjw-s app-template's layout, reported at ``image.tag``) names its image with an explicit tag other
than ``latest``, or pins it by digest (``image@sha256:...``, with or without a tag, is fine).
An image without a tag (``nginx``, ``ghcr.io/org/app``) pulls ``latest`` implicitly. A
registry with a port is not a tag: ``registry:5000/app`` is untagged.

**Why.** ``latest`` moves: two nodes may run different code under the same manifest, a
reschedule silently upgrades (or downgrades) the app, a rollback to the previous manifest does
not roll back the code, and Git no longer describes what runs. Under GitOps the manifest must
say exactly what runs.

**What we chose.** Both cases are errors (kube-score, kube-linter ``latest-tag`` and Polaris
``tagNotSpecified`` agree). A digest counts as pinned even next to ``:latest``. Images built
from unresolved Flux ``${VAR}`` substitutions are not judged. Other mutable tags
(``stable``, ``main``) are not flagged: we cannot tell them from release names. In app-template
values, a tag written as a YAML number with a fraction (``tag: 1.20``) is a warning: YAML reads
1.2 and the chart renders ``:1.2``.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.images import image_tag as image_tag  # re-exported: tests and older imports
from gitops_gen.k8s.app_template import helmrelease_controllers
from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, ContainerRef, containers, dig, has_subst
from gitops_gen.lint.chart_values import in_values
from gitops_gen.lint.model import Context, Hit, Severity

ID = "image"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True  # reads only its object: runs per file (process pool, cache)
KINDS = POD_TEMPLATE_KINDS | {"HelmRelease"}  # HelmRelease: bjw-s app-template values


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "HelmRelease":
        for ctrl in helmrelease_controllers(resource):
            refs = ctrl.container_refs()
            yield from in_values(ctrl, _check(resource, refs))
            yield from in_values(ctrl, _number_tags(resource, refs))
        return
    yield from _check(resource, containers(resource))


def _number_tags(resource: Resource, refs: list[ContainerRef]) -> Iterator[Hit]:
    """app-template: an ``image.tag`` written as a YAML float is rendered as Helm prints the number."""
    for c in refs:
        path = c.at("image")
        raw = dig(resource.body, *path)
        if path and path[-1] == "tag" and isinstance(raw, float):
            image = c.container.get("image")
            yield Hit(
                resource,
                f"{c.label}: image.tag is the number {raw!r}, so the chart renders {image!r} "
                "(YAML drops trailing zeros: 1.20 is 1.2)",
                'quote the tag, e.g. tag: "1.20"',
                path,
                severity=Severity.WARNING,
            )


def _check(resource: Resource, refs: list[ContainerRef]) -> Iterator[Hit]:
    for c in refs:
        image = c.container.get("image")
        if not isinstance(image, str) or not image.strip() or has_subst(image) or "{{" in image:
            continue
        tag, pinned = image_tag(image)
        if pinned:
            continue
        path = c.at("image")
        if not tag:
            yield Hit(
                resource,
                f"{c.label}: image {image!r} has no tag, so it runs whatever 'latest' is at pull time",
                f"pin a version: {image.strip()}:<version> (or @sha256:<digest>)",
                path,
            )
        elif tag == "latest":
            yield Hit(
                resource,
                f"{c.label}: image {image!r} uses the mutable 'latest' tag",
                "pin a released version tag (or @sha256:<digest>)",
                path,
            )
