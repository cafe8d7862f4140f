"""Lint rules, one module each (see docs/ARCHITECTURE.md for the contract).

A rule module is listed in the registry table (:func:`gitops_gen.lint.registry._table`), which checks
it against the rule protocol. Modules whose name starts with ``_`` are helpers of the rules.
"""
