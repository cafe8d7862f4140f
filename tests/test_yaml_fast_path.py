"""The fast path of spec loading (yamlio.load_fast, issue 15 item 4) gives exactly what the round-trip
reader gives, or steps aside (None): checked on every YAML file of the repository and the corpus, and on
generated plain scalars, the place where YAML readers disagree (numbers, dates, booleans, nulls)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_gen.errors import UserError
from gitops_gen.spec.loader import load_specs
from gitops_gen.yamlio import _load_native, load_fast, load_positioned, to_plain

REPO = Path(__file__).resolve().parents[1]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return (
            isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b


def _reference(text: str) -> list[Any] | None:
    try:
        return [to_plain(d) for d in load_positioned(text, "t.yaml")]
    except UserError:
        return None


def _agrees(text: str, reader: Callable[[str], list[Any] | None] = load_fast) -> bool:
    """``reader`` steps aside, or reads ``text`` as the round-trip reader does."""
    fast = reader(text)
    if fast is None:
        return True
    ref = _reference(text)
    return ref is not None and _same(fast, ref)


def _yaml_texts() -> list[tuple[Path, str]]:
    """Every readable YAML file of the checkout (not hidden directories: .venv, bench/.corpus of a
    benchmark run) and of the corpus beside it."""
    files = [p for p in REPO.rglob("*.yaml") if not any(x.startswith(".") for x in p.relative_to(REPO).parts)]
    corpus = REPO.parent / "shared" / "corpus"
    files += sorted(corpus.rglob("*.yaml")) if corpus.is_dir() else []
    out = []
    for p in files:
        try:
            out.append((p, p.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return out


def test_every_yaml_file_of_the_repository_and_corpus_reads_the_same() -> None:
    texts = _yaml_texts()
    fast = 0
    for p, text in texts:
        assert _agrees(text), p
        fast += load_fast(text) is not None
    assert fast > len(texts) // 2  # the fast path is taken for most real files


SCALARS = st.text(alphabet="0123456789.-+_:eExXoObBtTzZ ~aAfFnNiIlLsSuUrRyYmMdD<=", min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(SCALARS, min_size=1, max_size=6))
def test_generated_plain_scalars_read_the_same_or_step_aside(values: list[str]) -> None:
    text = "".join(f"k{i}: {v}\n" for i, v in enumerate(values)) + "seq: [" + ", ".join(values) + "]\n"
    assert _agrees(text), text


@pytest.mark.parametrize(
    "scalar",
    ["1e3", "0x1F", "017", "0o17", "1_000", ".inf", "-.NaN", "2024-01-01", "1:20", "1.10", "<<", "="],
)
def test_ambiguous_scalars_go_to_the_reference_reader(scalar: str) -> None:
    assert load_fast(f"a: {scalar}\n") is None
    assert load_fast(f"a: '{scalar}'\n") == [{"a": scalar}]  # quoted: a string in any reading


def test_durations_with_hex_letters_read_fast() -> None:
    """``7d`` (a retention) has a hex digit after a digit but no 0x: a string in every reading, so the
    platform specs that set one are not sent to the round-trip reader for it."""
    assert load_fast("retention: 7d\nb: 15d\nc: 1f\nd: 3D\n") == [
        {"retention": "7d", "b": "15d", "c": "1f", "d": "3D"}
    ]
    for scalar in ("0x1d", "0b1", "0B1", "1e3", "-7d"):
        assert load_fast(f"a: {scalar}\n") is None, scalar


def test_tags_directives_merge_keys_and_duplicates_step_aside() -> None:
    for text in ("a: !!str 1\n", "%YAML 1.1\n---\na: yes\n", "b: &x {c: 1}\na: {<<: *x}\n", "a: 1\na: 2\n"):
        assert load_fast(text) is None, text
    assert load_fast("a: yes\nb: 100m\nc: 1.4.2\nd: ~\ne: 0.5\n") == [
        {"a": "yes", "b": "100m", "c": "1.4.2", "d": None, "e": 0.5}
    ]


def test_specs_read_fast_still_locate_their_keys(tmp_path: Path) -> None:
    specs = load_specs(REPO / "specs")
    assert getattr(specs.docs["App/lingua-app"], "lc", None) is None  # read by the fast path
    where = specs.locate("App", "lingua-app", ("spec", "autoscaling", "maxReplicas"))
    text = (REPO / "specs/apps/lingua-app.yaml").read_text(encoding="utf-8").splitlines()
    assert text[where.line - 1][where.column - 1 :].startswith("maxReplicas:")


@pytest.mark.parametrize("specs_dir", ["specs", "examples/day2/specs", "examples/fleet/specs"])
def test_specs_read_fast_validate_to_the_same_models(specs_dir: str) -> None:
    """The fast path hands its plain documents to the models as they are (no copy, no exotic-type
    walk): the models are those of the round-trip reading, field for field."""
    from gitops_gen.spec import loader

    fast = loader._load_specs(REPO / specs_dir, None, fast=True)
    slow = loader._load_specs(REPO / specs_dir, None, fast=False)
    assert any(getattr(d, "lc", None) is None for d in fast.docs.values())  # some read by the fast path
    assert [p.model_dump() for p in fast.platforms] == [p.model_dump() for p in slow.platforms]
    assert [a.model_dump() for a in fast.apps] == [a.model_dump() for a in slow.apps]
    assert fast.apps, "the comparison is not vacuous"


# ------------------------------------------------------------------ yaml_rs's reading (the first try)
def _native_agrees(text: str) -> bool:
    return _agrees(text, _load_native)


def test_yaml_rs_reading_agrees_on_every_yaml_file_and_reads_the_specs() -> None:
    for p, text in _yaml_texts():
        assert _native_agrees(text), p
    specs = sorted((REPO / "specs").rglob("*.yaml"))
    assert specs and all(_load_native(p.read_text(encoding="utf-8")) is not None for p in specs)


_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs",), include_characters="\n\t\\\"' :#-[]{},&*!|>%@`"
    ),
    max_size=20,
)


def _styled(value: str, style: int) -> str:
    """``value`` as a YAML scalar in one of five styles (possibly not valid YAML: both readers judge)."""
    if style == 0:
        return value
    if style == 1:
        return "'" + value.replace("'", "''") + "'"
    if style == 2:
        import json

        return json.dumps(value, ensure_ascii=False)
    indicator = "|" if style == 3 else ">"
    return indicator + "\n" + "".join(f"    {line}\n" for line in value.split("\n"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.integers(0, 4)), min_size=1, max_size=5), st.booleans())
def test_generated_scalars_in_every_style_read_the_same_or_step_aside(
    values: list[tuple[str, int]], in_list: bool
) -> None:
    if in_list:
        text = "items:\n" + "".join(
            f"  - {_styled(v, s)}\n" if s < 3 else f"  - {_styled(v, s)}" for v, s in values
        )
    else:
        text = "".join(
            f"k{i}: {_styled(v, s)}\n" if s < 3 else f"k{i}: {_styled(v, s)}"
            for i, (v, s) in enumerate(values)
        )
    assert _native_agrees(text), text


@pytest.mark.parametrize(
    "text",
    [
        "a: 0x1F\n",
        "a: 017\n",
        "a: -017\n",
        "a: [1, 0o17]\n",
        "a: +5\n",
        "a: 1_000\n",
        "a: 1e3\n",
        "a: 1.5\n",
        "a: &x 1\nb: *x\n",
        "a: 1\n---\nb: 2\n",
        "a: !!str 5\n",
        "a: 12345678901234567890\n",
        "1: a\n",
        "a:\tb\n",
        "a: '8080'\nb: 8080\n",
        "a: [x, '1.5', 1.5]\n",
        'a: "2024-01-01"\nb: 2024-01-01\n',
        "a: |\n  \n",
        "a: b\r\n",
        "",
        "~\n",
    ],
)
def test_yaml_rs_reading_steps_aside_where_only_the_text_shows_the_difference(text: str) -> None:
    assert _load_native(text) is None


def test_yaml_rs_reading_takes_quoted_numbers_and_words() -> None:
    """A platform spec quotes its Kubernetes version ("1.34") and node sizes ("4"): strings in every
    reading, taken when the text never has them plain."""
    text = "v: '1.34'\nn: \"4\"\nt: 'true'\ne: ''\nl: ['8080', x]\nm: {p: \"0x1F\"}\n"
    assert _load_native(text) == [
        {"v": "1.34", "n": "4", "t": "true", "e": "", "l": ["8080", "x"], "m": {"p": "0x1F"}}
    ]
    assert _native_agrees(text)


def test_yaml_rs_reading_takes_plain_specs() -> None:
    text = "kind: App\nmetadata: {name: a}\nspec:\n  replicas: 2\n  cpu: 100m\n  on: yes\n  x: ~\n  t: true\n  v: 1.4.2\n"
    assert _load_native(text) == [
        {
            "kind": "App",
            "metadata": {"name": "a"},
            "spec": {"replicas": 2, "cpu": "100m", "on": "yes", "x": None, "t": True, "v": "1.4.2"},
        }
    ]
