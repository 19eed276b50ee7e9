"""Project boundaries inside one linted tree, and what kustomizations say about the files they list.

A repository of unrelated samples (`sample-a/`, `tool-b/testdata/`, `charts/x/`) is many projects: an
autoscaler in one must not judge a workload in another, and two samples may both define `Service/web`.

How a file's boundary is chosen (the nearest enclosing folder, up to the linted root, that is one of):
- a kustomize root: a folder holding kustomization.yaml / kustomization.yml / Kustomization;
- a chart root: a folder holding Chart.yaml;
- a Compose project: a folder holding a compose file (compose.yaml, docker-compose.yml, ...);
- a test-input folder: a folder named `testdata` (Go's convention: inputs for a tool's own tests; error
  findings in it are reported as warnings: see `is_test_input`); its files relate only to each other, not
  even to files at the linted root;
- a root registered by another stage through `register_root_finder` (e.g. kustomize builds).
A file with no such folder above it belongs to the linted root. Two objects are related when one's
boundary contains the other's (a root-level manifest and everything), or when a kustomization uses the
other's boundary, directly or through others (an overlay's `resources: [../../base]`: the overlay and its
base; two overlays of one base are not related to each other): rules that report something because of
*another* object (autoscaler, disruption budget, duplicate, selected pods) only relate objects in related
boundaries. Every file of the project marks boundaries, loaded or not (a lazy pre-commit context passes the
files it leaves out: their names and kinds decide, so the answer is that of the whole project).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from kubelint_py.discovery.walk import is_compose_name
from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.engine.index import ProjectIndex
    from kubelint_py.loading.source_file import SourceFile

KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
ROOT_MARKER_FILES = KUSTOMIZATION_FILES | {"Chart.yaml"}
TEST_INPUT_FOLDERS = frozenset({"testdata"})

RootFinder = Callable[[Iterable["SourceFile"]], Iterable[str]]
_ROOT_FINDERS: list[RootFinder] = []


def register_root_finder(finder: RootFinder) -> None:
    """Let another stage add project roots (folders) it knows about, e.g. every kustomize root it builds."""
    if finder not in _ROOT_FINDERS:
        _ROOT_FINDERS.append(finder)


SCENARIO_FOLDERS = frozenset({"test", "tests", "e2e", "testdata", "__tests__"})
"""Folders of test scenarios: each file is applied on its own (or not at all), so what other files define
or lack says little about it."""


def is_test_scenario(path: str) -> bool:
    """Under a test folder (test/, tests/, e2e/, testdata/): cross-object findings there are info."""
    parts = os.path.normpath(path).replace("\\", "/").split("/")
    return is_test_input(path) or any(part in SCENARIO_FOLDERS for part in parts[:-1])

TEST_DATA_FOLDERS = frozenset({"data", "fixtures"})
"""Inside a test folder (tests/data/, test/fixtures/: the Python and JavaScript habits), test inputs too."""


def is_test_input(path: str) -> bool:
    """A file under a `testdata` folder, or a data or fixtures folder right inside a test folder: a tool's
    test input, often invalid or outdated on purpose. (Names such as `invalid.yaml` are not taken as a
    sign: people name genuinely broken files that way too.)"""
    folders = os.path.normpath(path).replace("\\", "/").split("/")[:-1]
    if any(part in TEST_INPUT_FOLDERS for part in folders):
        return True
    return any(part in SCENARIO_FOLDERS and inner in TEST_DATA_FOLDERS for part, inner in pairwise(folders))


MAX_USES = 10_000
"""Budget: kustomization edges followed for one boundary (a repository's own cycles and fan-out)."""


@dataclass
class Boundaries:
    roots: frozenset[str] = frozenset()
    """Normalised folders that start a project."""
    uses: dict[str, frozenset[str]] = field(default_factory=dict)
    """Kustomize root -> the normalised paths its kustomization's resources, bases and components name."""
    _cache: dict[str, str] = field(default_factory=dict)
    _reach: dict[str, frozenset[str]] = field(default_factory=dict)

    def of(self, path: str) -> str:
        """The boundary folder of a file ("" for the linted root)."""
        folder = os.path.dirname(os.path.normpath(path))
        found = self._cache.get(folder)
        if found is not None:
            return found
        current = folder
        result = ""
        for _ in range(256):  # budget: paths are never this deep
            if current in self.roots or os.path.basename(current) in TEST_INPUT_FOLDERS:
                result = current
                break
            parent = os.path.dirname(current)
            if not current or parent == current:
                break
            current = parent
        if len(self._cache) < 100_000:
            self._cache[folder] = result
        return result

    def related(self, path_a: str, path_b: str) -> bool:
        """True when one file's boundary contains the other's (or either is the linted root)."""
        if _test_input_root(path_a) != _test_input_root(path_b):
            return False  # a tool's test inputs relate only to each other (not even to the root's files)
        a, b = self.of(path_a), self.of(path_b)
        if not a or not b or a == b or _contains(a, b) or _contains(b, a):
            return True
        return self._uses(a, b) or self._uses(b, a)

    def close(self, path_a: str, path_b: str) -> bool:
        """Related, and in one sample: both inside marked boundaries, or folders on one line of descent
        or side by side. What an autoscaler needs to scale a workload: in a monorepo of samples without
        markers, every file is at the linted root, and `related` alone would let a tutorial's autoscaler
        scale another tutorial's Deployment of the same name."""
        if not self.related(path_a, path_b):
            return False
        if self.of(path_a) and self.of(path_b):
            return True
        a, b = os.path.dirname(os.path.normpath(path_a)), os.path.dirname(os.path.normpath(path_b))
        return a == b or not a or not b or _contains(a, b) or _contains(b, a) \
            or os.path.dirname(a) == os.path.dirname(b)

    def _uses(self, user: str, used: str) -> bool:
        return any(target == used or _contains(target, used) for target in self._reachable(user))

    def _reachable(self, root: str) -> frozenset[str]:
        """The boundaries a root's kustomization uses, directly or through the kustomizations they hold."""
        found = self._reach.get(root)
        if found is not None:
            return found
        seen: set[str] = set()
        todo = [root]
        steps = 0
        while todo and steps < MAX_USES:
            current = todo.pop()
            for entry in self.uses.get(current, ()):
                steps += 1
                # a folder (a base) or one file of it
                is_file = entry not in self.roots and entry.endswith((".yaml", ".yml", ".json"))
                target = self.of(entry) if is_file else self.of(os.path.join(entry, "_"))
                if target and target not in seen:
                    seen.add(target)
                    todo.append(target)
        result = frozenset(seen)
        if len(self._reach) < 100_000:
            self._reach[root] = result
        return result


def _test_input_root(path: str) -> str:
    """The outermost `testdata` folder above a file ("" when it is not a test input)."""
    parts = os.path.normpath(path).replace("\\", "/").split("/")[:-1]
    for position, part in enumerate(parts):
        if part in TEST_INPUT_FOLDERS:
            return "/".join(parts[:position + 1])
    return ""


def _contains(outer: str, inner: str) -> bool:
    return inner.startswith(outer.rstrip("/") + "/")


def find_boundaries(files: Iterable[SourceFile]) -> Boundaries:
    file_list = list(files)
    roots: set[str] = set()
    uses: dict[str, frozenset[str]] = {}
    for source in file_list:
        name = os.path.basename(source.path)
        if name in KUSTOMIZATION_FILES and source.text:
            folder = os.path.dirname(os.path.normpath(source.path))
            uses[folder] = frozenset(_used_paths(folder, source.text))
        # kind: a file left out of a lazy context has no models, only the kind its content gave it
        if name in ROOT_MARKER_FILES or is_compose_name(name) or source.compose is not None \
                or source.kind == "compose":
            roots.add(os.path.dirname(os.path.normpath(source.path)))
    for finder in _ROOT_FINDERS:
        roots.update(os.path.normpath(root) for root in finder(file_list))
    roots.discard("")
    roots.discard(".")
    return Boundaries(frozenset(roots), {folder: entries for folder, entries in uses.items() if folder in roots})


def _used_paths(folder: str, text: str) -> Iterable[str]:
    """Local paths a kustomization builds from (resources, bases, components), normalised; not URLs."""
    from kubelint_py.parsing.yaml import load_yaml

    for document in load_yaml(text).documents:
        body = document.value
        if not isinstance(body, YMap):
            continue
        for key in ("resources", "bases", "components"):
            items = body.get(key)
            if not isinstance(items, YList):
                continue
            for item in items:
                if isinstance(item, str) and item and "://" not in item and "\n" not in item \
                        and not item.startswith(("git@", "github.com/")):
                    yield os.path.normpath(os.path.join(folder, item))


def boundaries_of(index: ProjectIndex) -> Boundaries:
    """The run's boundaries (every object related to every other when the run did not compute them)."""
    found = index.derived.get("boundaries")
    return found if isinstance(found, Boundaries) else Boundaries()


# --- what kustomizations say about their files ---------------------------------------------------------


@dataclass
class KustomizeFacts:
    folders: frozenset[str] = frozenset()
    """Folders holding a kustomization."""
    listed: frozenset[str] = frozenset()
    """Files named by some kustomization (resources, components, crds, patches, generators ...)."""
    generated: frozenset[tuple[str, str]] = frozenset()
    """(kind, name) of ConfigMaps and Secrets that kustomizations generate (configMapGenerator,
    secretGenerator): they exist once built, under a hashed name kustomize also writes into references."""
    selector_labelled: frozenset[str] = frozenset()
    """Resources of a kustomization whose commonLabels (or labels with includeSelectors) kustomize also
    writes into selectors: a Deployment there may leave `selector` out."""


_LISTING_KEYS = ("resources", "bases", "components", "crds", "patches", "patchesStrategicMerge",
                 "patchesJson6902", "transformers", "generators", "validators", "configurations",
                 "replacements")


def kustomize_facts(files: Iterable[SourceFile]) -> KustomizeFacts:
    from kubelint_py.parsing.yaml import load_yaml

    folders: set[str] = set()
    listed: set[str] = set()
    labelled: set[str] = set()
    generated: set[tuple[str, str]] = set()
    for source in files:
        if os.path.basename(source.path) not in KUSTOMIZATION_FILES or not source.text:
            continue
        folder = os.path.dirname(os.path.normpath(source.path))
        folders.add(folder)
        for document in load_yaml(source.text).documents:
            body = document.value
            if not isinstance(body, YMap):
                continue
            for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
                generators = body.get(key)
                if isinstance(generators, YList):
                    generated.update((kind, g["name"]) for g in generators
                                     if isinstance(g, YMap) and isinstance(g.get("name"), str))
            entries = [os.path.normpath(os.path.join(folder, e)) for e in _named_paths(body)]
            listed.update(entries)
            if _labels_selectors(body):
                resources = body.get("resources")
                if isinstance(resources, YList):
                    labelled.update(os.path.normpath(os.path.join(folder, r)) for r in resources
                                    if isinstance(r, str))
    return KustomizeFacts(frozenset(folders), frozenset(listed), frozenset(generated), frozenset(labelled))


def _named_paths(body: YMap) -> Iterable[str]:
    for key in _LISTING_KEYS:
        items = body.get(key)
        if not isinstance(items, YList):
            continue
        for item in items:
            if isinstance(item, str) and "\n" not in item:
                yield item
            elif isinstance(item, YMap) and isinstance(item.get("path"), str):
                yield item["path"]


def _labels_selectors(body: YMap) -> bool:
    if isinstance(body.get("commonLabels"), YMap) and body["commonLabels"]:
        return True
    labels = body.get("labels")
    if isinstance(labels, YList):
        return any(isinstance(entry, YMap) and entry.get("includeSelectors") is True for entry in labels)
    return False


def kustomize_facts_of(index: ProjectIndex) -> KustomizeFacts:
    found: Any = index.derived.get("kustomize_facts")
    return found if isinstance(found, KustomizeFacts) else KustomizeFacts()
