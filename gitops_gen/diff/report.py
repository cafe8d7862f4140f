"""Formats of a diff report: ``text`` (terminal), ``markdown`` (a pull-request comment), ``json``.

All three are deterministic: objects sorted by key, fields in document order.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from typing import Any

from gitops_gen.diff.compare import MISSING, ChangedObject, FieldChange, format_value
from gitops_gen.diff.model import BudgetDelta, BudgetSide, DiffReport, LintDelta
from gitops_gen.lint.model import Finding, Severity
from gitops_gen.quantity import format_cpu, format_memory
from gitops_gen.textsafe import escape_control

# GitHub refuses comments over 65,536 characters; stay well below with room for the summary.
MARKDOWN_LIMIT = 60_000


def render_report(report: DiffReport, fmt: str) -> str:
    from msgspec.structs import replace

    from gitops_gen.diff.redact import redact_objects

    report = replace(report, objects=redact_objects(report.objects))  # no secret in any format
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"
    from gitops_gen.textsafe import escape_control

    if fmt == "markdown":
        return escape_control(to_markdown(report))
    return escape_control(to_text(report))  # a value cannot rewrite the terminal (ESC, CR, bidi)


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
            "added": [{"object": x.key, "file": x.file, **_clusters_json(report, x.file)} for x in o.added],
            "removed": [
                {"object": x.key, "file": x.file, **_clusters_json(report, x.file)} for x in o.removed
            ],
            "changed": [
                {
                    "object": c.key,
                    "file": c.file,
                    "oldFile": c.old_file,
                    **_clusters_json(report, c.file, c.old_file),
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
        if report.budget.cluster:
            out["budget"]["cluster"] = report.budget.cluster
    if report.budgets:  # several clusters: one budget each
        out["budgets"] = [
            {"cluster": d.cluster, "before": _side_json(d.before), "after": _side_json(d.after)}
            for d in report.budgets
        ]
    return out


def _clusters_json(report: DiffReport, *files: str) -> dict[str, list[str]]:
    """``{"clusters": [...]}``: the clusters that apply a file, when the trees hold several."""
    if not report.clusters_of:
        return {}
    return {"clusters": sorted({c for f in files for c in report.clusters_of.get(f, [])})}


def _budget_title(report: DiffReport, delta: BudgetDelta) -> str:
    return f" (cluster {delta.cluster})" if report.budgets and delta.cluster else ""


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


def _object(f: Finding) -> str:
    """The finding's object, and its cluster when the tree is linted per cluster."""
    return f"{f.resource} (cluster {f.cluster})" if f.cluster else f.resource


def _finding_line(f: Finding) -> str:
    spec = f" (set by {f.spec.key} at {f.spec.file}:{f.spec.line}:{f.spec.column})" if f.spec else ""
    return f"{f.severity} {f.rule}: {_object(f)}: {f.message}{spec}"


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
        out.append(f"+ {x.key}  ({x.file}{report.clusters(x.file)})")
    for x in o.removed:
        out.append(f"- {x.key}  ({x.file}{report.clusters(x.file)})")
    for c in o.changed:
        where = c.file if c.file == c.old_file else f"{c.old_file} -> {c.file}"
        out.append(f"~ {c.key}  ({where}{report.clusters(c.file)})")
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
    for delta in report.all_budgets:
        title = _budget_title(report, delta)
        for label, before, after, change, alloc in _budget_rows(delta):
            of = f"of {alloc} allocatable" if alloc != "?" else "(node sizes unknown: give a platform spec)"
            out.append(f"budget{title}: {label} {before} -> {after} ({change}) {of}")
        out.extend(_pending_lines(delta, "  "))
        if _uncounted(delta):
            out.append(f"budget{title}: {_uncounted(delta)}")
    out.extend(f"note: {n}" for n in report.notes)
    return "\n".join(escape_control(line, keep_newlines=False) for line in out) + "\n"


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
# Everything a pull request controls (object names, file names, field paths, values, lint messages,
# ref labels) is written as a code span: inside one, Markdown, HTML, autolinks and @-mentions are
# all inert. The span's fence is longer than any backtick run inside (CommonMark), so no value can
# close it. Only our own words are plain text.
_BACKTICKS = re.compile(r"`+")
MAX_CELL = 200  # characters of a value shown in a table cell (the rest is in the text report)
MAX_DIFF_LINES = 200  # lines of one multi-line value's diff
MAX_LINE = 500  # characters of one line of such a diff


def _code(text: str, *, table: bool = True) -> str:
    """``text`` as an inline code span that nothing inside can close or escape from."""
    text = text.replace("\r\n", "⏎").replace("\r", "⏎").replace("\n", "⏎")
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    if table:
        text = text.replace("|", "\\|")  # GFM splits table cells before code spans are read
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# kept for callers of the old name
_cell = _code


def _plain(text: str) -> str:
    """Our own words with a number in them (never a value from the input)."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


class _Budget:
    """Lines of the comment, kept under GitHub's size limit: what does not fit is counted, and said."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.lines: list[str] = []

    def fits(self, lines: list[str], reserve: int = 0) -> bool:
        return self.used + sum(len(x) + 1 for x in lines) + reserve <= self.limit

    def add(self, lines: list[str]) -> None:
        self.lines.extend(lines)
        self.used += sum(len(x) + 1 for x in lines)


_RESERVE = 600  # room kept for closing a section, the "N more" line and the notes


def _fence_for(lines: list[str]) -> str:
    longest = max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0)
    return "`" * max(3, longest + 1)


def to_markdown(report: DiffReport) -> str:
    o = report.objects
    head = [
        f"### gitops-gen diff: {_code(report.base_label, table=False)} → {_code(report.new_label, table=False)}",
        "",
    ]
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
    for delta in report.all_budgets:
        title = f"Budget{_budget_title(report, delta)}"
        head += [f"| {title} | Before | After | Change | Allocatable |", "|---|---:|---:|---:|---:|"]
        head += [f"| {label} | {b} | {a} | {c} | {al} |" for label, b, a, c, al in _budget_rows(delta)]
        pend = _pending_lines(delta, "")
        if pend:
            head += ["", *[f"- {_code(line, table=False)}" for line in pend[:50]]]
            if len(pend) > 50:
                head.append(f"- … {len(pend) - 50} more")
        if _uncounted(delta):  # names HelmReleases: a code span, cut at MAX_CELL
            head += ["", f"- {_code(_uncounted(delta), table=False)}"]
        head.append("")
    errors = [f for f in lint.introduced if f.severity >= Severity.ERROR] if lint is not None else []
    if errors:
        head.append("**New errors:**")
        head += [
            f"- {_code(f.rule, table=False)} {_code(_object(f), table=False)}: {_code(f.message, table=False)}"
            + (
                f" (set by {_code(f.spec.key, table=False)} in {_code(f'{f.spec.file}:{f.spec.line}', table=False)})"
                if f.spec
                else ""
            )
            for f in errors[:50]
        ]
        if len(errors) > 50:
            head.append(f"- … {len(errors) - 50} more (all of them in the lint delta below)")
        head.append("")

    sections: list[tuple[str, list[str], list[list[str]]]] = []  # (summary, lines before, items)
    if o.changed:
        sections.append(
            (
                f"Changed objects ({len(o.changed)})",
                [],
                [item for c in o.changed for item in _changed_md(c, report.clusters(c.file))],
            )
        )
    if o.added or o.removed:
        items = [
            [f"- added {_code(x.key, table=False)} ({_code(x.file, table=False)}{report.clusters(x.file)})"]
            for x in o.added
        ]
        items += [
            [f"- removed {_code(x.key, table=False)} ({_code(x.file, table=False)}{report.clusters(x.file)})"]
            for x in o.removed
        ]
        sections.append((f"Added / removed objects ({len(o.added) + len(o.removed)})", [], items))
    if lint is not None and (lint.introduced or lint.fixed or lint.changed):
        table = ["| | Severity | Rule | Object | Message |", "|---|---|---|---|---|"]
        items = [
            [f"| introduced | {f.severity} | {_code(f.rule)} | {_code(_object(f))} | {_code(f.message)} |"]
            for f in lint.introduced
        ]
        items += [
            [f"| fixed | {f.severity} | {_code(f.rule)} | {_code(_object(f))} | {_code(f.message)} |"]
            for f in lint.fixed
        ]
        items += [
            [
                f"| changed | {a.severity} | {_code(a.rule)} | {_code(_object(a))} | {_code(a.message)}"
                f"<br>was: {_code(b.message)} |"
            ]
            for b, a in lint.changed
        ]
        sections.append(
            (
                f"Lint delta ({len(lint.introduced)} introduced, {len(lint.fixed)} fixed, "
                f"{len(lint.changed)} changed)",
                table,
                items,
            )
        )
    if o.moved:
        items = [
            [f"- {_code(k, table=False)}: {_code(a, table=False)} → {_code(b, table=False)}"]
            for k, a, b in o.moved
        ]
        sections.append((f"Moved files ({len(o.moved)})", [], items))
    tail = [f"_Note:_ {_code(n, table=False)}" for n in report.notes[:20]]

    out = _Budget(MARKDOWN_LIMIT)
    out.add(head)
    reserve = _RESERVE + sum(len(t) + 1 for t in tail)
    left_out = 0
    for summary, before, items in sections:
        opening = ["<details>", f"<summary>{_plain(summary)}</summary>", "", *before]
        if left_out or not out.fits(opening, reserve):
            left_out += len(items)
            continue
        out.add(opening)
        for n, item in enumerate(items):
            if not out.fits(item, reserve):
                left_out += len(items) - n
                break
            out.add(item)
        out.add(["", "</details>", ""])
    if left_out:
        out.add(
            [
                f"_{left_out} more change(s) not shown, to stay within GitHub's comment size; "
                "run `gitops-gen diff` locally for everything._",
                "",
            ]
        )
    out.add(tail)
    text = "\n".join(out.lines).rstrip("\n") + "\n"
    return text if len(text) <= MARKDOWN_LIMIT else text[: MARKDOWN_LIMIT - 2] + "\n"


def _count_text(lint: LintDelta, which: list[Finding]) -> str:
    errors = lint.count(which, Severity.ERROR)
    return f"{len(which)} ({errors} error{'s' if errors != 1 else ''})" if which else "0"


def _changed_md(c: ChangedObject, clusters: str = "") -> list[list[str]]:
    """One object's changes as items (lines kept together): the heading with the table header,
    one item per table row, one per multi-line diff."""
    where = c.file if c.file == c.old_file else f"{c.old_file} → {c.file}"
    items = [
        [
            f"**{_code(c.key, table=False)}** ({_code(where, table=False)}{clusters})",
            "",
            "| Field | Before | After |",
            "|---|---|---|",
        ]
    ]
    texts: list[tuple[str, list[str]]] = []
    for f in c.changes:
        diff = _multiline(f)
        if diff is None:
            items.append(
                [f"| {_code(f.path_text)} | {_code(format_value(f.old))} | {_code(format_value(f.new))} |"]
            )
        else:
            items.append([f"| {_code(f.path_text)} | {_short(f.old)} | {_short(f.new)}, see below |"])
            texts.append((f.path_text, diff))
    items[-1] = [*items[-1], ""]
    for path, diff in texts:
        shown = [
            line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…" for line in diff[:MAX_DIFF_LINES]
        ]
        if len(diff) > MAX_DIFF_LINES:
            shown.append(f"… {len(diff) - MAX_DIFF_LINES} more lines")
        fence = _fence_for(shown)
        items.append([f"{_code(path, table=False)}:", f"{fence}diff", *shown, fence, ""])
    return items
