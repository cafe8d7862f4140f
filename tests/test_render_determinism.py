"""Same specs, same bytes: across runs, processes, working directories, hash seeds and input order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs

APP = """\
apiVersion: gitops-gen/v1
kind: App
metadata:
  name: {name}
spec:
  namespace: shop
  image: ghcr.io/org/{name}:1.0.0
  resources:
    requests: {{cpu: 50m, memory: 64Mi}}
    limits: {{memory: 128Mi}}
"""

DUMP = """
import json, sys
from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs
print(json.dumps(render_tree(load_specs(sys.argv[1]), "output")))
"""


def test_two_renders_are_byte_identical(repo_root: Path) -> None:
    specs = repo_root / "specs"
    first = render_tree(load_specs(specs), "output")
    second = render_tree(load_specs(specs), "output")
    assert first == second
    assert list(first) == sorted(first)


def test_other_process_cwd_and_hash_seed_give_the_same_bytes(repo_root: Path, tmp_path: Path) -> None:
    expected = render_tree(load_specs(repo_root / "specs"), "output")
    for seed, cwd, arg in (
        ("1", tmp_path, str(repo_root / "specs")),
        ("4242", repo_root, "specs"),
        ("7", repo_root / "specs" / "apps", ".."),
    ):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", DUMP, arg],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(proc.stdout) == expected, (seed, cwd)


def test_order_of_apps_in_the_input_does_not_matter(repo_root: Path, tmp_path: Path) -> None:
    platform = (repo_root / "specs/platform.yaml").read_text()
    trees = []
    for order in (("alpha", "beta", "gamma"), ("gamma", "alpha", "beta")):
        specs = tmp_path / "-".join(order) / "specs"
        (specs / "apps").mkdir(parents=True)
        (specs / "platform.yaml").write_text(platform)
        (specs / "apps/all.yaml").write_text("---\n".join(APP.format(name=n) for n in order))
        trees.append(render_tree(load_specs(specs), "output"))
    assert trees[0] == trees[1]
    # three apps share one namespace: exactly one of them owns the Namespace object
    owners = [rel for rel in trees[0] if rel.endswith("/namespace.yaml") and rel.startswith("apps/")]
    assert owners == ["apps/vps/alpha/namespace.yaml"]


def test_order_of_keys_in_component_values_does_not_matter(repo_root: Path, tmp_path: Path) -> None:
    base = (repo_root / "specs/platform.yaml").read_text()
    outs = []
    for values in ("{b: 1, a: {y: 2, x: 1}}", "{a: {x: 1, y: 2}, b: 1}"):
        specs = tmp_path / str(len(outs)) / "specs"
        specs.mkdir(parents=True)
        (specs / "platform.yaml").write_text(
            base.replace("      version: 2.18.5\n", f"      version: 2.18.5\n      values: {values}\n")
        )
        outs.append(render_tree(load_specs(specs), "output"))
    assert outs[0] == outs[1]
    assert (
        '    a:\n      x: 1\n      "y": 2\n    b: 1\n'
        in outs[0]["infrastructure/controllers/sealed-secrets/release.yaml"]
    )


def test_output_has_no_timestamps_or_absolute_paths(repo_root: Path) -> None:
    files = render_tree(load_specs(repo_root / "specs"), "output")
    blob = "\n".join(files.values())
    assert str(repo_root) not in blob
    assert "/tmp" not in blob and "/home" not in blob and "/root" not in blob
    for rel, text in files.items():
        assert "\r" not in text and "\t" not in text and text.endswith("\n"), rel
        assert not any(line != line.rstrip() for line in text.splitlines()), f"trailing spaces in {rel}"


def test_templates_see_the_environment_globals_through_one_plain_dict() -> None:
    """The renderer's environment gives each template its globals as a dict (jinja2's ChainMap is
    copied item by item on every render); the globals, and a template's own, are all still there."""
    from gitops_gen.render.engine import environment

    env = environment()
    template = env.get_template("deployment.yaml.j2")
    assert type(template.globals) is dict and set(env.globals) <= set(template.globals)
    assert env.from_string("{{ range(3) | list }} {{ x }}", globals={"x": "own"}).render() == "[0, 1, 2] own"
