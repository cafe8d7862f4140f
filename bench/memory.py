#!/usr/bin/env python3
"""Peak memory of ``gitops-gen lint`` on N large manifest files (issue 13 item 12).

Each generated file is ~7.5 MB of block-style YAML (under lint's 8 MiB file limit) of realistic big
objects: ConfigMaps holding Grafana dashboard JSON, CRDs with a large ``openAPIV3Schema``, and a long
``List`` of Deployments. Memory
should grow with the largest file plus the summary, not with the sum of all bodies::

    python bench/memory.py --files 1 3 6 [--mb 7.5] [--out DIR]

Prints, per N, the peak RSS of the whole process tree (main process and pool workers, sampled from
/proc every 20 ms), that of the main process alone, and the findings count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml


def dashboard(i: int, panels: int) -> dict[str, Any]:
    return {
        "title": f"dashboard {i}",
        "uid": f"d{i:06d}",
        "panels": [
            {
                "id": p,
                "type": "timeseries",
                "title": f"panel {p}",
                "gridPos": {"h": 8, "w": 12, "x": 12 * (p % 2), "y": 8 * (p // 2)},
                "targets": [
                    {
                        "expr": f'sum(rate(http_requests_total{{job="app-{i}",code=~"5.."}}[5m])) by (pod) # {p}'
                    }
                ],
                "fieldConfig": {"defaults": {"unit": "reqps", "thresholds": {"steps": [{"value": 80}]}}},
            }
            for p in range(panels)
        ],
    }


def config_map(f: int, i: int) -> dict[str, Any]:
    name = f"dash-{f}-{i}"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "monitoring", "labels": {"grafana_dashboard": "1"}},
        "data": {f"{name}.json": json.dumps(dashboard(i, 300), indent=2)},
    }


def _props(depth: int, width: int) -> dict[str, Any]:
    if depth == 0:
        return {"type": "string", "description": "a leaf field of the custom resource " * 3}
    return {
        "type": "object",
        "description": f"an object at depth {depth}",
        "properties": {f"field{k}": _props(depth - 1, width) for k in range(width)},
    }


def crd(f: int, i: int) -> dict[str, Any]:
    plural = f"widgets{f}x{i}"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": f"Widget{f}x{i}", "plural": plural, "singular": plural[:-1], "listKind": "L"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": _props(4, 6)},
                        }
                    },
                }
            ],
        },
    }


def deployment(f: int, i: int) -> dict[str, Any]:
    name = f"app-{f}-{i}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": f"team-{i % 7}", "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": f"registry.example.com/{name}:1.0",
                            "env": [{"name": f"VAR_{k}", "value": "x" * 40} for k in range(12)],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"memory": "128Mi"},
                            },
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "runAsNonRoot": True,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }
                    ]
                },
            },
        },
    }


def write_file(path: Path, f: int, mb: float) -> None:
    """About ``mb`` MB: one third dashboards, one third CRDs, one third a List of Deployments."""
    third = mb * 1e6 / 3
    docs: list[str] = []
    size = 0.0
    i = 0
    while size < third:
        docs.append(yaml.safe_dump(config_map(f, i), sort_keys=False, width=1 << 20))
        size += len(docs[-1])
        i += 1
    size, i = 0.0, 0
    while size < third:
        docs.append(yaml.safe_dump(crd(f, i), sort_keys=False))
        size += len(docs[-1])
        i += 1
    items: list[dict[str, Any]] = []
    one = len(yaml.safe_dump(deployment(f, 0), sort_keys=False))
    items = [deployment(f, k) for k in range(int(third // one) + 1)]
    docs.append(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False))
    path.write_text("---\n".join(docs), encoding="utf-8")


def _tree_rss(root: int) -> tuple[int, int]:
    """RSS in bytes of ``root`` and its descendants, and of ``root`` alone (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    total = main = 0
    todo = [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                rss = int(fh.read().split()[1]) * page
        except OSError:
            continue
        total += rss
        main = rss if pid == root else main
    return total, main


def measure(cmd: list[str], cwd: Path) -> tuple[int, int, float, str]:
    """(peak tree RSS, peak RSS of the main process, seconds, stdout) of ``cmd``."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
    peak = main = 0
    while proc.poll() is None:
        tree, alone = _tree_rss(proc.pid)
        peak, main = max(peak, tree), max(main, alone)
        time.sleep(0.02)
    out = proc.stdout.read() if proc.stdout else ""
    return peak, main, time.monotonic() - start, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, nargs="+", default=[1, 3, 6])
    ap.add_argument("--mb", type=float, default=7.5)  # under the 8 MiB file limit
    ap.add_argument("--out", help="directory for the generated files (default: a temporary one)")
    ap.add_argument("--jobs", help="--jobs for lint (default: lint's own choice)")
    args = ap.parse_args()
    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="gg-mem-"))
    base.mkdir(parents=True, exist_ok=True)
    for n in args.files:
        d = base / f"n{n}"
        d.mkdir(exist_ok=True)
        for f in range(n):
            p = d / f"big-{f}.yaml"
            if not p.exists():
                write_file(p, f, args.mb)
        cmd = [sys.executable, "-m", "gitops_gen", "lint", "--no-cache", "--format", "json", str(d)]
        if args.jobs:
            cmd[4:4] = ["--jobs", args.jobs]
        peak, main, secs, out = measure(cmd, base)  # not in a checkout: `-m` would import its package
        try:
            count = len(json.loads(out)["findings"])
        except (ValueError, KeyError, TypeError):
            count = -1
        mb = sum(p.stat().st_size for p in d.glob("*.yaml")) / 1e6
        print(
            f"{n} files ({mb:.0f} MB): peak RSS {peak / 1e6:.0f} MB process tree, {main / 1e6:.0f} MB main "
            f"process; {secs:.1f} s, {count} findings"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
