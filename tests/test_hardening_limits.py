"""Resource limits on hostile input: alias bombs, huge files, deep nesting, non-UTF-8 and binary.

Each is refused with a located message (exit 2 through the CLI), in bounded time and memory, on
both YAML paths: the ruamel reader of specs (and of position recovery) and the fast lint loader.
The watchdog only guards against a hang; no test asserts a speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hardening_helpers import (
    APP,
    assert_clean,
    deep,
    dump_yaml,
    laughs,
    run_cli,
    watchdog,
    write_specs,
)

from gitops_gen.errors import UserError
from gitops_gen.spec.loader import load_specs
from gitops_gen.yamlio import DEFAULT_LIMITS, Limits, load_positioned, read_text


def _load_error(specs: Path) -> str:
    with watchdog(30), pytest.raises(UserError) as info:
        load_specs(specs)
    return str(info.value)


# --------------------------------------------------------------------------------------- bombs
def test_billion_laughs_in_spec_is_refused(tmp_path: Path) -> None:
    specs = write_specs(tmp_path)
    (specs / "apps" / "bomb.yaml").write_text(laughs(9), encoding="utf-8")  # 9**10 leaves
    message = _load_error(specs)
    assert "bomb.yaml:1:1" in message and "alias/anchor bomb" in message


def test_small_alias_use_is_fine(tmp_path: Path) -> None:
    """Anchors are legal and used in real files: a handful of aliases must still load."""
    text = dump_yaml(APP).replace("resources:\n", "resources: &res\n", 1) + "# end\n"
    docs = load_positioned(text + "---\nshared: *res\n".replace("*res", "[1, 2]"), "x.yaml")
    assert len(docs) == 2
    assert load_positioned("a: &a [1, 2]\nb: [*a, *a, *a]\n", "x.yaml")[0]["b"][2] == [1, 2]


def test_recursive_alias_is_refused_or_bounded() -> None:
    with watchdog(20):
        try:
            load_positioned("a: &a [*a, *a]\n", "self.yaml")
        except UserError as exc:
            assert exc.problems[0].location.file == "self.yaml"


def test_billion_laughs_in_manifest_is_reported_by_lint(tmp_path: Path) -> None:
    target = tmp_path / "bomb.yaml"
    target.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n"
        + "\n".join("  " + line for line in laughs(9).splitlines())
        + "\n",
        encoding="utf-8",
    )
    outcome = run_cli(["lint", str(target), "--no-cache"], timeout=60)
    assert_clean(outcome, allowed=(1, 2))
    assert "bomb.yaml:" in outcome.text
    assert "alias" in outcome.text.lower() or "expan" in outcome.text.lower(), outcome.text


# --------------------------------------------------------------------------------------- depth
@pytest.mark.parametrize("depth", [DEFAULT_LIMITS.max_depth + 5, 3000, 100_000])
def test_deep_nesting_in_spec_is_refused(tmp_path: Path, depth: int) -> None:
    specs = write_specs(tmp_path)
    # deep flow style ([[[...) beyond 1000 levels, block style below
    text = "a: " + "[" * depth + "]" * depth + "\n" if depth > 1000 else dump_yaml({"a": deep(depth)})
    (specs / "apps" / "deep.yaml").write_text(text, encoding="utf-8")
    message = _load_error(specs)
    assert "deep.yaml:" in message and "nesting deeper than" in message


def test_nesting_within_bound_loads() -> None:
    docs = load_positioned(dump_yaml({"a": deep(DEFAULT_LIMITS.max_depth - 5)}), "ok.yaml")
    assert docs


@pytest.mark.parametrize("depth", [DEFAULT_LIMITS.max_depth + 5, 50_000])
def test_deep_nesting_in_manifest_is_reported_by_lint(tmp_path: Path, depth: int) -> None:
    target = tmp_path / "deep.yaml"
    target.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: "
        + "[" * depth
        + "]" * depth
        + "\n",
        encoding="utf-8",
    )
    outcome = run_cli(["lint", str(target), "--no-cache"], timeout=60)
    assert_clean(outcome, allowed=(1, 2))
    assert "deep.yaml:" in outcome.text


@pytest.mark.parametrize(
    ("chain", "levels"),
    [("- ", 20_000), ("? ", 20_000), ("- ? ", 10_000), ("-  ", 1_900), ("- ", DEFAULT_LIMITS.max_depth + 5)],
)
def test_compact_block_nesting_is_reported_not_a_crash(tmp_path: Path, chain: str, levels: int) -> None:
    """``- - - ... x`` nests a level every two characters: at about 10,000 levels the native YAML parser
    overflows its stack and the process died (SIGSEGV, no message). Run as a process: a crash is seen."""
    target = tmp_path / "deep.yaml"
    target.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nitems:\n" + chain * levels + "x\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_gen", "lint", "--no-cache", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (1, 2), (proc.returncode, proc.stderr[-500:])
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "deep.yaml:" in proc.stdout and "nesting deeper than" in proc.stdout, proc.stdout


def test_deep_indentation_that_nests_little_is_read() -> None:
    """The depth guard reads a text whose lines could nest deep (a line indented by thousands of spaces)
    for its real depth: a block scalar holding such a line is a two-level document, read as it is."""
    from gitops_gen.k8s.loader import parse_text
    from gitops_gen.yamlio import NATIVE_SAFE_DEPTH, native_depth_hazard

    line = " " * (NATIVE_SAFE_DEPTH * 2) + "x"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: |\n" + f"    y\n    {line}\n"
    assert native_depth_hazard(text, DEFAULT_LIMITS.max_depth) is None
    parsed = parse_text(text)
    assert not parsed.problems
    assert parsed.documents[0].body["data"]["k"] == f"y\n{line}\n"
    assert native_depth_hazard("- " * 3000 + "x\n", DEFAULT_LIMITS.max_depth) == (
        1,
        2 * DEFAULT_LIMITS.max_depth + 1,
        f"nesting deeper than {DEFAULT_LIMITS.max_depth} levels",
    )


# --------------------------------------------------------------------------------------- size
def test_file_over_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    limits = Limits(max_file_bytes=4096)
    big.write_text("a: " + "x" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        read_text(big, limits=limits)
    problem = info.value.problems[0]
    assert "over the limit of 4,096" in problem.message and problem.location.line == 1
    assert "GITOPS_GEN_MAX_FILE_BYTES" in problem.hint


def test_default_size_limit_is_a_few_megabytes() -> None:
    assert 1 << 20 <= Limits().max_file_bytes <= 64 << 20


def _subprocess(args: list[str], env_extra: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_extra}
    env.pop("GITOPS_GEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "gitops_gen", *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )


def test_size_limit_is_configurable_by_environment(tmp_path: Path) -> None:
    """The same spec loads under the default bound and is refused (exit 2, file:line) under a small one."""
    specs = write_specs(tmp_path)
    size = (specs / "platform.yaml").stat().st_size
    code = (
        "import sys; from gitops_gen.spec.loader import load_specs; from gitops_gen.errors import UserError\n"
        "try:\n load_specs(sys.argv[1]); print('loaded')\n"
        "except UserError as e:\n print(e); sys.exit(2)\n"
    )
    ok = subprocess.run(
        [sys.executable, "-c", code, str(specs)],
        text=True,
        capture_output=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "GITOPS_GEN_MAX_FILE_BYTES"},
    )
    assert ok.returncode == 0 and "loaded" in ok.stdout, ok.stderr
    small = subprocess.run(
        [sys.executable, "-c", code, str(specs)],
        text=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "GITOPS_GEN_MAX_FILE_BYTES": str(size - 1)},
    )
    assert small.returncode == 2
    assert "platform.yaml:1:1" in small.stdout and f"over the limit of {size - 1:,}" in small.stdout


def test_lint_refuses_file_over_the_same_limit(tmp_path: Path) -> None:
    """The fast lint loader honours the same bound (and the same environment variable)."""
    target = tmp_path / "cm.yaml"
    target.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: " + "y" * 20_000 + "\n",
        encoding="utf-8",
    )
    proc = _subprocess(["lint", str(target), "--no-cache"], {"GITOPS_GEN_MAX_FILE_BYTES": "10000"}, tmp_path)
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "internal error" not in text
    assert proc.returncode in (1, 2), text
    assert "cm.yaml:1" in text and "10,000" in text.replace("10000", "10,000"), text


# --------------------------------------------------------------------------------------- encoding
BAD_BYTES = {
    "latin1.yaml": ("name: caf\xe9\n".encode("latin-1"), "not valid UTF-8", 1),
    "second-line.yaml": (b"a: 1\nb: \xff\xfe\n", "not valid UTF-8", 2),
    "png.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file", 1),
    "utf16.yaml": ("a: 1\n".encode("utf-16"), "", 1),
    "nul.yaml": (b"a: 1\x00\n", "binary", 1),
}


@pytest.mark.parametrize("name", sorted(BAD_BYTES))
def test_non_utf8_and_binary_specs_are_reported(tmp_path: Path, name: str) -> None:
    data, expected, line = BAD_BYTES[name]
    specs = write_specs(tmp_path)
    (specs / "apps" / name).write_bytes(data)
    message = _load_error(specs)
    assert f"{name}:{line}:" in message, message
    assert expected in message
    assert "\ufffd" not in message  # reported, not decoded into replacement characters


@pytest.mark.parametrize("name", sorted(BAD_BYTES))
def test_non_utf8_and_binary_manifests_are_reported_by_lint(tmp_path: Path, name: str) -> None:
    data, expected, line = BAD_BYTES[name]
    (tmp_path / name).write_bytes(data)
    outcome = run_cli(["lint", str(tmp_path / name), "--no-cache"], timeout=60)
    assert_clean(outcome, allowed=(1, 2))
    assert f"{name}:{line}:" in outcome.text and expected in outcome.text, outcome.text
    assert "\ufffd" not in outcome.text


def test_cli_module_entry_runs_without_traceback(tmp_path: Path) -> None:
    """`python -m gitops_gen` on a bomb in a real process: the same clean exit."""
    specs = write_specs(tmp_path)
    (specs / "apps" / "bomb.yaml").write_text(laughs(9), encoding="utf-8")
    proc = _subprocess(["render", "--specs", str(specs), "--out", str(tmp_path / "out")], {}, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "bomb.yaml:1:1" in proc.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------- special files
@pytest.mark.parametrize("where", ["fifo-explicit", "fifo-in-dir", "dev-zero"])
def test_special_files_are_refused_not_read(tmp_path: Path, where: str) -> None:
    """Regression: a FIFO or /dev/zero was read to EOF (by the loader, and first by the cache's
    content hash): lint blocked forever or ate memory."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n")
    target = {"fifo-explicit": fifo, "fifo-in-dir": tmp_path, "dev-zero": Path("/dev/zero")}[where]
    outcome = run_cli(["lint", str(target)], timeout=30, cwd=tmp_path)  # with the cache on
    assert_clean(outcome, allowed=(1, 2))
    assert "not a regular file" in outcome.text, outcome.text


def test_special_file_as_spec_is_refused(tmp_path: Path) -> None:
    with watchdog(20), pytest.raises(UserError) as info:
        read_text(Path("/dev/zero"))
    assert "not a regular file" in str(info.value)
    specs = write_specs(tmp_path)
    os.mkfifo(specs / "apps" / "pipe.yaml")
    with watchdog(20):
        assert load_specs(specs).apps  # the FIFO is not a spec file: skipped, never opened


def test_many_nodes_validate_in_linear_time() -> None:
    """Regression: the duplicate node-name check was quadratic (``list.count`` per name); 50,000 nodes
    took minutes. The watchdog only guards against that hang; it asserts no speed."""
    import copy

    from hardening_helpers import PLATFORM

    from gitops_gen.spec.models import Platform

    doc = copy.deepcopy(PLATFORM)
    doc["spec"]["nodes"] = [{"name": f"n{i}", "cpu": "1", "memory": "1Gi"} for i in range(50_000)]
    with watchdog(60):
        assert len(Platform.model_validate(doc).spec.nodes) == 50_000
    doc["spec"]["nodes"].append({"name": "n7", "cpu": "1", "memory": "1Gi"})
    with watchdog(60), pytest.raises(ValueError, match="node names must be unique: n7"):
        Platform.model_validate(doc)


# --------------------------------------------------------------------------------------- the manifest reader
@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_manifest_reader_size_limit_is_exact(tmp_path: Path, extra: int) -> None:
    """``k8s.loader.read_file`` (one open, fstat, read): a file of exactly the limit is read whole, one
    byte more is refused."""
    from gitops_gen.k8s.loader import read_file

    limit = 4096
    f = tmp_path / "m.yaml"
    body = "a: 1\n" + "#" * (limit + extra - 6) + "\n"
    f.write_bytes(body.encode())
    assert f.stat().st_size == limit + extra
    text, problem = read_file(f, "m.yaml", limits=Limits(max_file_bytes=limit))
    if extra <= 0:
        assert problem is None and text == body
    else:
        assert text is None and problem is not None and "over the limit of 4,096" in problem.message


def test_manifest_reader_reads_files_whose_size_is_unknown() -> None:
    """Files that say size 0 (``/proc``) are read to their end, still bounded by the limit."""
    from gitops_gen.k8s.loader import read_file

    proc = Path("/proc/self/status")
    if not proc.exists():
        pytest.skip("no /proc")
    assert proc.stat().st_size == 0
    text, problem = read_file(proc, "status")
    assert problem is None and text is not None and "Name:" in text
    text, problem = read_file(proc, "status", limits=Limits(max_file_bytes=16))
    assert text is None and problem is not None and "over the limit of 16" in problem.message


def test_manifest_reader_does_not_wait_on_a_fifo(tmp_path: Path) -> None:
    from gitops_gen.k8s.loader import read_file

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with watchdog(20):
        text, problem = read_file(fifo, "pipe.yaml")
    assert text is None and problem is not None and "not a regular file" in problem.message
    text, problem = read_file(tmp_path / "missing.yaml", "missing.yaml")
    assert text is None and problem is not None and problem.message.startswith("cannot read:")


def test_file_bytes_reads_regular_files_only_within_the_limit(tmp_path: Path) -> None:
    """The phase-2 marker scan (image automation) reads whole files: never a FIFO (it would block),
    a device (it would never end), a directory, or a file over the limit."""
    from gitops_gen.k8s.loader import file_bytes

    ok = tmp_path / "ok.yaml"
    ok.write_bytes(b'a: 1 # {"$imagepolicy": "x:y"}\n')
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * 65)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with watchdog(20):
        assert file_bytes(str(ok)) == ok.read_bytes()
        assert file_bytes(str(big), Limits(max_file_bytes=64)) is None
        assert file_bytes(str(big), Limits(max_file_bytes=65)) == b"x" * 65
        for special in (fifo, Path("/dev/zero"), tmp_path, tmp_path / "missing.yaml"):
            assert file_bytes(str(special)) is None


def test_comment_ruamel_cannot_place_is_a_located_error(tmp_path: Path) -> None:
    """ruamel.yaml's round-trip reader raises NotImplementedError ("overlap in comment") on this valid
    YAML; it was an internal error of ``render``."""
    text = 'no: #b\n  cont\n\n"x":\n  - []\n'
    with pytest.raises(UserError) as info:
        load_positioned(text, "c.yaml")
    assert "c.yaml:1:5:" in str(info.value)
    specs = write_specs(tmp_path)
    (specs / "apps" / "c.yaml").write_text(text, encoding="utf-8")
    assert "c.yaml:1:5:" in _load_error(specs)
