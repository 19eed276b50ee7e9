"""Declarative policies: loading errors, the shipped catalogue, user policies, locations, CLI listing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.engine import policies
from kubelint_py.engine.catalogue import all_rules, find_rule, use_user_policies
from kubelint_py.engine.config import Config, ConfigError
from kubelint_py.engine.registry import Severity
from kubelint_py.models.images import canonical_repository
from kubelint_py.report.rule_docs import explain_text
from tests.cli_support import invoke

ROOT = Path(__file__).resolve().parent.parent

USER_POLICY = """\
code: ACME001
name: missing-team-annotation
severity: error
summary: Deployment has no team annotation
rationale: On-call needs to know whom to page.
fix: Add metadata.annotations.acme.io/team.
match:
  format: kubernetes
  kinds: [Deployment]
target: object
schema:
  required: [metadata]
  properties:
    metadata:
      required: [annotations]
      properties:
        annotations:
          required: [acme.io/team]
message: "{kind} '{name}' in namespace '{namespace}' lacks annotation {value}"
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    owner: me
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web:1.0.0
          readinessProbe: {httpGet: {path: /, port: 80}}
"""


@pytest.fixture(autouse=True)
def _no_user_policies() -> Iterator[None]:
    """User policies live in the global registry: leave none behind for other tests."""
    yield
    use_user_policies(())


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _load_error(tmp_path: Path, text: str) -> str:
    path = _write(tmp_path, "policy.yaml", text)
    with pytest.raises(ConfigError) as caught:
        policies.load_policy_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    return message


def _line_of(message: str) -> int:
    return int(message.split(":")[1])


# --- loading errors ----------------------------------------------------------------------------


def test_valid_user_policy_loads(tmp_path: Path) -> None:
    loaded = policies.load_policy_file(_write(tmp_path, "p.yaml", USER_POLICY))
    assert [(p.code, p.name, p.format, p.target_type) for p in loaded] == [
        ("ACME001", "missing-team-annotation", "kubernetes", "object")]


def test_policy_without_condition_is_rejected(tmp_path: Path) -> None:
    text = USER_POLICY.split("schema:")[0]
    message = _load_error(tmp_path, text)
    assert "needs `schema`" in message and "`forbid`" in message and "`exists`" in message


def test_unknown_key_is_located(tmp_path: Path) -> None:
    message = _load_error(tmp_path, USER_POLICY.replace("schema:", "schmea:\n  type: object\nschema:"))
    assert "unknown key 'schmea' (allowed here: code, enabled, exists, fix," in message
    assert _line_of(message) == 11
    message = _load_error(tmp_path, USER_POLICY.replace("  kinds: [Deployment]", "  kind: [Deployment]"))
    assert "unknown key 'match.kind'" in message and "kinds" in message and _line_of(message) == 9


def test_wrong_type_is_located_at_the_field(tmp_path: Path) -> None:
    message = _load_error(tmp_path, USER_POLICY.replace("severity: error", "severity: fatal"))
    assert _line_of(message) == 3
    assert "severity" in message


def test_invalid_json_schema_points_at_the_keyword(tmp_path: Path) -> None:
    text = USER_POLICY.replace("      required: [annotations]", "      required: annotations")
    message = _load_error(tmp_path, text)
    assert "not a valid JSON Schema" in message
    assert _line_of(message) == 15


def test_inline_flag_regex_explains_the_python_trap(tmp_path: Path) -> None:
    text = USER_POLICY.replace("          required: [acme.io/team]",
                               "          properties:\n            acme.io/team:\n"
                               "              pattern: \"^team-(?i)[a-z]+$\"")
    message = _load_error(tmp_path, text)
    assert _line_of(message) == 20
    assert "global flags not at the start" in message
    assert "(?i:" in message and "Polaris" in message


def test_other_bad_regex_has_no_inline_flag_hint(tmp_path: Path) -> None:
    text = USER_POLICY.replace("          required: [acme.io/team]",
                               "          patternProperties:\n            \"^team-([a-z]+$\": {type: string}")
    message = _load_error(tmp_path, text)
    assert "invalid regular expression" in message and "Polaris" not in message
    assert _line_of(message) == 19


def test_unknown_parameter_and_placeholder(tmp_path: Path) -> None:
    message = _load_error(tmp_path, USER_POLICY.replace("required: [acme.io/team]", "required: {$param: teams}"))
    assert "unknown parameter 'teams'" in message and _line_of(message) == 18
    message = _load_error(tmp_path, USER_POLICY.replace("{value}", "{missing}"))
    assert "unknown placeholder {missing}" in message and _line_of(message) == 19


def test_target_must_fit_the_format(tmp_path: Path) -> None:
    message = _load_error(tmp_path, USER_POLICY.replace("target: object", "target: service"))
    assert "target 'service' does not apply to format 'kubernetes'" in message
    assert _line_of(message) == 10


def test_bad_quantity_bound(tmp_path: Path) -> None:
    text = USER_POLICY.replace("          required: [acme.io/team]",
                               "          properties:\n            cpu: {quantityMaximum: 2 cores}")
    message = _load_error(tmp_path, text)
    assert "not a Kubernetes quantity" in message and _line_of(message) == 19


def test_yaml_syntax_error_in_policy(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "code: [KS\n")
    assert "invalid YAML" in message


def test_duplicate_user_codes_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "pol", "a.yaml", USER_POLICY)
    _write(tmp_path / "pol", "b.yaml", USER_POLICY.replace("missing-team-annotation", "other-name"))
    with pytest.raises(ConfigError, match=r"b\.yaml:1:7: policy error: code 'ACME001' is also used by .*a\.yaml:1:7"):
        use_user_policies([str(tmp_path / "pol")])


def test_user_policy_may_not_reuse_a_builtin_code_or_name(tmp_path: Path) -> None:
    _write(tmp_path, "p.yaml", USER_POLICY.replace("ACME001", "KS703"))
    with pytest.raises(ConfigError, match="code 'KS703' is already used by the built-in rule KS703"):
        use_user_policies([str(tmp_path / "p.yaml")])
    _write(tmp_path, "p.yaml", USER_POLICY.replace("missing-team-annotation", "missing-readiness-probe"))
    with pytest.raises(ConfigError, match="name 'missing-readiness-probe' is already used by the built-in rule KS102"):
        use_user_policies([str(tmp_path / "p.yaml")])
    assert find_rule("ACME001") is None


def test_missing_policy_path_is_a_config_error(tmp_path: Path) -> None:
    _write(tmp_path, "deploy.yaml", DEPLOYMENT)
    with pytest.raises(ConfigError, match="neither a file nor a folder"):
        lint([str(tmp_path)], Config(policies=(str(tmp_path / "nope"),)))


def test_cli_reports_policy_errors_with_exit_2(tmp_path: Path) -> None:
    """A broken policy file stops the run with a usage error (exit 2), not a traceback."""
    _write(tmp_path, "deploy.yaml", DEPLOYMENT)
    bad = _write(tmp_path / "pol", "p.yaml", USER_POLICY.replace("severity: error", "severity: fatal"))
    script = ("import sys\nfrom kubelint_py.cli.app import run\nfrom kubelint_py import api\n"
              "from kubelint_py.engine.config import Config\n"
              "original = api.lint\n"
              f"api.lint = lambda paths, config, **kw: original(paths, Config(policies=({str(bad)!r},)), **kw)\n"
              "sys.exit(run(['check', sys.argv[1]]))\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "deploy.yaml")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert f"{bad}:3:11: policy error" in result.stderr


# --- the shipped catalogue ------------------------------------------------------------------------


def test_builtin_catalogue_is_valid_and_uses_the_reserved_codes() -> None:
    found = policies.builtin_policies(validate=True)
    assert {p.code for p in found} >= {"KS701", "KS702", "KS703", "KS704", "KS705", "DC701", "DF701"}
    for policy in found:
        assert policy.code.startswith(policies.BUILTIN_PREFIXES[policy.format]), policy.code
        rule_obj = find_rule(policy.code)
        assert rule_obj is not None and rule_obj.name == policy.name and "policy" in rule_obj.tags


def test_builtin_policies_are_all_off_by_default() -> None:
    # api.check_sources registers them only when --select/--extend-select could enable one: a shipped
    # policy on by default would silently never run.
    for policy in policies.builtin_policies():
        rule_obj = find_rule(policy.code)
        assert rule_obj is not None and not rule_obj.enabled_by_default, policy.code


def test_builtin_policy_runs_when_selected_by_tag_or_extend_select(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n"
    assert not {code for _, _, code, _ in _findings(tmp_path, "svc.yaml", text, Config())} & {"KS703"}
    for config in (Config(extend_select=("KS703",)), Config(select=("policy",))):
        codes = {code for _, _, code, _ in _findings(tmp_path, "svc.yaml", text, config)}
        assert "KS703" in codes, config


def test_builtin_policies_come_from_the_repository_rules_folder() -> None:
    assert policies.builtin_catalogue() == ROOT / "rules"


def _findings(tmp_path: Path, name: str, text: str, config: Config) -> list[tuple[int, int, str, str]]:
    path = _write(tmp_path, name, text)
    report = lint([str(path)], config)
    return [(f.location.line, f.location.column, f.code, f.message) for f in report.active]


def test_required_labels_parameter_from_config(tmp_path: Path) -> None:
    config = Config(select=("KS701",), rule_params={"missing-required-labels": {"labels": ["team", "tier"]}})
    text = DEPLOYMENT.replace("  annotations:", "  labels: {team: a}\n  annotations:")
    assert _findings(tmp_path, "d.yaml", text, config) == [
        (5, 3, "KS701", "Deployment 'web' lacks required label(s) tier; add them under metadata.labels")]


def test_resource_range_parameters_from_config(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("          readinessProbe", "          resources: {limits: {memory: 2Gi}}\n"
                              "          readinessProbe")
    assert _findings(tmp_path, "d.yaml", text, Config(select=("KS704",))) == []
    config = Config(select=("KS704",), rule_params={"KS704": {"maxMemory": "1Gi"}})
    [(line, column, code, message)] = _findings(tmp_path, "d.yaml", text, config)
    assert (line, column, code) == (16, 40, "KS704")
    assert "resources.limits.memory is 2Gi" in message and "maximum of 1Gi" in message


def test_registry_parameter_allows_a_path_prefix(tmp_path: Path) -> None:
    config = Config(select=("KS702",), rule_params={"KS702": {"registries": ["ghcr.io/acme"]}})
    text = DEPLOYMENT.replace("image: web:1.0.0", "image: ghcr.io/acme/web:1.0.0")
    assert _findings(tmp_path, "d.yaml", text, config) == []
    text = DEPLOYMENT.replace("image: web:1.0.0", "image: ghcr.io/acme-evil/web:1.0.0")
    assert [f[:3] for f in _findings(tmp_path, "d.yaml", text, config)] == [(15, 18, "KS702")]


@pytest.mark.parametrize(("image", "repository"), [
    ("nginx", "docker.io/library/nginx"),
    ("nginx:1.27", "docker.io/library/nginx"),
    ("bitnami/redis:7", "docker.io/bitnami/redis"),
    ("localhost:5000/app:1", "localhost:5000/app"),
    ("ghcr.io/org/app@sha256:abc", "ghcr.io/org/app"),
    ("registry:5000/team/app", "registry:5000/team/app"),
])
def test_image_repository(image: str, repository: str) -> None:
    assert canonical_repository(image) == repository


def test_policies_obey_ignore_and_severity_overrides(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports: [{port: 80}]\n"
    path = _write(tmp_path, "svc.yaml", text)
    assert lint([str(path)], Config()).active == []  # shipped policies are opt-in
    report = lint([str(path)], Config(extend_select=("KS703",),
                                      severity_overrides={"nodeport-service": Severity.ERROR}))
    assert [(f.code, f.severity, f.location.line) for f in report.active] == [("KS703", Severity.ERROR, 5)]
    for selector in ("KS703", "KS7", "policy", "nodeport-service"):
        assert lint([str(path)], Config(extend_select=("KS703",), ignore=(selector,))).active == []


# --- user policies ------------------------------------------------------------------------------


def test_user_policies_from_a_config_folder(tmp_path: Path) -> None:
    _write(tmp_path / "policies", "team.yaml", USER_POLICY)
    manifest = _write(tmp_path / "k8s", "deploy.yaml", DEPLOYMENT)
    report = lint([str(manifest)], Config(policies=(str(tmp_path / "policies"),)))
    found = [f for f in report.active if f.code == "ACME001"]
    assert [(f.location.line, f.location.column, f.severity, f.message) for f in found] == [
        (5, 3, Severity.ERROR, "Deployment 'web' in namespace 'default' lacks annotation acme.io/team")]
    rule_obj = find_rule("missing-team-annotation")
    assert rule_obj is not None and rule_obj in report.rules
    assert "ACME001 missing-team-annotation" in explain_text(rule_obj)
    assert "ACME001" in [r.code for r in all_rules()]
    # another configuration without it: the policy is gone from the registry and the run
    report = lint([str(manifest)], Config())
    assert find_rule("ACME001") is None and all(f.code != "ACME001" for f in report.findings)


def test_user_policies_for_compose_and_dockerfile(tmp_path: Path) -> None:
    _write(tmp_path / "pol", "compose.yaml", """\
        code: ACME101
        name: service-without-restart
        summary: Service has no restart policy
        match: {format: compose, excludeServices: [migrate*]}
        target: service
        schema: {required: [restart]}
        message: "service '{service}' has no restart policy"
        ---
        code: ACME102
        name: acme-privileged-service
        summary: Service runs privileged
        match: {format: compose}
        target: service
        forbid: {properties: {privileged: {const: true}}, required: [privileged]}
        """)
    _write(tmp_path / "pol", "docker.yaml", """\
        code: ACME201
        name: curl-pipe-shell
        summary: RUN pipes a download into a shell
        match: {format: dockerfile}
        target: {type: instruction, instructions: [RUN]}
        forbid: {properties: {arguments: {pattern: "(?i)curl[^|]*[|]\\\\s*(ba)?sh"}}}
        message: "{instruction} pipes a download into a shell: {value}"
        """)
    compose = _write(tmp_path / "app", "compose.yaml", """\
        services:
          web:
            image: nginx:1.27
            privileged: true
          migrate-db:
            image: nginx:1.27
            restart: "no"
        """)
    dockerfile = _write(tmp_path / "app", "Dockerfile", "FROM alpine:3.20\nRUN CURL -fsSL https://x.example | sh\n")
    report = lint([str(compose), str(dockerfile)],
                  Config(select=("ACME",), policies=(str(tmp_path / "pol"),)))
    assert [(Path(f.location.path).name, f.location.line, f.location.column, f.code, f.message)
            for f in report.active] == [
        ("Dockerfile", 2, 1, "ACME201", "RUN pipes a download into a shell: CURL -fsSL https://x.example | sh"),
        ("compose.yaml", 2, 3, "ACME101", "service 'web' has no restart policy"),
        ("compose.yaml", 4, 17, "ACME102",
         "service 'web': acme-privileged-service: privileged matches a forbidden pattern"),
    ]


def test_forbid_points_at_the_deepest_matching_field(tmp_path: Path) -> None:
    _write(tmp_path / "pol", "p.yaml", """\
        code: ACME301
        name: host-path-volume
        summary: Pod mounts a hostPath volume
        match: {format: kubernetes}
        target: podSpec
        forbid:
          properties:
            volumes:
              contains:
                required: [hostPath]
                properties:
                  hostPath:
                    properties:
                      path: {pattern: "^/var/run/docker"}
          required: [volumes]
        message: "{kind} '{name}' mounts {value} from the host ({path})"
        """)
    text = DEPLOYMENT.replace("      containers:", "      volumes:\n        - name: tmp\n          emptyDir: {}\n"
                              "        - name: sock\n          hostPath: {path: /var/run/docker.sock}\n"
                              "      containers:")
    config = Config(select=("ACME301",), policies=(str(tmp_path / "pol"),))
    assert _findings(tmp_path, "d.yaml", text, config) == [
        (17, 28, "ACME301", "Deployment 'web' mounts /var/run/docker.sock from the host (volumes[1].hostPath.path)")]


def test_missing_field_points_at_the_key_that_should_hold_it(tmp_path: Path) -> None:
    _write(tmp_path / "pol", "p.yaml", """\
        code: ACME401
        name: container-without-limits
        summary: Container has no memory limit
        match: {format: kubernetes, namespaces: [default], labels: {matchLabels: {tier: web}}}
        target: {type: container, initContainers: false}
        schema:
          required: [resources]
          properties:
            resources:
              required: [limits]
              properties:
                limits: {required: [memory]}
        message: "container '{container}' has no {value} limit"
        """)
    config = Config(select=("ACME401",), policies=(str(tmp_path / "pol"),))
    text = DEPLOYMENT.replace("  name: web\n", "  name: web\n  labels: {tier: web}\n", 1)
    text = text.replace("          readinessProbe",
                        "          resources: {requests: {cpu: 1}}\n          readinessProbe")
    # `resources:` exists without limits: the finding is on the `resources:` key
    assert _findings(tmp_path, "d.yaml", text, config) == [(17, 11, "ACME401", "container 'web' has no memory limit")]
    # no resources at all: on the container's `- name:` line
    text = text.replace("          resources: {requests: {cpu: 1}}\n", "")
    assert _findings(tmp_path, "d.yaml", text, config) == [(15, 17, "ACME401", "container 'web' has no memory limit")]
    # label selector and namespace filters
    assert _findings(tmp_path, "d.yaml", text.replace("tier: web", "tier: db"), config) == []
    assert _findings(tmp_path, "d.yaml", text.replace("  name: web\n", "  name: web\n  namespace: x\n", 1),
                     config) == []


# --- listing and explaining -----------------------------------------------------------------------


def test_rules_lists_builtin_policies() -> None:
    result = invoke(["rules"])
    assert result.exit_code == 0
    assert any(line.startswith("KS703") and "nodeport-service" in line for line in result.output.splitlines())
    listed = json.loads(invoke(["rules", "--format", "json"]).output)
    by_code = {entry["code"]: entry for entry in listed}
    assert by_code["KS705"]["enabled"] is False and "policy" in by_code["KS705"]["tags"]
    assert by_code["DF701"]["format"] == "dockerfile"


def test_explain_shows_policy_docs_and_examples() -> None:
    result = invoke(["explain", "missing-required-labels"])
    assert result.exit_code == 0
    assert "KS701 missing-required-labels" in result.output
    assert "labels (default" in result.output and "app.kubernetes.io/name" in result.output
    assert "Label keys every workload must carry" in result.output
    bad_example = result.output.split("Example (bad)", 1)[1]
    assert "kind: Deployment" in bad_example and "KS701" in bad_example


def test_policy_loading_is_lazy() -> None:
    """No policy file is read (and jsonschema is not imported) for a run that cannot use policies."""
    script = textwrap.dedent(f"""\
        import sys
        from kubelint_py.api import lint
        from kubelint_py.engine.config import Config
        lint([{str(ROOT / "README.md")!r}], Config())
        print("kubelint_py.engine.policies" in sys.modules, "jsonschema" in sys.modules)
        lint([{str(ROOT / "fixtures" / "kubernetes" / "KS102")!r}], Config(select=("KS102",)))
        print("kubelint_py.engine.policies" in sys.modules, "jsonschema" in sys.modules)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.split() == ["False", "False", "True", "False"]


# --- the guide's examples are real policies --------------------------------------------------------


def _guide_policies(tmp_path: Path) -> Path:
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]
    folder = tmp_path / "guide"
    folder.mkdir()
    count = 0
    for block in blocks:
        if "\ncode: " in "\n" + block:
            count += 1
            (folder / f"example{count}.yaml").write_text(block, encoding="utf-8")
    assert count == 4
    return folder


def test_guide_examples_load_and_find_what_the_guide_says(tmp_path: Path) -> None:
    folder = _guide_policies(tmp_path)
    manifest = _write(tmp_path / "k8s", "deploy.yaml", """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          labels: {team: payments}
        spec:
          replicas: 3
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              volumes:
                - name: tmp
                  emptyDir: {}
                - name: sock
                  hostPath: {path: /var/run/docker.sock}
              containers:
                - name: api
                  image: api:1.0.0
                  resources: {limits: {memory: 512m}}
        """)
    config = Config(select=("ACME",), policies=(str(folder),),
                    rule_params={"ACME001": {"labels": ["team", "tier"]}})
    report = lint([str(manifest)], config)
    assert [(f.location.line, f.location.column, f.code, f.message) for f in report.active] == [
        (4, 9, "ACME004", "Deployment 'api' has no PodDisruptionBudget in namespace 'default' that selects its pods"),
        (5, 3, "ACME001", "Deployment 'api' lacks label(s) tier"),
        (16, 28, "ACME003", "Deployment 'api' mounts /var/run/docker.sock from the host (volumes[1].hostPath.path)"),
        (20, 40, "ACME002", "container 'api' of Deployment 'api': resources.limits.memory is 512m "
                            "(512m is less than the minimum of 64Mi)"),
    ]


def test_policy_findings_and_metadata_reach_sarif(tmp_path: Path) -> None:
    from kubelint_py.report.sarif import render

    path = _write(tmp_path, "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                  "spec:\n  type: NodePort\n  ports: [{port: 80}]\n")
    log = json.loads(render(lint([str(path)], Config(select=("KS703",))), cwd=tmp_path))
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["KS703"]
    assert run["tool"]["driver"]["rules"][0]["name"] == "nodeport-service"
    [result] = run["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (result["ruleId"], region["startLine"], region["startColumn"]) == ("KS703", 5, 9)


def test_remote_references_are_refused(tmp_path: Path) -> None:
    text = USER_POLICY.replace("          required: [acme.io/team]", "          $ref: https://example.com/s.json")
    message = _load_error(tmp_path, text)
    assert "nothing is fetched" in message and _line_of(message) == 18


def test_parameter_of_the_wrong_type_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.yaml", DEPLOYMENT)
    report = lint([str(path)], Config(select=("KS701", "KL005"), rule_params={"KS701": {"labels": "team"}}))
    [finding] = report.active
    assert finding.code == "KL005"
    assert "parameter 'labels' of KS701 must be a list like its default" in finding.message


# --- through the configuration file and the CLI -------------------------------------------------------


def _project(tmp_path: Path, policy: str = USER_POLICY) -> Path:
    _write(tmp_path / "policies", "team.yaml", policy.replace(
        "match:", "params:\n  key:\n    default: acme.io/team\n    help: The annotation.\nmatch:").replace(
        "required: [acme.io/team]", "required: [{$param: key}]"))
    _write(tmp_path, ".kubelint.yaml", """\
        policies: [policies/]
        severity: {missing-team-annotation: warning}
        parameters:
          ACME001: {key: acme.io/owner}
        """)
    _write(tmp_path / "k8s", "deploy.yaml", DEPLOYMENT)
    return tmp_path


def test_config_file_policies_with_cli_select_severity_and_parameters(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_project(tmp_path))
    result = invoke(["check", "k8s", "--select", "ACME001"])
    assert result.exit_code == 1, result.output
    assert ("k8s/deploy.yaml:5:3: ACME001 [warning] Deployment 'web' in namespace 'default' lacks annotation "
            "acme.io/owner") in result.output
    listed = invoke(["rules"])
    assert any(line.startswith("ACME001") for line in listed.output.splitlines())
    explained = invoke(["explain", "ACME001"])
    assert explained.exit_code == 0 and "On-call needs to know whom to page." in explained.output


def test_config_file_with_a_broken_policy_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_project(tmp_path, USER_POLICY.replace("target: object", "target: objekt")))
    result = invoke(["check", "k8s"])
    assert result.exit_code == 2
    assert ("policies/team.yaml:14:9: policy error: target: 'objekt' is not one of ['object', 'podSpec', "
            "'container', 'service', 'instruction']") in result.output.replace(str(tmp_path) + "/", "")


def test_policy_findings_are_suppressed_like_builtin_ones(tmp_path: Path) -> None:
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web{annotations}\nspec:\n  type: NodePort{comment}\n"
    for metadata, comment in (("", "  # kubelint: ignore=nodeport-service -- legacy LB"),
                              ("\n  annotations: {kubelint.io/ignore: KS703}", "")):
        path = _write(tmp_path, "svc.yaml", service.format(annotations=metadata, comment=comment))
        report = lint([str(path)], Config(select=("KS703",)))
        assert report.active == []
        assert [f.code for f in report.findings if f.suppressed is not None] == ["KS703"]


def test_min_replicas_needs_kubernetes_and_makes_the_policy_cross_object(tmp_path: Path) -> None:
    compose = textwrap.dedent("""\
        code: ACME050
        name: replicated-service
        summary: s
        match:
          format: compose
          minReplicas: 2
        target: service
        schema: {required: [image]}
        """)
    message = _load_error(tmp_path, compose)
    assert "minReplicas counts a workload's pods" in message and _line_of(message) == 6
    kube = compose.replace("format: compose", "format: kubernetes").replace("target: service", "target: object")
    loaded = policies.load_policy_file(_write(tmp_path, "k.yaml", kube))
    policies.to_rule(loaded[0])
    assert "ACME050" in policies.CROSS_OBJECT
    policies.CROSS_OBJECT.discard("ACME050")
