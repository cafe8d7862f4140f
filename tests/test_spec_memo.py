"""``diff`` loads the specs of two revisions with one :class:`SpecMemo`: a file whose text was loaded
before is not read or validated again, and the result is the same as loading without the memo."""

from __future__ import annotations

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
