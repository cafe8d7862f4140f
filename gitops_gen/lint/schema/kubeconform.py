"""The kubeconform back end: run ``kubeconform`` as a subprocess and turn its JSON into findings.

Used with ``--validator kubeconform`` (or ``auto`` when it is on PATH). It validates the same files
against the same schemas as the embedded validator, offline:

* Kubernetes kinds: the ``kubernetes-validate`` strict schemas, with the kubeval-compatible template
  ``{{.ResourceKind}}{{.KindSuffix}}.json``. Those files ``$ref`` ``https://kubernetes.io/api/_definitions.json``;
  kubeconform would try to download it and report "could not find schema" for everything. Its
  ``-cache`` folder stores downloads under the sha256 of the URL, so we seed that file from the same
  version's ``_definitions.json``.
* custom kinds: ``--schema-dir`` in kubeconform's layout (``{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json``
  and flat ``{{.ResourceKind}}_{{.ResourceAPIVersion}}.json``), plus ``--crd-dir`` CRDs and the CRDs
  among the input, converted by :mod:`gitops_gen.lint.schema.crd` into a temporary schema dir.

:func:`parse_output` understands both JSON generations of kubeconform: ``status`` ``statusInvalid``
(with optional ``validationErrors: [{path, msg}]``) and the older ``INVALID`` with ``msg`` only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.errors import UserError
from gitops_gen.k8s.workloads import as_decimal

if TYPE_CHECKING:
    from gitops_gen.k8s.model import Resource
    from gitops_gen.lint.engine import Assembled, Task
    from gitops_gen.lint.model import Hit, LintOptions

DEFINITIONS_URL = "https://kubernetes.io/api/_definitions.json"
K8S_TEMPLATE = "{{.ResourceKind}}{{.KindSuffix}}.json"
GROUP_TEMPLATE = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
FLAT_TEMPLATE = "{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


class KcError(Struct):
    path: tuple[str | int, ...]
    message: str


class KcResult(Struct):
    filename: str
    kind: str
    name: str
    version: str  # apiVersion
    status: str  # valid | invalid | error | skipped | empty
    msg: str = ""
    errors: list[KcError] = field(default_factory=list)


_STATUS = {
    "statusvalid": "valid",
    "valid": "valid",
    "statusinvalid": "invalid",
    "invalid": "invalid",
    "statuserror": "error",
    "error": "error",
    "statusskipped": "skipped",
    "skipped": "skipped",
    "statusempty": "empty",
    "empty": "empty",
}


def pointer_to_path(pointer: str) -> tuple[str | int, ...]:
    """``/spec/containers/0/image`` -> ("spec", "containers", 0, "image") (JSON pointer unescaped)."""
    if not pointer or pointer == "/":
        return ()
    parts: list[str | int] = []
    for raw in pointer.lstrip("/").split("/"):
        p = raw.replace("~1", "/").replace("~0", "~")
        parts.append(_part(p))
    return tuple(parts)


def _dotted_to_path(field_name: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for p in field_name.split("."):
        if p and p != "(root)":
            out.append(_part(p))
    return tuple(out)


def parse_output(text: str) -> list[KcResult]:
    """Parse ``kubeconform -output json`` (with or without ``-summary``)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UserError(
            f"kubeconform printed output that is not JSON: {exc}",
            hint="run kubeconform by hand to see what went wrong",
        ) from None
    items = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise UserError("kubeconform JSON has no 'resources' list", hint="is this kubeconform -output json?")
    out: list[KcResult] = []
    for it in items:
        if not isinstance(it, dict):
            continue
        status = _STATUS.get(str(it.get("status", "")).lower(), "error")
        r = KcResult(
            str(it.get("filename", "")),
            str(it.get("kind", "")),
            str(it.get("name", "")),
            str(it.get("version", "")),
            status,
            str(it.get("msg", "") or ""),
        )
        verrs = it.get("validationErrors")
        if isinstance(verrs, list):
            for e in verrs:
                if isinstance(e, dict):
                    r.errors.append(KcError(pointer_to_path(str(e.get("path", ""))), str(e.get("msg", ""))))
        elif status == "invalid" and r.msg:
            for part in r.msg.split(" - "):
                m = re.match(r"^For field (\S+): (.*)$", part.strip())
                if m:
                    r.errors.append(KcError(_dotted_to_path(m.group(1)), m.group(2)))
                else:
                    r.errors.append(KcError((), part.strip()))
        out.append(r)
    return out


def seed_cache(cache_dir: Path, definitions: Path) -> Path:
    """Put ``_definitions.json`` where kubeconform's HTTP cache looks for the $ref'd URL."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / hashlib.sha256(DEFINITIONS_URL.encode()).hexdigest()
    if not target.exists() or target.stat().st_size != definitions.stat().st_size:
        shutil.copyfile(definitions, target)
    return target


def command(
    binary: str,
    files: list[str],
    k8s_dir: Path,
    kubernetes_version: str,
    cache_dir: Path,
    schema_dirs: list[Path],
) -> list[str]:
    cmd = [
        binary,
        "-output",
        "json",
        "-strict",
        "-summary",
        "-kubernetes-version",
        f"{kubernetes_version}.0",
        "-cache",
        str(cache_dir),
        "-schema-location",
        str(k8s_dir / K8S_TEMPLATE),
    ]
    for d in schema_dirs:
        cmd += ["-schema-location", str(d / GROUP_TEMPLATE), "-schema-location", str(d / FLAT_TEMPLATE)]
    return cmd + files


def run_kubeconform(tasks: list[Task], asm: Assembled, options: LintOptions) -> list[tuple[str, Hit]]:
    """Validate the resource files with kubeconform; return ("schema", Hit) pairs."""
    from gitops_gen.k8s.loader import ROLE_RESOURCE
    from gitops_gen.lint.model import Hit, Severity
    from gitops_gen.lint.rules.schema import NO_SCHEMA, REMEDIATION_NO_SCHEMA, _message, unserved_hit
    from gitops_gen.lint.schema.crd import crd_versions, is_crd
    from gitops_gen.lint.schema.embedded import Lookup, shared_validator
    from gitops_gen.lint.schema.versions import schemas_root

    def unserved(res: Resource) -> Lookup:
        return shared_validator(options).lookup(res.api_version, res.kind)

    binary = shutil.which("kubeconform")
    if binary is None:
        raise UserError(
            "--validator kubeconform: kubeconform is not on PATH",
            hint="install it or use --validator embedded",
        )
    k8s_dir = schemas_root() / f"v{options.kubernetes_version}.0-local-strict"
    with tempfile.TemporaryDirectory(prefix="gitops-gen-kc-") as tmp:
        tmpd = Path(tmp)
        cache_dir = tmpd / "cache"
        seed_cache(cache_dir, k8s_dir / "_definitions.json")
        crd_dir = tmpd / "crds"
        crd_docs = [r.body for r in asm.resources if r.kind == "CustomResourceDefinition" and not r.partial]
        from gitops_gen.k8s.loader import parse_documents

        for d in options.crd_dirs:
            for p in sorted(Path(d).rglob("*.y*ml")) if Path(d).is_dir() else [Path(d)]:
                try:
                    crd_docs.extend(
                        doc.body for doc in parse_documents(p.read_text(encoding="utf-8"), str(p))
                    )
                except (UserError, OSError, UnicodeDecodeError):
                    continue
        user_kinds: set[tuple[str, str]] = set()
        for doc in crd_docs:
            if is_crd(doc):
                for cv in crd_versions(doc):
                    user_kinds.add((cv.group, cv.kind))
                    if cv.schema is not None:
                        out = crd_dir / cv.group / f"{cv.kind.lower()}_{cv.version}.json"
                        out.parent.mkdir(parents=True, exist_ok=True)
                        out.write_text(json.dumps(cv.schema), encoding="utf-8")
        bundled_dir = tmpd / "bundled"
        _write_bundled(bundled_dir, {r.group for r in asm.resources if not r.partial}, user_kinds)
        files: list[str] = []
        by_file: dict[str, int] = {}
        for i, t in enumerate(tasks):
            if t.role != ROLE_RESOURCE:
                continue
            path = t.path
            if t.text is not None:
                path = str(tmpd / f"build-{i}.yaml")
                Path(path).write_text(t.text, encoding="utf-8")
            files.append(path)
            by_file[path] = i
        if not files:
            return []
        cmd = command(
            binary,
            files,
            k8s_dir,
            options.kubernetes_version,
            cache_dir,
            [Path(p) for p in options.schema_dirs] + [d for d in (crd_dir, bundled_dir) if d.exists()],
        )
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UserError(f"kubeconform failed to run: {exc}") from None
        if proc.returncode not in (0, 1) and not proc.stdout.strip().startswith("{"):
            raise UserError(f"kubeconform failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
        results = parse_output(proc.stdout)

    index: dict[tuple[int, str, str, str], Resource] = {}
    for ri, obj in enumerate(asm.resources):
        index.setdefault((asm.spans[ri][0], obj.kind, obj.name, obj.api_version), obj)
    hits: list[tuple[str, Hit]] = []
    for r in results:
        ti = by_file.get(r.filename, by_file.get(os.path.normpath(r.filename), -1))
        res = index.get((ti, r.kind, r.name, r.version))
        if res is None:
            continue  # files we report ourselves (YAML errors, non-Kubernetes documents)
        if r.status == "invalid":
            for e in r.errors or [KcError((), r.msg)]:
                if _like_embedded_skips(res.body, e, r.msg):
                    continue
                hits.append(
                    (
                        "schema",
                        Hit(
                            res,
                            _message(e.path, e.message),
                            "fix the value to match the schema of this kind",
                            e.path,
                        ),
                    )
                )
        elif r.status == "error":
            if "could not find schema" in r.msg and unserved(res).status == "unserved":
                # a built-in kind at a version no longer served: an error, as the embedded back end says
                hits.append(("schema", unserved_hit(res, unserved(res).served)))
            elif "could not find schema" in r.msg:
                hits.append(
                    (
                        "schema",
                        Hit(
                            res,
                            f"{NO_SCHEMA}{res.kind} {res.api_version}: not validated",
                            REMEDIATION_NO_SCHEMA,
                            ("apiVersion",),
                            Severity.WARNING,
                        ),
                    )
                )
            else:
                hits.append(("schema", Hit(res, f"kubeconform: {r.msg}", "fix the object", ())))
    return hits


def _write_bundled(out_dir: Path, groups: set[str], user_kinds: set[tuple[str, str]]) -> None:
    """The bundled schemas of the input's API groups, in kubeconform's layout (CRDs passed in win)."""
    from gitops_gen.lint.schema.bundle import group_versions

    for group in sorted(g for g in groups if g):
        for cv in group_versions(group):
            schema = cv.schema
            if (cv.group, cv.kind) in user_kinds or schema is None or not cv.served:
                continue
            out = out_dir / cv.group / f"{cv.kind.lower()}_{cv.version}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(schema), encoding="utf-8")


def _like_embedded_skips(body: Any, error: KcError, msg: str = "") -> bool:
    """What the embedded back end does not report either: the ``sops`` block of a SOPS-encrypted
    manifest (kustomize-controller removes it when decrypting) and the type of a ``${VAR}`` value
    (Flux post-build substitution resolves it at apply time). kubeconform 0.7 reports some errors
    as "validation failed" at the parent, with the real path only in ``msg`` ("at '/spec/replicas'")."""
    if error.message == "validation failed":
        paths = re.findall(r"at '(/[^']*)'", msg)
        return bool(paths) and all(_like_embedded_skips(body, KcError(_pointer(p), "")) for p in paths)
    path = error.path
    if path and path[0] == "sops" and isinstance(body, dict) and "sops" in body:
        return True
    if not path and "'sops'" in error.message and isinstance(body, dict) and "sops" in body:
        return True  # older kubeconform: "additional properties 'sops' not allowed" at the root
    from gitops_gen.k8s.workloads import dig

    value = dig(body, *path)
    return isinstance(value, str) and "${" in value


def _pointer(text: str) -> tuple[str | int, ...]:
    return tuple(_part(p.replace("~1", "/").replace("~0", "~")) for p in text.split("/")[1:])


def _part(segment: str) -> str | int:
    """A path segment: a list index when it is one written as such (``0``, ``12``), else a key
    (``007``, ``²``: ``str.isdigit`` holds for both, ``int`` fails on the second)."""
    n = as_decimal(segment)
    return n if n is not None and str(n) == segment else segment
