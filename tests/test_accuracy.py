"""Issue 22: findings people never have to argue with. Cases the fixture layout cannot express."""

from __future__ import annotations

from pathlib import Path

from kubelint_py.api import Report, lint
from kubelint_py.building.boundaries import Boundaries, find_boundaries, is_test_input, register_root_finder
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Severity
from kubelint_py.loading.classify import is_compose_document, is_template_name
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.parsing.placeholders import is_placeholder
from kubelint_py.parsing.yaml import load_yaml


def run(tmp_path: Path, files: dict[str, str], select: tuple[str, ...]) -> Report:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return lint([str(tmp_path)], Config(select=select, fail_on=None))


def found(report: Report) -> list[tuple[str, int, str, str]]:
    return sorted((Path(f.location.path).name, f.location.line, f.code, f.severity.label) for f in report.active)


def test_hadolint_pragma_is_never_unused(tmp_path: Path) -> None:
    # hadolint's DL3008 maps to DF309 here; DF309 judges differently and stays silent, but hadolint needs it.
    dockerfile = ("FROM debian:12-slim\n"
                  "# hadolint ignore=DL3008\n"
                  "RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \\\n"
                  "    && rm -rf /var/lib/apt/lists/*\n"
                  "# kubelint: ignore=DF309\n"
                  "RUN echo nothing to silence\n"
                  "USER nobody\n")
    report = run(tmp_path, {"Dockerfile": dockerfile}, select=("DF309", "KL007"))
    assert found(report) == [("Dockerfile", 5, "KL007", "info")]


def test_rendered_document_next_to_a_template_is_still_judged(tmp_path: Path) -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  retries: 3\n---\n"
            "kind: Service\napiVersion: v1\nmetadata:\n  name: {{ name }}\nspec:\n{% for p in ports %}\n"
            "  - port: {{ p }}\n{% endfor %}\n")
    report = run(tmp_path, {"manifests.yaml": text}, select=("KS901", "KL001", "KL002"))
    assert found(report) == [("manifests.yaml", 6, "KS901", "error"), ("manifests.yaml", 11, "KL002", "info")]


def test_template_names() -> None:
    for name in ("Dockerfile.template", "deploy.tmpl.yaml", "compose.yaml.j2", "values.tpl.yaml", "x.yaml.jinja2"):
        assert is_template_name(name), name
    for name in ("template.yaml", "Dockerfile", "templates.yaml", "deployment.yaml"):
        assert not is_template_name(name), name


def test_compose_is_judged_by_its_keys() -> None:
    def doc(text: str) -> object:
        return load_yaml(text).documents[0].value

    assert is_compose_document(doc("services:\n  web:\n    image: nginx\n    prots: [80]\n"))
    assert not is_compose_document(doc("name: x\nservices:\n  web:\n    project: ./web\n    language: js\n"
                                       "    host: appservice\n"))
    assert not is_compose_document(doc("services:\n  web:\n    image: x\n    project: ./web\n    host: aca\n"))
    assert is_compose_document(doc("services:\n  web:\n"))


def test_placeholders() -> None:
    for value in ("${REPLICAS:-1}", "<KSA_NAME>", "__INGRESS_SECRET__", "PORT", "$K8S_SA_NAME", "{{ .Values.x }}",
                  "@@VERSION@@"):
        assert is_placeholder(value), value
    for value in ("TCP", "web", "8080", "Always", "my-app", "", "ALL"):
        assert not is_placeholder(value), value
    assert not is_placeholder(3)


def test_boundaries(tmp_path: Path) -> None:
    bounds = Boundaries(frozenset({"repo/sample-a", "repo/charts/x"}))
    assert bounds.of("repo/sample-a/k8s/deploy.yaml") == "repo/sample-a"
    assert bounds.of("repo/tool-b/testdata/hpa.yaml") == "repo/tool-b/testdata"
    assert bounds.of("repo/README.yaml") == ""
    assert not bounds.related("repo/sample-a/deploy.yaml", "repo/tool-b/testdata/hpa.yaml")
    assert bounds.related("repo/sample-a/deploy.yaml", "repo/base.yaml")  # the root relates to everything
    # ... but a tool's test inputs relate only to each other
    assert not bounds.related("repo/web/deploy.yaml", "repo/tool-b/testdata/hpa/hpa.yaml")
    assert not bounds.related("repo/base.yaml", "repo/tool-b/testdata/hpa.yaml")
    assert bounds.related("repo/tool-b/testdata/hpa/hpa.yaml", "repo/tool-b/testdata/apps/web.yaml")
    assert bounds.related("repo/charts/x/a.yaml", "repo/charts/x/sub/b.yaml")
    assert is_test_input("a/testdata/x.yaml") and not is_test_input("a/testdata.yaml")
    assert not is_test_input("examples/invalid.yaml") and not is_test_input("deploy/web.yaml")
    assert is_test_input("tests/data/vs/invalid.yaml") and is_test_input("pkg/test/fixtures/a.yaml")
    assert not is_test_input("tests/web.yaml") and not is_test_input("data/web.yaml")
    assert not is_test_input("tests/data.yaml") and not is_test_input("deploy/data/tests/web.yaml")


def test_root_finders_plug_in(tmp_path: Path) -> None:
    def finder(files: object) -> list[str]:
        return ["plugged/root"]

    register_root_finder(finder)
    assert "plugged/root" in find_boundaries([]).roots


def test_testdata_errors_are_warnings(tmp_path: Path) -> None:
    old = "apiVersion: extensions/v1beta1\nkind: ReplicaSet\nmetadata:\n  name: old\nspec: {}\n"
    report = run(tmp_path, {"tool/testdata/rs.yaml": old, "deploy/rs.yaml": old, "tests/data/rs.yaml": old},
                 select=("KS407",))
    assert sorted((Path(f.location.path).parent.name, f.severity) for f in report.active) == [
        ("data", Severity.WARNING), ("deploy", Severity.ERROR), ("testdata", Severity.WARNING)]


def test_secret_name_placeholder_and_operator_created(tmp_path: Path) -> None:
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: client\nspec:\n  containers:\n    - name: c\n"
           "      image: postgres:16.4\n      env:\n        - name: A\n          valueFrom:\n"
           "            secretKeyRef: {{name: {name}, key: k}}\n")
    cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: shop\nspec: {instances: 1}\n"
    report = run(tmp_path, {"a.yaml": pod.format(name="shop-app"), "b.yaml": cluster}, select=("KS603",))
    assert found(report) == []
    report = run(tmp_path / "two", {"a.yaml": pod.format(name="other-app"), "b.yaml": cluster}, select=("KS603",))
    assert found(report) == [("a.yaml", 12, "KS603", "info")]


def test_duplicate_port_advice_keeps_a_used_name(tmp_path: Path) -> None:
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n"
           "      image: c:1.0\n      ports:\n        - {containerPort: 8080}\n"
           "        - {name: http, containerPort: 8080}\n      readinessProbe:\n        httpGet: {port: http}\n")
    report = run(tmp_path, {"pod.yaml": pod}, select=("KS405",))
    [finding] = report.active
    assert "remove" not in finding.message and "'http'" in finding.message


def test_shellcheck_positions_map_back_through_continuations_and_heredocs() -> None:
    from kubelint_py.checks.dockerfile._shellcheck import script_map
    from kubelint_py.parsing.dockerfile import parse_dockerfile

    text = ("FROM alpine:3.20\n"
            "RUN apk add --no-cache curl && \\\n"
            "    # a comment inside the continuation\n"
            "    cd /tmp; echo $HOME\n"
            "RUN <<EOF\n"
            "set -eu\n"
            "echo $USER\n"
            "EOF\n")
    parsed = parse_dockerfile("Dockerfile", text)
    first, second = [ins for ins in parsed.instructions if ins.keyword == "RUN"]
    mapped = script_map(first)
    assert mapped is not None and mapped.text.startswith("apk add")
    column = mapped.text.index("cd /tmp") + 1
    assert mapped.locate(1, column) == (4, 5)
    assert mapped.locate(1, 1) == (2, 5)
    heredoc = script_map(second)
    assert heredoc is not None and heredoc.locate(2, 6) == (7, 6)


def test_cross_object_findings_in_test_scenarios_are_info(tmp_path: Path) -> None:
    ingress = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  rules:\n"
               "    - http:\n        paths:\n          - path: /\n            pathType: Prefix\n"
               "            backend:\n              service: {name: missing, port: {number: 80}}\n")
    report = run(tmp_path, {"e2e/ingress.yaml": ingress, "deploy/ingress.yaml": ingress}, select=("KS609",))
    assert sorted((Path(f.location.path).parent.name, f.severity.label) for f in report.active) == [
        ("deploy", "warning"), ("e2e", "info")]


def test_kustomize_patch_merges_webhooks_by_name(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [hooks.yaml]\npatches:\n  - path: port.yaml\n")
    (tmp_path / "hooks.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
        "metadata: {name: validator}\nwebhooks:\n  - name: v.example.com\n    sideEffects: None\n"
        "    admissionReviewVersions: [v1]\n    clientConfig:\n      service: {name: hooks, namespace: system}\n")
    (tmp_path / "port.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
        "metadata: {name: validator}\nwebhooks:\n  - name: v.example.com\n    clientConfig:\n"
        "      service: {port: 9443}\n")
    report = run(tmp_path, {}, select=("KS901",))
    assert found(report) == []  # merged into the base's webhook by name, not a new incomplete one


def test_kustomize_overlays_relate_to_the_bases_they_use(tmp_path: Path) -> None:
    def kustomization(path: str, text: str) -> SourceFile:
        return SourceFile(path, "kubernetes", text)

    files = [kustomization("repo/app/base/kustomization.yaml", "resources: [deploy.yaml, ../../shared/common]\n"),
             kustomization("repo/app/overlays/prod/kustomization.yaml", "resources:\n- ../../base\n- svc.yaml\n"),
             kustomization("repo/app/overlays/dev/kustomization.yaml",
                           "resources: [../../base, https://example.invalid/x.yaml]\n"),
             kustomization("repo/shared/common/kustomization.yaml", "resources: [limits.yaml]\n"),
             kustomization("repo/other/kustomization.yaml", "resources: [web.yaml]\n"),
             SourceFile("repo/tools/compose.yaml", "compose")]  # a file left out of a lazy context: its kind
    bounds = find_boundaries(files)
    assert "repo/tools" in bounds.roots
    prod, dev = "repo/app/overlays/prod/svc.yaml", "repo/app/overlays/dev/patch.yaml"
    assert bounds.related(prod, "repo/app/base/deploy.yaml") and bounds.related("repo/app/base/deploy.yaml", prod)
    assert bounds.related(prod, "repo/shared/common/limits.yaml")  # through the base
    assert not bounds.related(prod, dev)  # two overlays of one base
    assert not bounds.related(prod, "repo/other/web.yaml")
    assert not bounds.related("repo/app/base/deploy.yaml", "repo/tools/x.yaml")
    cycle = find_boundaries([kustomization("r/a/kustomization.yaml", "resources: [../b]\n"),
                             kustomization("r/b/kustomization.yaml", "resources: [../a]\n"),
                             kustomization("r/c/kustomization.yaml", "resources: []\n")])
    assert cycle.related("r/a/x.yaml", "r/b/y.yaml") and not cycle.related("r/a/x.yaml", "r/c/y.yaml")


def test_an_autoscaler_is_close_to_what_it_scales() -> None:
    bounds = Boundaries(frozenset({"repo/shop"}))
    assert bounds.close("repo/tutorials/web/hpa.yaml", "repo/tutorials/web/deploy.yaml")
    assert bounds.close("repo/tutorials/web/autoscaling/hpa.yaml", "repo/tutorials/web/deploy.yaml")
    assert bounds.close("repo/tutorials/web/hpa/x.yaml", "repo/tutorials/web/apps/deploy.yaml")  # side by side
    assert bounds.close("hpa.yaml", "repo/tutorials/web/deploy.yaml")  # the top of the tree
    assert not bounds.close("repo/quickstarts/blog/deploy.yaml", "repo/cost/samples/blog/hpa.yaml")
    assert bounds.close("repo/shop/autoscaling/hpa.yaml", "repo/shop/k8s/apps/deploy.yaml")  # one marked project
    assert not bounds.close("repo/shop/hpa.yaml", "repo/tool/testdata/deploy.yaml")


def test_a_crd_defined_twice_names_each_served_version_once(tmp_path: Path) -> None:
    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
           "metadata: {name: backups.example.com}\nspec:\n  group: example.com\n  scope: Namespaced\n"
           "  names: {kind: Backup, plural: backups}\n"
           "  versions:\n    - {name: v1, served: true, storage: true}\n")
    backup = "apiVersion: example.com/v2\nkind: Backup\nmetadata: {name: b}\n"
    report = run(tmp_path, {"release-1/crd.yaml": crd, "release-2/crd.yaml": crd, "backup.yaml": backup},
                 select=("KS902",))
    assert [f.message.split("(served: ")[1].split(")")[0] for f in report.active] == ["v1"]
