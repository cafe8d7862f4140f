"""`gitops-gen charts pull` and the chart cache, against real repositories on 127.0.0.1.

* an HTTP chart repository: charts packaged with `helm package`, indexed with `helm repo index`,
  served by Python's http.server, started and stopped by the test;
* an OCI registry: Debian's `docker-registry` (the reference distribution registry), started by the
  test with its own storage, charts pushed with `helm push` (skipped with a reason when absent).

Then `budget` renders the releases with the real `helm template`, offline: the servers are stopped first.
"""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from gitops_gen.cli import main

HELM = shutil.which("helm")
REGISTRY = shutil.which("docker-registry")
SDK_INSTALLED = importlib.util.find_spec("helm_python") is not None


@pytest.fixture(params=["binary", "sdk"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pull and render with the helm binary, then with Helm's Go SDK (helm-python-sdk)."""
    if request.param == "sdk":
        if not SDK_INSTALLED:
            pytest.skip("helm-python-sdk is not installed (pip install 'gitops-gen[helm]')")
        monkeypatch.setenv("GITOPS_GEN_HELM", "sdk")
    else:
        monkeypatch.setenv("GITOPS_GEN_HELM", "helm")
    return str(request.param)


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(HELM is None, reason="helm is not on PATH (.ci/install-tools.sh installs it)"),
]

CHART_YAML = "apiVersion: v2\nname: demo\nversion: {version}\n"
DEPLOYMENT = textwrap.dedent(
    """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: {{ .Release.Name }}-v{{ .Chart.Version | replace "." "-" }}
    spec:
      replicas: {{ .Values.replicas }}
      selector:
        matchLabels: {app: {{ .Release.Name }}}
      template:
        metadata:
          labels: {app: {{ .Release.Name }}}
        spec:
          containers:
            - name: app
              image: "nginx:1.27"
              resources: {{- toYaml .Values.resources | nindent 16 }}
    """
)


def _helm(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    assert HELM is not None
    proc = subprocess.run(
        [HELM, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _package(root: Path, version: str, dest: Path) -> Path:
    src = root / f"src-{version}" / "demo"
    (src / "templates").mkdir(parents=True)
    (src / "Chart.yaml").write_text(CHART_YAML.format(version=version), encoding="utf-8")
    (src / "values.yaml").write_text("replicas: 1\nresources: {}\n", encoding="utf-8")
    (src / "templates" / "deployment.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    _helm("package", str(src), "--destination", str(dest))
    return dest / f"demo-{version}.tgz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture()
def http_repo(tmp_path: Path) -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    """A chart repository with demo 1.0.0, 1.2.0 and 2.0.0 on http://127.0.0.1:<port>."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for v in ("1.0.0", "1.2.0", "2.0.0"):
        _package(tmp_path, v, served)
    _helm("repo", "index", str(served), "--url", url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def oci_registry(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real OCI registry on 127.0.0.1 holding demo 1.0.0, 1.5.0 and 2.0.0 (pushed with helm)."""
    if REGISTRY is None:
        pytest.skip(
            "docker-registry is not installed (apt-get install docker-registry; .ci/install-tools.sh does)"
        )
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'registry'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [REGISTRY, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.skip("docker-registry did not start")
        env = {**os.environ, "HELM_CONFIG_HOME": str(tmp_path / "helm-config")}
        for v in ("1.0.0", "1.5.0", "2.0.0"):
            archive = _package(tmp_path / "oci", v, tmp_path / "oci-out")
            _helm("push", str(archive), f"oci://127.0.0.1:{port}/charts", "--plain-http", env=env)
        yield f"oci://127.0.0.1:{port}/charts/demo", proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _repo(tmp_path: Path, http_url: str | None, oci_url: str | None) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    docs = []
    if http_url:
        docs.append(
            textwrap.dedent(
                f"""\
                apiVersion: source.toolkit.fluxcd.io/v1
                kind: HelmRepository
                metadata: {{name: demo, namespace: apps}}
                spec: {{url: "{http_url}"}}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {{name: web-values, namespace: apps}}
                data:
                  values.yaml: |
                    replicas: 2
                    resources: {{requests: {{cpu: 1m, memory: 1Mi}}}}
                ---
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {{name: web, namespace: apps}}
                spec:
                  chart:
                    spec:
                      chart: demo
                      version: "^1.0.0"
                      sourceRef: {{kind: HelmRepository, name: demo}}
                  valuesFrom:
                    - kind: ConfigMap
                      name: web-values
                  values:
                    resources: {{requests: {{cpu: 10m, memory: 100Mi}}, limits: {{memory: 200Mi}}}}
                """
            )
        )
    if oci_url:
        docs.append(
            textwrap.dedent(
                f"""\
                apiVersion: source.toolkit.fluxcd.io/v1
                kind: OCIRepository
                metadata: {{name: demo-oci, namespace: apps}}
                spec:
                  url: {oci_url}
                  insecure: true
                  ref: {{semver: ">=1.0.0 <2.0.0"}}
                ---
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {{name: api, namespace: apps}}
                spec:
                  chartRef: {{kind: OCIRepository, name: demo-oci}}
                  values:
                    replicas: 3
                    resources: {{requests: {{cpu: 20m, memory: 50Mi}}, limits: {{memory: 50Mi}}}}
                """
            )
        )
    (repo / "releases.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return repo


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def _budget(repo: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = _cli(["budget", str(repo), "--chart-cache", str(cache), "--format", "json"], capsys)
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def _workloads(data: dict[str, object]) -> dict[str, dict[str, object]]:
    comps = data["components"]
    assert isinstance(comps, list)
    return {w["name"]: w for c in comps for w in c["workloads"] if c["owner"].startswith("HelmRelease")}


def test_http_repository_pull_then_offline_budget(
    tmp_path: Path,
    http_repo: tuple[str, http.server.ThreadingHTTPServer],
    capsys: pytest.CaptureFixture[str],
    backend: str,
) -> None:
    url, server = http_repo
    repo = _repo(tmp_path, url, None)
    cache = tmp_path / "cache"
    code, out, _ = _cli(["charts", "pull", str(repo), "--chart-cache", str(cache)], capsys)
    assert code == 0, out
    # ^1.0.0 resolves to the newest 1.x, as Flux resolves it: 1.2.0, not 2.0.0
    assert f"HelmRelease apps/web: {url} demo ^1.0.0: pulled: demo 1.2.0 sha256:" in out
    refs = json.loads((cache / "refs.json").read_text())
    [(key, entry)] = refs.items()
    assert key == f"{url}#demo@^1.0.0" and entry["version"] == "1.2.0"
    blob = cache / "blobs" / "sha256" / (entry["digest"].split(":", 1)[1] + ".tgz")
    assert "sha256:" + hashlib.sha256(blob.read_bytes()).hexdigest() == entry["digest"]  # content-addressed

    server.shutdown()  # from here on nothing answers: budget and a second pull work offline
    server.server_close()
    data = _budget(repo, cache, capsys)
    [rel] = data["releases"]  # type: ignore[misc]
    assert rel["source"] == "helm template demo 1.2.0 (chart cache)"
    assert any("rendered by helm-python-sdk" in n for n in rel["notes"]) == (backend == "sdk")
    web = _workloads(data)["web-v1-2-0"]
    # valuesFrom (replicas 2) merged under the inline values (resources), as helm-controller merges
    assert web["replicas"] == 2 and web["per_pod"]["requests"] == {
        "cpu_millis": 10,
        "memory_bytes": 100 * 2**20,
    }
    totals = data["totals"]
    assert isinstance(totals, dict) and totals["releases"]["complete"] is True
    code, out, _ = _cli(["charts", "pull", str(repo), "--chart-cache", str(cache)], capsys)
    assert code == 0 and ": cached: demo 1.2.0 sha256:" in out
    # lint's budget rules render from the same cache: 2 x 100Mi do not fit a 256Mi node
    argv = ["lint", str(repo), "--chart-cache", str(cache), "--node-memory", "256Mi", "--node-cpu", "1"]
    code, out, _ = _cli([*argv, "--format", "json", "--no-cache"], capsys)
    pending = [f for f in json.loads(out)["findings"] if f["rule"] == "memory-budget"]
    assert any(
        "HelmRelease apps/web: v1-2-0 (2 pods × 10m CPU, 100Mi memory" in f["message"]
        and "1 of 2 pods of HelmRelease apps/web: v1-2-0" in f["message"]
        for f in pending
    ), [f["message"] for f in pending]

    # without the chart, the same release is an unknown footprint, said plainly
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    data = _budget(repo, empty, capsys)
    [rel] = data["releases"]  # type: ignore[misc]
    assert rel["source"] == "unknown footprint"
    assert any("is not in the chart cache (run `gitops-gen charts pull`)" in n for n in rel["notes"])
    assert data["totals"]["releases"]["summary"] == "1 of 1 HelmRelease not counted"  # type: ignore[index]


def test_pull_failure_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()  # nothing listens there
    repo = _repo(tmp_path, f"http://127.0.0.1:{port}", None)
    code, out, err = _cli(["charts", "pull", str(repo), "--chart-cache", str(tmp_path / "c")], capsys)
    assert code == 1 and ": failed: `helm pull` of " in out and "could not be pulled" in err


def test_oci_registry_pull_then_offline_budget(
    tmp_path: Path,
    oci_registry: tuple[str, subprocess.Popen[bytes]],
    capsys: pytest.CaptureFixture[str],
    backend: str,
) -> None:
    url, proc = oci_registry
    repo = _repo(tmp_path, None, url)
    cache = tmp_path / "cache"
    code, out, _ = _cli(["charts", "pull", str(repo), "--chart-cache", str(cache)], capsys)
    assert code == 0, out
    assert f"HelmRelease apps/api: {url} >=1.0.0 <2.0.0: pulled: demo 1.5.0 sha256:" in out
    proc.terminate()
    proc.wait(timeout=10)
    data = _budget(repo, cache, capsys)
    [rel] = data["releases"]  # type: ignore[misc]
    assert rel["source"] == "helm template demo 1.5.0 (chart cache)"
    api = _workloads(data)["api-v1-5-0"]
    assert api["replicas"] == 3 and api["requests"] == {"cpu_millis": 60, "memory_bytes": 3 * 50 * 2**20}
