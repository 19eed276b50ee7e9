"""Selector and port rules that look across objects: Services, Ingresses, PodDisruptionBudgets,
NetworkPolicies and HorizontalPodAutoscalers against the workloads they are meant for."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.building.boundaries import boundaries_of
from kubelint_py.checks.kubernetes._common import declared_ports
from kubelint_py.checks.kubernetes._operators import OPERATOR_POD_LABELS, pod_template_labels
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Parameter, Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import WORKLOAD_KINDS, IngressView, LabelSelector, Resource, ServiceView, Workload
from kubelint_py.parsing.placeholders import is_placeholder

# Built-in kinds: objects of any other kind (custom resources) may be operators that create pods.
_BUILTIN_GROUPS = ("", "apps", "batch", "v1", "networking.k8s.io", "policy", "autoscaling", "rbac.authorization.k8s.io",
                   "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io",
                   "discovery.k8s.io", "scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io",
                   "apiregistration.k8s.io", "events.k8s.io", "extensions", "flowcontrol.apiserver.k8s.io")


# Labels that controllers add to the pods they create, never written in a pod template.
CONTROLLER_LABELS = frozenset({"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
                               "controller-revision-hash", "pod-template-hash", "pod-template-generation",
                               "controller-uid", "job-name", "batch.kubernetes.io/job-name",
                               "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-completion-index",
                               "deployment", "deploymentconfig", "openshift.io/deployer-pod-for.name"})
# Pods every cluster runs without manifests in the repository: kubeadm's static control-plane pods
# and the usual kube-system add-ons.
CLUSTER_POD_LABELS = frozenset({("component", "kube-apiserver"), ("component", "kube-controller-manager"),
                                ("component", "kube-scheduler"), ("component", "etcd"),
                                ("k8s-app", "kube-dns"), ("k8s-app", "kube-proxy"), ("k8s-app", "kubelet")})


def without_controller_labels(selector: LabelSelector) -> LabelSelector:
    return LabelSelector(tuple(p for p in selector.match_labels if p[0] not in CONTROLLER_LABELS),
                         tuple(e for e in selector.expressions if e[0] not in CONTROLLER_LABELS))


def selected(index: ProjectIndex, namespace: str | None, selector: LabelSelector) -> list[Workload]:
    return index.workloads_selected(namespace, without_controller_labels(selector))


def selected_related(index: ProjectIndex, owner: Resource, selector: LabelSelector) -> list[Workload]:
    """Workloads of the owner's namespace that the selector matches, in the owner's project (see
    building/boundaries.py: an unrelated sample of a monorepo neither satisfies nor judges it)."""
    found = selected(index, index.namespace_of(owner), selector)
    if not found:
        return found
    bounds = boundaries_of(index)
    return [w for w in found if bounds.related(owner.path, w.resource.path)]


def _elsewhere(index: ProjectIndex, owner: Resource, selector: LabelSelector) -> tuple[str, tuple[Related, ...]]:
    """Why nothing was selected when matching pods exist outside the owner's namespace or project: a hint
    for the message and the places."""
    namespace = index.namespace_of(owner)
    bounds = boundaries_of(index)
    others = [w for w in index.workloads_selected_anywhere(without_controller_labels(selector))
              if index.namespace_of(w.resource) != namespace or not bounds.related(owner.path, w.resource.path)]
    in_namespace = [w for w in others if index.namespace_of(w.resource) == namespace]
    related = tuple(Related(o.resource.location, f"matching pods in namespace '{index.namespace_of(o.resource)}'"
                            if index.namespace_of(o.resource) != namespace else
                            "matching pods in an unrelated project folder") for o in others[:3])
    if in_namespace:
        return (f" (pods with these labels exist only in an unrelated project folder, "
                f"{bounds.of(in_namespace[0].resource.path) or '.'}/)"), related
    return (" (pods with these labels exist only in another namespace)" if others else ""), related


def cluster_provided(selector: LabelSelector) -> bool:
    return any(pair in CLUSTER_POD_LABELS for pair in selector.match_labels)


def _custom_pod_labels(resource: Resource) -> list[dict[str, str]]:
    """Labels a custom resource may give the pods it makes: its own, and those of every pod template it
    carries, wherever it is (Argo Rollout `spec.template`, Prometheus `spec.podMetadata`, JobSet
    `replicatedJobs[].template.spec.template`, LeaderWorkerSet `leaderWorkerTemplate.leaderTemplate`, ...)."""
    found = [resource.labels] if resource.labels else []
    labels = resource.lookup("spec", "podMetadata", "labels")
    if isinstance(labels, dict) and labels:
        found.append({str(k): str(v) for k, v in labels.items()})
    found.extend(pod_template_labels(resource.spec))
    return found


def operator_may_create(index: ProjectIndex, namespace: str | None, selector: LabelSelector) -> Resource | None:
    """A custom resource in the namespace whose labels the selector matches: operators (Prometheus,
    Elasticsearch, Argo Rollouts, ...) label the pods they create like the resource that asks for them.
    Operators also label pods with the resource's own name (`cnpg.io/cluster: <name>`, `strimzi.io/cluster`,
    `leaderworkerset.sigs.k8s.io/name`, ...): a selector value equal to a custom resource's name in the
    namespace is possibly satisfied too (see _operators.OPERATOR_POD_LABELS for the known ones)."""
    if not selector.match_labels and not selector.expressions:
        return None
    selector = without_controller_labels(selector)
    for resource in _custom_resources(index).get(namespace, ()):
        if any(selector.matches(labels) for labels in _custom_pod_labels(resource)):
            return resource
        if resource.name and any(value == resource.name or key in OPERATOR_POD_LABELS
                                 for key, value in selector.match_labels):
            return resource
    return None


def _custom_resources(index: ProjectIndex) -> dict[str | None, list[Resource]]:
    """Custom resources by namespace, in index order: built once per run (a scan of every object for
    every Service that selects nothing was quadratic, 8 s on a 5,000-file repository)."""
    found: dict[str | None, list[Resource]] | None = index.derived.get("ks501_custom_resources")
    if found is None:
        found = {}
        for resource in index.resources:
            if resource.group not in _BUILTIN_GROUPS and resource.kind not in WORKLOAD_KINDS:
                found.setdefault(index.namespace_of(resource), []).append(resource)
        index.derived["ks501_custom_resources"] = found
    return found


@rule(
    code="KS501", name="service-selects-nothing", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service selector matches no pod template in its namespace",
    rationale="A Service whose selector matches no pods has no endpoints: every request to it fails. "
              "This is usually a typo in a label or a namespace mismatch.",
    fix="Make `spec.selector` equal to labels of the pod template of the workload it should reach "
        "(same namespace), or remove the selector if the endpoints are managed by hand.",
    tags=("reliability", "cross-object"), aliases=("dangling-service",),
)
def service_selects_nothing(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for service in index.of_kind("Service"):
        spec = service.spec
        view = ServiceView(service)
        if view.type == "ExternalName":
            continue
        selector = view.selector
        # No selector means endpoints are managed by hand (Endpoints/EndpointSlices): not dangling.
        if selector is None or selector.is_empty:
            continue
        namespace = index.namespace_of(service)
        if selected_related(index, service, selector) or cluster_provided(selector) \
                or operator_may_create(index, namespace, selector):
            continue
        wanted = ", ".join(f"{k}={v}" for k, v in selector.match_labels)
        hint, related = _elsewhere(index, service, selector)
        yield Violation(f"Service '{service.name}' selects pods with {wanted} but no pod template in "
                        f"namespace '{namespace}' has these labels{hint}",
                        service.at(spec, "selector", on_key=True), related)


@rule(
    code="KS502", name="service-target-port-not-declared", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service targetPort is not declared by any selected container",
    rationale="A named targetPort that no selected container defines leaves the Service without "
              "endpoints for that port; a numeric one missing from containers that list their ports is "
              "usually a stale or mistyped port, and connections are refused.",
    fix="Set targetPort to a port name or number the selected containers declare, or declare the port.",
    tags=("reliability", "cross-object"),
    parameters={"numeric_ports": Parameter(False, "Also check numeric targetPorts against containers that "
                                                  "declare ports (declaring ports is optional in Kubernetes, "
                                                  "so a number they do not list is legal and common).")},
)
def service_target_port_not_declared(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for service in index.of_kind("Service"):
        view = ServiceView(service)
        selector = view.selector
        ports = service.spec.get_list("ports")
        if selector is None or selector.is_empty or ports is None or view.type == "ExternalName":
            continue
        workloads = selected_related(index, service, selector)
        if not workloads:
            continue  # KS501 reports a Service that selects nothing
        numbers: set[int] = set()
        names: set[str] = set()
        for workload in workloads:
            for container in workload.iter_containers(init=False):
                found_numbers, found_names = declared_ports(container)
                numbers |= found_numbers
                names |= found_names
        for _, port in ports.maps():
            target = port.get("targetPort", port.get("port"))
            key = "targetPort" if "targetPort" in port else "port"
            if isinstance(target, str) and not target.isdigit():
                if target in names or is_placeholder(target):
                    continue
                detail = f"named port '{target}'"
            elif isinstance(target, int) and not isinstance(target, bool):
                # Declaring ports is optional: only containers that list some are held to them.
                if not ctx.params["numeric_ports"] or not numbers or target in numbers or target < 1:
                    continue
                detail = f"port {target}"
            else:
                continue
            related = (Related(workloads[0].resource.location, "selected workload"),)
            yield Violation(f"Service '{service.name}' targets {detail}, which no container of the selected "
                            f"pods ({', '.join(sorted({w.resource.display for w in workloads})[:3])}) declares; "
                            "fix targetPort or declare the port", service.at(port, key), related)


@rule(
    code="KS503", name="ingress-port-not-exposed", target=Target.K8S_OBJECT, kinds=("Ingress",),
    severity=Severity.WARNING,
    summary="Ingress backend uses a port its Service does not expose",
    rationale="The ingress controller cannot route to a Service port that does not exist: requests to "
              "that path get a 503.",
    fix="Use one of the Service's `ports` (its `port` number or its `name`) in the backend.",
    tags=("reliability", "cross-object"),
)
def ingress_port_not_exposed(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "Ingress":
        return
    namespace = ctx.index.namespace_of(resource)
    for _, name, port, holder, field in IngressView(resource).backends():
        if port is None:
            continue
        services = ctx.index.get("Service", namespace, name)
        if not services:
            continue  # KS609 reports a missing Service
        numbers: set[int] = set()
        names: set[str] = set()
        for service in services:
            for item in ServiceView(service).ports:
                if isinstance(item.get("port"), int):
                    numbers.add(item["port"])
                if isinstance(item.get("name"), str):
                    names.add(item["name"])
        if isinstance(port, int) and not isinstance(port, bool):
            if port in numbers:
                continue
        elif isinstance(port, str):
            if port in names or (port.isdigit() and int(port) in numbers) or port == "use-annotation" \
                    or is_placeholder(port):
                continue  # AWS Load Balancer Controller's `use-annotation`: the action is in an annotation
        else:
            continue
        known = ", ".join([str(n) for n in sorted(numbers)] + sorted(names))
        exposes = f"exposes only {known}; use one of those" if known else "exposes no ports; add the port"
        yield Violation(f"Ingress '{resource.name}' uses port {port!s} of Service '{name}', which {exposes}",
                        resource.at(holder, field),
                        (Related(services[0].location, f"Service '{name}'"),))


def _selects_nothing(index: ProjectIndex, resource: Resource, selector: LabelSelector, what: str) -> \
        Iterator[Violation]:
    namespace = index.namespace_of(resource)
    if selector.is_empty or selected_related(index, resource, selector) or cluster_provided(selector) \
            or operator_may_create(index, namespace, selector):
        return
    wanted = ", ".join([f"{k}={v}" for k, v in selector.match_labels]
                       + [f"{k} {op} {list(v)}" for k, op, v in selector.expressions])
    subject = f"{resource.display} {what}" if what else resource.display
    hint, related = _elsewhere(index, resource, selector)
    yield Violation(f"{subject} selects pods with {wanted}, but no pod template in namespace '{namespace}' has "
                    f"these labels{hint}; fix the selector",
                    resource.key_location(resource.spec, "selector" if resource.kind == "PodDisruptionBudget"
                                          else "podSelector"), related)


@rule(
    code="KS504", name="pdb-selects-nothing", target=Target.PROJECT, severity=Severity.WARNING,
    summary="PodDisruptionBudget selector matches no pods",
    rationale="A PodDisruptionBudget that selects nothing protects nothing: node drains evict the pods "
              "it was meant to keep available.",
    fix="Make the selector match the pod template labels of the workload to protect (same namespace).",
    tags=("reliability", "cross-object"),
)
def pdb_selects_nothing(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for pdb in index.of_kind("PodDisruptionBudget"):
        selector = LabelSelector.parse(pdb.spec.get_map("selector"))
        if selector is not None:
            yield from _selects_nothing(index, pdb, selector, "")


@rule(
    code="KS505", name="network-policy-selects-nothing", target=Target.PROJECT, severity=Severity.WARNING,
    summary="NetworkPolicy podSelector matches no pods",
    rationale="A NetworkPolicy whose podSelector matches no pods enforces nothing; the pods it was meant "
              "to isolate stay open. (`podSelector: {}` selects every pod and is fine.)",
    fix="Make podSelector match the pod template labels of the workloads to isolate (same namespace).",
    tags=("security", "cross-object"),
)
def network_policy_selects_nothing(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for policy in index.of_kind("NetworkPolicy"):
        if policy.group != "networking.k8s.io":
            continue  # e.g. Calico's projectcalico.org NetworkPolicy uses a different selector syntax
        selector = LabelSelector.parse(policy.spec.get_map("podSelector"))
        if selector is not None:
            yield from _selects_nothing(index, policy, selector, "podSelector")


def _percent(value: object) -> int | None:
    if isinstance(value, str) and value.endswith("%") and value[:-1].strip().isdigit():
        return int(value[:-1])
    return None


_COUNTED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DeploymentConfig"})


@rule(
    code="KS506", name="pdb-blocks-eviction", target=Target.PROJECT, severity=Severity.WARNING,
    summary="PodDisruptionBudget never allows an eviction",
    rationale="With maxUnavailable 0, or minAvailable equal to (or above) the number of replicas, no "
              "pod may ever be evicted: node drains and cluster upgrades hang until someone deletes the "
              "budget by hand.",
    fix="Allow at least one disruption: `maxUnavailable: 1`, or minAvailable below the replica count.",
    tags=("reliability", "cross-object"),
)
def pdb_blocks_eviction(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for pdb in index.of_kind("PodDisruptionBudget"):
        spec = pdb.spec
        if "maxUnavailable" in spec:
            value = spec["maxUnavailable"]
            if (value == 0 and not isinstance(value, bool)) or _percent(value) == 0:
                yield Violation(f"PodDisruptionBudget '{pdb.name}' sets maxUnavailable {value}: no pod can "
                                "ever be evicted, so node drains hang; allow at least 1",
                                pdb.at(spec, "maxUnavailable"))
            continue
        if "minAvailable" not in spec:
            continue
        value = spec["minAvailable"]
        if _percent(value) == 100:
            yield Violation(f"PodDisruptionBudget '{pdb.name}' requires minAvailable 100%: no pod can ever be "
                            "evicted; lower it", pdb.at(spec, "minAvailable"))
            continue
        selector = LabelSelector.parse(spec.get_map("selector"))
        if not isinstance(value, int) or isinstance(value, bool) or selector is None or selector.is_empty:
            continue
        workloads = selected_related(index, pdb, selector)
        if not workloads or any(w.kind not in _COUNTED_KINDS for w in workloads):
            continue
        # An autoscaled workload may be scaled down to its autoscaler's minReplicas (default 1): the budget
        # must allow an eviction there too. An autoscaler of an unrelated sample does not count.
        counted = [index.fewest_replicas(w) for w in workloads]
        if any(count is None for count, _ in counted):
            continue
        total = sum(count for count, _ in counted if count is not None)
        autoscaled = any(scaled for _, scaled in counted)
        if value >= total:
            where = " at the autoscaler's minReplicas" if autoscaled else ""
            yield Violation(f"PodDisruptionBudget '{pdb.name}' requires minAvailable {value} but the selected "
                            f"pods have {total} replica(s) in total{where}: no pod can then be evicted; lower "
                            "minAvailable or add replicas", pdb.at(spec, "minAvailable"),
                            tuple(Related(w.resource.location, "selected workload") for w in workloads[:3]))


@rule(
    code="KS507", name="hpa-target-has-replicas", target=Target.PROJECT, severity=Severity.INFO,
    summary="Workload sets fixed replicas while an autoscaler manages it",
    rationale="Every `kubectl apply` resets the replica count to the fixed value, undoing the "
              "autoscaler's decision until it scales again: a scale-down in the middle of a load peak.",
    fix="Remove `spec.replicas` from the workload and let the HorizontalPodAutoscaler own it.",
    tags=("reliability", "cross-object"),
)
def hpa_target_has_replicas(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    for kind, namespace, name in index.autoscalers():
        for resource in index.get(kind, namespace, name):
            hpa = index.autoscaler_of(resource)
            if hpa is not None and "replicas" in resource.spec:
                yield Violation(f"{resource.display} sets replicas while HorizontalPodAutoscaler '{hpa.name}' "
                                "scales it; remove spec.replicas", resource.at(resource.spec, "replicas", on_key=True),
                                (Related(hpa.at(hpa.spec, "scaleTargetRef", on_key=True), "the autoscaler"),))
