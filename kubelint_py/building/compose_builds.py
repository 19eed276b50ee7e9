"""Compose services and the Dockerfiles they build: which Dockerfile of the run each (merged) service
builds, with its target stage and build args, and the build contexts that are not the Dockerfile's own
folder (scanned on disk before the rules run). Views over the index, built once per run and kept on it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubelint_py.building.compose_project import MergedService, compose_model
from kubelint_py.loading.compose_files import build_paths, dockerfile_of, found_path
from kubelint_py.models.compose import abs_key
from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.engine.index import ProjectIndex
    from kubelint_py.loading.build_context import ContextListing
    from kubelint_py.models.dockerfile import Dockerfile, Stage


@dataclass(frozen=True, slots=True)
class BuiltDockerfile:
    """A compose service whose build uses a Dockerfile that is in the run."""

    service: MergedService
    dockerfile: Dockerfile
    stage: Stage | None
    """The build target stage (build.target), else the final stage."""
    args: dict[str, str | None]


def disk_path(index: ProjectIndex, display: str) -> str:
    """The absolute path of a linted file from its display path (api records them on the index)."""
    paths = index.derived.get("fs_paths")
    found = paths.get(display) if isinstance(paths, dict) else None
    return os.path.normpath(found) if isinstance(found, str) and found else abs_key(display)


def dockerfiles_by_path(index: ProjectIndex) -> dict[str, Dockerfile]:
    cached = index.derived.get("dockerfiles_by_path")
    if not isinstance(cached, dict):
        cached = {disk_path(index, d.path): d for d in index.dockerfiles}
        index.derived["dockerfiles_by_path"] = cached
    return cached


def build_args(data: Any) -> dict[str, str | None]:
    """build.args as name -> value (None when only the name is given: taken from the environment)."""
    build = data.get("build") if isinstance(data, YMap) else None
    args = build.get("args") if isinstance(build, YMap) else None
    found: dict[str, str | None] = {}
    if isinstance(args, YMap):
        for key, value in args.items():
            found[str(key)] = None if value is None else str(value)
    elif isinstance(args, YList):
        for item in args:
            name, sep, value = str(item).partition("=")
            found[name] = value if sep else None
    return found


def built_dockerfiles(index: ProjectIndex) -> list[BuiltDockerfile]:
    """Every (merged) compose service whose Dockerfile is linted in this run, with its build args."""
    cached = index.derived.get("built_dockerfiles")
    if isinstance(cached, list):
        return cached
    model = compose_model(index)
    by_path = dockerfiles_by_path(index)
    result: list[BuiltDockerfile] = []
    seen: set[tuple[str, str]] = set()
    for _, service in model.unique_services():
        if service.get("build") is None:
            continue
        holder = model.file_at(service.locate(("build",), on_key=True).path)
        if holder is None:
            continue
        path = dockerfile_of(holder, service.data)
        dockerfile = by_path.get(path) if path is not None else None
        if dockerfile is None or (path or "", service.name) in seen:
            continue
        seen.add((path or "", service.name))
        build = service.get("build")
        target = build.get("target") if isinstance(build, YMap) else None
        stage = dockerfile.stage_by_name(target) if isinstance(target, str) else dockerfile.final_stage
        result.append(BuiltDockerfile(service, dockerfile, stage, build_args(service.data)))
    index.derived["built_dockerfiles"] = result
    return result


def compose_build_args(index: ProjectIndex, dockerfile: Dockerfile) -> dict[str, str | None]:
    """The build args compose passes to this Dockerfile (merged over every service that builds it), so
    Dockerfile rules can treat those ARGs as set. Empty when no compose file builds it."""
    wanted = disk_path(index, dockerfile.path)
    merged: dict[str, str | None] = {}
    for built in built_dockerfiles(index):
        if disk_path(index, built.dockerfile.path) == wanted:
            for name, value in built.args.items():
                merged.setdefault(name, value)
    return merged


@dataclass(frozen=True, slots=True)
class ComposeContext:
    """A compose build whose context folder is not the Dockerfile's own folder, as scanned on disk."""

    built: BuiltDockerfile
    context: str
    """As written in the compose file."""
    listing: ContextListing


def scan_compose_contexts(index: ProjectIndex) -> list[ComposeContext]:
    """I/O, run by api before the rules: scan the compose build contexts that differ from the
    Dockerfile's folder, for Dockerfiles that copy the whole context (the Dockerfile's own folder is
    scanned by the loader already)."""
    from kubelint_py.loading.build_context import is_whole_context_copy, scan_context

    if not index.compose_files or not index.dockerfiles:
        return []
    model = compose_model(index)
    found: list[ComposeContext] = []
    seen: set[tuple[str, str]] = set()
    for built in built_dockerfiles(index):
        if not any(is_whole_context_copy(ins) for ins in built.dockerfile.instructions):
            continue
        holder = model.file_at(built.service.locate(("build",), on_key=True).path)
        paths = build_paths(built.service.data)
        context = found_path(holder, paths.context) if holder is not None and paths is not None else None
        dockerfile_path = disk_path(index, built.dockerfile.path)
        if context is None or os.path.normpath(context) == os.path.dirname(dockerfile_path):
            continue
        key = (os.path.normpath(context), dockerfile_path)
        if key in seen:
            continue
        seen.add(key)
        listing = scan_context(context, os.path.basename(dockerfile_path))
        found.append(ComposeContext(built, paths.context if paths is not None else context, listing))
    return found
