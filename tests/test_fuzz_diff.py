"""Property tests: `gitops-gen diff` on damaged trees, damaged specs and hostile refs.

* ``--output-dir OLD NEW``: OLD is a clean render, NEW a mutated copy (the lint fuzzing's damage).
* ``--base HEAD``: a temporary git repository holds valid specs at HEAD; the work tree's specs are
  mutated. Broken specs *at the base* are reported with the ref in the location.
* hostile ``--base`` values (option-like, shell metacharacters, paths) are refused cleanly.

Outcomes: exit 0 with a report (JSON parses), or exit 2 with a located message. Never a traceback.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from git_helpers import git
from hardening_helpers import (
    APP,
    FUZZ,
    PLATFORM,
    assert_clean,
    corpus,
    docs_of,
    dump_yaml,
    mutated_doc,
    mutated_text,
    run_cli,
    write_files,
    write_specs,
)
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

DIFF_FUZZ = settings(FUZZ, max_examples=max(FUZZ.max_examples * 2 // 3, 1))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("diffrepo")
    git(root, "init", "-q", "-b", "main")
    write_specs(root)
    git(root, "add", "specs")
    git(root, "commit", "-q", "-m", "specs")
    return root


def _diff(repo: Path, *args: str) -> Any:
    outcome = run_cli(
        ["diff", "--specs", str(repo / "specs"), "--out", str(repo / "output"), *args], timeout=90, cwd=repo
    )
    return outcome


@pytest.mark.slow
@DIFF_FUZZ
@given(st.data())
def test_diff_against_head_with_mutated_work_tree(repo: Path, data: Any) -> None:
    which = data.draw(st.sampled_from(["platform.yaml", "apps/app0.yaml"]))
    base = PLATFORM if which == "platform.yaml" else APP
    text = data.draw(mutated_text(dump_yaml(data.draw(mutated_doc(base)))))
    path = repo / "specs" / which
    original = path.read_bytes()
    path.write_text(text, encoding="utf-8")
    try:
        fmt = data.draw(st.sampled_from(["json", "text", "markdown"]))
        outcome = _diff(repo, "--base", "HEAD", "--format", fmt)
    finally:
        path.write_bytes(original)
    assert_clean(outcome, allowed=(0, 2), dirs=(str(repo / "specs"),))
    if outcome.code == 0 and fmt == "json":
        json.loads(outcome.out)


@pytest.mark.slow
@DIFF_FUZZ
@given(st.data())
def test_diff_output_dirs_with_mutated_new_tree(data: Any) -> None:
    old = dict(corpus())
    new = dict(old)
    for rel in data.draw(st.lists(st.sampled_from(sorted(new)), min_size=1, max_size=3, unique=True)):
        docs = docs_of(new[rel])
        if docs and data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(docs) - 1))
            docs[i] = data.draw(mutated_doc(docs[i]))
        text = "---\n".join(dump_yaml(d) for d in docs) if docs else new[rel]
        new[rel] = data.draw(mutated_text(text))
    if data.draw(st.booleans()):
        old, new = new, old
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_files(root / "old", old)
        write_files(root / "new", new)
        outcome = run_cli(
            [
                "diff",
                "--output-dir",
                str(root / "old"),
                str(root / "new"),
                "--format",
                "json",
                "--specs",
                str(root / "nospecs"),
            ],
            timeout=90,
            cwd=root,
        )
    assert_clean(outcome, allowed=(0, 2))
    if outcome.code == 0:
        json.loads(outcome.out)


@pytest.mark.parametrize(
    "ref",
    [
        "--help",
        "-x",
        "HEAD; touch pwned",
        "$(touch pwned)",
        "../../etc/passwd",
        "HEAD:../../",
        "no-such-ref",
        "",
        " ",
        "HEAD~999",
        "refs/heads/../../x",
        "HEAD\nmain",
        "\x00",
        "é",
    ],
)
def test_hostile_base_refs_are_refused(repo: Path, ref: str) -> None:
    outcome = _diff(repo, "--base", ref)
    assert "Traceback" not in outcome.text and "internal error" not in outcome.text, outcome.text
    assert outcome.code == 2, outcome.text  # a usage error about the option: no file to name
    assert "git ref" in outcome.err and ("check the name" in outcome.err or "pass a branch" in outcome.err)
    assert not (repo / "pwned").exists()


def test_broken_specs_at_base_are_located_with_the_ref(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write_specs(
        tmp_path, apps=["apiVersion: gitops-gen/v1\nkind: App\nmetadata: {name: x}\nspec: {port: !!int p}\n"]
    )
    git(tmp_path, "add", "specs")
    git(tmp_path, "commit", "-q", "-m", "broken")
    write_specs(tmp_path)  # fixed in the work tree
    outcome = _diff(tmp_path, "--base", "HEAD")
    assert_clean(outcome, allowed=(2,))
    assert "HEAD:" in outcome.err and "app0.yaml:4:" in outcome.err


# ------------------------------------------------------------------------------ markdown injection
# what a pull request can put into a value: Markdown and HTML syntax, backtick runs, mentions,
# autolinks, table pipes, line breaks, entities, control characters
_MD_PIECES = st.sampled_from(
    [
        "`",
        "``",
        "```",
        "````",
        "|",
        "\\",
        "<",
        ">",
        "</details>",
        "<h1>",
        "<img src=x>",
        "<a href=x>",
        "](",
        "![",
        "[x]",
        "(http://e.example)",
        "https://e.example/p",
        "www.e.example",
        "@octocat",
        "@org/team",
        "*",
        "_",
        "~~",
        "#",
        "&amp;",
        "&lt;",
        "\n",
        "\r",
        " ",
        "\t",
        "x",
        "é",
        "\x1b[2K",
        "<!--",
        "-->",
        ":",
        "---",
        "> ",
        "1. ",
    ]
)
_MD_VALUES = st.lists(_MD_PIECES, min_size=1, max_size=12).map("".join)


@DIFF_FUZZ
@given(values=st.lists(_MD_VALUES, min_size=1, max_size=4), key=_MD_VALUES, name=_MD_VALUES)
def test_markdown_diff_never_renders_injected_elements(values: list[str], key: str, name: str) -> None:
    """Random values through `diff --format markdown`, rendered by cmark-gfm: only our elements."""
    from gfm_check import injected

    from gitops_gen.diff.compare import compare_objects
    from gitops_gen.diff.model import DiffReport, LintDelta
    from gitops_gen.diff.objects import parse_tree
    from gitops_gen.diff.report import render_report
    from gitops_gen.lint.model import Finding, Severity

    def tree(suffix: str) -> dict[str, str]:
        docs = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm{i}", "namespace": "n"},
                "data": {key or "k": v + suffix, "multi": f"a\n{v}\n{suffix}", "same": name},
            }
            for i, v in enumerate(values)
        ]
        return {f"{name[:20]}{i}.yaml": dump_yaml(d) for i, d in enumerate(docs)}

    old, new = parse_tree(tree("")), parse_tree(tree("~"))
    findings = [
        Finding("secrets", Severity.ERROR, name, 1, 1, f"ConfigMap/n/{v}", v + key, "fix") for v in values
    ]
    report = DiffReport(name, key, compare_objects(old, new), LintDelta.between([], findings), notes=[name])
    md = render_report(report, "markdown")
    assert injected(md) == [], md
