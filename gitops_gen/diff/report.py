"""Formats of a diff report: ``text`` (terminal), ``markdown`` (a pull-request comment), ``json``.

All three are deterministic: objects sorted by key, fields in document order.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from gitops_gen.diff.compare import MISSING, ChangedObject, FieldChange, format_value
from gitops_gen.diff.model import BudgetDelta, BudgetSide, DiffReport, LintDelta
from gitops_gen.lint.model import Finding, Severity
from gitops_gen.quantity import format_cpu, format_memory

# GitHub refuses comments over 65,536 characters; stay well below with room for the summary.
MARKDOWN_LIMIT = 60_000


def render_report(report: DiffReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"
    if fmt == "markdown":
        return to_markdown(report)
    return to_text(report)


# ------------------------------------------------------------------------------------------- json
def _json_value(value: Any) -> Any:
    return None if value is MISSING else value


def _change_json(c: FieldChange) -> dict[str, Any]:
    return {"path": c.path_text, "change": c.kind, "old": _json_value(c.old), "new": _json_value(c.new)}


def _side_json(side: BudgetSide | None) -> dict[str, Any] | None:
    if side is None:
        return None
    return {
        "cpuRequestsMillis": side.cpu_requests_millis,
        "memoryRequestsBytes": side.memory_requests_bytes,
        "cpuAllocatableMillis": side.cpu_allocatable_millis,
        "memoryAllocatableBytes": side.memory_allocatable_bytes,
        "cpuLimitsMillis": side.cpu_limits_millis,
        "memoryLimitsBytes": side.memory_limits_bytes,
        "pending": side.pending,
        "unknownFootprint": side.unknown,
    }


def to_json(report: DiffReport) -> dict[str, Any]:
    o = report.objects
    out: dict[str, Any] = {
        "base": report.base_label,
        "new": report.new_label,
        "summary": {
            "added": len(o.added),
            "removed": len(o.removed),
            "changed": len(o.changed),
            "moved": len(o.moved),
            "unchanged": o.unchanged,
        },
        "objects": {
            "added": [{"object": x.key, "file": x.file} for x in o.added],
            "removed": [{"object": x.key, "file": x.file} for x in o.removed],
            "changed": [
                {
                    "object": c.key,
                    "file": c.file,
                    "oldFile": c.old_file,
                    "changes": [_change_json(f) for f in c.changes],
                }
                for c in o.changed
            ],
            "moved": [{"object": k, "from": a, "to": b} for k, a, b in o.moved],
        },
        "lint": None,
        "budget": None,
        "notes": report.notes,
    }
    if report.lint is not None:
        lint = report.lint
        out["lint"] = {
            "introduced": [f.to_json() for f in lint.introduced],
            "fixed": [f.to_json() for f in lint.fixed],
            "changed": [{"before": b.to_json(), "after": a.to_json()} for b, a in lint.changed],
            "errorsBefore": lint.before_errors,
            "errorsAfter": lint.after_errors,
        }
        out["summary"]["lintIntroduced"] = len(lint.introduced)
        out["summary"]["lintFixed"] = len(lint.fixed)
        out["summary"]["lintChanged"] = len(lint.changed)
    if report.budget is not None:
        out["budget"] = {"before": _side_json(report.budget.before), "after": _side_json(report.budget.after)}
    return out


# ------------------------------------------------------------------------------------------- shared
def _signed(value: int, fmt: Any) -> str:
    if value == 0:
        return "±0"
    return ("+" if value > 0 else "-") + str(fmt(abs(value)))


def _mem(n: int | None) -> str:
    return "?" if n is None else format_memory(n)


def _cpu(n: int | None) -> str:
    return "?" if n is None else format_cpu(n)


def _budget_rows(delta: BudgetDelta) -> list[tuple[str, str, str, str, str]]:
    """(resource, before, after, change, allocatable) for memory and CPU requests."""
    b, a = delta.before, delta.after
    rows = []
    for label, attr, alloc_attr, fmt in (
        ("memory requests", "memory_requests_bytes", "memory_allocatable_bytes", _mem),
        ("CPU requests", "cpu_requests_millis", "cpu_allocatable_millis", _cpu),
    ):
        before: int | None = getattr(b, attr) if b else None
        after: int | None = getattr(a, attr) if a else None
        change = _signed(after - before, fmt) if before is not None and after is not None else "n/a"
        side = a or b
        allocatable: int | None = getattr(side, alloc_attr) if side else None
        rows.append((label, fmt(before), fmt(after), change, fmt(allocatable)))
    return rows


def _finding_line(f: Finding) -> str:
    return f"{f.severity} {f.rule}: {f.resource}: {f.message}"


def _multiline(c: FieldChange) -> list[str] | None:
    """A line diff for values too big for one line: multi-line strings (embedded config files) and
    large mappings/lists (a container that comes or goes), as YAML; None for the others."""
    if isinstance(c.old, str) and isinstance(c.new, str) and ("\n" in c.old or "\n" in c.new):
        old_lines, new_lines = c.old.splitlines(), c.new.splitlines()
    elif _big(c.old) or _big(c.new):
        old_lines, new_lines = _yaml_lines(c.old), _yaml_lines(c.new)
    else:
        return None
    lines = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=2))
    return lines[2:]  # drop the ---/+++ header


def _big(value: Any) -> bool:
    return isinstance(value, dict | list) and len(format_value(value, None)) > 80


def _yaml_lines(value: Any) -> list[str]:
    if value is MISSING:
        return []
    if not isinstance(value, dict | list):
        return [format_value(value, None)]
    import io

    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(value, buf)
    return buf.getvalue().splitlines()


# ------------------------------------------------------------------------------------------- text
def to_text(report: DiffReport) -> str:
    o = report.objects
    out = [
        f"gitops-gen diff: {report.base_label} -> {report.new_label}",
        f"objects: {len(o.added)} added, {len(o.removed)} removed, {len(o.changed)} changed, "
        f"{len(o.moved)} moved, {o.unchanged} unchanged",
    ]
    for x in o.added:
        out.append(f"+ {x.key}  ({x.file})")
    for x in o.removed:
        out.append(f"- {x.key}  ({x.file})")
    for c in o.changed:
        where = c.file if c.file == c.old_file else f"{c.old_file} -> {c.file}"
        out.append(f"~ {c.key}  ({where})")
        for f in c.changes:
            lines = _multiline(f)
            if lines is None:
                out.append(f"    {f.path_text}: {format_value(f.old)} -> {format_value(f.new)}")
            else:
                out.append(f"    {f.path_text}: {_short(f.old)} -> {_short(f.new)}")
                out.extend(f"      {line}" for line in lines)
    for key, a, b in o.moved:
        if not any(c.key == key for c in o.changed):
            out.append(f"> {key}  (moved {a} -> {b}, content unchanged)")
    if report.lint is not None:
        lint = report.lint
        out.append(
            f"lint: {len(lint.introduced)} introduced, {len(lint.fixed)} fixed, {len(lint.changed)} "
            f"changed (errors {lint.before_errors} -> {lint.after_errors})"
        )
        out.extend(f"  + {_finding_line(f)}" for f in lint.introduced)
        out.extend(f"  - {_finding_line(f)}" for f in lint.fixed)
        for was, now in lint.changed:
            out.append(f"  ~ {_finding_line(now)}")
            out.append(
                f"      was: {was.message}"
                if was.severity == now.severity
                else f"      was: {was.severity}: {was.message}"
            )
    if report.budget is not None:
        for label, before, after, change, alloc in _budget_rows(report.budget):
            of = f"of {alloc} allocatable" if alloc != "?" else "(node sizes unknown: give a platform spec)"
            out.append(f"budget: {label} {before} -> {after} ({change}) {of}")
        out.extend(_pending_lines(report.budget, "  "))
        if _uncounted(report.budget):
            out.append(f"budget: {_uncounted(report.budget)}")
    out.extend(f"note: {n}" for n in report.notes)
    return "\n".join(out) + "\n"


def _short(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    if isinstance(value, str):
        return "(text)"
    return "(mapping)" if isinstance(value, dict) else "(list)"


def _uncounted(delta: BudgetDelta) -> str:
    """The "after" totals leave HelmReleases out (unknown footprint): say so next to them."""
    unknown = delta.after.unknown if delta.after is not None else []
    if not unknown:
        return ""
    return (
        f"{len(unknown)} HelmRelease(s) not counted (unknown footprint), so the totals are at least this "
        f"much: {', '.join(unknown)}"
    )


def _pending_lines(delta: BudgetDelta, indent: str) -> list[str]:
    before = set(delta.before.pending) if delta.before else set()
    after = delta.after.pending if delta.after else []
    lines = [f"{indent}newly Pending: {p}" for p in after if p not in before]
    lines += [f"{indent}no longer Pending: {p}" for p in sorted(before - set(after))]
    return lines


# ------------------------------------------------------------------------------------------- markdown
def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell, as inline code."""
    text = text.replace("\r", "").replace("\n", "⏎")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _plain(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def to_markdown(report: DiffReport) -> str:
    o = report.objects
    head = [f"### gitops-gen diff: {_plain(report.base_label)} → {_plain(report.new_label)}", ""]
    if o.empty and not (report.lint and (report.lint.introduced or report.lint.fixed or report.lint.changed)):
        head.append("No change to the rendered objects.")
        head.append("")
    head += [
        "| | Count |",
        "|---|---:|",
        f"| Objects added | {len(o.added)} |",
        f"| Objects removed | {len(o.removed)} |",
        f"| Objects changed | {len(o.changed)} |",
    ]
    if o.moved:
        head.append(f"| Files moved (not a change) | {len(o.moved)} |")
    lint = report.lint
    if lint is not None:
        head.append(f"| Lint findings introduced | {_count_text(lint, lint.introduced)} |")
        head.append(f"| Lint findings fixed | {_count_text(lint, lint.fixed)} |")
        if lint.changed:
            head.append(f"| Lint findings changed (same rule and object) | {len(lint.changed)} |")
    head.append("")
    if report.budget is not None:
        head += ["| Budget | Before | After | Change | Allocatable |", "|---|---:|---:|---:|---:|"]
        head += [
            f"| {label} | {b} | {a} | {c} | {al} |" for label, b, a, c, al in _budget_rows(report.budget)
        ]
        pend = _pending_lines(report.budget, "- ")
        if pend:
            head += ["", *[_plain(line) for line in pend]]
        if _uncounted(report.budget):
            head += ["", f"- {_plain(_uncounted(report.budget))}"]
        head.append("")
    if lint is not None and any(f.severity >= Severity.ERROR for f in lint.introduced):
        head.append("**New errors:**")
        head += [
            f"- `{f.rule}` {_plain(f.resource)}: {_plain(f.message)}"
            for f in lint.introduced
            if f.severity >= Severity.ERROR
        ]
        head.append("")
    sections: list[list[str]] = []
    if o.changed:
        body: list[str] = []
        for c in o.changed:
            body += _changed_md(c)
        sections.append(_details(f"Changed objects ({len(o.changed)})", body))
    if o.added or o.removed:
        body = [f"- added {_cell(x.key)} ({_cell(x.file)})" for x in o.added]
        body += [f"- removed {_cell(x.key)} ({_cell(x.file)})" for x in o.removed]
        sections.append(_details(f"Added / removed objects ({len(o.added) + len(o.removed)})", body))
    if lint is not None and (lint.introduced or lint.fixed or lint.changed):
        body = ["| | Severity | Rule | Object | Message |", "|---|---|---|---|---|"]
        body += [
            f"| introduced | {f.severity} | `{f.rule}` | {_cell(f.resource)} | {_plain(f.message)} |"
            for f in lint.introduced
        ]
        body += [
            f"| fixed | {f.severity} | `{f.rule}` | {_cell(f.resource)} | {_plain(f.message)} |"
            for f in lint.fixed
        ]
        for b, a in lint.changed:
            body.append(
                f"| changed | {a.severity} | `{a.rule}` | {_cell(a.resource)} | {_plain(a.message)}"
                f"<br>was: {_plain(b.message)} |"
            )
        sections.append(
            _details(
                f"Lint delta ({len(lint.introduced)} introduced, {len(lint.fixed)} fixed, "
                f"{len(lint.changed)} changed)",
                body,
            )
        )
    if o.moved:
        body = [f"- {_cell(k)}: {_cell(a)} → {_cell(b)}" for k, a, b in o.moved]
        sections.append(_details(f"Moved files ({len(o.moved)})", body))
    tail = [f"_Note: {_plain(n)}_" for n in report.notes]
    text = "\n".join(head) + "\n"
    used = len(text) + sum(len(t) + 1 for t in tail)
    for i, section in enumerate(sections):
        block = "\n".join(section) + "\n\n"
        if used + len(block) > MARKDOWN_LIMIT:
            text += (
                f"_{len(sections) - i} more section(s) left out to stay within GitHub's comment size; "
                "run `gitops-gen diff` locally for everything._\n\n"
            )
            break
        text += block
        used += len(block)
    if tail:
        text += "\n".join(tail) + "\n"
    return text


def _count_text(lint: LintDelta, which: list[Finding]) -> str:
    errors = lint.count(which, Severity.ERROR)
    return f"{len(which)} ({errors} error{'s' if errors != 1 else ''})" if which else "0"


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{_plain(summary)}</summary>", "", *body, "", "</details>"]


def _changed_md(c: ChangedObject) -> list[str]:
    where = c.file if c.file == c.old_file else f"{c.old_file} → {c.file}"
    lines = [f"**{_plain(c.key)}** ({_cell(where)})", "", "| Field | Before | After |", "|---|---|---|"]
    texts: list[tuple[str, list[str]]] = []
    for f in c.changes:
        diff = _multiline(f)
        if diff is None:
            lines.append(
                f"| {_cell(f.path_text)} | {_cell(format_value(f.old))} | {_cell(format_value(f.new))} |"
            )
        else:
            lines.append(f"| {_cell(f.path_text)} | {_short(f.old)} | {_short(f.new)}, see below |")
            texts.append((f.path_text, diff))
    lines.append("")
    for path, diff in texts:
        lines += [f"`{path}`:", "```diff", *[d.replace("```", "ˋˋˋ") for d in diff], "```", ""]
    return lines
