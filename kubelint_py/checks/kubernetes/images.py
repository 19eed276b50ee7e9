"""Image references: pinned tags and pull policies."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.checks.kubernetes._common import is_template_text
from kubelint_py.engine.registry import Parameter, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.images import split_image
from kubelint_py.models.kubernetes import Container


def _image_change_containers(container: Container) -> set[str]:
    """OpenShift DeploymentConfig containers whose image an ImageChange trigger fills in."""
    names: set[str] = set()
    triggers = container.resource.spec.get_list("triggers")
    for _, trigger in triggers.maps() if triggers is not None else []:
        params = trigger.get_map("imageChangeParams")
        found = params.get_list("containerNames") if params is not None else None
        names.update(str(n) for n in found or ())
    return names


def _pinned_elsewhere(container: Container) -> bool:
    return container.resource.kind == "DeploymentConfig" and container.name in _image_change_containers(container)


@rule(
    code="KS201", name="image-tag-mutable", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Image has no tag or uses `latest`",
    rationale="`latest` (or no tag, which means `latest`) changes under you: two replicas can run "
              "different code, rollbacks do not roll back, and a rollout can pick up an untested image.",
    fix="Pin a specific version tag (`nginx:1.27.3`), ideally with a digest (`nginx:1.27.3@sha256:...`).",
    tags=("reliability", "security"), aliases=("latest-tag", "CKV_K8S_14"),
    parameters={"mutable_tags": Parameter(["latest"], "Tags treated like `latest` (moving tags).")},
)
def image_tag_mutable(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    image = container.image
    if image is None or not image.strip() or is_template_text(image) or _pinned_elsewhere(container):
        return
    _, tag, digest = split_image(image.strip())
    if digest is not None:
        return
    if tag is None:
        yield Violation(f"image '{image}' of container '{container.name}' has no tag (it means `latest`); "
                        "pin a version", container.at("image"))
    elif tag in ctx.params["mutable_tags"]:
        yield Violation(f"image '{image}' of container '{container.name}' uses the moving tag '{tag}'; pin a "
                        "version", container.at("image"))


@rule(
    code="KS202", name="pull-policy-with-mutable-tag", target=Target.K8S_CONTAINER, severity=Severity.INFO,
    summary="imagePullPolicy Never or IfNotPresent with a mutable tag",
    rationale="With `IfNotPresent` or `Never`, a node keeps whichever `latest` it pulled first, so pods on "
              "different nodes run different images and a new push never arrives.",
    fix="Pin a version tag or digest, or use `imagePullPolicy: Always` for moving tags.",
    tags=("reliability",),
)
def pull_policy_with_mutable_tag(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    policy = container.data.get("imagePullPolicy")
    image = container.image
    if policy not in ("Never", "IfNotPresent") or image is None or not image.strip() or is_template_text(image):
        return
    _, tag, digest = split_image(image.strip())
    if digest is None and tag in (None, "latest"):
        yield Violation(f"container '{container.name}' uses imagePullPolicy {policy} with the mutable image "
                        f"'{image}'; nodes keep stale copies: pin a tag or use Always",
                        container.at("imagePullPolicy"))
