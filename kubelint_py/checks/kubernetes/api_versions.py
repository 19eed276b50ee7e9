"""Deprecated and removed API versions, judged against the target Kubernetes version."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Resource
from kubelint_py.schemas.apiversions import ApiChange, api_change, version_tuple


def _change(resource: Resource, ctx: RuleContext) -> tuple[ApiChange, tuple[int, int]] | None:
    change = api_change(resource.api_version, resource.kind)
    if change is None:
        return None
    try:
        return change, version_tuple(ctx.config.k8s_version)
    except ValueError:
        return None


@rule(
    code="KS407", name="removed-api-version", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="apiVersion was removed in the target Kubernetes version",
    rationale="The API server no longer serves this apiVersion: `kubectl apply` fails with "
              "\"no matches for kind\" and the object cannot be created.",
    fix="Move the object to the replacement apiVersion named in the message (fields may have changed; "
        "`kubectl convert` helps).",
    tags=("deprecation",), aliases=("no-extensions-v1beta",),
)
def removed_api_version(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    found = _change(resource, ctx)
    if found is None:
        return
    change, target = found
    if target >= version_tuple(change.removed_in):
        yield Violation(f"{resource.api_version} {resource.kind} was removed in Kubernetes {change.removed_in} "
                        f"(target {ctx.config.k8s_version}); use {change.replacement}",
                        resource.at(resource.body, "apiVersion"))


@rule(
    code="KS408", name="deprecated-api-version", target=Target.K8S_OBJECT, severity=Severity.WARNING,
    summary="apiVersion is deprecated in the target Kubernetes version",
    rationale="A deprecated apiVersion still works but will be removed in a later release; migrating "
              "before the upgrade avoids a broken deploy on upgrade day.",
    fix="Move the object to the replacement apiVersion named in the message.",
    tags=("deprecation",),
)
def deprecated_api_version(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    found = _change(resource, ctx)
    if found is None:
        return
    change, target = found
    if version_tuple(change.deprecated_in) <= target < version_tuple(change.removed_in):
        yield Violation(f"{resource.api_version} {resource.kind} is deprecated since Kubernetes "
                        f"{change.deprecated_in} and removed in {change.removed_in}; use {change.replacement}",
                        resource.at(resource.body, "apiVersion"))
