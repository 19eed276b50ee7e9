"""Objects that are partial on purpose: kustomize patches nobody lists yet, resources whose selector
kustomize writes. Completeness rules (required fields, unknown fields) do not judge them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from kubelint_py.building.boundaries import KustomizeFacts
from kubelint_py.models.kubernetes import Resource

PATCH_FOLDERS = frozenset({"patches", "patch"})
PATCH_NAME_WORDS = ("patch", "override")


def looks_partial(resource: Resource, issues: Iterable[Any], facts: KustomizeFacts) -> bool:
    """A file that is a patch by its place: in a `patches/` folder or named `*patch*`/`*override*`, or in a
    kustomization's folder without being listed by it (scaffolding such as kubebuilder's commented-out
    patches), when it also lacks required fields."""
    if not any(getattr(issue, "validator", "") == "required" for issue in issues):
        return False
    path = os.path.normpath(resource.path)
    folder, name = os.path.split(path)
    if os.path.basename(folder) in PATCH_FOLDERS or any(word in name.lower() for word in PATCH_NAME_WORDS):
        return True
    return folder in facts.folders and path not in facts.listed


def selector_from_kustomize(resource: Resource, facts: KustomizeFacts) -> bool:
    return os.path.normpath(resource.path) in facts.selector_labelled


def is_patch_file(resource: Resource, patch_files: frozenset[str]) -> bool:
    """Named as a patch by a kustomization, or a patch by its place (`patches/`, `*patch*`, `*override*`):
    a partial object whose missing fields and wildcard names (`name: "*"`) are not mistakes."""
    return _is_patch_path(resource.path, patch_files)


@lru_cache(maxsize=4096)
def _is_patch_path(raw_path: str, patch_files: frozenset[str]) -> bool:
    # Asked for each object by several rules; a file holds many objects (frozensets cache their hash).
    path = os.path.normpath(raw_path)
    if path in patch_files:
        return True
    folder, name = os.path.split(path)
    return os.path.basename(folder) in PATCH_FOLDERS or any(word in name.lower() for word in PATCH_NAME_WORDS)
