"""bjw-s app-template values read as the chart reads them (gitops_gen.k8s.app_template), counted by the
budget and checked by the container lint rules at the values' lines.

Expected results come from ../shared/design/app-template.md: its corpus cases T1-T8 and synthetic cases
were rendered with the real chart (4.1.1; 3.7.3 where noted). The same reading was also compared,
field by field, with `helm template` of app-template 4.1.1 and 3.7.3 built from the upstream sources on
every corpus release (not a test here: the chart's sources are not shipped with the project).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from lint_helpers import by_rule, run

from gitops_gen.capacity.releases import chart_of
from gitops_gen.cli import main
from gitops_gen.k8s import app_template as at
from gitops_gen.k8s.loader import load_resources
from gitops_gen.k8s.model import ObjectIndex, Resource

CORPUS = (
    Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "bjw-s-labs__home-ops" / "kubernetes"
)

RELEASE = textwrap.dedent(
    """\
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: app-template
      namespace: apps
    spec:
      url: oci://ghcr.io/bjw-s-labs/helm/app-template
      ref:
        tag: 4.1.1
    ---
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: rel
      namespace: apps
    spec:
      chartRef:
        kind: OCIRepository
        name: app-template
      values:
        defaultPodOptions:
          securityContext:
            runAsNonRoot: true
        controllers:
          web:
            replicas: 2
            strategy: RollingUpdate
            defaultContainerOptions:
              resources:
                requests:
                  cpu: 50m
                  memory: 64Mi
                limits:
                  memory: 128Mi
            initContainers:
              init-db:
                image:
                  repository: busybox
                  tag: "1.36"
            containers:
              app:
                image:
                  repository: nginx
                  tag: 1.27.1
                probes:
                  liveness:
                    enabled: true
                securityContext:
                  allowPrivilegeEscalation: false
              sidecar:
                image:
                  repository: busybox
                  tag: latest
                resources:
                  requests:
                    cpu: 5m
                securityContext:
                  allowPrivilegeEscalation: false
          db:
            type: statefulset
            containers:
              main:
                image:
                  repository: postgres
                  tag: "16"
                resources:
                  requests: {cpu: 100m, memory: 256Mi}
                  limits: {memory: 512Mi}
                securityContext:
                  allowPrivilegeEscalation: false
          agent:
            type: daemonset
            containers:
              main:
                image:
                  repository: ghcr.io/example/agent
                  tag: 1.0.0
                probes:
                  readiness:
                    enabled: true
                resources:
                  requests: {cpu: 10m, memory: 32Mi}
                  limits: {memory: 64Mi}
                securityContext:
                  privileged: true
          backup:
            type: cronjob
            cronjob:
              schedule: "@daily"
              parallelism: 2
            containers:
              main:
                image:
                  repository: ghcr.io/example/backup
                  tag: 2.0.0
                resources:
                  requests: {cpu: 20m, memory: 100Mi}
                  limits: {memory: 200Mi}
                securityContext:
                  allowPrivilegeEscalation: false
          migrate:
            type: job
            containers:
              main:
                image:
                  repository: ghcr.io/example/migrate
                  tag: 2.0.0
                resources:
                  requests: {cpu: 20m, memory: 100Mi}
                  limits: {memory: 200Mi}
                securityContext:
                  allowPrivilegeEscalation: false
          legacy:
            enabled: false
            containers:
              main:
                image:
                  repository: ghcr.io/example/legacy
        service:
          web:
            controller: web
            ports:
              http:
                port: 8080
    """
)


def _line(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first ``needle`` after the first ``after``."""
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    d = tmp_path / "repo"
    d.mkdir()
    (d / "release.yaml").write_text(RELEASE, encoding="utf-8")
    return d


def _hr(repo: Path) -> Resource:
    resources, problems = load_resources([repo])
    assert not problems
    [hr] = [r for r in resources if r.kind == "HelmRelease"]
    return hr


def test_every_controller_type_is_read_as_the_chart_renders_it(repo: Path) -> None:
    ctrls = {c.ident: c for c in at.helmrelease_controllers(_hr(repo), "4.1.1")}
    assert sorted(ctrls) == ["agent", "backup", "db", "migrate", "web"]  # legacy is disabled (T17)
    # more than one controller: every object gets -<id> (§3.3)
    assert {c.ident: (c.kind, c.name) for c in ctrls.values()} == {
        "web": ("Deployment", "rel-web"),
        "db": ("StatefulSet", "rel-db"),
        "agent": ("DaemonSet", "rel-agent"),
        "backup": ("CronJob", "rel-backup"),
        "migrate": ("Job", "rel-migrate"),
    }
    web = ctrls["web"]
    assert (web.replicas, web.strategy) == (2, "RollingUpdate")
    assert ctrls["db"].strategy == "RollingUpdate" and ctrls["backup"].parallelism == 2
    by_name = {c.name: c for c in web.containers}
    # defaultContainerOptions (overwrite): app and init-db get the defaults, sidecar keeps only its own (T16)
    default = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
    assert by_name["app"].container["resources"] == default
    assert by_name["init-db"].container["resources"] == default and by_name["init-db"].init
    assert by_name["sidecar"].container["resources"] == {"requests": {"cpu": "5m"}}
    assert by_name["app"].origins["resources"] == (
        "spec", "values", "controllers", "web", "defaultContainerOptions", "resources"
    )  # fmt: skip
    assert by_name["app"].container["image"] == "nginx:1.27.1"
    # a non-custom probe probes the primary Service port with the chart's timings (§2.9)
    assert by_name["app"].container["livenessProbe"] == {
        "initialDelaySeconds": 0,
        "failureThreshold": 3,
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "tcpSocket": {"port": 8080},
    }
    # the agent has no Service: its enabled readiness probe is dropped by the chart (T15)
    [agent] = ctrls["agent"].containers
    assert "readinessProbe" not in agent.container
    assert agent.dropped_probes == [("readiness", (*agent.path, "probes", "readiness"))]
    assert web.pod["securityContext"] == {"runAsNonRoot": True}
    assert web.pod_origins["securityContext"] == ("spec", "values", "defaultPodOptions", "securityContext")


def test_replicas_null_naming_and_versions() -> None:
    values: dict[str, Any] = {
        "controllers": {
            "app": {"replicas": None, "containers": {"app": {"image": {"repository": "x", "tag": 1.20}}}}
        },
        "persistence": {},
    }
    [c] = at.read(values, release="rel")
    assert c.name == "rel" and c.replicas is None  # one controller: bare name; null: an HPA decides (T13)
    assert c.containers[0].container["image"] == "x:1.2"  # a float tag renders as Helm prints it (§4.4)
    values["controllers"]["app"]["forceRename"] = "{{ .Release.Name }}-web"
    assert at.read(values, release="rel")[0].name == "rel-web"
    values["controllers"]["b"] = {"containers": {"b": {"image": {"repository": "y", "tag": "1"}}}}
    del values["controllers"]["app"]["forceRename"]
    assert sorted(c.name for c in at.read(values, release="rel")) == ["rel-app", "rel-b"]
    assert sorted(c.name for c in at.read(values, release="app", major=3)) == ["app", "app-b"]  # 3.x (§3.4)
    assert at.major_of("5.1.0") == 5 and at.major_of(">=3.0.0 <4") == 3 and at.major_of("") == 4
    # 5.x: an image may be a string, or a map with a digest (§4.5)
    values = {
        "controllers": {
            "a": {"containers": {"a": {"image": {"repository": "r", "tag": "1", "digest": "sha256:ab"}}}}
        }
    }
    assert at.read(values, release="x", major=5)[0].containers[0].container["image"] == "r:1@sha256:ab"
    assert at.read(values, release="x", major=4)[0].containers[0].container["image"] == "r:1"


def test_values_of_other_charts_are_not_read() -> None:
    # a chart with defaults of its own leaves images out: not app-template values (the chart would refuse them)
    assert not at.looks_like({"controllers": {"main": {"containers": {"main": {"resources": {}}}}}})
    assert at.looks_like({"controllers": {"m": {"containers": {"m": {"image": {"repository": "x"}}}}}})
    assert not at.looks_like({"controller": {"replicaCount": 1}})
    hr = Resource(
        {
            "kind": "HelmRelease",
            "metadata": {"name": "n"},
            "spec": {
                "chart": {"spec": {"chart": "ingress-nginx"}},
                "values": {"controllers": {"m": {"containers": {"m": {"image": {"repository": "x"}}}}}},
            },
        },
        "f.yaml",
        1,
    )
    assert at.helmrelease_controllers(hr) == []


def test_budget_counts_every_controller(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["budget", str(repo), "--format", "json", "--node-memory", "8Gi", "--node-cpu", "4"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    [rel] = data["releases"]
    assert rel["source"] == "app-template values (4.1.1)"
    assert data["totals"]["releases"]["complete"] is True
    [comp] = [c for c in data["components"] if c["owner"] == "HelmRelease apps/rel"]
    rows = {w["component"]: w for w in comp["workloads"]}
    assert {k: (w["kind"], w["pods"], w["transient"]) for k, w in rows.items()} == {
        "web": ("Deployment", 2, False),
        "db": ("StatefulSet", 1, False),
        "agent": ("DaemonSet", 1, False),
        "backup": ("CronJob", 2, True),  # transient: parallelism per run, not in the steady total
        "migrate": ("Job", 1, True),
    }
    # web pod: app 50m/64Mi + sidecar 5m (no memory request); init-db (50m/64Mi) runs first
    assert rows["web"]["per_pod"]["requests"] == {"cpu_millis": 55, "memory_bytes": 64 * 2**20}
    assert rows["web"]["surge"] == 1 and rows["web"]["unbounded"] == ["sidecar"]
    assert rows["web"]["resources_path"] == "controllers.web.defaultContainerOptions.resources"
    assert rows["db"]["requests"] == {"cpu_millis": 100, "memory_bytes": 256 * 2**20}
    assert data["totals"]["pods"] == 4


def test_lint_reports_at_the_values_lines(repo: Path) -> None:
    text = RELEASE
    result = run([repo])
    [latest] = by_rule(result, "image")
    assert latest.line == _line(text, "tag: latest") and "'busybox:latest'" in latest.message
    assert latest.message.startswith("app-template controllers.web (Deployment rel-web): ")
    res = {(f.line, f.message.split("): ", 1)[1]) for f in by_rule(result, "resources")}
    sidecar_requests = _line(text, "requests:", after="sidecar:")
    assert (
        sidecar_requests,
        'container "sidecar" has no memory request: the scheduler may place it on a node without room',
    ) in res
    assert (
        _line(text, "resources:", after="sidecar:"),
        'container "sidecar" has no memory limit: a leak can exhaust the node',
    ) in res
    assert all("app" not in m.split('"')[1] for _, m in res if '"' in m)  # app and init-db get the defaults
    probes = {(f.line, str(f.severity), f.message.split("): ", 1)[1]) for f in by_rule(result, "probes")}
    assert (
        _line(text, "enabled: true", after="agent:"),
        "error",
        'container "main": probes.readiness is enabled but the chart renders no readiness probe: '
        "controller 'agent' has no Service with a port for it to probe",
    ) in probes
    assert (
        _line(text, "app:", after="containers:"),
        "error",
        'container "app" has no readiness probe: rollouts and Services treat it as ready the moment it starts',
    ) in probes
    assert not any(line == _line(text, "main:", after="agent:") and "readiness" in m for line, _, m in probes)
    assert not any("CronJob" in m or "Job rel-migrate" in m for _, _, m in probes)  # jobs need no probes
    sec = {(f.line, str(f.severity), f.message.split("): ", 1)[1]) for f in by_rule(result, "security")}
    assert (
        _line(text, "privileged: true"),
        "error",
        'container "main" is privileged: it has root access to the node',
    ) in sec
    # runAsNonRoot comes from defaultPodOptions: nobody may run as root
    assert not any("root" in m and "privileged" not in m for _, _, m in sec)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent (../shared sits beside the checkout)")
def test_corpus_cases_of_the_design_note() -> None:
    resources, _ = load_resources([CORPUS])
    hrs = {r.name: r for r in resources if r.kind == "HelmRelease"}
    read = {n: at.helmrelease_controllers(hr, "5.1.0") for n, hr in hrs.items()}
    index = ObjectIndex(resources)
    # exactly the releases whose OCIRepository is app-template's (38 apps and the anubis component)
    read_ones = {id(hr) for hr in index.kinds("HelmRelease") if at.helmrelease_controllers(hr, "5.1.0")}
    app_template = {
        id(hr) for hr in index.kinds("HelmRelease") if chart_of(hr, index.find)[0] == "app-template"
    }
    assert read_ones == app_template and len(read_ones) == 39

    def one(name: str) -> at.AppController:
        [c] = read[name]
        return c

    echo = one("echo-server")  # T1
    assert (echo.kind, echo.name, echo.replicas, echo.strategy) == (
        "Deployment",
        "echo-server",
        1,
        "Recreate",
    )
    [app] = echo.containers
    assert app.container["image"] == "ghcr.io/mendhak/http-https-echo:41"
    for p in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert app.container[p]["tcpSocket"] == {"port": 8080} and app.container[p]["periodSeconds"] == 10
    atuin = one("atuin").containers[0].container  # T2
    assert atuin["livenessProbe"]["periodSeconds"] == 30 and atuin["livenessProbe"]["timeoutSeconds"] == 5
    assert atuin["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8888}
    assert atuin["startupProbe"]["failureThreshold"] == 30
    karakeep = {c.name: c for c in read["karakeep"]}  # T3
    assert sorted(karakeep) == ["karakeep", "karakeep-chrome", "karakeep-meilisearch"]
    assert [k for k, c in karakeep.items() if "livenessProbe" in c.containers[0].container] == ["karakeep"]
    assert one("qbittorrent").containers[0].name == "qbittorrent"  # T4: nameOverride
    kanidm = one("kanidm")  # T5
    assert (kanidm.kind, kanidm.replicas) == ("StatefulSet", 1)
    assert not [k for k in kanidm.containers[0].container if k.endswith("Probe")]
    recyclarr = one("recyclarr")  # T6
    assert (recyclarr.kind, recyclarr.parallelism) == ("CronJob", 1)
    gatus = {c.name: c for c in one("gatus").containers}  # T7: a native sidecar
    assert gatus["gatus-sidecar"].sidecar and gatus["gatus-sidecar"].init
    assert gatus["gatus"].container["livenessProbe"] == gatus["gatus"].container["readinessProbe"]
    jellyfin = one("jellyfin").containers[0].container  # T8
    assert jellyfin["resources"]["claims"] == [{"name": "gpu"}] and "startupProbe" not in jellyfin
    # the memini chart follows the layout but ships its own defaults (images): not read as app-template
    assert read["memini"] == []


def test_replicas_null_under_an_external_hpa(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """T13: `replicas: null` leaves the count to an HPA; the budget counts the HPA's maximum."""
    (tmp_path / "r.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: rel, namespace: apps}
            spec:
              chart: {spec: {chart: app-template, version: 4.1.1, sourceRef: {kind: HelmRepository, name: bjw-s}}}
              values:
                controllers:
                  web:
                    replicas: null
                    strategy: RollingUpdate
                    containers:
                      app:
                        image: {repository: nginx, tag: "1.27"}
                        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 128Mi}}
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: rel, namespace: apps}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: rel}
              minReplicas: 2
              maxReplicas: 6
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(SystemExit):
        main(["budget", str(tmp_path), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    [web] = [w for c in data["components"] for w in c["workloads"] if w["component"] == "web"]
    assert (web["replicas"], web["max_replicas"], web["pods"], web["surge"]) == (2, 6, 6, 2)
    assert "scaled by HorizontalPodAutoscaler rel of the inputs: 2-6" in web["notes"]
    assert not any("replicas is null" in n for n in web["notes"])


def test_a_number_tag_is_a_warning_at_its_line(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: rel, namespace: apps}
        spec:
          values:
            controllers:
              app:
                containers:
                  app:
                    image:
                      repository: ghcr.io/example/app
                      tag: 1.20
                  other:
                    image:
                      repository: ghcr.io/example/other
                      tag: 41
        """
    )
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    [hit] = by_rule(run([tmp_path]), "image")
    assert (hit.line, str(hit.severity)) == (_line(text, "tag: 1.20"), "warning")
    assert "image.tag is the number 1.2, so the chart renders 'ghcr.io/example/app:1.2'" in hit.message


def test_diff_says_when_its_budget_totals_leave_releases_out() -> None:
    from gitops_gen.diff.model import BudgetDelta, BudgetSide, DiffReport, ObjectDiff
    from gitops_gen.diff.report import render_report

    after = BudgetSide(100, 2**30, unknown=["HelmRelease apps/podinfo"])
    report = DiffReport(
        "HEAD", "working tree", ObjectDiff(), budget=BudgetDelta(BudgetSide(100, 2**30), after)
    )
    expected = "1 HelmRelease(s) not counted (unknown footprint), so the totals are at least this much"
    assert f"budget: {expected}: HelmRelease apps/podinfo" in render_report(report, "text")
    assert expected in render_report(report, "markdown")
    report.budget = BudgetDelta(BudgetSide(100, 2**30), BudgetSide(100, 2**30))
    assert "not counted" not in render_report(report, "text")
