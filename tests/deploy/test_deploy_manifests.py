"""docker-compose.yml and deploy/k8s checked against the code.

Docker cannot run on the development machines, so these tests read the
manifests and compare them with what the code really serves and reads:
commands, ports, health paths, settings variables, secrets and databases.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.workspace.settings import WorkspaceSettings
from shared.settings import DEFAULT_PORTS, ServiceSettings
from sopdesk.catalogue import SERVICE_NAMES, WORKSPACE, entry
from sopdesk.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _k8s_documents() if d["kind"] == kind}


def _cli_commands() -> set[str]:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in cli.registered_commands}
    names.update(g.name or "" for g in cli.registered_groups)
    return names


def _settings_variables() -> set[str]:
    """Every SOPDESK_* variable some service's settings class reads."""
    fields: set[str] = set(ServiceSettings.model_fields)
    for name in SERVICE_NAMES:
        fields.update(entry(name).settings_class.model_fields)
    fields.update(WorkspaceSettings.model_fields)
    return {f"SOPDESK_{field.upper()}" for field in fields}


def _routes(service: str) -> set[str]:
    app = entry(service).create_app(entry(service).settings_class(api_keys={"k": "admin"}))
    return {path for path in app.openapi()["paths"]}


def test_compose_runs_every_service_on_its_port_after_migrations_and_topics() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["migrate"]["command"][0] == "migrate"
    assert services["topics"]["command"] == ["topics"]
    assert {"migrate", "topics", "serve"} <= _cli_commands()
    for name in SERVICE_NAMES:
        spec = services[name]
        port = DEFAULT_PORTS[name]
        assert spec["command"] == ["serve", name, "--port", str(port)]
        assert spec["environment"]["PORT"] == str(port)
        assert "/readyz" in " ".join(spec["healthcheck"]["test"])
        assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert spec["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert services["analytics"]["ports"] == ["8005:8005"]  # the dashboard


def test_compose_databases_match_the_init_script() -> None:
    template = _compose()["x-sopdesk"]["environment"]["SOPDESK_DATABASE_URL"]
    init = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    for name in SERVICE_NAMES:
        url = template.replace("{service}", name)
        user, database = re.match(r".*://([^:]+):[^@]+@[^/]+/(\w+)$", url).groups()  # type: ignore[union-attr]
        assert f"CREATE ROLE {user} LOGIN" in init
        assert f"CREATE DATABASE {database} OWNER {user}" in init


def test_every_variable_the_manifests_set_is_a_real_setting() -> None:
    known = _settings_variables()
    texts = {
        "docker-compose.yml": (ROOT / "docker-compose.yml").read_text(),
        ".env.example": (ROOT / ".env.example").read_text(),
        **{p.name: p.read_text() for p in K8S.glob("*.yaml")},
    }
    for source, text in texts.items():
        for variable in set(re.findall(r"\bSOPDESK_[A-Z0-9_]+", text)):
            assert variable in known, f"{source} sets {variable}, which no settings class reads"


def test_required_settings_are_provided() -> None:
    # `sopdesk serve` refuses to start without API keys.
    example = (ROOT / ".env.example").read_text()
    secret = _by_kind("Secret")["sopdesk-secrets"]["stringData"]
    # Keys, and the secrets every replica must share (codes and survey links).
    for variable in (
        "SOPDESK_API_KEYS",
        "SOPDESK_VERIFICATION_SECRET",
        "SOPDESK_SURVEY_SECRET",
        "SOPDESK_WORKSPACE_SECRET",
        "SOPDESK_TOKEN_PUBLIC_KEY",
        "SOPDESK_TOKEN_PRIVATE_KEY",
    ):
        assert variable in example
        assert variable in secret
    for name in SERVICE_NAMES:
        assert f"{name.upper()}_DATABASE_URL" in secret


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_k8s_deployment_matches_the_service(service: str) -> None:
    deployment = _by_kind("Deployment")[f"sopdesk-{service}"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    port = DEFAULT_PORTS[service]
    assert container["args"] == ["serve", service, "--port", str(port)]
    assert container["ports"][0]["containerPort"] == port
    routes = _routes(service)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics" in routes
    assert annotations["prometheus.io/port"] == str(port)
    secret = _by_kind("Secret")["sopdesk-secrets"]["stringData"]
    for variable in container["env"]:
        ref = variable["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "sopdesk-secrets" and ref["key"] in secret

    service_spec = _by_kind("Service")[f"sopdesk-{service}"]
    assert service_spec["spec"]["ports"][0]["port"] == port
    assert service_spec["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]

    # The store is migrated before the service starts: an init container of its pod.
    pod = deployment["spec"]["template"]["spec"]
    (migrate,) = pod["initContainers"]
    assert migrate["args"][:2] == ["migrate", service]
    assert "--wait" in migrate["args"]
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["automountServiceAccountToken"] is False
    for each in (container, migrate):
        security = each["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"name": "tmp", "mountPath": "/tmp"} in each["volumeMounts"]
    budget = _by_kind("PodDisruptionBudget")[f"sopdesk-{service}"]
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]

    hpa = _by_kind("HorizontalPodAutoscaler")[f"sopdesk-{service}"]
    partitions = int(_by_kind("ConfigMap")["sopdesk-config"]["data"]["SOPDESK_TOPIC_PARTITIONS"])
    assert hpa["spec"]["maxReplicas"] <= partitions  # more consumers than partitions idle
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["External"]["external"]["metric"]["name"] == "sopdesk_consumer_lag"


def test_compose_and_k8s_run_the_workspace_on_its_port() -> None:
    port = DEFAULT_PORTS[WORKSPACE]
    spec = _compose()["services"][WORKSPACE]
    assert spec["command"] == ["serve", WORKSPACE, "--port", str(port)]
    assert spec["ports"] == [f"{port}:{port}"]
    compose_env = spec["environment"]
    for name in SERVICE_NAMES:
        assert compose_env[f"SOPDESK_{name.upper()}_URL"] == f"http://{name}:{DEFAULT_PORTS[name]}"

    deployment = _by_kind("Deployment")[f"sopdesk-{WORKSPACE}"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["serve", WORKSPACE, "--port", str(port)]
    assert container["ports"][0]["containerPort"] == port
    assert "initContainers" not in pod  # no store to migrate
    env = {v["name"]: v for v in container["env"]}
    services = _by_kind("Service")
    for name in SERVICE_NAMES:
        url = env[f"SOPDESK_{name.upper()}_URL"]["value"]
        assert (
            url == f"http://sopdesk-{name}:{DEFAULT_PORTS[name]}" and f"sopdesk-{name}" in services
        )
    secret = _by_kind("Secret")["sopdesk-secrets"]["stringData"]
    for variable in ("SOPDESK_TOKEN_PUBLIC_KEY", "SOPDESK_WORKSPACE_SECRET"):
        assert env[variable]["valueFrom"]["secretKeyRef"]["key"] in secret
    from services.workspace.app import create_app

    routes = set(create_app(WorkspaceSettings()).openapi()["paths"])
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] in routes
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert services[f"sopdesk-{WORKSPACE}"]["spec"]["ports"][0]["port"] == port
    assert services[f"sopdesk-{WORKSPACE}"]["spec"]["sessionAffinity"] == "ClientIP"


def test_network_policies_deny_by_default_and_open_the_service_ports() -> None:
    policies = _by_kind("NetworkPolicy")
    deny = policies["sopdesk-default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    allowed = policies["sopdesk-services"]["spec"]["ingress"][0]["ports"]
    assert {p["port"] for p in allowed} == set(DEFAULT_PORTS.values())


def test_topics_job_and_image() -> None:
    job = _by_kind("Job")["sopdesk-topics"]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0  # the next release can apply it again
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topics"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["sopdesk"]' in dockerfile
    for package in ("shared", "services", "sopdesk"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_alert_rules_use_metrics_the_services_export() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "monitoring" / "alerts.yaml").read_text())
    exported = set()
    for name in SERVICE_NAMES:
        app = entry(name).create_app(entry(name).settings_class(api_keys={"k": "admin"}))
        for metric in app.state.metrics.registry.collect():
            exported.add(metric.name)
    for group in rules["groups"]:
        for rule in group["rules"]:
            for metric in re.findall(r"\bsopdesk_[a-z_]+", rule["expr"]):
                base = re.sub(r"_(total|bucket|sum|count)$", "", metric)
                assert base in exported, f"{rule['alert']} uses {metric}, which nothing exports"
