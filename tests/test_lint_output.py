"""Output formats: text, json (exact shape), sarif 2.1.0 structure, github annotations."""

from __future__ import annotations

import json
import re

from lint_helpers import FIXTURES, run

from gitops_gen.lint.output import render
from gitops_gen.lint.registry import describe_rules, rules


def _result():  # type: ignore[no-untyped-def]
    return run([FIXTURES / "schema" / "bad.yaml", FIXTURES / "bad" / "values.yaml"])


def test_json_shape_is_exactly_the_documented_one() -> None:
    doc = json.loads(render(_result(), "json"))
    assert set(doc) == {"findings", "summary"}
    assert set(doc["summary"]) == {"errors", "warnings", "resources", "files"}
    assert doc["summary"]["files"] == 2 and doc["summary"]["resources"] == 3
    for f in doc["findings"]:
        assert set(f) == {"rule", "severity", "file", "line", "column", "resource", "message", "remediation"}
        assert f["severity"] in ("error", "warning", "info") and f["line"] >= 1 and f["column"] >= 1
    assert doc["summary"]["errors"] == sum(f["severity"] == "error" for f in doc["findings"])


def test_text_lines_and_summary() -> None:
    text = render(_result(), "text")
    pattern = re.compile(r"^\S+:\d+:\d+: (error|warning|info) [a-z-]+: .+")
    lines = [ln for ln in text.splitlines() if pattern.match(ln)]
    assert any(":7:3: error schema: spec.replicas" in ln for ln in lines)
    assert all(text.splitlines()[text.splitlines().index(ln) + 1].startswith("    fix: ") for ln in lines)
    assert re.search(
        r"^\d+ errors?, \d+ warnings?(, \d+ info)? in 3 resources, 2 files", text.splitlines()[-1]
    )


def test_sarif_structure() -> None:
    doc = json.loads(render(_result(), "sarif"))
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run0 = doc["runs"][0]
    driver = run0["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    assert "schema" in ids and "yaml" in ids and len(ids) == len(set(ids))
    for r in driver["rules"]:
        assert r["help"]["text"] and r["shortDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run0["results"]
    for res in run0["results"]:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
        assert loc["region"]["startColumn"] >= 1


def test_github_annotations() -> None:
    out = render(_result(), "github").splitlines()
    ann = [ln for ln in out if ln.startswith("::")]
    assert ann and all(
        re.match(r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=[^:]+::.+", a) for a in ann
    )
    assert any(a.startswith("::error ") and ",line=7,col=3," in a for a in ann)


def test_rules_docs_in_every_format() -> None:
    all_rules = rules()
    assert "schema" in all_rules and "yaml" in all_rules
    data = json.loads(describe_rules("json"))
    assert [d["id"] for d in data] == sorted(all_rules)
    assert all(d["doc"] and d["severity"] in ("error", "warning", "info") for d in data)
    md = describe_rules("markdown")
    assert "## schema" in md and "| [`schema`](#schema) | error |" in md
    assert describe_rules("text").startswith(sorted(all_rules)[0])


def test_sarif_uris_are_percent_encoded(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bad = (FIXTURES / "schema" / "bad.yaml").read_text()
    (tmp_path / "my apps").mkdir()
    (tmp_path / "my apps" / "50% #1.yaml").write_text(bad)
    monkeypatch.chdir(tmp_path)
    locs = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]
        for r in json.loads(render(run([tmp_path / "my apps"]), "sarif"))["runs"][0]["results"]
    ]
    assert locs and all(
        loc == {"uri": "my%20apps/50%25%20%231.yaml", "uriBaseId": "%SRCROOT%"} for loc in locs
    )
    monkeypatch.chdir(FIXTURES)  # the file is now outside the working directory: an absolute file URI
    locs = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]
        for r in json.loads(render(run([tmp_path / "my apps"]), "sarif"))["runs"][0]["results"]
    ]
    assert locs and all(
        loc["uri"].startswith("file:///")
        and loc["uri"].endswith("/my%20apps/50%25%20%231.yaml")
        and "uriBaseId" not in loc
        for loc in locs
    )
