"""Helpers shared by the Kubernetes rule modules (the leading underscore keeps the loader from
treating this as a rule module)."""

from __future__ import annotations

from typing import Any

from kubelint_py.core.source import Location
from kubelint_py.models.kubernetes import Container, Resource, Workload
from kubelint_py.models.located import YList, YMap

# Pods that run to completion: never behind a Service, never restarted on a failing liveness probe.
RUN_TO_COMPLETION_KINDS = frozenset({"Job", "CronJob"})


def runs_to_completion(workload: Workload | None) -> bool:
    if workload is None:
        return False
    if workload.kind in RUN_TO_COMPLETION_KINDS:
        return True
    if workload.embedded:
        # A custom resource's pod template: batch-like when its pods are not restarted, or when its kind
        # says it runs to completion (JobSet, PyTorchJob, Workflow, PipelineRun, SparkApplication ...).
        restart = workload.pod_spec.get("restartPolicy")
        return restart in ("Never", "OnFailure") or any(
            word in workload.kind for word in ("Job", "Workflow", "Run", "Task", "Pipeline", "Batch"))
    # A bare Pod (or pod template) that is not restarted is a one-shot task.
    return workload.kind in ("Pod", "PodTemplate") and workload.pod_spec.get("restartPolicy") in ("Never",
                                                                                                   "OnFailure")


def is_patch_fragment(container: Container) -> bool:
    """A container without an image is part of a kustomize (strategic merge) patch, not a full
    definition: the base it patches holds the probes, resources and security settings."""
    return "image" not in container.data and container.resource.kind != "DeploymentConfig"


def is_long_running(container: Container) -> bool:
    """A regular container of a pod that keeps running (not init, not ephemeral, not a Job)."""
    return container.kind == "container" and not runs_to_completion(container.workload) \
        and not is_patch_fragment(container)


def pod_spec_of(container: Container) -> YMap:
    workload = container.workload
    return workload.pod_spec if workload is not None else YMap()


def security_value(container: Container, key: str) -> tuple[Any, YMap | None]:
    """The effective securityContext `key` (the container's overrides the pod's) and the mapping that
    holds it (None when neither level sets it)."""
    own = container.get_map("securityContext")
    if own is not None and key in own and own[key] is not None:
        return own[key], own
    pod_ctx = pod_spec_of(container).get_map("securityContext")
    if pod_ctx is not None and key in pod_ctx and pod_ctx[key] is not None:
        return pod_ctx[key], pod_ctx
    return None, None


def missing_field_location(container: Container, *path: str) -> Location:
    """For "X is missing": the deepest existing key on the path below the container, else the
    container's `- name:` line."""
    node: Any = container.data
    best = container.location
    for step in path:
        if not isinstance(node, YMap) or step not in node:
            break
        best = container.resource.at(node, step, on_key=True)
        node = node[step]
    return best


def is_windows_pod(spec: YMap) -> bool:
    os_node = spec.get_map("os")
    if os_node is not None and os_node.get("name") == "windows":
        return True
    selector = spec.get_map("nodeSelector")
    if selector is not None and selector.get("kubernetes.io/os") == "windows":
        return True
    ctx = spec.get_map("securityContext")
    return ctx is not None and "windowsOptions" in ctx


def declared_ports(container: Container) -> tuple[set[int], set[str]]:
    numbers: set[int] = set()
    names: set[str] = set()
    for port in container.ports:
        number = port.get("containerPort")
        if isinstance(number, int) and not isinstance(number, bool):
            numbers.add(number)
        name = port.get("name")
        if isinstance(name, str):
            names.add(name)
    return numbers, names


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def is_template_text(value: str) -> bool:
    """Unrendered placeholders (`${IMAGE}`, `{{ .Values }}`, `$(VAR)`): the real value is unknown."""
    return "${" in value or "{{" in value or "$(" in value


def iter_maps(node: Any) -> list[tuple[int, YMap]]:
    return node.maps() if isinstance(node, YList) else []


def resource_location(resource: Resource) -> Location:
    return resource.location
