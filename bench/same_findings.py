#!/usr/bin/env python3
"""Compare the JSON findings of two gitops-gen builds, byte for byte (a refactoring must not change them).

    python bench/same_findings.py /work/main/.venv/bin/gitops-gen DIR [DIR ...]

Runs ``lint DIR --format json --no-cache`` (and again with node sizes, so that the budget rules and the
scheduling simulation run) with this checkout's ``gitops-gen`` and with the reference one, in DIR's
parent, and reports every run whose output or exit code differs. Exit 1 when one does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

VARIANTS = (
    ("plain", []),
    ("nodes", ["--node-cpu", "4", "--node-memory", "16Gi", "--nodes", "200"]),
)


def run(exe: str, target: Path, extra: list[str]) -> tuple[int, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.run(
        [exe, "lint", target.name, "--format", "json", "--no-cache", *extra],
        cwd=target.parent,
        capture_output=True,
        env=env,
        timeout=3600,
        check=False,
    )
    return proc.returncode, proc.stdout + b"\0" + proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reference", help="the gitops-gen executable to compare with (e.g. main's)")
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--mine", default=shutil.which("gitops-gen") or "gitops-gen")
    args = ap.parse_args()
    differ = 0
    for d in args.dirs:
        target = d.resolve()
        for label, extra in VARIANTS:
            rc_a, out_a = run(args.reference, target, extra)
            rc_b, out_b = run(args.mine, target, extra)
            same = rc_a == rc_b and out_a == out_b
            differ += not same
            print(f"{'same' if same else 'DIFFERENT':9} {label:5} rc={rc_b} {len(out_b):>9} B  {target}")
    print(f"{differ} run(s) differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
