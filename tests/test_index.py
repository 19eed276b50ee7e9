"""The project index: namespaces, lookups, label selectors, external objects."""

from __future__ import annotations

from kubelint_py.engine.index import ProjectIndex
from kubelint_py.models.kubernetes import LabelSelector, Resource
from kubelint_py.parsing.yaml import load_yaml

TEXT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api, tier: backend}}
    spec: {containers: [{name: api, image: "api:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, labels: {app: api}}
spec: {containers: [{name: sh, image: "busybox:1.36"}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
"""


def _index(**kwargs: object) -> ProjectIndex:
    stream = load_yaml(TEXT)
    resources = [Resource("x.yaml", d.index, d.value, d.span) for d in stream.documents]
    return ProjectIndex.build(resources, **kwargs)  # type: ignore[arg-type]


def test_namespaces_resolve_default_and_cluster_scope() -> None:
    index = _index()
    deployment, pod, namespace = index.resources
    assert index.namespace_of(deployment) == "shop"
    assert index.namespace_of(pod) == "default"
    assert index.namespace_of(namespace) is None
    assert index.exists("Pod", "default", "debug")
    assert not index.exists("Pod", "shop", "debug")
    assert index.exists("Namespace", None, "shop")


def test_configured_default_namespace() -> None:
    index = _index(default_namespace="shop")
    assert index.exists("Pod", "shop", "debug")


def test_label_selector_matching_respects_namespace_and_expressions() -> None:
    index = _index()
    by_labels = LabelSelector(match_labels=(("app", "api"),), expressions=())
    assert [w.resource.name for w in index.workloads_selected("shop", by_labels)] == ["api"]
    assert [w.resource.name for w in index.workloads_selected("default", by_labels)] == ["debug"]
    backend = LabelSelector((("app", "api"),), (("tier", "In", ("backend", "web")),))
    assert [w.resource.name for w in index.workloads_selected("shop", backend)] == ["api"]
    assert index.workloads_selected("default", backend) == []
    not_backend = LabelSelector((), (("tier", "DoesNotExist", ()),))
    assert [w.resource.name for w in index.workloads_selected("default", not_backend)] == ["debug"]
    everything = LabelSelector((), ())
    assert len(index.workloads_selected("shop", everything)) == 1


def test_external_objects_patterns() -> None:
    index = _index(external_objects=("Secret/prod/tls-cert", "ServiceAccount/*/default", "ClusterRole/view"))
    assert index.exists("Secret", "prod", "tls-cert")
    assert not index.exists("Secret", "dev", "tls-cert")
    assert index.exists("ServiceAccount", "anything", "default")
    assert index.exists("ClusterRole", None, "view")


def test_autoscaler_map_is_built_once_per_index() -> None:
    """KS506 asks whether each selected workload is autoscaled for every PodDisruptionBudget: the map of
    autoscaler targets must be built once per run, not once per question (it was O(PDBs x HPAs))."""
    from kubelint_py.checks.kubernetes import selectors
    from kubelint_py.engine.config import Config
    from kubelint_py.engine.registry import RuleContext

    parts = []
    for n in range(20):
        parts.append(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{n}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app{n}}}}}
  template:
    metadata: {{labels: {{app: app{n}}}}}
    spec: {{containers: [{{name: c, image: "c:1"}}]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: pdb{n}}}
spec: {{minAvailable: 1, selector: {{matchLabels: {{app: app{n}}}}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: hpa{n}}}
spec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: other{n}}}, maxReplicas: 3}}
""")
    stream = load_yaml("---\n".join(parts))
    index = ProjectIndex.build([Resource("x.yaml", d.index, d.value, d.span) for d in stream.documents])
    calls = []
    original = index.of_kind

    def counting(kind: str) -> object:
        if kind == "HorizontalPodAutoscaler":
            calls.append(kind)
        return original(kind)

    index.of_kind = counting  # type: ignore[method-assign]
    found = list(selectors.pdb_blocks_eviction(index, RuleContext(index, Config(), {})))
    assert not found  # minAvailable 1 of 2 replicas each: evictions allowed
    # One walk over the autoscalers for the map, plus the cheap emptiness checks per workload.
    assert calls.count("HorizontalPodAutoscaler") <= 21
    assert "hpa_targets" in index.derived


class _CountingSet(set[int]):
    """A posting set of the label index that counts the elements walked out of it."""

    walked = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for item in super().__iter__():
            _CountingSet.walked += 1
            yield item


def test_a_selector_walks_only_its_rarest_label() -> None:
    """Selectors that start with a label every workload shares (Helm's app.kubernetes.io/part-of) cost
    the workloads with their rarest label, not the namespace's: no Services x workloads product."""
    count = 200
    text = "---\n".join(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{i}, namespace: shop}}
spec:
  template:
    metadata: {{labels: {{app.kubernetes.io/part-of: shop, app.kubernetes.io/name: app-{i}}}}}
    spec: {{containers: [{{name: a, image: "a:1"}}]}}
""" for i in range(count))
    resources = [Resource("x.yaml", d.index, d.value, d.span) for d in load_yaml(text).documents]
    index = ProjectIndex.build(resources)
    for key, positions in list(index._label_index.items()):
        index._label_index[key] = _CountingSet(positions)
    _CountingSet.walked = 0
    for i in range(count):
        selector = LabelSelector((("app.kubernetes.io/part-of", "shop"), ("app.kubernetes.io/name", f"app-{i}")), ())
        assert [w.resource.name for w in index.workloads_selected("shop", selector)] == [f"app-{i}"]
    assert _CountingSet.walked == count  # one element per selector (was count * count copied)
    _CountingSet.walked = 0
    common = LabelSelector((("app.kubernetes.io/part-of", "shop"),), ())
    assert len(index.workloads_selected("shop", common)) == count
    assert len(index.workloads_selected_anywhere(common)) == count
    assert index.workloads_selected("shop", LabelSelector((("app.kubernetes.io/part-of", "shop"),
                                                           ("app.kubernetes.io/name", "nope")), ())) == []


def test_a_selector_in_any_namespace_costs_one_lookup_not_one_per_namespace() -> None:
    """KS501 asks whether anything in any namespace matches: with a namespace per workload, a loop over
    namespaces made each call cost the number of namespaces (Services x namespaces)."""
    count = 150
    text = "---\n".join(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: app, namespace: ns-{i}}}
spec:
  template:
    metadata: {{labels: {{app: app-{i}}}}}
    spec: {{containers: [{{name: a, image: "a:1"}}]}}
""" for i in range(count))
    resources = [Resource("x.yaml", d.index, d.value, d.span) for d in load_yaml(text).documents]
    index = ProjectIndex.build(resources)
    lookups = 0
    real_get = dict.get

    class CountingIndex(dict):  # type: ignore[type-arg]
        def get(self, key: object, default: object = None) -> object:
            nonlocal lookups
            lookups += 1
            return real_get(self, key, default)

    index._label_index = CountingIndex(index._label_index)
    if hasattr(index, "_label_index_anywhere"):
        index._label_index_anywhere = CountingIndex(index._label_index_anywhere)
    for i in range(count):
        found = index.workloads_selected_anywhere(LabelSelector((("app", f"app-{i}"),), ()))
        assert [w.resource.raw_namespace for w in found] == [f"ns-{i}"]
    assert lookups == count  # was count * count (one per namespace per selector)
