"""The program's exit (cli._exit_now): the exit handlers run, output is complete, exit codes are kept,
and a running thread is still joined, as with the interpreter's own exit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from git_helpers import git

from gitops_gen.cli import main

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import atexit, sys, tempfile, threading, time
scratch = tempfile.TemporaryDirectory()  # never cleaned up here: weakref.finalize does it at exit
print("SCRATCH:" + scratch.name, file=sys.stderr)
atexit.register(lambda: print("HANDLER RAN", file=sys.stderr))
if sys.argv[1] == "thread":
    def late():
        time.sleep(0.3)
        print("THREAD DONE", file=sys.stderr, flush=True)
    threading.Thread(target=late).start()
sys.argv = ["gitops-gen", *sys.argv[2:]]
from gitops_gen.cli import main
main()
print("NOT REACHED")
"""


def _program(tmp_path: Path, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, mode, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_exit_runs_handlers_and_keeps_output_and_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    proc = _program(tmp_path, "plain", "rules", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(SystemExit):
        main(["rules", "--format", "markdown"])  # the same command in this process: the whole output
    assert proc.stdout == capsys.readouterr().out
    assert "NOT REACHED" not in proc.stdout  # the program ends in main()
    assert "HANDLER RAN" in proc.stderr
    scratch = Path(proc.stderr.split("SCRATCH:", 1)[1].split("\n", 1)[0])
    assert not scratch.exists()  # finalizers ran (weakref.finalize's exit handler)
    missing = _program(tmp_path, "plain", "lint", str(tmp_path / "missing.yaml"))
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr
    assert "HANDLER RAN" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {bogus: 1}\n", encoding="utf-8")
    found = _program(tmp_path, "plain", "lint", str(bad), "--no-cache")
    assert found.returncode == 1 and "bogus" in found.stdout


def test_exit_waits_for_a_running_thread(tmp_path: Path) -> None:
    proc = _program(tmp_path, "thread", "--version")
    assert proc.returncode == 0 and "version" in proc.stdout
    assert "THREAD DONE" in proc.stderr and "HANDLER RAN" in proc.stderr


STUCK_PROBE = """
import sys, time
from gitops_gen.diff import deltas
def stuck(*args, **kwargs):  # inside the base's export and the scratch trees: both are on disk now
    print("STUCK", file=sys.stderr, flush=True)
    time.sleep(120)
deltas.add_deltas = stuck
sys.argv = ["gitops-gen", *sys.argv[1:]]
from gitops_gen.cli import main
main()
"""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_termination_unwinds_the_command_and_leaves_no_scratch(signame: str, tmp_path: Path) -> None:
    """`kill` (a cancelled CI job, a pre-commit timeout) or a closed terminal while `diff` holds its
    scratch directories: they are removed, and the exit code is still 128 + the signal's number."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "specs", root / "specs")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "specs")
    app = root / "specs" / "apps" / "lingua-app.yaml"
    app.write_text(app.read_text(encoding="utf-8").replace("maxReplicas: 5", "maxReplicas: 6"), "utf-8")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK_PROBE, "diff", "--base", "HEAD", "--no-cache"],
        cwd=root,
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until the command is stuck (or ends)
        assert line == "STUCK\n", line + proc.stderr.read()
        assert len(list(scratch.iterdir())) == 2  # the base's export and the repository's place
        proc.send_signal(getattr(signal, signame))
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 128 + getattr(signal, signame)
    assert err.strip() == "terminated"  # no traceback
    assert list(scratch.iterdir()) == []
