"""Lint configuration (.gitops-gen.yaml, [tool.gitops-gen]): settings applied, every error located.

Each class of error names file:line:col, the key path and what to do, as spec errors do (the same
Pydantic + positions machinery, gitops_gen.validation), in YAML and in pyproject.toml alike.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lint_helpers import FIXTURES, by_rule, run

from gitops_gen.capacity.nodes import MAX_NODES
from gitops_gen.errors import Problem, UserError
from gitops_gen.lint.config import Config, load_config
from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import rules


def _load(directory: Path, config: Path | None = None) -> Config:
    return load_config(config, cwd=directory, repo_root=directory, rule_ids=set(rules()))


def _problems(directory: Path, config: Path | None = None) -> list[Problem]:
    with pytest.raises(UserError) as exc:
        _load(directory, config)
    return exc.value.problems


def _one(directory: Path, config: Path | None = None) -> Problem:
    problems = _problems(directory, config)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_config_disable_severity_exclude(tmp_path: Path) -> None:
    cfg = tmp_path / ".gitops-gen.yaml"
    cfg.write_text(
        "disable: [image]\nseverity:\n  schema: warning\nexclude: ['skip/**']\n"
        "nodes: {count: 2, cpu: '4', memory: 12Gi}\n"
    )
    c = _load(tmp_path)
    assert c.disable == {"image"} and str(c.severity["schema"]) == "warning" and c.exclude == ["skip/**"]
    assert (c.node_count, c.node_cpu, c.node_memory) == (2, "4", "12Gi")
    (tmp_path / "skip").mkdir()
    shutil.copy(FIXTURES / "schema" / "bad.yaml", tmp_path / "skip" / "bad.yaml")
    shutil.copy(FIXTURES / "schema" / "bad.yaml", tmp_path / "bad.yaml")
    result = run([tmp_path], exclude=c.exclude, severity=c.severity, disabled=c.disable)
    assert {f.file for f in result.findings} == {(tmp_path / "bad.yaml").as_posix()}
    assert {str(f.severity) for f in by_rule(result, "schema")} == {"warning"}


def test_every_setting_is_read_with_its_shorthands(tmp_path: Path) -> None:
    (tmp_path / ".gitops-gen.yaml").write_text(
        "disable: probes\n"  # one id: a list of one
        "severity: {hpa: 'off', pdb: WARNING, image: false, schema: info}\n"  # off/false disable; any case
        "exclude: '*.sops.yaml'\n"
        "kubernetes-version: 1.34\n"  # a YAML number: the text 1.34
        "schema-dirs: [schemas]\ncrd-dirs: crds\n"
        "validator: auto\nfail-on: warning\n"
        "nodes: {count: 3, cpu: 4, memory: 12Gi}\n"
    )
    c = _load(tmp_path)
    assert c.source == ".gitops-gen.yaml"
    assert c.disable == {"probes", "hpa", "image"}
    assert c.severity == {"pdb": Severity.WARNING, "schema": Severity.INFO}
    assert c.exclude == ["*.sops.yaml"] and c.kubernetes_version == "1.34"
    assert c.schema_dirs == [tmp_path / "schemas"] and c.crd_dirs == [tmp_path / "crds"]
    assert (c.validator, c.fail_on) == ("auto", "warning")
    assert (c.node_count, c.node_cpu, c.node_memory) == (3, "4", "12Gi")


def test_no_config_and_an_empty_config_change_nothing(tmp_path: Path) -> None:
    assert _load(tmp_path) == Config()
    (tmp_path / ".gitops-gen.yml").write_text("# nothing yet\n")
    assert _load(tmp_path) == Config(source=".gitops-gen.yml")
    (tmp_path / ".gitops-gen.yml").write_text("disable:\n#  - probes\nseverity:\nnodes:\nvalidator:\n")
    assert _load(tmp_path) == Config(source=".gitops-gen.yml")  # keys left empty: the defaults


# (file text, line, column, key path, message part, hint part): one row per class of error
YAML_ERRORS = [
    ("fail_on: warning\n", 1, 1, "fail_on", "unknown field", "did you mean 'fail-on'?"),
    ("bogus: 1\n", 1, 1, "bogus", "unknown field", "valid fields here: clusters, crd-dirs, disable,"),
    ("nodes: {count: 1, memroy: 1Gi}\n", 1, 19, "nodes.memroy", "unknown field", "did you mean 'memory'?"),
    (
        "disable: [probes, probez]\n",
        1,
        19,
        "disable[1]",
        "unknown rule id 'probez'",
        "did you mean 'probes'?",
    ),
    ("disable: [zzzzzz]\n", 1, 11, "disable[0]", "unknown rule id 'zzzzzz'", "known rules: "),
    ("severity:\n  nosuch: error\n", 2, 3, "severity.nosuch", "unknown rule id 'nosuch'", "known rules"),
    (
        "severity:\n  schema: fatal\n",
        2,
        11,
        "severity.schema",
        "unknown severity 'fatal'",
        "use error, warning",
    ),
    ("validator: kubecon\n", 1, 12, "validator", "invalid value 'kubecon'", "use 'embedded', 'kubeconform'"),
    ("fail-on: info\n", 1, 10, "fail-on", "invalid value 'info'", "use 'error' or 'warning'"),
    ("exclude: [1]\n", 1, 11, "exclude[0]", "wrong type: input should be a valid string", "docs/lint.md"),
    ("severity: [a]\n", 1, 1, "severity", "wrong type: input should be a valid dictionary", "docs/lint.md"),
    ("nodes: 3\n", 1, 8, "nodes", "wrong type: input should be a mapping (got int 3)", "docs/lint.md"),
    ("nodes:\n  count: 0\n", 2, 10, "nodes.count", f"from 1 to {MAX_NODES:,} (got 0)", "number of nodes"),
    ("nodes: {count: '2'}\n", 1, 16, "nodes.count", "expected an integer", "number of nodes"),
    ("nodes: {cpu: 4x}\n", 1, 14, "nodes.cpu", "not a quantity: '4x' is not a Kubernetes quantity", "e.g."),
    ("nodes: {memory: [1]}\n", 1, 9, "nodes.memory", "not a quantity: [1]", "memory: 12Gi"),
]


@pytest.mark.parametrize(("text", "line", "col", "key_path", "message", "hint"), YAML_ERRORS)
def test_each_error_in_yaml_is_located_with_key_path_and_hint(
    tmp_path: Path, text: str, line: int, col: int, key_path: str, message: str, hint: str
) -> None:
    (tmp_path / ".gitops-gen.yaml").write_text(text)
    p = _one(tmp_path)
    assert (p.location.file, p.location.line, p.location.column) == (".gitops-gen.yaml", line, col), str(p)
    assert p.key_path == key_path and message in p.message and hint in p.hint, str(p)
    assert str(p).startswith(f".gitops-gen.yaml:{line}:{col}: {key_path}: ")


def test_all_errors_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    (tmp_path / ".gitops-gen.yaml").write_text("fail_on: x\ndisable: [nope]\nnodes: {count: 0, cpu: z}\n")
    assert [(p.location.line, p.key_path) for p in _problems(tmp_path)] == [
        (1, "fail_on"),
        (2, "disable[0]"),
        (3, "nodes.count"),
        (3, "nodes.cpu"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        ("- probes\n", 1, 1, "the config must be a mapping of settings"),
        ("disable: [pdb]\n---\nfail-on: warning\n", 3, 1, "a second YAML document"),
        ("disable: [pdb\n", 2, 1, "expected ',' or ']'"),
        ("disable: []\ndisable: [pdb]\n", 2, 1, 'duplicate key "disable"'),
    ],
)
def test_file_level_errors_are_located(tmp_path: Path, text: str, line: int, col: int, message: str) -> None:
    (tmp_path / ".gitops-gen.yaml").write_text(text)
    p = _one(tmp_path)
    assert (p.location.line, p.location.column) == (line, col) and message in p.message, str(p)


def test_an_explicit_config_that_is_missing_is_a_usage_error(tmp_path: Path) -> None:
    p = _one(tmp_path, tmp_path / "nope.yaml")
    assert p.message == "config file not found" and "--config" in p.hint


def test_pyproject_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.gitops-gen]\ndisable = ["pdb"]\nfail-on = "warning"\nbogus = 1\n'
    )
    p = _one(tmp_path)
    assert (p.location.file, p.location.line, p.location.column, p.key_path) == (
        "pyproject.toml",
        7,
        1,
        "bogus",
    )
    (tmp_path / "pyproject.toml").write_text('[tool.gitops-gen]\ndisable = ["pdb"]\nfail-on = "warning"\n')
    c = _load(tmp_path)
    assert c.disable == {"pdb"} and c.fail_on == "warning" and c.source == "pyproject.toml"


def test_pyproject_tables_dotted_keys_and_inline_tables_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.gitops-gen]\ndisable = [\n  "pdb",  # why\n  "image",\n]\nnodes.count = 2\n'
        'nodes.memory = "12Gi"\nkubernetes-version = "1.33"\n\n'
        '[tool.gitops-gen.severity]\nhpa = false\nprobes = "warning"\n'
    )
    c = _load(tmp_path)
    assert c.disable == {"pdb", "image", "hpa"} and c.severity == {"probes": Severity.WARNING}
    assert (c.node_count, c.node_memory, c.kubernetes_version) == (2, "12Gi", "1.33")
    (tmp_path / "pyproject.toml").write_text('[tool.gitops-gen]\nseverity = {hpa = "off", pdb = "Error"}\n')
    assert _load(tmp_path).severity == {"pdb": Severity.ERROR} and _load(tmp_path).disable == {"hpa"}


PYPROJECT = """\
[project]
name = "x"

[tool.gitops-gen]
disable = [
  "probes",   # a comment, then the bad id on the next line
  "probez",
]
fail-on = "warnin"
severity.hpa = "fatal"
nodes = {count = 0, "cpu" = "4x", memry = "1Gi"}
exclude = '''
x'''
bogus = 1

[tool.gitops-gen.more]
x = 1

[tool.other]
bogus2 = 1
"""


def test_each_error_in_pyproject_is_located_like_yaml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    got = [(p.location.line, p.location.column, p.key_path, p.message, p.hint) for p in _problems(tmp_path)]
    assert [g[:3] for g in got] == [
        (7, 3, "disable[1]"),
        (9, 11, "fail-on"),
        (10, 16, "severity.hpa"),
        (11, 18, "nodes.count"),
        (11, 29, "nodes.cpu"),
        (11, 35, "nodes.memry"),
        (14, 1, "bogus"),
        (16, 1, "more"),
    ]
    assert got[0][3:] == ("unknown rule id 'probez'", "did you mean 'probes'?")
    assert got[5][3:] == ("unknown field", "did you mean 'memory'?")
    assert "bogus2" not in str(got)  # other tools' tables are theirs


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        (
            '[tool.gitops-gen]\ndisable = ["a"]\ndisable = ["b"]\n',
            3,
            16,  # tomllib's column: the end of the second definition
            "invalid TOML: Cannot overwrite a value",
        ),
        ("[tool.gitops-gen]\ndisable = [\n", 3, 1, "invalid TOML: "),
        ('[tool]\ngitops-gen = "x"\n', 1, 1, "[tool.gitops-gen] must be a table of settings"),
    ],
)
def test_pyproject_syntax_errors_are_located(
    tmp_path: Path, text: str, line: int, col: int, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    p = _one(tmp_path, tmp_path / "pyproject.toml")
    assert (p.location.line, p.location.column) == (line, col) and p.message.startswith(message), str(p)
    assert "(at line" not in p.message  # the position is in the location, not repeated in the message


def test_a_bad_config_is_exit_2_with_a_located_message_from_the_cli(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    (tmp_path / ".gitops-gen.yaml").write_text("disable: [probes]\nseverity:\n  hpa: loud\n")
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_gen", "lint", "--no-cache", "ok.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert ".gitops-gen.yaml:3:8: severity.hpa: unknown severity 'loud'; use error, warning, info or off" in (
        proc.stderr
    )
    assert "Traceback" not in proc.stderr
