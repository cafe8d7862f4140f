"""What the API server checks in ``metadata`` that JSON schemas do not: names, label and annotation syntax.

Kubernetes' JSON schemas type ``metadata.name`` and ``metadata.labels`` as plain strings, so
kubeconform (and the schema alone) accept ``name: My_App`` or a label value of 70 characters that
``kubectl apply`` then rejects. The rules here are apimachinery's validation
(``k8s.io/apimachinery/pkg/util/validation``):

* object names: a DNS-1123 subdomain for most built-in kinds; a DNS-1123 label for ``Namespace``;
  a DNS-1035 label for ``Service``; a *path segment* (no ``/`` or ``%``, not ``.``/``..``) for RBAC
  kinds and custom resources, whose names the API server checks only that far;
* label keys and annotation keys: an optional DNS-1123-subdomain prefix and ``/``, then a name of at
  most 63 characters of ``[A-Za-z0-9_.-]`` starting and ending with an alphanumeric character;
* label values: empty, or at most 63 characters of the same alphabet with the same ends.

Values with a Flux post-build substitution (``${VAR}``) are skipped: they are resolved at apply time,
and so is the name ``_``, the placeholder kustomize Components use for an object whose name the
including kustomization rewrites (e.g. a ``Namespace`` renamed by ``namespace:``).
"""

from __future__ import annotations

import re
from typing import Any

from gitops_gen.memo import short_string_cache

FieldPath = tuple[str | int, ...]

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")

_LABEL_NAME_KINDS = {"Namespace"}
_DNS1035_KINDS = {"Service"}
_PATH_SEGMENT_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def _substituted(value: str) -> bool:
    return "${" in value or value == "_"


def name_problem(name: str, kind: str, builtin: bool) -> str:
    """Why ``name`` is not a valid name for ``kind`` ('' when it is)."""
    if not builtin or kind in _PATH_SEGMENT_KINDS:
        if name in (".", "..") or "/" in name or "%" in name:
            return f"name {name!r} may not be '.' or '..' nor contain '/' or '%'"
        return ""
    if kind in _DNS1035_KINDS:
        if len(name) > 63 or not _DNS_1035.fullmatch(name):
            return (
                f"name {name!r} is not a valid DNS-1035 label (a {kind} name: lower-case letters, "
                "digits and '-', starting with a letter, at most 63 characters)"
            )
        return ""
    if kind in _LABEL_NAME_KINDS:
        if len(name) > 63 or not _DNS_LABEL.fullmatch(name):
            return (
                f"name {name!r} is not a valid DNS-1123 label (lower-case letters, digits and '-', "
                "at most 63 characters)"
            )
        return ""
    if len(name) > 253 or not _SUBDOMAIN.fullmatch(name):
        return (
            f"name {name!r} is not a valid DNS-1123 subdomain (lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters)"
        )
    return ""


# keys and values repeat across objects (app.kubernetes.io/name, ...); a longer one is rare, and a
# hostile input's many long unique ones must not stay in the cache
@short_string_cache(max_len=128, maxsize=8192)
def key_problem(key: str) -> str:
    """Why ``key`` is not a valid label/annotation key ('' when it is)."""
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return f"key {key!r} has more than one '/'"
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.fullmatch(prefix)):
        return f"key {key!r}: prefix {prefix!r} is not a DNS-1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return (
            f"key {key!r}: name part must be 1-63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return ""


@short_string_cache(max_len=64, maxsize=8192)
def label_value_problem(value: str) -> str:
    if value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
        return (
            f"label value {value!r} must be at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (or empty)"
        )
    return ""


def metadata_issues(body: dict[str, Any], kind: str, builtin: bool) -> list[tuple[FieldPath, str]]:
    """(field path, message) for every syntax problem in ``body['metadata']``."""
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return []
    out: list[tuple[FieldPath, str]] = []
    name = meta.get("name")
    if isinstance(name, str) and name and not _substituted(name):
        problem = name_problem(name, kind, builtin)
        if problem:
            out.append((("metadata", "name"), problem))
    namespace = meta.get("namespace")
    if (
        isinstance(namespace, str)
        and namespace
        and not _substituted(namespace)
        and (len(namespace) > 63 or not _DNS_LABEL.fullmatch(namespace))
    ):
        out.append((("metadata", "namespace"), f"namespace {namespace!r} is not a valid DNS-1123 label"))
    for field in ("labels", "annotations"):
        mapping = meta.get(field)
        if not isinstance(mapping, dict):
            continue
        for key, value in mapping.items():
            if not isinstance(key, str) or _substituted(key):
                continue
            problem = key_problem(key)
            if problem:
                out.append((("metadata", field, key), f"{field[:-1]} {problem}"))
            if field == "labels" and isinstance(value, str) and not _substituted(value):
                problem = label_value_problem(value)
                if problem:
                    out.append((("metadata", field, key), problem))
    return out
