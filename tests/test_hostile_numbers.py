"""Numbers no real manifest holds (thousands of digits, 1e300 cores, ``"²"`` as a port): read as
Kubernetes reads them or as not a value, never an internal error (Python's int-to-text limit, float
overflow in a percentage, ``int("²")``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hardening_helpers import assert_clean, run_cli

from gitops_gen.k8s.workloads import COUNT_MAX, INT64_MAX, as_count, as_decimal, as_int, int_or_percent
from gitops_gen.lint.schema.kubeconform import _part
from gitops_gen.quantity import MAX_QUANTITY, cpu_millis, memory_bytes, parse_quantity

HUGE = "9" * 5000


def test_integer_fields_are_int64_counts_int32() -> None:
    assert as_int(INT64_MAX) == INT64_MAX and as_int(-INT64_MAX - 1) == -INT64_MAX - 1
    assert as_int(INT64_MAX + 1) is None and as_int(1e300) is None and as_int(10**5000) is None
    assert as_count(COUNT_MAX) == COUNT_MAX and as_count(COUNT_MAX + 1) is None
    assert as_count("12") == 12 and as_count(HUGE) is None and as_count(int(HUGE[:4000])) is None
    assert int_or_percent("50%") == (50, True) and int_or_percent(f"{HUGE}%") is None
    assert int_or_percent(HUGE) is None and int_or_percent(10**30) is None


@pytest.mark.parametrize(("text", "value"), [("8080", 8080), (" 3 ", 3), ("0", 0), ("007", 7)])
def test_ascii_decimals_read(text: str, value: int) -> None:
    assert as_decimal(text) == value


@pytest.mark.parametrize(
    "text", ["\u00b2", "\u0661\u0662", "-1", "+1", "1.0", "", " ", "9" * 20, HUGE, "8080x"]
)
def test_other_digits_and_long_numbers_are_not_decimals(text: str) -> None:
    assert as_decimal(text) is None


def test_quantities_are_capped_as_kubernetes_caps_them() -> None:
    assert parse_quantity(1e300) == MAX_QUANTITY
    assert parse_quantity("9223372036854775808Ei") == MAX_QUANTITY
    assert parse_quantity(-(10**40)) == -MAX_QUANTITY
    assert parse_quantity("12Gi") == Fraction(12 * 2**30)
    assert memory_bytes("1e30") == 2**63 - 1
    assert cpu_millis(10**30) == (2**63 - 1) * 1000


def test_pointer_segments_are_indices_only_when_written_as_such() -> None:
    assert _part("12") == 12 and _part("007") == "007" and _part("\u00b2") == "\u00b2" and _part("a") == "a"


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: a}}
spec:
  replicas: {replicas}
  strategy: {{rollingUpdate: {{maxSurge: '{surge}%'}}}}
  selector: {{matchLabels: {{a: b}}}}
  template:
    metadata: {{labels: {{a: b}}}}
    spec:
      containers:
      - name: a
        image: a:1
        ports: [{{containerPort: 80}}]
        readinessProbe: {{httpGet: {{path: /, port: '\u00b2'}}}}
        livenessProbe: {{tcpSocket: {{port: '{huge}'}}}}
        resources:
          requests: {{cpu: 1e300, memory: 9223372036854775808Ei}}
          limits: {{cpu: 1e308, memory: 1e300}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: a}}
spec: {{maxUnavailable: '{huge}%', selector: {{matchLabels: {{a: b}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: a}}
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: a, port: {{number: '\u00b2'}}}}}}}}
"""


@pytest.mark.parametrize("replicas", [HUGE, f"'{HUGE}'", "1e300", "99999999999999999999"])
@pytest.mark.parametrize(
    "args",
    [
        ["lint", "--no-cache"],
        ["lint", "--no-cache", "--node-cpu", "4", "--node-memory", "12Gi", "--format", "json"],
        ["budget", "--node-cpu", "4", "--node-memory", "12Gi"],
        ["budget", "--node-cpu", "4", "--node-memory", "12Gi", "--format", "json"],
    ],
)
def test_hostile_numbers_are_findings_not_internal_errors(
    tmp_path: Path, replicas: str, args: list[str]
) -> None:
    target = tmp_path / "n.yaml"
    target.write_text(MANIFEST.format(replicas=replicas, surge=HUGE, huge=HUGE), encoding="utf-8")
    outcome = run_cli([*args, str(target)], timeout=60)
    assert_clean(outcome, allowed=(0, 1, 2))


def test_a_number_python_cannot_print_is_a_located_error(tmp_path: Path) -> None:
    """An integer of more digits than Python converts to text (4,300) failed every message or report
    that showed it; the loader refuses it where it stands. Quoted, it is text, read as such."""
    target = tmp_path / "big.yaml"
    target.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata:\n  quoted: '{HUGE}'\n"
        f"---\napiVersion: example.com/v1\nkind: Thing\nmetadata: {{name: b}}\nspec:\n  n: {HUGE}\n",
        encoding="utf-8",
    )
    outcome = run_cli(["lint", "--no-cache", str(target)], timeout=60)
    assert_clean(outcome, allowed=(1,))
    assert "big.yaml:11:6: error yaml: invalid value: a number of more than" in outcome.text, outcome.text
    assert "big.yaml:5:" not in outcome.text  # the quoted one is a string


def test_cel_does_not_evaluate_an_object_it_cannot_represent() -> None:
    """An integer the CEL library cannot convert (thousands of digits: the loader refuses those in files,
    a caller may still hand one) makes the rule not evaluated, not an error of the rule."""
    from gitops_gen.lint.schema.cel import CelRules

    schema = {
        "type": "object",
        "x-kubernetes-validations": [{"rule": "has(self.a)"}],
        "properties": {"a": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    rules = CelRules(schema)
    assert rules.evaluate({"a": {"n": 1}}) == ([], [])
    failures, skips = rules.evaluate({"a": {"n": 10**5000 - 1}})
    assert not failures and [s.reason for s in skips] == ["the object holds a value CEL cannot represent"]
