"""gitops-gen: typed specs -> Flux GitOps repository, and a linter for the mistakes that hurt small clusters.

Flow: ``spec`` (load + validate user specs) -> ``render`` (Jinja2 templates, one per kind)
-> ``lint`` (schemas + rules) -> ``capacity`` (budget + scheduling simulation).
"""

__version__ = "0.1.0"
