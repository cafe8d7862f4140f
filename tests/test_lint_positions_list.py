"""Positions of findings on the items of a long ``kind: List`` (what ``kubectl get -o yaml`` writes) cost
the same per item whatever the item's index: the items of a block sequence and the end of a key's value
block are found once per file, not once per finding (it was quadratic: 2,000 items with a finding each
took 24 s). Counted in line visits, not timed."""

from __future__ import annotations

from gitops_gen.lint.positions import LineIndex, locate


def _list(n: int) -> list[str]:
    lines = ["apiVersion: v1", "kind: List", "items:"]
    for i in range(n):
        lines += [
            "- apiVersion: apps/v1",
            "  kind: Deployment",
            f"  metadata: {{name: d{i}}}",
            "  spec:",
            "    replicas: 1",
        ]
    return lines


class _Counting(LineIndex):
    __slots__ = ("visits",)

    def after(self, i: int, indent: int, e: int) -> int:
        self.visits += 1
        return super().after(i, indent, e)


def _visits(n: int) -> int:
    lines = _list(n)
    idx = _Counting(lines)
    idx.visits = 0
    for i in range(n):
        line, col, depth = locate(idx, 0, len(lines), ("items", i, "spec", "replicas"))
        assert (line, col, depth) == (3 + 5 * i + 5, 5, 4)
    return idx.visits


def test_locating_every_item_of_a_list_is_linear() -> None:
    small, large = _visits(200), _visits(800)
    assert large < 6 * small  # 4x the items: about 4x the work (it was 16x)
