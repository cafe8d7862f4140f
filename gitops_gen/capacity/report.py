"""``gitops-gen budget`` output: text, markdown and JSON, from one :class:`Analysis`.

Deterministic: rows are grouped by owner (K3s add-ons first, then by namespace and name) and keep
the order in which the chart or the manifest declares its workloads.
"""

from __future__ import annotations

import json
from typing import Any

from gitops_gen.capacity.budget import Analysis, Totals, group_rows
from gitops_gen.capacity.model import Owner, Workload
from gitops_gen.capacity.nodes import K3S_SERVER_OVERHEAD
from gitops_gen.capacity.simulate import PORTS, Pending
from gitops_gen.quantity import format_cpu, format_memory
from gitops_gen.textsafe import escape_control

HEADERS = (
    "COMPONENT",
    "NAMESPACE",
    "PODS",
    "CPU REQ",
    "CPU LIM",
    "MEM REQ",
    "MEM LIM",
    "CPU %",
    "MEM %",
    "NOTES",
)
NUMERIC = range(2, 9)  # the columns from PODS to MEM %: right-justified (by rich and by _plain_table)


def _cpu(m: int | None) -> str:
    return "-" if m is None else format_cpu(m)


def _mem(b: int | None) -> str:
    """Memory for people: exact Gi/Mi when it is one, else whole Mi (``1938Mi``, not ``1984375Ki``)."""
    if b is None:
        return "-"
    if not b:
        return "0"
    if b % 2**20 == 0 or b < 2**20:
        return format_memory(b)
    return f"{round(b / 2**20)}Mi"


fmt_mem = _mem


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole > 0 else "-"


def workload_notes(w: Workload) -> list[str]:
    out: list[str] = []
    if w.unknown:
        out.append("unknown footprint")
    if w.transient:
        out.append("transient (Job/hook/on demand): not in the totals")
    if w.per_node:
        out.append("one per node")
    if w.max_replicas is not None:
        out.append(f"HPA {w.replicas}-{w.max_replicas}, counted at {w.steady_replicas}")
    if w.surge and not w.system:
        out.append(f"+{w.surge}{' per node' if w.per_node else ''} during a rollout")
    if w.unbounded and not w.unknown:
        out.append(f"unbounded: no memory request ({', '.join(w.unbounded)})")
    if w.host_ports:
        out.append("host ports " + ",".join(str(p) for p, _ in w.host_ports))
    return out


def _allocatable(a: Analysis) -> tuple[int, int]:
    """The cluster's allocatable CPU and memory (a sum over its nodes: taken once per report, not per row)."""
    return (a.cluster.allocatable_cpu, a.cluster.allocatable_memory) if a.cluster else (0, 0)


def _row(w: Workload, a: Analysis, alloc: tuple[int, int]) -> dict[str, Any]:
    n = a.node_count
    pods = w.replicas if w.transient else w.pods(n)
    r, lim = w.requests, w.limits
    alloc_cpu, alloc_mem = alloc
    unknown = w.unknown
    return {
        "component": w.component,
        "name": w.name,
        "kind": w.kind,
        "namespace": w.namespace,
        "pods": pods,
        "replicas": w.replicas,
        "max_replicas": w.max_replicas,
        "per_node": w.per_node,
        "surge": w.surge,
        "transient": w.transient,
        "unknown": unknown,
        "unbounded": w.unbounded,
        "requests": {
            "cpu_millis": None if unknown else pods * (r.cpu or 0),
            "memory_bytes": None if unknown else pods * (r.memory or 0),
        },
        "limits": {
            "cpu_millis": None if unknown or lim.cpu is None else pods * lim.cpu,
            "memory_bytes": None if unknown or lim.memory is None else pods * lim.memory,
        },
        "per_pod": {
            "requests": {"cpu_millis": r.cpu, "memory_bytes": r.memory},
            "limits": {"cpu_millis": lim.cpu, "memory_bytes": lim.memory},
        },
        "share": {
            "cpu": None if unknown or not alloc_cpu or w.transient else pods * (r.cpu or 0) / alloc_cpu,
            "memory": None if unknown or not alloc_mem or w.transient else pods * (r.memory or 0) / alloc_mem,
        },
        "resources_path": w.resources_path,
        "replicas_path": w.replicas_path,
        "notes": workload_notes(w) + w.notes,
    }


def _owner_title(owner: Owner, a: Analysis) -> str:
    title = owner.group or owner.label
    if owner.chart:
        title += f" [{owner.chart}]"
    return title


def to_json(a: Analysis) -> dict[str, Any]:
    t = a.totals()
    cl = a.cluster
    out: dict[str, Any] = {
        "nodes": [
            {
                "name": n.name,
                "cpu_millis": n.cpu,
                "memory_bytes": n.memory,
                "allocatable": {"cpu_millis": n.allocatable_cpu, "memory_bytes": n.allocatable_memory},
                "reserved": {"cpu_millis": n.reserved_cpu, "memory_bytes": n.reserved_memory},
                "eviction_hard_memory_bytes": n.eviction_memory,
                "max_pods": n.max_pods,
            }
            for n in (cl.nodes if cl else [])
        ],
        "distribution": cl.distribution if cl else None,
        "components": [],
        "releases": [
            {
                "helmrelease": rep.info.release.owner.label,
                "chart": rep.info.chart,
                "version": rep.info.version,
                "source": rep.source,
                "notes": rep.notes,
            }
            for rep in a.releases
        ],
        "totals": _totals_json(t, a),
        "pending": [_pending_json(p) for p in (a.simulation.pending if a.simulation else [])],
        "transient_pending": [_pending_json(p) for p in (a.simulation.transient if a.simulation else [])],
        "notes": [*(cl.notes if cl else []), *a.notes],
    }
    alloc = _allocatable(a)
    for owner, ws in group_rows(a):
        out["components"].append(
            {
                "owner": owner.label,
                "group": owner.key,
                "chart": owner.chart or None,
                "workloads": [_row(w, a, alloc) for w in ws],
            }
        )
    if a.simulation is not None:
        out["placement"] = [
            {
                "node": s.node.name,
                "pods": s.pods,
                "requests": {"cpu_millis": s.cpu, "memory_bytes": s.memory},
                "free": {"cpu_millis": s.free_cpu, "memory_bytes": s.free_memory},
            }
            for s in a.simulation.nodes
        ]
    return out


def _totals_json(t: Totals, a: Analysis) -> dict[str, Any]:
    cl = a.cluster
    return {
        "pods": t.pods,
        "requests": {"cpu_millis": t.cpu, "memory_bytes": t.memory},
        "limits": {
            "cpu_millis": t.cpu_limit,
            "memory_bytes": t.memory_limit,
            "pods_without_cpu_limit": t.cpu_unlimited,
            "pods_without_memory_limit": t.memory_unlimited,
        },
        "allocatable": (
            {"cpu_millis": cl.allocatable_cpu, "memory_bytes": cl.allocatable_memory} if cl else None
        ),
        "unbounded": [f"{w.owner.label}: {w.component}" for w in t.unbounded],
        "unknown_footprint": t.unknown,
        "releases": {
            "total": len(a.releases),
            "counted": len(a.releases) - len(a.not_counted),
            "not_counted": len(a.not_counted),
            "complete": not a.not_counted,
            "summary": a.counted_phrase() or f"all {len(a.releases)} HelmReleases counted",
        },
        "largest_rollout": (
            {
                "workload": f"{t.surge_workload.owner.label}: {t.surge_workload.component}",
                "cpu_millis": t.surge_cpu,
                "memory_bytes": t.surge_memory,
            }
            if t.surge_workload is not None
            else None
        ),
    }


def _pending_json(p: Pending) -> dict[str, Any]:
    w = p.workload
    return {
        "owner": w.owner.label,
        "component": w.component,
        "kind": w.kind,
        "name": w.name,
        "namespace": w.namespace,
        "pods": p.count,
        "of": p.total,
        "phase": p.phase,
        "message": p.message,
        "requests": {"cpu_millis": p.cpu, "memory_bytes": p.memory},
        "fix": fix_text(w, p),
    }


# ----------------------------------------------------------------------------------- wording
def values_path(w: Workload, path: str) -> str:
    if not path:
        return ""
    if w.owner.values_root and not path.startswith("(") and " " not in path.split(" (")[0]:
        return f"{w.owner.values_root}{path}"
    return path


def ports_only(p: Pending) -> bool:
    """Pending only because its host ports are taken (requests are not the problem)."""
    return bool(p.reasons) and not p.resources and PORTS in p.reasons


def fix_text(w: Workload, p: Pending | None = None) -> str:
    """How to make the workload smaller (or, for a host-port conflict, free the ports), in the owner's terms."""
    if p is not None and ports_only(p):
        return w.fix or "free the host ports on the nodes, or bind other ports"
    parts: list[str] = []
    if w.fix:
        parts.append(w.fix)
    rp = values_path(w, w.resources_path)
    if rp and rp not in w.fix:
        parts.append(f"lower the requests at {rp}")
    if w.max_replicas is not None and w.replicas_path:
        parts.append(f"lower maxReplicas ({values_path(w, w.replicas_path)})")
    elif w.replicas_path and w.replicas > 1 and not w.per_node:
        parts.append(f"run fewer replicas ({values_path(w, w.replicas_path)})")
    if w.owner.spec_path and not w.fix:
        parts.append(f"in the platform spec, via `{w.owner.spec_path}.values`")
    parts.append("or add node capacity")
    return "; ".join(parts)


def pending_text(p: Pending, a: Analysis) -> str:
    w = p.workload
    what = {
        "steady": "",
        "autoscaling": " added by the HPA at maxReplicas",
        "rollout": " added during a rolling update (maxSurge)",
        "job": " of the Job/hook",
    }[p.phase]
    head = f"{w.owner.label}: {w.component} ({w.kind} {w.name})"
    count = f"{p.count} of {p.total} pod{'s' if p.total != 1 else ''}{what}"
    node = ""
    if a.cluster is not None and len(a.cluster.nodes) == 1:
        n = a.cluster.nodes[0]
        node = (
            f" Node {n.name} ({format_memory(n.memory)} memory, {format_cpu(n.cpu)} CPU; allocatable "
            f"{format_memory(n.allocatable_memory)}, {format_cpu(n.allocatable_cpu)} CPU)"
        )
    elif p.best_free[0]:
        node = f" The freest node, {p.best_free[0]},"
    free = f" has {_mem(max(p.best_free[2], 0))} memory and {_cpu(max(p.best_free[1], 0))} CPU free."
    unknown = ""
    if a.not_counted:
        # unknown releases only add pods: what is Pending stays Pending, free room is at most this
        free = free.replace(" has ", " has at most ", 1)
        unknown = (
            f" At least this stays Pending: {a.counted_phrase()} (unknown footprint), and "
            "their pods need room too."
        )
    if ports_only(p):
        ports = ", ".join(f"{port}/{proto}" for port, proto in w.host_ports) or "its host ports"
        return (
            f"{head}: {count} would stay Pending: {p.message} It binds host port(s) {ports}, "
            "already bound on every node it could run on."
        )
    return (
        f"{head}: {count} would stay Pending: {p.message} Each requests {_cpu(p.cpu)} CPU and "
        f"{_mem(p.memory)} memory{container_detail(w)}.{node}{free if node else ''}{unknown}"
    )


def container_detail(w: Workload) -> str:
    """`` (container memcached: 9830Mi memory, 500m CPU, from values.chunksCache.allocatedMemory)``."""
    c = w.main_container
    if c is None or (len(w.containers) == 1 and not c.path):
        return ""
    where = values_path(w, c.path)
    mem = f"{_mem(c.requests.memory)} memory" if c.requests.memory is not None else "no memory request"
    cpu = f"{_cpu(c.requests.cpu)} CPU" if c.requests.cpu is not None else "no CPU request"
    return f" (container {c.name}: {mem}, {cpu}" + (f", from {where}" if where else "") + ")"


# ----------------------------------------------------------------------------------- text
def _table(a: Analysis) -> list[list[str]]:
    rows: list[list[str]] = []
    alloc_cpu, alloc_mem = alloc = _allocatable(a)
    for owner, ws in group_rows(a):
        data = [_row(w, a, alloc) for w in ws]
        steady = [d for d in data if not d["transient"] and not d["unknown"]]
        if any(d["unknown"] for d in data):
            rows.append(
                [
                    _owner_title(owner, a),
                    ws[0].namespace,
                    "?",
                    "?",
                    "?",
                    "?",
                    "?",
                    "?",
                    "?",
                    "unknown footprint (not zero)",
                ]
            )
            continue
        pods = sum(d["pods"] for d in steady)
        cpu = sum(d["requests"]["cpu_millis"] or 0 for d in steady)
        mem = sum(d["requests"]["memory_bytes"] or 0 for d in steady)
        clim = (
            None
            if any(d["limits"]["cpu_millis"] is None for d in steady)
            else sum(d["limits"]["cpu_millis"] for d in steady)
        )
        mlim = (
            None
            if any(d["limits"]["memory_bytes"] is None for d in steady)
            else sum(d["limits"]["memory_bytes"] for d in steady)
        )
        rows.append(
            [
                _owner_title(owner, a),
                ws[0].namespace if len({w.namespace for w in ws}) == 1 else "*",
                str(pods),
                _cpu(cpu),
                _cpu(clim),
                _mem(mem),
                _mem(mlim),
                _pct(cpu, alloc_cpu),
                _pct(mem, alloc_mem),
                "",
            ]
        )
        for d, w in zip(data, ws, strict=True):
            p = d["per_pod"]
            pods_s = f"({d['pods']})" if d["transient"] else str(d["pods"])
            rows.append(
                [
                    f"  {w.component} ({w.kind})",
                    w.namespace,
                    pods_s,
                    _cpu(d["requests"]["cpu_millis"]),
                    _cpu(d["limits"]["cpu_millis"]),
                    _mem(d["requests"]["memory_bytes"]),
                    _mem(d["limits"]["memory_bytes"]),
                    _pct(d["requests"]["cpu_millis"] or 0, alloc_cpu) if not d["transient"] else "",
                    _pct(d["requests"]["memory_bytes"] or 0, alloc_mem) if not d["transient"] else "",
                    "; ".join(workload_notes(w)),
                ]
            )
            del p
    return rows


def _summary_lines(a: Analysis) -> list[str]:
    t = a.totals()
    cl = a.cluster
    lines: list[str] = []
    lines.append(
        f"Total requests (steady state, HPA at maxReplicas, DaemonSets × {a.node_count} node"
        f"{'s' if a.node_count != 1 else ''}): {t.pods} pods, {_cpu(t.cpu)} CPU, {_mem(t.memory)} memory"
        + (f" ({a.counted_phrase()}: at least this much)" if a.not_counted else "")
    )
    if cl is not None:
        lines.append(
            f"Allocatable: {_cpu(cl.allocatable_cpu)} CPU, {_mem(cl.allocatable_memory)} memory "
            f"-> requests use {_pct(t.cpu, cl.allocatable_cpu)} CPU, {_pct(t.memory, cl.allocatable_memory)} memory"
        )
        lines.append(
            f"Limits: {_cpu(t.cpu_limit)} CPU ({_pct(t.cpu_limit, cl.allocatable_cpu)} of allocatable"
            f"{', overcommitted' if t.cpu_limit > cl.allocatable_cpu else ''}; {t.cpu_unlimited} pod(s) "
            f"without a CPU limit), {_mem(t.memory_limit)} memory ({_pct(t.memory_limit, cl.allocatable_memory)}"
            f"{', overcommitted' if t.memory_limit > cl.allocatable_memory else ''}; {t.memory_unlimited} "
            "pod(s) without a memory limit)"
        )
        if cl.k3s and cl.nodes:
            first = cl.nodes[0]
            left = first.allocatable_memory - (a.simulation.nodes[0].memory if a.simulation else 0)
            if left < K3S_SERVER_OVERHEAD:
                lines.append(
                    f"Headroom: only {_mem(max(left, 0))} of {first.name}'s memory is left unrequested; "
                    f"the K3s server process needs about {_mem(K3S_SERVER_OVERHEAD)} outside pods"
                )
    else:
        lines.append(
            "Limits: " + f"{_cpu(t.cpu_limit)} CPU, {_mem(t.memory_limit)} memory "
            "(no node size known: pass --node-memory/--node-cpu or --specs)"
        )
    if t.surge_workload is not None and t.surge_memory:
        w = t.surge_workload
        lines.append(
            f"Largest rolling update: {w.owner.label}: {w.component} adds {_cpu(t.surge_cpu)} CPU, "
            f"{_mem(t.surge_memory)} memory while it rolls out"
        )
    if t.unbounded:
        lines.append(
            "Unbounded (no memory request, counted as 0): "
            + ", ".join(f"{w.owner.label}: {w.component}" for w in t.unbounded)
        )
    if a.releases:
        by_source: dict[str, int] = {}
        for rep in a.releases:
            kind = rep.source.split(" (", 1)[0] if rep.source.startswith("app-template") else rep.source
            kind = "helm template" if kind.startswith("helm template") else kind
            kind = "chart profile" if kind.startswith("profile ") else kind
            by_source[kind] = by_source.get(kind, 0) + 1
        lines.append(
            f"HelmReleases: {len(a.releases)} ("
            + ", ".join(f"{n} {k}" for k, n in sorted(by_source.items()))
            + ")"
            + (f"; {a.counted_phrase()}" if a.not_counted else "; all counted")
        )
    if t.unknown:
        lines.append(
            "Unknown footprint (not counted, not zero; `gitops-gen charts pull` lets helm render them): "
            + ", ".join(sorted(set(t.unknown)))
        )
    return lines


# Columns dropped first when the table does not fit the terminal (``--wide`` shows all of them):
# limits and shares before the namespace; component, pods, requests and notes always stay.
DROP_ORDER = ("CPU LIM", "MEM LIM", "CPU %", "MEM %", "NAMESPACE")
_NOTES_MIN = 24  # below this the notes column wraps into more lines than it is worth
_GAP = 2


def text_table(rows: list[list[str]], width: int | None) -> list[str]:
    """The budget table as text lines no wider than ``width`` (``None``: as wide as it needs): columns
    dropped by :data:`DROP_ORDER`, then the notes (and names, if need be) wrapped by ``rich``."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    need = [
        max(len(HEADERS[i]), *(len(r[i]) for r in rows)) if rows else len(HEADERS[i])
        for i in range(len(HEADERS))
    ]
    keep = list(range(len(HEADERS)))

    def fits(cols: list[int]) -> bool:
        fixed = sum(need[i] + _GAP for i in cols if HEADERS[i] != "NOTES")
        return width is None or fixed + min(need[-1], _NOTES_MIN) <= width

    for name in DROP_ORDER:
        if fits(keep):
            break
        keep.remove(HEADERS.index(name))
    names = [r[0] for r in rows]
    if (
        not fits(keep) and width is not None
    ):  # still too wide: wrap the names, indented under their first line
        import textwrap

        others = sum(need[i] + _GAP for i in keep if HEADERS[i] not in ("COMPONENT", "NOTES"))
        need[0] = max(_NOTES_MIN, width - others - _GAP - min(need[-1], _NOTES_MIN))
        names = []
        for r in rows:
            lead = " " * (len(r[0]) - len(r[0].lstrip()))
            wrapped = textwrap.wrap(
                r[0].lstrip(),
                need[0],
                initial_indent=lead,
                subsequent_indent=lead + "  ",
                break_on_hyphens=False,
            )
            names.append("\n".join(wrapped))
    total = sum(need[i] + _GAP for i in keep)
    if width is None or total <= width:  # nothing wraps unless a cell is not plain: _plain_table checks
        plain = _plain_table(
            [[name, *(r[i] for i in keep[1:])] for name, r in zip(names, rows, strict=True)], keep, need
        )
        if plain is not None:
            return plain
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, _GAP, 0, 0))
    for i in keep:
        table.add_column(
            HEADERS[i],
            justify="right" if i in NUMERIC else "left",
            no_wrap=HEADERS[i] != "NOTES",
            overflow="fold",
            min_width=need[i] if HEADERS[i] != "NOTES" else None,
        )
    for name, r in zip(names, rows, strict=True):
        table.add_row(Text(name), *(Text(r[i]) for i in keep[1:]))
    console = Console(width=min(width, total) if width else total, color_system=None, highlight=False)
    with console.capture() as cap:
        console.print(table)
    return [line.rstrip() for line in cap.get().splitlines()]


def _plain_table(cells: list[list[str]], keep: list[int], need: list[int]) -> list[str] | None:
    """The lines ``rich`` prints for a table where nothing wraps (every column as wide as its widest
    cell, ASCII text on one line), laid out here: ``rich`` measures and wraps every cell, seconds for a
    budget of 10,000 objects. None when a cell is not plain ASCII on one line (``rich`` lays it out)."""
    gap = " " * _GAP
    right = [i in NUMERIC for i in keep]
    widths = [need[i] for i in keep]
    lines = [
        gap.join(
            h.rjust(w) if r else h.ljust(w)
            for h, w, r in zip((HEADERS[i] for i in keep), widths, right, strict=True)
        )
    ]
    for row in cells:
        # rich strips a cell's trailing blanks (and a right-justified one's leading blanks): those go to it
        if not all(
            c.isascii() and "\n" not in c and c == (c.strip() if r else c.rstrip())
            for c, r in zip(row, right, strict=True)
        ):
            return None
        lines.append(
            gap.join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True))
        )
    return [line.rstrip() for line in lines]


def to_text(a: Analysis, *, markdown: bool = False, width: int | None = None) -> str:
    """The report; ``width`` is the terminal's (the table is fitted to it), ``None`` for all columns."""
    out: list[str] = []
    cl = a.cluster
    title = "Memory/CPU budget"
    if cl is not None and cl.nodes:
        title += f": {len(cl.nodes)} node{'s' if len(cl.nodes) != 1 else ''} ({cl.distribution})"
    out.append(f"## {title}" if markdown else title)
    if cl is not None:
        for n in cl.nodes:
            out.append(f"- {n.describe()}" if markdown else f"  {n.describe()}")
    out.append("")
    rows = _table(a)
    if markdown:
        out.append("| " + " | ".join(HEADERS) + " |")
        out.append("|" + "|".join("---" if i < 2 or i == 9 else "---:" for i in range(len(HEADERS))) + "|")
        for r in rows:
            cells = [c.replace("|", "\\|") for c in r]
            if not r[0].startswith("  "):
                cells[0] = f"**{cells[0]}**"
            else:
                cells[0] = "&nbsp;&nbsp;" + cells[0].strip()
            out.append("| " + " | ".join(cells) + " |")
    else:
        out.extend(text_table(rows, width))
    out.append("")
    out.extend(f"- {s}" if markdown else s for s in _summary_lines(a))
    sim = a.simulation
    if sim is not None:
        out.append("")
        if sim.pending:
            out.append("### Pending pods" if markdown else "Pending pods (scheduling simulation):")
            for p in sim.pending:
                out.append(f"- {pending_text(p, a)}")
                out.append(f"  Fix: {fix_text(p.workload, p)}")
        else:
            out.append(
                (
                    f"Scheduling simulation: every counted pod fits, but {a.counted_phrase()}, "
                    "so the cluster may still not fit"
                    if a.not_counted
                    else "Scheduling simulation: every pod fits"
                )
                + (
                    " ("
                    + ", ".join(
                        f"{s.node.name}: {s.pods} pods, {_mem(s.free_memory)} memory and "
                        f"{_cpu(s.free_cpu)} CPU free"
                        for s in sim.nodes
                    )
                    + ")"
                )
            )
        if sim.transient:
            out.append("")
            out.append(
                "### Transient pods that would not fit" if markdown else "Transient pods that would not fit:"
            )
            for p in sim.transient:
                out.append(f"- {pending_text(p, a)}")
    notes = [*(cl.notes if cl else []), *a.notes]
    rel_notes = [f"{rep.info.release.owner.label}: {n}" for rep in a.releases for n in rep.notes]
    if notes or rel_notes:
        out.append("")
        out.append("### Notes" if markdown else "Notes:")
        out.extend(f"- {n}" for n in [*notes, *rel_notes])
    lines = [escape_control(line, keep_newlines=False) for line in out]
    if width is not None and not markdown:
        lines = [w for line in lines for w in _wrap(line, width)]
    return "\n".join(lines).rstrip() + "\n"


def _wrap(line: str, width: int) -> list[str]:
    """A line longer than ``width`` as several, continued two columns right of its indentation."""
    import textwrap

    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()))
    wrapped = textwrap.wrap(
        line.lstrip(), width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )
    return wrapped or [line]


def render(a: Analysis, fmt: str, width: int | None = None) -> str:
    if fmt == "json":
        return json.dumps(to_json(a), indent=2, sort_keys=True) + "\n"
    return to_text(a, markdown=fmt == "markdown", width=width)
