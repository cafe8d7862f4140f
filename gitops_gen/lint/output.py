"""Output formats of `gitops-gen lint`: text, json, sarif (2.1.0) and github (workflow commands).

JSON shape (stable)::

    {"findings": [{"rule", "severity", "file", "line", "column", "resource", "message", "remediation",
                   "cluster" (only when linting per cluster),
                   "spec": {"file", "line", "column", "path"} (only on objects rendered by gitops-gen:
                           the spec key that set the value)}],
     "summary": {"errors", "warnings", "resources", "files"}}

With ``--show-ignored`` the JSON also carries ``"ignored": [...]`` (same finding shape).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Any

from gitops_gen import __version__
from gitops_gen.lint.engine import LintResult
from gitops_gen.lint.model import Finding, Severity
from gitops_gen.textsafe import escape_control


def render(
    result: LintResult, fmt: str, *, show_ignored: bool = False, color: bool = False, verbose: bool = False
) -> str:
    if fmt == "json":
        return to_json(result, show_ignored)
    if fmt == "sarif":
        return to_sarif(result, show_ignored)
    if fmt == "github":
        return to_github(result, show_ignored)
    return to_text(result, show_ignored, color, verbose)


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


_FOLD_SHOWN = 3  # findings of one shape shown before the rest are folded into one line
_FOLD_MIN = 5  # fold only groups at least this large (folding 4 into "1 more" saves nothing)
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|`[^`]*`")
_NUMBER = re.compile(r"\d+(?:\.\d+)?[A-Za-z]*")


def shape(f: Finding) -> tuple[str, Severity, str]:
    """What findings "like this" share: the rule, the severity and the message with the names of
    the object, quoted values and numbers left out (``container "web" has no liveness probe``)."""
    text = _QUOTED.sub('"_"', f.message)
    for part in sorted(set(f.resource.split("/")[1:]), key=len, reverse=True):
        if len(part) > 2:
            text = re.sub(rf"(?<![\w.-]){re.escape(part)}(?![\w.-])", "_", text)
    return (f.rule, f.severity, _NUMBER.sub("#", text))


def hidden(f: Finding) -> bool:
    """Counted but not listed in the text output unless --verbose: info, and 'no schema' warnings."""
    from gitops_gen.lint.rules.schema import NO_SCHEMA

    return f.severity == Severity.INFO or (f.rule == "schema" and f.message.startswith(NO_SCHEMA))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def _counts(findings: list[Finding]) -> str:
    by = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
    parts = [_plural(by[s], str(s)) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if by[s]]
    return ", ".join(parts)


def to_text(
    result: LintResult, show_ignored: bool = False, color: bool = False, verbose: bool = False
) -> str:
    """One ``path:line:col: severity rule: message [object]`` line per finding (the form editors and
    terminals link), each distinct fix once, findings of one shape folded after the first few, a
    summary by rule. Everything taken from the input is shown through :func:`~gitops_gen.textsafe.escape_control`."""
    out: list[str] = []
    shown = [f for f in result.findings if verbose or not hidden(f)]
    groups: Counter[tuple[str, Severity, str]] = Counter(shape(f) for f in shown)
    seen: Counter[tuple[str, Severity, str]] = Counter()
    rest_files: dict[tuple[str, Severity, str], set[str]] = {}
    for f in shown:  # the files of the findings a fold line stands for
        key = shape(f)
        seen[key] += 1
        if seen[key] > _FOLD_SHOWN:
            rest_files.setdefault(key, set()).add(f.file)
    seen.clear()
    fixes: set[str] = set()
    for f in shown:
        key = shape(f)
        fold = not verbose and groups[key] >= _FOLD_MIN
        seen[key] += 1
        if fold and seen[key] > _FOLD_SHOWN:
            continue
        out.append(_line(f, color))
        if f.remediation and f.remediation not in fixes:
            fixes.add(f.remediation)
            out.append(
                _style(f"    fix: {escape_control(f.remediation, keep_newlines=False)}", color, dim=True)
            )
        if fold and seen[key] == _FOLD_SHOWN:
            rest, where = groups[key] - _FOLD_SHOWN, len(rest_files[key])
            out.append(
                f"    ... and {rest} more {f.rule} findings like this"
                + (f" in {where} files" if where > 1 else "")
                + " (--verbose lists them)"
            )
    if out:
        out.append("")
    if show_ignored and result.ignored:
        out.append("ignored by annotation (gitops-gen.io/ignore):")
        out.extend("  " + _line(f, color) for f in result.ignored)
        out.append("")
    if result.findings:
        by_rule: dict[str, list[Finding]] = {}
        for f in result.findings:
            by_rule.setdefault(f.rule, []).append(f)
        width = max(len(r) for r in by_rule)
        out.append("by rule:")
        for rule, items in sorted(by_rule.items(), key=lambda kv: (-max(f.severity for f in kv[1]), kv[0])):
            n_hidden = 0 if verbose else sum(1 for f in items if hidden(f))
            note = f"  ({n_hidden} not shown)" if n_hidden else ""
            out.append(f"  {rule:<{width}}  {_counts(items)}{note}")
    s = summary(result)
    infos = sum(1 for f in result.findings if f.severity == Severity.INFO)
    line = (
        f"{_plural(s['errors'], 'error')}, {_plural(s['warnings'], 'warning')}"
        + (f", {infos} info" if infos else "")
        + f" in {_plural(s['resources'], 'resource')}, {_plural(s['files'], 'file')}"
    )
    if result.ignored:
        line += f" ({len(result.ignored)} ignored by annotation)"
    n_hidden = 0 if verbose else len(result.findings) - len(shown)
    if n_hidden:
        line += f"; {n_hidden} not shown (info, no schema; --verbose shows them)"
    out.append(_style(line, color, bold=True))
    return "\n".join(out) + "\n"


_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _style(text: str, color: bool, **how: Any) -> str:
    if not color:
        return text
    import click

    return click.style(text, **how)


def _line(f: Finding, color: bool) -> str:
    """``path:line:col: severity rule: message [object]``; on a rendered object the spec location
    comes first (``specs/apps/shop.yaml:14:5: ... spec.autoscaling.maxReplicas: ...``) and the
    rendered one after the object."""
    sev = _style(str(f.severity), color, fg=_COLORS[f.severity], bold=f.severity == Severity.ERROR)
    where = f" [{escape_control(f.resource, keep_newlines=False)}]" if f.resource else ""
    if f.cluster:
        where += f" (cluster {escape_control(f.cluster, keep_newlines=False)})"
    at = f"{escape_control(f.file, keep_newlines=False)}:{f.line}:{f.column}"
    message = escape_control(f.message, keep_newlines=False)
    if f.spec is not None:
        where += f" (rendered: {at})"
        at = f"{escape_control(f.spec.file, keep_newlines=False)}:{f.spec.line}:{f.spec.column}"
        message = f"{escape_control(f.spec.key, keep_newlines=False)}: {message}"
    return f"{at}: {sev} {f.rule}: {message}{where}"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return escape_control(
        text, keep_newlines=False
    )  # the log shows escape sequences: a value must not colour or move it


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
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")  # lone surrogates are what UTF-8 cannot encode: nearly always none
        return text
    except UnicodeEncodeError:
        import re

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
        if f.spec is not None:  # the spec key that set the value of this rendered field
            item["relatedLocations"] = [
                {
                    "id": 1,
                    "physicalLocation": {
                        "artifactLocation": _artifact(f.spec.file),
                        "region": {"startLine": max(f.spec.line, 1), "startColumn": max(f.spec.column, 1)},
                    },
                    "message": {"text": f"set by {f.spec.key} in the spec"},
                }
            ]
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
