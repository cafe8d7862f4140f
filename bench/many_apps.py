"""Render and diff at scale (issue 15): N copies of the bundled app in a scratch git repository.

    python bench/many_apps.py --apps 1000

Prints the wall time (median of --rounds runs, interpreter start included) of ``render``, ``render --check``
and ``diff --base HEAD`` after one app's ``maxReplicas`` changed (with an empty result cache, and run
again); goals 1.5 s and 5 s at 1,000 apps.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _timed(cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--apps", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    gg = [sys.executable, "-m", "gitops_gen"]
    with tempfile.TemporaryDirectory(prefix="gitops-gen-apps-") as tmp:
        repo = Path(tmp)
        shutil.copytree(REPO / "specs", repo / "specs")
        app = repo / "specs/apps/lingua-app.yaml"
        text = app.read_text(encoding="utf-8").replace("  imagePullSecret: ghcr-creds\n", "")
        app.unlink()
        for i in range(args.apps):
            name = f"app-{i:04d}"
            (repo / f"specs/apps/{name}.yaml").write_text(
                text.replace("lingua-app", name).replace("lingua.cachefly.site", f"{name}.cachefly.site"),
                encoding="utf-8",
            )
        git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
        subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
        renders = []
        for _ in range(args.rounds):  # each into an empty output/
            shutil.rmtree(repo / "output", ignore_errors=True)
            renders.append(_timed([*gg, "render"], repo))
        render = statistics.median(renders)
        subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-qm", "apps"], cwd=repo, check=True)
        check = statistics.median(_timed([*gg, "render", "--check"], repo) for _ in range(args.rounds))
        changed = repo / "specs/apps/app-0007.yaml"
        changed.write_text(changed.read_text().replace("maxReplicas: 5", "maxReplicas: 6"), encoding="utf-8")
        # diff lints both sides with the result cache: each round's first run finds it empty (a CI
        # runner's first diff), its second finds what the first stored (the same diff run again)
        firsts, agains = [], []
        for i in range(args.rounds):
            cmd = [*gg, "diff", "--base", "HEAD", "--cache-dir", str(Path(tmp) / f"cache-{i}")]
            firsts.append(_timed(cmd, repo, (0, 1)))
            agains.append(_timed(cmd, repo, (0, 1)))
        first, again = statistics.median(firsts), statistics.median(agains)
    print(
        f"{args.apps} apps, median of {args.rounds}: render {render:.2f} s, render --check {check:.2f} s "
        f"(goal 1.5 s), diff --base HEAD {first:.2f} s with an empty cache, {again:.2f} s run again "
        "(goal 5 s)"
    )


if __name__ == "__main__":
    main()
