"""Lint takes the platform facts of ``specs/`` from the lint cache when the specs are unchanged (issue 15
item 6): the results are those of the full load, byte for byte, on every bundled example, for a finding
with a spec location, after a spec changed, and for a broken spec (same located error, same exit code).

"Cheap path": a run whose cache holds only the spec facts record (its results cache is empty), with
the full load made to fail if it were reached (for the facts or for a finding's spec location), so the
facts can only have come from the record and the spec locations from the plain documents.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.capacity.profiles import PROFILES
from gitops_gen.cli import main
from gitops_gen.lint import specfacts
from gitops_gen.render.api import run_render
from gitops_gen.spec import loader
from gitops_gen.spec.facts import facts_of, from_plain, to_plain
from gitops_gen.spec.loader import load_specs

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = {"bundled": REPO, "day2": REPO / "examples" / "day2", "fleet": REPO / "examples" / "fleet"}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def copy_example(src: Path, repo: Path) -> Path:
    """``src`` (the repository root or an example) copied to the same place in a new repository
    ``repo`` (Flux paths are read from the repository root)."""
    dst = repo / src.relative_to(REPO)
    for name in ("specs", "output"):
        shutil.copytree(src / name, dst / name)
    (repo / ".git").mkdir()
    return dst


def warm(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A cache directory (in ``tmp``) holding only the spec facts record of the specs of the current
    directory (no lint results)."""
    full = tmp / "cache-full"
    run(["lint", "--cache-dir", str(full), "--format", "json"], capsys)
    records = list((full / "specs").iterdir())
    assert len(records) == 1, records
    only = tmp / "cache-specs"
    shutil.copytree(full / "specs", only / "specs")
    return only


def refuse_full_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the run if the specs are validated (for the facts, or for a finding's spec location)."""

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the specs were loaded in full: the cached facts were not used")

    monkeypatch.setattr(specfacts, "facts_of_all", fail)
    monkeypatch.setattr(loader, "load_specs", fail)


def cheap_and_full(
    root: Path, fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cache: Path
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    full = run(["lint", "--no-cache", "--format", fmt], capsys)
    with monkeypatch.context() as m:
        refuse_full_load(m)
        cheap = run(["lint", "--cache-dir", str(cache), "--format", fmt], capsys)
    return cheap, full


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_cached_facts_give_the_same_lint_on_every_example(
    example: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(EXAMPLES[example], tmp_path / example)
    monkeypatch.chdir(root)
    cache = warm(tmp_path, capsys)
    reports = {}
    for fmt in ("json", "sarif"):
        cheap, full = cheap_and_full(root, fmt, capsys, monkeypatch, cache)
        assert cheap == full
        reports[fmt] = json.loads(full[1])  # a real report, not an error
    if example == "fleet":  # its memory-budget infos name the spec key that sets the node size
        assert any(f.get("spec") for f in reports["json"]["findings"])


def budget_error_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled specs with an app whose maxReplicas overflows the node, rendered, as the current
    directory: lint reports a cpu-budget error located at that key of the app's spec."""
    root = copy_example(REPO, repo)
    spec = root / "specs/apps/lingua-app.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("maxReplicas: 5", "maxReplicas: 500", 1), "utf-8"
    )
    assert run_render(root / "specs", root / "output", check=False) == 0
    monkeypatch.chdir(root)
    return root


def test_a_budget_error_with_its_spec_location_is_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = budget_error_repo(tmp_path / "repo", monkeypatch)
    cache = warm(tmp_path, capsys)
    for fmt in ("json", "sarif", "text"):
        cheap, full = cheap_and_full(root, fmt, capsys, monkeypatch, cache)
        assert cheap == full
        assert full[0] == 1
    _code, out, _ = run(["lint", "--no-cache", "--format", "json"], capsys)
    [f] = [f for f in json.loads(out)["findings"] if f["rule"] == "cpu-budget"]
    assert (
        f["spec"]["path"] == "spec.autoscaling.maxReplicas"
        and f["spec"]["file"] == "specs/apps/lingua-app.yaml"
    )


def test_specs_read_in_full_are_read_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the cache (or on a miss), the full load that gives the platform facts also serves the
    spec locations of the findings: the specs are not loaded a second time, and the locations are those
    a second load gave."""
    root = budget_error_repo(tmp_path / "repo", monkeypatch)
    loads: list[Path] = []
    real = loader.load_specs

    def counted(specs_dir: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(Path(specs_dir))
        return real(specs_dir, *args, **kwargs)

    monkeypatch.setattr(loader, "load_specs", counted)
    for argv in (
        ["--no-cache"],
        ["--cache-dir", str(tmp_path / "cold")],
        ["--no-cache", "--specs", str(root / "specs")],
    ):
        loads.clear()
        code, out, _ = run(["lint", *argv, "--format", "json"], capsys)
        assert code == 1 and len(loads) == 1, (argv, loads)
        [f] = [f for f in json.loads(out)["findings"] if f["rule"] == "cpu-budget"]
        assert f["spec"] == {
            "file": "specs/apps/lingua-app.yaml",
            "line": 33,
            "column": 5,
            "path": "spec.autoscaling.maxReplicas",
        }


def test_a_changed_spec_is_read_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is keyed by the specs' content: a smaller node is not answered from the old record."""
    root = copy_example(REPO, tmp_path / "repo")
    monkeypatch.chdir(root)
    cache = warm(tmp_path, capsys)
    before = run(["lint", "--cache-dir", str(cache), "--format", "json"], capsys)
    platform = root / "specs/platform.yaml"
    platform.write_text(
        platform.read_text(encoding="utf-8").replace("memory: 12Gi", "memory: 2Gi", 1), "utf-8"
    )
    after = run(["lint", "--cache-dir", str(cache), "--format", "json"], capsys)
    full = run(["lint", "--no-cache", "--format", "json"], capsys)
    assert after == full
    assert after != before and after[0] == 1  # 2Gi is too small for the platform: a budget error
    assert len(list((cache / "specs").iterdir())) == 2  # one record per version of the specs


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("spec:\n  distribution", "spec:\n  colour: red\n  distribution", "specs/platform.yaml:10:3"),
        ("memory: 12Gi", "memory: 12Gigs", "specs/platform.yaml:24:15"),
        ("  k3s:\n", "  k3s: [\n", "specs/platform.yaml:"),
    ],
    ids=["unknown-field", "bad-quantity", "yaml-syntax"],
)
def test_a_broken_spec_gives_the_same_located_error(
    old: str,
    new: str,
    where: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_example(REPO, tmp_path / "repo")
    monkeypatch.chdir(root)
    cache = warm(tmp_path, capsys)  # the valid specs are cached: the broken ones must not be answered from it
    platform = root / "specs/platform.yaml"
    text = platform.read_text(encoding="utf-8")
    assert old in text
    platform.write_text(text.replace(old, new, 1), encoding="utf-8")
    target = "output/clusters/vps/kustomization.yaml"  # one file, as the pre-commit hook lints
    for argv in (["lint", "--format", "json"], ["lint", target, "--format", "sarif"]):
        full = run([*argv, "--no-cache"], capsys)
        cached = run([*argv, "--cache-dir", str(cache)], capsys)
        assert cached == full
        assert full[0] == 2 and full[1] == ""
        assert where in full[2], full[2]
    assert len(list((cache / "specs").iterdir())) == 1  # nothing stored for the broken specs


def _walk_enabled(platform: Any, component: str) -> bool:
    """The capacity model's former reading of ``spec.components.<component>`` on the Pydantic model."""
    node: Any = platform.spec.components
    for part in component.split("."):
        if node is None or getattr(node, "enabled", True) is False:
            return False
        node = getattr(node, part, None)
    return node is not None and getattr(node, "enabled", True) is not False


@pytest.mark.parametrize("example", sorted(EXAMPLES))
@pytest.mark.parametrize("disable", ["", "logging", "monitoring", "certManager"])
def test_the_facts_hold_what_the_model_says(example: str, disable: str, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLES[example] / "specs", specs)
    if disable:  # every platform of the example with this component switched off
        for p in specs.rglob("*.yaml"):
            text = p.read_text(encoding="utf-8")
            p.write_text(
                text.replace(f"    {disable}:\n      enabled: true", f"    {disable}:\n      enabled: false")
            )
    paths = {p.SPEC_COMPONENT for p in PROFILES.values()} | {
        "logging",
        "logging.promtail",
        "certManager.acme",
        "nope",
    }
    for platform in load_specs(specs).platforms:
        facts = facts_of(platform)
        for path in sorted(paths):
            assert facts.component_enabled(path) == _walk_enabled(platform, path), path
        assert from_plain(to_plain(facts)) == facts
        assert facts.name == platform.metadata.name
        assert [n.memory for n in facts.nodes] == [n.memory for n in platform.spec.nodes]
        assert facts.kubernetes_version == platform.spec.kubernetesVersion


def test_the_record_is_private_and_holds_no_spec_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(REPO, tmp_path / "repo")
    monkeypatch.chdir(root)
    cache = warm(tmp_path, capsys)
    [record] = (cache / "specs").iterdir()
    data = record.read_bytes()
    for text in (b"ops@cachefly.site", b"github.com", b"grafana-admin", b"lingua"):
        assert text not in data  # only names, sizes, versions and component names
    if os.name == "posix":
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
    # a torn or foreign record is a miss (the full load answers), never an error
    record.write_bytes(data[:-3])
    assert specfacts.load_platforms(root / "specs", cache) == [
        facts_of(p) for p in load_specs("specs").platforms
    ]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
@pytest.mark.parametrize("layout", ["as-is", "one-file"])
def test_plain_documents_are_named_as_the_full_load_names_them(
    example: str, layout: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a finding's spec location is read from: the same names (in the same order: a file of
    several documents is named by the last one), sources, origins and data as the full load's."""
    from gitops_gen.spec.files import spec_files, valid_spec_docs
    from gitops_gen.yamlio import to_plain as plain

    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLES[example] / "specs", specs)
    if layout == "one-file":  # every spec as one multi-document file, the apps first
        files = sorted(spec_files(specs), key=lambda p: "platform" in p.name or "clusters" in p.parts)
        texts = [p.read_text(encoding="utf-8") for p in files]
        shutil.rmtree(specs)
        specs.mkdir()
        (specs / "all.yaml").write_text("\n---\n".join(texts), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for specs_dir in (Path("specs"), specs):
        full = load_specs(specs_dir)
        light = valid_spec_docs(specs_dir, [(p, p.read_bytes()) for p in spec_files(specs_dir)])
        assert light is not None
        assert list(light.names.items()) == list(full.names.items())
        assert light.sources == full.sources and light.origins == full.origins
        assert {k: plain(v) for k, v in light.docs.items()} == {k: plain(v) for k, v in full.docs.items()}
        assert light.platform_names == [p.metadata.name for p in full.platforms]


def kept_records(xdg: Path) -> list[Path]:
    kept = xdg / "gitops-gen" / "lint" / "specs"
    return sorted(kept.iterdir()) if kept.is_dir() else []


@pytest.mark.parametrize("argv", [["render"], ["render", "--check"]], ids=["render", "check"])
def test_render_keeps_the_facts_for_the_next_lint(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`render` validates the specs in full; it keeps their facts where lint reads them (the record lint
    would write itself), so the next lint (the pre-commit hook after `render --check`) loads no spec and
    gives the results of a full load."""
    root = copy_example(REPO, tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GITOPS_GEN_NO_CACHE", raising=False)
    assert run(argv, capsys)[0] == 0
    [record] = kept_records(tmp_path / "xdg")
    own = tmp_path / "own"
    run(["lint", "--cache-dir", str(own), "--format", "json"], capsys)
    [lint_record] = (own / "specs").iterdir()
    assert (record.name, record.read_bytes()) == (lint_record.name, lint_record.read_bytes())
    full = run(["lint", "--no-cache", "--format", "json"], capsys)
    with monkeypatch.context() as m:
        refuse_full_load(m)
        cheap = run(["lint", "--format", "json"], capsys)
    assert cheap == full and json.loads(full[1])["findings"] is not None


def test_render_keeps_nothing_it_did_not_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No record for a broken spec, with GITOPS_GEN_NO_CACHE, or for more spec files than it keys."""
    root = copy_example(REPO, tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GITOPS_GEN_NO_CACHE", raising=False)
    platform = root / "specs/platform.yaml"
    good = platform.read_text(encoding="utf-8")
    platform.write_text(good.replace("memory: 12Gi", "memory: 12Gigs", 1), "utf-8")
    code, _out, err = run(["render", "--check"], capsys)
    assert code == 2 and "specs/platform.yaml:24:15" in err
    assert kept_records(tmp_path / "xdg") == []
    platform.write_text(good, "utf-8")
    with monkeypatch.context() as m:
        m.setenv("GITOPS_GEN_NO_CACHE", "1")
        assert run(["render", "--check"], capsys)[0] == 0
    assert kept_records(tmp_path / "xdg") == []
    with monkeypatch.context() as m:
        m.setattr(specfacts, "KEEP_MAX_FILES", 1)
        assert run(["render", "--check"], capsys)[0] == 0
    assert kept_records(tmp_path / "xdg") == []
    assert run(["render", "--check"], capsys)[0] == 0
    assert len(kept_records(tmp_path / "xdg")) == 1


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_bounded_listing_agrees_with_the_listing(example: str, tmp_path: Path) -> None:
    """`render` skips the listing of many spec files by a listing that stops early: it lists what the
    whole listing lists (hidden names and other suffixes are not spec files), or None past its bound."""
    from gitops_gen.spec.files import spec_files, spec_files_at_most

    specs = copy_example(EXAMPLES[example], tmp_path / example) / "specs"
    (specs / ".hidden.yaml").write_text("x: 1\n", encoding="utf-8")
    (specs / "notes.txt").write_text("x\n", encoding="utf-8")
    (specs / ".git").mkdir()
    (specs / ".git" / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    files = spec_files(specs)
    assert len(files) >= 2
    assert spec_files_at_most(specs, len(files)) == files
    assert spec_files_at_most(specs, len(files) - 1) is None
    one = files[0]  # a spec file given as the specs
    assert spec_files_at_most(one, 1) == spec_files(one) == [one]


@pytest.mark.parametrize("where", ["a-file", "read-only"])
def test_render_with_an_unusable_cache_still_renders(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache that cannot be written only makes the next lint slower: render's result is the same."""
    root = copy_example(REPO, tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITOPS_GEN_NO_CACHE", raising=False)
    xdg = tmp_path / "xdg"
    if where == "a-file":
        xdg.write_text("not a directory\n", encoding="utf-8")
    else:
        if os.geteuid() == 0:
            pytest.skip("root ignores directory permissions")
        xdg.mkdir()
        xdg.chmod(0o500)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    try:
        code, out, err = run(["render", "--check"], capsys)
        assert (code, err) == (0, "") and "up to date" in out
        assert run(["lint", "--format", "json"], capsys)[0] in (0, 1)
    finally:
        if where == "read-only":
            xdg.chmod(0o700)


def test_a_reinstalled_spec_library_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts depend on the libraries that validate the specs: a reinstall or an upgrade writes each
    package's ``__init__.py`` (and compiled modules) anew, and the key follows."""
    lib = tmp_path / "site" / "fakelib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("VERSION = 1\n", encoding="utf-8")
    (lib / "_speedups.so").write_bytes(b"\0" * 16)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(specfacts, "_LIBRARIES", ("fakelib", "no_such_library_here"))
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    first = specfacts.spec_key(specs)
    assert first is not None and specfacts.spec_key(specs) == first
    for name in ("__init__.py", "_speedups.so"):  # as pip writes a file: a new one renamed over the old
        fresh = lib / f".{name}.new"
        fresh.write_bytes((lib / name).read_bytes() + b"\n")
        os.replace(fresh, lib / name)
        key = specfacts.spec_key(specs)
        assert key not in (None, first)
        first = key
