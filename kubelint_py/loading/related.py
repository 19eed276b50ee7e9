"""Files a run loads by itself: the compose files a linted compose file is merged with, and the
Dockerfiles compose builds, when discovery did not yield them. Only files inside the trusted roots
(the linted repositories) are read: a compose file in a pull request must not make the run read (and
echo) /etc/shadow."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kubelint_py.engine.config import Config
from kubelint_py.loading.source_file import SourceFile, load_source


def trusted_roots(paths: Sequence[str], config: Config, cwd: Path | None) -> list[str]:
    """Folders that files named inside linted files may come from: each linted path's repository
    (the nearest folder above it holding .git), else the path itself, and the configured project root."""
    base = cwd or Path.cwd()
    roots: list[str] = []
    for raw in [*paths, *([config.project_root] if config.project_root else [])]:
        real = os.path.realpath(base / raw)
        folder = real if os.path.isdir(real) else os.path.dirname(real)
        probe = folder
        while True:
            if os.path.exists(os.path.join(probe, ".git")):
                folder = probe
                break
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        roots.append(folder)
    return roots


def _inside(path: str, roots: list[str]) -> bool:
    real = os.path.realpath(path)
    return any(os.path.commonpath([root, real]) == root for root in roots)


def load_related(files: list[SourceFile], config: Config, cwd: Path,
                 roots: list[str] | None = None) -> list[SourceFile]:
    """Compose files a linted compose file is merged with (as companions) and the Dockerfiles compose
    builds, when discovery did not yield them. Companions can name further files: a few rounds.
    Only files inside `roots` are read (None: no limit)."""
    if not any(f.compose is not None for f in files):  # only compose files name other files
        return []
    from kubelint_py.discovery.walk import is_compose_name
    from kubelint_py.loading.compose_files import related_candidates

    added: list[SourceFile] = []
    for _ in range(4):
        found: list[SourceFile] = []
        for candidate, companion in related_candidates([*files, *added], config.exclude, cwd):
            if roots is not None and not _inside(candidate.read_path, roots) and (
                    os.path.islink(candidate.read_path)
                    or not (companion and is_compose_name(os.path.basename(candidate.read_path)))):
                # Outside the repository only compose files merged for context (never reported) are
                # read, and only when named like compose files; Dockerfiles there are not read at all,
                # nor is a link (a compose.override.yaml in the repository leading elsewhere).
                continue
            source = load_source(candidate, config.max_file_size)
            source.companion = companion
            found.append(source)
        if not found:
            break
        added.extend(found)
    return added
