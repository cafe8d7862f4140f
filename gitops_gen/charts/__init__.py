"""Charts of HelmReleases: where each comes from (:mod:`.sources`), the content-addressed chart cache
(:mod:`.cache`) and ``gitops-gen charts pull`` (:mod:`.pull`). Depends on :mod:`gitops_gen.k8s` only."""
