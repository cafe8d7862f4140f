"""Schema validation back ends: ``embedded`` (jsonschema-rs, offline), ``kubeconform`` (subprocess),
and the CRD -> JSON schema converter (``crd``, ``crd_import``)."""
