"""Shared pieces of the Kubernetes rule pack: quantities, secret patterns, API versions, and the
end-to-end behaviours that fixtures alone do not pin down (namespace flag, external objects, versions)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.checks.secrets import find_secret_values, is_literal_secret_value, is_secret_name
from kubelint_py.engine.config import Config
from kubelint_py.models.images import split_image
from kubelint_py.models.quantity import parse_quantity
from kubelint_py.schemas.apiversions import REMOVED_APIS, api_change, version_tuple


@pytest.mark.parametrize(("text", "expected"), [
    ("500m", Decimal("0.5")), ("1", Decimal(1)), ("0.5", Decimal("0.5")), ("1e3", Decimal(1000)),
    ("1Ki", Decimal(1024)), ("1Gi", Decimal(2**30)), ("2G", Decimal(2 * 10**9)), ("100M", Decimal(10**8)),
    (2, Decimal(2)), (0.25, Decimal("0.25")), ("  256Mi ", Decimal(256 * 2**20)),
])
def test_parse_quantity(text: object, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1Gb", "1.2.3", None, True, "1 Gi"])
def test_parse_quantity_rejects_garbage(text: object) -> None:
    assert parse_quantity(text) is None


def test_quantity_ordering_across_units() -> None:
    assert parse_quantity("1000m") == parse_quantity("1")
    assert parse_quantity("1Gi") > parse_quantity("1000Mi")  # type: ignore[operator]
    assert parse_quantity("1G") < parse_quantity("1Gi")  # type: ignore[operator]


@pytest.mark.parametrize("name", ["DB_PASSWORD", "apiToken", "AWS_SECRET_ACCESS_KEY", "client-secret",
                                  "GITHUB_TOKEN", "MYSQL_ROOT_PASSWORD"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["DB_PASSWORD_FILE", "PASSWORD_LENGTH", "TOKEN_TTL", "ALLOW_EMPTY_PASSWORD",
                                  "LOG_LEVEL", "PWD", "SECRET_NAME", "AWS_ACCESS_KEY_ID", "ENABLE_TOKEN_AUTH"])
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize("value", ["", "${DB_PASSWORD}", "$(cat /run/secrets/db)", "/run/secrets/db",
                                   "yes", "true", "INSERT_TOKEN_HERE", "YOUR_API_KEY", "{{ .Values.pw }}",
                                   "GOOGLE_API_KEY_VAL"])
def test_not_literal_values(value: str) -> None:
    assert not is_literal_secret_value(value)


@pytest.mark.parametrize("value", ["hunter2", "changeme", "s3cr3t-t0ken", "changeit", "example", "dummy"])
def test_literal_values(value: str) -> None:
    assert is_literal_secret_value(value)


@pytest.mark.parametrize(("text", "kind"), [
    ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
    ("ghp_" + "a" * 36, "GitHub token"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "private key"),
    ("postgres://app:s3cretpw@db:5432/app", "password in URL"),
])
def test_secret_values(text: str, kind: str) -> None:
    assert [m.kind for m in find_secret_values(text)] == [kind]


@pytest.mark.parametrize("text", ["postgres://app:${DB_PASSWORD}@db:5432/app", "postgres://app:password@db/x",
                                  "just a long ordinary sentence here"])
def test_no_secret_values(text: str) -> None:
    assert find_secret_values(text) == []


@pytest.mark.parametrize(("image", "expected"), [
    ("nginx", ("nginx", None, None)),
    ("nginx:1.27", ("nginx", "1.27", None)),
    ("registry:5000/team/app", ("registry:5000/team/app", None, None)),
    ("registry:5000/team/app:2.0", ("registry:5000/team/app", "2.0", None)),
    ("app@sha256:abc", ("app", None, "sha256:abc")),
    ("app:1.0@sha256:abc", ("app", "1.0", "sha256:abc")),
])
def test_split_image(image: str, expected: tuple[str, str | None, str | None]) -> None:
    assert split_image(image) == expected


def test_api_version_table() -> None:
    assert version_tuple("v1.31.2") == (1, 31)
    change = api_change("batch/v1beta1", "CronJob")
    assert change is not None and change.replacement == "batch/v1"
    for change in REMOVED_APIS.values():
        assert version_tuple(change.deprecated_in) <= version_tuple(change.removed_in)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: web:1.0.0
          envFrom: [{secretRef: {name: web-secrets}}]
"""
SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
"""


def _codes(tmp_path: Path, config: Config) -> list[tuple[str, int]]:
    report = lint([str(tmp_path)], config)
    return sorted((f.code, f.location.line) for f in report.active)


def test_namespace_option_resolves_objects_without_namespace(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "sa.yaml").write_text(SERVICE_ACCOUNT)
    assert _codes(tmp_path, Config(select=("KS601",), fail_on=None)) == [("KS601", 9)]
    assert _codes(tmp_path, Config(select=("KS601",), fail_on=None, default_namespace="shop")) == []


def test_external_objects_silence_references(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    assert _codes(tmp_path, Config(select=("KS603",), fail_on=None)) == [("KS603", 13)]
    config = Config(select=("KS603",), fail_on=None, external_objects=("Secret/*/web-secrets",))
    assert _codes(tmp_path, config) == []


def test_target_version_decides_removed_or_deprecated(tmp_path: Path) -> None:
    (tmp_path / "pdb.yaml").write_text("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n"
                                       "metadata: {name: web}\nspec: {maxUnavailable: 1}\n")
    select = ("KS407", "KS408")
    assert _codes(tmp_path, Config(select=select, fail_on=None)) == [("KS407", 1)]
    assert _codes(tmp_path, Config(select=select, fail_on=None, k8s_version="1.22")) == [("KS408", 1)]
    assert _codes(tmp_path, Config(select=select, fail_on=None, k8s_version="1.20")) == []


def test_cross_object_findings_carry_the_other_side(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n"
        "      image: c:1.0.0\n      env:\n        - name: B\n"
        "          valueFrom: {configMapKeyRef: {name: settings, key: b}}\n")
    report = lint([str(tmp_path)], Config(select=("KS604",), fail_on=None))
    [finding] = report.active
    assert finding.location.line == 15
    assert [r.location.line for r in finding.related] == [3]


def test_numeric_ports_parameter(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "kubernetes" / "KS502" / "bad-target-port.yaml"
    (tmp_path / "svc.yaml").write_text(fixture.read_text())
    # Numeric ports the containers do not list are legal: only checked when asked for (issue 22).
    assert _codes(tmp_path, Config(select=("KS502",), fail_on=None)) == [("KS502", 10)]
    config = Config(select=("KS502",), fail_on=None, rule_params={"KS502": {"numeric_ports": True}})
    assert _codes(tmp_path, config) == [("KS502", 10), ("KS502", 13)]


MALFORMED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: 123
  labels: [a, b]
  annotations: {x: no, y: 0755}
spec:
  replicas: "3"
  selector: {matchLabels: [x], matchExpressions: {a: b}}
  template:
    metadata: {labels: {app: yes}}
    spec:
      hostNetwork: "true"
      securityContext: [1]
      volumes: {a: b}
      imagePullSecrets: [secret, {name: 5}]
      serviceAccountName: 7
      containers:
        - just-a-string
        - name:
          image:
          env: {A: b}
          envFrom: [configMapRef, {configMapRef: {name: null}}]
          ports: [8080, {containerPort: "80", hostPort: true, name: [x]}]
          securityContext: {capabilities: {add: SYS_ADMIN, drop: ALL}, runAsUser: "0"}
          resources: {requests: [1], limits: {cpu: {a: 1}, memory: 1Gi}}
          livenessProbe: {httpGet: {port: [1]}}
          readinessProbe: "yes"
          args: {a: 1}
        - name: b
          image: nginx@
          resources: {requests: {cpu: abc}, limits: {cpu: 1m}}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: [a], ports: {a: 1}}
---
apiVersion: v1
kind: Service
metadata: {name: s2}
spec: {selector: {app: x}, ports: [1, {targetPort: [1]}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, annotations: null}
spec:
  tls: [a, {secretName: 5}]
  rules: [a, {http: {paths: [x, {backend: {service: {name: 1, port: 5}}}]}}]
  defaultBackend: {service: {name: s, port: {number: "80"}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p}
spec: {minAvailable: true, maxUnavailable: "0%", selector: {matchLabels: {app: x}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
spec: {scaleTargetRef: [1]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: r}
roleRef: {kind: Role, name: [x]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: [1, 2]
---
apiVersion: v1
kind: Secret
metadata: {name: c}
data: {a: 5, b: null}
"""


def test_rules_survive_malformed_objects(tmp_path: Path) -> None:
    """Wrong types everywhere (lists for maps, strings for lists, nulls): findings, never a crashed rule."""
    (tmp_path / "weird.yaml").write_text(MALFORMED)
    report = lint([str(tmp_path)], Config(select=("KS", "KL005"), fail_on=None))
    assert report.internal_errors == []
    assert not [f for f in report.active if f.code == "KL005"]
    assert report.active  # the file was linted, not skipped


def test_typed_lists_are_unwrapped_but_custom_list_kinds_are_not(tmp_path: Path) -> None:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.loading.source_file import load_source

    path = tmp_path / "lists.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMapList\nitems:\n"
                    "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
                    "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\n"
                    "apiVersion: example.com/v1\nkind: AccessList\nmetadata: {name: acl}\n"
                    "items: [{apiVersion: v1, kind: Pod, metadata: {name: nope}}]\n")
    source = load_source(Candidate(str(path), "yaml", True), 10_000_000)
    assert [(r.kind, r.name) for r in source.resources] == [("ConfigMap", "a"), ("ConfigMap", "b"),
                                                            ("AccessList", "acl")]


def test_possible_owners_are_exactly_the_owners_derived_from_accepts() -> None:
    """A missing object is matched against a namespace's custom resources by set lookup
    (possible_owners) instead of derived_from over every custom resource per reference: the two must
    agree on which owner names could have created it."""
    import random

    from kubelint_py.checks.kubernetes._operators import (
        DERIVED_PREFIXES,
        FIXED_NAMES,
        derived_from,
        possible_owners,
    )

    chooser = random.Random(7)
    alphabet = "ab-.r"
    hits = 0
    for _ in range(3000):
        name = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 9)))
        if chooser.random() < 0.2:
            name = chooser.choice(DERIVED_PREFIXES) + name
        candidates = possible_owners(name)
        assert all(derived_from(name, owner) for owner in candidates), name  # nothing extra
        for _ in range(20):
            owner = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 5)))
            if derived_from(name, owner) and name not in FIXED_NAMES:  # nothing missing
                assert owner in candidates, (name, owner)
                hits += 1
    assert hits > 1000  # the random names meet their owners often enough to test something


def test_generated_secrets_are_worked_out_once_per_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each missing Secret asked whether a controller creates it: the walk over SealedSecrets,
    ExternalSecrets and Certificates happens once per namespace, not once per reference."""
    from kubelint_py.checks.kubernetes import _references
    from kubelint_py.engine.index import ProjectIndex
    from kubelint_py.models.kubernetes import Resource
    from kubelint_py.parsing.yaml import load_yaml

    text = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: shop}\n" \
           "spec: {secretName: tls-made}\n"
    index = ProjectIndex.build([Resource("x.yaml", d.index, d.value, d.span) for d in load_yaml(text).documents])
    walks = 0
    real = _references._find_generated_secrets

    def counted(*args: object) -> set[str]:
        nonlocal walks
        walks += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_references, "_find_generated_secrets", counted)
    for i in range(100):
        assert not _references.object_exists(index, "Secret", "shop", f"missing-{i}")
    assert _references.object_exists(index, "Secret", "shop", "tls-made")
    assert walks == 1
