"""What a diff found: object changes, the lint delta and the budget delta (pure data)."""

from __future__ import annotations

from collections import Counter

from msgspec import Struct, field

from gitops_gen.diff.compare import ObjectDiff
from gitops_gen.lint.model import Finding, Severity


def finding_key(f: Finding) -> tuple[str, str, str, str]:
    """Findings are the same across two renders when rule, object, message and cluster agree (not
    lines)."""
    return (f.rule, f.resource, f.message, f.cluster)


class LintDelta(Struct):
    """Findings introduced and fixed by a change.

    Findings match across the two sides by rule + object + message (never by line). Of the
    unmatched ones, a finding before and a finding after with the same rule and object are paired
    as *changed* (the problem is still there, its message differs: e.g. the budget figures moved),
    so that a request change elsewhere does not read as one fix and one new error per object.
    """

    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    before_errors: int = 0
    after_errors: int = 0
    changed: list[tuple[Finding, Finding]] = field(default_factory=list)  # (before, after)

    @classmethod
    def between(cls, before: list[Finding], after: list[Finding]) -> LintDelta:
        """Findings present after but not before (introduced) and the reverse (fixed), as multisets."""
        old = Counter(finding_key(f) for f in before)
        new = Counter(finding_key(f) for f in after)
        added: list[Finding] = []
        gone: list[Finding] = []
        left = new - old
        for f in sorted(after, key=_order):
            if left[finding_key(f)] > 0:
                left[finding_key(f)] -= 1
                added.append(f)
        right = old - new
        for f in sorted(before, key=_order):
            if right[finding_key(f)] > 0:
                right[finding_key(f)] -= 1
                gone.append(f)
        pool: dict[tuple[str, str, str], list[Finding]] = {}
        for f in gone:
            pool.setdefault((f.rule, f.resource, f.cluster), []).append(f)
        introduced: list[Finding] = []
        changed: list[tuple[Finding, Finding]] = []
        for f in added:
            olds = pool.get((f.rule, f.resource, f.cluster))
            if olds:
                changed.append((olds.pop(0), f))
            else:
                introduced.append(f)
        paired = {id(b) for b, _ in changed}
        fixed = [f for f in gone if id(f) not in paired]
        return cls(
            introduced,
            fixed,
            sum(1 for f in before if f.severity >= Severity.ERROR),
            sum(1 for f in after if f.severity >= Severity.ERROR),
            changed,
        )

    def added_at(self, threshold: Severity) -> list[Finding]:
        """Findings at ``threshold`` or above that the change brings: introduced ones, and changed ones
        that were below it before (``diff --fail-on``)."""
        raised = [now for was, now in self.changed if now.severity >= threshold > was.severity]
        return [f for f in self.introduced if f.severity >= threshold] + raised

    def count(self, which: list[Finding], severity: Severity) -> int:
        return sum(1 for f in which if f.severity == severity)


def _order(f: Finding) -> tuple[int, str, str, str, str]:
    return (-int(f.severity), f.rule, f.resource, f.message, f.file)


class BudgetSide(Struct):
    """Totals of one side: requests (and limits) against the nodes' allocatable."""

    cpu_requests_millis: int
    memory_requests_bytes: int
    cpu_allocatable_millis: int | None = None
    memory_allocatable_bytes: int | None = None
    cpu_limits_millis: int | None = None
    memory_limits_bytes: int | None = None
    pending: list[str] = field(default_factory=list)  # pods that would not be scheduled
    unknown: list[str] = field(default_factory=list)  # workloads of unknown footprint


class BudgetDelta(Struct):
    before: BudgetSide | None
    after: BudgetSide | None
    cluster: str = ""  # the cluster budgeted ("" for manifests without a Flux entry point)


class DiffReport(Struct):
    base_label: str  # e.g. "HEAD (1a2b3c4)" or the OLD directory
    new_label: str  # e.g. "working tree" or the NEW directory
    objects: ObjectDiff
    lint: LintDelta | None = None
    budget: BudgetDelta | None = None
    notes: list[str] = field(default_factory=list)  # what could not be computed, and why
    # several clusters: one budget each (``budget`` is then None), and the clusters reading each file
    budgets: list[BudgetDelta] = field(default_factory=list)
    clusters_of: dict[str, list[str]] = field(default_factory=dict)

    @property
    def all_budgets(self) -> list[BudgetDelta]:
        return self.budgets or ([self.budget] if self.budget is not None else [])

    def clusters(self, file: str) -> str:
        """``", clusters a, b"`` (the clusters applying ``file``) when the trees hold several, else ``""``."""
        names = self.clusters_of.get(file) if self.clusters_of else None
        if not names:
            return ""
        return f", cluster{'s' if len(names) > 1 else ''} {', '.join(names)}"
