"""The production examples in deploy/ parse and say what the README promises: two replicas on one
PostgreSQL database, readiness on /healthz, secrets from a secret (none written in the files)."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT


def test_kubernetes_runs_two_replicas_ready_on_healthz():
    deployment, service = list(yaml.safe_load_all((ROOT / "deploy/kubernetes.yaml").read_text()))
    assert deployment["kind"] == "Deployment" and deployment["spec"]["replicas"] == 2 and service["kind"] == "Service"
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["envFrom"] == [{"secretRef": {"name": "smpolicy"}}]
    assert pod["securityContext"]["runAsUser"] == 10001 and pod["securityContext"]["runAsNonRoot"] is True
    assert not any(e["name"] in ("SMPOLICY_DATABASE_URL", "SMPOLICY_REPORT_KEY") for e in container.get("env", []))


def test_compose_puts_every_replica_on_postgresql():
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    env = compose["services"]["smpolicy"]["environment"]
    assert env["SMPOLICY_DATABASE_URL"].startswith("postgresql://smpolicy:${POSTGRES_PASSWORD}@postgres:5432/")
    assert env["SMPOLICY_REPORT_KEY"].startswith("${")  # from the environment, never written here
    assert compose["services"]["smpolicy"]["depends_on"]["postgres"]["condition"] == "service_healthy"
