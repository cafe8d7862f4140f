"""Kubernetes objects as every part of gitops-gen reads them.

* :mod:`.model` — :class:`~.model.Resource` (an object and where it came from) and
  :class:`~.model.ObjectIndex` (lookups by kind, key, namespace);
* :mod:`.loader` — the one manifest loader (files, multi-document YAML, kustomization roles);
* :mod:`.workloads` — the one reading of workloads (pod-template kinds, containers, selectors,
  autoscalers, counts, int-or-percent).

This package sits below ``lint`` and ``capacity`` and imports neither.
"""
