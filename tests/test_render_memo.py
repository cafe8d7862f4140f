"""``diff`` renders its two revisions with one :class:`RenderMemo` (and one spec memo): an app whose
spec models are shared by both revisions is rendered once. The memo must never change a file: the
second revision's tree equals a render without any memo, whatever the change."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_gen.render.engine import RenderMemo, render_tree
from gitops_gen.spec.loader import SpecMemo, load_specs

ROOT = Path(__file__).resolve().parents[1]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "an app's replicas": (
        "specs",
        lambda d: _edit(d / "apps/lingua-app.yaml", "maxReplicas: 5", "maxReplicas: 6"),
    ),
    "the platform": ("specs", lambda d: _edit(d / "platform.yaml", "name: ", "name: x")),
    # lingua-db's NetworkPolicy admits lingua-app because of lingua-app's egress: lingua-db.yaml is
    # unchanged, its rendered policy is not
    "a peer's egress (default-deny)": (
        "examples/day2/specs",
        lambda d: _edit(d / "apps/lingua-app.yaml", "      - {app: lingua-db}\n", ""),
    ),
    "nothing": ("specs", lambda d: None),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_memo_render_equals_a_fresh_render(tmp_path: Path, change: str) -> None:
    src, edit = CHANGES[change]
    old, new = tmp_path / "old" / "specs", tmp_path / "new" / "specs"  # both "specs", as in diff
    shutil.copytree(ROOT / src, old)
    shutil.copytree(ROOT / src, new)
    edit(new)
    specs_memo, render_memo = SpecMemo(), RenderMemo()
    # each side's files named from its own root, as diff names the base revision's and the work tree's
    render_tree(load_specs(old, display_root=old.parent, memo=specs_memo), "output", memo=render_memo)
    remembered = len(render_memo.apps)
    with_memo = render_tree(
        load_specs(new, display_root=new.parent, memo=specs_memo), "output", memo=render_memo
    )
    fresh = render_tree(load_specs(new, display_root=new.parent), "output")
    assert with_memo == fresh
    if change == "nothing":
        assert len(render_memo.apps) == remembered  # every app came from the memo
    else:
        assert len(render_memo.apps) > remembered  # what the change touched was rendered again
