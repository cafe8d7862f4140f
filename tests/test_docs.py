"""Every command example in README.md and docs/*.md is run, and its output compared, so claims cannot drift
(issue 14 item 7).

Each fenced block is one of:

* a **transcript**: lines ``$ command`` each followed by the output it prints (stdout and stderr, as a
  terminal shows them). The output is compared line by line; a line ``...`` stands for any number of
  lines. A command followed directly by another ``$`` line shows no output: it must then exit 0 or 1
  (findings), never 2 (usage) or with an internal error;
* a **shell** block (``sh``, ``bash``, ``console``): run with ``bash -e``, so every command must exit 0;
* anything else (YAML, JSON shapes, file trees): not a command. Every ``gitops-gen SUBCOMMAND`` line in
  any block (usage synopses included) may only name options that subcommand has.

Everything runs in a scratch git repository holding a copy of this repository's tracked files (the
bundled ``specs/`` and ``output/`` included). Markers in an HTML comment right above a block:
``<!-- docs-test: setup ... -->`` is shell run first (may span lines), ``<!-- docs-test: requires TOOL -->``
skips the block when TOOL is not on PATH, ``<!-- docs-test: skip REASON -->`` exempts it (installs,
benchmarks of minutes, a live cluster); a skip must say why.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

from gitops_gen.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SHARED_BIN = ROOT.parent / "shared" / "tools" / "bin"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"<!--\s*docs-test:\s*(setup|skip|requires)\b(.*?)-->", re.S)

pytestmark = pytest.mark.slow


@dataclass
class Block:
    file: Path
    line: int  # of the opening fence
    lang: str
    lines: list[str]
    setup: list[str] = field(default_factory=list)
    skip: str | None = None
    requires: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.file.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def transcript(self) -> bool:
        return bool(self.lines) and self.lines[0].startswith("$ ")


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("```"):
            i += 1
            continue
        start, lang = i, lines[i][3:].strip()
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        block = Block(path, start + 1, lang, lines[start + 1 : j])
        before = "\n".join(lines[:start]).rstrip()
        while before.endswith("-->"):  # the markers right above the fence
            opening = before.rfind("<!--")
            m = MARKER.fullmatch(before[opening:])
            if m is None:
                break
            kind, arg = m.group(1), m.group(2).strip()
            if kind == "setup":
                block.setup.insert(0, arg)
            elif kind == "requires":
                block.requires.append(arg)
            else:
                block.skip = arg
            before = before[:opening].rstrip()
        out.append(block)
        i = j + 1
    return out


ALL = [b for p in DOCS for b in blocks(p)]
RUNNABLE = [b for b in ALL if b.transcript or b.lang in SHELL_LANGS]


def test_the_docs_have_command_examples() -> None:
    assert len(RUNNABLE) >= 10 and sum(b.transcript for b in RUNNABLE) >= 5
    for b in ALL:
        assert b.skip is None or b.skip, f"{b.id}: a skipped example must say why"


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A git repository holding this repository's tracked files as they are in the work tree."""
    root = tmp_path / "repo"
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, root / rel)
    git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "docs sandbox"], cwd=root, check=True)
    return root


def _env() -> dict[str, str]:
    env = dict(os.environ)
    path = [str(Path(sys.executable).parent), env.get("PATH", "")]
    if SHARED_BIN.is_dir():
        path.insert(1, str(SHARED_BIN))
    env.update(PATH=os.pathsep.join(path), NO_COLOR="1", GITOPS_GEN_NO_CACHE="1")
    env.pop("COLUMNS", None)  # output to a pipe: every column, no wrapping, as the docs show it
    return env


def _sh(command: str, cwd: Path, *, strict: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", *(["-e", "-o", "pipefail"] if strict else []), "-c", command],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def _matches(expected: list[str], actual: list[str]) -> bool:
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line.strip() == "..." else re.escape(line.rstrip()) + r"\n" for line in expected
    )
    return re.fullmatch(pattern, "".join(line.rstrip() + "\n" for line in actual)) is not None


def _commands(block: Block) -> list[tuple[str, list[str]]]:
    """The ``$`` commands of a transcript with the output lines shown after each."""
    out: list[tuple[str, list[str]]] = []
    for line in block.lines:
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return [(cmd, shown[:-1] if shown and not shown[-1].strip() else shown) for cmd, shown in out]


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_command_example_runs_and_prints_what_the_docs_show(block: Block, sandbox: Path) -> None:
    if block.skip:
        pytest.skip(f"{block.id}: {block.skip}")
    for tool in block.requires:
        if shutil.which(tool, path=_env()["PATH"]) is None:
            pytest.skip(f"{block.id} needs {tool}")
    for setup in block.setup:
        done = _sh(setup, sandbox, strict=True)
        assert done.returncode == 0, f"{block.id}: setup failed:\n{done.stdout}"
    if not block.transcript:
        done = _sh("\n".join(block.lines), sandbox, strict=True)
        assert done.returncode == 0, f"{block.id}: exit {done.returncode}:\n{done.stdout}"
        return
    for command, shown in _commands(block):
        done = _sh(command, sandbox)
        actual = done.stdout.splitlines()
        if not shown:
            assert done.returncode in (0, 1), (
                f"{block.id}: `{command}` exit {done.returncode}:\n{done.stdout}"
            )
            assert "internal error" not in done.stdout
            continue
        assert _matches(shown, actual), (
            f"{block.id}: `{command}` printed (exit {done.returncode}):\n{done.stdout}\n"
            f"--- the docs show:\n" + "\n".join(shown)
        )


def _options(path: tuple[str, ...]) -> set[str] | None:
    """Long and short option names of ``gitops-gen PATH`` (None: no such command)."""
    command: click.Command = cli
    for name in path:
        if not isinstance(command, click.Group) or name not in command.commands:
            return None
        command = command.commands[name]
    names = {"--help", "-h"}
    for param in command.params:
        names.update(getattr(param, "opts", []))
        names.update(getattr(param, "secondary_opts", []))
    return names


def _invocations(block: Block) -> list[tuple[int, list[str]]]:
    """``gitops-gen`` invocations in a block (continuation lines of a synopsis included), as words."""
    found: list[tuple[int, list[str]]] = []
    for n, line in enumerate(block.lines):
        for m in re.finditer(r"(?:^\s*(?:\$\s+)?|[;&|(`]\s*)gitops-gen\s+([^;&|`#]*)", line):
            words = m.group(1).split()
            k = n + 1
            while k < len(block.lines) and re.match(r"^\s+\[", block.lines[k]):  # synopsis continues
                words += block.lines[k].split()
                k += 1
            found.append((n, words))
    return found


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_every_option_the_docs_name_exists(block: Block) -> None:
    for n, words in _invocations(block):
        if not words or words[0].startswith("-"):
            continue
        path = tuple(words[:2]) if words[0] == "schemas" else (words[0],)
        opts = _options(path)
        assert opts is not None, f"{block.id}+{n + 1}: no command `gitops-gen {' '.join(path)}`"
        for word in words[len(path) :]:
            for opt in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", word.split("=", 1)[0]):
                assert opt in opts, f"{block.id}+{n + 1}: `gitops-gen {' '.join(path)}` has no option {opt}"


def test_shlex_can_split_every_transcript_command() -> None:
    for b in ALL:
        for command, _ in _commands(b) if b.transcript else []:
            assert shlex.split(command, comments=True), b.id
