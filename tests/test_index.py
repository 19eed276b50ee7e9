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
