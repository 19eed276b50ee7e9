"""Typed Kubernetes views: pod specs of every workload kind, references, ingress backends."""

from __future__ import annotations

import pytest

from kubelint_py.models.kubernetes import (
    IngressView,
    Resource,
    ServiceView,
    Workload,
    data_keys,
    pod_spec_references,
)
from kubelint_py.parsing.yaml import load_yaml

POD_SPEC = """\
      serviceAccountName: api
      imagePullSecrets: [{name: regcred}]
      initContainers: [{name: init, image: "busybox:1.36"}]
      containers:
        - name: api
          image: "api:1"
          envFrom: [{configMapRef: {name: settings}}, {secretRef: {name: creds, optional: true}}]
          env:
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: creds, key: token}}
      volumes:
        - name: data
          persistentVolumeClaim: {claimName: data}
        - name: cfg
          configMap: {name: files, items: [{key: app.conf, path: app.conf}]}
"""


def _resource(text: str) -> Resource:
    doc = load_yaml(text).documents[0]
    return Resource("x.yaml", 0, doc.value, doc.span)


@pytest.mark.parametrize(("kind", "wrapper"), [
    ("Deployment", "spec:\n  template:\n    spec:\n"),
    ("StatefulSet", "spec:\n  template:\n    spec:\n"),
    ("DaemonSet", "spec:\n  template:\n    spec:\n"),
    ("ReplicaSet", "spec:\n  template:\n    spec:\n"),
    ("Job", "spec:\n  template:\n    spec:\n"),
    ("ReplicationController", "spec:\n  template:\n    spec:\n"),
    ("CronJob", "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"),
    ("PodTemplate", "template:\n  spec:\n"),
    ("Pod", "spec:\n"),
])
def test_pod_spec_found_in_every_workload_kind(kind: str, wrapper: str) -> None:
    depth = wrapper.count("\n")
    body = "\n".join(("  " * (depth - 3)) + line if line else line for line in POD_SPEC.splitlines())
    resource = _resource(f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: w}}\n{wrapper}{body}\n")
    workload = Workload.of(resource)
    assert workload is not None
    assert [(c.name, c.kind) for c in workload.containers] == [("init", "init"), ("api", "container")]
    refs = {(r.kind, r.name, r.key, r.optional) for r in pod_spec_references(workload)}
    assert refs == {
        ("ServiceAccount", "api", None, False), ("Secret", "regcred", None, False),
        ("ConfigMap", "settings", None, False), ("Secret", "creds", None, True),
        ("Secret", "creds", "token", False), ("PersistentVolumeClaim", "data", None, False),
        ("ConfigMap", "files", None, False), ("ConfigMap", "files", "app.conf", False),
    }


def test_reference_locations_point_at_the_name() -> None:
    resource = _resource("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + "\n".join(
        line[4:] for line in POD_SPEC.splitlines()) + "\n")
    workload = Workload.of(resource)
    assert workload is not None
    claim = next(r for r in pod_spec_references(workload) if r.kind == "PersistentVolumeClaim")
    assert (claim.location.line, claim.location.column) == (17, 42)


def test_ingress_backends_v1_and_v1beta1() -> None:
    v1 = _resource("""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  tls: [{hosts: [a.example], secretName: web-tls}]
  rules:
    - http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
""")
    view = IngressView(v1)
    assert [(name, port, field) for _, name, port, _, field in view.backends()] == [
        ("fallback", 80, "number"), ("web", "http", "name")]
    assert [name for _, name in view.tls_secrets()] == ["web-tls"]
    beta = _resource("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: o}\nspec:\n"
                     "  backend: {serviceName: old, servicePort: 8080}\n")
    assert [(name, port) for _, name, port, _, _ in IngressView(beta).backends()] == [("old", 8080)]


def test_service_view_and_data_keys() -> None:
    service = ServiceView(_resource("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
                                    "spec: {selector: {app: a}, ports: [{port: 80}]}\n"))
    assert service.type == "ClusterIP"
    assert service.selector is not None and service.selector.match_labels == (("app", "a"),)
    secret = _resource("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: eA==}\nstringData: {b: x}\n")
    assert data_keys(secret) == {"a", "b"}
