"""`ending.hold` keeps objects to the end of the process only when the command runs as the program
(issue 15: a 1,000-app diff spent ~0.13 s freeing its trees and views object by object)."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from gitops_gen import cli, ending

REPO = Path(__file__).resolve().parents[1]


class _Big:
    pass


def test_nothing_is_held_for_a_library_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ending, "_held", None)
    obj = _Big()
    ref = weakref.ref(obj)
    ending.hold(obj)
    del obj
    gc.collect()
    assert ref() is None  # freed as usual


def test_held_objects_live_to_the_exit_once_the_program_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ending, "_held", None)
    ending.until_exit()
    obj = _Big()
    ref = weakref.ref(obj)
    ending.hold(obj)
    del obj
    gc.collect()
    assert ref() is not None


@pytest.mark.parametrize("program", [False, True])
def test_a_command_holds_only_in_the_program(monkeypatch: pytest.MonkeyPatch, program: bool) -> None:
    monkeypatch.setattr(ending, "_held", None)
    monkeypatch.setattr(cli, "_program", program)
    cli._held_to_exit()
    assert (ending._held is not None) is program


def test_only_the_console_script_is_the_program(tmp_path: Path) -> None:
    """`main(argv)` (tests, embedding) is not; `main()` running a command is (not for --version)."""
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: b\n")
    with pytest.raises(SystemExit):
        cli.main(["lint", "--no-cache", str(manifest)])
    assert cli._program is False
    code = (
        "import sys, atexit\n"
        "from gitops_gen import cli\n"
        "atexit.register(lambda: print('program' if cli._program else 'library'))\n"
        "sys.argv = ['gitops-gen', *sys.argv[1:]]\n"
        "cli.main()\n"
    )
    for args, expected in ((["lint", "--no-cache", str(manifest)], "program"), (["--version"], "library")):
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, cwd=REPO
        ).stdout
        assert out.rstrip().endswith(expected), (args, out)
