"""Safe writes: atomic swap, carry-over of hand-written files, stale removal, symlinks, lock, --check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gitops_gen.errors import UserError
from gitops_gen.render import writer
from gitops_gen.render.api import run_render
from gitops_gen.render.engine import HEADER_PREFIX
from gitops_gen.render.writer import check_tree, render_lock, write_tree

HDR = f"{HEADER_PREFIX} from specs/x.yaml; do not edit.\n"


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry below ``root``: file bytes, symlink targets ('-> target'), directories ('<dir>')."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if name == writer.MARKER and Path(dirpath) == root:
                continue  # written by every render (tested in test_hardening_round2.py)
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "<dir>"
            else:
                out[rel] = p.read_bytes()
    return out


def tree(n: int, tag: str = "v1") -> dict[str, str]:
    return {f"d{i % 3}/f{i}.yaml": f"{HDR}kind: X\nname: f{i}\ntag: {tag}\n" for i in range(n)}


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def test_write_then_rewrite_replaces_changed_and_removes_stale(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, tree(6))
    new = tree(4, "v2")
    report = write_tree(out, new)
    assert sorted(report.removed) == ["d1/f4.yaml", "d2/f5.yaml"]
    assert {k: v.decode() for k, v in snapshot(out).items() if isinstance(v, bytes)} == new
    assert siblings(out) == []  # no temp dirs or lock left behind


def test_directories_that_only_held_stale_files_disappear(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a/b/c.yaml": HDR, "keep.yaml": HDR})
    (out / "empty-by-hand").mkdir()
    write_tree(out, {"keep.yaml": HDR + "x: 1\n"})
    assert not (out / "a").exists()
    assert (out / "empty-by-hand").is_dir()


def test_hand_written_files_and_symlinks_are_carried_over_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, tree(3))
    (out / "README.md").write_text("mine\n")
    (out / "d0" / "notes.yaml").write_text("# my own manifest\nkind: ConfigMap\n")
    (out / "d0" / "link.yaml").symlink_to("../README.md")
    (out / "dangling").symlink_to("/nonexistent/target")
    os.chmod(out / "README.md", 0o600)
    before = snapshot(out)
    report = write_tree(out, tree(3, "v2"))
    after = snapshot(out)
    for rel in ("README.md", "d0/notes.yaml", "d0/link.yaml", "dangling"):
        assert after[rel] == before[rel], rel
        assert rel in report.carried
    assert (os.stat(out / "README.md").st_mode & 0o777) == 0o600


def test_hand_written_file_where_we_write_is_an_error_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, tree(3))
    (out / "d0" / "f0.yaml").write_text("hand edited, header removed\n")
    before = snapshot(out)
    with pytest.raises(UserError) as exc:
        write_tree(out, tree(3, "v2"))
    assert "did not generate" in str(exc.value) and "d0/f0.yaml" in str(exc.value)
    assert snapshot(out) == before


def test_symlinks_inside_out_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "f0.yaml"
    victim.write_text(HDR + "outside, must survive\n")
    out = tmp_path / "out"
    write_tree(out, {"other.yaml": HDR})
    # a symlinked directory where we write, and a symlinked file with a generated name
    (out / "d0").symlink_to(outside, target_is_directory=True)
    (out / "stale.yaml").symlink_to(victim)
    with pytest.raises(UserError) as exc:
        write_tree(out, tree(3))
    assert "symlink" in str(exc.value)
    assert victim.read_text() == HDR + "outside, must survive\n"
    # a symlink that is not in our way is kept as a symlink, never treated as stale or read
    (out / "d0").unlink()
    write_tree(out, tree(3))
    assert (out / "stale.yaml").is_symlink() and victim.exists()
    assert victim.read_text() == HDR + "outside, must survive\n"


def test_out_itself_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real, target_is_directory=True)
    with pytest.raises(UserError, match="symlink"):
        write_tree(tmp_path / "out", tree(2))
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("fail_after", [0, 1, 5, 11])
def test_exception_after_n_files_leaves_old_output_byte_identical(
    tmp_path: Path, fail_after: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(out, tree(12))
    (out / "mine.txt").write_text("hand-written\n")
    before = snapshot(out)
    calls = {"n": 0}
    real = writer._write_file

    def failing(path: Path, data: bytes) -> None:
        if calls["n"] >= fail_after:
            raise RuntimeError("injected failure")
        calls["n"] += 1
        real(path, data)

    monkeypatch.setattr(writer, "_write_file", failing)
    with pytest.raises(RuntimeError, match="injected"):
        write_tree(out, tree(12, "v2"))
    assert snapshot(out) == before
    assert siblings(out) == []


def test_os_error_while_writing_is_a_user_error_and_keeps_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(out, tree(4))
    before = snapshot(out)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_write_file", disk_full)
    with pytest.raises(UserError, match="No space left"):
        write_tree(out, tree(4, "v2"))
    assert snapshot(out) == before


def test_fallback_swap_crash_between_renames_is_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without renameat2, a kill between the two renames leaves only the old tree aside; the next
    render puts it back before doing anything else."""
    out = tmp_path / "out"
    write_tree(out, tree(3))
    before = snapshot(out)
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = {"n": 0}

    def rename(src: str | Path, dst: str | Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # "killed" right after out was moved aside
        real_rename(src, dst)

    monkeypatch.setattr(writer.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_tree(out, tree(3, "v2"))
    monkeypatch.setattr(writer.os, "rename", real_rename)
    assert not out.exists()  # the window the recovery exists for
    writer._recover(out)
    assert snapshot(out) == before
    report = write_tree(out, tree(3, "v2"))
    assert len(report.written) == 3 and siblings(out) == []


def test_unchanged_render_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, tree(3))
    inode = os.stat(out).st_ino
    mtimes = {p: os.stat(p).st_mtime_ns for p in out.rglob("*")}
    report = write_tree(out, tree(3))
    assert not report.changed and len(report.unchanged) == 3
    assert os.stat(out).st_ino == inode
    assert {p: os.stat(p).st_mtime_ns for p in out.rglob("*")} == mtimes


def test_unchanged_files_keep_their_timestamps_when_others_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = tree(3)
    write_tree(out, files)
    old = os.stat(out / "d0/f0.yaml").st_mtime_ns
    time.sleep(0.01)
    files["d1/f1.yaml"] = HDR + "changed: true\n"
    write_tree(out, files)
    assert os.stat(out / "d0/f0.yaml").st_mtime_ns == old


def test_second_render_while_one_holds_the_lock_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with render_lock(out.resolve()):
        with pytest.raises(UserError) as exc:
            write_tree(out, tree(2))
        assert "another `gitops-gen render`" in str(exc.value)
        assert not out.exists()
    write_tree(out, tree(2))  # released: works again
    assert siblings(out) == []


def test_second_render_process_gets_exit_2_and_a_clear_message(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "out"
    with render_lock(out.resolve()):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "gitops_gen",
                "render",
                "--specs",
                str(repo_root / "specs"),
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2, proc.stderr
    assert "another `gitops-gen render` is writing this directory" in proc.stderr
    assert "Traceback" not in proc.stderr


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from gitops_gen.render import writer
    real = writer._write_file
    def slow(path, data):
        real(path, data)
        time.sleep(0.1)
    writer._write_file = slow
    from gitops_gen.render.api import run_render
    run_render(Path(sys.argv[1]), Path(sys.argv[2]))
""")


def test_render_killed_mid_write_leaves_old_output_byte_identical(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "out"
    specs = tmp_path / "specs"
    (specs / "apps").mkdir(parents=True)
    (specs / "platform.yaml").write_text((repo_root / "specs/platform.yaml").read_text())
    (specs / "apps/lingua-app.yaml").write_text((repo_root / "specs/apps/lingua-app.yaml").read_text())
    assert run_render(specs, out) == 0
    (out / "mine.md").write_text("hand-written\n")
    before = snapshot(out)
    # change every file (the header names another spec dir) so the new render rewrites them all
    specs2 = tmp_path / "specs2"
    specs.rename(specs2)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(specs2), str(out)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tmps = [p for p in tmp_path.iterdir() if writer.TMP_MARK in p.name]
            if tmps and sum(1 for f in tmps[0].rglob("*.yaml") if f.is_file()) >= 5:
                break
            assert proc.poll() is None, "render finished before it could be killed"
            time.sleep(0.01)
        else:
            pytest.fail("the render never started writing")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    # the next render cleans up the abandoned temporary tree and succeeds
    assert run_render(specs2, out) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert (out / "mine.md").read_text() == "hand-written\n"


def test_check_reports_missing_stale_and_extra(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = tree(4)
    assert check_tree(out, files).missing == sorted(files)
    write_tree(out, files)
    assert check_tree(out, files).clean
    (out / "mine.yaml").write_text("kind: Mine\n")  # hand-written: never reported
    assert check_tree(out, files).clean
    changed = dict(files)
    changed["d0/f0.yaml"] = HDR + "new\n"
    del changed["d1/f1.yaml"]
    changed["new/file.yaml"] = HDR
    report = check_tree(out, changed)
    assert report.stale == ["d0/f0.yaml"]
    assert report.extra == ["d1/f1.yaml"]
    assert report.missing == ["new/file.yaml"]


def test_check_opens_each_file_once_and_compares_small_and_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's scan keeps the bytes it read to find the header (files up to 64 KB), so each
    generated file is opened once; a larger file is read again to be compared. Both still compare."""
    out = tmp_path / "out"
    files = tree(6)
    files["big/large.yaml"] = HDR + "data: " + "x" * 70_000 + "\n"
    write_tree(out, files)
    opened: list[str] = []
    real_open = os.open

    def counting(path: object, *a: object, **k: object) -> int:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", counting)
    assert check_tree(out, files).clean
    per_file = {rel: sum(1 for p in opened if p == str(out / rel)) for rel in files}
    assert per_file.pop("big/large.yaml") == 2
    assert set(per_file.values()) == {1}
    changed = {**files, "d1/f1.yaml": files["d1/f1.yaml"] + "#\n"}
    changed["big/large.yaml"] = files["big/large.yaml"].replace("x", "y", 1)
    assert check_tree(out, changed).stale == ["big/large.yaml", "d1/f1.yaml"]


def test_render_check_exit_codes_and_message(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    specs = repo_root / "specs"
    assert run_render(specs, out, check=True) == 1
    assert not out.exists()  # --check writes nothing
    assert run_render(specs, out) == 0
    capsys.readouterr()
    assert run_render(specs, out, check=True) == 0
    assert "up to date" in capsys.readouterr().out
    target = out / "apps/vps/lingua-app/hpa.yaml"
    target.write_text(target.read_text().replace("maxReplicas: 5", "maxReplicas: 8"))
    (out / "clusters/vps/apps.yaml").unlink()
    (out / "old.yaml").write_text(HDR)
    before = snapshot(out)
    assert run_render(specs, out, check=True) == 1
    captured = capsys.readouterr()
    assert "stale: " in captured.out and "apps/vps/lingua-app/hpa.yaml" in captured.out
    assert "missing: " in captured.out and "clusters/vps/apps.yaml" in captured.out
    assert "extra: " in captured.out and "old.yaml" in captured.out
    assert "run `gitops-gen render" in captured.err
    assert snapshot(out) == before


def test_out_that_is_a_file_or_unwritable_gives_clear_errors(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UserError, match="not a directory"):
        write_tree(f, tree(1))
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        with pytest.raises(UserError, match="not writable"):
            write_tree(ro / "out", tree(1))
    finally:
        os.chmod(ro, 0o755)
