"""``gitops-gen init``: the first specs of a new repository, from a few answers.

Writes ``platform.yaml``, ``apps/<app>.yaml`` and ``schema.json`` (the editor schema the files'
``# yaml-language-server`` line points at) into the spec directory. The answers are checked by the
spec loader itself before anything is written, so what ``init`` writes renders and lints clean; it
never overwrites: a spec directory that already holds specs is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

from msgspec import Struct

from gitops_gen.errors import Location, Problem, UserError

COMPONENTS = ("ingress-nginx", "cert-manager", "sealed-secrets", "monitoring", "logging")
DEFAULT_COMPONENTS = ("ingress-nginx", "cert-manager", "sealed-secrets")
PLACEHOLDER_URL = "ssh://git@github.com/OWNER/REPOSITORY"


class Answers(Struct):
    """What ``init`` asks (each a flag of the command); ``None`` means "not given": ask, or default."""

    name: str | None = None
    git_url: str | None = None
    branch: str | None = None
    distribution: str | None = None
    node_cpu: str | None = None
    node_memory: str | None = None
    components: str | None = None
    acme_email: str | None = None
    app: str | None = None
    image: str | None = None
    port: int | None = None
    host: str | None = None


QUESTIONS = {
    "name": "Cluster name (becomes clusters/<name>/)",
    "git_url": "Git URL Flux syncs (ssh:// or https://)",
    "branch": "Git branch",
    "distribution": "Distribution (k3s or kubernetes)",
    "node_cpu": "CPU of the node",
    "node_memory": "Memory of the node",
    "components": f"Components, comma-separated, or none ({', '.join(COMPONENTS)})",
    "acme_email": "E-mail for Let's Encrypt certificates (empty: no ClusterIssuer)",
    "app": "First app's name (none: no app)",
    "image": "Its container image",
    "port": "Its port",
    "host": "Its public host name (empty: no ingress)",
}


def interactive() -> bool:
    """Ask questions only when a person can answer: standard input is a terminal."""
    import sys

    return sys.stdin.isatty()


def defaults(cwd: Path) -> Answers:
    """The answer ``--yes`` takes for each question (the git remote and branch when there are)."""
    name = re.sub(r"[^a-z0-9-]+", "-", cwd.resolve().name.lower()).strip("-")[:40].strip("-")
    return Answers(
        name=name if re.match(r"^[a-z]", name or "") else "cluster",
        git_url=_git_url(cwd) or PLACEHOLDER_URL,
        branch=_git(cwd, "symbolic-ref", "--short", "HEAD") or "main",
        distribution="k3s",
        node_cpu="2",
        node_memory="4Gi",
        components=",".join(DEFAULT_COMPONENTS),
        acme_email="",
        app="hello",
        image="ghcr.io/stefanprodan/podinfo:6.9.2",
        port=9898,
        host="",
    )


def complete(given: Answers, cwd: Path, ask: bool) -> Answers:
    """``given`` with every missing answer asked (when ``ask``) or defaulted."""
    import click

    base = defaults(cwd)
    out = Answers()
    for name in Answers.__struct_fields__:
        value = getattr(given, name)
        if value is None:
            value = getattr(base, name)
            if ask and not (name in ("image", "port", "host") and not out.app):
                value = click.prompt(QUESTIONS[name], default=value, type=type(value), show_default=True)
        if isinstance(value, str):
            value = value.strip()
            value = "" if name == "app" and value == "none" else value
        setattr(out, name, value)
    return out


def texts(a: Answers) -> dict[str, str]:
    """The spec files of the answers, ``{path relative to the spec directory: text}``."""
    chosen = _components(a.components or "")
    q = json.dumps  # a JSON string is a YAML double-quoted scalar: no value can break the document
    lines = [
        "# yaml-language-server: $schema=./schema.json",
        "# The platform: where Flux syncs from, the nodes, the components. Written by `gitops-gen init`;",
        "# every field is documented in `gitops-gen schema` (your editor completes them through the line above).",
        "apiVersion: gitops-gen/v1",
        "kind: Platform",
        "metadata:",
        f"  name: {q(a.name)}",
        "spec:",
        f"  distribution: {q(a.distribution)}",
        '  kubernetesVersion: "1.34"',
        "  git:",
        f"    url: {q(a.git_url)}",
        f"    branch: {q(a.branch)}",
    ]
    if a.distribution == "k3s" and "ingress-nginx" in chosen:
        lines += [
            "  # K3s's bundled Traefik binds ports 80/443 on the node, so ingress-nginx's LoadBalancer would stay",
            "  # Pending: run K3s with `--disable traefik` (what this line tells the capacity model).",
            "  k3s:",
            "    disable: [traefik]",
        ]
    lines += [
        "  nodes:",
        "    - name: node-1",
        f"      cpu: {q(a.node_cpu)}",
        f"      memory: {q(a.node_memory)}",
        "  components:" if chosen else "  components: {}",
    ]
    keys = {
        "ingress-nginx": "ingressNginx",
        "cert-manager": "certManager",
        "sealed-secrets": "sealedSecrets",
        "monitoring": "monitoring",
        "logging": "logging",
    }
    for c in COMPONENTS:
        if c in chosen:
            lines += [f"    {keys[c]}:", "      enabled: true"]
            if c == "cert-manager" and a.acme_email:
                lines += ["      acme:", f"        email: {q(a.acme_email)}"]
    files = {"platform.yaml": "\n".join(lines) + "\n"}
    if a.app:
        app = [
            "# yaml-language-server: $schema=../schema.json",
            "# One app: a Deployment, its Service, and (when set) Ingress, HPA and PDB. Written by `gitops-gen init`.",
            "apiVersion: gitops-gen/v1",
            "kind: App",
            "metadata:",
            f"  name: {q(a.app)}",
            "spec:",
            f"  image: {q(a.image)}",
            f"  port: {a.port}",
            "  replicas: 2",
            "  resources:",
            "    requests: {cpu: 50m, memory: 64Mi}",
            "    limits: {cpu: 500m, memory: 128Mi}",
            "  probes:",
            "    liveness: {path: /, failureThreshold: 5}  # gives up later than readiness: only a hang restarts it",
            "    readiness: {path: /}",
            "  disruptionBudget: {maxUnavailable: 1}",
        ]
        if a.host:
            tls = "cert-manager" in chosen and bool(a.acme_email)
            app += ["  ingress:", f"    host: {q(a.host)}", f"    tls: {'true' if tls else 'false'}"]
        files[f"apps/{a.app}.yaml"] = "\n".join(app) + "\n"
    return files


def scaffold(specs_dir: Path, answers: Answers) -> list[Path]:
    """Check the answers through the spec loader, then write the files; return their paths."""
    from gitops_gen.spec.files import spec_files
    from gitops_gen.spec.loader import load_specs
    from gitops_gen.spec.schema import schema_text

    if answers.host and "ingress-nginx" not in _components(answers.components or ""):
        raise UserError.at(
            "--host", "an ingress needs the ingress-nginx component", hint="add it to --components"
        )
    files = texts(answers)
    existing = spec_files(specs_dir) if specs_dir.is_dir() else []
    clash = [specs_dir / rel for rel in [*files, "schema.json"] if (specs_dir / rel).exists()]
    if existing or clash:
        shown = ", ".join(str(p) for p in (existing or clash)[:3])
        raise UserError.at(
            str(specs_dir),
            f"already holds specs ({shown}); init never overwrites",
            hint="edit those files, or pass --specs with a new directory",
        )
    with tempfile.TemporaryDirectory(prefix="gitops-gen-init-") as tmp:
        trial = Path(tmp) / "specs"
        _write(trial, files)
        try:
            load_specs(trial, display_root=Path(tmp))
        except UserError as exc:
            raise UserError([_as_answer(p) for p in exc.problems]) from None
    written = _write(specs_dir, {**files, "schema.json": schema_text()})
    return written


def _write(root: Path, files: dict[str, str]) -> list[Path]:
    out = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as fh:  # "x": never replace a file that appeared meanwhile
            fh.write(text)
        out.append(path)
    return out


_FLAGS = {
    "metadata.name": "--name / --app",
    "spec.git.url": "--git-url",
    "spec.git.branch": "--branch",
    "spec.nodes[0].cpu": "--node-cpu",
    "spec.nodes[0].memory": "--node-memory",
    "spec.components.certManager.acme.email": "--acme-email",
    "spec.image": "--image",
    "spec.port": "--port",
    "spec.ingress.host": "--host",
    "spec.distribution": "--distribution",
    "spec.git": "--git-url / --branch",
}


def _as_answer(p: Problem) -> Problem:
    """A spec problem of a trial file, told as the answer (flag) that caused it."""
    flag = next((f for key, f in _FLAGS.items() if p.key_path.startswith(key)), "")
    where = flag or p.key_path or "answers"
    return Problem(Location(where), p.message, p.key_path if flag else "", p.hint)


def _components(text: str) -> set[str]:
    items = {c.strip() for c in text.split(",") if c.strip() and c.strip() != "none"}
    unknown = sorted(items - set(COMPONENTS))
    if unknown:
        raise UserError.at(
            "--components", f"unknown component {unknown[0]!r}", hint=f"choose from {', '.join(COMPONENTS)}"
        )
    return items


def _git(cwd: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _git_url(cwd: Path) -> str:
    """The ``origin`` remote as Flux takes it (``git@host:org/repo`` becomes ``ssh://git@host/org/repo``)."""
    url = _git(cwd, "remote", "get-url", "origin")
    m = re.match(r"^([\w.-]+@[\w.-]+):(?!//)(.+)$", url)
    if m:
        url = f"ssh://{m.group(1)}/{m.group(2)}"
    return url if re.match(r"^(ssh|https?)://\S+\Z", url) else ""
