"""Read files as they are at a git ref, without touching the work tree or the index.

``git ls-tree`` lists the blobs under a path at the ref and one ``git cat-file --batch`` process
streams their contents; they are written into a temporary directory the caller owns. Every git
failure becomes a :class:`UserError` that says what to do (unknown ref, shallow clone, not a
repository), never a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath

from msgspec import Struct

from gitops_gen.errors import UserError

# What a user sees when the base ref is missing, the usual cause being a shallow CI checkout.
SHALLOW_HINT = (
    "check the name; in CI fetch the history too (actions/checkout with 'fetch-depth: 0', "
    "or 'git fetch origin <branch>')"
)


class GitRepo(Struct, frozen=True):
    root: Path  # the work tree's top-level directory (resolved)

    def run(
        self, *args: str, stdin: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        return _git(self.root, *args, stdin=stdin, check=check)


def _git(
    cwd: Path, *args: str, stdin: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise UserError(
            "git is not installed or not on PATH",
            hint="install git; `gitops-gen diff --output-dir OLD NEW` compares two rendered trees without it",
        )
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run([git, *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False)
    except OSError as exc:
        raise UserError(f"cannot run git: {exc.strerror or exc}") from None
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(f"git {args[0]} failed: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return proc


def find_repo(path: Path) -> GitRepo:
    """The git repository containing ``path`` (or its nearest existing parent)."""
    start = path.resolve()
    while not start.exists() and start != start.parent:
        start = start.parent
    if start.is_file():
        start = start.parent
    proc = _git(start, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise UserError.at(
            str(path),
            "is not inside a git repository, so there is no base to compare with",
            hint="run gitops-gen diff inside your repository, or compare two rendered "
            "trees with --output-dir OLD NEW",
        )
    root = Path(proc.stdout.decode("utf-8", "replace").strip())
    return GitRepo(root.resolve())


def resolve_ref(repo: GitRepo, ref: str) -> str:
    """The commit id ``ref`` names; :class:`UserError` when it names none."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
        raise UserError(
            f"invalid git ref {ref!r}", hint="pass a branch, tag or commit, e.g. --base origin/main"
        )
    proc = repo.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
    if proc.returncode != 0:
        shallow = repo.run("rev-parse", "--is-shallow-repository", check=False).stdout.strip() == b"true"
        hint = SHALLOW_HINT if shallow else "check the name (`git branch -a`, `git log --oneline`)"
        if ref == "HEAD":
            hint = "the repository has no commit yet; commit your specs first, or use --output-dir OLD NEW"
        raise UserError(
            f"unknown git ref {ref!r}" + (" (this clone is shallow)" if shallow else ""), hint=hint
        )
    return proc.stdout.decode().strip()


def relative_to_root(repo: GitRepo, path: Path) -> str:
    """``path`` relative to the repository root, POSIX style ('' for the root itself)."""
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(repo.root)
    except ValueError:
        raise UserError.at(
            str(path),
            f"is outside the git repository {repo.root}",
            hint="pass a --specs directory inside the repository",
        ) from None
    text = rel.as_posix()
    return "" if text == "." else text


def export_path(
    repo: GitRepo, commit: str, relpath: str, dest: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")
) -> list[str]:
    """Write the files under ``relpath`` at ``commit`` into ``dest`` (keeping their repository paths).

    Only regular files whose names end with one of ``suffixes`` are exported; symlinks and
    submodules are skipped. Returns the exported repository paths, sorted. An empty list means
    nothing of that kind exists there at that commit.
    """
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if relpath:
        args += ["--", relpath]
    listing = repo.run(*args).stdout
    wanted: list[tuple[str, str]] = []  # (blob id, path)
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode not in ("100644", "100755") or not path.endswith(suffixes):
            continue
        if relpath and not (path == relpath or path.startswith(relpath.rstrip("/") + "/")):
            continue
        parts = PurePosixPath(path).parts
        if any(p in ("..", "") for p in parts) or path.startswith("/"):
            continue  # cannot happen in a sane repository; never write outside dest
        wanted.append((oid, path))
    if not wanted:
        return []
    batch = repo.run("cat-file", "--batch", stdin="".join(f"{oid}\n" for oid, _ in wanted).encode()).stdout
    view = memoryview(batch)
    top = str(dest)
    made: set[str] = set()  # directories made: thousands of files share a few (a mkdir each cost 0.1 s)
    pos = 0
    for oid, path in wanted:
        eol = batch.index(b"\n", pos)
        header = batch[pos:eol].split()
        if len(header) != 3 or header[0].decode() != oid:
            raise UserError(f"git cat-file returned an unexpected answer for {commit[:12]}:{path}")
        size = int(header[2])
        parts = PurePosixPath(path).parts
        head = os.path.join(top, *parts[:-1])
        if head not in made:
            os.makedirs(head, exist_ok=True)
            made.add(head)
        with open(os.path.join(head, parts[-1]), "wb") as fh:
            fh.write(view[eol + 1 : eol + 1 + size])
        pos = eol + 1 + size + 1
    return sorted(p for _, p in wanted)
