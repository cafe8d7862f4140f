"""Entry points of the pre-commit hooks (``.pre-commit-hooks.yaml``).

``python -m gitops_gen.hooks render [--specs DIR] [--out DIR]`` behaves as a formatter does:
when ``gitops-gen render --check`` finds the output stale, it re-renders it and fails, so the
commit stops, the fresh files are in the work tree, and ``git add`` + commit again succeeds.
Exit codes: 0 up to date; 1 stale (and re-rendered); 2 bad specs or usage (nothing written).
"""

from __future__ import annotations

import sys

USAGE = "usage: python -m gitops_gen.hooks render [--specs DIR] [--out DIR]"


def _cli(argv: list[str]) -> int:
    """Run the gitops-gen CLI in-process (same error handling and exit codes) and return its code."""
    from gitops_gen.cli import main

    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 2
    return 0


def render_hook(args: list[str]) -> int:
    code = _cli(["render", "--check", *args])
    if code != 1:
        return code
    code = _cli(["render", *args])
    if code != 0:
        return code
    print(
        "gitops-gen: the rendered output was stale and has been re-rendered; "
        "review it, `git add` it and commit again.",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0 if argv else 2
    if argv[0] == "render":
        return render_hook(argv[1:])
    print(f"unknown hook {argv[0]!r}; {USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
