"""`gitops-gen schemas import CRD.yaml ... --out DIR`: CRD manifests -> JSON schemas, kubeconform layout.

Writes ``DIR/{group}/{kind}_{version}.json`` (kind lowercased) for every version of every
CustomResourceDefinition in the given files or directories (``kubectl get crd -o yaml`` output,
a ``List`` of CRDs, or upstream CRD files). The schemas are strict (see
:mod:`gitops_gen.lint.schema.crd`); the same directory serves ``gitops-gen lint --schema-dir DIR`` and
``kubeconform -schema-location 'DIR/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from gitops_gen.errors import UserError

_GROUP = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_VERSION = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _docs(path: Path) -> list[Any]:
    from gitops_gen.k8s.loader import parse_documents, read_file

    text, problem = read_file(path, str(path))
    if problem is not None or text is None:
        raise UserError.at(
            str(path),
            problem.message if problem else "cannot read",
            line=problem.line if problem else 0,
            column=problem.column if problem else 0,
        )
    out = []
    for doc in parse_documents(text, str(path)):
        body = doc.body
        if (
            isinstance(body, dict)
            and isinstance(body.get("items"), list)
            and str(body.get("kind", "")).endswith("List")
        ):
            out.extend(body["items"])
        else:
            out.append(body)
    return out


def import_crds(files: list[Path], out_dir: Path) -> list[Path]:
    from gitops_gen.lint.schema.crd import crd_versions, is_crd

    paths: list[Path] = []
    for f in files:
        if f.is_dir():
            paths.extend(
                sorted(p for p in f.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
            )
        elif f.exists():
            paths.append(f)
        else:
            raise UserError.at(str(f), "no such file or directory", hint="give CRD manifests (YAML)")
    written: list[Path] = []
    found = 0
    for p in paths:
        for doc in _docs(p):
            if not is_crd(doc):
                continue
            found += 1
            for cv in crd_versions(doc):
                if cv.schema is None:
                    continue
                if not (_GROUP.match(cv.group) and _KIND.match(cv.kind) and _VERSION.match(cv.version)):
                    # these become a path: "../../x" would write outside --out
                    raise UserError.at(
                        str(p),
                        f"CRD {cv.group!r}/{cv.kind!r}/{cv.version!r}: group, kind or "
                        "version is not a valid Kubernetes name",
                        hint="fix or remove this CRD",
                    )
                target = out_dir / cv.group / f"{cv.kind.lower()}_{cv.version}.json"
                _write_inside(out_dir, target, json.dumps(cv.schema, indent=2, sort_keys=True) + "\n")
                written.append(target)
    if not found:
        raise UserError(
            f"no CustomResourceDefinition found in {', '.join(map(str, files))}",
            hint="pass CRD manifests, e.g. from `kubectl get crd -o yaml`",
        )
    return written


def _write_inside(out_dir: Path, target: Path, text: str) -> None:
    """Write ``target`` (``out_dir/<group>/<file>``) without following a symlink below ``out_dir``:
    a symlinked group directory would send the schema anywhere the link points."""
    group_dir = target.parent
    if group_dir.is_symlink():
        raise UserError.at(
            str(group_dir),
            "is a symlink inside --out; gitops-gen does not write through symlinks",
            hint="remove the link (or pass the directory it points to as --out)",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        group_dir.mkdir(exist_ok=True)
    except FileExistsError:
        raise UserError.at(str(group_dir), "exists and is not a directory", hint="move it away") from None
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, target)  # replaces a symlink at target itself, never writes through it


def run_import(files: list[Path], out_dir: Path) -> int:
    written = import_crds(files, out_dir)
    for p in sorted(written):
        print(p.as_posix())
    return 0
