"""Kustomize in-process: which files are patches (patch_index) and overlays built with their sources
(build: every value of a built object keeps the span of the file and line that wrote it)."""

from kubelint_py.building.kustomize.patch_index import KUSTOMIZATION_NAMES, normalise, patch_files

__all__ = ["KUSTOMIZATION_NAMES", "normalise", "patch_files"]
