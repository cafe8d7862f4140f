"""Rule ``security``: not root, no privilege escalation, not privileged."""

from __future__ import annotations

from rules_helpers import fixture, only, resources_of, run

from gitops_gen.lint.model import Severity

C = ("spec", "template", "spec", "containers")


def test_bad_fixture() -> None:
    found = fixture("security", "bad.yaml")
    f = only(found, contains='"root" runs as root')
    assert f.severity == Severity.ERROR and "kubelet refuses" in f.message
    assert f.path == (*C, 0, "securityContext", "runAsUser")
    f = only(found, contains='"priv" is privileged')
    assert f.path == (*C, 1, "securityContext", "privileged")
    f = only(found, contains='"escalate" allows privilege escalation')
    assert f.path == (*C, 2, "securityContext", "allowPrivilegeEscalation")
    f = only(found, contains='"escalate" may run as root')
    assert "runAsNonRoot is false" in f.message
    f = only(found, contains='"bare" does not set allowPrivilegeEscalation')
    assert f.severity == Severity.WARNING and f.ref == "Pod/ops/bare"
    f = only(found, contains='"bare" may run as root')
    assert f.severity == Severity.ERROR and f.path == ("spec", "containers", 0)
    assert len(found) == 6


def test_good_fixture() -> None:
    assert fixture("security", "good.yaml") == []


def test_pod_level_uid_is_inherited_and_container_overrides() -> None:
    text = """
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 0}
  containers:
    - {name: inherits, image: x:1, securityContext: {allowPrivilegeEscalation: false}}
    - {name: overrides, image: x:1, securityContext: {allowPrivilegeEscalation: false, runAsUser: 1000}}
"""
    found = run("security", resources_of(text))
    assert [(f.message, f.path) for f in found] == [
        ('container "inherits" runs as root (runAsUser: 0)', ("spec", "securityContext", "runAsUser"))
    ]


def test_windows_pods_skip_uid_checks() -> None:
    text = """
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  os: {name: windows}
  containers:
    - {name: c, image: x:1, securityContext: {allowPrivilegeEscalation: false}}
"""
    assert run("security", resources_of(text)) == []
