"""The rules known to this run: id, default severity, scope, documentation (`gitops-gen rules`).

Besides the rule modules, two engine-level rule ids exist: ``yaml`` (files that cannot be read as
YAML, or hold no Kubernetes object) and ``schema`` (a module like any other rule).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gitops_gen.lint.model import Severity

YAML_RULE_DOC = """Files must be readable YAML holding Kubernetes objects.

**What.** A file that cannot be decoded (binary, not UTF-8), is larger than the size limit, has a
YAML syntax error, a duplicate key, nesting deeper than the depth limit or an alias/anchor bomb:
error, at the line and column of the problem (the other documents of the file are still linted).
A document that is not a mapping, or has no ``apiVersion``/``kind``, in a file that otherwise holds
objects: warning. A YAML file with no Kubernetes object at all (CI configs, Helm values, ...): info,
and the file is skipped; an empty file: info.

**Why.** Flux's kustomize-controller fails the whole Kustomization on one unreadable document.

**What we chose.** Non-Kubernetes YAML is reported as *info*, not an error: real GitOps repositories
hold Helm values, Renovate and CI files next to manifests. Files that a ``kustomization.yaml`` lists
as generator inputs, replacement or configuration files are skipped silently, patches are read as
partial objects (not linted as resources).
"""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    scope: str  # "object" | "cluster"
    doc: str
    check: Callable[..., Iterator[Any]] | None
    local: bool  # object rule that reads only its object (results cacheable per file)
    module: str

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


_RULES: dict[str, Rule] | None = None


def rules() -> dict[str, Rule]:
    """All rules by id (rule modules + the engine's ``yaml``), in id order."""
    global _RULES
    if _RULES is None:
        from gitops_gen.lint.rules import rule_modules

        found: dict[str, Rule] = {
            "yaml": Rule("yaml", Severity.ERROR, "file", YAML_RULE_DOC, None, True, "gitops_gen.k8s.loader")
        }
        for mod in rule_modules():
            rid = getattr(mod, "ID", None)
            check = getattr(mod, "check", None)
            if not isinstance(rid, str) or not callable(check):
                continue  # a helper module, not a rule
            try:
                sev = Severity.parse(str(getattr(mod, "SEVERITY", "error")))
            except ValueError:
                sev = Severity.ERROR
            scope = str(getattr(mod, "SCOPE", "object"))
            local = bool(getattr(mod, "LOCAL", False)) and scope == "object"
            found[rid] = Rule(rid, sev, scope, inspect.getdoc(mod) or "", check, local, mod.__name__)
        _RULES = dict(sorted(found.items()))
    return _RULES


def describe_rules(fmt: str = "text") -> str:
    """Documentation of every rule: id, default severity, scope and docstring."""
    all_rules = rules()
    if fmt == "json":
        return (
            json.dumps(
                [
                    {
                        "id": r.id,
                        "severity": str(r.severity),
                        "scope": r.scope,
                        "summary": r.summary,
                        "doc": r.doc,
                    }
                    for r in all_rules.values()
                ],
                indent=2,
            )
            + "\n"
        )
    out: list[str] = []
    if fmt == "markdown":
        out.append("# gitops-gen lint rules\n")
        out.append("| Rule | Severity | Scope | Summary |\n|---|---|---|---|")
        out.extend(
            f"| [`{r.id}`](#{r.id}) | {r.severity} | {r.scope} | {r.summary} |" for r in all_rules.values()
        )
        out.append("")
        for r in all_rules.values():
            out.append(
                f"## {r.id}\n\nDefault severity: **{r.severity}**; scope: {r.scope}.\n\n{r.doc.strip()}\n"
            )
        return "\n".join(out)
    for r in all_rules.values():
        out.append(f"{r.id}  [{r.severity}, {r.scope}]")
        out.extend("    " + line if line else "" for line in r.doc.strip().splitlines())
        out.append("")
    return "\n".join(out)
