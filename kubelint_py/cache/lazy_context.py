"""Project context without loading the whole project (pre-commit: a few changed files, a large repository).

When lint() is given only some files, every file of the project is context: references from the given
files resolve against it. Loading every context file's models (unpickling thousands of them) cost
seconds, yet almost all of them cannot change any finding located in the given files. This module
keeps, per project, one small store (beside the parse cache: `<cache>/<loader fingerprint>/projects/<hash of
the project root>`, written atomically, ignored when unreadable or from another version) holding:

- for each context file (by read path): its size, mtime, inode, ctime and device with its content key, so
  an unchanged file is not read and hashed again on every run (files given on the command line are
  always hashed; files modified in the last RACY_SECONDS are not recorded);
- with it, the file's summary: what decides whether it can matter to other files (see `Summary`).

`plan()` then picks the context files to load: those whose summary says they may matter to the
reported files, and every file without a summary (new or changed: loaded, then summarised). The rules
see a smaller index, but one holding everything they read for the reported files, so the findings are
those of a full-context run (a property test compares both on generated repositories).

What a reported file R can depend on, from the rules (kubelint_py/checks):
- objects it names: every lookup by (kind, namespace, name) (KS601-KS611, KS503, KS612 duplicates) ->
  files defining an object, or creating a Secret (SealedSecret, ExternalSecret..., Certificate, a Job's
  --secret-name), whose name appears in R's text, or a custom resource whose name such a name derives
  from (an operator creates `<name>-app`); bindings whose subjects name R's ServiceAccount (KS319);
- kustomizations (generated names, commonLabels, unlisted patches: KS601-KS605, KS901) -> always;
- the pods its Services, PodDisruptionBudgets and NetworkPolicies select (KS501/502/504/505/506) -> files
  with a pod template or a custom resource whose labels one of those selectors matches (any namespace);
- autoscalers of those workloads or of R's own (KS506/KS507) -> files whose HPA targets a name of any
  object loaded so far;
- LimitRanges (read by namespace for every container) -> always;
- CustomResourceDefinitions (schemas, served versions, cluster scope, hence the namespace of every object of
  their kind) -> those defining a kind named in R or held by any context file loaded for R;
- kustomize patches (is_patch) -> kustomizations naming a reported file; and every kustomization (they
  decide which files are built as overlays; the builds read the files they name themselves);
- compose, Dockerfile and cross-format rules -> every compose file and Dockerfile when R holds one, or
  when R runs an image whose repository a compose file names (XF103/XF104).
KS903 (first object of a custom kind) needs nothing: reported files come first in the index.
User policies (`exists` conditions look across objects) and rules registered from outside the package
get the full context.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

try:  # blake2 without importing hashlib (see cache.py)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

from kubelint_py.cache.parse_cache import ParseCache
from kubelint_py.checks.kubernetes._operators import secret_names_from_args
from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.engine.config import Config
    from kubelint_py.loading.source_file import SourceFile
    from kubelint_py.models.kubernetes import LabelSelector, Resource

ENABLED = True
"""Internal switch: False loads the whole project as context (the behaviour before this module)."""

STORE_FORMAT = 2
RACY_SECONDS = 2.0
"""A file modified this recently may change again within the same mtime tick: its stat key is not kept."""

FORMAT_KUBERNETES, FORMAT_COMPOSE, FORMAT_DOCKERFILE = 1, 2, 4
GENERATED_SECRET_KINDS = frozenset({"SealedSecret", "ExternalSecret", "ClusterExternalSecret", "VaultStaticSecret",
                                    "VaultDynamicSecret", "OnePasswordItem", "InfisicalSecret", "Certificate"})
ALWAYS_KINDS = frozenset({"LimitRange"})
SELECTING_KINDS = frozenset({"Service", "PodDisruptionBudget", "NetworkPolicy"})

Labels = tuple[tuple[str, str], ...]


class Summary(NamedTuple):
    """What decides whether one file can matter to the findings of another."""

    kind: str
    """The loaded file's kind (load.SourceKind)."""
    formats: int
    """FORMAT_* bits: which rule families the file brings into the run."""
    names: tuple[str, ...]
    """Names of its objects, and of the Secrets its objects make controllers create."""
    labels: tuple[Labels, ...]
    """Pod template labels of its workloads; labels of its other objects (operators label their pods so)."""
    hpa_targets: tuple[str, ...]
    always: bool
    """Holds a kind that rules read project-wide (LimitRange): always loaded."""
    kinds: tuple[str, ...]
    """The kinds of its objects."""
    defines: tuple[str, ...]
    """The kinds its CustomResourceDefinitions define."""
    patches: tuple[str, ...]
    """For a kustomization: the normalised paths of the files it uses as patches."""
    images: tuple[str, ...]
    """For a compose file: the repositories of every `image:` it names."""


# --- the store ---------------------------------------------------------------------------------------


class Store:
    """One project's stat keys and summaries, by read path. Never raises: a broken store is an empty one.

    An entry is (display path, kind, explicit, size, mtime_ns, inode, ctime_ns, device, content key,
    summary or None): plain builtin values, written with marshal (several times faster than pickle for
    this shape; the store is rewritten whenever a file of the project changes)."""

    def __init__(self, path: Path, stamp: str) -> None:
        self.path = path
        self.stamp = stamp
        self.entries: dict[str, tuple[Any, ...]] = {}
        self.summaries: dict[str, Summary] = {}
        """Content key -> summary, for this run's files."""
        self.dirty = False
        try:
            import marshal

            from kubelint_py.loading.batch import no_gc

            with open(path, "rb") as handle, no_gc():
                stored = marshal.loads(handle.read())
            if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == stamp and isinstance(stored[1], dict):
                self.entries = stored[1]
        except Exception:  # missing, truncated, foreign: start empty
            self.entries = {}

    def content_keys(self, candidates: Sequence[Candidate], cache: ParseCache) -> list[str | None]:
        """As batch.content_keys, but files whose stat is unchanged are not read again. Also picks up the
        summaries of the files whose content key is known."""
        keys: list[str | None] = []
        now_ns = time.time_ns()
        racy_ns = int(RACY_SECONDS * 1e9)
        fresh: dict[str, tuple[Any, ...]] = {}
        entries = self.entries
        summaries = self.summaries
        for candidate in candidates:
            read_path = candidate.read_path
            known = entries.get(read_path)
            if candidate.explicit:
                # Named on the command line (few, and usually just edited): always hashed, and the file's
                # entry as context is kept for the runs where it is context again.
                found = cache.read(candidate)
                keys.append(found[0] if found is not None else None)
                if known is not None:
                    fresh[read_path] = known
                continue
            info = _stat(candidate)
            if info is not None and type(known) is tuple and len(known) == 10 and known[3:8] == info \
                    and known[:3] == (candidate.path, candidate.kind, candidate.explicit) \
                    and isinstance(known[8], str):
                summary = _summary_of(known[9])
                keys.append(known[8])
                fresh[read_path] = known if summary is not None or known[9] is None else (*known[:9], None)
                if summary is not None:
                    summaries[known[8]] = summary
                continue
            found = cache.read(candidate)
            key = found[0] if found is not None else None
            keys.append(key)
            # Only a regular file whose stat is old enough to be stable and did not change while read.
            if key is not None and info is not None and now_ns - info[1] > racy_ns and _stat(candidate) == info:
                fresh[read_path] = (candidate.path, candidate.kind, candidate.explicit, *info, key, None)
        if fresh.keys() != entries.keys() or any(fresh[p] is not entries[p] for p in fresh):
            self.dirty = True
        self.entries = fresh
        return keys

    def add(self, key: str | None, source: SourceFile, read_path: str) -> None:
        """Record the summary of a loaded file (kept only while its stat entry is)."""
        if key is None or key in self.summaries:
            return
        summary = summarise(source)
        if summary is None:
            return
        self.summaries[key] = summary
        entry = self.entries.get(read_path)
        if entry is not None and entry[8] == key:
            self.entries[read_path] = (*entry[:9], tuple(summary))
            self.dirty = True

    def save(self) -> None:
        """Write the store when it changed, atomically."""
        if not self.dirty:
            return
        try:
            import marshal
            import tempfile

            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            blob = marshal.dumps((self.stamp, self.entries))
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(blob)
                os.replace(temp, self.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except Exception:  # never fatal: the next run reads and summarises again
            return
        self.dirty = False


def _summary_of(stored: Any) -> Summary | None:
    """A stored summary, or None when there is none or it does not have the expected shape."""
    if type(stored) is not tuple or len(stored) != len(Summary._fields):
        return None
    return Summary._make(stored)


def _stat(candidate: Candidate) -> tuple[int, int, int, int, int] | None:
    """The stat fields that change when a file does; None when the key must be computed from the bytes
    (not a regular file, or under a templates/ folder, whose key depends on a Chart.yaml beside it)."""
    read_path = candidate.read_path
    if candidate.problem is not None or f"{os.sep}templates{os.sep}" in (
            read_path if os.path.isabs(read_path) else os.path.abspath(read_path)):
        return None
    try:
        info = os.stat(read_path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns, info.st_dev


def open_store(cache: ParseCache, project_root: str) -> Store:
    import sys

    from kubelint_py.cache.replay import package_fingerprint

    digest = blake2b(os.path.realpath(project_root).encode(errors="surrogateescape"), digest_size=16).hexdigest()
    # The parse cache's folder is per loader fingerprint; the stamp adds the package (this module's
    # summaries), the store's own format and the Python version (marshal's format is per version).
    stamp = f"{STORE_FORMAT}|{package_fingerprint()}|{cache.max_file_size}|{sys.version}"
    return Store(cache.directory / "projects" / digest, stamp)


# --- summaries ---------------------------------------------------------------------------------------


def _labels(values: dict[str, str]) -> Labels:
    return tuple(sorted(values.items()))


def _object_labels(resource: Resource) -> Iterator[dict[str, str]]:
    workload = resource.workload
    if workload is not None:
        yield workload.pod_labels
    # Custom resources may be operators: their labels and pod-template-like labels (see selectors.py).
    if resource.labels:
        yield resource.labels
    for path in (("spec", "template", "metadata", "labels"), ("spec", "podMetadata", "labels")):
        found = resource.lookup(*path)
        if isinstance(found, dict) and found:
            yield {str(k): str(v) for k, v in found.items()}
    for embedded in resource.embedded_workloads:  # pod templates anywhere in a custom resource
        yield embedded.pod_labels


BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})


def _subject_names(resource: Resource) -> Iterator[str]:
    subjects = resource.body.get_list("subjects")
    for _, subject in subjects.maps() if subjects is not None else []:
        if subject.get("kind") == "ServiceAccount" and isinstance(subject.get("name"), str):
            yield subject["name"]


def _owner_candidates(name: str) -> Iterator[str]:
    """Names of custom resources an object name may derive from (`shop-app` -> `shop`, `rfs-cache` ->
    `cache`, `user.db.credentials...` -> `db`): operators create objects named so (see
    checks/kubernetes/_operators.py), so those resources are context for a reference by that name."""
    for separator in ("-", "."):
        parts = name.split(separator)
        for end in range(1, min(len(parts), 8)):
            yield separator.join(parts[:end])
            yield separator.join(parts[end:])
    yield from name.split(".")[1:-1][:8]


def _generated_names(resource: Resource) -> Iterator[str]:
    spec = resource.spec
    if resource.kind == "SealedSecret":
        template = spec.get_map("template")
        meta = template.get_map("metadata") if template is not None else None
        if meta is not None and isinstance(meta.get("name"), str):
            yield meta["name"]
    elif resource.kind == "Certificate":
        if isinstance(spec.get("secretName"), str):
            yield spec["secretName"]
    else:
        for holder in ("target", "destination"):
            node = spec.get_map(holder)
            if node is not None and isinstance(node.get("name"), str):
                yield node["name"]


def _values_of(node: Any, key: str) -> Iterator[Any]:
    """Every value stored under `key` anywhere in a YAML tree."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            for name, value in item.items():
                if name == key:
                    yield value
                if isinstance(value, YMap | YList):
                    stack.append(value)
        elif isinstance(item, YList):
            stack.extend(value for value in item if isinstance(value, YMap | YList))


def _repositories(node: Any) -> set[str]:
    from kubelint_py.models.images import image_repository

    return {image_repository(str(value)) for value in _values_of(node, "image")
            if value is not None and not isinstance(value, YMap | YList)}


def summarise(source: SourceFile) -> Summary | None:
    """The summary of a loaded file; None when it cannot be summarised (then it is always loaded)."""
    try:
        return _summarise(source)
    except Exception:  # a model shape nobody foresaw: load the file every time rather than guess
        return None


def _summarise(source: SourceFile) -> Summary:
    from kubelint_py.building.kustomize import KUSTOMIZATION_NAMES, patch_files

    formats = (FORMAT_KUBERNETES if source.resources else 0) | (FORMAT_COMPOSE if source.compose is not None else 0) \
        | (FORMAT_DOCKERFILE if source.dockerfile is not None else 0)
    names: set[str] = set()
    labels: set[Labels] = set()
    targets: set[str] = set()
    always = False
    kinds: set[str] = set()
    defines: set[str] = set()
    for resource in source.resources:
        kind = resource.kind
        if resource.name:
            names.add(resource.name)
        if kind in GENERATED_SECRET_KINDS:
            names.update(_generated_names(resource))
        if kind in BINDING_KINDS:  # KS319 asks whether a binding names a workload's ServiceAccount
            names.update(_subject_names(resource))
        if kind in ("Job", "CronJob", "Pod"):  # Secrets a certificate-generator Job creates (--secret-name)
            names.update(secret_names_from_args(resource.workload.pod_spec if resource.workload else None))
        labels.update(_labels(found) for found in _object_labels(resource))
        if kind == "HorizontalPodAutoscaler":
            ref = resource.spec.get_map("scaleTargetRef")
            if ref is not None and isinstance(ref.get("name"), str):
                targets.add(ref["name"])
        always = always or kind in ALWAYS_KINDS
        kinds.add(kind)
        if kind == "CustomResourceDefinition":
            crd_names = resource.spec.get_map("names")
            defined = crd_names.get("kind") if crd_names is not None else None
            if isinstance(defined, str):
                defines.add(defined)
            else:  # a CRD whose kind cannot be read: keep it in every run rather than guess
                always = True
    kustomization = os.path.basename(source.path) in KUSTOMIZATION_NAMES
    # Kustomizations decide which files are built as overlays (and are linted as built), and rules read
    # them project-wide (generated names, commonLabels selectors, unlisted patch scaffolding): always loaded.
    always = always or kustomization
    patches = sorted(patch_files([source])) if kustomization else []
    images = sorted(_repositories(source.compose.data)) if source.compose is not None else []
    return Summary(source.kind, formats, tuple(sorted(names)), tuple(sorted(labels)), tuple(sorted(targets)), always,
                   tuple(sorted(kinds)), tuple(sorted(defines)),
                   tuple(patches), tuple(images))


# --- choosing the context ----------------------------------------------------------------------------


@dataclass
class Plan:
    load: list[int]
    """Positions (in the context list) of the files to load, in order."""
    formats: set[str]
    """The rule families of the whole project (so the run enables the same rules as a full one)."""
    skipped: list[int]


def applies(config: Config) -> bool:
    """False when something may look at the whole project in ways summaries do not capture: user
    policies, rules registered from outside the package, and shipped policies with an `exists`
    condition (KS705, KS706: any PodDisruptionBudget or NetworkPolicy of the namespace) when enabled."""
    if not ENABLED or config.policies:
        return False
    from kubelint_py.engine.catalogue import load_rules
    from kubelint_py.engine.registry import loaded_rules

    if config.select or config.extend_select:  # the shipped policies are all off unless selected
        load_rules(("kubernetes",), builtin_policies=True)
        from kubelint_py.engine.policies import CROSS_OBJECT

        if any(r.code in CROSS_OBJECT and config.is_enabled(r) for r in loaded_rules()):
            return False
    return all((getattr(r.func, "__module__", None) or "kubelint_py.").startswith("kubelint_py.")
               for r in loaded_rules() if r.func is not None)


def _selectors(resources: Sequence[Resource]) -> list[LabelSelector]:
    from kubelint_py.checks.kubernetes.selectors import without_controller_labels
    from kubelint_py.models.kubernetes import LabelSelector, ServiceView

    found: list[LabelSelector] = []
    for resource in resources:
        if resource.kind not in SELECTING_KINDS:
            continue
        if resource.kind == "Service":
            selector = ServiceView(resource).selector
        else:
            field = "selector" if resource.kind == "PodDisruptionBudget" else "podSelector"
            selector = LabelSelector.parse(resource.spec.get_map(field))
        if selector is not None and not selector.is_empty:
            found.append(without_controller_labels(selector))
    return found


def _formats(bits: int) -> set[str]:
    found: set[str] = set()
    if bits & FORMAT_KUBERNETES:
        found.add("kubernetes")
    if bits & FORMAT_COMPOSE:
        found.update(("compose", "cross"))
    if bits & FORMAT_DOCKERFILE:
        found.add("dockerfile")
    return found


def plan(reported: Sequence[SourceFile], summaries: Sequence[Summary | None]) -> Plan:
    """Which context files (given by their summaries, None = unknown) the reported files may depend on."""
    from kubelint_py.building.kustomize import normalise

    resources = [r for f in reported for r in f.resources]
    # Every lookup by name takes the name from a field of a reported object: a context object can only
    # be found by name if its name is one of those scalars.
    scalars: set[str] = set()
    for resource in resources:
        scalars.update(_strings(resource.body))
    # A pod without serviceAccountName runs as `default`, a name its text need not hold: bindings naming
    # `default` decide KS319 for it.
    if any(r.workload is not None for r in resources):
        scalars.add("default")
    scalars.update([candidate for scalar in list(scalars) if len(scalar) <= 253
                    for candidate in _owner_candidates(scalar)])
    own_names = {r.name for r in resources if r.name}
    selectors = _selectors(resources)
    paths = {normalise(f.path) for f in reported}
    with_compose = any(f.compose is not None or f.dockerfile is not None for f in reported)
    if not with_compose:
        images: set[str] = set()
        for resource in resources:
            images |= _repositories(resource.body)
        with_compose = bool(images) and any(s is not None and images.intersection(s.images) for s in summaries)

    bits = 0
    chosen = [False] * len(summaries)
    for position, summary in enumerate(summaries):
        if summary is None:
            chosen[position] = True
            continue
        bits |= summary.formats
        chosen[position] = (
            summary.always
            or (with_compose and bool(summary.formats & (FORMAT_COMPOSE | FORMAT_DOCKERFILE)))
            or not scalars.isdisjoint(summary.names)
            or (bool(selectors) and any(s.matches(dict(labels)) for labels in summary.labels for s in selectors))
            or (bool(summary.patches) and not paths.isdisjoint(summary.patches)))
    # Autoscalers of any object loaded so far (PDB eviction counts, fixed replicas under an HPA).
    _widen(chosen, summaries, set(own_names), lambda s: s.names, lambda s: s.hpa_targets)
    # The CRDs of every kind the loaded objects have or the reported ones name (scaleTargetRef, roleRef...).
    _widen(chosen, summaries, set(scalars), lambda s: s.kinds, lambda s: s.defines)
    for source in reported:
        bits |= (FORMAT_KUBERNETES if source.resources else 0) \
            | (FORMAT_COMPOSE if source.compose is not None else 0) \
            | (FORMAT_DOCKERFILE if source.dockerfile is not None else 0)
    load = [p for p, wanted in enumerate(chosen) if wanted]
    skipped = [p for p, wanted in enumerate(chosen) if not wanted]
    # The families of files left out only matter to which rules count as enabled, which only shows in
    # suppression comments (KL007 judges a suppression of a rule that ran): skip their imports otherwise.
    pragmas = any(marker in f.text.lower() for f in reported for marker in ("kubelint", "hadolint"))
    return Plan(load, _formats(bits) if pragmas else set(), skipped)


def _widen(chosen: list[bool], summaries: Sequence[Summary | None], seed: set[str],
           offered: Callable[[Summary], Iterable[str]], wanted: Callable[[Summary], Iterable[str]]) -> None:
    """Also choose the files that want something (`wanted`) the chosen files offer (`offered`) or `seed` has."""
    pool = set(seed)
    for position, summary in enumerate(summaries):
        if chosen[position] and summary is not None:
            pool.update(offered(summary))
    for position, summary in enumerate(summaries):
        if not chosen[position] and summary is not None and not pool.isdisjoint(wanted(summary)):
            chosen[position] = True


def _strings(node: Any) -> Iterator[str]:
    """Every scalar key and value of a YAML tree, as text (a name may be written as a number)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            for key, value in item.items():
                if isinstance(value, YMap | YList):
                    stack.append(value)
                elif value is not None:
                    yield value if isinstance(value, str) else str(value)
                yield key if isinstance(key, str) else str(key)
        elif isinstance(item, YList):
            for value in item:
                if isinstance(value, YMap | YList):
                    stack.append(value)
                elif value is not None:
                    yield value if isinstance(value, str) else str(value)


def stub(candidate: Candidate, summary: Summary) -> SourceFile:
    """A context file that was not loaded: its path and kind, no models (as replayed reports carry)."""
    from kubelint_py.loading.source_file import SourceFile

    return SourceFile(candidate.path, summary.kind, "", candidate.explicit)  # type: ignore[arg-type]



def load(candidates: Sequence[Candidate], keys: Sequence[str | None], count: int, store: Store, config: Config,
         workers: int | None, cache: ParseCache) -> tuple[list[SourceFile], list[SourceFile], set[str]]:
    """Load the first `count` candidates (the reported files), then the context files they may depend on.

    Returns the loaded files (in candidate order), stubs for the context files left out, and the rule
    families of the whole project."""
    from kubelint_py.loading.batch import load_sources

    reported = load_sources(candidates[:count], config, workers=workers, cache=cache, keys=keys[:count])
    summaries = [store.summaries.get(key) if key is not None else None for key in keys[count:]]
    try:
        chosen = plan(reported, summaries)
    except Exception:  # a model shape nobody foresaw: the whole project, as without summaries
        chosen = Plan(list(range(len(summaries))), set(), [])
    wanted = [count + p for p in chosen.load]
    context = load_sources([candidates[p] for p in wanted], config, workers=workers, cache=cache,
                           keys=[keys[p] for p in wanted])
    if len(context) == len(wanted):
        # Reported files are summarised when they are next context (their content may change again first).
        for position, source in zip(wanted, context, strict=True):
            store.add(keys[position], source, candidates[position].read_path)
    stubs = []
    for position in chosen.skipped:
        summary = summaries[position]
        assert summary is not None  # files without a summary are always loaded
        stubs.append(stub(candidates[count + position], summary))
    return [*reported, *context], stubs, chosen.formats
