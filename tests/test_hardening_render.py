"""`gitops-gen render` under attack and under faults.

Paths: names from specs are validated before they become paths; nothing is written outside
``--out``; symlinks inside ``--out`` are never followed (not written through, not deleted
through); a read-only, file-shaped or symlinked ``--out`` gives a clear exit 2.
Faults: an exception after N files, or SIGKILL at random moments, leaves the previous output
byte-identical (or the complete new one, never a mix); two renders at once do not interleave.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import (
    APP,
    FUZZ,
    PLATFORM,
    REPO,
    assert_clean,
    run_cli,
    tree_bytes,
    write_specs,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def _render(specs: Path, out: Path, *extra: str) -> Any:
    return run_cli(["render", "--specs", str(specs), "--out", str(out), *extra], timeout=60)


def _app(**changes: Any) -> dict[str, Any]:
    app = copy.deepcopy(APP)
    app["spec"].update(changes)
    return app


def specs_b(root: Path) -> Path:
    """Specs that differ from the base in most rendered files (about 21 of 45 written, 7 new,
    the old cluster directory stale), so that a fault can land between many file writes."""
    second = copy.deepcopy(APP)
    second["metadata"]["name"] = "blog"
    second["spec"]["ingress"] = {"host": "blog.example.org"}
    platform = copy.deepcopy(PLATFORM)
    platform["metadata"]["name"] = "edge2"
    platform["spec"]["interval"] = "7m"
    platform["spec"]["kubernetesVersion"] = "1.32"
    platform["spec"]["components"]["ingressNginx"]["replicas"] = 2
    return write_specs(root, platform=platform, apps=[_app(replicas=3, port=9090), second])


@pytest.fixture
def two_renders(tmp_path: Path) -> tuple[Path, Path, Path]:
    """specs A rendered into out; specs B (different files) ready. Returns (specs_a, specs_b, out)."""
    a = write_specs(tmp_path / "a")
    b = specs_b(tmp_path / "b")
    out = tmp_path / "site" / "out"
    assert _render(a, out).code == 0
    return a, b, out


def _siblings(out: Path) -> list[str]:
    """Everything beside --out that a render left behind (temporary trees, old trees)."""
    return sorted(
        p.name
        for p in out.parent.iterdir()
        if p.name != out.name and "gitops-gen" in p.name and not p.name.endswith(".lock")
    )


# ------------------------------------------------------------------------------------------ paths
@pytest.mark.parametrize(
    "where,value",
    [
        (("metadata", "name"), "../../etc"),
        (("metadata", "name"), "a/b"),
        (("metadata", "name"), ".."),
        (("spec", "namespace"), "../kube-system"),
        (("spec", "namespace"), "/etc"),
        (("spec", "imagePullSecret"), "../x"),
    ],
)
def test_path_like_app_names_refused_at_load(tmp_path: Path, where: tuple[str, str], value: str) -> None:
    app = copy.deepcopy(APP)
    app[where[0]][where[1]] = value
    specs = write_specs(tmp_path, apps=[app])
    outcome = _render(specs, tmp_path / "out")
    assert_clean(outcome, allowed=(2,))
    assert f"{'.'.join(where)}:" in outcome.err and "app0.yaml:" in outcome.err
    assert not (tmp_path / "out").exists() and not (tmp_path / "etc").exists()


@pytest.mark.parametrize(
    "where,value",
    [
        (("metadata", "name"), "../../etc"),
        (("spec", "nodes", 0, "name"), ".."),
        (("spec", "git", "path"), "../../elsewhere"),
        (("spec", "git", "path"), "/abs"),
        (("spec", "components", "monitoring", "grafana", "adminSecret"), "../x"),
    ],
)
def test_path_like_platform_fields_refused_at_load(
    tmp_path: Path, where: tuple[Any, ...], value: str
) -> None:
    platform = copy.deepcopy(PLATFORM)
    node: Any = platform
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    specs = write_specs(tmp_path, platform=platform)
    outcome = _render(specs, tmp_path / "out")
    assert_clean(outcome, allowed=(2,))
    assert "platform.yaml:" in outcome.err


def test_rendered_paths_stay_inside_out(tmp_path: Path) -> None:
    from gitops_gen.render.engine import render_tree
    from gitops_gen.spec.loader import load_specs

    for rel in render_tree(load_specs(write_specs(tmp_path)), ""):
        assert not rel.startswith("/") and ".." not in rel.split("/") and "\\" not in rel, rel
        assert os.path.normpath(rel) == rel


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    victim_dir = tmp_path / "outside"
    victim_dir.mkdir()
    (victim_dir / "victim.yaml").write_text("# precious, not ours\n")
    return victim_dir


def test_symlink_to_outside_file_is_carried_not_followed(
    two_renders: tuple[Path, Path, Path], outside: Path
) -> None:
    _, b, out = two_renders
    (out / "link.yaml").symlink_to(outside / "victim.yaml")
    (out / "apps" / "dirlink").symlink_to(outside, target_is_directory=True)
    before = tree_bytes(outside)
    assert _render(b, out).code == 0
    assert tree_bytes(outside) == before
    assert os.readlink(out / "link.yaml") == str(outside / "victim.yaml")
    assert (out / "apps" / "dirlink").is_symlink()


def test_symlink_where_a_generated_file_goes_is_not_written_through(
    two_renders: tuple[Path, Path, Path], outside: Path
) -> None:
    _, b, out = two_renders
    generated = sorted(p for p in (out / "infrastructure").rglob("*.yaml") if p.is_file())
    target = generated[0]  # B renders this path too
    target.unlink()
    target.symlink_to(outside / "victim.yaml")
    before_out, before_outside = tree_bytes(out), tree_bytes(outside)
    outcome = _render(b, out)
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "symlink" in outcome.err
    assert tree_bytes(outside) == before_outside and tree_bytes(out) == before_out


def test_symlinked_directory_where_a_generated_dir_goes_is_refused(
    two_renders: tuple[Path, Path, Path], outside: Path
) -> None:
    _, b, out = two_renders
    clusters = out / "clusters"
    shutil.rmtree(clusters)
    clusters.symlink_to(outside, target_is_directory=True)
    before = tree_bytes(outside)
    outcome = _render(b, out)
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert tree_bytes(outside) == before


def test_stale_generated_file_behind_symlink_is_not_deleted_through(
    two_renders: tuple[Path, Path, Path], outside: Path
) -> None:
    """A symlink to a file that looks generated (has our header) is never treated as ours."""
    _, b, out = two_renders
    generated = sorted(p for p in out.rglob("*.yaml") if p.is_file())
    fake = outside / "generated-looking.yaml"
    fake.write_bytes(generated[0].read_bytes())
    (out / "old.yaml").symlink_to(fake)
    before = tree_bytes(outside)
    assert _render(b, out).code == 0
    assert tree_bytes(outside) == before and (out / "old.yaml").is_symlink()


def test_out_itself_a_symlink_is_refused(tmp_path: Path, outside: Path) -> None:
    specs = write_specs(tmp_path)
    (tmp_path / "out").symlink_to(outside, target_is_directory=True)
    before = tree_bytes(outside)
    outcome = _render(specs, tmp_path / "out")
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "symlink" in outcome.err and tree_bytes(outside) == before


def test_out_is_a_file(tmp_path: Path) -> None:
    specs = write_specs(tmp_path)
    (tmp_path / "out").write_text("not a directory")
    outcome = _render(specs, tmp_path / "out")
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "out" in outcome.err and "not a directory" in outcome.err


def test_out_parent_is_a_file(tmp_path: Path) -> None:
    specs = write_specs(tmp_path)
    (tmp_path / "file").write_text("x")
    outcome = _render(specs, tmp_path / "file" / "out")
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "file" in outcome.err


def test_missing_out_parents_are_created(tmp_path: Path) -> None:
    specs = write_specs(tmp_path)
    outcome = _render(specs, tmp_path / "new" / "deeper" / "out")
    assert outcome.code == 0, outcome.text
    assert any((tmp_path / "new" / "deeper" / "out").rglob("*.yaml"))


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """chattr +i (even root cannot write); skip when the file system or the user cannot."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available: cannot make a directory read-only for root")
    proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        if os.geteuid() != 0:
            os.chmod(path, 0o555)  # as a normal user, permissions are enough
            try:
                yield
            finally:
                os.chmod(path, 0o755)
            return
        pytest.skip(f"chattr +i failed ({proc.stderr.strip()}): cannot make a read-only directory")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_read_only_out_parent_is_a_clear_error(tmp_path: Path) -> None:
    specs = write_specs(tmp_path)
    parent = tmp_path / "ro"
    parent.mkdir()
    with immutable(parent):
        outcome = _render(specs, parent / "out")
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "ro" in outcome.err and (
        "not writable" in outcome.err
        or "Operation not permitted" in outcome.err
        or "ermission" in outcome.err
    )


def test_read_only_existing_out_keeps_old_tree(two_renders: tuple[Path, Path, Path]) -> None:
    _, b, out = two_renders
    before = tree_bytes(out)
    with immutable(out), immutable(out.parent):
        outcome = _render(b, out)
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert tree_bytes(out) == before


# ------------------------------------------------------------------------------------------ faults
class Injected(Exception):
    pass


@pytest.mark.slow
@settings(FUZZ, max_examples=max(FUZZ.max_examples // 5, 10))
@given(
    n=st.integers(min_value=0, max_value=24),
    error=st.sampled_from([OSError(28, "No space left on device"), Injected("boom"), KeyboardInterrupt()]),
)
def test_exception_after_n_files_leaves_old_output(
    tmp_path_factory: pytest.TempPathFactory, n: int, error: BaseException
) -> None:
    from gitops_gen.render import writer

    root = tmp_path_factory.mktemp("inject")
    a = write_specs(root / "a")
    b = specs_b(root / "b")
    out = root / "out"
    assert _render(a, out).code == 0
    (out / "hand-written.txt").write_text("mine\n")
    before = tree_bytes(out)
    real = writer._write_file
    calls = {"n": 0}

    def failing(path: Path, data: bytes) -> None:
        if calls["n"] >= n:
            raise error
        calls["n"] += 1
        real(path, data)

    writer._write_file = failing  # type: ignore[assignment]
    try:
        outcome = _render(b, out)
    finally:
        writer._write_file = real  # type: ignore[assignment]
    after = tree_bytes(out)
    if outcome.code == 0:  # n was larger than the number of files written: the complete new tree
        assert after != before and after["hand-written.txt"] == b"mine\n"
        assert run_cli(["render", "--specs", str(b), "--out", str(out), "--check"]).code == 0
    else:
        assert after == before, "an interrupted render changed the old output"
        assert outcome.code in (2, 130), outcome.text
        assert "Traceback" not in outcome.text
    assert _siblings(out) == []


def test_failure_during_swap_leaves_old_output(two_renders: tuple[Path, Path, Path]) -> None:
    from gitops_gen.render import writer

    _, b, out = two_renders
    before = tree_bytes(out)
    real = writer._swap

    def broken(tmp: Path, target: Path) -> None:
        raise OSError(5, "Input/output error")

    writer._swap = broken  # type: ignore[assignment]
    try:
        outcome = _render(b, out)
    finally:
        writer._swap = real  # type: ignore[assignment]
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "previous output is unchanged" in outcome.err
    assert tree_bytes(out) == before and _siblings(out) == []


_CHILD = r"""
import sys
from pathlib import Path
from gitops_gen.render.engine import render_tree
from gitops_gen.render.writer import write_tree
from gitops_gen.spec.loader import load_specs
a = render_tree(load_specs(sys.argv[1]), "")
b = render_tree(load_specs(sys.argv[2]), "")
out = Path(sys.argv[3])
print("ready", flush=True)
while True:
    write_tree(out, b)
    write_tree(out, a)
"""


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_mix(two_renders: tuple[Path, Path, Path]) -> None:
    """A child swaps between the A and B trees in a loop; we SIGKILL it at random moments. After
    every kill --out is exactly the A tree or exactly the B tree, and the next render recovers."""
    a, b, out = two_renders
    tree_a = tree_bytes(out)
    assert _render(b, out).code == 0
    tree_b = tree_bytes(out)
    assert _render(a, out).code == 0
    assert tree_a != tree_b
    rng = random.Random(int(os.environ.get("GITOPS_GEN_KILL_SEED", "7")))
    rounds = int(os.environ.get("GITOPS_GEN_KILL_ROUNDS", "8"))
    seen = {"a": 0, "b": 0}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(a), str(b), str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
        now = tree_bytes(out)
        assert now in (tree_a, tree_b), sorted(set(now.items()) ^ set(tree_a.items()))[:3]
        seen["a" if now == tree_a else "b"] += 1
    # the next render cleans up whatever the killed ones left beside --out, and works
    assert _render(b, out).code == 0 and tree_bytes(out) == tree_b
    assert _siblings(out) == []
    assert sum(seen.values()) == rounds


_LOCK_HOLDER = r"""
import sys, time
from pathlib import Path
from gitops_gen.render.writer import render_lock
with render_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_second_render_is_refused_while_one_runs(two_renders: tuple[Path, Path, Path]) -> None:
    _, b, out = two_renders
    before = tree_bytes(out)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen(
        [sys.executable, "-c", _LOCK_HOLDER, str(out)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        outcome = _render(b, out)
        assert_clean(outcome, allowed=(2,), path_level=True)
        assert "another `gitops-gen render`" in outcome.err and "wait for it" in outcome.err
        assert tree_bytes(out) == before
    finally:
        holder.send_signal(signal.SIGKILL)  # a killed holder must not leave a stale lock
        holder.wait(timeout=30)
        if holder.stdout:
            holder.stdout.close()
    outcome = _render(b, out)
    assert outcome.code == 0, outcome.text


def test_check_writes_nothing_and_follows_no_symlink(
    two_renders: tuple[Path, Path, Path], outside: Path
) -> None:
    _, b, out = two_renders
    (out / "link.yaml").symlink_to(outside / "victim.yaml")
    before, before_outside = tree_bytes(out), tree_bytes(outside)
    outcome = _render(b, out, "--check")
    assert_clean(outcome, allowed=(1,))
    assert tree_bytes(out) == before and tree_bytes(outside) == before_outside
    assert _siblings(out) == []


def test_out_is_the_filesystem_root(tmp_path: Path) -> None:
    """Regression: `--out /` scanned (and hard-linked) the whole file system before failing."""
    specs = write_specs(tmp_path)
    outcome = _render(specs, Path("/"))
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "file-system root" in outcome.err
