"""An in-process ``kustomize build`` that keeps where every object was written.

It does what kustomize-controller asks of kustomize (flux-build-semantics.md §1.3-§1.5, §3, §6): no
load restriction inside the repository, builtin transformers only, and when the Flux path has no
kustomization file, the one Flux generates (every ``.yaml``/``.yml`` below, sub-directories with a
kustomization as one resource). Each object keeps the file, line and column of the document it came
from (the base file for an overlay's object), so a finding points at a line a user can edit.

Modelled: ``resources``/``bases`` (files and directories), ``components``, ``configMapGenerator`` and
``secretGenerator`` (with kustomize's name hash), ``patchesStrategicMerge``, ``patches`` (strategic
merge or JSON 6902, with targets), ``patchesJson6902``, ``namespace``, ``namePrefix``/``nameSuffix``,
``commonLabels``/``labels``, ``commonAnnotations``, ``replicas``, ``images``, and name references
of pod specs, HPAs, bindings and ingresses after a rename. Not modelled (left as written):
``replacements``, ``vars``, ``configurations``, ``openapi``, ``helmCharts`` (Flux refuses those) and
transformer/generator plugin files. Remote bases cannot be fetched offline: a warning.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import marshal
import os
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from typing import Any

import msgspec.structs
from msgspec import Struct, field

from gitops_gen.cluster.model import FieldSource, Obj, Origin, Problem
from gitops_gen.k8s.loader import KUSTOMIZATION_NAMES, ParsedFile, check_text, parse_text, read_file
from gitops_gen.k8s.workloads import as_decimal
from gitops_gen.paths import Walk

YAML_SUFFIXES = (".yaml", ".yml")
# source-controller's default exclusions that can hold YAML (design note §1 #6)
_EXCLUDED_DIRS = frozenset({".git", ".github", ".circleci"})
_EXCLUDED_FILES = frozenset(
    {".gitlab-ci.yml", ".travis.yml", "appveyor.yml", ".drone.yml", "cloudbuild.yaml"}
    | {".goreleaser.yml", ".sops.yaml", ".flux.yaml"}
)
# built-in kinds kustomize knows to be cluster-scoped (the namespace transformer skips them)
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ComponentStatus",
    }
)
_NO_PREFIX = frozenset({"Namespace", "CustomResourceDefinition", "APIService"})
# merge keys of strategic merge patches on built-in kinds (the lists users patch)
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "ports": "",  # containerPort (containers) or port (Service)
}
_WORKLOAD_SELECTORS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})


class BuildError(Exception):
    """A kustomization cannot be built: message and place (file, line, column)."""

    def __init__(self, message: str, file: str, line: int = 1, column: int = 1, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint


class FluxOverrides(Struct):
    """The fields a Flux Kustomization injects into the kustomization at its path (§1.4)."""

    target_namespace: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    patches: list[Any] = field(default_factory=list)
    components: list[Any] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)
    ignore_missing_components: bool = False
    origin: Origin | None = None  # the Flux Kustomization (its patches are reported there)


Parser = Callable[[str], ParsedFile]  # path -> its parsed documents (may raise BuildError)


def parse_file(
    path: str, known: Callable[[str], ParsedFile | None] | None = None, text: str | None = None
) -> ParsedFile:
    """Read and parse one file with the k8s loader (problems kept in the result); ``known``: the
    parse of a text when one was made already (None: parse it here); ``text``: what the caller wrote
    to ``path`` (checked as the file's bytes would be, not read again)."""
    if text is None:
        text, problem = read_file(path, path)
    else:
        text, problem = check_text(text, path)
    if problem is not None or text is None:
        msg = problem.message if problem else "cannot read"
        raise BuildError(msg, path, problem.line if problem else 1, problem.column if problem else 1)
    got = known(text) if known is not None else None
    return got if got is not None else parse_text(text)


class Files:
    """Parsed files, read once per run and shared by every build (and every cluster). ``parser``
    may serve them from a cache (lint's result cache keys them by content)."""

    def __init__(self, parser: Parser | None = None) -> None:
        self._parsed: dict[str, ParsedFile] = {}
        self.parser: Parser = parser or parse_file
        self._written: Mapping[str, str] = {}
        self._written_dirs: set[str] | None = None
        #: how directories are walked (``os.walk``; ``diff``: its tree's :class:`~gitops_gen.paths.KnownTree`)
        self.walk: Walk = os.walk

    @property
    def written(self) -> Mapping[str, str]:
        """The text of files the caller wrote, by absolute normalised path (``diff`` writes its trees):
        a build asks the disk whether they exist only for other paths. The parser may read them from
        here too."""
        return self._written

    @written.setter
    def written(self, texts: Mapping[str, str]) -> None:
        self._written, self._written_dirs = texts, None

    def isfile(self, path: str) -> bool:
        """``os.path.isfile``, answered without a system call for a file in :attr:`written` or a
        directory holding one."""
        if path in self._written:
            return True
        return not (self._written and path in self._dirs()) and os.path.isfile(path)

    def isdir(self, path: str) -> bool:
        """``os.path.isdir``, answered without a system call for a directory holding a file in
        :attr:`written` or for such a file."""
        if self._written:
            if path in self._dirs():
                return True
            if path in self._written:
                return False
        return os.path.isdir(path)

    def _dirs(self) -> set[str]:
        """Every directory above a file of :attr:`written`."""
        if self._written_dirs is None:
            dirs: set[str] = set()
            for f in self._written:
                d = os.path.dirname(f)
                while d not in dirs and d != os.path.dirname(d):
                    dirs.add(d)
                    d = os.path.dirname(d)
            self._written_dirs = dirs
        return self._written_dirs

    def kustomization_file(self, d: str) -> str | None:
        """:func:`kustomization_file` of ``d``, the files in :attr:`written` known to exist."""
        return kustomization_file(d, self._written)

    def parsed(self, path: str) -> ParsedFile:
        got = self._parsed.get(path)
        if got is None:
            got = self.parser(path)
            self._parsed[path] = got
        if got.problems:
            p = got.problems[0]
            raise BuildError(p.message, path, p.line, p.column, p.hint or "fix the YAML syntax")
        return got

    def take(self, path: str) -> ParsedFile:
        """The parse of ``path`` for a caller that changes its documents in place: handed over and
        no longer kept (the next reader parses the file again), so what every reader gets is what
        the file says. A file read once - nearly all of them - is then parsed once and never copied."""
        got = self.parsed(path)
        self._parsed.pop(path, None)
        return got

    def forget(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Parse ``paths`` again when next asked for (they were written or deleted since). A path is
        dropped as builds name it (absolute, normalised) and as its real path."""
        for p in paths:
            for key in {os.path.normpath(os.path.abspath(p)), os.path.realpath(p)}:
                self._parsed.pop(key, None)

    def text(self, path: str) -> str:
        """The text of ``path`` (kept only when parsed here; a cached parse reads the file again)."""
        got = self._parsed.get(path)
        if got is not None and got.text:
            return got.text
        text, _problem = read_file(path, path)
        return text or ""


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("git@", "github.com/", "gitlab.com/", "git::", "gh:"))


def kustomization_file(d: str, known: Container[str] = ()) -> str | None:
    """The kustomization file of the directory ``d`` (kustomize's names, in its order), if any;
    ``known``: files known to exist (not asked of the disk)."""
    for n in KUSTOMIZATION_NAMES:
        p = os.path.join(d, n)
        if p in known or os.path.isfile(p):
            return p
    return None


def _line_of(files: Files, path: str, needle: str) -> tuple[int, int]:
    """Line and column of the first line of ``path`` that mentions ``needle`` (1, 1 if none)."""
    for i, raw in enumerate(files.text(path).split("\n")):
        j = raw.find(needle)
        if j >= 0:
            return i + 1, j + 1
    return 1, 1


def _entry_line(files: Files, path: str, entry: str) -> tuple[int, int]:
    """Line and column of the list item ``entry`` (``- entry``, quoted or not), else of the first line
    that mentions it (a flow list)."""
    for i, raw in enumerate(files.text(path).split("\n")):
        item = raw.strip()
        if item.startswith("- ") and item[2:].strip() in (entry, f"'{entry}'", f'"{entry}"'):
            return i + 1, raw.index("-") + 3
    return _line_of(files, path, entry) if entry else (1, 1)


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


# ------------------------------------------------------------------------------------ builder
class Builder:
    """Builds directories of one repository (the artifact root: nothing outside it is read)."""

    def __init__(self, root: str, files: Files | None = None) -> None:
        self.root = os.path.normpath(os.path.abspath(root))
        self.files = files or Files()
        self.read: set[str] = set()  # every file a build read
        self.problems: list[Problem] = []  # warnings (remote bases, ...)
        self.name_refs: list[tuple[str, str, tuple[str, ...]]] = []  # (kind, holder kind, path)
        self._building: list[str] = []  # directories of the kustomizations being built, outermost first

    # -- public
    def build_flux_path(self, path: str, flux: FluxOverrides) -> list[Obj]:
        """Objects of a Flux Kustomization's ``spec.path`` (existing or generated kustomization)."""
        d = self._inside(path, flux.origin)
        if not self.files.isdir(d):
            o = flux.origin
            raise BuildError(
                f"kustomization path not found: {os.path.relpath(d, self.root)}",
                o.file if o else d,
                o.line if o else 1,
                o.column if o else 1,
                "fix spec.path (it is relative to the repository root)",
            )
        kfile = self.files.kustomization_file(d)
        if kfile is None:
            k = self._generated(d)
            kfile_shown = os.path.join(d, "kustomization.yaml")
        else:
            k = self._load_kustomization(kfile, root=True)
            kfile_shown = kfile
        k = self._inject(k, flux)
        objs = self._build_k(k, d, kfile_shown, [], flux)
        return self._finish(objs)

    def build_dir(self, d: str) -> list[Obj]:
        """``kustomize build d`` (``d`` must hold a kustomization file)."""
        d = os.path.abspath(d)
        kfile = self.files.kustomization_file(d)
        if kfile is None:
            raise BuildError(f"no kustomization file in {d}", d)
        return self._finish(self._build_k(self._load_kustomization(kfile), d, kfile, [], None))

    # -- loading
    def _inside(self, path: str, origin: Origin | None) -> str:
        p = os.path.normpath(os.path.join(self.root, path.lstrip("/")))
        if p != self.root and not p.startswith(self.root + os.sep):
            p = self.root  # SecureJoin: ".." cannot leave the artifact
        return p

    def _load_kustomization(self, kfile: str, root: bool = False) -> dict[str, Any]:
        self.read.add(kfile)
        docs = self.files.parsed(kfile).documents
        body = docs[0].body if docs else {}
        if not isinstance(body, dict):
            raise BuildError("kustomization file is not a mapping", kfile)
        api = str(body.get("apiVersion", ""))
        if api.startswith("kustomize.toolkit.fluxcd.io"):
            raise BuildError(
                "a Flux Kustomization saved as a kustomization file: kustomize cannot read it",
                kfile,
                hint="rename the file; kustomization.yaml is kustomize's own configuration",
            )
        return dict(body)

    def _generated(self, d: str) -> dict[str, Any]:
        """The kustomization Flux writes for a path without one (design note §1 #11-#16)."""
        resources: list[str] = []
        for dirpath, dirs, names in self.files.walk(d):
            dirs.sort()
            keep = []
            for sub in dirs:
                full = os.path.join(dirpath, sub)
                if sub in _EXCLUDED_DIRS:
                    continue
                if self.files.kustomization_file(full) is not None:
                    resources.append(os.path.relpath(full, d))
                else:
                    keep.append(sub)
            dirs[:] = keep
            for n in sorted(names):
                if n.endswith(YAML_SUFFIXES) and n not in _EXCLUDED_FILES:
                    full = os.path.join(dirpath, n)
                    for doc in self.files.parsed(full).documents:
                        b = doc.body
                        meta = b.get("metadata") if isinstance(b, dict) else None
                        if not (_is_object(b) and isinstance(meta, dict) and meta.get("name")):
                            raise BuildError(
                                "failed to decode Kubernetes YAML: every YAML file under a Flux path "
                                "without kustomization.yaml must be a Kubernetes object",
                                full,
                                doc.line,
                                doc.column,
                                "add a kustomization.yaml that lists the manifests, or a .sourceignore",
                            )
                    resources.append(os.path.relpath(full, d))
        resources.sort(key=lambda r: r)
        return {"resources": resources} if resources else {"namespace": "_placeholder"}

    def _inject(self, k: dict[str, Any], flux: FluxOverrides) -> dict[str, Any]:
        k = dict(k)
        if flux.target_namespace:
            k["namespace"] = flux.target_namespace
        if flux.name_prefix:
            k["namePrefix"] = flux.name_prefix
        if flux.name_suffix:
            k["nameSuffix"] = flux.name_suffix
        if flux.patches:
            k["patches"] = [
                *_list(k.get("patches")),
                *({**p, "_flux": (flux.origin, j)} for j, p in enumerate(flux.patches)),
            ]
        if flux.components:
            k["components"] = [*_list(k.get("components")), *flux.components]
        if flux.images:
            images = [dict(i) for i in _list(k.get("images")) if isinstance(i, dict)]
            for new in flux.images:
                if not isinstance(new, dict):
                    continue
                hit = next((i for i in images if i.get("name") == new.get("name")), None)
                if hit is None:
                    images.append(dict(new))
                    continue
                if new.get("newName"):
                    hit["newName"] = new["newName"]
                if new.get("newTag") or new.get("digest"):
                    hit.pop("newTag", None)
                    hit.pop("digest", None)
                    for key in ("newTag", "digest"):
                        if new.get(key):
                            hit[key] = new[key]
            k["images"] = images
        return k

    def _load_file(self, path: str) -> list[Obj]:
        self.read.add(path)
        out: list[Obj] = []
        for doc in self.files.take(path).documents:  # the build transforms these objects in place
            b = doc.body
            if not isinstance(b, dict):
                continue
            if str(b.get("kind", "")).endswith("List") and isinstance(b.get("items"), list):
                for i, item in enumerate(b["items"]):
                    if _is_object(item):
                        origin = Origin(
                            path, doc.line, doc.column, doc.index, doc.start, doc.end, ("items", i)
                        )
                        out.append(self._obj(item, origin))
                continue
            if not _is_object(b):
                raise BuildError(
                    "apiVersion or kind missing or not a string: not a Kubernetes object",
                    path,
                    doc.line,
                    doc.column,
                    "give every object apiVersion and kind, or drop the file from resources",
                )
            out.append(self._obj(b, Origin(path, doc.line, doc.column, doc.index, doc.start, doc.end)))
        return out

    @staticmethod
    def _obj(body: dict[str, Any], origin: Origin) -> Obj:
        meta = body.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return Obj(body, origin, str(meta.get("name") or ""), str(meta.get("namespace") or ""))

    # -- one kustomization
    def _build_k(
        self, k: dict[str, Any], d: str, kfile: str, acc: list[Obj], flux: FluxOverrides | None
    ) -> list[Obj]:
        self._building.append(d)
        try:
            return self._build_k_in(k, d, kfile, acc, flux)
        finally:
            self._building.pop()

    def _no_cycle(self, p: str, kfile: str, entry: str) -> None:
        """kustomize refuses an empty entry (``new root cannot be empty``) and a directory that is being
        built already, the kustomization's own (``.``) or one that includes it (``cycle detected``)."""
        if not entry:
            line, col = _entry_line(self.files, kfile, entry)
            raise BuildError(
                "empty entry: kustomize refuses it (new root cannot be empty)", kfile, line, col, "remove it"
            )
        if p in self._building:
            line, col = _entry_line(self.files, kfile, entry)
            raise BuildError(
                f"{entry}: cycle: {os.path.relpath(p, self.root)} is being built already (it includes this "
                "kustomization); kustomize stops with 'cycle detected'",
                kfile,
                line,
                col,
                "remove the entry: a kustomization cannot include itself or a directory that includes it",
            )

    def _build_k_in(
        self, k: dict[str, Any], d: str, kfile: str, acc: list[Obj], flux: FluxOverrides | None
    ) -> list[Obj]:
        objs = list(acc)
        for key in ("resources", "bases"):
            for entry in _list(k.get(key)):
                if not isinstance(entry, str):
                    continue
                if is_remote(entry):
                    line, col = _line_of(self.files, kfile, entry)
                    self.problems.append(
                        Problem(
                            "warning",
                            kfile,
                            line,
                            col,
                            f"remote base {entry} cannot be fetched offline: its objects are not linted",
                            "vendor the base into the repository to have it linted",
                            rule="remote-base",
                        )
                    )
                    continue
                p = os.path.normpath(os.path.join(d, entry))
                self._check_inside(p, kfile, entry)
                self._no_cycle(p, kfile, entry)
                if self.files.isfile(p):
                    objs.extend(self._load_file(p))
                elif self.files.isdir(p):
                    sub = self.files.kustomization_file(p)
                    if sub is None:
                        line, col = _line_of(self.files, kfile, entry)
                        raise BuildError(
                            f"{entry}: unable to find one of {', '.join(KUSTOMIZATION_NAMES)} in the directory",
                            kfile,
                            line,
                            col,
                            "add a kustomization.yaml there, or list its files",
                        )
                    objs.extend(self._build_k(self._load_kustomization(sub), p, sub, [], None))
                elif os.path.basename(p) == "gotk-components.yaml":
                    continue  # written by `flux bootstrap`: a tree rendered before it lacks the file
                else:
                    line, col = _line_of(self.files, kfile, entry)
                    raise BuildError(f"{entry}: no such file or directory", kfile, line, col)
        objs = self._generators(k, d, kfile, objs)
        for entry in _list(k.get("configurations")):
            if isinstance(entry, str) and not is_remote(entry):
                self._configuration(os.path.normpath(os.path.join(d, entry)), kfile, entry)
        for entry in _list(k.get("components")):
            if not isinstance(entry, str):
                continue
            line, col = _line_of(self.files, kfile, entry)
            if is_remote(entry) or os.path.isabs(entry):
                raise BuildError(f"component {entry} must be local and relative", kfile, line, col)
            p = os.path.normpath(os.path.join(d, entry))
            self._check_inside(p, kfile, entry)
            self._no_cycle(p, kfile, entry)
            sub = self.files.kustomization_file(p) if self.files.isdir(p) else None
            if sub is None:
                if flux is not None and flux.ignore_missing_components and not os.path.exists(p):
                    continue
                raise BuildError(f"component {entry}: no kustomization file there", kfile, line, col)
            ck = self._load_kustomization(sub)
            if ck.get("kind") != "Component":
                raise BuildError(f"{entry} is not a kind: Component", sub, 1, 1)
            objs = self._build_k(ck, p, sub, objs, None)
        before = {id(o): o.name for o in objs}
        objs = self._transform(k, d, kfile, objs)
        renames: dict[tuple[str, str], tuple[str, str]] = {}
        for o in objs:
            name = before.get(id(o), "")
            if name and o.name != name:
                renames[(o.kind, name)] = (o.name, o.namespace)
        if renames:
            fix_references(objs, renames, self.name_refs)
        return objs

    def _configuration(self, path: str, kfile: str, entry: str) -> None:
        """``nameReference`` entries of a kustomize ``configurations`` file (e.g. HelmRelease valuesFrom)."""
        self._check_inside(path, kfile, entry)
        if not self.files.isfile(path):
            line, col = _line_of(self.files, kfile, entry)
            raise BuildError(f"configuration {entry}: no such file", kfile, line, col)
        self.read.add(path)
        for doc in self.files.parsed(path).documents:
            if not isinstance(doc.body, dict):
                continue
            for ref in _list(doc.body.get("nameReference")):
                if not isinstance(ref, dict) or not isinstance(ref.get("kind"), str):
                    continue
                for fs in _list(ref.get("fieldSpecs")):
                    if isinstance(fs, dict) and isinstance(fs.get("path"), str):
                        spec = (ref["kind"], str(fs.get("kind") or ""), tuple(fs["path"].split("/")))
                        if spec not in self.name_refs:
                            self.name_refs.append(spec)

    def _check_inside(self, p: str, kfile: str, entry: str) -> None:
        if p != self.root and not p.startswith(self.root + os.sep):
            line, col = _line_of(self.files, kfile, entry)
            raise BuildError(
                f"{entry} is outside the repository: Flux cannot read it",
                kfile,
                line,
                col,
                "keep every resource inside the repository",
            )

    # -- generators
    def _generators(self, k: dict[str, Any], d: str, kfile: str, objs: list[Obj]) -> list[Obj]:
        opts = k.get("generatorOptions") if isinstance(k.get("generatorOptions"), dict) else {}
        assert isinstance(opts, dict)
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for gen in _list(k.get(key)):
                if not isinstance(gen, dict) or not isinstance(gen.get("name"), str):
                    continue
                line, col = _line_of(self.files, kfile, str(gen["name"]))
                data: dict[str, str] = {}
                for lit in _list(gen.get("literals")):
                    if isinstance(lit, str) and "=" in lit:
                        a, b = lit.split("=", 1)
                        data[a.strip()] = b.strip().strip("\"'") if b.strip()[:1] in "\"'" else b
                for entry in _list(gen.get("files")):
                    if not isinstance(entry, str):
                        continue
                    name, _, rel = (
                        entry.partition("=") if "=" in entry else (os.path.basename(entry), "", entry)
                    )
                    data[name] = self._read_text(os.path.join(d, rel), kfile, entry)
                envs = [*_list(gen.get("envs")), *([gen["env"]] if isinstance(gen.get("env"), str) else [])]
                for env in envs:
                    if isinstance(env, str):
                        for raw in self._read_text(os.path.join(d, env), kfile, env).splitlines():
                            s = raw.strip()
                            if s and not s.startswith("#") and "=" in s:
                                a, b = s.split("=", 1)
                                data[a.strip()] = b
                body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": gen["name"]}}
                if isinstance(gen.get("namespace"), str):
                    body["metadata"]["namespace"] = gen["namespace"]
                own = gen.get("options")
                gopts = {**opts, **(own if isinstance(own, dict) else {})}
                for mk in ("labels", "annotations"):
                    if isinstance(gopts.get(mk), dict) and gopts[mk]:
                        body["metadata"][mk] = {str(a): str(b) for a, b in gopts[mk].items()}
                if kind == "Secret":
                    body["type"] = str(gen.get("type") or "Opaque")
                    body["data"] = {a: base64.b64encode(b.encode()).decode() for a, b in data.items()}
                else:
                    body["data"] = data
                if gopts.get("immutable"):
                    body["immutable"] = True
                obj = Obj(body, Origin(kfile, line, col), gen["name"], body["metadata"].get("namespace", ""))
                obj.needs_hash = not gopts.get("disableNameSuffixHash")
                behavior = gen.get("behavior") or "create"
                existing = next((o for o in objs if o.kind == kind and o.name == gen["name"]), None)
                if behavior in ("merge", "replace") and existing is not None:
                    if behavior == "merge":
                        existing.body.setdefault("data", {}).update(body.get("data", {}))
                    else:
                        existing.body["data"] = body.get("data", {})
                    existing.needs_hash = existing.needs_hash or obj.needs_hash
                    continue
                objs.append(obj)
        return objs

    def _read_text(self, path: str, kfile: str, entry: str) -> str:
        p = os.path.normpath(path)
        self._check_inside(p, kfile, entry)
        try:
            with open(p, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            line, col = _line_of(self.files, kfile, entry)
            raise BuildError(
                f"{entry}: cannot read: {getattr(exc, 'strerror', None) or exc}", kfile, line, col
            ) from None
        self.read.add(p)
        return text

    # -- transformers (kusttarget_configplugin order, design note §3 #1)
    def _transform(self, k: dict[str, Any], d: str, kfile: str, objs: list[Obj]) -> list[Obj]:
        for i, entry in enumerate(_list(k.get("patchesStrategicMerge"))):
            inline = not _looks_like_path(entry)
            block = self._block(kfile, ("patchesStrategicMerge", i)) if inline else None
            for patch, src in self._patch_docs(entry, d, kfile, inline, block):
                self._apply_patch(objs, patch, None, kfile, entry if isinstance(entry, str) else "", src)
        for i, p in enumerate(_list(k.get("patches"))):
            if not isinstance(p, dict):
                continue
            where = str(p.get("path") or (p.get("target") or {}).get("name", "") or "patches")
            block = None if p.get("path") else self._block(kfile, ("patches", i, "patch"))
            flux_entry = p.get("_flux")
            if flux_entry:
                where = ""  # a Flux spec.patches entry: the view reports it at the Flux Kustomization
                origin, j = flux_entry
                block = None
                if origin is not None:
                    at = (*origin.prefix, "spec", "patches", j, "patch")
                    block = FieldSource(origin.file, origin.start, origin.end, at)
            docs = self._patch_docs(p.get("path") or p.get("patch"), d, kfile, not p.get("path"), block)
            target = p.get("target") if isinstance(p.get("target"), dict) else None
            for patch, src in docs:
                self._apply_patch(objs, patch, target, kfile, where, src)
        ns = k.get("namespace")
        if isinstance(ns, str) and ns:
            objs = set_namespace(objs, ns, kfile)
        pre, suf = k.get("namePrefix"), k.get("nameSuffix")
        if (isinstance(pre, str) and pre) or (isinstance(suf, str) and suf):
            for o in objs:
                if o.kind not in _NO_PREFIX and o.name:
                    o.meta["name"] = f"{pre or ''}{o.name}{suf or ''}"
        cl = k.get("commonLabels")
        if isinstance(cl, dict) and cl:
            add_labels(objs, {str(a): str(b) for a, b in cl.items()}, selectors=True, templates=True)
        for entry in _list(k.get("labels")):
            if isinstance(entry, dict) and isinstance(entry.get("pairs"), dict):
                sel = bool(entry.get("includeSelectors"))
                add_labels(
                    objs,
                    {str(a): str(b) for a, b in entry["pairs"].items()},
                    selectors=sel,
                    templates=sel or bool(entry.get("includeTemplates")),
                )
        ca = k.get("commonAnnotations")
        if isinstance(ca, dict) and ca:
            extra = {str(a): str(b) for a, b in ca.items()}
            for o in objs:
                for meta in [o.meta, *_template_metas(o)]:
                    ann = meta.setdefault("annotations", {})
                    if isinstance(ann, dict):
                        ann.update(extra)
        for i, p in enumerate(_list(k.get("patchesJson6902"))):
            if isinstance(p, dict):
                block = None if p.get("path") else self._block(kfile, ("patchesJson6902", i, "patch"))
                docs = self._patch_docs(p.get("path") or p.get("patch"), d, kfile, not p.get("path"), block)
                target = p.get("target") if isinstance(p.get("target"), dict) else None
                for patch, src in docs:
                    self._apply_patch(
                        objs, patch, target, kfile, str(p.get("path") or "patchesJson6902"), src
                    )
        for i, r in enumerate(_list(k.get("replicas"))):
            if isinstance(r, dict) and isinstance(r.get("count"), int):
                for o in objs:
                    if o.name == r.get("name") or o.orig_name == r.get("name"):
                        spec = o.body.get("spec")
                        if (isinstance(spec, dict) and "replicas" in spec) or o.kind in _WORKLOAD_SELECTORS:
                            o.body.setdefault("spec", {})["replicas"] = r["count"]
                            src = self._block(kfile, ("replicas", i, "count"))
                            if src is not None:
                                o.fields[("spec", "replicas")] = src
        images = [i for i in _list(k.get("images")) if isinstance(i, dict) and isinstance(i.get("name"), str)]
        if images:
            for o in objs:
                set_images(o.body, images)
        return objs

    def _block(self, kfile: str, path: tuple[Any, ...]) -> FieldSource | None:
        """``path`` of the kustomization file ``kfile`` (None for a kustomization Flux generates)."""
        if not self.files.isfile(kfile):
            return None
        docs = self.files.parsed(kfile).documents
        return FieldSource(kfile, docs[0].start, docs[0].end, path) if docs else None

    def _patch_docs(
        self, value: Any, d: str, kfile: str, inline: bool, block: FieldSource | None = None
    ) -> list[tuple[Any, FieldSource | None]]:
        """The documents of a patch, each with where it is written (``block``: where an inline
        patch's text is; None: unknown)."""
        if not isinstance(value, str):
            return []
        if inline:
            parsed = parse_text(value)
            if parsed.problems:
                p = parsed.problems[0]
                line, col = _line_of(self.files, kfile, value.strip().split("\n", 1)[0])
                raise BuildError(f"inline patch: {p.message}", kfile, line, col)
            return [
                (doc.body, msgspec.structs.replace(block, inner=(), inner_start=doc.start, inner_end=doc.end))
                if block is not None
                else (doc.body, None)
                for doc in parsed.documents
            ]
        path = os.path.normpath(os.path.join(d, value))
        self._check_inside(path, kfile, value)
        if not self.files.isfile(path):
            line, col = _line_of(self.files, kfile, value)
            raise BuildError(f"patch {value}: no such file", kfile, line, col)
        self.read.add(path)
        # copies: a merge may place parts of the patch in the objects, which later steps change in place,
        # and the parsed file is shared by every build that reads it
        return [
            (
                _clone(doc.body) if isinstance(doc.body, dict) else doc.body,
                FieldSource(path, doc.start, doc.end, ()),
            )
            for doc in self.files.parsed(path).documents
        ]

    def _apply_patch(
        self,
        objs: list[Obj],
        patch: Any,
        target: dict[str, Any] | None,
        kfile: str,
        where: str,
        src: FieldSource | None = None,
    ) -> None:
        line, col = _line_of(self.files, kfile, where) if where else (1, 1)
        if isinstance(patch, list):  # JSON 6902
            if target is None:
                raise BuildError("a JSON 6902 patch needs a target", kfile, line, col)
            import jsonpatch

            for o in select(objs, target):
                try:
                    o.body = jsonpatch.apply_patch(o.body, patch)
                except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
                    raise BuildError(
                        f"JSON 6902 patch does not apply to {o.kind}/{o.name}: {exc}", kfile, line, col
                    ) from None
                if src is not None:
                    _record_json_patch(o, patch, src)
            return
        if not isinstance(patch, dict):
            return
        if target is not None:
            # with a target, the patch's own name and namespace are ignored (the "name: _" idiom)
            meta = patch.get("metadata")
            if isinstance(meta, dict):
                meta = {k: v for k, v in meta.items() if k not in ("name", "namespace")}
                patch = (
                    {**patch, "metadata": meta}
                    if meta
                    else {k: v for k, v in patch.items() if k != "metadata"}
                )
            for o in select(objs, target):
                o.body = strategic_merge(o.body, patch, builtin(o.api_version))
                if src is not None and o.body is not None:
                    _record_merge_patch(o, patch, src)
            objs[:] = [o for o in objs if o.body is not None]  # "$patch: delete" removes the object
            return
        meta = patch.get("metadata") if isinstance(patch.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        hits = [
            o
            for o in objs
            if o.kind == patch.get("kind")
            and (o.name == meta.get("name") or o.orig_name == meta.get("name"))
            and (
                not meta.get("namespace")
                or meta.get("namespace") in (o.namespace, o.orig_namespace)
                or (meta.get("namespace") == "default" and not o.namespace)
            )
        ]
        if not hits:
            raise BuildError(
                f"no resource matches strategic merge patch {patch.get('kind')}/{meta.get('name')}",
                kfile,
                line,
                col,
                "fix the patch's kind and name, or give it a target",
            )
        for o in hits[:1]:
            o.body = strategic_merge(o.body, patch, builtin(o.api_version))
            if src is not None and o.body is not None:
                _record_merge_patch(o, patch, src)
        objs[:] = [o for o in objs if o.body is not None]  # "$patch: delete" removes the object

    # -- end of the outermost build
    def _finish(self, objs: list[Obj]) -> list[Obj]:
        renames: dict[tuple[str, str], tuple[str, str]] = {}
        for o in objs:
            if o.needs_hash and o.kind in ("ConfigMap", "Secret"):
                new = f"{o.name}-{content_hash(o.body)}"
                renames[(o.kind, o.name)] = (new, o.namespace)
                o.meta["name"] = new
                o.needs_hash = False
        if renames:
            fix_references(objs, renames, self.name_refs)
        return objs


def _clone(body: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a parsed document (plain dicts, lists and scalars): marshal is C-fast, ~10x
    ``copy.deepcopy``. For documents read from a shared parse (patches) that a merge may place in objects."""
    try:
        copied: dict[str, Any] = marshal.loads(marshal.dumps(body))
    except ValueError:  # a value marshal cannot write (never from the YAML loader)
        return copy.deepcopy(body)
    return copied


def _is_object(body: Any) -> bool:
    """A mapping with a non-empty string apiVersion and kind (what the engine lints as an object)."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("apiVersion"), str)
        and bool(body["apiVersion"])
        and isinstance(body.get("kind"), str)
        and bool(body["kind"])
    )


def _looks_like_path(entry: Any) -> bool:
    return isinstance(entry, str) and "\n" not in entry and entry.strip().endswith(YAML_SUFFIXES)


# ------------------------------------------------------------------------------------ pieces
def builtin(api_version: str) -> bool:
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return "." not in group or group.endswith(".k8s.io")


_HASH_LETTERS = str.maketrans("013ae", "ghkmt")  # kustomize avoids vowels and look-alike digits


def content_hash(body: dict[str, Any]) -> str:
    """kustomize's name suffix of a generated ConfigMap/Secret (sha256 of its JSON, 10 characters)."""
    # kustomize (v5) hashes the object with an empty name (checked against kubectl kustomize)
    m: dict[str, Any] = {"kind": body.get("kind"), "name": ""}
    if body.get("kind") == "Secret":
        m["type"] = body.get("type", "")
    m["data"] = body.get("data") or {}
    if body.get("binaryData"):
        m["binaryData"] = body["binaryData"]
    if body.get("immutable"):
        m["immutable"] = True
    text = json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(_HASH_LETTERS)


def _selector_match(expr: str, labels: dict[str, str]) -> bool:
    """Kubernetes label selector syntax (``a=b,c!=d,e in (x,y),f notin (z),g,!h``)."""
    parts = re.findall(r"[^,(]+(?:\([^)]*\))?", expr)
    for raw in parts:
        p = raw.strip()
        if not p:
            continue
        m = re.fullmatch(r"([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)", p)
        if m:
            vals = {v.strip() for v in m.group(3).split(",")}
            has = m.group(1) in labels and labels[m.group(1)] in vals
            if (m.group(2) == "in") != has:
                return False
            continue
        if p.startswith("!"):
            if p[1:].strip() in labels:
                return False
            continue
        m = re.fullmatch(r"([^\s!=]+)\s*(==|=|!=)\s*(\S*)", p)
        if m:
            eq = labels.get(m.group(1)) == m.group(3)
            if m.group(2) == "!=" and m.group(1) in labels and eq:
                return False
            if m.group(2) != "!=" and not eq:
                return False
            continue
        if p not in labels:
            return False
    return True


def _re(pattern: Any, *values: str) -> bool:
    if not isinstance(pattern, str) or not pattern:
        return True
    try:
        rx = re.compile(f"^(?:{pattern})$")
    except re.error:
        return pattern in values
    return any(rx.match(v) for v in values)


def select(objs: Iterable[Obj], target: dict[str, Any]) -> Iterator[Obj]:
    """Objects a patch target selects (design note §3 #3-#6)."""
    for o in objs:
        api = o.api_version
        group, version = api.rsplit("/", 1) if "/" in api else ("", api)
        if not _re(target.get("group"), group) or not _re(target.get("version"), version):
            continue
        if not _re(target.get("kind"), o.kind) or not _re(target.get("name"), o.name, o.orig_name):
            continue
        if target.get("namespace"):
            eff = [n or "default" for n in (o.namespace, o.orig_namespace)]
            if o.kind in CLUSTER_SCOPED:
                eff = ["_non_namespaceable_"]
            if not _re(target.get("namespace"), *eff):
                continue
        meta = o.meta
        if isinstance(target.get("labelSelector"), str):
            labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
            assert isinstance(labels, dict)
            if not _selector_match(target["labelSelector"], {str(a): str(b) for a, b in labels.items()}):
                continue
        if isinstance(target.get("annotationSelector"), str):
            ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
            assert isinstance(ann, dict)
            if not _selector_match(target["annotationSelector"], {str(a): str(b) for a, b in ann.items()}):
                continue
        yield o


def _at(src: FieldSource, patch_path: tuple[Any, ...]) -> FieldSource:
    if src.inner is not None:
        return msgspec.structs.replace(src, inner=patch_path)
    return msgspec.structs.replace(src, path=(*src.path, *patch_path))


def _record_merge_patch(o: Obj, patch: dict[str, Any], src: FieldSource) -> None:
    """Remember where ``patch`` (merged into ``o``) sets each field: its leaves, list items matched
    by their merge key as the merge matched them, other lists as a whole."""
    builtin_kind = builtin(o.api_version)

    def walk(p: Any, node: Any, opath: tuple[Any, ...], ppath: tuple[Any, ...], key: str) -> None:
        if isinstance(p, dict):
            for k, v in p.items():
                if not str(k).startswith("$"):
                    walk(v, node.get(k) if isinstance(node, dict) else None, (*opath, k), (*ppath, k), str(k))
            return
        if isinstance(p, list) and builtin_kind and key in _MERGE_KEYS and isinstance(node, list):
            for i, item in enumerate(p):
                mk = _MERGE_KEYS[key] or (
                    "containerPort" if isinstance(item, dict) and "containerPort" in item else "port"
                )
                if not isinstance(item, dict) or mk not in item:
                    continue
                j = next(
                    (j for j, x in enumerate(node) if isinstance(x, dict) and x.get(mk) == item[mk]), None
                )
                if j is not None:  # the merge key itself only names the item
                    walk({a: b for a, b in item.items() if a != mk}, node[j], (*opath, j), (*ppath, i), "")
            return
        o.fields[opath] = _at(src, ppath)

    for k, v in patch.items():
        if k in ("apiVersion", "kind") or str(k).startswith("$"):
            continue
        if k == "metadata" and isinstance(v, dict):
            v = {a: b for a, b in v.items() if a not in ("name", "namespace")}
        walk(v, o.body.get(k), (k,), (k,), str(k))


def _record_json_patch(o: Obj, ops: list[Any], src: FieldSource) -> None:
    """Remember where each ``add``/``replace``/``copy``/``move`` of a JSON 6902 patch sets a field."""
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "copy", "move"):
            continue
        parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op.get("path", "")).split("/")[1:]]
        path: list[Any] = []
        node: Any = o.body
        for part in parts:
            if isinstance(node, list):
                idx = len(node) - 1 if part == "-" else as_decimal(part)
                if idx is None or not 0 <= idx < len(node):
                    break
                path.append(idx)
                node = node[idx]
            elif isinstance(node, dict) and part in node:
                path.append(part)
                node = node[part]
            else:
                break
        else:
            o.fields[tuple(path)] = _at(src, (i, "value" if "value" in op else "path"))


def strategic_merge(base: Any, patch: Any, builtin_kind: bool, key: str = "") -> Any:
    """``patch`` merged into ``base``: maps merged, ``null`` deletes, ``$patch`` directives; lists of
    built-in kinds merged by their merge key, other lists replaced."""
    if isinstance(patch, dict) and isinstance(base, dict):
        if patch.get("$patch") == "replace":
            return {k: v for k, v in patch.items() if not str(k).startswith("$")}
        if patch.get("$patch") == "delete":
            return None
        out = dict(base)
        for k, v in patch.items():
            if str(k).startswith("$"):
                continue
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = strategic_merge(out[k], v, builtin_kind, str(k))
            else:
                out[k] = _strip(v)
        return out
    if isinstance(patch, list) and isinstance(base, list) and builtin_kind and key in _MERGE_KEYS:
        mk = _MERGE_KEYS[key]
        if not mk:
            mk = (
                "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in base) else "port"
            )
        out_list = list(base)
        for item in patch:
            if not isinstance(item, dict) or mk not in item:
                out_list.append(_strip(item))
                continue
            idx = next(
                (i for i, b in enumerate(out_list) if isinstance(b, dict) and b.get(mk) == item[mk]), -1
            )
            if item.get("$patch") == "delete":
                if idx >= 0:
                    out_list.pop(idx)
                continue
            if idx >= 0:
                out_list[idx] = strategic_merge(out_list[idx], item, builtin_kind)
            else:
                out_list.append(_strip(item))
        return out_list
    return _strip(patch)


def _strip(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if not str(k).startswith("$")}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def set_namespace(objs: list[Obj], ns: str, kfile: str) -> list[Obj]:
    """kustomize's namespace transformer (design note §2)."""
    namespaces = [o for o in objs if o.kind == "Namespace" and o.api_version == "v1"]
    if len(namespaces) > 1:
        raise BuildError(
            f"namespace transformation produces ID conflict: {len(namespaces)} Namespace objects renamed to {ns}",
            kfile,
        )
    for o in objs:
        if o.kind == "Namespace" and o.api_version == "v1":
            o.meta["name"] = ns
            continue
        if o.kind in CLUSTER_SCOPED and builtin(o.api_version):
            if o.kind in ("ClusterRoleBinding",):
                _subjects(o, ns)
            continue
        o.meta["namespace"] = ns
        if o.kind == "RoleBinding":
            _subjects(o, ns)
    return objs


def _subjects(o: Obj, ns: str) -> None:
    for s in _list(o.body.get("subjects")):
        if isinstance(s, dict) and s.get("name") == "default" and s.get("kind") == "ServiceAccount":
            s["namespace"] = ns


def _pod_specs(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return
    if body.get("kind") == "Pod":
        yield spec
    tpl = spec.get("template")
    if isinstance(tpl, dict) and isinstance(tpl.get("spec"), dict):
        yield tpl["spec"]
    jt = spec.get("jobTemplate")
    if isinstance(jt, dict):
        jspec = jt.get("spec")
        if isinstance(jspec, dict):
            t = jspec.get("template")
            if isinstance(t, dict) and isinstance(t.get("spec"), dict):
                yield t["spec"]


_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})


def _template_metas(o: Obj) -> list[dict[str, Any]]:
    """The metadata of the pod (and job) templates of a built-in workload (kustomize's fieldSpecs)."""
    spec = o.body.get("spec")
    if o.kind not in _TEMPLATE_KINDS or not builtin(o.api_version) or not isinstance(spec, dict):
        return []
    if o.kind != "CronJob":
        templates = [spec.get("template")]
    else:  # the job template's metadata and its pod template
        jt = spec.get("jobTemplate")
        jspec = jt.get("spec") if isinstance(jt, dict) else None
        templates = [jt, jspec.get("template") if isinstance(jspec, dict) else None]
    out = []
    for t in templates:
        if isinstance(t, dict):
            meta = t.setdefault("metadata", {})
            if isinstance(meta, dict):
                out.append(meta)
    return out


def add_labels(objs: list[Obj], labels: dict[str, str], *, selectors: bool, templates: bool) -> None:
    for o in objs:
        o.meta.setdefault("labels", {})
        if isinstance(o.meta["labels"], dict):
            o.meta["labels"].update(labels)
        spec = o.body.get("spec")
        if not isinstance(spec, dict):
            continue
        if templates:
            for meta in _template_metas(o):
                meta.setdefault("labels", {}).update(labels)
        if not selectors:
            continue
        if o.kind in _WORKLOAD_SELECTORS and o.kind != "Job":
            sel = spec.setdefault("selector", {})
            if isinstance(sel, dict):
                sel.setdefault("matchLabels", {}).update(labels)
        elif o.kind == "Service":
            spec.setdefault("selector", {}).update(labels)
        elif o.kind == "PodDisruptionBudget":
            sel = spec.get("selector")
            if isinstance(sel, dict):
                sel.setdefault("matchLabels", {}).update(labels)


def _split_image(image: str) -> tuple[str, str]:
    """(name, rest) where rest is ``:tag``, ``@digest`` or both."""
    at = image.find("@")
    name, digest = (image[:at], image[at:]) if at >= 0 else (image, "")
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        return name[:colon], name[colon:] + digest
    return name, digest


def set_images(node: Any, images: list[dict[str, Any]]) -> None:
    """kustomize's images transformer on every ``containers``/``initContainers`` list."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("containers", "initContainers") and isinstance(v, list):
                for c in v:
                    if isinstance(c, dict) and isinstance(c.get("image"), str):
                        c["image"] = _new_image(c["image"], images)
            set_images(v, images)
    elif isinstance(node, list):
        for v in node:
            set_images(v, images)


def _new_image(image: str, images: list[dict[str, Any]]) -> str:
    name, rest = _split_image(image)
    for i in images:
        if i["name"] != name:
            continue
        new = str(i.get("newName") or name)
        if i.get("digest"):
            rest = "@" + str(i["digest"])
        elif i.get("newTag") is not None:
            rest = ":" + str(i["newTag"])
        return new + rest
    return image


def fix_references(
    objs: list[Obj],
    renames: dict[tuple[str, str], tuple[str, str]],
    extra: Iterable[tuple[str, str, tuple[str, ...]]] = (),
) -> None:
    """Rewrite references to renamed objects in the built-in fields kustomize knows (§6 #12) and in
    the ``nameReference`` fields of ``configurations`` files (``extra``: kind, holder kind, path)."""

    def ren(kind: str, holder: Any, key: str) -> None:
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            new = renames.get((kind, holder[key]))
            ns = holder.get("namespace") if kind == "ServiceAccount" else None
            if new is not None and (not isinstance(ns, str) or not ns or ns == new[1]):
                holder[key] = new[0]  # a subject in another namespace names another object

    for o in objs:
        for ps in _pod_specs(o.body):
            ren("ServiceAccount", ps, "serviceAccountName")
            for s in _list(ps.get("imagePullSecrets")):
                ren("Secret", s, "name")
            for v in _list(ps.get("volumes")):
                if not isinstance(v, dict):
                    continue
                ren("ConfigMap", v.get("configMap"), "name")
                ren("Secret", v.get("secret"), "secretName")
                ren("PersistentVolumeClaim", v.get("persistentVolumeClaim"), "claimName")
                proj = v.get("projected")
                for src in _list(proj.get("sources") if isinstance(proj, dict) else None):
                    if isinstance(src, dict):
                        ren("ConfigMap", src.get("configMap"), "name")
                        ren("Secret", src.get("secret"), "name")
            for c in [*_list(ps.get("containers")), *_list(ps.get("initContainers"))]:
                if not isinstance(c, dict):
                    continue
                for ef in _list(c.get("envFrom")):
                    if isinstance(ef, dict):
                        ren("ConfigMap", ef.get("configMapRef"), "name")
                        ren("Secret", ef.get("secretRef"), "name")
                for e in _list(c.get("env")):
                    vf = e.get("valueFrom") if isinstance(e, dict) else None
                    if isinstance(vf, dict):
                        ren("ConfigMap", vf.get("configMapKeyRef"), "name")
                        ren("Secret", vf.get("secretKeyRef"), "name")
        spec = o.body.get("spec")
        if o.kind == "HorizontalPodAutoscaler" and isinstance(spec, dict):
            ref = spec.get("scaleTargetRef")
            if isinstance(ref, dict):
                ren(str(ref.get("kind", "")), ref, "name")
        if o.kind in ("RoleBinding", "ClusterRoleBinding"):
            ref = o.body.get("roleRef")
            if isinstance(ref, dict):
                ren(str(ref.get("kind", "")), ref, "name")
            for s in _list(o.body.get("subjects")):
                if isinstance(s, dict) and s.get("kind") == "ServiceAccount":
                    ren("ServiceAccount", s, "name")
        if o.kind == "StatefulSet" and isinstance(spec, dict):
            ren("Service", spec, "serviceName")
        if o.kind == "Ingress" and isinstance(spec, dict):
            _walk_ingress(spec, ren)
        for kind, holder, path in extra:
            if not holder or holder == o.kind:
                _walk_path(o.body, path, kind, ren)


def _walk_path(node: Any, path: tuple[str, ...], kind: str, ren: Callable[[str, Any, str], None]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_path(item, path, kind, ren)
        return
    if not isinstance(node, dict) or not path:
        return
    if len(path) == 1:
        ren(kind, node, path[0])
        return
    _walk_path(node.get(path[0]), path[1:], kind, ren)


def _walk_ingress(spec: dict[str, Any], ren: Callable[[str, Any, str], None]) -> None:
    backends = [spec.get("defaultBackend")]
    for rule in _list(spec.get("rules")):
        http = rule.get("http") if isinstance(rule, dict) else None
        for p in _list(http.get("paths") if isinstance(http, dict) else None):
            if isinstance(p, dict):
                backends.append(p.get("backend"))
    for b in backends:
        if isinstance(b, dict):
            ren("Service", b.get("service"), "name")
    for t in _list(spec.get("tls")):
        ren("Secret", t, "secretName")
