"""The cluster view: what each cluster of a Flux repository applies, built offline.

* :mod:`.view` — entry points (``*/flux-system/gotk-sync.yaml``, ``--cluster DIR``) and the walk of
  Flux Kustomizations (dependsOn order, nested Kustomizations, substitution, commonMetadata);
* :mod:`.kustomize` — the in-process ``kustomize build`` that keeps each object's source position;
* :mod:`.envsubst` — Flux's post-build variable substitution;
* :mod:`.model` — built objects (:class:`~.model.Obj`), problems, the view itself.

This package sits on :mod:`gitops_gen.k8s` and imports neither lint, capacity nor diff.
"""
