"""Which Helm renders and pulls charts: the ``helm`` binary, or Helm's Go SDK from Python.

* The ``helm`` binary (Helm's official release) is preferred: ``helm template --kube-version`` renders
  for the cluster's Kubernetes version, ``--skip-tests`` leaves test pods out, ``helm pull`` honours
  registry logins.
* ``helm-python-sdk`` (PyPI, ``pip install 'gitops-gen[helm]'``; import name ``helm_python``) embeds the
  Helm v4 Go SDK in a native library, so a machine without the binary still renders and pulls. Its
  offline render has no Kubernetes-version setting (templates gated on the version see Helm's
  default), which the budget says in the release's notes.

``$GITOPS_GEN_HELM`` chooses: a path or command name of a helm binary, or ``sdk``. Otherwise ``helm`` on
PATH, else the SDK when installed, else none (the budget falls back to profiles and says so).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

SDK = "helm-python-sdk"
ENV = "GITOPS_GEN_HELM"


class SdkError(Exception):
    """The SDK refused (a chart that does not render, a pull that failed)."""


def sdk_installed() -> bool:
    return importlib.util.find_spec("helm_python") is not None


def find_helm() -> str | None:
    """The helm binary's path, :data:`SDK`, or ``None`` when neither is available."""
    choice = os.environ.get(ENV, "").strip()
    if choice == "sdk":
        return SDK if sdk_installed() else None
    if choice:
        return shutil.which(choice)
    binary = shutil.which("helm")
    if binary is not None:
        return binary
    return SDK if sdk_installed() else None


def sdk_template(release: str, namespace: str, chart: Path, values: dict[str, Any]) -> str:
    """``helm template`` through the SDK: the manifests of every template but tests and NOTES.txt,
    in template-path order (Helm's own order within a kind does not matter to the budget)."""
    import helm_python

    try:
        loaded = helm_python.Chart.load(chart)
        rendered = loaded.render(
            json.loads(json.dumps(values, default=str)), name=release, namespace=namespace, is_install=True
        )
    except helm_python.HelmError as exc:
        raise SdkError(
            str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
        ) from None
    docs = []
    for path in sorted(rendered):
        parts = path.split("/")
        if path.endswith("NOTES.txt") or "tests" in parts[1:-1] or not rendered[path].strip():
            continue
        docs.append(f"---\n# Source: {path}\n{rendered[path].strip()}\n")
    return "".join(docs)


def sdk_pull(target: str, dest: Path, *, version: str, repo_url: str | None, plain_http: bool) -> None:
    """``helm pull`` through the SDK into ``dest`` (``target``: a chart name with ``repo_url``, or an
    ``oci://`` reference)."""
    import helm_python

    try:
        helm_python.pull(
            target,
            destination=dest,
            version=version or None,
            repo_url=repo_url,
            plain_http=plain_http,
        )
    except helm_python.HelmError as exc:
        raise SdkError(
            str(exc).strip().splitlines()[0][:400] if str(exc).strip() else type(exc).__name__
        ) from None
