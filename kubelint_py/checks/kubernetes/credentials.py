"""Secrets written in plain text where Kubernetes does not treat them as secrets."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.checks.secrets import find_secret_values, is_literal_secret_value, is_secret_name
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container, Resource


@rule(
    code="KS401", name="literal-secret-in-env", target=Target.K8S_CONTAINER, severity=Severity.ERROR,
    summary="Secret written as a literal environment variable value",
    rationale="A literal `value` lands in the Deployment object, in `kubectl describe`, in Git history "
              "and in every backup; anyone who can read the workload can read the secret.",
    fix="Put the value in a Secret and use `valueFrom.secretKeyRef` (or `envFrom.secretRef`).",
    tags=("security",), aliases=("env-var-secret", "CKV_K8S_35"),
)
def literal_secret_in_env(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    env = container.get_list("env")
    for _, item in env.maps() if env is not None else []:
        value = item.get("value")
        if not isinstance(value, str) or not value:
            continue
        name = str(item.get("name", ""))
        matches = find_secret_values(value)
        if matches:
            yield Violation(f"env var '{name}' of container '{container.name}' holds a literal "
                            f"{matches[0].kind}; move it to a Secret and use valueFrom.secretKeyRef",
                            container.resource.at(item, "value"))
        elif is_secret_name(name) and is_literal_secret_value(value):
            yield Violation(f"env var '{name}' of container '{container.name}' has a literal secret value; "
                            "move it to a Secret and use valueFrom.secretKeyRef",
                            container.resource.at(item, "value"))


@rule(
    code="KS402", name="secret-in-configmap", target=Target.K8S_OBJECT, severity=Severity.WARNING,
    summary="ConfigMap holds secret-looking data",
    rationale="ConfigMaps are not meant for secrets: they are readable by far more roles, never encrypted "
              "at rest and printed by `kubectl describe`.",
    fix="Move the value into a Secret (or an external secret store) and reference it from there.",
    tags=("security",),
)
def secret_in_configmap(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "ConfigMap":
        return
    data = resource.body.get_map("data")
    for key, value in data.items() if data is not None else []:
        if not isinstance(value, str) or not value:
            continue
        matches = find_secret_values(value)
        if matches:
            yield Violation(f"ConfigMap '{resource.name}' key '{key}' contains a {matches[0].kind}; move it to "
                            "a Secret", resource.at(data, key))
        elif "\n" not in value.strip() and is_secret_name(str(key)) and is_literal_secret_value(value):
            yield Violation(f"ConfigMap '{resource.name}' key '{key}' looks like a secret; move it to a Secret",
                            resource.at(data, key))
