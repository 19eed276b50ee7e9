"""Pod templates inside custom resources, found by their shape rather than by a table of kinds.

A PodTemplateSpec is a mapping whose `spec` holds `containers`, a list of mappings with an `image`
(Argo Rollouts `spec.template`, JobSet `replicatedJobs[].template.spec.template`, LeaderWorkerSet
`leaderWorkerTemplate.leaderTemplate`, Knative `spec.template`, Kubeflow `*ReplicaSpecs.*.template`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubelint_py.models.located import YList, YMap

MAX_NODES = 5000
"""Nodes of one custom resource searched (a budget: a large CR is data, not pod templates)."""
MAX_TEMPLATES = 32


def _is_pod_spec(node: Any) -> bool:
    containers = node.get("containers") if isinstance(node, YMap) else None
    return isinstance(containers, YList) and any(
        isinstance(c, YMap) and isinstance(c.get("image"), str) for c in containers)


def find_pod_templates(spec: Any) -> Iterator[tuple[YMap, YMap]]:
    """(template, pod spec) for every pod-template-shaped mapping under `spec`, in document order."""
    stack: list[Any] = [spec]
    seen = found = 0
    while stack and seen < MAX_NODES and found < MAX_TEMPLATES:
        node = stack.pop()
        seen += 1
        if isinstance(node, YMap):
            inner = node.get("spec")
            if isinstance(inner, YMap) and _is_pod_spec(inner):
                found += 1
                yield node, inner
                continue  # a pod template holds no further pod templates
            stack.extend(reversed([v for v in node.values() if isinstance(v, YMap | YList)]))
        elif isinstance(node, YList):
            stack.extend(reversed([v for v in node if isinstance(v, YMap | YList)]))
