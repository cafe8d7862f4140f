"""Imports run one way (docs/ARCHITECTURE.md): entry points -> diff -> lint -> capacity -> cluster -> k8s -> leaves.

Every import of the package is read from the source, function-local and ``TYPE_CHECKING`` imports
included, and checked against the table below: a room may import only rooms listed under it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gitops_gen"

#: room -> the rooms it may import (besides itself). Keep docs/ARCHITECTURE.md in step.
LEAVES = {
    "errors": set(),
    "paths": set(),
    "quantity": {"errors", "memo"},
    "values": {"errors"},
    "yamlio": {"errors"},
    "validation": {"errors", "values", "yamlio", "credentials"},
    "credentials": {"errors", "values", "memo"},
    "textsafe": set(),
    "discover": {"paths"},
    "images": set(),
    "memo": set(),
    "forked": set(),
    "ending": set(),
    "digest": set(),
}
LEAF_NAMES = set(LEAVES)
ALLOWED: dict[str, set[str]] = {
    **LEAVES,
    "spec": LEAF_NAMES,
    "render": LEAF_NAMES | {"spec"},
    "k8s": LEAF_NAMES,
    "charts": LEAF_NAMES | {"k8s"},
    "cluster": LEAF_NAMES | {"k8s"},
    "capacity": LEAF_NAMES | {"spec", "k8s", "charts", "cluster"},
    "lint": LEAF_NAMES | {"spec", "k8s", "charts", "cluster", "capacity"},
    "diff": LEAF_NAMES | {"spec", "render", "k8s", "charts", "cluster", "capacity", "lint"},
    "cli": LEAF_NAMES | {"spec", "render", "k8s", "charts", "cluster", "capacity", "lint", "diff"},
    "hooks": {"cli"},
    "__main__": {"cli"},
    "__init__": set(),
}


def room_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_rooms(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [
                f"{node.module}.{a.name}" for a in node.names if node.module == "gitops_gen"
            ]
        for name in names:
            parts = name.split(".")
            if parts[0] == "gitops_gen" and len(parts) > 1:
                room = parts[1]
                is_module = (PACKAGE / room).is_dir() or (PACKAGE / f"{room}.py").is_file()
                found.append((node.lineno, room if is_module else "__init__"))  # e.g. __version__
    return found


def test_every_room_is_in_the_table() -> None:
    rooms = {room_of(p) for p in PACKAGE.rglob("*.py")}
    assert rooms <= set(ALLOWED), f"add {sorted(rooms - set(ALLOWED))} to ALLOWED and docs/ARCHITECTURE.md"


def test_no_relative_imports() -> None:  # the check above reads absolute imports only
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            assert not (isinstance(node, ast.ImportFrom) and node.level), f"{path}:{node.lineno}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    room = room_of(path)
    bad = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {room} imports {target}"
        for line, target in imported_rooms(path)
        if target not in (room, "__init__") and target not in ALLOWED.get(room, set())
    ]
    assert not bad, "imports against the allowed direction (docs/ARCHITECTURE.md):\n" + "\n".join(bad)


def test_the_table_has_no_cycle() -> None:
    seen: dict[str, int] = {}

    def visit(room: str, stack: tuple[str, ...]) -> None:
        assert room not in stack, f"cycle: {' -> '.join((*stack, room))}"
        if seen.get(room):
            return
        for target in ALLOWED.get(room, set()):
            visit(target, (*stack, room))
        seen[room] = 1

    for room in ALLOWED:
        visit(room, ())


def test_the_architecture_doc_lists_every_room() -> None:
    doc = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [r for r in ALLOWED if not r.startswith("__") and f"`{r}" not in doc]
    assert not missing, f"docs/ARCHITECTURE.md does not describe {missing}"
