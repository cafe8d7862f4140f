"""A function run in a forked child (gitops_gen.forked): its value comes back whole, a failing child
means "do it yourself", and what uses it (rendering many apps) gives the same files either way."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_gen import forked

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")


@pytest.fixture(autouse=True)
def _two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITOPS_GEN_JOBS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})


def test_the_childs_value_comes_back_whole_past_the_pipe_buffer() -> None:
    big = {
        "files": {f"apps/a-{i}/deployment.yaml": "x" * 1000 + str(i) for i in range(5000)},
        "n": [1, 2.5, None],
    }
    child = forked.start(lambda: big)
    assert child is not None
    assert child.result() == big
    assert child.result() is None  # collected once


def test_a_failing_child_gives_none() -> None:
    def boom() -> int:
        raise RuntimeError("no")

    child = forked.start(boom)
    assert child is not None and child.result() is None
    unmarshalable = forked.start(lambda: object())
    assert unmarshalable is not None and unmarshalable.result() is None


def test_a_child_that_exits_on_its_own_gives_none() -> None:
    child = forked.start(lambda: os._exit(3))
    assert child is not None and child.result() is None


def test_one_job_or_one_cpu_starts_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITOPS_GEN_JOBS", "1")
    assert forked.start(lambda: 1) is None
    monkeypatch.delenv("GITOPS_GEN_JOBS")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert forked.start(lambda: 1) is None


@pytest.mark.parametrize(("cap", "expected"), [("", 2), ("1", 1), ("3", 2), ("0", 2), ("two", 2), (" 1 ", 1)])
def test_gitops_gen_jobs_caps_the_cpus_used(monkeypatch: pytest.MonkeyPatch, cap: str, expected: int) -> None:
    """GITOPS_GEN_JOBS caps what gitops-gen uses (the lint pool too); other values are ignored."""
    from gitops_gen.lint import engine

    monkeypatch.setenv("GITOPS_GEN_JOBS", cap)
    assert forked.cpus() == expected
    assert engine._cpu_count() == expected
    assert forked.worthwhile() is (expected > 1)


def test_no_child_while_another_thread_runs() -> None:
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert forked.start(lambda: 1) is None
    finally:
        stop.set()
        other.join()
    child = forked.start(lambda: 1)
    assert child is not None and child.result() == 1


def _many_apps(tmp_path: Path, n: int) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    app = specs / "apps/lingua-app.yaml"
    text = app.read_text(encoding="utf-8").replace("  imagePullSecret: ghcr-creds\n", "")
    app.unlink()
    for i in range(n):
        name = f"app-{i:03d}"
        (specs / f"apps/{name}.yaml").write_text(
            text.replace("lingua-app", name).replace("lingua.cachefly.site", f"{name}.example.com"),
            encoding="utf-8",
        )
    return specs


def test_rendering_many_apps_beside_a_child_gives_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.render import engine
    from gitops_gen.spec.loader import load_specs

    specs = load_specs(_many_apps(tmp_path, engine.FORK_MIN_APPS + 3))
    started: list[object] = []
    real_start = forked.start

    def counted(fn: Callable[[], object]) -> forked.Forked[object] | None:
        child = real_start(fn)
        started.append(child)
        return child

    monkeypatch.setattr(forked, "start", counted)
    beside = engine.render_tree(specs, "output")
    assert len(started) == 1 and started[0] is not None  # the child rendered half of the apps
    monkeypatch.setenv("GITOPS_GEN_JOBS", "1")
    alone = engine.render_tree(specs, "output")
    assert len(started) == 2 and started[1] is None
    assert list(beside) == list(alone)
    assert beside == alone


def test_a_failed_child_is_made_up_for_by_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.render import engine
    from gitops_gen.spec.loader import load_specs

    specs = load_specs(_many_apps(tmp_path, engine.FORK_MIN_APPS))
    alone = engine.render_tree(specs, "output")

    real_start = forked.start
    started: list[object] = []

    def failing(fn: Callable[[], object]) -> forked.Forked[object] | None:
        child = real_start(lambda: 1 / 0)
        started.append(child)
        return child

    monkeypatch.setattr(forked, "start", failing)
    assert engine.render_tree(specs, "output") == alone
    assert len(started) == 1 and started[0] is not None


def test_spec_files_read_ahead_load_to_the_same_specs(tmp_path: Path) -> None:
    from gitops_gen.spec.files import READ_AHEAD_MIN_FILES, read_ahead
    from gitops_gen.spec.loader import load_specs

    specs_dir = _many_apps(tmp_path, READ_AHEAD_MIN_FILES)
    ahead = read_ahead(specs_dir)
    assert ahead is not None
    preread = ahead.result()
    assert len(preread.files) == len(preread.read) == READ_AHEAD_MIN_FILES + 1  # the apps and the platform
    assert all(docs is not None for _, docs in preread.read.values())
    got, alone = load_specs(specs_dir, preread=preread), load_specs(specs_dir)
    assert got.platform == alone.platform
    assert got.apps == alone.apps
    assert got.names == alone.names
    assert read_ahead(REPO / "specs") is None  # a few files: no child


def test_a_spec_file_the_child_could_not_read_is_reported_as_before(tmp_path: Path) -> None:
    from gitops_gen.errors import UserError
    from gitops_gen.spec.files import READ_AHEAD_MIN_FILES, read_ahead
    from gitops_gen.spec.loader import load_specs

    specs_dir = _many_apps(tmp_path, READ_AHEAD_MIN_FILES)
    (specs_dir / "apps/app-007.yaml").write_bytes(b"\xff\xfe not utf-8")
    ahead = read_ahead(specs_dir)
    assert ahead is not None
    preread = ahead.result()
    assert str(specs_dir / "apps/app-007.yaml") not in preread.read
    assert specs_dir / "apps/app-007.yaml" in preread.files  # listed: the loader reads it again
    with pytest.raises(UserError) as with_ahead:
        load_specs(specs_dir, preread=preread)
    with pytest.raises(UserError) as without:
        load_specs(specs_dir)
    assert str(with_ahead.value) == str(without.value)
    assert "app-007.yaml" in str(without.value)


def test_render_cancels_the_read_ahead_when_it_stops_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.errors import UserError
    from gitops_gen.render.api import run_render
    from gitops_gen.spec.files import READ_AHEAD_MIN_FILES

    specs_dir = _many_apps(tmp_path, READ_AHEAD_MIN_FILES)
    started: list[forked.Forked[object]] = []
    real_start = forked.start

    def kept(fn: Callable[[], object]) -> forked.Forked[object] | None:
        child = real_start(fn)
        if child is not None:
            started.append(child)
        return child

    monkeypatch.setattr(forked, "start", kept)
    out = tmp_path / "out"
    out.write_text("a file where the output directory should be", encoding="utf-8")
    with pytest.raises(UserError):
        run_render(specs_dir, out)
    assert len(started) == 1
    assert started[0].result() is None  # cancelled: its result is gone, the child reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0]._pid, os.WNOHANG)  # reaped: no child left behind


def test_an_error_in_this_processs_half_stops_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.render import engine
    from gitops_gen.spec.loader import load_specs

    specs = load_specs(_many_apps(tmp_path, engine.FORK_MIN_APPS))
    real_start, real_one = forked.start, engine._one_app
    started: list[forked.Forked[object]] = []

    def kept(fn: Callable[[], object]) -> forked.Forked[object] | None:
        child = real_start(fn)
        assert child is not None
        started.append(child)
        return child

    def one(app: Any, *args: Any, **kwargs: Any) -> Any:
        if app.metadata.name == "app-005":  # in this process's half
            raise RuntimeError("boom")
        return real_one(app, *args, **kwargs)

    monkeypatch.setattr(forked, "start", kept)
    monkeypatch.setattr(engine, "_one_app", one)
    with pytest.raises(RuntimeError, match="boom"):
        engine.render_tree(specs, "output")
    assert len(started) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0]._pid, os.WNOHANG)  # stopped and reaped


def test_check_reads_the_output_while_the_child_reads_the_specs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With many spec files, render --check reads --out before the specs are loaded (beside the
    read-ahead): the report is the one of a check that reads it after rendering, and a spec error still
    comes before a problem of --out."""
    from gitops_gen.errors import UserError
    from gitops_gen.render import api
    from gitops_gen.spec.files import READ_AHEAD_MIN_FILES

    specs_dir = _many_apps(tmp_path, READ_AHEAD_MIN_FILES)
    out = tmp_path / "output"
    assert api.run_render(specs_dir, out) == 0
    (out / "apps/vps/app-000/hpa.yaml").unlink()  # missing
    stale = out / "apps/vps/app-001/deployment.yaml"
    stale.write_text(stale.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    extra = out / "apps/vps/app-002/extra.yaml"
    extra.write_text(stale.read_text(encoding="utf-8").split("\n", 1)[0] + "\nkind: ConfigMap\n", "utf-8")
    (out / "apps/vps/app-003/mine.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")  # hand-written
    # a hand-written manifest in an extras directory: the rendered kustomization lists it (from the
    # extras the child found, or those the check finds): stale on disk either way
    (out / "apps/vps/app-005/extras").mkdir()
    (out / "apps/vps/app-005/extras/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n", encoding="utf-8"
    )
    ahead: list[object] = []
    real_scan = api._scan_ahead
    monkeypatch.setattr(api, "_scan_ahead", lambda d: ahead.append(d) or real_scan(d))
    capsys.readouterr()
    assert api.run_render(specs_dir, out, check=True) == 1
    early = capsys.readouterr()
    assert ahead == [out]
    monkeypatch.setattr(api, "_scan_ahead", lambda d: None)  # the check reads --out itself
    assert api.run_render(specs_dir, out, check=True) == 1
    assert capsys.readouterr() == early
    assert "missing: " in early.out and "stale: " in early.out and "extra: " in early.out
    assert "stale: " + (out / "apps/vps/app-005/kustomization.yaml").as_posix() in early.out
    monkeypatch.setattr(api, "_scan_ahead", real_scan)
    (specs_dir / "apps/app-004.yaml").write_text("kind: App\nmetadata: {name: [}\n", encoding="utf-8")
    with pytest.raises(UserError) as err:  # the specs' error, as before (the scan raises nothing)
        api.run_render(specs_dir, out, check=True)
    assert "app-004.yaml" in str(err.value)


def test_an_output_that_cannot_be_read_ahead_is_read_by_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_gen.errors import UserError
    from gitops_gen.render import api, writer

    for error in (
        UserError.at(str(tmp_path), "cannot read directory: Permission denied"),
        RecursionError("maximum recursion depth exceeded"),  # a directory nested too deep
    ):

        def unreadable(out: Path, error: Exception = error) -> dict[str, writer.Entry]:
            raise error

        monkeypatch.setattr(writer, "scan_for_check", unreadable)
        # the child fails (or none runs): the check meets it again, after the specs' errors
        assert api._scanned(api._scan_ahead(tmp_path)) == (None, None)


def test_beside_gives_the_childs_value_or_computes_it_here() -> None:
    calls: list[str] = []

    def here() -> dict[str, int]:
        calls.append("here")
        return {"n": 1}

    now = forked.Beside(here, fork=False)  # no child: computed at once
    assert calls == ["here"] and now.value() == {"n": 1} and calls == ["here"]
    beside = forked.Beside(here)  # in the child: this process's list is not touched
    assert calls == ["here"] and beside.value() == {"n": 1} and beside.value() == {"n": 1}
    assert calls == ["here"]
    parent = os.getpid()

    def fails_in_the_child() -> dict[str, int]:
        if os.getpid() != parent:
            raise OSError("no room left")
        return here()

    failing = forked.Beside(fails_in_the_child)  # computed here when asked
    assert calls == ["here"] and failing.value() == {"n": 1} and calls == ["here", "here"]


def test_a_cancelled_beside_leaves_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[forked.Forked[object]] = []
    real = forked.start

    def kept(fn: Callable[[], object]) -> forked.Forked[object] | None:
        child = real(fn)
        assert child is not None
        started.append(child)
        return child

    monkeypatch.setattr(forked, "start", kept)
    import time

    beside = forked.Beside(lambda: time.sleep(60))
    beside.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0]._pid, os.WNOHANG)  # reaped


def test_the_output_read_by_a_child_is_the_scan_the_check_makes(tmp_path: Path) -> None:
    """What the scanning child sends back (plain data) rebuilds the very entries the check would scan:
    kinds, order and the bytes of generated files."""
    from gitops_gen.render import api, writer
    from gitops_gen.render.extras import find_extras
    from gitops_gen.spec.files import READ_AHEAD_MIN_FILES

    specs_dir = _many_apps(tmp_path, READ_AHEAD_MIN_FILES)
    out = tmp_path / "output"
    assert api.run_render(specs_dir, out) == 0
    (out / "apps/vps/app-003/mine.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")  # hand-written
    (out / "apps/vps/app-005/extras").mkdir()  # a hand-written manifest where extras go
    (out / "apps/vps/app-005/extras/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n", encoding="utf-8"
    )
    (out / "apps/vps/link.yaml").symlink_to("app-003/mine.yaml")
    want = writer.scan_for_check(out)
    entries, extras = api._scanned(api._scan_ahead(out))
    plain = api._plain_scan(out)  # no child where threads run (pytest-xdist): the same plain round trip
    got = entries or {rel: writer.Entry(rel, kind, data) for rel, kind, data in plain[0]}
    assert (extras if extras is not None else plain[1]) == find_extras(out)
    assert find_extras(out) == {"apps/vps/app-005/extras": ("cm.yaml",)}
    assert list(got) == list(want)
    assert [(e.kind, e.data) for e in got.values()] == [(e.kind, e.data) for e in want.values()]
    assert any(e.data for e in got.values()) and {e.kind for e in got.values()} >= {
        "generated",
        "file",
        "dir",
        "symlink",
    }
