"""Schema validation of every object against the target Kubernetes version, and of custom resources
against the CustomResourceDefinitions found in the linted files."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from kubelint_py.building.boundaries import kustomize_facts_of
from kubelint_py.checks.kubernetes._partial import looks_partial, selector_from_kustomize
from kubelint_py.core.source import FileSpan, Location, Span
from kubelint_py.engine.config import DEFAULT_K8S_VERSION
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Incomplete, Parameter, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Resource
from kubelint_py.models.located import YList, YMap
from kubelint_py.parsing.placeholders import is_placeholder
from kubelint_py.schemas import kubernetes as schemas
from kubelint_py.schemas.apiversions import REMOVED_APIS, version_tuple
from kubelint_py.schemas.validation import SchemaValidator, suggest


def target_version(ctx: RuleContext) -> str:
    try:
        return schemas.resolve_version(ctx.config.k8s_version)
    except ValueError:
        return schemas.resolve_version(DEFAULT_K8S_VERSION)


class _CrdSchemas:
    """What the CRDs of one run declare: schema per (apiVersion, kind), served versions per (group, kind)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.schemas: dict[tuple[str, str], Mapping[str, Any]] = {}
        self.alternatives: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        """Every schema found for a kind (several CRD files, e.g. one per release): an object valid against
        any of them is not certainly wrong, since the files do not say which one is installed."""
        self.served: dict[tuple[str, str], list[str]] = {}
        self.kinds: set[tuple[str, str]] = set()
        self.index = index
        self._first: dict[tuple[str, str], Resource] | None = None
        for crd in index.of_kind("CustomResourceDefinition"):
            spec = crd.spec
            names = spec.get_map("names")
            group, kind = spec.get("group"), names.get("kind") if names is not None else None
            if not isinstance(group, str) or not isinstance(kind, str):
                continue
            self.kinds.add((group, kind))
            versions = spec.get_list("versions")
            served = [str(v.get("name")) for _, v in versions.maps() if v.get("served") is not False] \
                if versions is not None else []
            if not served and isinstance(spec.get("version"), str):
                served = [spec["version"]]
            self.served.setdefault((group, kind), []).extend(served)
            for key, schema in schemas.crd_schemas(crd).items():
                self.schemas.setdefault(key, schema)
                found = self.alternatives.setdefault(key, [])
                if len(found) < MAX_ALTERNATIVES and all(schema != other for other in found):
                    found.append(schema)


    def first_of(self, group: str, kind: str) -> Resource | None:
        """The first object of a kind in a group (one index walk per run, not one per object)."""
        if self._first is None:
            self._first = {}
            for resource in self.index.resources:
                self._first.setdefault((resource.group, resource.kind), resource)
        return self._first.get((group, kind))


# Per-run lookups, keyed by the identity of objects the entry keeps alive (so an id is never reused
# while its entry exists). Small and bounded: a run has one index.
_CRDS: dict[int, tuple[ProjectIndex, _CrdSchemas]] = {}
_CUSTOM: dict[tuple[int, str, bool], tuple[Mapping[str, Any], SchemaValidator]] = {}


def crds_of(index: ProjectIndex) -> _CrdSchemas:
    found = _CRDS.get(id(index))
    if found is None or found[0] is not index:
        if len(_CRDS) >= 4:
            _CRDS.clear()
        found = (index, _CrdSchemas(index))
        _CRDS[id(index)] = found
    return found[1]


def _custom_validator(schema: Mapping[str, Any], version: str, strict: bool) -> SchemaValidator:
    key = (id(schema), version, strict)
    found = _CUSTOM.get(key)
    if found is None or found[0] is not schema:
        if len(_CUSTOM) >= 512:
            _CUSTOM.clear()
        try:
            validator = schemas.custom_validator(version, schema, strict)
        except RecursionError:  # a CRD schema nested hundreds of levels deep: not judged
            validator = SchemaValidator({})
        found = (schema, validator)
        _CUSTOM[key] = found
    return found[1]


MAX_ALTERNATIVES = 64
"""Different schemas kept per custom kind (a budget: a repository of releases holds one per release)."""


def _alternative_validators(resource: Resource, ctx: RuleContext, strict: bool) -> list[SchemaValidator]:
    """The other CRDs' validators for a custom resource whose kind several CRD files define."""
    key = (resource.api_version, resource.kind)
    schemas_found = crds_of(ctx.index).alternatives.get(key, [])
    if len(schemas_found) < 2:
        return []
    version = target_version(ctx)
    # Later files first: release folders list the newest last.
    return [_custom_validator(schema, version, strict) for schema in reversed(schemas_found[1:])]


def _validator_for(resource: Resource, ctx: RuleContext, strict: bool) -> SchemaValidator | None:
    # The same answer for every object of one apiVersion and kind in a run (an index): looked up once.
    memo = ctx.index.derived.get("schema-validators")
    if memo is None:
        memo = ctx.index.derived["schema-validators"] = {}
    key = (resource.api_version, resource.kind, strict, ctx.config.k8s_version)
    if key in memo:
        found: SchemaValidator | None = memo[key]
        return found
    found = memo[key] = _find_validator(resource.api_version, resource.kind, ctx, strict)
    return found


def _find_validator(api_version: str, kind: str, ctx: RuleContext, strict: bool) -> SchemaValidator | None:
    if schemas.is_tool_config(api_version, kind):
        return None
    version = target_version(ctx)
    custom = crds_of(ctx.index).schemas.get((api_version, kind))
    if custom is not None:
        return _custom_validator(custom, version, strict)
    if schemas.is_builtin_group(api_version):
        def_name = schemas.builtin_def(version, api_version, kind)
        return schemas.builtin_validator(version, def_name, strict) if def_name else None
    return None


@rule(
    code="KS901", name="schema-violation", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="Object does not match the schema of its kind in the target Kubernetes version",
    rationale="The API server rejects objects with unknown fields (kubectl validates strictly by default), "
              "wrong types or missing required fields, so `kubectl apply` fails at deploy time; a misspelt "
              "optional field such as `livenessprobe` is worse: with lenient validation it is silently "
              "dropped. Custom resources are checked against the CRDs found in the linted files.",
    fix="Correct the field at the reported position: the message names the expected field or type. "
        "Set `--k8s-version` to the cluster's version; set `strict: false` to allow unknown fields.",
    tags=("correctness", "schema"),
    parameters={"strict": Parameter(True, "Report unknown fields (additionalProperties), as kubectl's "
                                          "default strict field validation does.")},
)
def schema_violation(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind == "CustomResourceDefinition":
        yield from _unchecked_patterns(resource)
    strict = bool(ctx.params.get("strict", True))
    validator = _validator_for(resource, ctx, strict)
    if validator is None or validator.is_valid(resource.body):
        return
    issues = validator.issues(resource.body, skip=_unknowable)
    for other in _alternative_validators(resource, ctx, strict) if issues else []:
        found = other.issues(resource.body, skip=_unknowable)
        if not found:
            return  # valid against another CRD of the same kind in the files
        if len(found) < len(issues):
            issues = found
    # A kustomize patch (named in a kustomization, or carrying `$patch`-style directives) is a partial
    # object: fields it leaves out are not missing, and its `$` keys are merge directives.
    facts = kustomize_facts_of(ctx.index)
    patch = ctx.index.is_patch(resource) or any(_is_directive(issue.path) for issue in issues) \
        or looks_partial(resource, issues, facts)
    for issue in issues:
        if patch and (issue.validator == "required" or _is_directive(issue.path)):
            continue
        if (patch or _written_by_patch(issue.span, ctx)) and issue.validator == "additionalProperties" \
                and "did you mean" not in issue.message:
            # A field in a patch that is no near-miss of a known one is meant for the tool that reads the
            # build's output (OLM's containerPort on webhooks); a misspelt field is still reported.
            continue
        if issue.validator == "additionalProperties" and issue.path and issue.path[-1] == "creationTimestamp" \
                and _value_at(resource.body, issue.path) is None:
            continue  # `creationTimestamp: null`, as Go clients serialise every object's metadata
        if issue.validator == "required" and "'selector'" in issue.message and selector_from_kustomize(resource, facts):
            continue
        yield Violation(f"{issue.message} ({resource.display})", Location.of(resource.path, issue.span))


_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("items", "additionalProperties", "not")


def _unchecked_patterns(crd: Resource) -> Iterator[Violation]:
    """A KL013 at each `pattern:` of a CRD's schemas that custom resources are not checked against: RE2
    cannot express it (lookaround, backreferences; RE2 keeps matching linear in time, the patterns come
    with the pull request), so it used to be skipped silently."""
    seen: set[int] = set()
    for schema in schemas.crd_schemas(crd).values():
        pending: list[Any] = [schema]
        while pending:  # bounded: each node of the document once (aliases included)
            node = pending.pop()
            if not isinstance(node, YMap) or id(node) in seen:
                continue
            seen.add(id(node))
            pattern = node.get("pattern")
            if isinstance(pattern, str) and not schemas.checkable_pattern(pattern):
                shown = pattern if len(pattern) <= 80 else pattern[:80] + "..."
                yield Incomplete(f"KS901 (schema-violation) does not check values against the pattern {shown!r} "
                                 f"of {crd.display}: it is matched by RE2, which cannot express it (lookaround, "
                                 "backreferences); Kubernetes matches patterns with Go's regexp (RE2 syntax)",
                                 Location.of(crd.path, node.value_span("pattern")))
            properties = node.get("properties")
            if isinstance(properties, YMap):
                pending.extend(properties.values())
            for key in _SCHEMA_ONE:
                pending.append(node.get(key))
            for key in _SCHEMA_LISTS:
                found = node.get(key)
                if isinstance(found, YList):
                    pending.extend(found)
            items = node.get("items")
            if isinstance(items, YList):
                pending.extend(items)


def _written_by_patch(span: Span | None, ctx: RuleContext) -> bool:
    """A value of a built kustomize object that a patch file wrote (its span names that file)."""
    if not isinstance(span, FileSpan) or not ctx.index.patch_files:
        return False
    from kubelint_py.building.kustomize import normalise

    return normalise(span.path) in ctx.index.patch_files


def _unknowable(value: Any, keyword: str) -> bool:
    return is_placeholder(value)


def _value_at(body: Any, path: tuple[Any, ...]) -> Any:
    node = body
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _is_directive(path: tuple[Any, ...]) -> bool:
    """Strategic merge patch directives: $patch, $retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/..."""
    return bool(path) and isinstance(path[-1], str) and path[-1].startswith("$")


_LEVEL = re.compile(r"v(\d+)(?:(alpha|beta)(\d+))?$")


def _stability(api_version: str) -> tuple[int, int, int]:
    """GA beats beta beats alpha; then the higher number: v1 > v1beta2 > v1beta1 > v1alpha3."""
    match = _LEVEL.match(api_version.rpartition("/")[2])
    if match is None:
        return (0, 0, 0)
    level = {"alpha": 1, "beta": 2}.get(match.group(2) or "", 3)
    return (level, int(match.group(1)), int(match.group(3) or 0))


def _version_range(versions: list[str]) -> str:
    if len(versions) == 1:
        return versions[0]
    return f"{versions[0]} to {versions[-1]}"


@rule(
    code="KS902", name="unknown-api-version-or-kind", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="apiVersion or kind does not exist in the target Kubernetes version",
    rationale="The API server has no endpoint for an apiVersion/kind pair it does not serve: `kubectl apply` "
              "fails with 'no matches for kind'. Usually a typo in kind, an API version that was removed "
              "(or is newer than the cluster), or a custom resource whose CRD does not serve that version. "
              "OpenShift's kinds under the group-less `v1` of its 3.x API (Template, DeploymentConfig, Route, "
              "ImageStream, ...) are not reported: OpenShift serves them.",
    fix="Use an apiVersion that serves this kind in the target version (the message names one), fix the "
        "kind's spelling, or set `--k8s-version` to the cluster's version.",
    tags=("correctness", "schema"),
)
def unknown_api_version_or_kind(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    api_version, kind = resource.api_version, resource.kind
    version = target_version(ctx)
    # The answer depends on the pair, the target version and the project's CRDs only: pairs found fine
    # are remembered for this run's index (most objects share a handful of pairs).
    fine: set[tuple[str, str, str]] | None = ctx.index.derived.get("ks902_fine")
    if fine is None:
        fine = ctx.index.derived["ks902_fine"] = set()
    if (api_version, kind, version) in fine:
        return
    found = list(_unknown_api_version_or_kind(resource, ctx, version))
    if not found and len(fine) < 10_000:  # pairs are the repository's to invent
        fine.add((api_version, kind, version))
    yield from found


OPENSHIFT_LEGACY_KINDS = frozenset({
    "Template", "DeploymentConfig", "BuildConfig", "Build", "ImageStream", "ImageStreamTag", "ImageStreamImport",
    "Route", "Project", "ProjectRequest", "SecurityContextConstraints", "ClusterResourceQuota", "OAuthClient",
})
"""Kinds OpenShift serves under the group-less `v1` of its 3.x API (oc still reads them: jupyter's
docker-stacks ships `v1` Templates for OpenShift). Not Kubernetes', but not certainly wrong: not reported."""


def _unknown_api_version_or_kind(resource: Resource, ctx: RuleContext, version: str) -> Iterator[Violation]:
    api_version, kind = resource.api_version, resource.kind
    if not api_version or not kind or (api_version, kind) in REMOVED_APIS:
        return  # removed APIs are the deprecated-API rule's findings
    if schemas.is_tool_config(api_version, kind) or (api_version == "v1" and kind in OPENSHIFT_LEGACY_KINDS):
        return
    crds = crds_of(ctx.index)
    group, _, api_level = api_version.rpartition("/")
    if (group, kind) in crds.kinds:
        served = crds.served.get((group, kind), [])
        if served and api_level not in served:
            yield Violation(f"the CustomResourceDefinition for {kind} does not serve version '{api_level}' "
                            f"(served: {', '.join(dict.fromkeys(served))}) ({resource.display})",
                            resource.at(resource.body, "apiVersion"))
        return
    if not schemas.is_builtin_group(api_version) or schemas.builtin_def(version, api_version, kind):
        return
    elsewhere = schemas.versions_with(api_version, kind)
    current = sorted(schemas.api_versions_of(version, kind), key=_stability, reverse=True)
    use = f"; use {current[0]}" if current else ""
    if elsewhere:
        when = "was removed before" if version_tuple(elsewhere[-1]) < version_tuple(version) \
            else "is not served yet in"
        yield Violation(f"{api_version} {kind} {when} Kubernetes {version} (served in "
                        f"{_version_range(elsewhere)}){use} ({resource.display})",
                        resource.at(resource.body, "apiVersion"))
        return
    if current:
        yield Violation(f"{kind} is not served as {api_version} in Kubernetes {version}{use} "
                        f"({resource.display})", resource.at(resource.body, "apiVersion"))
        return
    removed = sorted((av, change.removed_in) for (av, k), change in REMOVED_APIS.items() if k == kind)
    if removed:
        was = ", ".join(f"{av} until {removed_in}" for av, removed_in in removed)
        yield Violation(f"{kind} is not served in Kubernetes {version} as {api_version} or any other apiVersion "
                        f"(it was served as {was}) ({resource.display})", resource.at(resource.body, "apiVersion"))
        return
    known = [k for k in schemas.kinds_in(version, api_version) if not k.endswith("List")]
    hint = suggest(kind, known) if known else None
    if known:
        detail = f", did you mean '{hint}'?" if hint else f" (it serves {', '.join(known[:8])}" \
            f"{', ...' if len(known) > 8 else ''})"
        yield Violation(f"kind '{kind}' does not exist in {api_version} in Kubernetes {version}{detail}",
                        resource.at(resource.body, "kind"))
    else:
        yield Violation(f"apiVersion '{api_version}' does not exist in Kubernetes {version} "
                        f"({resource.display})", resource.at(resource.body, "apiVersion"))


@rule(
    code="KS903", name="custom-resource-without-schema", target=Target.K8S_OBJECT, severity=Severity.INFO,
    summary="Custom resource kind has no known schema, so its fields are not validated",
    rationale="Without its CustomResourceDefinition, a custom resource can only be linted as a generic "
              "object: typos and wrong types in its spec go unnoticed until the API server rejects them. "
              "Reported once per kind, not per object.",
    fix="Add the CRD (with its openAPIV3Schema) to the linted paths, e.g. the operator's CRD manifests, or "
        "ignore KS903 for kinds whose CRDs live elsewhere.",
    tags=("schema",),
)
def custom_resource_without_schema(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    api_version, kind = resource.api_version, resource.kind
    if not api_version or not kind or schemas.is_builtin_group(api_version) \
            or schemas.is_tool_config(api_version, kind):
        return
    crds = crds_of(ctx.index)
    group = api_version.rpartition("/")[0]
    if (api_version, kind) in crds.schemas or (group, kind) in crds.kinds:
        return  # validated, or its CRD does not serve this version (KS902)
    if crds.first_of(group, kind) is not resource:
        return
    yield Violation(f"no schema for custom resource kind {kind} ({api_version}): add its "
                    "CustomResourceDefinition to the linted paths to validate it; objects of this kind are "
                    "linted as generic objects", resource.at(resource.body, "kind"))
