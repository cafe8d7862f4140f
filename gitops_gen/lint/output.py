"""Output formats of `gitops-gen lint`: text, json, sarif (2.1.0) and github (workflow commands).

JSON shape (stable)::

    {"findings": [{"rule", "severity", "file", "line", "column", "resource", "message", "remediation",
                   "cluster" (only when linting per cluster)}],
     "summary": {"errors", "warnings", "resources", "files"}}

With ``--show-ignored`` the JSON also carries ``"ignored": [...]`` (same finding shape).
"""

from __future__ import annotations

import json
import os
from typing import Any

from gitops_gen import __version__
from gitops_gen.lint.engine import LintResult, group_by_file
from gitops_gen.lint.model import Finding, Severity

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"


def render(result: LintResult, fmt: str, *, show_ignored: bool = False, color: bool = False) -> str:
    if fmt == "json":
        return to_json(result, show_ignored)
    if fmt == "sarif":
        return to_sarif(result, show_ignored)
    if fmt == "github":
        return to_github(result, show_ignored)
    return to_text(result, show_ignored, color)


def summary(result: LintResult) -> dict[str, int]:
    return {
        "errors": result.errors,
        "warnings": result.warnings,
        "resources": result.resources,
        "files": result.files,
    }


def to_json(result: LintResult, show_ignored: bool = False) -> str:
    doc: dict[str, Any] = {"findings": [f.to_json() for f in result.findings], "summary": summary(result)}
    if show_ignored:
        doc["ignored"] = [f.to_json() for f in result.ignored]
    return _json_text(doc)


def to_text(result: LintResult, show_ignored: bool = False, color: bool = False) -> str:
    out: list[str] = []
    for file, items in group_by_file(result.findings).items():
        out.append(file)
        for f in items:
            sev = str(f.severity)
            if color:
                sev = f"{_COLORS[f.severity]}{sev}{_RESET}"
            where = f" [{f.resource}]" if f.resource else ""
            if f.cluster:
                where += f" (cluster {f.cluster})"
            out.append(f"{f.file}:{f.line}:{f.column}: {sev} {f.rule}: {f.message}{where}")
            if f.remediation:
                out.append(f"    fix: {f.remediation}")
        out.append("")
    if show_ignored and result.ignored:
        out.append("ignored by annotation (gitops-gen.io/ignore):")
        for f in result.ignored:
            out.append(f"  {f.file}:{f.line}:{f.column}: {f.severity} {f.rule}: {f.message} [{f.resource}]")
        out.append("")
    s = summary(result)
    infos = sum(1 for f in result.findings if f.severity == Severity.INFO)
    line = (
        f"{s['errors']} error{'s' if s['errors'] != 1 else ''}, "
        f"{s['warnings']} warning{'s' if s['warnings'] != 1 else ''}"
        + (f", {infos} info" if infos else "")
        + f" in {s['resources']} resource{'s' if s['resources'] != 1 else ''}, "
        f"{s['files']} file{'s' if s['files'] != 1 else ''}"
    )
    if result.ignored:
        line += f" ({len(result.ignored)} ignored by annotation)"
    out.append(line)
    return "\n".join(out) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def to_github(result: LintResult, show_ignored: bool = False) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    out = []
    for f in result.findings:
        title = f"{f.rule}: {f.resource}" if f.resource else f.rule
        if f.cluster:
            title += f" (cluster {f.cluster})"
        msg = f"{f.message}" + (f" — fix: {f.remediation}" if f.remediation else "")
        out.append(
            f"::{level[f.severity]} file={_gh_escape(f.file, True)},line={f.line},col={f.column},"
            f"title={_gh_escape(title, True)}::{_gh_escape(msg)}"
        )
    s = summary(result)
    out.append(
        f"{s['errors']} errors, {s['warnings']} warnings in {s['resources']} resources, {s['files']} files"
    )
    return "\n".join(out) + "\n"


def _json_text(doc: Any) -> str:
    """JSON that can always be written as UTF-8: a non-UTF-8 file name (held as lone surrogates)
    is kept as its JSON escape (``\\udcff``) instead of failing the whole output."""
    import re

    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _artifact(path: str) -> dict[str, str]:
    """SARIF artifactLocation of a shown path: a percent-encoded URI (spaces, '#', '%' are not URI
    characters), relative to %SRCROOT% unless the path is absolute (outside the working directory)."""
    from urllib.parse import quote

    if path.startswith("/"):
        return {"uri": "file://" + quote(os.fsencode(path))}  # fsencode: the bytes of a non-UTF-8 name
    return {"uri": quote(os.fsencode(path)), "uriBaseId": "%SRCROOT%"}


def to_sarif(result: LintResult, show_ignored: bool = False) -> str:
    from gitops_gen.lint.registry import rules

    all_rules = rules()
    used = sorted({f.rule for f in result.findings} | set(all_rules))
    rule_index = {rid: i for i, rid in enumerate(used)}
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    descriptors = []
    for rid in used:
        r = all_rules.get(rid)
        text = r.doc.strip() if r else rid
        descriptors.append(
            {
                "id": rid,
                "name": rid,
                "shortDescription": {"text": r.summary if r else rid},
                "fullDescription": {"text": text},
                "help": {"text": text, "markdown": text},
                "defaultConfiguration": {"level": level[r.severity] if r else "error"},
            }
        )

    def result_of(f: Finding, suppressed: bool = False) -> dict[str, Any]:
        item: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_index[f.rule],
            "level": level[f.severity],
            "message": {"text": f"{f.message}" + (f" (fix: {f.remediation})" if f.remediation else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(f.file),
                        "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                    },
                    **(
                        {"logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]}
                        if f.resource
                        else {}
                    ),
                }
            ],
            "partialFingerprints": {
                "gitopsGen/v1": f"{f.rule}:{f.file}:{f.resource}:{f.message}"
                + (f":{f.cluster}" if f.cluster else "")
            },
        }
        if f.cluster:
            item["properties"] = {"cluster": f.cluster}
        if suppressed:
            item["suppressions"] = [{"kind": "inSource", "justification": "gitops-gen.io/ignore annotation"}]
        return item

    results = [result_of(f) for f in result.findings]
    if show_ignored:
        results.extend(result_of(f, True) for f in result.ignored)
    doc: dict[str, Any] = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gitops-gen",
                        "version": __version__,
                        "informationUri": "https://github.com/gitops-gen/gitops-gen",
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
                "results": results,
            }
        ],
    }
    return _json_text(doc)
