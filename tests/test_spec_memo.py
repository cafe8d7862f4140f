"""``diff`` loads the specs of two revisions with one :class:`SpecMemo`: a file whose text was loaded
before is not read or validated again, and the result is the same as loading without the memo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitops_gen.errors import UserError
from gitops_gen.spec import loader
from gitops_gen.spec.loader import SpecMemo, load_specs

ROOT = Path(__file__).resolve().parents[1]


def _copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name / "specs"
    shutil.copytree(ROOT / "specs", dst)
    return dst


def _validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = loader._validate_doc

    def spy(doc: object, name: str, problems: object, **kwargs: bool) -> object:
        seen.append(name)
        return real(doc, name, problems, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "_validate_doc", spy)
    return seen


def _summary(specs: loader.Specs) -> object:
    return (
        [p.model_dump() for p in specs.platforms],
        [a.model_dump() for a in specs.apps],
        {k: [a.model_dump() for a in v] for k, v in specs.cluster_apps.items()},
        sorted(str(v) for v in specs.origins.values()),
    )


def test_a_second_side_validates_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    app = next(iter(sorted((new / "apps").glob("*.yaml"))))
    app.write_text(app.read_text(encoding="utf-8").replace("maxReplicas: 5", "maxReplicas: 6"), "utf-8")
    seen = _validations(monkeypatch)
    memo = SpecMemo()
    load_specs(old, memo=memo)
    first = len(seen)
    assert first >= 2
    seen.clear()
    with_memo = load_specs(new, memo=memo)
    assert len(seen) == 1 and seen[0].endswith(f"new/specs/apps/{app.name}")  # the platform: reused
    monkeypatch.undo()
    assert _summary(with_memo) == _summary(load_specs(new))


def test_a_file_with_a_problem_is_not_kept(tmp_path: Path) -> None:
    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    for d in (old, new):
        app = next(iter(sorted((d / "apps").glob("*.yaml"))))
        app.write_text(app.read_text(encoding="utf-8") + "  bogusField: 1\n", "utf-8")
    memo = SpecMemo()
    with pytest.raises(UserError) as first:
        load_specs(old, memo=memo)
    assert not any("bogusField" in t for t in memo.docs)
    with pytest.raises(UserError) as second:
        load_specs(new, memo=memo)
    assert "bogusField" in str(second.value) and "new" in str(second.value)
    assert "old" in str(first.value)


def _walked_spec_files(specs_dir: Path) -> list[Path]:
    """The spec files as ``os.walk`` and pathlib list them (hidden names skipped, links to
    directories not followed, links to files followed): what ``spec_files`` must give."""
    files: list[Path] = []
    for dirpath, dirs, names in os.walk(specs_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for n in names:
            p = Path(dirpath) / n
            if p.suffix in (".yaml", ".yml") and not n.startswith(".") and p.is_file():
                files.append(p)
    return sorted(files, key=lambda p: p.relative_to(specs_dir).as_posix())


def test_spec_files_are_listed_as_a_walk_lists_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_gen.spec.files import spec_files

    specs = tmp_path / "specs"
    for rel in (
        "platform.yaml",
        "apps/a.yaml",
        "apps/b.yml",
        "apps/c.txt",
        "apps/deep/er/d.yaml",
        ".hidden/x.yaml",
        "apps/.e.yaml",
        "apps/UPPER.YAML",
        "z/a-b.yaml",
        "z/a.yaml",
        "z/a_b.yaml",
    ):
        (specs / rel).parent.mkdir(parents=True, exist_ok=True)
        (specs / rel).write_text("kind: App\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.yaml").write_text("kind: App\n")
    (specs / "linked-dir").symlink_to(outside, target_is_directory=True)  # listed, not walked into
    (specs / "apps/linked.yaml").symlink_to(outside / "o.yaml")  # a link to a file: a file
    (specs / "apps/broken.yaml").symlink_to(tmp_path / "missing.yaml")
    (specs / "apps/dir.yaml").mkdir()  # a directory named like a spec
    for given in (specs, Path(str(specs) + "/"), specs.relative_to(tmp_path)):
        monkeypatch.chdir(tmp_path)
        assert spec_files(given) == _walked_spec_files(given)
    assert [p.relative_to(specs).as_posix() for p in spec_files(specs)] == [
        "apps/a.yaml",
        "apps/b.yml",
        "apps/deep/er/d.yaml",
        "apps/linked.yaml",
        "platform.yaml",
        "z/a-b.yaml",
        "z/a.yaml",
        "z/a_b.yaml",
    ]
    scandir = os.scandir

    def refused(path: str) -> object:  # a directory that cannot be listed (chmod 0 does not stop root)
        if path.endswith("deep"):
            raise PermissionError(13, "Permission denied", path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refused)
    with pytest.raises(UserError, match="cannot read directory") as info:
        spec_files(specs)
    assert info.value.problems[0].location.file.endswith("deep")
