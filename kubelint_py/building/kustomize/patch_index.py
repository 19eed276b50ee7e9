"""Which linted files are kustomize patches.

A patch (`patches: - path: x.yaml`, `patchesStrategicMerge: [x.yaml]` in a kustomization or component)
is a partial object: it lacks required fields on purpose and may hold directives such as `$patch:
delete`. Rules that judge completeness must not treat it as a whole object.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.loading.source_file import SourceFile

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


def _entries(node: Any) -> Iterable[str]:
    """Paths named by `patches`, `patchesStrategicMerge` or `patchesJson6902` of one kustomization."""
    if not isinstance(node, YMap):
        return
    for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        items = node.get(key)
        if not isinstance(items, YList):
            continue
        for item in items:
            if isinstance(item, str) and "\n" not in item:  # a path, not an inline patch
                yield item
            elif isinstance(item, YMap) and isinstance(item.get("path"), str):
                yield item["path"]


def normalise(path: str) -> str:
    return os.path.normpath(path)


def patch_files(files: Iterable[SourceFile]) -> frozenset[str]:
    """Normalised paths (as the files were named for this run) of every file used as a patch."""
    from kubelint_py.parsing.yaml import load_yaml

    found: set[str] = set()
    for source in files:
        if os.path.basename(source.path) not in KUSTOMIZATION_NAMES or not source.text:
            continue
        folder = os.path.dirname(source.path)
        for document in load_yaml(source.text).documents:
            for entry in _entries(document.value):
                found.add(normalise(os.path.join(folder, entry)))
    return frozenset(found)
