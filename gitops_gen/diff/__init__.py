"""Semantic diff of two renders (git ref vs work tree, or two rendered trees), with lint and budget deltas.

``gitops-gen diff`` calls :func:`gitops_gen.diff.api.run_diff`.
"""
