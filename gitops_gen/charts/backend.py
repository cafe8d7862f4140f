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
    import shutil  # here: the budget rules import this module on every lint, shutil costs ~5 ms

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


class BinaryError(Exception):
    """The helm binary failed, timed out or could not be started (the message says which)."""


def run_binary(cmd: list[str], what: str, home: Path, timeout: int, *, keep_env: bool) -> str:
    """Run the helm binary (``cmd[0]``) with its caches and config under ``home`` (a scratch directory),
    and return its standard output. ``keep_env``: keep the user's ``HELM_*`` settings (``helm pull``
    honours registry logins); otherwise the run sees none of them (``helm template`` needs nothing of
    the user's setup). Raises :class:`BinaryError` naming ``what`` (e.g. "`helm pull` of ...")."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if keep_env or not k.startswith("HELM_")}
    env.update(
        HELM_CACHE_HOME=str(home / "cache"),
        HELM_REPOSITORY_CONFIG=str(home / "repositories.yaml"),
        HELM_REPOSITORY_CACHE=str(home / "repository"),
    )
    if not keep_env:
        env.update(HELM_CONFIG_HOME=str(home / "config"), HELM_DATA_HOME=str(home / "data"))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise BinaryError(f"{what} timed out after {timeout}s") from None
    except OSError as exc:
        raise BinaryError(f"cannot run helm: {exc}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.lower().startswith("error")] or lines[-1:]
        why = errors[0] if errors else f"exit {proc.returncode}"
        raise BinaryError(f"{what} failed: {why[:500]}")
    return proc.stdout
