"""Deprecated and removed API versions, judged against the target Kubernetes version."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.checks.yaml_edits import replace_scalar
from kubelint_py.engine.registry import SAFE, Fix, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Resource
from kubelint_py.schemas.apiversions import PURE_RENAMES, ApiChange, api_change, version_tuple


def _rename(resource: Resource, change: ApiChange, ctx: RuleContext) -> Fix | None:
    """Changing apiVersion alone, for the moves that change nothing else, when the object is valid under
    the new version's schema (an object already invalid would only trade this finding for schema errors
    that the removed version, which has no schema, did not show)."""
    if (resource.api_version, resource.kind) not in PURE_RENAMES:
        return None
    edit = replace_scalar(resource.body.value_span("apiVersion"), resource.api_version, change.replacement)
    if edit is None:
        return None
    from kubelint_py.checks.kubernetes.schema import target_version
    from kubelint_py.schemas import kubernetes as schemas

    version = target_version(ctx)
    definition = schemas.builtin_def(version, change.replacement, resource.kind)
    validator = schemas.builtin_validator(version, definition, True) if definition else None
    if validator is None or not validator.is_valid(resource.body):
        return None
    return Fix((edit,), True, f"change apiVersion to {change.replacement}")


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
    tags=("deprecation",), aliases=("no-extensions-v1beta",), autofix=SAFE,
)
def removed_api_version(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    found = _change(resource, ctx)
    if found is None:
        return
    change, target = found
    if target >= version_tuple(change.removed_in):
        yield Violation(f"{resource.api_version} {resource.kind} was removed in Kubernetes {change.removed_in} "
                        f"(target {ctx.config.k8s_version}); use {change.replacement}",
                        resource.at(resource.body, "apiVersion"), fix=_rename(resource, change, ctx))


@rule(
    code="KS408", name="deprecated-api-version", target=Target.K8S_OBJECT, severity=Severity.WARNING,
    summary="apiVersion is deprecated in the target Kubernetes version",
    rationale="A deprecated apiVersion still works but will be removed in a later release; migrating "
              "before the upgrade avoids a broken deploy on upgrade day.",
    fix="Move the object to the replacement apiVersion named in the message.",
    tags=("deprecation",), autofix=SAFE,
)
def deprecated_api_version(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    found = _change(resource, ctx)
    if found is None:
        return
    change, target = found
    if version_tuple(change.deprecated_in) <= target < version_tuple(change.removed_in):
        yield Violation(f"{resource.api_version} {resource.kind} is deprecated since Kubernetes "
                        f"{change.deprecated_in} and removed in {change.removed_in}; use {change.replacement}",
                        resource.at(resource.body, "apiVersion"), fix=_rename(resource, change, ctx))
