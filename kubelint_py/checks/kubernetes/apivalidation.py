"""What the API server rejects beyond the OpenAPI schema: name and label syntax, cron schedules, a Job's
restart policy, port names. The published schema types these fields as plain strings; the server's
validation code (k8s.io/apimachinery/pkg/util/validation, pkg/apis/*/validation) is stricter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from kubelint_py.checks.kubernetes._partial import is_patch_file
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Resource, Workload
from kubelint_py.models.located import YList, YMap
from kubelint_py.parsing.placeholders import has_placeholder_name, is_placeholder

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")

# Built-in kinds whose names the server checks as DNS-1123 subdomains (253 characters), labels or
# DNS-1035 labels (Services: the name is a DNS label that must start with a letter).
LABEL_NAMED = frozenset({"Namespace"})
DNS1035_NAMED = frozenset({"Service"})
SUBDOMAIN_NAMED = frozenset({
    "ConfigMap", "Secret", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod",
    "PersistentVolumeClaim", "PersistentVolume", "ServiceAccount", "Ingress", "NetworkPolicy",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "StorageClass", "PriorityClass", "IngressClass",
    "ResourceQuota", "LimitRange", "ReplicationController", "PodTemplate",
})
CRONJOB_NAME_MAX = 52
"""A CronJob's name is at most 52 characters: its Jobs append 11 (a dash and a timestamp)."""

_API_GROUPS = ("", "v1", "apps", "batch", "networking.k8s.io", "policy", "autoscaling", "storage.k8s.io",
               "scheduling.k8s.io", "rbac.authorization.k8s.io")


def _builtin(resource: Resource) -> bool:
    return resource.group in _API_GROUPS


@lru_cache(maxsize=16_384)  # the same names recur across objects and files
def name_problem(kind: str, name: str) -> str | None:
    """Why the API server would reject this object name (None: it accepts it)."""
    if kind in DNS1035_NAMED:
        if len(name) > 63 or not DNS1035_LABEL.fullmatch(name):
            return "must be a DNS-1035 label: at most 63 lowercase letters, digits and '-', starting with a letter"
    elif kind in LABEL_NAMED:
        if len(name) > 63 or not DNS1123_LABEL.fullmatch(name):
            return "must be a DNS-1123 label: at most 63 lowercase letters, digits and '-'"
    elif kind in SUBDOMAIN_NAMED:
        if len(name) > 253 or not DNS1123_SUBDOMAIN.fullmatch(name):
            return ("must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending "
                    "with a letter or digit")
        if kind == "CronJob" and len(name) > CRONJOB_NAME_MAX:
            return f"is {len(name)} characters; a CronJob name may have at most {CRONJOB_NAME_MAX}"
    return None


@rule(
    code="KS416", name="invalid-object-name", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="Object name the API server rejects (DNS-1123 / DNS-1035 syntax or length)",
    rationale="Names of most built-in kinds must be DNS-1123 subdomains, Namespaces DNS labels, Services "
              "DNS-1035 labels (they become DNS names), and CronJob names at most 52 characters. The "
              "OpenAPI schema only says \"string\", so schema validation lets these through and `kubectl "
              "apply` fails.",
    fix="Use lowercase letters, digits and '-' (and '.' where subdomains are allowed), starting and ending "
        "with a letter or digit; shorten long names.",
    tags=("correctness", "api-validation"),
)
def invalid_object_name(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if not _builtin(resource):
        return
    name = resource.metadata.get("name")
    if not isinstance(name, str) or not name:
        return
    problem = name_problem(resource.kind, name)
    if problem and not has_placeholder_name(name) and not is_patch_file(resource, ctx.index.patch_files):
        yield Violation(f"{resource.kind} name '{name}' {problem}", resource.at(resource.metadata, "name"))


def label_problem(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, (str, int, float)):  # hashable: labels recur across objects
        return _scalar_label_problem(key, value)
    return _label_problem(key, value)


@lru_cache(maxsize=16_384)
def _scalar_label_problem(key: str, value: str | float | None) -> str | None:
    return _label_problem(key, value)


def _label_problem(key: str, value: Any) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return f"key '{key}' has an invalid prefix (it must be a DNS subdomain such as example.com)"
    if not name or len(name) > 63 or not LABEL_NAME.fullmatch(name):
        return (f"key '{key}' is invalid: the name part must be at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit")
    if isinstance(value, str) and value and (len(value) > 63 or not LABEL_NAME.fullmatch(value)):
        return (f"value '{value[:70]}' of '{key}' is invalid: at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit (or empty)")
    return None


def _label_maps(resource: Resource) -> Iterator[YMap]:
    labels = resource.metadata.get("labels")
    if isinstance(labels, YMap):
        yield labels
    for workload in resource.all_workloads:
        meta = workload.template_metadata if workload.template is not None else None
        if meta is not None and isinstance(meta.get("labels"), YMap):
            yield meta["labels"]
    selector = resource.spec.get("selector") if _builtin(resource) else None
    if isinstance(selector, YMap):
        inner = selector.get("matchLabels")
        yield inner if isinstance(inner, YMap) else selector


MAX_LABELS = 2000
"""Labels of one object checked (a budget)."""


@rule(
    code="KS417", name="invalid-label", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="Label key or value the API server rejects",
    rationale="Label names are at most 63 characters (plus an optional DNS-subdomain prefix) and values at "
              "most 63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric. "
              "A value such as `v1.2.3+build` or a 70-character git description is rejected at apply time.",
    fix="Shorten or change the label (put free text in an annotation instead).",
    tags=("correctness", "api-validation"),
)
def invalid_label(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if not resource.kind:
        return  # (every object's metadata is validated the same way, custom resources' too)
    seen = 0
    for labels in _label_maps(resource):
        for key, value in labels.items():
            seen += 1
            if seen > MAX_LABELS:
                return
            if not isinstance(key, str) or key in ("matchLabels", "matchExpressions"):
                continue
            problem = label_problem(key, value)
            if problem and not has_placeholder_name(key) and not has_placeholder_name(value):
                yield Violation(f"label {problem} ({resource.display})", resource.at(labels, key))


_CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_CronField = tuple[str, int, int, dict[str, int]]
_CRON_FIELDS: tuple[_CronField, ...] = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
                ("month", 1, 12, {m: i + 1 for i, m in enumerate(
                    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}),
                ("day of week", 0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}))
_EVERY = re.compile(r"@every (\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")


def _cron_value(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
    if text.isdigit():
        value = int(text)
        return value if low <= value <= high else None
    return names.get(text.lower())


def cron_problem(schedule: str) -> str | None:
    """Why the standard cron parser Kubernetes uses rejects a schedule (None: it accepts it)."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "sets a time zone inside the schedule, which the API server rejects: use spec.timeZone"
    if text.startswith("@"):
        return None if text in _CRON_MACROS or _EVERY.fullmatch(text) else f"'{text}' is not a known @ schedule"
    fields = text.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields; a schedule has 5 (minute hour day-of-month month day-of-week)"
    for field, (what, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for part in field.split(","):
            base, slash, step = part.partition("/")
            if slash and (not step.isdigit() or int(step) == 0):
                return f"{what} field '{field}' has an invalid step"
            if base in ("*", "?"):
                continue
            first, dash, last = base.partition("-")
            start = _cron_value(first, low, high, names)
            end = _cron_value(last, low, high, names) if dash else start
            if start is None or end is None or end < start:
                return f"{what} field '{field}' is outside {low}-{high} or malformed"
    return None


@rule(
    code="KS418", name="invalid-cron-schedule", target=Target.K8S_OBJECT, kinds=("CronJob",), severity=Severity.ERROR,
    summary="CronJob schedule the API server rejects",
    rationale="The schedule is parsed when the CronJob is created: five fields in range (or an @hourly-style "
              "macro), and no TZ= prefix (use spec.timeZone). The schema only says \"string\".",
    fix="Write five fields, minute hour day-of-month month day-of-week, e.g. `30 2 * * 1-5`.",
    tags=("correctness", "api-validation"),
)
def invalid_cron_schedule(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "CronJob" or resource.group != "batch":
        return
    schedule = resource.spec.get("schedule")
    if not isinstance(schedule, str) or is_placeholder(schedule):
        return
    problem = cron_problem(schedule)
    if problem:
        yield Violation(f"CronJob '{resource.name}' schedule '{schedule}' {problem}",
                        resource.at(resource.spec, "schedule"))


@rule(
    code="KS419", name="job-restart-policy", target=Target.K8S_WORKLOAD, severity=Severity.ERROR,
    summary="Job or CronJob pod template without restartPolicy Never or OnFailure",
    rationale="A Job's pods must not be restarted in place forever: the API server rejects a Job (or CronJob) "
              "whose pod template leaves restartPolicy unset (it defaults to Always) or sets Always.",
    fix="Set `restartPolicy: Never` (the Job controller retries with new pods) or `OnFailure` in the pod "
        "template's spec.",
    tags=("correctness", "api-validation"),
)
def job_restart_policy(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    resource = workload.resource
    if resource.kind not in ("Job", "CronJob") or resource.group != "batch" or workload.embedded:
        return
    policy = workload.pod_spec.get("restartPolicy")
    if policy in ("Never", "OnFailure") or is_placeholder(policy) or is_patch_file(resource, ctx.index.patch_files):
        return
    if policy is None:
        where = resource.at(workload.template, "spec", on_key=True) if workload.template is not None \
            else resource.at(workload.pod_spec, None)
        yield Violation(f"{resource.display} leaves restartPolicy unset (Always); a Job needs Never or OnFailure",
                        where)
    else:
        yield Violation(f"{resource.display} sets restartPolicy {policy}; a Job needs Never or OnFailure",
                        resource.at(workload.pod_spec, "restartPolicy"))


@lru_cache(maxsize=4096)
def iana_problem(name: str) -> str | None:
    if len(name) > 15:
        return "is longer than 15 characters"
    if not IANA_SVC_NAME.fullmatch(name) or "--" in name:
        return "may only hold lowercase letters, digits and single '-' between them"
    if not re.search(r"[a-z]", name):
        return "must contain at least one letter"
    return None


def _port_names(resource: Resource) -> Iterator[tuple[YMap, str, str, str]]:
    """(holder, key, name, what) of port names the server checks as IANA service names."""
    for workload in resource.all_workloads:
        for container in workload.containers:
            for port in container.ports:
                name = port.get("name")
                if isinstance(name, str):
                    yield port, "name", name, f"port name of container '{container.name}'"
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                handler_parent = container.get_map(probe)
                for handler in ("httpGet", "tcpSocket"):
                    node = handler_parent.get(handler) if handler_parent is not None else None
                    if isinstance(node, YMap) and isinstance(node.get("port"), str) \
                            and not node["port"].isdigit():
                        yield node, "port", node["port"], f"{probe} port of container '{container.name}'"
    if resource.kind == "Service" and resource.group == "":
        ports = resource.spec.get("ports")
        for port in ports if isinstance(ports, YList) else ():
            if isinstance(port, YMap) and isinstance(port.get("targetPort"), str) \
                    and not port["targetPort"].isdigit():
                yield port, "targetPort", port["targetPort"], "Service targetPort"


@rule(
    code="KS420", name="invalid-port-name", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="Container port name (or a reference to one) the API server rejects",
    rationale="Container port names, and the names probes and Service targetPorts use to refer to them, "
              "must be IANA service names: at most 15 lowercase letters, digits and '-', with a letter. "
              "`http-metrics-port` (17 characters) or `HTTP` is rejected at apply time.",
    fix="Shorten the name to 15 characters or fewer, lowercase (and change its references to match).",
    tags=("correctness", "api-validation"),
)
def invalid_port_name(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if not _builtin(resource) and not resource.all_workloads:
        return
    for holder, key, name, what in _port_names(resource):
        problem = iana_problem(name)
        if problem and not is_placeholder(name):
            yield Violation(f"{what} '{name}' {problem} ({resource.display})", resource.at(holder, key))
