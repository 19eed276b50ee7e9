"""Secrets written in plain text where Kubernetes does not treat them as secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubelint_py.checks.secrets import find_secret_values, is_literal_secret_value, is_secret_name
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container, Resource
from kubelint_py.models.located import YList, YMap


@rule(
    code="KS401", name="literal-secret-in-env", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Secret written as a literal environment variable value",
    rationale="A literal `value` under a secret's name (PASSWORD, TOKEN, API_KEY ...) lands in the workload "
              "object, in `kubectl describe`, in Git history and in every backup; anyone who can read the "
              "workload can read it. A word that looks like a placeholder (`example`, `changeme`) is still a "
              "committed credential. Only an empty value, a `${VAR}`/`$(VAR)` reference, a fill-in marker such "
              "as `<password>` and switches such as ALLOW_EMPTY_PASSWORD are not reported. A value that is "
              "recognisably a real credential (a token format, a private key) is KS414, an error.",
    fix="Put the value in a Secret and use `valueFrom.secretKeyRef` (or `envFrom.secretRef`).",
    tags=("security",), aliases=("env-var-secret", "CKV_K8S_35"),
)
def literal_secret_in_env(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    env = container.get_list("env")
    for _, item in env.maps() if env is not None else []:
        value = item.get("value")
        if not isinstance(value, str) or not value:
            continue
        name = str(item.get("name", ""))
        if find_secret_values(value):
            continue  # KS414
        if is_secret_name(name) and is_literal_secret_value(value):
            yield Violation(f"env var '{name}' of container '{container.name}' has a literal secret value; "
                            "move it to a Secret and use valueFrom.secretKeyRef",
                            container.resource.at(item, "value"))


MAX_STRINGS_PER_CONTAINER = 2000
"""Strings of one container scanned for credentials (env values, args, command): a budget."""


def _container_strings(container: Container) -> Iterator[tuple[str, str, YMap | YList, Any]]:
    """(where, text, container node, key) for every env value, arg and command word."""
    env = container.get_list("env")
    for _, item in env.maps() if env is not None else []:
        value = item.get("value")
        if isinstance(value, str):
            yield f"env var '{item.get('name', '')}'", value, item, "value"
    for field in ("command", "args"):
        words = container.get_list(field)
        for position, word in enumerate(words or ()):
            if isinstance(word, str):
                yield field, word, words, position  # type: ignore[misc]


@rule(
    code="KS414", name="credential-in-manifest", target=Target.K8S_CONTAINER, severity=Severity.ERROR,
    summary="A recognisable credential (token format, private key) is written in a container's env, args or "
            "command",
    rationale="Values in these formats are real credentials whatever the variable is called: cloud and API "
              "tokens with a documented prefix (GitHub, GitLab, Slack, Stripe, Google, AWS, npm, OpenAI, PyPI, "
              "Docker Hub, Vault), private keys, Azure connection strings with a key, passwords inside URLs. "
              "Committed in a manifest, they are readable by anyone with the repository or the object.",
    fix="Revoke the credential, put the new one in a Secret, and pass it with `valueFrom.secretKeyRef` (env) "
        "or `$(VAR)` expansion of such an env var in args and command.",
    tags=("security",),
)
def credential_in_manifest(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    for count, (where, text, node, key) in enumerate(_container_strings(container)):
        if count >= MAX_STRINGS_PER_CONTAINER:
            return
        matches = find_secret_values(text)
        if matches:
            yield Violation(f"{where} of container '{container.name}' holds a literal {matches[0].kind}; revoke "
                            "it and pass a Secret instead", container.resource.at(node, key))


@rule(
    code="KS415", name="credential-in-annotation", target=Target.K8S_OBJECT, severity=Severity.ERROR,
    summary="A recognisable credential is written in an object's annotations",
    rationale="Annotations are readable by everyone who can read the object (and are copied into "
              "`last-applied-configuration`); a token, key or password-bearing URL there is exposed.",
    fix="Revoke the credential and reference a Secret instead.",
    tags=("security",),
)
def credential_in_annotation(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    metadata = resource.body.get_map("metadata")
    annotations = metadata.get_map("annotations") if metadata is not None else None
    for key, value in annotations.items() if annotations is not None else []:
        if isinstance(value, str):
            matches = find_secret_values(value)
            if matches:
                yield Violation(f"annotation '{key}' of {resource.display} holds a literal {matches[0].kind}; "
                                "revoke it and reference a Secret instead", resource.at(annotations, key))


@rule(
    code="KS402", name="secret-in-configmap", target=Target.K8S_OBJECT, kinds=("ConfigMap",),
    severity=Severity.WARNING,
    summary="ConfigMap holds secret-looking data",
    rationale="ConfigMaps are not meant for secrets: they are readable by far more roles, never encrypted "
              "at rest and printed by `kubectl describe`.",
    fix="Move the value into a Secret (or an external secret store) and reference it from there.",
    tags=("security",),
)
def secret_in_configmap(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "ConfigMap":
        return
    data = resource.body.get_map("data")
    for key, value in data.items() if data is not None else []:
        if not isinstance(value, str) or not value:
            continue
        matches = find_secret_values(value)
        if matches:
            yield Violation(f"ConfigMap '{resource.name}' key '{key}' contains a {matches[0].kind}; move it to "
                            "a Secret", resource.at(data, key))
        elif "\n" not in value.strip() and is_secret_name(str(key)) and is_literal_secret_value(value):
            yield Violation(f"ConfigMap '{resource.name}' key '{key}' looks like a secret; move it to a Secret",
                            resource.at(data, key))
