#!/usr/bin/env python3
"""In-process CPU-time breakdown of one ``gitops-gen lint`` run (profiling aid, not a benchmark).

Wraps the engine's stages and every rule's ``check`` with ``time.process_time`` counters (CPU time, so
the figures hold up on a busy machine) and prints where the time goes. Single process (``--jobs 1``)
so that phase-1 rule costs are visible::

    python bench/profile_lint.py bench/.corpus/r10000-d0.1/manifests [--cache-dir DIR] [--node-cpu 4 --node-memory 16Gi --nodes 200]
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import msgspec.structs

COUNTERS: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def timed(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        t = time.process_time()
        try:
            out = fn(*a, **k)
            if hasattr(out, "__next__"):  # a generator (rule check): drain it inside the timer
                out = list(out)
            return out
        finally:
            COUNTERS[name] += time.process_time() - t
            CALLS[name] += 1

    return wrapper


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--format", default="json")
    ap.add_argument("--node-cpu", default=None, help="node sizes, as lint's flags (the budget rules run)")
    ap.add_argument("--node-memory", default=None)
    ap.add_argument("--nodes", type=int, default=None)
    args = ap.parse_args()
    t0 = time.process_time()
    w0 = time.perf_counter()
    from gitops_gen.k8s import loader
    from gitops_gen.lint import api, engine, output, registry, run
    from gitops_gen.lint import cache as cache_mod

    COUNTERS["import lint api"] = time.process_time() - t0

    def patch(owner: Any, name: str, label: str) -> None:
        setattr(owner, name, timed(label, getattr(owner, name)))

    patch(engine, "parse_text", "phase1: parse_text (split + yaml_rs)")
    patch(engine, "read_file", "phase1: read_file")
    for name in ("run_phase1", "run_phase2", "assemble", "finalize", "locate_hits"):
        patch(engine, name, f"engine.{name}")
    patch(loader, "discover_names", "discover")
    patch(loader, "kustomize_roles", "kustomize_roles")
    rc: Any = cache_mod.ResultCache
    rc.open = classmethod(timed("cache open+load", rc.open.__func__))
    patch(rc, "save", "cache save")
    patch(rc, "key_for", "cache key_for")
    t = time.process_time()
    rules = registry.rules()
    COUNTERS["load rule modules"] = time.process_time() - t
    for rule_id, rule in list(rules.items()):
        where = "phase1 (local)" if rule.local else "phase2"
        for attr in ("object_check", "cluster_check"):
            fn = getattr(rule, attr)
            if fn is not None:  # rules are frozen: the table gets a timed copy
                rules[rule_id] = msgspec.structs.replace(rule, **{attr: timed(f"{where} rule {rule.id}", fn)})
    flags = api.LintFlags(
        fmt=args.format,
        jobs=1,
        no_cache=args.cache_dir is None,
        cache_dir=args.cache_dir,
        node_cpu=args.node_cpu,
        node_memory=args.node_memory,
        node_count=args.nodes,
    )
    t = time.process_time()
    settings = api.settings_from_options(args.paths, flags)
    COUNTERS["settings_from_options"] = time.process_time() - t
    t = time.process_time()
    result = run.lint_paths(args.paths, settings)
    COUNTERS["lint_paths total"] = time.process_time() - t
    t = time.process_time()
    text = output.render(result, args.format, show_ignored=False, color=False)
    COUNTERS["output.render"] = time.process_time() - t
    total = time.process_time() - t0
    print(
        f"{len(text):,} bytes of output; {result.resources:,} resources, {len(result.findings):,} findings; "
        f"CPU {total:.3f} s, wall {time.perf_counter() - w0:.3f} s (after interpreter start)"
    )
    for name, secs in sorted(COUNTERS.items(), key=lambda kv: -kv[1]):
        print(f"  {secs:8.3f} s  {CALLS.get(name, 1):>7} calls  {name}")
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    sys.exit(main())
