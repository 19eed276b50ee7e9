"""The project index: every object of every linted file, for cross-object and cross-format rules."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from kubelint_py.models.kubernetes import CLUSTER_SCOPED_KINDS, LabelSelector, Resource, Workload

if TYPE_CHECKING:  # type-only: a Kubernetes-only run does not import the Dockerfile and compose models
    from kubelint_py.models.compose import ComposeFile
    from kubelint_py.models.dockerfile import Dockerfile

    class BuildContext(Protocol):
        """A Dockerfile's build context as the loader listed it (loading.build_context.ContextListing)."""

        @property
        def secret_candidates(self) -> tuple[str, ...]: ...

        @property
        def ignore_file(self) -> str | None: ...

        def leaked(self) -> list[str]: ...


class ObjectKey(NamedTuple):
    kind: str
    namespace: str | None
    name: str


def _pattern_matches(pattern: str, value: str | None) -> bool:
    return pattern == "*" or pattern == (value or "")


@dataclass
class ProjectIndex:
    """Lookups by kind, namespace, name and labels. Built once per run; rules only read it."""

    default_namespace: str = "default"
    external_objects: tuple[str, ...] = ()
    """`Kind/namespace/name` or `Kind/name` (cluster-scoped) patterns of objects that exist outside
    the linted files; `*` matches any namespace or name."""
    resources: list[Resource] = field(default_factory=list)
    patch_files: frozenset[str] = frozenset()
    """Normalised paths of files used as kustomize patches (partial objects): see kubelint_py.building.kustomize."""
    compose_files: list[ComposeFile] = field(default_factory=list)
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    build_contexts: dict[str, BuildContext] = field(default_factory=dict)
    """Dockerfile path -> its build context listing (only for Dockerfiles that copy the whole context)."""
    _by_key: dict[ObjectKey, list[Resource]] = field(default_factory=lambda: defaultdict(list))
    _by_kind: dict[str, list[Resource]] = field(default_factory=lambda: defaultdict(list))
    _workloads_by_ns: dict[str | None, list[Workload]] = field(default_factory=lambda: defaultdict(list))
    _label_index: dict[tuple[str | None, str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    _label_index_anywhere: dict[tuple[str | None, str, str], set[int]] = field(
        default_factory=lambda: defaultdict(set))
    """The same postings with every namespace together (the namespace part of each key is None)."""
    _workloads: list[Workload] = field(default_factory=list)
    _cluster_scoped_kinds: set[str] = field(default_factory=set)
    derived: dict[str, Any] = field(default_factory=dict)
    """Views that helper modules build from the index once per run (e.g. compose projects)."""

    @classmethod
    def build(cls, resources: Iterable[Resource], compose_files: Iterable[ComposeFile] = (),
              dockerfiles: Iterable[Dockerfile] = (), *, default_namespace: str = "default",
              external_objects: Iterable[str] = (), patch_files: Iterable[str] = ()) -> ProjectIndex:
        index = cls(default_namespace=default_namespace, external_objects=tuple(external_objects),
                    patch_files=frozenset(patch_files))
        resource_list = list(resources)
        # CRDs in the tree declare the scope of their kinds.
        for resource in resource_list:
            if resource.kind == "CustomResourceDefinition" and resource.spec.get("scope") == "Cluster":
                names = resource.spec.get_map("names")
                if names is not None and isinstance(names.get("kind"), str):
                    index._cluster_scoped_kinds.add(names["kind"])
        for resource in resource_list:
            index._add(resource)
        index.compose_files.extend(compose_files)
        index.dockerfiles.extend(dockerfiles)
        return index

    def _add(self, resource: Resource) -> None:
        self.resources.append(resource)
        namespace = self.namespace_of(resource)
        self._by_key[ObjectKey(resource.kind, namespace, resource.name)].append(resource)
        self._by_kind[resource.kind].append(resource)
        for workload in resource.all_workloads:
            position = len(self._workloads)
            self._workloads.append(workload)
            self._workloads_by_ns[namespace].append(workload)
            for key, value in workload.pod_labels.items():
                self._label_index[(namespace, key, value)].add(position)
                self._label_index_anywhere[(None, key, value)].add(position)

    def is_patch(self, resource: Resource) -> bool:
        """True when the object's file is a kustomize patch: a partial object, not a whole one."""
        return bool(self.patch_files) and os.path.normpath(resource.path) in self.patch_files

    def is_cluster_scoped(self, resource: Resource) -> bool:
        return resource.cluster_scoped or resource.kind in self._cluster_scoped_kinds

    def namespace_of(self, resource: Resource) -> str | None:
        """The namespace the object lands in: its own, else the default; None when cluster-scoped."""
        kind = resource.kind  # is_cluster_scoped inlined: rules ask this of every object several times
        if kind in CLUSTER_SCOPED_KINDS or kind in self._cluster_scoped_kinds:
            return None
        return resource.raw_namespace or self.default_namespace

    def get(self, kind: str, namespace: str | None, name: str) -> list[Resource]:
        return list(self._by_key.get(ObjectKey(kind, namespace, name), ()))

    def exists(self, kind: str, namespace: str | None, name: str) -> bool:
        """Defined in the linted files, or declared as an external object in the configuration."""
        return bool(self._by_key.get(ObjectKey(kind, namespace, name))) or self.is_external(kind, namespace, name)

    def is_external(self, kind: str, namespace: str | None, name: str) -> bool:
        for entry in self.external_objects:
            parts = entry.split("/")
            if len(parts) == 3:
                ext_kind, ext_ns, ext_name = parts
            elif len(parts) == 2:
                ext_kind, ext_name = parts
                ext_ns = "*"
            else:
                continue
            if (ext_kind == kind and _pattern_matches(ext_ns, namespace) and _pattern_matches(ext_name, name)):
                return True
        return False

    def of_kind(self, kind: str, namespace: str | None = None) -> list[Resource]:
        found = self._by_kind.get(kind, [])
        if namespace is None:
            return list(found)
        return [r for r in found if self.namespace_of(r) == namespace]

    @property
    def workloads(self) -> list[Workload]:
        return list(self._workloads)

    def workloads_selected(self, namespace: str | None, selector: LabelSelector) -> list[Workload]:
        """Workloads in the namespace whose pod template labels the selector matches.

        Uses the label index: the candidates are those carrying the selector's first matchLabels pair,
        so cost follows the number of matches, not the number of workloads.
        """
        if selector.match_labels:
            positions = self._positions(namespace, selector.match_labels)
            if not positions:
                return []
            candidates: Iterator[Workload] = (self._workloads[i] for i in sorted(positions))
        else:
            candidates = iter(self._workloads_by_ns.get(namespace, ()))
        return [w for w in candidates if selector.matches(w.pod_labels)]

    def _positions(self, namespace: str | None, pairs: tuple[tuple[str, str], ...],
                   label_index: dict[tuple[str | None, str, str], set[int]] | None = None) -> set[int]:
        """Positions of the namespace's workloads carrying every label pair: only the rarest pair's
        workloads are walked. Starting from the first pair was a product cost: Helm charts put a label
        every workload shares first (app.kubernetes.io/part-of, .../instance), so each selector copied the
        whole namespace's workloads (benchmarks/scaling.py)."""
        postings = []
        index = self._label_index if label_index is None else label_index
        for key, value in pairs:
            found = index.get((namespace, key, value))
            if not found:
                return set()
            postings.append(found)
        postings.sort(key=len)
        rarest, others = postings[0], postings[1:]
        return {p for p in rarest if all(p in other for other in others)}

    def autoscalers(self) -> dict[tuple[str, str | None, str], list[Resource]]:
        """(kind, namespace, name) of every object a HorizontalPodAutoscaler scales -> those autoscalers,
        built once per run (KS506 asks per workload of each PodDisruptionBudget, KS705 per workload)."""
        found: dict[tuple[str, str | None, str], list[Resource]] | None = self.derived.get("hpa_targets")
        if found is not None:
            return found
        found = {}
        for hpa in self._by_kind.get("HorizontalPodAutoscaler", ()):
            ref = hpa.spec.get_map("scaleTargetRef")
            if ref is not None and isinstance(ref.get("kind"), str) and isinstance(ref.get("name"), str):
                found.setdefault((ref["kind"], self.namespace_of(hpa), ref["name"]), []).append(hpa)
        self.derived["hpa_targets"] = found
        return found

    def related(self, path_a: str, path_b: str) -> bool:
        """Whether two files belong to related projects: the run's boundaries (building/boundaries.py sets
        them in `derived`; without them every file is related to every other)."""
        bounds = self.derived.get("boundaries")
        return bounds is None or bool(bounds.related(path_a, path_b))

    def autoscaler_of(self, resource: Resource) -> Resource | None:
        """The HorizontalPodAutoscaler that scales the object: same namespace, scaleTargetRef kind and name,
        in the same sample (Boundaries.close: an autoscaler in another sample's folder or testdata/ does
        not scale this one)."""
        if not self._by_kind.get("HorizontalPodAutoscaler"):
            return None
        bounds = self.derived.get("boundaries")
        for hpa in self.autoscalers().get((resource.kind, self.namespace_of(resource), resource.name), ()):
            if bounds is None or bounds.close(hpa.path, resource.path):
                return hpa
        return None

    def fewest_replicas(self, workload: Workload) -> tuple[int | None, bool]:
        """The fewest replicas the workload runs, and whether an autoscaler scales it: the autoscaler's
        minReplicas (1 when unset) if one does, else its own spec.replicas (1 when unset); None when
        unknown (a templated value such as `replicas: ${REPLICAS}`)."""
        hpa = self.autoscaler_of(workload.resource)
        if hpa is not None:
            value = hpa.spec.get("minReplicas", 1)
            return (value if isinstance(value, int) and not isinstance(value, bool) else None), True
        if workload.replicas is None and "replicas" in workload.resource.spec:
            return None, False
        return (workload.replicas if workload.replicas is not None else 1), False

    def workloads_selected_anywhere(self, selector: LabelSelector) -> list[Workload]:
        """Workloads in any namespace whose pod template labels the selector matches, in index order
        (through the label index too: a per-Service scan of every workload is quadratic)."""
        if not selector.match_labels:
            return [w for w in self._workloads if selector.matches(w.pod_labels)]
        # One lookup in the namespace-free postings: a loop over namespaces made each call cost the number
        # of namespaces (Services x namespaces for KS501).
        positions = self._positions(None, selector.match_labels, self._label_index_anywhere)
        return [self._workloads[i] for i in sorted(positions) if selector.matches(self._workloads[i].pod_labels)]
