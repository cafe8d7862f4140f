"""Property tests: random and mutated specs through the spec loader and `gitops-gen render`.

Valid specs with fields dropped, retyped, renamed, deeply nested, huge numbers, odd unicode, tabs,
anchors and truncation: the loader either returns specs whose every name is safe to become a path,
or raises a UserError whose every problem names ``file:line:col``. Never another exception.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import (
    APP,
    FUZZ,
    PLATFORM,
    assert_clean,
    dump_yaml,
    laughs,
    mutated_doc,
    mutated_text,
    run_cli,
    write_specs,
)
from hypothesis import given
from hypothesis import strategies as st

from gitops_gen.errors import UserError
from gitops_gen.spec.loader import Specs, load_specs

_SAFE_SEGMENT = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def _check_load(specs_dir: Path) -> Specs | None:
    try:
        specs = load_specs(specs_dir)
    except UserError as exc:
        assert exc.problems
        for problem in exc.problems:
            loc = problem.location
            if loc.file.endswith((".yaml", ".yml")):
                assert loc.line >= 1 and loc.column >= 1, str(problem)
            else:
                assert Path(loc.file) == specs_dir, str(problem)
            assert "Traceback" not in str(problem)
        return None
    # whatever loads must be safe to turn into paths and manifests
    names = [specs.platform.metadata.name] + [a.metadata.name for a in specs.apps]
    names += [a.namespace for a in specs.apps] + [n.name for n in specs.platform.spec.nodes]
    for name in names:
        assert _SAFE_SEGMENT.match(name) and ".." not in name, name
    return specs


def test_base_specs_are_valid(tmp_path: Path) -> None:
    specs = _check_load(write_specs(tmp_path))
    assert specs is not None and [a.metadata.name for a in specs.apps] == ["shop"]


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_mutated_platform_spec(data: Any) -> None:
    doc = data.draw(mutated_doc(PLATFORM))
    text = data.draw(mutated_text(dump_yaml(doc)))
    with tempfile.TemporaryDirectory() as tmp:
        _check_load(write_specs(Path(tmp), platform=text))


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_mutated_app_spec(data: Any) -> None:
    doc = data.draw(mutated_doc(APP))
    text = data.draw(mutated_text(dump_yaml(doc)))
    with tempfile.TemporaryDirectory() as tmp:
        _check_load(write_specs(Path(tmp), apps=[text, APP]))


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_random_documents_as_specs(data: Any) -> None:
    """Not-quite-specs: other kinds, lists, scalars, several documents per file."""
    from hardening_helpers import values

    docs = data.draw(
        st.lists(
            st.one_of(
                values,
                st.fixed_dictionaries(
                    {
                        "apiVersion": st.sampled_from(["gitops-gen/v1", "v1", "gitops-gen/v2"]),
                        "kind": st.sampled_from(["App", "Platform", "app", "Deployment"]),
                        "metadata": values,
                        "spec": values,
                    }
                ),
            ),
            min_size=1,
            max_size=3,
        )
    )
    text = "---\n".join(dump_yaml(d) for d in docs)
    with tempfile.TemporaryDirectory() as tmp:
        specs = write_specs(Path(tmp))
        (specs / "apps" / "random.yaml").write_text(text, encoding="utf-8")
        _check_load(specs)


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_render_mutated_specs_cli(data: Any) -> None:
    """Through the real CLI: exit 0 (rendered) or 2 (bad spec, located); never a traceback."""
    which = data.draw(st.sampled_from(["platform", "app"]))
    base = PLATFORM if which == "platform" else APP
    text = data.draw(mutated_text(dump_yaml(data.draw(mutated_doc(base)))))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        specs = write_specs(root, **({"platform": text} if which == "platform" else {"apps": [text]}))
        outcome = run_cli(["render", "--specs", str(specs), "--out", str(root / "out")], timeout=60)
        assert_clean(outcome, allowed=(0, 2), dirs=(str(specs),))
        if outcome.code == 0:
            rendered = [p for p in (root / "out").rglob("*") if p.is_file()]
            assert rendered, "render succeeded but wrote nothing"
            for p in rendered:  # nothing outside --out, nothing that is not text
                assert p.resolve().is_relative_to((root / "out").resolve())
                p.read_text(encoding="utf-8")


def test_helpers_dump_and_mutate_roundtrip() -> None:
    """The base documents survive a dump/load round trip (so mutations start from valid input)."""
    from gitops_gen.yamlio import load_positioned, to_plain

    for doc in (PLATFORM, APP):
        assert to_plain(load_positioned(dump_yaml(doc), "x.yaml")[0]) == doc
    assert len(laughs(3)) < 300
