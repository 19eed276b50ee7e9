"""Objects that controllers create: what a custom resource (or a Job) in the files implies exists.

A small table of facts about well-known operators, from their documentation, plus two generic rules:
- an object whose name derives from a custom resource's name in the same namespace (`<name>-app`,
  `rfs-<name>`, `user.<name>.credentials...`) is possibly created by that resource's operator;
- a Job or Pod that passes `--secret-name X` (ingress-nginx's admission certgen and similar) creates X.
References and selectors that such facts may satisfy are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubelint_py.models.located import YList, YMap

# Labels operators put on the pods they create, valued with the custom resource's name.
OPERATOR_POD_LABELS = frozenset({
    "cnpg.io/cluster", "cnpg.io/poolerName", "postgresql",                       # CloudNativePG
    "cluster-name", "application",                                                # Zalando postgres-operator
    "postgres-operator.crunchydata.com/cluster",                                  # Crunchy PGO
    "elasticsearch.k8s.elastic.co/cluster-name", "kibana.k8s.elastic.co/name",    # ECK
    "apm.k8s.elastic.co/name", "beat.k8s.elastic.co/name", "agent.k8s.elastic.co/name",
    "strimzi.io/cluster", "strimzi.io/name",                                      # Strimzi
    "app.kubernetes.io/name", "app.kubernetes.io/instance",                      # RabbitMQ, Redis, many
    "redisfailovers.databases.spotahome.com/name", "redis.redis.opstreelabs.in/name",
    "leaderworkerset.sigs.k8s.io/name", "jobset.sigs.k8s.io/jobset-name",         # LWS, JobSet
    "serving.knative.dev/service", "serving.knative.dev/configuration",          # Knative
    "prometheus", "alertmanager", "app.kubernetes.io/managed-by",                 # prometheus-operator
    "ray.io/cluster", "training.kubeflow.org/job-name", "spark-app-name",         # KubeRay, Kubeflow, Spark
    "mongodb.com/v1.mongodbcommunity", "app.kubernetes.io/part-of",
})

# Name prefixes operators put before the resource's name (Redis spotahome: rfs-/rfr-; Redis Enterprise:
# redb-; prometheus-operator's shared Services are fixed names).
DERIVED_PREFIXES = ("rfs-", "rfr-", "redb-", "prometheus-", "alertmanager-")
FIXED_NAMES = frozenset({"prometheus-operated", "alertmanager-operated", "thanos-ruler-operated"})

MAX_TEMPLATE_WALK = 5000
"""Nodes of one custom resource's spec searched for pod templates (a budget)."""


def derived_from(name: str, owner: str) -> bool:
    """True when `name` is built from a custom resource's name `owner` the way operators build them."""
    if not owner:
        return False
    if name == owner or name.startswith((owner + "-", owner + ".")):
        return True
    if any(name == prefix + owner or name.startswith(prefix + owner + "-") for prefix in DERIVED_PREFIXES):
        return True
    return f".{owner}." in name or name.endswith("-" + owner) or name in FIXED_NAMES


def possible_owners(name: str) -> set[str]:
    """Every owner name for which derived_from(name, owner) holds (but FIXED_NAMES, which any owner
    satisfies): a missing object is matched against a namespace's custom resources by set lookups, not
    by a walk over all of them per reference (a product of references and custom resources)."""
    found = {name}
    for position, char in enumerate(name):
        if char in "-.":
            found.add(name[:position])        # owner-..., owner....
        if char == "-":
            found.add(name[position + 1:])    # ...-owner
    for prefix in DERIVED_PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix):]
            found.add(rest)
            found.update(rest[:position] for position, char in enumerate(rest) if char == "-")
    dots = [position for position, char in enumerate(name) if char == "."][:64]  # a budget: pairs of dots
    found.update(name[start + 1:end] for i, start in enumerate(dots) for end in dots[i + 1:])
    found.discard("")
    return found


def secret_names_from_args(spec: Any) -> Iterator[str]:
    """`--secret-name X` / `--secret-name=X` in the containers of a pod spec (certificate generators)."""
    if not isinstance(spec, YMap):
        return
    for holder in ("containers", "initContainers"):
        containers = spec.get(holder)
        if not isinstance(containers, YList):
            continue
        for container in containers:
            if not isinstance(container, YMap):
                continue
            words = [w for field in ("command", "args") if isinstance(container.get(field), YList)
                     for w in container[field] if isinstance(w, str)]
            for position, word in enumerate(words[:500]):
                if word.startswith("--secret-name="):
                    yield word.split("=", 1)[1]
                elif word == "--secret-name" and position + 1 < len(words):
                    yield words[position + 1]


def pod_template_labels(spec: Any) -> list[dict[str, str]]:
    """Labels of every pod-template-shaped mapping under a custom resource's spec: a mapping with
    `metadata.labels` next to a `spec` that has `containers` (found generically, with a budget)."""
    found: list[dict[str, str]] = []
    stack: list[Any] = [spec]
    seen = 0
    while stack and seen < MAX_TEMPLATE_WALK:
        node = stack.pop()
        seen += 1
        if isinstance(node, YMap):
            inner = node.get("spec")
            meta = node.get("metadata")
            if isinstance(inner, YMap) and isinstance(inner.get("containers"), YList) and isinstance(meta, YMap):
                labels = meta.get("labels")
                if isinstance(labels, YMap) and labels:
                    found.append({str(k): str(v) for k, v in labels.items()})
            stack.extend(v for v in node.values() if isinstance(v, YMap | YList))
        elif isinstance(node, YList):
            stack.extend(v for v in node if isinstance(v, YMap | YList))
    return found
