"""Load spec files with positions, validate them with the models, and report every error at once.

Each error names ``file:line:col``, the key path and a hint, e.g.::

    specs/apps/lingua-app.yaml:31:3: spec.autoscalling: unknown field; did you mean 'autoscaling'?
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from msgspec import field
from pydantic import BaseModel, ValidationError

from gitops_gen.errors import Location, Problem, Problems, UserError
from gitops_gen.spec.files import SPEC_LIMITS, Preread, SpecDocs, spec_files, spec_namer
from gitops_gen.spec.models import API_VERSION, SPEC_KINDS, App, AppOverride, Platform
from gitops_gen.spec.secrets import credential_problems
from gitops_gen.validation import validate_positioned
from gitops_gen.values import dotted
from gitops_gen.yamlio import (
    check_bounds,
    load_fast,
    load_positioned,
    node_position,
    position_of,
    read_text,
)


class Specs(SpecDocs, kw_only=True):
    """Everything under a specs directory: exactly one Platform and any number of Apps (validated)."""

    platform: Platform  # the first platform by name (the only one, in a single-cluster specs directory)
    apps: list[App] = field(default_factory=list)
    root: Path = Path(".")
    platforms: list[Platform] = field(default_factory=list)  # every cluster, sorted by name
    # cluster -> the apps it runs, with its overrides applied (sorted by name)
    cluster_apps: dict[str, list[App]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.platforms:
            self.platforms = [self.platform]
        if not self.cluster_apps:
            self.cluster_apps = {p.metadata.name: list(self.apps) for p in self.platforms}

    @property
    def fleet(self) -> bool:
        """Several clusters: rendered with shared bases and per-cluster overlays."""
        return len(self.platforms) > 1


class SpecMemo:
    """The validated documents of spec files already loaded, by the files' exact text: ``diff`` loads
    the specs of two revisions, whose files are mostly the same. Only files that loaded without any
    problem are kept (a problem's message names its file); the models are frozen."""

    def __init__(self) -> None:
        self.docs: dict[str, list[tuple[int, Any, BaseModel | None]]] = {}  # (index in the file, doc, model)


def load_specs(
    specs_dir: Path | str,
    *,
    display_root: Path | None = None,
    memo: SpecMemo | None = None,
    preread: Preread | None = None,
) -> Specs:
    """Load and validate every spec under ``specs_dir``. Raises :class:`UserError` listing all errors.

    Files are read by the fast path (:func:`~gitops_gen.yamlio.load_fast`) where it gives the same data;
    when anything is wrong, everything is read again with positions, so every problem is located.
    ``memo``: files whose text it holds are not read or validated again (their documents are reused).
    ``preread``: the files listed and read by the fast path already (:func:`~gitops_gen.spec.files.read_ahead`).
    """
    try:
        return _load_specs(Path(specs_dir), display_root, fast=True, memo=memo, preread=preread)
    except UserError:
        return _load_specs(Path(specs_dir), display_root, fast=False)


def _load_specs(
    specs_dir: Path,
    display_root: Path | None,
    *,
    fast: bool,
    memo: SpecMemo | None = None,
    preread: Preread | None = None,
) -> Specs:
    problems = Problems()
    platforms: list[tuple[Platform, str, str, Any]] = []
    apps: list[tuple[App, str, str, Any]] = []
    files = preread.files if preread is not None else spec_files(specs_dir)
    doc_files: dict[int, tuple[Path, int]] = {}  # id(document) -> its file and index in it
    namer = spec_namer(specs_dir, display_root if display_root is not None else Path.cwd())
    for path in files:
        name, spec_name = namer(path)
        try:
            ahead = preread.read.get(str(path)) if preread is not None else None
            text = ahead[0] if ahead is not None else read_text(path, display=name, limits=SPEC_LIMITS)
            known = memo.docs.get(text) if memo is not None else None
            if known is not None:
                for index, doc, model in known:
                    doc_files[id(doc)] = (path, index)
                    if isinstance(model, Platform):
                        platforms.append((model, name, spec_name, doc))
                    elif isinstance(model, App):
                        apps.append((model, name, spec_name, doc))
                continue
            plain = (ahead[1] if ahead is not None else load_fast(text)) if fast else None
            if plain is not None:
                for d in plain:
                    check_bounds(d, name, SPEC_LIMITS)
            docs = plain if plain is not None else load_positioned(text, name, limits=SPEC_LIMITS)
        except UserError as exc:
            problems.items.extend(exc.problems)
            continue
        if all(doc is None for doc in docs):
            # deleting an app must be a deliberate removal of its file, not an emptied file
            problems.add(
                Problem(
                    Location(name, 1, 1),
                    "empty spec file",
                    hint="write a spec (apiVersion: gitops-gen/v1, kind: Platform or App), "
                    "or delete the file to remove what it described",
                )
            )
            continue
        before = len(problems.items)
        validated: list[tuple[int, Any, BaseModel | None]] = []
        for index, doc in enumerate(docs):
            if doc is None:
                continue
            doc_files[id(doc)] = (path, index)
            problems.items.extend(credential_problems(doc, name))  # plain-text secrets refused
            # the fast loader gives plain data only (it leaves tags, sets and complex keys to ruamel)
            exotic = [] if plain is not None else _not_plain_data(doc, name)
            if exotic:
                problems.items.extend(exotic)
                continue
            model = _validate_doc(doc, name, problems, plain=plain is not None)
            validated.append((index, doc, model))
            if isinstance(model, Platform):
                platforms.append((model, name, spec_name, doc))
            elif isinstance(model, App):
                apps.append((model, name, spec_name, doc))
        if memo is not None and len(problems.items) == before:
            memo.docs[text] = validated
    if not files:
        problems.add(
            Problem(
                Location(str(specs_dir)),
                "no spec files (*.yaml) found",
                hint="add a platform.yaml (kind: Platform) and apps/*.yaml (kind: App)",
            )
        )
    problems.raise_if_any()
    if not platforms:
        raise UserError.at(
            str(specs_dir),
            "no Platform spec found",
            hint="add a file with 'apiVersion: gitops-gen/v1' and 'kind: Platform'",
        )
    platforms.sort(key=lambda item: item[0].metadata.name)
    pnames = [p.metadata.name for p, _, _, _ in platforms]
    sources: dict[str, str] = {}
    names: dict[str, str] = {}
    spec_docs: dict[str, Any] = {}
    origins: dict[str, tuple[Path, int]] = {}
    for p, psrc, pname, pdoc in platforms:
        pkey = f"Platform/{p.metadata.name}"
        if pkey in sources:
            problems.add(
                Problem(
                    _at(psrc, pdoc, ("metadata", "name")),
                    f"Platform {p.metadata.name!r} is also defined in {sources[pkey]}",
                    key_path="metadata.name",
                    hint="cluster names must be unique",
                )
            )
            continue
        sources[pkey], names[pkey], spec_docs[pkey] = psrc, pname, pdoc
        origins[pkey] = doc_files[id(pdoc)]
    platform = platforms[0][0]
    seen: dict[str, str] = {}
    for app, src, spec_name, doc in apps:
        if app.metadata.name in seen:
            problems.add(
                Problem(
                    _at(src, doc, ("metadata", "name")),
                    f"App {app.metadata.name!r} is also defined in {seen[app.metadata.name]}",
                    key_path="metadata.name",
                    hint="app names must be unique",
                )
            )
        seen.setdefault(app.metadata.name, str(_at(src, doc, ("metadata", "name"))))
        for where, message, hint in app.spec.problems():
            problems.add(Problem(_at(src, doc, where), message, dotted(where), hint))
        sources[f"App/{app.metadata.name}"] = src
        names[f"App/{app.metadata.name}"] = spec_name
        spec_docs[f"App/{app.metadata.name}"] = doc
        origins[f"App/{app.metadata.name}"] = doc_files[id(doc)]
        if app.spec.cluster is not None and app.spec.cluster not in pnames:
            problems.add(
                Problem(
                    _at(src, doc, ("spec", "cluster")),
                    f"cluster {app.spec.cluster!r} is not a platform (platforms: {', '.join(pnames)})",
                    key_path="spec.cluster",
                    hint="remove spec.cluster or set it to a Platform's metadata.name",
                )
            )
    problems.raise_if_any()
    apps_sorted = sorted((a for a, _, _, _ in apps), key=lambda a: a.metadata.name)
    cluster_apps: dict[str, list[App]] = {}
    for p, psrc, _, pdoc in platforms:
        cluster_apps[p.metadata.name] = _cluster_apps(p, apps_sorted, psrc, pdoc, problems)
    problems.raise_if_any()
    return Specs(
        platform=platform,
        apps=apps_sorted,
        sources=sources,
        root=specs_dir,
        names=names,
        docs=spec_docs,
        origins=origins,
        platforms=[p for p, _, _, _ in platforms],
        cluster_apps=cluster_apps,
    )


def _not_plain_data(doc: Any, name: str) -> list[Problem]:
    """Values that are not plain YAML data (mapping, sequence, string, number, boolean, null, date):
    ``!!set``, ``!!binary``, ``!!pairs``/``!!omap``, custom tags, mappings or sequences as keys. They
    would be rendered as Python reprs (``set(...)``, ``b'...'``), which no tool downstream reads."""
    from ruamel.yaml.comments import (
        CommentedKeyMap,
        CommentedKeySeq,
        CommentedOrderedMap,
        CommentedSet,
        TaggedScalar,
    )

    problems: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    seen: set[int] = set()
    while stack and len(problems) < 20:
        node, path = stack.pop()
        what = None
        if isinstance(node, CommentedSet):
            what = "a set (!!set)"
        elif isinstance(node, CommentedOrderedMap):
            what = "an ordered map (!!omap)"
        elif isinstance(node, bytes | bytearray):
            what = "binary data (!!binary)"
        elif isinstance(node, tuple):
            what = "a pair (!!pairs)"
        elif isinstance(node, TaggedScalar) and not str(node.tag.value).startswith("tag:yaml.org,2002:"):
            what = f"a value with the custom tag {str(node.tag.value)[:40]!r}"
        if what is None and isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, CommentedKeyMap | CommentedKeySeq | tuple | frozenset):
                    what = "a mapping or sequence used as a key"
                    break
                stack.append((value, (*path, key)))
        if what is not None:
            problems.append(
                Problem(
                    _at(name, doc, path),
                    f"{what} is not plain YAML data",
                    key_path=dotted(path),
                    hint="use plain mappings, lists, strings, numbers and booleans (quote text that looks like a tag)",
                )
            )
    return problems


def _cluster_apps(platform: Platform, apps: list[App], psrc: str, pdoc: Any, problems: Problems) -> list[App]:
    """The apps ``platform`` runs, with its ``spec.apps`` overrides applied and validated again."""
    cluster = platform.metadata.name
    mine = [a for a in apps if a.spec.cluster in (None, cluster)]
    overrides = platform.spec.apps
    if overrides is None:
        return mine
    by_name = {a.metadata.name: a for a in mine}
    out: list[App] = []
    for name, override in overrides.items():
        where: tuple[str | int, ...] = ("spec", "apps", name)
        app = by_name.get(name)
        if app is None:
            other = next((a for a in apps if a.metadata.name == name), None)
            why = (
                f"app {name!r} runs on cluster {other.spec.cluster!r} only (its spec.cluster)"
                if other is not None
                else f"no App named {name!r}"
            )
            close = difflib.get_close_matches(name, list(by_name), n=1)
            problems.add(
                Problem(
                    _at(psrc, pdoc, where),
                    why,
                    dotted(where),
                    f"did you mean {close[0]!r}?" if close else "add the App spec, or remove this entry",
                )
            )
            continue
        if not override.enabled:
            continue
        try:
            merged = apply_override(app, override)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
                problems.add(
                    Problem(
                        _at(psrc, pdoc, where),
                        f"with this cluster's overrides, app {name!r} is invalid: {msg}",
                        dotted(where),
                        "fix the override (or the App spec)",
                    )
                )
            continue
        except ValueError as exc:
            problems.add(Problem(_at(psrc, pdoc, where), str(exc), dotted(where), "remove the override"))
            continue
        for sub, message, _hint in merged.spec.problems():
            problems.add(
                Problem(
                    _at(psrc, pdoc, where),
                    f"with this cluster's overrides, app {name!r}: {message} ({dotted(sub)})",
                    dotted(where),
                    "fix the override (or the App spec)",
                )
            )
        out.append(merged)
    return sorted(out, key=lambda a: a.metadata.name)


def apply_override(app: App, override: AppOverride) -> App:
    """``app`` as one cluster runs it. Raises ValueError (override does not fit the app) or
    ValidationError (the result is not a valid App)."""
    data = app.model_dump(mode="python", exclude_unset=True)
    spec: dict[str, Any] = data["spec"]
    changed = override.model_dump(exclude_unset=True, exclude={"enabled"})
    if app.spec.workload == "helm" and changed:
        raise ValueError(f"a helm app takes no overrides but enabled (got {', '.join(sorted(changed))})")
    if override.replicas is not None:
        spec["replicas"] = override.replicas
    if override.autoscaling is not None:
        spec["autoscaling"] = override.autoscaling.model_dump(exclude_unset=True)
    if override.tag is not None:
        image = app.spec.image or ""
        repo = image.split("@", 1)[0]
        if repo.rfind(":") > repo.rfind("/"):
            repo = repo[: repo.rfind(":")]
        spec["image"] = f"{repo}:{override.tag}"
    if override.host is not None:
        if app.spec.ingress is None:
            raise ValueError(f"app {app.metadata.name!r} has no ingress whose host this cluster could set")
        spec["ingress"]["host"] = override.host
    if override.resources is not None:
        spec["resources"] = override.resources.model_dump(exclude_unset=True)
    if override.env:
        env = {e["name"]: e for e in spec.get("env", [])}
        for e in override.env:
            env[e.name] = e.model_dump(exclude_unset=True)
        spec["env"] = list(env.values())
    return App.model_validate(data)


def _at(src: str, doc: Any, path: tuple[str | int, ...]) -> Location:
    """Where ``path`` is in a spec document (not line 1 of its file: a file may hold several documents)."""
    line, col = position_of(doc, path)
    return Location(src, line or 1, col or 1)


def _validate_doc(doc: Any, name: str, problems: Problems, *, plain: bool = False) -> BaseModel | None:
    """``doc`` as its kind's model, or None with the problems added; ``plain``: ``doc`` is plain data
    already (the fast loader's), not a round-trip tree to convert."""
    line, col = node_position(doc)
    line, col = line or 1, col or 1
    if not isinstance(doc, dict):
        problems.add(
            Problem(
                Location(name, line, col),
                "a spec must be a mapping",
                hint="start with 'apiVersion: gitops-gen/v1' and 'kind: Platform' or 'App'",
            )
        )
        return None
    kind = doc.get("kind")
    api = doc.get("apiVersion")
    if api != API_VERSION:
        pl, pc = position_of(doc, ("apiVersion",))
        problems.add(
            Problem(
                Location(name, pl, pc),
                f"apiVersion {api!r} is not {API_VERSION!r}",
                key_path="apiVersion",
                hint=f"set 'apiVersion: {API_VERSION}'",
            )
        )
        return None
    model_cls = SPEC_KINDS.get(str(kind)) if isinstance(kind, str) else None
    if model_cls is None:
        pl, pc = position_of(doc, ("kind",))
        close = difflib.get_close_matches(str(kind), list(SPEC_KINDS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(SPEC_KINDS)}"
        problems.add(Problem(Location(name, pl, pc), f"unknown kind {kind!r}", key_path="kind", hint=hint))
        return None
    return validate_positioned(model_cls, doc, name, problems, plain=plain)
