"""Lint Kubernetes and Flux manifests: schema validation plus one module per rule (``rules/``)."""
