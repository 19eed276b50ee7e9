"""Schema validation: exact locations and messages, version awareness, CRDs, and the fast check's
soundness (it may only say "valid" when jsonschema agrees)."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.api import lint
from kubelint_py.checks.compose.schema import compose_validator
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding
from kubelint_py.models.located import YList, YMap
from kubelint_py.parsing.yaml import load_yaml
from kubelint_py.schemas import kubernetes as k8s_schemas
from kubelint_py.schemas.validation import SchemaValidator, compile_check, suggest

ROOT = Path(__file__).resolve().parent.parent


def _lint(tmp_path: Path, name: str, text: str, *codes: str, **config: Any) -> list[Finding]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    report = lint([str(path)], Config(select=codes, fail_on=None, **config))
    return report.active


def _where(findings: list[Finding]) -> list[tuple[int, int, str]]:
    return [(f.location.line, f.location.column, f.message) for f in findings]


DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: "3"
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          contianers: []
          containers:
            - image: nginx
              livenessprobe: {}
"""


def test_kubernetes_findings_are_located_and_worded_for_people(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "deploy.yaml", DEPLOYMENT, "KS901")
    assert _where(findings) == [
        (6, 13, "spec.replicas must be an integer, got string '3' (Deployment/web)"),
        (13, 7, "unknown field 'contianers' in spec.template.spec, did you mean 'containers'? (Deployment/web)"),
        (15, 11, "missing required field 'name' in spec.template.spec.containers[0] (Deployment/web)"),
        (16, 11, "unknown field 'livenessprobe' in spec.template.spec.containers[0], did you mean "
                 "'livenessProbe'? (Deployment/web)"),
    ]


def test_strict_false_allows_unknown_fields_but_not_wrong_types(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "deploy.yaml", DEPLOYMENT, "KS901",
                     rule_params={"KS901": {"strict": False}})
    assert [(f.location.line, f.location.column) for f in findings] == [(6, 13), (15, 11)]


def test_one_finding_per_location_and_several_unknown_fields_each_at_its_key(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "svc.yaml", """\
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        spec:
          prots: []
          selectr: {}
          ports:
            - port: 80
              targetPort: [8080]
    """, "KS901")
    assert [(f.location.line, f.location.column) for f in findings] == [(5, 3), (6, 3), (9, 19)]
    assert "did you mean 'ports'?" in findings[0].message
    assert "did you mean 'selector'?" in findings[1].message
    assert findings[2].message.startswith("spec.ports[0].targetPort must be a string or an integer, got a list")


def test_int_or_string_quantities_nulls_and_yaml11_values_are_valid(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "ok.yaml", """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, creationTimestamp: null}
        spec:
          strategy: {rollingUpdate: {maxSurge: null, maxUnavailable: 25%}}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: web
                  image: nginx
                  resources: {limits: {cpu: 0.5, memory: 1e9}, requests: {cpu: 1}}
                  readinessProbe: {httpGet: {port: http}}
              volumes:
                - {name: v, secret: {secretName: s, defaultMode: 0400}}
    """, "KS901")
    assert findings == []


def test_api_version_existence_follows_the_target_version(tmp_path: Path) -> None:
    text = """\
        apiVersion: resource.k8s.io/v1
        kind: DeviceClass
        metadata: {name: gpu}
    """
    assert _lint(tmp_path, "a.yaml", text, "KS902", k8s_version="1.34") == []
    old = _lint(tmp_path, "a.yaml", text, "KS902", k8s_version="1.33")
    assert _where(old) == [(1, 13, "resource.k8s.io/v1 DeviceClass is not served yet in Kubernetes 1.33 (served in "
                                   "1.34 to 1.37); use resource.k8s.io/v1beta2 (DeviceClass/gpu)")]
    # Versions outside the shipped range use the nearest one.
    assert _lint(tmp_path, "a.yaml", text, "KS902", k8s_version="1.99") == []


def test_schema_follows_the_target_version(tmp_path: Path) -> None:
    # Container.resizePolicy appeared in 1.27: unknown in 1.26, valid in 1.27.
    text = """\
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: c
              image: nginx
              resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
    """
    assert [f.location.line for f in _lint(tmp_path, "p.yaml", text, "KS901", k8s_version="1.26")] == [8]
    assert _lint(tmp_path, "p.yaml", text, "KS901", k8s_version="1.27") == []


def test_removed_apis_are_left_to_the_deprecated_api_rule(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "old.yaml", """\
        apiVersion: policy/v1beta1
        kind: PodDisruptionBudget
        metadata: {name: p}
    """, "KS9")
    assert findings == []


def test_custom_resource_without_schema_is_reported_once_per_kind_across_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n---\n"
                                     "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: y}\n")
    report = lint([str(tmp_path)], Config(select=("KS903",), fail_on=None))
    assert [(Path(f.location.path).name, f.location.line) for f in report.active] == [("a.yaml", 2)]


def test_compose_findings_skip_interpolated_values(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "compose.yaml", """\
        services:
          web:
            image: nginx
            prots: ["80:80"]
            privileged: ${PRIV}
            deploy: {replicas: "${N}"}
            ports:
              - target: 80
                published: ${PORT}
    """, "DC001")
    assert _where(findings) == [(4, 5, "unknown key 'prots' in service 'web', did you mean 'ports'?")]


def test_jsonschema_is_not_imported_when_everything_is_valid(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
    code = ("import sys; from kubelint_py.api import lint; from kubelint_py.engine.config import Config; "
            f"r = lint([{str(tmp_path)!r}], Config(select=('KS9',))); "
            "assert not r.active, r.active; print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_suggestions() -> None:
    assert suggest("livenessprobe", ["livenessProbe", "readinessProbe"]) == "livenessProbe"
    assert suggest("contianers", ["containers", "initContainers"]) == "containers"
    assert suggest("zzz", ["containers"]) is None


# --- the fast check is sound: "valid" only when jsonschema finds no error ---------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


_REPLACEMENTS: list[Any] = [None, True, 0, -1, 7, 1.5, "", "x", "3", "25%", [], ["a"], {}, {"a": 1},
                            {"name": "n"}, [{"name": "n", "image": "i"}]]


def _mutants(document: Any, count: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    paths = [p for p in _paths(document) if p]
    result = []
    for _ in range(count):
        mutant = copy.deepcopy(document)
        path = rng.choice(paths)
        node = mutant
        for step in path[:-1]:
            node = node[step]
        action = rng.random()
        if action < 0.2 and isinstance(node, dict):
            del node[path[-1]]
        elif action < 0.35 and isinstance(node, dict):
            node[str(path[-1]) + "x"] = node.pop(path[-1])
        else:
            node[path[-1]] = copy.deepcopy(rng.choice(_REPLACEMENTS))
        result.append(mutant)
    return result


def _sound(validator: SchemaValidator, documents: list[Any]) -> None:
    from jsonschema import Draft202012Validator

    full = Draft202012Validator(validator.schema)
    fast = compile_check(validator.schema)
    for document in documents:
        errors = list(full.iter_errors(document))
        if fast(document):
            assert errors == [], (document, errors[0].message)


def _documents(path: Path) -> list[Any]:
    return [_plain(d.value) for d in load_yaml(path.read_text()).documents if isinstance(d.value, YMap | YList)]


@pytest.mark.parametrize("kind", ["Deployment", "Service"])
def test_fast_check_is_sound_for_kubernetes_schemas(kind: str) -> None:
    good = [d for d in _documents(ROOT / "fixtures/kubernetes/KS901/good-deployment.yaml") if d["kind"] == kind]
    bad = [d for d in _documents(ROOT / "fixtures/kubernetes/KS901/bad-deployment.yaml") if d["kind"] == kind]
    def_name = k8s_schemas.builtin_def("1.34", "apps/v1" if kind == "Deployment" else "v1", kind)
    assert def_name is not None
    validator = k8s_schemas.builtin_validator("1.34", def_name, True)
    if good:
        assert compile_check(validator.schema)(good[0])  # valid objects take the fast path
    _sound(validator, good + bad + [m for d in good + bad for m in _mutants(d, 300, seed=len(kind))])


def test_fast_check_is_sound_for_crd_and_compose_schemas() -> None:
    crd, *resources = _documents(ROOT / "fixtures/kubernetes/KS901/good-custom-resource/crd.yaml") + \
        _documents(ROOT / "fixtures/kubernetes/KS901/good-custom-resource/backups.yaml")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    validator = k8s_schemas.custom_validator("1.34", schema, True)
    assert compile_check(validator.schema)(resources[0])
    _sound(validator, [m for d in resources[:2] for m in _mutants(d, 300, seed=1)])
    compose = _documents(ROOT / "fixtures/compose/DC001/good-compose.yaml")[0]
    assert compose_validator().is_valid(compose)  # interpolated values pass the fast check
    _sound(compose_validator(), _mutants(compose, 400, seed=2))


def test_malformed_crd_schemas_never_crash(tmp_path: Path) -> None:
    findings = _lint(tmp_path, "crd.yaml", """\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: foos.example.com}
        spec:
          group: example.com
          names: {kind: Foo, plural: foos}
          versions:
            - name: v1
              served: true
              schema:
                openAPIV3Schema:
                  type: object
                  required: 5
                  properties:
                    spec:
                      type: [object]
                      enum: oops
                      minimum: "x"
                      pattern: "(?<name>unclosed"
                      items: [1, 2]
                      properties: {a: {type: string, maxLength: -1}}
        ---
        apiVersion: example.com/v1
        kind: Foo
        metadata: {name: f}
        spec: {a: 1, b: 2}
    """, "KS901", "KL005")
    # The CRD itself breaks the CRD schema (reported on it); for Foo objects the malformed keywords are
    # ignored and `a` is still checked as a string: never a crash.
    assert "KL005" not in {f.code for f in findings}
    assert [f.location.line for f in findings if "(Foo/f)" in f.message] == [26, 26]  # a: type, b: unknown
    assert {f.location.line for f in findings if "(CustomResourceDefinition/" in f.message} >= {13, 17, 18}


def test_deeply_nested_crds_and_objects_never_crash(tmp_path: Path) -> None:
    node = "{type: string}"
    for _ in range(190):
        node = "{type: object, properties: {p: " + node + "}}"
    value = "1"
    for _ in range(185):
        value = "{p: " + value + "}"
    (tmp_path / "deep.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: as.b}\n"
        "spec:\n  group: b\n  scope: Namespaced\n  names: {kind: A, plural: as}\n  versions:\n"
        "  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: " + node + "\n"
        "---\napiVersion: b/v1\nkind: A\nmetadata: {name: x}\np: " + value + "\n")
    report = lint([str(tmp_path)], Config(select=("KS9", "KL005"), fail_on=None))
    assert "KL005" not in {f.code for f in report.active}
    assert all(len(f.message) < 300 for f in report.active)


def test_shipped_kubernetes_versions_and_package_data() -> None:
    import fnmatch
    import tomllib

    versions = k8s_schemas.supported_versions()
    assert versions[0] == "1.25" and versions[-1] == "1.37" and len(versions) == 13
    # Every schema file must be declared as package data, or `pip install .` ships a linter without them.
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kubelint_py"]
    shipped = sorted(p.name for p in (ROOT / "kubelint_py/schemas").iterdir() if p.is_file() and p.suffix != ".py")
    assert {"SOURCES.md", "compose-spec.json", "kubernetes.schemas.gz"} <= set(shipped)
    assert all(any(fnmatch.fnmatch(f"schemas/{name}", g) for g in globs) for name in shipped)


def _walk_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                found.append(value[len("#/$defs/"):])
            else:
                found.extend(_walk_refs(value))
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in _walk_refs(item)]
    return []


def test_definition_closures_found_in_the_raw_bundle_match_a_walk_of_the_decoded_schemas() -> None:
    for version in k8s_schemas.supported_versions()[::4]:
        for name in ("io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.Pod", k8s_schemas.OBJECT_META,
                     "io.k8s.api.networking.v1.Ingress", "io.k8s.api.batch.v1.CronJob"):
            expected: dict[str, Any] = {}
            pending = [name]
            while pending:
                current = pending.pop()
                if current not in expected:
                    expected[current] = k8s_schemas.definition(version, current) or {}
                    pending.extend(_walk_refs(expected[current]))
            assert k8s_schemas.definitions_for(version, [name]) == expected, (version, name)
            assert len(expected) > 3


@pytest.mark.parametrize(("schema", "valid", "invalid"), [
    ({"type": "object", "properties": {"a": {"type": "string"}}}, [{}, {"a": "x"}], [None, "x", [], {"a": 1}]),
    ({"type": ["object", "null"], "properties": {"a": {"type": "string"}}}, [None, {}, {"a": "x"}],
     ["x", [], {"a": 1}]),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, [{}, {"k": 1}], [None, 1, {"k": "v"}]),
    ({"type": ["array"], "items": {"type": "string"}}, [[], ["x"]], [None, "x", {}, [1]]),
    ({"type": ["null", "array"], "items": {"type": "string"}}, [None, [], ["x"]], ["x", {}, [1]]),
    ({"type": "array", "items": {"$ref": "#/$defs/s"}, "$defs": {"s": {"type": "string"}}}, [[], ["x"]], [None, [1]]),
    ({"type": ["object", "array"], "properties": {"a": {"type": "string"}}, "items": {"type": "string"}},
     [{}, [], ["x"], {"a": "x"}], [None, "x", [1], {"a": 1}]),
])
def test_a_container_type_checked_with_its_contents_agrees_with_jsonschema(
        schema: dict[str, Any], valid: list[Any], invalid: list[Any]) -> None:
    """The fast check tests `type: object` with the properties, and `type: array` with the items (one call
    per value): the type is still enforced, null only where the type allows it."""
    from jsonschema import Draft202012Validator

    check = compile_check(schema)
    reference = Draft202012Validator(schema)
    for value in valid:
        assert reference.is_valid(value) and check(value), value
    for value in invalid:
        assert not reference.is_valid(value) and not check(value), value
