"""What each component and app renders: the facts the issue and the chart defaults ask for."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.quantity import cpu_millis, memory_bytes
from gitops_gen.render.components import (
    cert_manager,
    deep_merge,
    ingress_nginx,
    kube_prometheus_stack,
    loki,
    promtail,
    sealed_secrets,
)
from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs

MODULES = [ingress_nginx, cert_manager, sealed_secrets, kube_prometheus_stack, loki, promtail]


def _docs(files: dict[str, str]) -> list[dict[str, Any]]:
    return [d for text in files.values() for d in yaml.safe_load_all(text) if d]


def _release(files: dict[str, str], name: str) -> dict[str, Any]:
    return next(d for d in _docs(files) if d["kind"] == "HelmRelease" and d["metadata"]["name"] == name)


def _get(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node[part]
    return node


def _variant(tmp_path: Path, repo_root: Path, edit: Any = None, app_edit: Any = None) -> dict[str, str]:
    specs = tmp_path / "specs"
    (specs / "apps").mkdir(parents=True, exist_ok=True)
    platform = (repo_root / "specs/platform.yaml").read_text()
    app = (repo_root / "specs/apps/lingua-app.yaml").read_text()
    (specs / "platform.yaml").write_text(edit(platform) if edit else platform)
    (specs / "apps/lingua-app.yaml").write_text(app_edit(app) if app_edit else app)
    return render_tree(load_specs(specs), "output")


@pytest.fixture(scope="module")
def files(repo_root: Path) -> dict[str, str]:
    return render_tree(load_specs(repo_root / "specs"), "output")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.DIR)
def test_every_workload_gets_requests_and_limits_at_its_values_path(
    files: dict[str, str], module: Any
) -> None:
    values = _release(files, module.RELEASE)["spec"]["values"]
    assert module.RESOURCES, module.DIR
    for path, block in module.RESOURCES.items():
        rendered = _get(values, path)
        assert rendered == block, path
        for section in ("requests", "limits"):
            assert set(rendered[section]) == {"cpu", "memory"}, (path, section)
            cpu_millis(rendered[section]["cpu"])
            memory_bytes(rendered[section]["memory"])
        assert cpu_millis(rendered["requests"]["cpu"]) <= cpu_millis(rendered["limits"]["cpu"])
        assert memory_bytes(rendered["requests"]["memory"]) <= memory_bytes(rendered["limits"]["memory"])


def test_workloads_named_in_chart_defaults_are_all_covered() -> None:
    """Each sub-chart and sidecar of chart-defaults.md has a resources path."""
    kps = set(kube_prometheus_stack.RESOURCES)
    for path in (
        "prometheusOperator.resources",
        "prometheus.prometheusSpec.resources",
        "alertmanager.alertmanagerSpec.resources",
        "grafana.resources",
        "grafana.sidecar.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
        "prometheusOperator.prometheusConfigReloader.resources",
        "prometheusOperator.admissionWebhooks.patch.resources",
    ):
        assert path in kps
    assert {"resources", "webhook.resources", "cainjector.resources", "startupapicheck.resources"} <= set(
        cert_manager.RESOURCES
    )
    assert {
        "singleBinary.resources",
        "gateway.resources",
        "lokiCanary.resources",
        "sidecar.resources",
        "memcachedExporter.resources",
    } <= set(loki.RESOURCES)
    assert {
        "controller.resources",
        "controller.admissionWebhooks.createSecretJob.resources",
        "controller.admissionWebhooks.patchWebhookJob.resources",
    } <= set(ingress_nginx.RESOURCES)


def test_platform_fits_the_12gb_4cpu_node_with_room(files: dict[str, str]) -> None:
    """Sum every requests block of every HelmRelease (sidecars in two pods counted twice) plus the app at
    maxReplicas, K3s's coredns + metrics-server and Flux's four controllers: well under the node."""
    cpu = mem = 0

    def walk(node: Any, weight: int) -> None:
        nonlocal cpu, mem
        if isinstance(node, dict):
            req = node.get("requests") if isinstance(node.get("requests"), dict) else None
            if req is not None and "memory" in req:
                cpu += weight * cpu_millis(req.get("cpu", "0"))
                mem += weight * memory_bytes(req["memory"])
            for value in node.values():
                walk(value, weight)

    for doc in _docs(files):
        if doc["kind"] == "HelmRelease":
            values = doc["spec"]["values"]
            walk(values, 1)
            for twice in (
                "grafana.sidecar.resources",
                "prometheusOperator.prometheusConfigReloader.resources",
            ):
                with contextlib.suppress(KeyError):
                    walk({"x": _get(values, twice)}, 1)
        if doc["kind"] == "Deployment":
            hpa = next(d for d in _docs(files) if d["kind"] == "HorizontalPodAutoscaler")
            req = doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
            cpu += hpa["spec"]["maxReplicas"] * cpu_millis(req["cpu"])
            mem += hpa["spec"]["maxReplicas"] * memory_bytes(req["memory"])
    cpu += 200 + 4 * 100  # k3s coredns + metrics-server; flux controllers
    mem += 140 * 2**20 + 4 * 64 * 2**20
    assert cpu <= 0.6 * 4000, cpu
    assert mem <= 0.6 * 12 * 2**30, mem / 2**20


def test_loki_single_binary_filesystem_and_caches_follow_the_spec(
    files: dict[str, str], tmp_path: Path, repo_root: Path
) -> None:
    values = _release(files, "loki")["spec"]["values"]
    assert values["deploymentMode"] == "SingleBinary"
    assert values["singleBinary"]["replicas"] == 1
    assert values["loki"]["storage"]["type"] == "filesystem"
    assert values["loki"]["schemaConfig"]["configs"][0]["object_store"] == "filesystem"
    assert values["chunksCache"] == {"enabled": False} and values["resultsCache"] == {"enabled": False}
    assert {values[t]["replicas"] for t in ("backend", "read", "write")} == {0}
    on = _variant(tmp_path, repo_root, lambda t: t.replace("chunksCache: false", "chunksCache: true"))
    cache = _release(on, "loki")["spec"]["values"]["chunksCache"]
    # enabled, and sized by the chart itself (9830Mi from allocatedMemory) so budgets see the real ask
    assert cache == {"enabled": True}
    assert "9830Mi" in on["infrastructure/controllers/loki/release.yaml"]


def test_promtail_pushes_to_the_rendered_loki_gateway(files: dict[str, str]) -> None:
    rel = _release(files, "loki")
    name, ns = rel["spec"]["releaseName"], rel["metadata"]["namespace"]
    assert rel["spec"]["values"]["gateway"]["enabled"] is True
    # the loki chart names the gateway Service <fullname>-gateway; fullname is the release name
    # when it contains the chart name ("loki")
    assert "loki" in name
    expected = f"http://{name}-gateway.{ns}.svc.cluster.local/loki/api/v1/push"
    clients = _release(files, "promtail")["spec"]["values"]["config"]["clients"]
    assert clients == [{"url": expected}]
    grafana = _release(files, "kube-prometheus-stack")["spec"]["values"]["grafana"]
    assert grafana["additionalDataSources"][0]["url"] + "/loki/api/v1/push" == expected
    promtail_rel = _release(files, "promtail")
    assert promtail_rel["spec"]["dependsOn"] == [{"name": name, "namespace": ns}]
    src = promtail_rel["spec"]["chart"]["spec"]["sourceRef"]
    repos = {
        (d["metadata"]["name"], d["metadata"]["namespace"])
        for d in _docs(files)
        if d["kind"] == "HelmRepository"
    }
    assert (src["name"], src["namespace"]) in repos


def test_grafana_admin_from_existing_secret_and_ingress_with_tls(files: dict[str, str]) -> None:
    grafana = _release(files, "kube-prometheus-stack")["spec"]["values"]["grafana"]
    assert grafana["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in grafana and "adminUser" not in grafana
    ing = grafana["ingress"]
    assert ing["enabled"] is True and ing["ingressClassName"] == "nginx"
    assert ing["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert ing["tls"] == [{"secretName": "grafana-tls", "hosts": ["grafana.cachefly.site"]}]
    kps = _release(files, "kube-prometheus-stack")["spec"]
    assert kps["values"]["prometheus"]["prometheusSpec"]["retention"] == "7d"
    assert kps["install"]["crds"] == "CreateReplace" and kps["upgrade"]["crds"] == "CreateReplace"


def test_no_secret_material_is_ever_rendered(files: dict[str, str]) -> None:
    docs = _docs(files)
    assert not [d for d in docs if d["kind"] == "Secret"]
    blob = "\n".join(files.values()).lower()
    for word in (" password:", " token:", "adminpassword", "private key", "-----begin"):
        assert word not in blob


def test_cert_manager_installs_and_keeps_its_crds(files: dict[str, str]) -> None:
    spec = _release(files, "cert-manager")["spec"]
    assert spec["values"]["crds"] == {"enabled": True, "keep": True}
    assert "crds" not in spec["install"]  # its CRDs are templates, not a crds/ directory
    assert spec["install"]["remediation"]["retries"] >= 1 and spec["upgrade"]["remediation"]["retries"] >= 1


def test_deprecation_and_retirement_are_told_in_the_rendered_files(files: dict[str, str]) -> None:
    assert "retired upstream in March 2026" in files["infrastructure/controllers/ingress-nginx/release.yaml"]
    assert "deprecated" in files["infrastructure/controllers/promtail/release.yaml"]


def test_traefik_conflict_is_flagged_only_when_k3s_keeps_traefik(
    files: dict[str, str], shared_dir: Path
) -> None:
    assert "WARNING" not in files["infrastructure/controllers/ingress-nginx/release.yaml"]
    ref = render_tree(load_specs(shared_dir / "design/reference-specs"), "output")
    assert "--disable traefik" in ref["infrastructure/controllers/ingress-nginx/release.yaml"]


def test_spec_values_deep_merge_over_ours(tmp_path: Path, repo_root: Path) -> None:
    out = _variant(
        tmp_path,
        repo_root,
        lambda t: t.replace(
            "      version: 88.5.3\n",
            "      version: 88.5.3\n      values:\n        grafana:\n          resources:\n"
            "            requests: {memory: 300Mi}\n          persistence: {enabled: true}\n"
            "        alertmanager: {enabled: false}\n        kubeEtcd: null\n",
        ),
    )
    values = _release(out, "kube-prometheus-stack")["spec"]["values"]
    assert values["grafana"]["resources"]["requests"] == {"cpu": "100m", "memory": "300Mi"}
    assert values["grafana"]["resources"]["limits"]["memory"] == "512Mi"
    assert values["grafana"]["persistence"] == {"enabled": True}
    assert values["alertmanager"]["enabled"] is False
    assert values["alertmanager"]["alertmanagerSpec"]["resources"]["requests"]["memory"] == "64Mi"
    assert values["kubeEtcd"] is None  # Helm's way to delete a default
    assert deep_merge({"a": [1, 2], "b": {"c": 1}}, {"a": [3], "b": {"d": 2}}) == {
        "a": [3],
        "b": {"c": 1, "d": 2},
    }


def test_disabled_components_disappear_everywhere(tmp_path: Path, repo_root: Path) -> None:
    def edit(text: str) -> str:
        text = text.replace("    logging:\n      enabled: true", "    logging:\n      enabled: false")
        return text.replace(
            "    sealedSecrets:\n      enabled: true", "    sealedSecrets:\n      enabled: false"
        )

    out = _variant(tmp_path, repo_root, edit)
    assert not any(
        rel.startswith(
            (
                "infrastructure/controllers/loki",
                "infrastructure/controllers/promtail",
                "infrastructure/controllers/sealed-secrets",
            )
        )
        for rel in out
    )
    listing = yaml.safe_load(out["infrastructure/controllers/kustomization.yaml"])["resources"]
    assert listing == ["cert-manager", "ingress-nginx", "kube-prometheus-stack"]
    grafana = _release(out, "kube-prometheus-stack")["spec"]["values"]["grafana"]
    assert "additionalDataSources" not in grafana


def test_git_source_ssh_uses_the_bootstrap_deploy_key_and_https_none(
    files: dict[str, str], tmp_path: Path, repo_root: Path
) -> None:
    repo = next(d for d in _docs(files) if d["kind"] == "GitRepository")
    assert repo["spec"]["url"].startswith("ssh://")
    assert repo["spec"]["secretRef"] == {"name": "flux-system"}
    assert repo["spec"]["ref"] == {"branch": "master"} and repo["spec"]["interval"] == "1m"
    https = _variant(
        tmp_path,
        repo_root,
        lambda t: t.replace(
            "ssh://git@github.com/mvulcu/gitops-platform", "https://github.com/mvulcu/gitops-platform"
        ),
    )
    repo = next(d for d in _docs(https) if d["kind"] == "GitRepository")
    assert "secretRef" not in repo["spec"]


def test_git_path_in_the_spec_overrides_the_derived_prefix(tmp_path: Path, repo_root: Path) -> None:
    out = _variant(
        tmp_path,
        repo_root,
        lambda t: t.replace("    interval: 1m\n", "    interval: 1m\n    path: ./deploy/fleet\n", 1),
    )
    ks = {
        d["metadata"]["name"]: d["spec"]["path"]
        for d in _docs(out)
        if d["kind"] == "Kustomization" and d["apiVersion"].startswith("kustomize.toolkit")
    }
    assert ks == {
        "flux-system": "./deploy/fleet/clusters/vps",
        "apps": "./deploy/fleet/apps/vps",
        "infra-controllers": "./deploy/fleet/infrastructure/controllers",
        "infra-configs": "./deploy/fleet/infrastructure/configs",
    }
    root = _variant(
        tmp_path / "2",
        repo_root,
        lambda t: t.replace("    interval: 1m\n", "    interval: 1m\n    path: .\n", 1),
    )
    assert "path: ./clusters/vps" in root["clusters/vps/flux-system/gotk-sync.yaml"]


def test_flux_kustomizations_prune_wait_and_depend_in_order(files: dict[str, str]) -> None:
    ks = {
        d["metadata"]["name"]: d["spec"]
        for d in _docs(files)
        if d["kind"] == "Kustomization" and d["apiVersion"].startswith("kustomize.toolkit")
    }
    assert ks["infra-configs"]["dependsOn"] == [{"name": "infra-controllers"}]
    assert ks["apps"]["dependsOn"] == [{"name": "infra-configs"}]
    for name in ("infra-controllers", "infra-configs", "apps"):
        assert ks[name]["prune"] is True and ks[name]["wait"] is True
        assert ks[name]["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
        assert ks[name]["interval"] == "10m"


def test_deployment_under_hpa_has_no_replicas_and_says_why(files: dict[str, str]) -> None:
    text = files["apps/vps/lingua-app/deployment.yaml"]
    dep = yaml.safe_load(text)
    assert "replicas" not in dep["spec"]
    assert "HorizontalPodAutoscaler" in text and "# No spec.replicas" in text
    assert dep["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    pod = dep["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "ghcr-creds"}]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 1001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    c = pod["containers"][0]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert c["ports"] == [{"name": "http", "containerPort": 3000, "protocol": "TCP"}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/", "port": "http"}
    assert c["readinessProbe"]["periodSeconds"] == 5 and c["livenessProbe"]["initialDelaySeconds"] == 30
    assert c["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    hpa = yaml.safe_load(files["apps/vps/lingua-app/hpa.yaml"])
    assert hpa["spec"]["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 60
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu", "memory"]
    pdb = yaml.safe_load(files["apps/vps/lingua-app/pdb.yaml"])
    assert (
        pdb["spec"]["minAvailable"] == 1
        and pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]
    )
    ing = yaml.safe_load(files["apps/vps/lingua-app/ingress.yaml"])
    assert ing["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert ing["spec"]["tls"] == [{"hosts": ["lingua.cachefly.site"], "secretName": "lingua-app-tls"}]


def test_deployment_without_hpa_keeps_replicas_and_declares_probe_ports(
    tmp_path: Path, repo_root: Path
) -> None:
    def edit(app: str) -> str:
        start, end = app.index("  autoscaling:\n"), app.index("  disruptionBudget:\n")
        app = app[:start] + app[end:]
        return app.replace(
            "    readiness:\n      path: /\n", "    readiness:\n      path: /ready\n      port: 9090\n"
        )

    out = _variant(tmp_path, repo_root, app_edit=edit)
    dep = yaml.safe_load(out["apps/vps/lingua-app/deployment.yaml"])
    assert dep["spec"]["replicas"] == 2
    assert "apps/vps/lingua-app/hpa.yaml" not in out
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "probe-9090"}
    assert {"name": "probe-9090", "containerPort": 9090, "protocol": "TCP"} in c["ports"]


def test_missing_probes_default_to_a_tcp_check_of_the_app_port(tmp_path: Path, repo_root: Path) -> None:
    def edit(app: str) -> str:
        start, end = app.index("  probes:\n"), app.index("  autoscaling:\n")
        return app[:start] + app[end:]

    c = yaml.safe_load(_variant(tmp_path, repo_root, app_edit=edit)["apps/vps/lingua-app/deployment.yaml"])[
        "spec"
    ]["template"]["spec"]["containers"][0]
    assert c["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert c["readinessProbe"]["tcpSocket"] == {"port": "http"}


def test_grafana_without_an_admin_secret_is_disabled_not_left_on_the_default_password(
    tmp_path: Path, repo_root: Path
) -> None:
    def edit(text: str) -> str:
        start, end = text.index("      grafana:\n"), text.index("    logging:\n")
        return text[:start] + text[end:]

    values = _release(_variant(tmp_path, repo_root, edit), "kube-prometheus-stack")["spec"]["values"]
    assert values["grafana"] == {"enabled": False}
