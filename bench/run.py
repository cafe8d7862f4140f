#!/usr/bin/env python3
"""Benchmark ``gitops-gen`` as a user runs it (a subprocess of the installed CLI) and print a table.

Not a unit test: run it by hand or in a perf job. From a clean clone, with the package installed::

    python bench/run.py                          # 1,000 / 10,000 / 50,000 resources
    python bench/run.py --sizes 1000,10000       # a subset
    python bench/run.py --checkov /work/bench-venv/bin/checkov --kubeconform ~/bin/kubeconform

What is measured (see docs/performance.md for the method):

* ``gitops-gen lint`` of a generated corpus (bench/gen_corpus.py, with a share of injected defects):
  cold cache (empty ``--cache-dir``), warm cache (same again), a warm re-lint after one file changed,
  ``--no-cache`` with the default worker count, ``--no-cache --jobs 1`` and ``--no-cache --jobs 2``;
* wall time (monotonic clock around the child), CPU time (user+sys of the child *and* of every
  descendant it waited for, from ``os.wait4``), peak memory two ways: the largest single process
  (``ru_maxrss`` from ``wait4``, which covers reaped pool workers, and on Linux also this benchmark's
  own size at the fork before the exec: an upper bound), the peak of the whole process tree's summed
  RSS, sampled from /proc every 10 ms (an upper bound: pages shared after fork count once per
  process), and the peak of its summed PSS (every 50 ms: each shared page counted once in all);
* resources/second = resources / wall;
* ``gitops-gen render`` of the reference specs and ``gitops-gen --help``, including interpreter start;
* side by side, in alternation (kubeconform, lint, lint with node sizes, budget at 10 and 1,000 nodes;
  then again, ``--rounds`` times): kubeconform (``-strict``, local schemas from kubernetes-validate, no
  network; ``../shared/tools/bin/kubeconform`` when present) and ``lint --no-cache`` without and with
  node sizes (``--nodes-args``, a 200-node cluster by default); ratios are taken within a round, then
  the median, because the machine is shared; with ``--reference-gitops-gen`` the JSON of both lint
  variants is compared byte for byte with another build (e.g. main's);
* Checkov's kubernetes framework on the smallest corpus when ``--checkov`` (or ``checkov`` on PATH)
  is given.

It also checks, at scale, that the findings are identical with one or two workers and with or without
the cache, and that every injected defect was found (recall). The table is printed and written to
bench/results/latest.md; ``--readme`` also rewrites README.md's performance table from this run.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402  (bench/ is not a package)

TARGETS = {
    "ratio_nodes": 0.5,  # lint (with node sizes) / kubeconform, same rounds
    "budget_scale": 1.5,  # budget at 1,000 nodes / at 10 nodes
    "checkov_speedup": 20.0,
    "relint_s": 0.3,
    "render_s": 0.5,
    "rss_mb": 500.0,  # 100,000 resources, whole process tree
    "help_s": 0.1,
    "one_s": 0.2,
}
PAGE = os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------------------- measuring
@dataclass
class Run:
    label: str
    cmd: list[str]
    wall: float = 0.0
    cpu: float = 0.0
    maxrss_mb: float = 0.0  # largest single process (wait4 ru_maxrss, includes reaped descendants)
    tree_mb: float = 0.0  # peak of the summed RSS of the process tree (sampled)
    # peak of the summed PSS of the tree (sampled every 50 ms): a page shared by forked processes
    # (pool workers, the capacity process) counts once in all, where the RSS sum counts it per process
    tree_pss_mb: float = 0.0
    rc: int = 0
    stdout: str = ""
    stderr: str = ""
    resources: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.resources / self.wall if self.wall and self.resources else 0.0

    @property
    def failed(self) -> bool:
        return self.rc not in (0, 1)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _tree_rss(root: int, size: Any = _rss) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += size(pid)
        stack.extend(_children(pid))
    return total


PRIORITY: int | None = None  # --nice: scheduling priority of every measured process (and its workers)


def _set_priority() -> None:
    """In the child before exec: its own session (with sched_autogroup, a session is a scheduling group,
    and nice values only weigh inside a group), that group's niceness, and the process's."""
    assert PRIORITY is not None
    os.setsid()
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as fh:
        fh.write(str(PRIORITY))
    os.setpriority(os.PRIO_PROCESS, 0, PRIORITY)


def measure(
    label: str,
    cmd: list[str],
    *,
    cwd: Path,
    resources: int = 0,
    timeout: float = 3600,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``cmd`` once; wall, CPU (child + waited descendants), peak RSS (process and tree)."""
    run = Run(label, cmd, resources=resources)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=out,
            stderr=err,
            env=env,
            preexec_fn=_set_priority if PRIORITY is not None else None,
        )
        peak = peak_pss = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_pss
            n = 0
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                if n % 5 == 0:
                    peak_pss = max(peak_pss, _tree_rss(proc.pid, _pss))
                n += 1
                done.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        run.wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        run.rc = proc.returncode
        run.cpu = usage.ru_utime + usage.ru_stime
        run.maxrss_mb = usage.ru_maxrss / 1024  # Linux: KiB
        # sampled only: ru_maxrss may be that of this process, forked before the exec
        run.tree_mb = peak / 2**20
        run.tree_pss_mb = peak_pss / 2**20
        out.seek(0)
        err.seek(0)
        run.stdout = out.read().decode("utf-8", "replace")
        run.stderr = err.read().decode("utf-8", "replace")
    return run


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.wall)
    best = ordered[len(ordered) // 2]
    best.extra["walls"] = [round(r.wall, 3) for r in runs]
    return best


# ----------------------------------------------------------------------------------------- tools
def bytecode_as_installed() -> None:
    """Measure the tools with their bytecode cached, as ``pip install`` leaves them.

    With ``PYTHONDONTWRITEBYTECODE`` set (some CI and sandbox shells set it), an editable install
    never writes ``__pycache__``, and every run recompiles the package's modules from source: about
    60 ms of CPU per gitops-gen run here, which no installed copy pays. The variable is dropped for
    the measured commands and the package is compiled once before any measurement.
    """
    import compileall

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with contextlib.suppress(ImportError):
        import gitops_gen

        compileall.compile_dir(str(Path(gitops_gen.__file__).parent), quiet=1)


def find_gitops_gen(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    beside = Path(sys.executable).parent / "gitops-gen"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("gitops-gen")
    if found:
        return [found]
    sys.exit("gitops-gen not found: install the package (pip install -e .) or pass --gitops-gen PATH")


def find_tool(explicit: str | None, name: str) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    return shutil.which(name)


def find_kubeconform(explicit: str | None) -> str | None:
    """The given binary, else the project's reference copy (``../shared/tools/bin/``, looked for
    beside the checkout and one level up, for worktrees), else ``kubeconform`` on PATH."""
    if explicit:
        return find_tool(explicit, "kubeconform")
    for base in (REPO.parent, REPO.parent.parent):
        cand = base / "shared" / "tools" / "bin" / "kubeconform"
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("kubeconform")


def kubeconform_cmd(binary: str, manifests: Path, work: Path, k8s: str) -> list[str] | None:
    """kubeconform -strict against the kubernetes-validate schemas, offline.

    Those schemas ``$ref`` https://kubernetes.io/api/_definitions.json; kubeconform's ``-cache`` folder
    is keyed by the sha256 of the URL, so seeding that file makes it work with no network.
    """
    try:
        import kubernetes_validate
    except ImportError:
        return None
    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    version_dir = base / f"v{k8s}.0-local-strict"
    if not version_dir.is_dir():
        return None
    cache = work / "kubeconform-cache"
    cache.mkdir(parents=True, exist_ok=True)
    url = "https://kubernetes.io/api/_definitions.json"
    shutil.copyfile(version_dir / "_definitions.json", cache / hashlib.sha256(url.encode()).hexdigest())
    location = (
        str(base) + "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/"
        "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )
    return [
        binary,
        "-strict",
        "-summary",
        "-output",
        "json",
        "-kubernetes-version",
        f"{k8s}.0",
        "-schema-location",
        location,
        "-cache",
        str(cache),
        str(manifests),
    ]


# ----------------------------------------------------------------------------------------- checks
def findings_of(run: Run) -> list[dict[str, Any]] | None:
    try:
        data = json.loads(run.stdout)
    except ValueError:
        return None
    f = data.get("findings") if isinstance(data, dict) else None
    return f if isinstance(f, list) else None


def canonical(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True) for f in findings)


def recall(findings: list[dict[str, Any]], defects: list[dict[str, Any]]) -> dict[str, Any]:
    """Which injected defects a finding reports (rule expected, on one of the defect's objects)."""
    by_res: dict[str, set[str]] = {}
    by_file: dict[str, set[str]] = {}
    for f in findings:
        by_res.setdefault(str(f.get("resource", "")), set()).add(str(f.get("rule", "")))
        by_file.setdefault(str(f.get("file", "")).replace("\\", "/"), set()).add(str(f.get("rule", "")))
    missed: list[dict[str, Any]] = []
    per_kind: Counter[str] = Counter()
    found_kind: Counter[str] = Counter()
    for d in defects:
        per_kind[d["kind"]] += 1
        rules = set(d["rules"])
        hit = any(rules & by_res.get(r, set()) for r in d["resources"])
        if not hit:  # fall back on the file when a rule reports a resource differently
            hit = any(rules & rs for fname, rs in by_file.items() for df in d["files"] if fname.endswith(df))
        if hit:
            found_kind[d["kind"]] += 1
        else:
            missed.append(d)
    involved = {r for d in defects for r in d["resources"]}
    apps = {d["app"] for d in defects}
    unexpected = []
    for f in findings:
        res = str(f.get("resource", ""))
        parts = res.split("/")
        app = f"{parts[1]}/{parts[2]}" if len(parts) == 3 else ""
        app = app.removesuffix("-config")
        if res not in involved and app not in apps:
            unexpected.append(f)
    return {
        "defects": len(defects),
        "found": len(defects) - len(missed),
        "missed": missed,
        "per_kind": {k: f"{found_kind[k]}/{n}" for k, n in sorted(per_kind.items())},
        "unexpected": unexpected,
    }


# ----------------------------------------------------------------------------------------- benchmark
def lint_cmd(gg: list[str], manifests: Path, *args: str) -> list[str]:
    return [*gg, "lint", str(manifests), "--format", "json", *args]


def edit_label(target: Path, old: str, value: str) -> None:
    """Write ``old`` (the text of ``target``) back with its first managed-by label set to ``value``: an
    edit of one object, as a user makes it."""
    target.write_text(
        old.replace("app.kubernetes.io/managed-by: flux", f"app.kubernetes.io/managed-by: {value}", 1),
        encoding="utf-8",
    )


def one_file_change(manifests: Path) -> tuple[Path, str]:
    """Change one file the way an edit would (a new label value); return it and its old text."""
    target = sorted(manifests.rglob("*.yaml"))[len(list(manifests.rglob("*.yaml"))) // 2]
    old = target.read_text(encoding="utf-8")
    edit_label(target, old, "flux-edited")
    return target, old


def bench_size(n: int, args: argparse.Namespace, gg: list[str], work: Path, log: Any) -> dict[str, Any]:
    corpus = work / f"r{n}-d{args.defects:g}"
    summary = gen_corpus.write_corpus(corpus, n, seed=args.seed, defects=args.defects)
    manifests = corpus / "manifests"
    defects = json.loads((corpus / "defects.json").read_text())
    log(
        f"\n## {n:,} resources: {summary['files']:,} files, {summary['bytes'] / 1e6:.1f} MB, "
        f"{summary['defects']} injected defects"
    )
    runs: dict[str, Run] = {}
    cache = work / f"cache-{n}"
    shutil.rmtree(cache, ignore_errors=True)

    def go(key: str, label: str, cmd: list[str]) -> Run:
        r = measure(label, cmd, cwd=corpus, resources=n)
        runs[key] = r
        note = f" rc={r.rc}" + (
            f" {r.stderr.strip().splitlines()[-1][:160]}" if r.failed and r.stderr.strip() else ""
        )
        log(
            f"  {label:<34} {r.wall:8.2f} s wall {r.cpu:8.2f} s CPU {r.tree_mb:7.0f} MB tree "
            f"({r.tree_pss_mb:.0f} MB PSS) "
            f"{r.rps:9,.0f} res/s{note}"
        )
        return r

    go("cold", "lint, cold cache", lint_cmd(gg, manifests, "--cache-dir", str(cache)))
    go("warm", "lint, warm cache", lint_cmd(gg, manifests, "--cache-dir", str(cache)))
    target, old = one_file_change(manifests)
    try:
        relints = []
        for i in range(args.repeat_short):
            if i:  # a fresh edit each time, so every re-lint sees one changed file
                edit_label(target, old, f"flux-edit{i}")
            relints.append(
                measure(
                    "re-lint after 1-file change",
                    lint_cmd(gg, manifests, "--cache-dir", str(cache)),
                    cwd=corpus,
                    resources=n,
                )
            )
        r = median_run(relints)
        runs["relint"] = r
        log(f"  {r.label:<34} {r.wall:8.2f} s wall (median of {len(relints)}: {r.extra['walls']}) rc={r.rc}")
    finally:
        target.write_text(old, encoding="utf-8")
    go("nocache", "lint --no-cache (default jobs)", lint_cmd(gg, manifests, "--no-cache"))
    go("jobs1", "lint --no-cache --jobs 1", lint_cmd(gg, manifests, "--no-cache", "--jobs", "1"))
    go("jobs2", "lint --no-cache --jobs 2", lint_cmd(gg, manifests, "--no-cache", "--jobs", "2"))
    warm2 = measure(
        "lint, warm cache (2)", lint_cmd(gg, manifests, "--cache-dir", str(cache)), cwd=corpus, resources=n
    )

    # identical results: jobs 1 vs 2, cache vs none, cold vs warm
    result: dict[str, Any] = {"n": n, "summary": summary, "runs": runs}
    canon = {k: findings_of(r) for k, r in {**runs, "warm2": warm2}.items() if k != "relint"}
    base = canon.get("jobs1")
    same: dict[str, bool | None] = {}
    for k, v in canon.items():
        same[k] = None if v is None or base is None else canonical(v) == canonical(base)
    result["identical"] = same
    log("  identical to --jobs 1 --no-cache: " + ", ".join(f"{k}={v}" for k, v in same.items()))
    if base is not None:
        rec = recall(base, defects)
        result["recall"] = rec
        log(
            f"  recall: {rec['found']}/{rec['defects']} injected defects found; per kind {rec['per_kind']}; "
            f"{len(rec['unexpected'])} findings on objects without an injected defect"
        )
        for d in rec["missed"][:10]:
            log(f"    missed {d['kind']}: {d['resources'][0]} ({d['file']}:{d['line']})")
        if rec["unexpected"]:
            by_rule = Counter(str(f.get("rule")) for f in rec["unexpected"])
            log(f"    unexpected by rule: {dict(by_rule)}; e.g. {rec['unexpected'][0]}")

    side = side_by_side(n, args, gg, corpus, manifests, work, log)
    runs.update(side.pop("runs"))
    result["side"] = side
    ck = find_tool(args.checkov, "checkov")
    if ck and n <= args.checkov_max:
        r = measure(
            "checkov --framework kubernetes",
            # relative path: checkov skips every directory whose path has a dot-component
            [
                ck,
                "-d",
                "manifests",
                "--framework",
                "kubernetes",
                "--quiet",
                "--compact",
                "--soft-fail",
                "--skip-download",
                "-o",
                "json",
            ],
            cwd=corpus,
            resources=n,
            env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
        runs["checkov"] = r
        scanned = _checkov_resources(r.stdout)
        r.extra["checkov_resources"] = scanned
        if not scanned:
            r.rc = -1  # scanned nothing: not a valid measurement
            r.stderr += "\ncheckov scanned no resources"
        log(
            f"  {r.label:<34} {r.wall:8.2f} s wall {r.cpu:8.2f} s CPU {r.tree_mb:7.0f} MB "
            f"{r.rps:9,.0f} res/s rc={r.rc} (checkov counted {scanned} resources)"
        )
    return result


def side_label(args: argparse.Namespace, key: str) -> str:
    if key == "nocache":
        return "lint --no-cache, no node sizes"
    if key == "nodes":
        return f"lint --no-cache {args.nodes_args}"
    return key


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def side_by_side(
    n: int,
    args: argparse.Namespace,
    gg: list[str],
    corpus: Path,
    manifests: Path,
    work: Path,
    log: Any,
) -> dict[str, Any]:
    """kubeconform and gitops-gen in alternation (A B C A B C ...), ``--rounds`` times.

    The machine is shared: a figure measured minutes apart from its peer says little, so every ratio
    is taken within one round (the runs of a round follow each other) and the median of the per-round
    ratios is reported next to the medians of each side. Variants: ``lint --no-cache`` without node
    sizes, the same with ``--nodes-args`` (node sizes, so the budget rules and the scheduling
    simulation run), and ``budget`` at each of ``--budget-nodes`` node counts.
    """
    variants: list[tuple[str, str, list[str]]] = []
    kc = args.kubeconform_path
    cmd = kubeconform_cmd(kc, manifests, work, args.kubernetes_version) if kc else None
    if cmd:
        variants.append(("kubeconform", "kubeconform -strict", cmd))
    else:
        log("  kubeconform not found (or no local schemas): no side-by-side ratio")
    node_args = args.nodes_args.split()
    variants.append(("nocache", "lint --no-cache", lint_cmd(gg, manifests, "--no-cache")))
    variants.append(
        ("nodes", f"lint --no-cache {args.nodes_args}", lint_cmd(gg, manifests, "--no-cache", *node_args))
    )
    base_nodes = list(node_args)
    if "--nodes" in base_nodes:  # the node size without the count
        i = base_nodes.index("--nodes")
        del base_nodes[i : i + 2]
    counts = [int(x) for x in args.budget_nodes.split(",") if x.strip()] if n == args.budget_size else []
    for count in counts:
        variants.append(
            (
                f"budget{count}",
                f"budget, {count} nodes",
                [*gg, "budget", str(manifests), "--format", "json", *base_nodes, "--nodes", str(count)],
            )
        )
    samples: dict[str, list[Run]] = {key: [] for key, _l, _c in variants}
    for round_ in range(args.rounds):
        for key, label, c in variants:
            r = measure(label, c, cwd=corpus, resources=n)
            samples[key].append(r)
        log(
            f"  round {round_ + 1}: "
            + ", ".join(
                f"{key} {samples[key][-1].wall:.2f} s/{samples[key][-1].tree_mb:.0f} MB"
                for key, _l, _c in variants
            )
        )
    out: dict[str, Any] = {"runs": {}, "ratios": {}, "walls": {}}
    for key, _label, _c in variants:
        runs = samples[key]
        if key == "kubeconform":
            for r in runs:
                try:
                    summary = json.loads(r.stdout).get("summary", {})
                except (ValueError, AttributeError):
                    summary = {}
                if not summary.get("valid", 0) and not summary.get("invalid", 0):
                    r.rc = -1  # validated nothing (schemas not found?): not a valid measurement
                    r.stderr += "\nkubeconform validated no resource"
        med = median_run(runs)
        med.extra["tree_max"] = max(r.tree_mb for r in runs)
        out["runs"][f"sbs-{key}"] = med
        out["walls"][key] = [r.wall for r in runs]
    if "kubeconform" in samples and not any(r.failed for r in samples["kubeconform"]):
        for key, _label, _c in variants:
            if key != "kubeconform":
                per_round = [
                    a.wall / b.wall for a, b in zip(samples[key], samples["kubeconform"], strict=True)
                ]
                out["ratios"][key] = (_median(per_round), min(per_round), max(per_round))
    if len(counts) >= 2:
        lo, hi = f"budget{counts[0]}", f"budget{counts[-1]}"
        per_round = [a.wall / b.wall for a, b in zip(samples[hi], samples[lo], strict=True)]
        out["ratios"]["budget_scale"] = (_median(per_round), min(per_round), max(per_round))
        out["budget_counts"] = (counts[0], counts[-1])
    for key, (med, lo_, hi_) in out["ratios"].items():
        log(f"  ratio {key}: median {med:.2f} (rounds {lo_:.2f}-{hi_:.2f})")
    if args.reference_gitops_gen:
        same: dict[str, bool] = {}
        for key, _label, c in variants:
            if key == "kubeconform" or key.startswith("budget"):
                continue
            ref_cmd = [args.reference_gitops_gen, *c[len(gg) :]]
            ref = measure(f"reference {key}", ref_cmd, cwd=corpus, resources=n)
            same[key] = ref.stdout == samples[key][0].stdout and ref.rc == samples[key][0].rc
        out["same_as_reference"] = same
        log(f"  byte-identical JSON to {args.reference_gitops_gen}: {same}")
    return out


def _checkov_resources(stdout: str) -> int:
    try:
        data = json.loads(stdout)
    except ValueError:
        return 0
    reports = data if isinstance(data, list) else [data]
    total = 0
    for rep in reports:
        summary = rep.get("summary", rep) if isinstance(rep, dict) else {}
        total += int(summary.get("resource_count", 0) or 0)
    return total


#: the interpreter starting and importing click, nothing of gitops-gen: what ``--help`` cannot go below
#: (measured beside it, the machine's speed of the moment)
CLICK_FLOOR = [sys.executable, "-c", "import click"]


def bench_cli(args: argparse.Namespace, gg: list[str], work: Path, log: Any) -> dict[str, Run]:
    out: dict[str, Run] = {}
    helps, floors = [], []
    for _ in range(args.repeat_short):  # in alternation with the floor of --help on this machine now
        helps.append(measure("gitops-gen --help", [*gg, "--help"], cwd=work))
        floors.append(
            measure("reference: python -c 'import click' (the floor of --help)", CLICK_FLOOR, cwd=work)
        )
    out["help"] = median_run(helps)
    out["click_floor"] = median_run(floors)
    one = work / "one"
    gen_corpus.write_corpus(one, 7, seed=args.seed)
    ones = [
        measure(
            "lint of one file (--no-cache)",
            lint_cmd(gg, one / "manifests", "--no-cache"),
            cwd=one,
            resources=7,
        )
        for _ in range(args.repeat_short)
    ]
    out["one"] = median_run(ones)
    # the same file inside a repository with specs/ (the pre-commit hook's case): the platform spec is read
    shutil.copytree(args.specs, one / "specs", dirs_exist_ok=True)
    target = sorted((one / "manifests").rglob("*.yaml"))[0]
    ones = [
        measure(
            "lint of one file in a repo with specs/",
            lint_cmd(gg, target.relative_to(one), "--no-cache"),
            cwd=one,
            resources=1,
        )
        for _ in range(args.repeat_short)
    ]
    out["one_specs"] = median_run(ones)
    # the same with the lint cache, as the pre-commit hook runs it (`gitops-gen lint`): once the specs are
    # validated, their platform facts come from the cache while they are unchanged (no Pydantic import)
    cache = work / "one-cache"
    shutil.rmtree(cache, ignore_errors=True)
    measure("warm-up", lint_cmd(gg, target.relative_to(one), "--cache-dir", str(cache)), cwd=one)
    ones = [
        measure(
            "lint of one file, specs/, with cache",
            lint_cmd(gg, target.relative_to(one), "--cache-dir", str(cache)),
            cwd=one,
            resources=1,
        )
        for _ in range(args.repeat_short)
    ]
    out["one_specs_cached"] = median_run(ones)
    # the pre-commit hook's usual case: the file was just edited (its cached result no longer applies),
    # the specs were not (their platform facts still come from the cache)
    old = target.read_text(encoding="utf-8")
    ones = []
    try:
        for i in range(args.repeat_short):
            edit_label(target, old, f"edit{i}")
            ones.append(
                measure(
                    "lint of one edited file, specs/, with cache",
                    lint_cmd(gg, target.relative_to(one), "--cache-dir", str(cache)),
                    cwd=one,
                    resources=1,
                )
            )
    finally:
        target.write_text(old, encoding="utf-8")
    out["one_specs_edited"] = median_run(ones)
    specs = args.specs
    render_out = work / "render-out"
    shutil.rmtree(render_out, ignore_errors=True)
    renders = [
        measure(
            "render reference specs",
            [*gg, "render", "--specs", str(specs), "--out", str(render_out)],
            cwd=work,
        )
        for _ in range(args.repeat_short)
    ]
    out["render"] = median_run(renders)
    for r in out.values():
        note = f" rc={r.rc}" + (
            f" {r.stderr.strip().splitlines()[-1][:160]}" if r.rc and r.stderr.strip() else ""
        )
        log(
            f"  {r.label:<34} {r.wall:8.3f} s wall (median of {len(r.extra['walls'])}) "
            f"{r.cpu:6.3f} s CPU {r.tree_mb:5.0f} MB{note}"
        )
    return out


# ----------------------------------------------------------------------------------------- report
def fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}"


def targets(results: list[dict[str, Any]], cli: dict[str, Run], args: argparse.Namespace) -> list[str]:
    """The table of goals, each a ratio measured in the same rounds or an absolute bound."""
    lines = ["| target | measured | goal | met |", "|---|---:|---:|:-:|"]

    def row(name: str, value: float | None, goal: str, ok: bool | None, unit: str = "") -> None:
        shown = "n/a" if value is None else f"{value:.2f}{unit}"
        lines.append(f"| {name} | {shown} | {goal} | {'n/a' if ok is None else ('yes' if ok else 'NO')} |")

    for res in results:
        n = res["n"]
        cold = res["runs"].get("cold")
        if cold is None or cold.failed:
            continue
        side = res.get("side", {})
        for key, most in (("nodes", TARGETS["ratio_nodes"]), ("nocache", TARGETS["ratio_nodes"])):
            if key in side.get("ratios", {}):
                med, lo, hi = side["ratios"][key]
                label = side_label(args, key)
                row(
                    f"{n:,}: {label} / kubeconform -strict, wall, same rounds "
                    f"(median of {args.rounds} per-round ratios; {lo:.2f}-{hi:.2f})",
                    med,
                    f"<= {most}",
                    med <= most,
                )
        if "budget_scale" in side.get("ratios", {}):
            med, lo, hi = side["ratios"]["budget_scale"]
            small, big = side["budget_counts"]
            row(
                f"{n:,}: budget with {big:,} nodes / with {small:,} nodes, wall, same rounds "
                f"({lo:.2f}-{hi:.2f})",
                med,
                f"<= {TARGETS['budget_scale']}",
                med <= TARGETS["budget_scale"],
            )
        ours = [r for k, r in res["runs"].items() if k not in ("sbs-kubeconform", "checkov")]
        peak = max(r.tree_mb for r in ours)
        pss = max(r.tree_pss_mb for r in ours)
        label = f"{n:,}: peak memory, process tree"
        if n >= 100_000:  # the memory goal is set for the 100,000-resource corpus
            row(f"{label} (PSS sum)", pss, "<= 500", pss <= TARGETS["rss_mb"], " MB")
        else:
            row(f"{label} (PSS sum)", pss, "(no goal)", None, " MB")
        row(f"{label} (RSS sum: shared pages once per process)", peak, "(no goal)", None, " MB")
        relint = res["runs"].get("relint")
        if relint is not None and not relint.failed:
            row(f"{n:,}: warm re-lint after a one-file change", relint.wall, "< 0.3", relint.wall < 0.3, " s")
        ck = res["runs"].get("checkov")
        if ck is not None and not ck.failed:
            speed = ck.wall / cold.wall
            row(f"{n:,}: checkov wall / lint wall", speed, ">= 20", speed >= TARGETS["checkov_speedup"], "x")
    shorts: tuple[tuple[str, str, float | None], ...] = (
        ("render", "< 0.5", TARGETS["render_s"]),
        ("click_floor", "(no goal)", None),
        ("help", "< 0.1", TARGETS["help_s"]),
        ("one", "< 0.2", TARGETS["one_s"]),
        ("one_specs", "< 0.2", TARGETS["one_s"]),
        ("one_specs_cached", "< 0.2", TARGETS["one_s"]),
        ("one_specs_edited", "< 0.2", TARGETS["one_s"]),
    )
    for key, goal, limit in shorts:
        r = cli.get(key)
        if r is not None:
            row(
                r.label + " (incl. interpreter start)",
                None if r.rc else r.wall,
                goal,
                None if r.rc or limit is None else r.wall < limit,
                " s",
            )

    return lines


def report(
    results: list[dict[str, Any]],
    cli: dict[str, Run],
    args: argparse.Namespace,
    tools: dict[str, str | None],
    version: str,
) -> str:
    lines = [
        "# gitops-gen benchmark",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; gitops-gen {version}",
        f"- load average before the run: {args.load_before}; after: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine skews the figures)",
        f"- measured commands run at niceness {args.nice if args.nice is not None else 'unchanged (0)'}",
        f"- corpus: bench/gen_corpus.py --seed {args.seed} --defects {args.defects:g}",
        f"- kubeconform: {tools['kubeconform'] or 'not found (no ratio)'}; side by side: {args.rounds} "
        "rounds, each running kubeconform and every gitops-gen variant one after the other; ratios are "
        "per round, then the median",
        f"- checkov: {tools['checkov'] or 'not found'}",
        "- wall: monotonic clock around the child; CPU: user+sys of the child and every descendant it "
        "reaped (os.wait4); tree RSS: peak of the summed RSS of the process tree, sampled every 10 ms "
        "(a page shared by forked processes counts once per process); tree PSS: peak of the summed "
        "proportional set size (/proc/PID/smaps_rollup, every 50 ms: a shared page counts once in all); "
        "max proc RSS: ru_maxrss from wait4 (largest single process; on Linux it includes the size of "
        "this benchmark process at the fork before the exec, so it is an upper bound)",
        "",
        "| corpus | run | wall s | CPU s | tree RSS MB | tree PSS MB | max proc RSS MB | resources/s | exit |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for r in res["runs"].values():
            lines.append(
                f"| {res['n']:,} | {r.label} | {fmt_s(r.wall)} | {fmt_s(r.cpu)} | {r.tree_mb:.0f} | "
                f"{r.tree_pss_mb:.0f} | {r.maxrss_mb:.0f} | {r.rps:,.0f} | {r.rc} |"
            )
    for r in cli.values():
        lines.append(
            f"| - | {r.label} (median) | {fmt_s(r.wall)} | {fmt_s(r.cpu)} | {r.tree_mb:.0f} | "
            f"{r.tree_pss_mb:.0f} | {r.maxrss_mb:.0f} | | {r.rc} |"
        )

    lines += ["", "## Targets", "", *targets(results, cli, args)]
    lines += ["", "## Correctness at scale", ""]
    clean = getattr(args, "clean_findings", None)
    lines.append(
        f"- clean corpus (no injected defect): {'n/a' if clean is None else clean} findings (goal: 0)"
    )
    for res in results:
        same = res.get("identical", {})
        lines.append(
            f"- {res['n']:,}: findings identical to `--jobs 1 --no-cache`: "
            + ", ".join(f"{k}: {'yes' if v else ('NO' if v is False else 'n/a')}" for k, v in same.items())
        )
        ref = res.get("side", {}).get("same_as_reference")
        if ref is not None:
            lines.append(
                f"- {res['n']:,}: JSON byte-identical to {args.reference_gitops_gen}: "
                + ", ".join(f"{side_label(args, k)}: {'yes' if v else 'NO'}" for k, v in ref.items())
            )
        rec = res.get("recall")
        if rec:
            lines.append(
                f"  - recall: {rec['found']}/{rec['defects']} injected defects found "
                f"({', '.join(f'{k} {v}' for k, v in rec['per_kind'].items())}); "
                f"{len(rec['unexpected'])} findings on objects without an injected defect"
            )
            for d in rec["missed"][:10]:
                lines.append(f"  - missed {d['kind']}: {d['resources'][0]} ({d['file']}:{d['line']})")
            if rec["unexpected"]:
                by_rule = Counter(f"{f.get('rule')}:{f.get('severity')}" for f in rec["unexpected"])
                lines.append(f"  - findings on clean objects by rule: {dict(sorted(by_rule.items()))}")
    return "\n".join(lines) + "\n"


README_START = "<!-- bench/run.py --readme: start -->"
README_END = "<!-- bench/run.py --readme: end -->"


def update_readme(
    readme: Path, results: list[dict[str, Any]], cli: dict[str, Run], args: argparse.Namespace, version: str
) -> None:
    """Replace the README's performance table (between its markers) with this run's."""
    text = readme.read_text(encoding="utf-8")
    a, b = text.find(README_START), text.find(README_END)
    if a < 0 or b < a:
        sys.exit(f"{readme}: no {README_START} ... {README_END} block to rewrite")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    block = [
        README_START,
        f"Measured by `python bench/run.py --sizes {args.sizes} --readme` ({version}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average {args.load_before} before, "
        f"{load} after: a shared machine). kubeconform "
        f"({Path(args.kubeconform_path).name if args.kubeconform_path else 'not found'}, `-strict`) and "
        f"gitops-gen ran in alternation, {args.rounds} rounds; each ratio is the median of the per-round "
        "ratios. Every figure is from that run, none is a reference figure.",
        "",
        *targets(results, cli, args),
        README_END,
    ]
    readme.write_text(text[:a] + "\n".join(block) + text[b + len(README_END) :], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark gitops-gen (lint, render, start-up).")
    ap.add_argument("--sizes", default="1000,10000,50000", help="corpus sizes, comma-separated")
    ap.add_argument("--defects", type=float, default=0.1, help="share of apps with an injected defect")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--gitops-gen", dest="gitops_gen", default=None, help="the CLI to run (default: installed)"
    )
    ap.add_argument(
        "--kubeconform",
        default=None,
        help="kubeconform binary (default: ../shared/tools/bin/kubeconform when present, else on PATH)",
    )
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the side-by-side runs (medians)")
    ap.add_argument(
        "--nodes-args",
        default="--node-cpu 4 --node-memory 16Gi --nodes 200",
        help="node flags of the lint run with node sizes (default: a 200-node cluster of 4 CPU, 16Gi)",
    )
    ap.add_argument("--budget-nodes", default="10,1000", help="node counts of the side-by-side `budget` runs")
    ap.add_argument("--budget-size", type=int, default=10000, help="corpus size of the budget runs")
    ap.add_argument(
        "--reference-gitops-gen",
        default=None,
        help="another gitops-gen (e.g. main's) whose JSON output must be byte-identical",
    )
    ap.add_argument(
        "--readme",
        action="store_true",
        help="rewrite the performance table of README.md (between its bench markers) from this run",
    )
    ap.add_argument("--checkov", default=None, help="checkov executable (default: on PATH)")
    ap.add_argument("--checkov-max", type=int, default=1000, help="run checkov on corpora up to this size")
    ap.add_argument("--kubernetes-version", default="1.34")
    ap.add_argument("--specs", type=Path, default=REPO / "specs", help="specs to render (default: specs/)")
    ap.add_argument("--repeat-short", type=int, default=5, help="repetitions of the short runs (median)")
    ap.add_argument("--work", type=Path, default=HERE / ".corpus", help="corpora and caches")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "latest.md")
    ap.add_argument("--json", type=Path, default=None, help="also write raw figures as JSON")
    ap.add_argument(
        "--nice",
        type=int,
        default=None,
        help="run every measured command in its own session at this niceness (e.g. -15, needs "
        "root) so that other work on a shared machine interferes less; applies to "
        "kubeconform/Checkov too",
    )
    args = ap.parse_args(argv)
    global PRIORITY
    PRIORITY = args.nice

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    gg = find_gitops_gen(args.gitops_gen)
    bytecode_as_installed()
    args.work.mkdir(parents=True, exist_ok=True)
    args.kubeconform_path = find_kubeconform(args.kubeconform)
    tools = {
        "kubeconform": args.kubeconform_path,
        "checkov": find_tool(args.checkov, "checkov"),
    }

    def log(msg: str) -> None:
        print(msg, flush=True)

    args.load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    if os.getloadavg()[0] > 0.5:
        log(f"warning: load average {args.load_before}: other processes compete for the CPUs")
    version = subprocess.run([*gg, "--version"], capture_output=True, text=True).stdout.strip()
    log(
        f"gitops-gen: {' '.join(gg)} ({version}); kubeconform: {tools['kubeconform'] or 'not found'}; "
        f"checkov: {tools['checkov'] or 'not found'}"
    )
    log("\n## start-up and render")
    cli = bench_cli(args, gg, args.work, log)
    results = [bench_size(n, args, gg, args.work, log) for n in sizes]
    clean = args.work / f"r{sizes[0]}-clean"
    gen_corpus.write_corpus(clean, sizes[0], seed=args.seed, defects=0.0)
    r = measure(
        "lint of the clean corpus",
        lint_cmd(gg, clean / "manifests", "--no-cache"),
        cwd=clean,
        resources=sizes[0],
    )
    got = findings_of(r)
    args.clean_findings = None if got is None else len(got)
    log(
        f"\nclean {sizes[0]:,}-resource corpus (no injected defect): "
        f"{'lint failed' if got is None else f'{len(got)} findings'} (rc={r.rc})"
    )
    text = report(results, cli, args, tools, version)
    if args.readme:
        update_readme(REPO / "README.md", results, cli, args, version)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    if args.json:
        raw = [
            {
                "n": r["n"],
                "runs": {
                    k: {
                        "wall": v.wall,
                        "cpu": v.cpu,
                        "tree_mb": v.tree_mb,
                        "tree_pss_mb": v.tree_pss_mb,
                        "maxrss_mb": v.maxrss_mb,
                        "rc": v.rc,
                    }
                    for k, v in r["runs"].items()
                },
            }
            for r in results
        ]
        args.json.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    log("\n" + text)
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
