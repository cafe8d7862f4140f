"""Pydantic v2 models of the spec kinds (``gitops-gen/v1``: ``Platform`` and ``App``).

Field names are the YAML keys (camelCase), so the JSON Schema printed by ``gitops-gen schema``
matches the files users write. Every model forbids unknown keys. Validators reject what
Kubernetes would reject (DNS-1123 names, quantities, ports, HPA bounds), so a spec that loads
renders manifests the API server accepts.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from gitops_gen.quantity import QuantityError, cpu_millis, memory_bytes, parse_quantity

API_VERSION = "gitops-gen/v1"

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+\Z")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+\Z")
_IMAGE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*\Z")
_CHART_VERSION = re.compile(r"^v?[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.-]+)?\Z|^[0-9x*.^~>=<| -]+\Z")
_HTTP_PATH = re.compile(r"^/[^\s]*\Z")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
# C0/C1 controls, DEL, line separators and bidi overrides: never meaningful in a URL or branch name
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a valid DNS-1123 label: lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters"
        )
    return value


def _dns1035_label(value: str) -> str:
    if len(value) > 63 or not _DNS1035_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a valid app name: it names the app's Service, so it must be a DNS-1035 "
            "label (lower-case letters, digits and '-', starting with a letter, ending with a letter "
            "or digit, at most 63 characters)"
        )
    return value


def _dns_subdomain(value: str) -> str:
    if len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        raise ValueError(
            f"{value!r} is not a valid DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
            "at most 253 characters"
        )
    return value


def _to_str(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _quantity(value: str) -> str:
    try:
        q = parse_quantity(value)
    except QuantityError as exc:
        raise ValueError(str(exc)) from None
    if q < 0:
        raise ValueError(f"{value!r}: a resource quantity cannot be negative")
    return value


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError(f"{value!r} is not a Go duration (examples: 30s, 1m, 10m0s, 1h)")
    return value


def _host(value: str) -> str:
    if len(value) > 253 or not _HOST.match(value):
        raise ValueError(f"{value!r} is not a valid lower-case DNS host name (example: app.example.com)")
    return value


def _image(value: str) -> str:
    if len(value) > 512 or not _IMAGE.match(value):
        raise ValueError(f"{value!r} is not a container image reference (example: ghcr.io/org/app:1.2.3)")
    return value


def _chart_version(value: str) -> str:
    if len(value) > 64 or not _CHART_VERSION.match(value):
        raise ValueError(f"{value!r} is not a chart version or SemVer range (example: 4.15.1)")
    return value


def _http_path(value: str) -> str:
    if not _HTTP_PATH.match(value):
        raise ValueError(f"{value!r} is not an HTTP path (it must start with '/', no spaces)")
    return value


def _email(value: str) -> str:
    # bounded before matching (RFC 5321: 254 characters): the pattern backtracks on long input
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Dns1035Label = Annotated[str, AfterValidator(_dns1035_label)]
DnsSubdomain = Annotated[str, AfterValidator(_dns_subdomain)]
Quantity = Annotated[str, BeforeValidator(_to_str), AfterValidator(_quantity)]
Duration = Annotated[str, AfterValidator(_duration)]
Host = Annotated[str, AfterValidator(_host)]
Image = Annotated[str, AfterValidator(_image)]
ChartVersion = Annotated[str, BeforeValidator(_to_str), AfterValidator(_chart_version)]
HttpPath = Annotated[str, AfterValidator(_http_path)]
Email = Annotated[str, AfterValidator(_email)]
Port = Annotated[int, Field(ge=1, le=65535, strict=True)]
Percent = Annotated[int, Field(ge=1, le=100, strict=True)]
Values = dict[str, Any]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


# ---------------------------------------------------------------------------------------------
# common


class Metadata(Model):
    name: DnsLabel = Field(description="Name of the platform (becomes clusters/<name>/) or app.")


class AppMetadata(Model):
    name: Dns1035Label = Field(
        description="Name of the app: its directory, Deployment, Service, Ingress, HPA and PDB "
        "(a DNS-1035 label, because it names a Service)."
    )


class ResourceList(Model):
    cpu: Quantity | None = Field(default=None, description="CPU, e.g. 100m or 0.5.")
    memory: Quantity | None = Field(default=None, description="Memory, e.g. 128Mi or 1Gi.")


class Resources(Model):
    requests: ResourceList = Field(default_factory=ResourceList)
    limits: ResourceList = Field(default_factory=ResourceList)

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        r, lim = self.requests, self.limits
        if r.cpu and lim.cpu and cpu_millis(r.cpu) > cpu_millis(lim.cpu):
            raise ValueError(f"requests.cpu ({r.cpu}) is greater than limits.cpu ({lim.cpu})")
        if r.memory and lim.memory and memory_bytes(r.memory) > memory_bytes(lim.memory):
            raise ValueError(f"requests.memory ({r.memory}) is greater than limits.memory ({lim.memory})")
        return self


# ---------------------------------------------------------------------------------------------
# Platform


class GitSource(Model):
    url: str = Field(description="Git URL Flux syncs (ssh://git@host/org/repo or https://...).")
    branch: str = Field(default="main", min_length=1, max_length=255, pattern=r"^[^\s~^:?*\[\\]+$")
    interval: Duration = Field(default="1m", description="How often Flux fetches the repository.")
    secretRef: DnsSubdomain | None = Field(
        default=None,
        description="Secret with the credentials (for ssh:// URLs: the deploy key Secret made by "
        "`flux bootstrap`). Defaults to 'flux-system' for ssh:// URLs.",
    )
    path: str | None = Field(
        default=None,
        description="Path of the rendered tree inside the git repository (e.g. ./output). "
        "Default: derived from the git repository that contains --out.",
    )

    @model_validator(mode="after")
    def _check_url(self) -> GitSource:
        url = self.url
        for what, text in (("git.url", url), ("git.branch", self.branch)):
            bad = _CONTROL.search(text)
            if bad:  # Flux and kustomize reject the YAML comment it would land in
                raise ValueError(
                    f"{what} contains the control character U+{ord(bad.group(0)):04X}; remove it"
                )
        if url.startswith(("http://", "https://")) and "@" in url.split("/", 3)[2]:
            raise ValueError(
                "git.url carries a user or token (user@host): it would be committed to git and printed "
                "in logs; keep the URL plain and put the credentials in the Secret named by git.secretRef"
            )
        if len(url) > 2048 or not re.match(r"^(ssh://|https?://)[^\s]+\Z", url):
            shown = f" {url!r}" if "@" not in url and len(url) <= 200 else ""  # may carry a credential
            raise ValueError(
                f"git.url{shown} must be an ssh://, http:// or https:// URL "
                "(Flux does not accept scp-like git@host:org/repo)"
            )
        if self.path is not None and re.search(r"[\s\x00-\x1f\\]", self.path):
            raise ValueError(f"git.path {self.path!r} must not contain spaces, control characters or '\\'")
        if self.path is not None and (".." in self.path.split("/") or self.path.startswith("/")):
            raise ValueError(f"git.path {self.path!r} must be relative to the repository root, without '..'")
        return self


class Reserved(Model):
    cpu: Quantity = "0"
    memory: Quantity = "0"


class Node(Model):
    name: DnsSubdomain
    cpu: Quantity
    memory: Quantity
    reserved: Reserved | None = Field(
        default=None,
        description="kube-reserved + system-reserved. Default: the distribution's (K3s: none).",
    )
    evictionHardMemory: Quantity | None = Field(
        default=None,
        description="kubelet memory.available hard-eviction threshold. Default: the distribution's "
        "(K3s >= 1.32: 100Mi).",
    )


class K3s(Model):
    disable: list[Literal["traefik", "servicelb", "metrics-server", "local-storage", "coredns"]] = Field(
        default_factory=list,
        description="K3s packaged add-ons disabled with --disable (their pods are not counted).",
    )


class ValuesReference(Model):
    kind: Literal["Secret", "ConfigMap"]
    name: DnsSubdomain
    valuesKey: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")] | None = Field(
        default=None, description="Key holding the values (default values.yaml)."
    )
    targetPath: str | None = Field(default=None, description="Put the value at this values path.")
    optional: bool = False


class ReleasePolicy(Model):
    """How Flux installs, upgrades and watches a HelmRelease (every field optional: Flux's defaults)."""

    driftDetection: Literal["enabled", "warn", "disabled"] | None = Field(
        default=None,
        description="Compare the cluster with the release and correct (enabled) or report (warn) drift.",
    )
    installStrategy: Literal["RemediateOnFailure", "RetryOnFailure"] | None = Field(
        default=None, description="Flux's install strategy (default RemediateOnFailure)."
    )
    upgradeStrategy: Literal["RemediateOnFailure", "RetryOnFailure"] | None = Field(
        default=None, description="Flux's upgrade strategy (default RemediateOnFailure)."
    )
    upgradeRemediation: Literal["rollback", "uninstall"] | None = Field(
        default=None, description="What a failed upgrade's remediation does (default rollback)."
    )


class ChartSourced(ReleasePolicy):
    chartSource: Literal["helm", "oci"] = Field(
        default="helm",
        description="helm: the chart's Helm repository (HelmRepository); oci: the chart's OCI artifact "
        "(OCIRepository + chartRef), for components whose upstream publishes one "
        "(cert-manager, kube-prometheus-stack).",
    )
    valuesFrom: list[ValuesReference] = Field(
        default_factory=list, description="Helm values from Secrets/ConfigMaps (merged over values)."
    )


class Component(ChartSourced):
    enabled: bool = True
    version: ChartVersion
    values: Values = Field(
        default_factory=dict,
        description="Extra Helm values, deep-merged over the ones gitops-gen renders.",
    )


class IngressNginx(Component):
    version: ChartVersion = "4.15.1"
    replicas: int = Field(strict=True, default=1, ge=1, le=100)
    serviceType: Literal["LoadBalancer", "NodePort", "ClusterIP"] = "LoadBalancer"


class Acme(Model):
    email: Email
    issuer: DnsSubdomain = "letsencrypt-prod"
    server: str = "https://acme-v02.api.letsencrypt.org/directory"

    @model_validator(mode="after")
    def _https(self) -> Acme:
        if not self.server.startswith("https://"):
            raise ValueError(f"acme.server {self.server!r} must be an https:// URL")
        return self


class CertManager(Component):
    version: ChartVersion = "v1.21.1"
    acme: Acme | None = None


class SealedSecrets(Component):
    version: ChartVersion = "2.18.5"


class Grafana(Model):
    host: Host | None = Field(default=None, description="Public host of Grafana (ingress with TLS).")
    adminSecret: DnsSubdomain = Field(
        description="Existing Secret (keys admin-user, admin-password) with Grafana's admin credentials; "
        "never put the password in the spec.",
    )


class SecretKey(Model):
    """A key of a Secret in the monitoring namespace (commit the Secret as a SealedSecret)."""

    name: DnsSubdomain
    key: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]


class SlackReceiver(Model):
    channel: str = Field(max_length=80, description="e.g. #alerts")
    urlSecret: SecretKey = Field(description="Secret key holding the Slack webhook URL.")


class EmailReceiver(Model):
    to: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    sender: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(description="From address.")
    smarthost: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")] = Field(
        description="SMTP server host:port."
    )
    username: str | None = Field(default=None, max_length=253)
    passwordSecret: SecretKey | None = Field(
        default=None, description="Secret key holding the SMTP password."
    )


class WebhookReceiver(Model):
    urlSecret: SecretKey = Field(description="Secret key holding the webhook URL.")


class Receiver(Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)]
    slack: SlackReceiver | None = None
    email: EmailReceiver | None = None
    webhook: WebhookReceiver | None = None

    @model_validator(mode="after")
    def _some(self) -> Receiver:
        if self.slack is None and self.email is None and self.webhook is None:
            raise ValueError("a receiver needs slack, email or webhook")
        return self


class AlertRouting(Model):
    """Alertmanager receivers and routes; webhook URLs and passwords come from Secrets, never values."""

    receivers: list[Receiver] = Field(min_length=1)
    receiver: str = Field(description="Default receiver (a name from receivers).")
    critical: str | None = Field(default=None, description="Receiver of severity=critical alerts.")

    @model_validator(mode="after")
    def _known(self) -> AlertRouting:
        names = [r.name for r in self.receivers]
        dup = sorted(n for n, c in Counter(names).items() if c > 1)
        if dup:
            raise ValueError(f"receiver names must be unique: {', '.join(dup)}")
        if "null" in names:
            raise ValueError("receiver name 'null' is gitops-gen's (it drops the Watchdog alert)")
        for which in (self.receiver, self.critical):
            if which is not None and which not in names:
                raise ValueError(
                    f"route to receiver {which!r}, which is not among receivers ({', '.join(names)})"
                )
        return self


class Monitoring(Component):
    version: ChartVersion = "88.5.3"
    retention: Duration | Annotated[str, Field(pattern=r"^[0-9]+(ms|s|m|h|d|w|y)$")] = "7d"
    grafana: Grafana | None = None
    alerting: AlertRouting | None = Field(
        default=None, description="Alertmanager receivers (Slack, e-mail, webhook) and routes."
    )


class Loki(ChartSourced):
    version: ChartVersion = "6.55.0"
    chunksCache: bool = Field(default=False, description="Loki's memcached chunks cache (9830Mi by default).")
    resultsCache: bool = Field(
        default=False, description="Loki's memcached results cache (1229Mi by default)."
    )
    retention: Annotated[str, Field(pattern=r"^[0-9]+(ms|s|m|h|d|w|y)$")] | None = None
    values: Values = Field(default_factory=dict)


class Promtail(ChartSourced):
    enabled: bool = True
    version: ChartVersion = "6.17.1"
    values: Values = Field(default_factory=dict)


class Logging(Model):
    enabled: bool = True
    loki: Loki = Field(default_factory=Loki)
    promtail: Promtail = Field(default_factory=Promtail)


# ---------------------------------------------------------------------------------------------
# day-2 operations: backups (Velero) and external secrets (issue 16 items 5, 6)


class BackupStorage(Model):
    """Where Velero writes backups: an S3-compatible bucket (the velero-plugin-for-aws)."""

    name: DnsSubdomain = Field(default="default", description="BackupStorageLocation name.")
    provider: Literal["aws"] = Field(
        default="aws", description="Object-store plugin: aws (S3 and S3-compatible stores: MinIO...)."
    )
    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9][-_./A-Za-z0-9]*$", max_length=256)] | None = None
    region: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)] = "us-east-1"
    s3Url: Annotated[str, Field(pattern=r"^https?://[^\s@]+$", max_length=2048)] | None = Field(
        default=None, description="Endpoint of an S3-compatible store (MinIO, Wasabi...); default AWS."
    )
    credentialsSecret: DnsSubdomain = Field(
        description="Existing Secret in the velero namespace (SealedSecret or ExternalSecret) whose key "
        "holds the plugin's credentials file; never put the keys in the spec."
    )
    credentialsKey: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$")] = "cloud"


class BackupSchedule(Model):
    """A Velero Schedule of whole namespaces."""

    name: DnsSubdomain
    schedule: Annotated[str, AfterValidator(lambda v: _cron(v))] = "0 3 * * *"
    namespaces: list[DnsLabel] = Field(min_length=1, description="Namespaces this schedule backs up.")
    ttl: Duration = Field(default="168h", description="Retention: how long each backup is kept.")
    storageLocation: DnsSubdomain | None = Field(
        default=None, description="BackupStorageLocation; default: velero.storage.name."
    )


class Velero(Component):
    version: ChartVersion = "12.1.0"
    pluginImage: Image = Field(
        default="velero/velero-plugin-for-aws:v1.13.1", description="Object-store plugin image."
    )
    fsBackup: bool = Field(
        default=True,
        description="Back up volumes file by file with the node-agent DaemonSet (K3s's local-path "
        "volumes cannot be snapshotted).",
    )
    storage: BackupStorage
    schedules: list[BackupSchedule] = Field(default_factory=list)


class SecretStore(Model):
    """The ClusterSecretStore every app's ExternalSecrets read from."""

    name: DnsSubdomain = "default"
    provider: dict[str, Values] = Field(
        min_length=1,
        max_length=1,
        description="The store's provider block as external-secrets defines it, e.g. {vault: {...}} "
        "or {aws: {...}}; credentials by secretRef only.",
    )
    refreshInterval: int = Field(strict=True, default=0, ge=0, description="Store re-validation, seconds.")


class ExternalSecrets(Component):
    version: ChartVersion = "2.9.0"
    store: SecretStore


class Components(Model):
    ingressNginx: IngressNginx | None = None
    certManager: CertManager | None = None
    sealedSecrets: SealedSecrets | None = None
    monitoring: Monitoring | None = None
    logging: Logging | None = None
    velero: Velero | None = None
    externalSecrets: ExternalSecrets | None = None


class AppOverride(Model):
    """What one cluster changes in an app it runs (the rest comes from the App spec)."""

    enabled: bool = Field(default=True, description="false: this cluster does not run the app.")
    replicas: int | None = Field(strict=True, default=None, ge=0, le=1000)
    autoscaling: Autoscaling | None = None
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")] | None = Field(
        default=None, description="Image tag in this cluster (the App's image with another tag)."
    )
    host: Host | None = Field(default=None, description="Ingress host in this cluster.")
    resources: Resources | None = None
    env: list[EnvVar] = Field(
        default_factory=list, description="Env vars set or replaced (by name) in this cluster."
    )


class PlatformSpec(Model):
    distribution: Literal["k3s", "kubernetes"] = "kubernetes"
    kubernetesVersion: Annotated[
        str, BeforeValidator(_to_str), Field(pattern=r"^v?1\.[0-9]{1,2}(\.[0-9]+)?$")
    ] = "1.34"
    git: GitSource
    interval: Duration = Field(default="10m", description="Reconcile interval of the Flux Kustomizations.")
    nodes: list[Node] = Field(default_factory=list)
    k3s: K3s = Field(default_factory=K3s)
    components: Components = Field(default_factory=Components)
    apps: dict[Dns1035Label, AppOverride] | None = Field(
        default=None,
        description="The apps this cluster runs, by name, each with its overrides ({} for none). "
        "Default: every app whose spec.cluster is unset or names this platform.",
    )
    networkPolicy: Literal["default-deny"] | None = Field(
        default=None,
        description="default-deny: every app namespace denies all traffic except what the specs imply "
        "(ingress controller, Prometheus, DNS, ACME solver, spec.network.egress).",
    )
    notifications: FluxNotifications | None = None
    ingressClass: DnsSubdomain | None = Field(
        default=None,
        description="Ingress class of the cluster's ingress controller when gitops-gen does not render "
        "it (e.g. traefik, haproxy); default: nginx with ingressNginx, traefik on K3s without it.",
    )

    @model_validator(mode="after")
    def _unique_nodes(self) -> PlatformSpec:
        names = [n.name for n in self.nodes]
        dup = sorted(n for n, c in Counter(names).items() if c > 1)  # not names.count: quadratic
        if dup:
            raise ValueError(f"node names must be unique: {', '.join(dup)}")
        return self


class Platform(Model):
    """A cluster: its git source, nodes and platform components."""

    apiVersion: Literal["gitops-gen/v1"]
    kind: Literal["Platform"]
    metadata: Metadata
    spec: PlatformSpec


# ---------------------------------------------------------------------------------------------
# App


class Probe(Model):
    path: HttpPath | None = Field(
        default=None, description="HTTP GET path (default '/' unless command is set)."
    )
    command: list[Annotated[str, Field(min_length=1)]] | None = Field(
        default=None,
        min_length=1,
        description="An exec check instead of HTTP (e.g. [cat, /tmp/healthy]); for workers without a port.",
    )
    port: Port | None = Field(default=None, description="Default: the app port.")
    initialDelaySeconds: int = Field(strict=True, default=0, ge=0, le=3600)
    periodSeconds: int = Field(strict=True, default=10, ge=1, le=3600)
    timeoutSeconds: int = Field(strict=True, default=1, ge=1, le=3600)
    failureThreshold: int = Field(strict=True, default=3, ge=1, le=100)
    successThreshold: int = Field(strict=True, default=1, ge=1, le=100)

    @model_validator(mode="after")
    def _one_handler(self) -> Probe:
        if self.command is not None and (self.path is not None or self.port is not None):
            raise ValueError("set either command (exec) or path/port (HTTP GET), not both")
        return self


class Probes(Model):
    liveness: Probe | None = None
    readiness: Probe | None = None
    startup: Probe | None = None

    @model_validator(mode="after")
    def _liveness_success(self) -> Probes:
        for name in ("liveness", "startup"):
            p = getattr(self, name)
            if p is not None and p.successThreshold != 1:
                raise ValueError(f"{name}.successThreshold must be 1 (Kubernetes rejects other values)")
        return self


class Autoscaling(Model):
    minReplicas: int = Field(strict=True, default=1, ge=1, le=1000)
    maxReplicas: int = Field(strict=True, ge=1, le=1000)
    targetCPUUtilization: Percent | None = 80
    targetMemoryUtilization: Percent | None = None
    scaleUpStabilizationSeconds: int = Field(strict=True, default=0, ge=0, le=3600)
    scaleDownStabilizationSeconds: int = Field(strict=True, default=300, ge=0, le=3600)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.minReplicas > self.maxReplicas:
            raise ValueError(
                f"minReplicas ({self.minReplicas}) must not be greater than maxReplicas ({self.maxReplicas})"
            )
        if self.targetCPUUtilization is None and self.targetMemoryUtilization is None:
            raise ValueError("set targetCPUUtilization or targetMemoryUtilization (or both)")
        return self


class DisruptionBudget(Model):
    minAvailable: (
        Annotated[int, Field(ge=0, strict=True)] | Annotated[str, Field(pattern=r"^[0-9]{1,3}%$")] | None
    ) = None
    maxUnavailable: (
        Annotated[int, Field(ge=0, strict=True)] | Annotated[str, Field(pattern=r"^[0-9]{1,3}%$")] | None
    ) = None

    @model_validator(mode="after")
    def _one_of(self) -> DisruptionBudget:
        if (self.minAvailable is None) == (self.maxUnavailable is None):
            raise ValueError("set exactly one of minAvailable or maxUnavailable")
        return self


class Ingress(Model):
    host: Host
    path: HttpPath = "/"
    tls: bool = True
    className: DnsSubdomain | None = Field(
        default=None,
        description="Ingress class; default: the platform's ingress controller (nginx with "
        "ingressNginx, traefik on K3s without it, else spec.ingressClass).",
    )
    issuer: DnsSubdomain | None = Field(
        default=None, description="cert-manager ClusterIssuer; default: the platform's acme.issuer."
    )


class SecurityContext(Model):
    runAsUser: int = Field(
        strict=True, default=1001, ge=1, le=2147483647, description="Non-zero UID (root is refused)."
    )
    runAsGroup: int | None = Field(strict=True, default=None, ge=0, le=2147483647)
    fsGroup: int | None = Field(strict=True, default=None, ge=0, le=2147483647)
    readOnlyRootFilesystem: bool = False


class SecretKeyRef(Model):
    name: DnsSubdomain
    key: Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")]
    optional: bool | None = None


class ConfigMapKeyRef(SecretKeyRef):
    pass


class EnvVar(Model):
    name: Annotated[str, Field(min_length=1, max_length=256)]
    value: str | None = None
    secretKeyRef: SecretKeyRef | None = None
    configMapKeyRef: ConfigMapKeyRef | None = None

    @model_validator(mode="after")
    def _check(self) -> EnvVar:
        if not _ENV_NAME.match(self.name):
            raise ValueError(f"env name {self.name!r} is not a valid environment variable name")
        if sum(x is not None for x in (self.value, self.secretKeyRef, self.configMapKeyRef)) != 1:
            raise ValueError(f"env {self.name}: set exactly one of value, secretKeyRef or configMapKeyRef")
        return self


class EnvFrom(Model):
    secretRef: DnsSubdomain | None = Field(default=None, description="Every key of this Secret.")
    configMapRef: DnsSubdomain | None = Field(default=None, description="Every key of this ConfigMap.")
    prefix: Annotated[str, Field(pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")] | None = None

    @model_validator(mode="after")
    def _one(self) -> EnvFrom:
        if (self.secretRef is None) == (self.configMapRef is None):
            raise ValueError("set exactly one of secretRef or configMapRef")
        return self


AbsPath = Annotated[str, Field(pattern=r"^/[^\s:]*$", max_length=1024)]
FileName = Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]
PortName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=15)]


class ExtraPort(Model):
    name: PortName = Field(description="Port name (IANA service name: at most 15 characters).")
    port: Port
    protocol: Literal["TCP", "UDP"] = "TCP"
    expose: bool = Field(default=True, description="Also expose it on the app's Service.")


class ConfigFiles(Model):
    mountPath: AbsPath = Field(description="Directory the files appear in (read-only).")
    files: dict[FileName, str] = Field(
        min_length=1, description="File name -> content (ConfigMap <app>-config)."
    )


class EmptyDir(Model):
    sizeLimit: Quantity | None = None
    medium: Literal["", "Memory"] = ""


class Volume(Model):
    name: DnsLabel
    mountPath: AbsPath
    readOnly: bool = False
    emptyDir: EmptyDir | None = None
    secret: DnsSubdomain | None = Field(default=None, description="Mount an existing Secret.")
    configMap: DnsSubdomain | None = Field(default=None, description="Mount an existing ConfigMap.")
    persistentVolumeClaim: DnsSubdomain | None = Field(default=None, description="Mount an existing PVC.")

    @model_validator(mode="after")
    def _one_source(self) -> Volume:
        sources = (self.emptyDir, self.secret, self.configMap, self.persistentVolumeClaim)
        if sum(x is not None for x in sources) != 1:
            raise ValueError(
                f"volume {self.name}: set exactly one of emptyDir, secret, configMap or persistentVolumeClaim"
            )
        return self


class Persistence(Model):
    name: DnsLabel
    mountPath: AbsPath
    size: Quantity
    storageClass: DnsSubdomain | None = Field(
        default=None, description="Default: the cluster's default class."
    )
    accessMode: Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"] = (
        "ReadWriteOnce"
    )


_CRON = re.compile(r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)\Z")


def _cron(value: str) -> str:
    if not _CRON.match(value.strip()) or "TZ=" in value:
        raise ValueError(
            f"{value!r} is not a cron schedule (five fields, e.g. '*/15 * * * *', or @hourly/@daily); "
            "set the time zone with timeZone"
        )
    return value


class CronJobSettings(Model):
    schedule: Annotated[str, AfterValidator(_cron)]
    timeZone: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_+/-]*$")] | None = Field(
        default=None, description="IANA time zone (e.g. Europe/Paris); default: the controller's (UTC)."
    )
    concurrencyPolicy: Literal["Allow", "Forbid", "Replace"] = "Forbid"
    successfulJobsHistoryLimit: int = Field(strict=True, default=3, ge=0, le=100)
    failedJobsHistoryLimit: int = Field(strict=True, default=1, ge=0, le=100)
    startingDeadlineSeconds: int | None = Field(strict=True, default=None, ge=1, le=2147483647)
    activeDeadlineSeconds: int | None = Field(
        strict=True, default=None, ge=1, le=2147483647, description="Kill a run after this long."
    )
    backoffLimit: int = Field(strict=True, default=2, ge=0, le=100)
    restartPolicy: Literal["OnFailure", "Never"] = "OnFailure"
    suspend: bool = False


class Chart(ReleasePolicy):
    repository: Annotated[str, Field(pattern=r"^(https?|oci)://[^\s]+$")] = Field(
        description="Helm repository URL (https://...) or OCI repository of the chart "
        "(oci://registry/path: the chart is <repository>/<name>, fetched through an OCIRepository)."
    )
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$", max_length=253)]
    version: ChartVersion
    values: Values = Field(default_factory=dict)
    valuesFrom: list[ValuesReference] = Field(default_factory=list)


# day-2 operations of an app (issue 16 items 4-6)


class ImageAutoUpdate(Model):
    """Flux image automation: newer tags in the range are committed back to git."""

    semver: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[0-9xX*.^~>=<|!, v-]+$")] = Field(
        description="SemVer range of the tags to follow, e.g. '>=1.4.0 <2'."
    )
    interval: Duration = Field(default="5m", description="How often the registry is scanned.")
    secretRef: DnsSubdomain | None = Field(
        default=None, description="Registry credentials Secret in flux-system (private registries)."
    )


class AppBackup(Model):
    """A Velero Schedule of this app's objects and volumes."""

    schedule: Annotated[str, AfterValidator(lambda v: _cron(v))] = "0 3 * * *"
    ttl: Duration = Field(default="168h", description="Retention: how long each backup is kept.")
    storageLocation: DnsSubdomain | None = None


class RemoteRef(Model):
    key: Annotated[str, Field(min_length=1, max_length=1024)]
    property: Annotated[str, Field(min_length=1, max_length=1024)] | None = None


class ExternalSecretData(Model):
    secretKey: Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]
    remoteRef: RemoteRef


class AppExternalSecret(Model):
    """An ExternalSecret producing the Secret ``name`` in the app's namespace."""

    name: DnsSubdomain
    store: DnsSubdomain | None = Field(
        default=None, description="ClusterSecretStore; default the platform's."
    )
    refreshInterval: Duration = "1h"
    data: list[ExternalSecretData] = Field(min_length=1)


WorkloadKind = Literal["web", "worker", "cronjob", "statefulset", "helm"]
WORKLOAD_DOC = {
    "web": "Deployment + Service (+ Ingress, HPA, PDB)",
    "worker": "Deployment without Service or port (+ HPA, PDB)",
    "cronjob": "CronJob (spec.cronjob)",
    "statefulset": "StatefulSet with a headless Service and volumeClaimTemplates (spec.persistence)",
    "helm": "a HelmRelease of a chart (spec.chart) from a Helm or OCI repository",
}
# Which app fields each workload kind takes (the rest are refused at their spec line).
_POD = {"image", "resources", "env", "envFrom", "configFiles", "volumes", "command", "args"}
_POD |= {"securityContext", "imagePullSecret"}
_POD |= {"autoUpdate", "backup", "externalSecrets"}  # day-2 operations
WORKLOAD_FIELDS: dict[str, frozenset[str]] = {
    "web": frozenset(
        _POD
        | {
            "metrics",
            "port",
            "ports",
            "replicas",
            "probes",
            "autoscaling",
            "disruptionBudget",
            "ingress",
            "persistence",
        }
    ),
    "worker": frozenset(
        _POD
        | {"metrics", "port", "ports", "replicas", "probes", "autoscaling", "disruptionBudget", "persistence"}
    ),
    "cronjob": frozenset(_POD | {"cronjob"}),
    "statefulset": frozenset(
        _POD
        | {"metrics", "port", "ports", "replicas", "probes", "disruptionBudget", "persistence", "ingress"}
    ),
    "helm": frozenset({"chart", "backup", "externalSecrets"}),
}
WORKLOAD_REQUIRED: dict[str, tuple[str, ...]] = {
    "web": ("image", "resources"),
    "worker": ("image", "resources"),
    "cronjob": ("image", "resources", "cronjob"),
    "statefulset": ("image", "resources", "persistence"),
    "helm": ("chart",),
}
# fields every kind takes
_COMMON_FIELDS = frozenset({"workload", "namespace", "cluster", "network", "alerts", "dashboards"})

# ---------------------------------------------------------------------------------------------
# day-2: network policies, app monitoring, Flux notifications (issue 16 items 1-3)

MetricName = Annotated[str, Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", max_length=200)]


class EgressPeer(Model):
    """Where the app's pods may connect to under ``networkPolicy: default-deny``: another app, or CIDRs."""

    app: Dns1035Label | None = Field(default=None, description="Another app of this cluster (its port).")
    cidr: Annotated[str, Field(pattern=r"^[0-9a-fA-F:.]+/[0-9]{1,3}$")] | None = Field(
        default=None, description="An address range outside the cluster, e.g. 10.0.5.0/24."
    )
    ports: list[Port] = Field(default_factory=list, description="TCP ports (cidr only; default: all).")

    @model_validator(mode="after")
    def _one(self) -> EgressPeer:
        if (self.app is None) == (self.cidr is None):
            raise ValueError("set exactly one of app and cidr")
        if self.app is not None and self.ports:
            raise ValueError("ports apply to cidr only (an app is reached on its own port)")
        return self


class AppNetwork(Model):
    egress: list[EgressPeer] = Field(
        default_factory=list,
        description="What the app connects to (DNS is always allowed); used with networkPolicy: default-deny.",
    )


class AppMetrics(Model):
    port: Port = Field(description="Port serving Prometheus metrics: spec.port or one of spec.ports.")
    path: AbsPath = "/metrics"
    interval: Duration = "30s"


class ErrorRate(Model):
    metric: MetricName = Field(description="Request counter, e.g. http_requests_total.")
    label: Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")] = Field(
        default="code", description="Label holding the HTTP status code."
    )
    percent: Percent = Field(default=5, description="Fire above this share of 5xx responses.")


class AppAlerts(Model):
    restarts: int = Field(default=3, ge=1, le=1000, strict=True, description="Restarts in 15 minutes.")
    cpuPercent: Percent = Field(default=90, description="CPU use, % of the CPU limit (or request).")
    memoryPercent: Percent = Field(default=90, description="Memory use, % of the memory limit.")
    diskPercent: Percent = Field(default=85, description="Used space of the app's PVCs, %.")
    errorRate: ErrorRate | None = None


class AppDashboards(Model):
    folder: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")] = (
        Field(default="Apps", description="Grafana folder the app's dashboard goes to.")
    )


class FluxNotifications(Model):
    """A Flux notification Provider and an Alert on reconciliation failures."""

    type: Literal["slack", "discord", "msteams", "googlechat", "generic"] = "slack"
    channel: str | None = Field(default=None, max_length=80, description="Slack channel, e.g. #ops.")
    secretRef: DnsSubdomain = Field(
        description="Secret in flux-system with the webhook URL under key 'address' (commit it as a SealedSecret)."
    )
    severity: Literal["error", "info"] = "error"


SpecProblem = tuple[tuple[str | int, ...], str, str]  # (key path, message, hint)


class AppSpec(Model):
    workload: WorkloadKind = Field(
        default="web", description="; ".join(f"{k}: {v}" for k, v in WORKLOAD_DOC.items())
    )
    namespace: DnsLabel | None = Field(default=None, description="Default: the app name.")
    cluster: DnsLabel | None = Field(
        default=None, description="Platform this app runs on; default: every platform (or the only one)."
    )
    image: Image | None = Field(
        default=None, description="Pinned image (a tag other than latest, or a digest)."
    )
    command: list[str] | None = Field(
        default=None, description="Container entrypoint (overrides the image's)."
    )
    args: list[str] | None = Field(default=None, description="Arguments (override the image's CMD).")
    port: Port | None = Field(
        default=None, description="Container port named http (default 8080; workers: none)."
    )
    ports: list[ExtraPort] = Field(default_factory=list, description="Extra container ports.")
    replicas: int = Field(strict=True, default=1, ge=0, le=1000)
    resources: Resources | None = None
    probes: Probes = Field(default_factory=Probes)
    autoscaling: Autoscaling | None = None
    disruptionBudget: DisruptionBudget | None = None
    ingress: Ingress | None = None
    securityContext: SecurityContext = Field(default_factory=SecurityContext)
    imagePullSecret: DnsSubdomain | None = None
    env: list[EnvVar] = Field(default_factory=list)
    envFrom: list[EnvFrom] = Field(default_factory=list)
    configFiles: ConfigFiles | None = None
    volumes: list[Volume] = Field(default_factory=list)
    persistence: list[Persistence] = Field(
        default_factory=list,
        description="Persistent volumes: volumeClaimTemplates of a statefulset, else PersistentVolumeClaims.",
    )
    cronjob: CronJobSettings | None = None
    chart: Chart | None = None
    # day-2 (issue 16): network, monitoring
    network: AppNetwork | None = None
    metrics: AppMetrics | None = None
    alerts: AppAlerts | None = None
    dashboards: AppDashboards | None = None
    autoUpdate: ImageAutoUpdate | None = Field(
        default=None, description="Flux image automation of spec.image (ImageRepository, ImagePolicy)."
    )
    backup: AppBackup | None = Field(default=None, description="A Velero Schedule of this app.")
    externalSecrets: list[AppExternalSecret] = Field(
        default_factory=list, description="Secrets of this app produced by external-secrets."
    )

    @model_validator(mode="after")
    def _consistent(self) -> AppSpec:
        r = self.resources
        if r is not None:
            if r.requests.cpu is None or r.requests.memory is None:
                raise ValueError(
                    "resources.requests needs cpu and memory (the scheduler places pods by them)"
                )
            if r.limits.memory is None:
                raise ValueError(
                    "resources.limits.memory is required (without it one pod can starve the node)"
                )
        a = self.autoscaling
        pdb = self.disruptionBudget
        if pdb is not None:
            guaranteed = a.minReplicas if a is not None else self.replicas
            if isinstance(pdb.minAvailable, int) and pdb.minAvailable >= guaranteed:
                raise ValueError(
                    f"disruptionBudget.minAvailable ({pdb.minAvailable}) must be less than the guaranteed "
                    f"replicas ({guaranteed}), or no pod can ever be evicted and node drains hang"
                )
            if pdb.maxUnavailable in (0, "0%"):
                raise ValueError("disruptionBudget.maxUnavailable 0 blocks every voluntary eviction; use 1")
        names = [e.name for e in self.env]
        dup = sorted(n for n, c in Counter(names).items() if c > 1)  # not names.count: quadratic
        if dup:
            raise ValueError(f"env names must be unique: {', '.join(dup)}")
        return self

    def problems(self) -> list[SpecProblem]:
        """What does not fit the workload kind, each at its key path (the loader adds file:line:col)."""
        out: list[SpecProblem] = []
        kind = self.workload
        allowed = WORKLOAD_FIELDS[kind] | _COMMON_FIELDS
        for key in sorted(self.model_fields_set - allowed):
            out.append(
                (
                    ("spec", key),
                    f"{key} does not apply to a {kind} app ({WORKLOAD_DOC[kind]})",
                    "remove it, or set spec.workload to one that takes it",
                )
            )
        for key in WORKLOAD_REQUIRED[kind]:
            if getattr(self, key) in (None, []):
                out.append((("spec",), f"a {kind} app needs spec.{key}", f"add '{key}:'"))
        if self.image is not None:
            from gitops_gen.images import unpinned_reason

            why = unpinned_reason(self.image)
            if why is not None:
                out.append(
                    (
                        ("spec", "image"),
                        f"image {self.image!r} {why}",
                        "pin a released version tag (ghcr.io/org/app:1.2.3) or a digest (@sha256:...)",
                    )
                )
        out.extend(self._name_problems())
        if self.metrics is not None:
            exposed = {self.port or 8080} | {p.port for p in self.ports if p.expose}
            if kind == "worker":
                exposed = {p.port for p in self.ports} | ({self.port} if self.port else set())
            if self.metrics.port not in exposed:
                out.append(
                    (
                        ("spec", "metrics", "port"),
                        f"metrics.port {self.metrics.port} is not a port of the app",
                        "use spec.port or add it to spec.ports (with expose: true) so the Service names it",
                    )
                )
        if kind == "worker" and self.port is None and self.probes.liveness is None:
            out.append(
                (
                    ("spec", "workload"),
                    "a worker has no port to check: it needs probes.liveness",
                    "add probes.liveness.command (an exec check, e.g. [test, -f, /tmp/alive]) "
                    "or a port and probes.liveness.path",
                )
            )
        for which in ("liveness", "readiness", "startup"):
            p = getattr(self.probes, which)
            if (
                p is not None
                and p.command is None
                and p.port is None
                and self.port is None
                and kind == "worker"
            ):
                out.append(
                    (
                        ("spec", "probes", which),
                        f"probes.{which} is an HTTP check but the worker has no port",
                        "set probes.<probe>.port or spec.port, or use probes.<probe>.command",
                    )
                )
        return out

    def _name_problems(self) -> list[SpecProblem]:
        out: list[SpecProblem] = []
        ports = [("http", self.port)] if self.port is not None else []
        seen: dict[str, int] = {}
        for name, number in ports + [(p.name, p.port) for p in self.ports]:
            if name in seen:
                out.append(
                    (("spec", "ports"), f"port name {name!r} is used twice", "give each port its own name")
                )
            seen[name] = number or 0
        numbers = Counter(n for n in seen.values())
        for n, c in numbers.items():
            if c > 1:
                out.append((("spec", "ports"), f"port {n} is declared twice", "declare each port once"))
        mounts = [v.mountPath for v in self.volumes] + [p.mountPath for p in self.persistence]
        if self.configFiles is not None:
            mounts.append(self.configFiles.mountPath)
        for m, c in Counter(mounts).items():
            if c > 1:
                out.append(
                    (("spec", "volumes"), f"mountPath {m} is used twice", "mount each volume at its own path")
                )
        vnames = [v.name for v in self.volumes] + [p.name for p in self.persistence]
        for vname, c in Counter(vnames).items():
            if c > 1 or vname in ("tmp", "config"):
                out.append(
                    (
                        ("spec", "volumes"),
                        f"volume name {vname!r} is used twice or reserved (tmp and config are gitops-gen's)",
                        "rename the volume",
                    )
                )
        return out


class App(Model):
    """One application: a web service, worker, CronJob, StatefulSet or Helm chart in its own namespace."""

    apiVersion: Literal["gitops-gen/v1"]
    kind: Literal["App"]
    metadata: AppMetadata
    spec: AppSpec

    @property
    def namespace(self) -> str:
        return self.spec.namespace or self.metadata.name


AppOverride.model_rebuild()
PlatformSpec.model_rebuild()
Platform.model_rebuild()

SPEC_KINDS: dict[str, type[Model]] = {"Platform": Platform, "App": App}
