"""Single-object hygiene: duplicates, selectors, deprecated fields, Job housekeeping, object size."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from kubelint_py.checks.yaml_edits import quote_plain, replace_scalar
from kubelint_py.engine.registry import SAFE, Fix, Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container, LabelSelector, Resource, Workload
from kubelint_py.models.located import YList, YMap


@rule(
    code="KS403", name="duplicate-env-var", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Environment variable defined twice in a container",
    rationale="When a name appears twice in `env`, the last one silently wins; the first is dead "
              "configuration that someone will edit without effect.",
    fix="Remove one of the two definitions.",
    tags=("correctness",),
)
def duplicate_env_var(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    env = container.get_list("env")
    if env is None:
        return
    seen: dict[str, int] = {}
    for index, item in env.maps():
        name = item.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            first = env[seen[name]]
            yield Violation(f"env var '{name}' is defined twice in container '{container.name}'; the last "
                            "definition wins: remove one", container.resource.at(item, "name"),
                            (Related(container.resource.at(first, "name"), "first definition"),))
        else:
            seen[name] = index


@rule(
    code="KS404", name="duplicate-container-name-in-pod", target=Target.K8S_WORKLOAD, severity=Severity.ERROR,
    summary="Two containers of a pod have the same name",
    rationale="Container names must be unique across init, regular and ephemeral containers; the API "
              "server rejects the pod.",
    fix="Rename one of the containers.",
    tags=("correctness",),
)
def duplicate_container_name(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    seen: dict[str, Container] = {}
    for container in workload.containers:
        if "name" not in container.data:
            continue
        if container.name in seen:
            yield Violation(f"container name '{container.name}' is used twice in {workload.resource.display}; "
                            "rename one", container.location,
                            (Related(seen[container.name].location, "first container"),))
        else:
            seen[container.name] = container


def _merge_advice(first: object, second: object) -> str:
    """What to do with two entries for one port: never "remove" a name that probes or Services may use."""
    first_name = first if isinstance(first, str) else None
    second_name = second if isinstance(second, str) else None
    if second_name is None or second_name == first_name:
        return "remove the duplicate"
    if first_name is None:
        return f"keep one entry for the port, with the name '{second_name}' (probes or Services may use it)"
    return (f"keep one entry for the port and use one of its names ('{first_name}' or '{second_name}') in the "
            "probes and Services that refer to it")


@rule(
    code="KS405", name="duplicate-container-port", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Port number or port name declared twice in a pod",
    rationale="Containers of a pod share one network namespace, so two of them cannot listen on the same "
              "port and protocol; port names must be unique within the pod, or Services and probes that "
              "use the name pick one at random.",
    fix="Keep one entry per port (keeping a name that probes or Services refer to), or change its number or "
        "name.",
    tags=("correctness",),
)
def duplicate_container_port(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    numbers: dict[tuple[int, str], YMap] = {}
    names: dict[str, YMap] = {}
    res = workload.resource
    for container in workload.containers:
        # Init containers run before the others (sidecars with restartPolicy Always excepted).
        if container.kind == "ephemeral" or (container.is_init and container.data.get("restartPolicy") != "Always"):
            continue
        for port in container.ports:
            number = port.get("containerPort")
            if isinstance(number, int) and not isinstance(number, bool):
                key = (number, str(port.get("protocol", "TCP")))
                if key in numbers:
                    advice = _merge_advice(numbers[key].get("name"), port.get("name"))
                    yield Violation(f"port {number}/{key[1]} is declared twice in {res.display} (container "
                                    f"'{container.name}'); {advice}", res.at(port, "containerPort"),
                                    (Related(res.at(numbers[key], "containerPort"), "first declaration"),))
                else:
                    numbers[key] = port
            name = port.get("name")
            if isinstance(name, str):
                if name in names and names[name] is not port:
                    first = names[name]
                    if (first.get("containerPort"), str(first.get("protocol", "TCP"))) == \
                            (number, str(port.get("protocol", "TCP"))):
                        continue  # already reported as a duplicate port
                    yield Violation(f"port name '{name}' is used twice in {res.display} (container "
                                    f"'{container.name}'); port names must be unique in a pod",
                                    res.at(port, "name"), (Related(res.at(names[name], "name"), "first use"),))
                else:
                    names[name] = port


_SELECTOR_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
_PLAIN_SELECTOR_KINDS = frozenset({"ReplicationController", "DeploymentConfig"})


@rule(
    code="KS406", name="selector-does-not-match-template", target=Target.K8S_WORKLOAD, severity=Severity.ERROR,
    summary="Workload selector does not match its own pod template labels",
    rationale="The API server rejects a workload whose selector does not select its template; with "
              "older APIs the controller created pods it then never saw, creating them without end.",
    fix="Make `spec.selector` (matchLabels and matchExpressions) agree with `spec.template.metadata.labels`.",
    tags=("correctness",), aliases=("mismatching-selector",),
)
def selector_does_not_match_template(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    kind = workload.kind
    if kind not in _SELECTOR_KINDS and kind not in _PLAIN_SELECTOR_KINDS:
        return
    spec = workload.resource.spec
    node = spec.get_map("selector")
    if node is None or workload.template is None:
        return  # absent selectors are defaulted from the template labels (or are a schema error)
    # A ReplicationController or DeploymentConfig selector is a plain map (unless it uses matchLabels).
    plain = kind in _PLAIN_SELECTOR_KINDS and "matchLabels" not in node and "matchExpressions" not in node
    selector = LabelSelector.parse(node, plain=plain)
    if selector is None or selector.is_empty or selector.matches(workload.pod_labels):
        return
    labels = workload.pod_labels
    missing = [f"{k}={v}" for k, v in selector.match_labels if labels.get(k) != v]
    detail = f"labels {', '.join(missing)} are not on the template" if missing \
        else "its matchExpressions reject the template labels"
    meta = workload.template_metadata
    related = (Related(workload.resource.at(meta, "labels", on_key=True) if meta is not None and "labels" in meta
                       else workload.resource.at(workload.template), "pod template labels"),)
    yield Violation(f"{workload.resource.display} selector does not match its pod template: {detail}; make "
                    "them agree", workload.resource.at(spec, "selector", on_key=True), related)


@rule(
    code="KS409", name="deprecated-service-account-field", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod uses the deprecated `serviceAccount` field",
    rationale="`serviceAccount` is a deprecated alias of `serviceAccountName`; when both are set and "
              "differ, which one applies surprises people, and tools that read only the new field miss it.",
    fix="Rename `serviceAccount` to `serviceAccountName`.",
    tags=("deprecation",), autofix=SAFE,
)
def deprecated_service_account_field(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    spec = workload.pod_spec
    if "serviceAccount" in spec:
        # A pure rename only when serviceAccountName is absent (with both, which one wins is the question).
        edit = replace_scalar(spec.key_span("serviceAccount"), "serviceAccount", "serviceAccountName") \
            if "serviceAccountName" not in spec else None
        yield Violation(f"{workload.resource.display} uses the deprecated field serviceAccount; rename it to "
                        "serviceAccountName", workload.resource.at(spec, "serviceAccount", on_key=True),
                        fix=Fix((edit,), True, "rename serviceAccount to serviceAccountName") if edit else None)


_HOOK_DELETE_POLICIES = ("helm.sh/hook-delete-policy", "argocd.argoproj.io/hook-delete-policy")


@rule(
    code="KS410", name="job-without-ttl", target=Target.K8S_OBJECT, kinds=("Job",), severity=Severity.INFO,
    summary="Job has no ttlSecondsAfterFinished",
    rationale="Finished Jobs and their pods stay in the cluster until someone deletes them, piling up "
              "objects in the API server and in every `kubectl get pods`.",
    fix="Set `spec.ttlSecondsAfterFinished` (e.g. 86400) so the Job is cleaned up after it finishes.",
    tags=("hygiene",),
)
def job_without_ttl(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "Job" or resource.group != "batch" or "ttlSecondsAfterFinished" in resource.spec:
        return
    if any(key in resource.annotations for key in _HOOK_DELETE_POLICIES):
        return  # Helm or Argo CD deletes the hook Job
    yield Violation(f"Job '{resource.name}' has no ttlSecondsAfterFinished; set it so the finished Job is "
                    "cleaned up", resource.key_location(resource.body, "spec"))


@rule(
    code="KS411", name="cronjob-without-starting-deadline", target=Target.K8S_OBJECT, kinds=("CronJob",),
    severity=Severity.INFO,
    summary="CronJob has no startingDeadlineSeconds",
    rationale="Without a deadline, a CronJob that missed more than 100 schedules (controller down, cluster "
              "upgrade) stops scheduling altogether, and a late run may start long after it is useful.",
    fix="Set `spec.startingDeadlineSeconds` to how late a run may still start (e.g. 300).",
    tags=("hygiene",),
)
def cronjob_without_starting_deadline(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind == "CronJob" and "startingDeadlineSeconds" not in resource.spec:
        yield Violation(f"CronJob '{resource.name}' has no startingDeadlineSeconds; set one",
                        resource.at(resource.spec, "schedule", on_key=True) if "schedule" in resource.spec
                        else resource.location)


def _yaml11_surprise(node: YMap | YList, key: Any, value: Any) -> str | None:
    """How YAML 1.1 misreads a plain scalar in a string field, judged from its type and its width."""
    if isinstance(value, bool):
        span = node.value_span(key) if isinstance(node, YMap) else node.item_span(key)
        width = span.end_column - span.column if span.end_line == span.line else 0
        if width not in (4, 5):  # `true`/`false` are booleans in every YAML; `no`, `on`, `y` only in 1.1
            return f"the boolean {str(value).lower()}"
    elif isinstance(value, int):
        span = node.value_span(key) if isinstance(node, YMap) else node.item_span(key)
        width = span.end_column - span.column if span.end_line == span.line else 0
        if width and width != len(str(value)):  # octal 0755, 1_000, sexagesimal 1:30
            return f"the number {value}"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"the number {value}"
    return None


# (node, key, description) where the description is a format string and its arguments: most fields are
# fine, and formatting a description for each was most of this rule's time.
_Field = tuple[YMap | YList, Any, str, tuple[Any, ...]]


def _map_fields(node: YMap | None, label: str) -> Iterator[_Field]:
    if node is not None:
        for key, value in node.items():
            if value is not None and type(value) is not str:
                yield node, key, "{} '{}'", (label, key)


def _string_fields(resource: Resource) -> Iterator[_Field]:
    """Fields Kubernetes types as strings, where the value read is not a string (nor null): nearly every
    field is a string, and only the others can be ambiguous."""
    meta = resource.body.get_map("metadata")
    for section in ("labels", "annotations"):
        yield from _map_fields(meta.get_map(section) if meta is not None else None, section[:-1])
    if resource.kind in ("ConfigMap", "Secret"):
        for section in ("data", "stringData"):
            yield from _map_fields(resource.body.get_map(section), f"{section} key")
    workload = resource.workload
    if workload is None:
        return
    template_meta = workload.template_metadata if workload.template is not None else None
    for section in ("labels", "annotations"):
        yield from _map_fields(template_meta.get_map(section) if template_meta is not None else None,
                               f"pod template {section[:-1]}")
    for container in workload.containers:
        env = container.get_list("env")
        for _, item in env.maps() if env is not None else []:
            value = item.get("value")
            if value is not None and type(value) is not str:
                yield item, "value", "env var '{}' of container '{}'", (item.get("name", ""), container.name)
        for field in ("command", "args"):
            items = container.get_list(field)
            if items is not None:
                for index, value in enumerate(items):
                    if value is not None and type(value) is not str:
                        yield items, index, "{} item {} of container '{}'", (field, index + 1, container.name)


@rule(
    code="KS412", name="yaml11-ambiguous-value", target=Target.K8S_OBJECT, severity=Severity.WARNING,
    summary="Unquoted value that YAML 1.1 reads as a boolean or number in a string field",
    rationale="Kubernetes reads manifests as YAML 1.1, where unquoted `yes`, `no`, `on`, `off`, `y`, `n` "
              "are booleans and `0755` is octal 493: `value: no` in env is rejected or becomes `false`, "
              "and a label `version: 010` becomes 8.",
    fix="Quote the value (`value: \"no\"`).",
    tags=("correctness", "yaml"), autofix=SAFE,
)
def yaml11_ambiguous_value(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for node, key, description, arguments in _string_fields(resource):
        value = node[key]
        if isinstance(value, str) or value is None:
            continue
        surprise = _yaml11_surprise(node, key, value)
        if surprise is not None:
            span = node.value_span(key) if isinstance(node, YMap) else node.item_span(key)
            quotes = quote_plain(span)
            where = description.format(*arguments)
            yield Violation(f"{where} in {resource.display} is read by Kubernetes (YAML 1.1) as {surprise}, not "
                            "as text; quote it", resource.at(node, key),
                            fix=Fix(quotes, True, "quote the value") if quotes else None)


CONFIG_LIMIT = 1024 * 1024


def _decoded_size(value: str) -> int:
    text = "".join(value.split())
    return len(text) * 3 // 4 - text.count("=")


@rule(
    code="KS413", name="config-object-too-large", target=Target.K8S_OBJECT, kinds=("ConfigMap", "Secret"),
    severity=Severity.ERROR,
    summary="ConfigMap or Secret data exceeds 1 MiB",
    rationale="The API server rejects ConfigMaps and Secrets whose data is larger than 1 MiB.",
    fix="Split the data across several objects, or ship it in the image or a volume instead.",
    tags=("correctness",),
)
def config_object_too_large(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind not in ("ConfigMap", "Secret"):
        return
    total = 0
    base64_sections = ("binaryData",) if resource.kind == "ConfigMap" else ("data",)
    for section in ("data", "stringData", "binaryData"):
        node = resource.body.get_map(section)
        for key, value in node.items() if node is not None else []:
            total += len(str(key))
            if isinstance(value, str):
                total += _decoded_size(value) if section in base64_sections else len(value.encode("utf-8"))
    if total > CONFIG_LIMIT:
        yield Violation(f"{resource.display} holds {total / 1048576:.2f} MiB of data, over the 1 MiB the API "
                        "server accepts; split it or ship it another way", resource.location)
