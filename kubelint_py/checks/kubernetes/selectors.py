"""Selector rules that look across objects."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.engine import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.index import ProjectIndex
from kubelint_py.models.kubernetes import LabelSelector


@rule(
    code="KS501", name="service-selects-nothing", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service selector matches no pod template in its namespace",
    rationale="A Service whose selector matches no pods has no endpoints: every request to it fails. "
              "This is usually a typo in a label or a namespace mismatch.",
    fix="Make `spec.selector` equal to labels of the pod template of the workload it should reach "
        "(same namespace), or remove the selector if the endpoints are managed by hand.",
    tags=("reliability", "cross-object"),
)
def service_selects_nothing(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for service in index.of_kind("Service"):
        spec = service.spec
        if spec.get("type") == "ExternalName":
            continue
        selector_node = spec.get_map("selector")
        selector = LabelSelector.parse(selector_node, plain=True)
        # No selector means endpoints are managed by hand (Endpoints/EndpointSlices): not dangling.
        if selector is None or selector.is_empty:
            continue
        namespace = index.namespace_of(service)
        if index.workloads_selected(namespace, selector):
            continue
        wanted = ", ".join(f"{k}={v}" for k, v in selector.match_labels)
        others = [w for w in index.workloads_selected_anywhere(selector) if index.namespace_of(w.resource) != namespace]
        related = tuple(Related(o.resource.location, f"matching pods in namespace "
                                f"'{index.namespace_of(o.resource)}'") for o in others[:3])
        hint = " (pods with these labels exist only in another namespace)" if others else ""
        yield Violation(f"Service '{service.name}' selects pods with {wanted} but no pod template in "
                        f"namespace '{namespace}' has these labels{hint}",
                        service.at(spec, "selector", on_key=True), related)
