"""Capacity model: chart-aware memory/CPU budget and a scheduling simulation (`gitops-gen budget`).

Entry points: :func:`gitops_gen.capacity.api.run_budget` (the CLI command) and
:func:`gitops_gen.capacity.budget.analyze` (shared with the ``memory-budget``/``cpu-budget`` rules).
"""
