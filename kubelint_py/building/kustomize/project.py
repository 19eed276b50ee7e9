"""Kustomize roots of a run: found among the loaded files, built in-process, handed to the rules as one
project each.

A root is a kustomization that no other kustomization of the run includes as a resource or component
(components themselves are never roots). A root that builds owns every file it read: those files are not
linted on their own (their objects are judged as built, at their source lines). A root that cannot be
built gives one KL008 (broken: error) or KL009 (not built offline: info) finding at the kustomization
line, and its files are linted one by one as without kustomize support.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubelint_py.building.kustomize import generated
from kubelint_py.building.kustomize.build import (
    KUSTOMIZATION_FILES,
    Builder,
    BuildResult,
    Files,
    find_kustomization,
)
from kubelint_py.core.findings import Severity
from kubelint_py.core.source import Location, Span
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.registry import Finding, Related
from kubelint_py.models.kubernetes import Resource
from kubelint_py.models.located import YList, YMap
from kubelint_py.parsing.yaml import load_yaml

if TYPE_CHECKING:
    from kubelint_py.loading.source_file import SourceFile

MAX_ROOTS = 2_000
"""Roots built per run; more are linted as loose files (a KL009 says so)."""
MAX_RELATED = 10
"""Other roots named on one build failure."""
MAX_BUILT_OBJECTS = 400_000
"""Objects built over all roots of one run (each overlay rebuilds its bases)."""


@dataclass
class BuiltRoot:
    kustomization: str
    """Display path of the root kustomization file."""
    resources: list[Resource]


@dataclass
class KustomizeRun:
    roots: list[BuiltRoot] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)
    """Display paths of the run's files that belong to a built root (not linted on their own)."""
    findings: list[Finding] = field(default_factory=list)
    read_elsewhere: list[str] = field(default_factory=list)
    """Files the builds read that are not among the run's files (for the replay cache's key)."""


def _real(source: SourceFile) -> str:
    return os.path.realpath(source.fs_path or source.path)


def _documents(text: str) -> list[YMap]:
    return [d.value for d in load_yaml(text, max_nodes=200_000).documents if isinstance(d.value, YMap)]


def _included_folders(documents: list[YMap], folder: str) -> set[str]:
    """Real paths of the folders a kustomization includes (resources, bases, components)."""
    found: set[str] = set()
    for document in documents:
        for key in ("resources", "bases", "components"):
            items = document.get(key)
            if not isinstance(items, YList):
                continue
            for item in items[:10_000]:
                if isinstance(item, str) and item and "://" not in item and not os.path.isabs(item):
                    target = os.path.realpath(os.path.join(folder, item))
                    if os.path.isdir(target):
                        found.add(target)
    return found




def _boundary(real: str, fallback: str) -> str:
    """The repository holding a kustomization: the nearest folder above it with .git, else `fallback`."""
    probe = os.path.dirname(real)
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return fallback
        probe = parent


def find_roots(files: list[SourceFile]) -> list[SourceFile]:
    kustomizations = [f for f in files if os.path.basename(f.path) in KUSTOMIZATION_FILES and f.text]
    included: set[str] = set()
    parsed = [_documents(source.text) for source in kustomizations]
    for source, documents in zip(kustomizations, parsed, strict=True):
        included |= _included_folders(documents, os.path.dirname(_real(source)))
    roots = []
    for source, documents in zip(kustomizations, parsed, strict=True):
        real = _real(source)
        folder = os.path.dirname(real)
        # The folder's first kustomization file is the one kustomize reads.
        if folder in included or find_kustomization(folder) != os.path.join(folder, os.path.basename(real)):
            continue
        if any(document.get("kind") == "Component" for document in documents):
            continue
        roots.append(source)
    return roots


def build_roots(files: list[SourceFile], cwd: str | None = None) -> KustomizeRun:
    run = KustomizeRun()
    roots = find_roots(files)
    if not roots:
        return run
    by_real = {_real(f): f for f in files}
    base = cwd or os.getcwd()

    def display(real: str) -> str:
        source = by_real.get(real)
        if source is not None:
            return source.path
        relative = os.path.relpath(real, base)
        return real if relative.startswith("..") else relative

    texts = {real: source.text for real, source in by_real.items() if source.text}
    preloaded: dict[str, tuple[str, list[tuple[int, Any, Span]]]] = {}
    for real, source in by_real.items():
        if source.kind == "kubernetes" and source.resources and os.path.basename(real) not in KUSTOMIZATION_FILES \
                and not any(f.code == diag.PARSE_ERROR.code for f in source.findings):
            preloaded[real] = (source.path, [(r.doc_index, r.body, r.doc_span) for r in source.resources])
    fallback = os.path.commonpath([os.path.dirname(r) for r in by_real]) if by_real else base
    readers: dict[str, Files] = {}
    loose: set[str] = set()
    owned: set[str] = set()
    built_objects = 0
    failures: dict[tuple[str, Location], int] = {}
    evidence_read: list[str] = []
    for number, source in enumerate(roots):
        real = _real(source)
        if number >= MAX_ROOTS or built_objects >= MAX_BUILT_OBJECTS:
            run.findings.append(_finding(diag.KUSTOMIZE_NOT_BUILT, source.path, None,
                                         "kustomization not built: this run already built its limit of "
                                         f"{MAX_ROOTS:,} roots or {MAX_BUILT_OBJECTS:,} objects; its files are "
                                         "linted one by one"))
            continue
        boundary = _boundary(real, fallback)
        reader = readers.get(boundary)
        if reader is None:
            reader = readers[boundary] = Files(boundary, display, preloaded, texts)
        result = Builder(reader).build(real)
        failed = result.error is not None or result.unsupported is not None
        problems = [_restricted(result, source.path, display)] if result.restricted else []
        if failed:
            problems.append(_failure(result, source.path, boundary, display, evidence_read))
        for problem in problems:
            # One finding per kustomization line, however many roots it breaks: the others are related.
            position = failures.get((problem.code, problem.location))
            also = Related(Location(source.path, 1), f"also the root {os.path.dirname(source.path) or '.'}")
            if position is None:
                failures[(problem.code, problem.location)] = len(run.findings)
                run.findings.append(problem)
            elif len(run.findings[position].related) < MAX_RELATED:
                first = run.findings[position]
                run.findings[position] = first._replace(related=(*first.related, also))
        if failed:
            loose |= result.files
            continue
        built_objects += len(result.objects)
        owned |= result.files
        resources = [Resource(obj.path, obj.doc_index, obj.body, obj.doc_span) for obj in result.objects]
        run.roots.append(BuiltRoot(source.path, resources))
    owned -= loose
    run.owned = {by_real[r].path for r in owned if r in by_real}
    run.read_elsewhere = sorted({r for r in owned if r not in by_real} | {r for r in evidence_read if r not in by_real})
    return run


def _finding(rule: Any, path: str, span: Span | None, message: str) -> Finding:
    return Finding(rule.code, rule.name, rule.severity, message, Location.of(path, span))


def _restricted(result: BuildResult, root_path: str, display: Callable[[str], str]) -> Finding:
    """A file named from outside its kustomization's folder: kustomize refuses it by default, and
    `--load-restrictor LoadRestrictionsNone` allows it. Which one the repository's build uses is not in its
    files (nginxinc/kubernetes-ingress passes the flag in its Makefile): a warning, and the root is built as
    the flag builds it, so what it deploys is linted."""
    entry, span, folder = result.restricted[0]
    kustomization = find_kustomization(folder)
    where = display(os.path.realpath(kustomization)) if kustomization is not None else root_path
    others = len(result.restricted) - 1
    more = f" (and {others} more)" if others else ""
    root = os.path.dirname(root_path) or "."
    return _finding(diag.KUSTOMIZE_FAILED, where, span,
                    f"kustomize build of {root} reads '{entry}'{more}, outside the folder of the kustomization "
                    "that names it: kustomize refuses that unless built with `--load-restrictor "
                    "LoadRestrictionsNone`; linted as built with that flag")._replace(severity=Severity.WARNING)


def _failure(result: BuildResult, root_path: str, boundary: str, display: Callable[[str], str],
             evidence_read: list[str]) -> Finding:
    where = result.error_file or root_path
    root = os.path.dirname(root_path) or "."
    if result.unsupported is not None:
        detail = result.unsupported.detail or f"'{result.unsupported.field}'"
        return _finding(diag.KUSTOMIZE_NOT_BUILT, where, result.unsupported.span,
                        f"{detail} is not built offline; the kustomize root {root} is linted file by file")
    assert result.error is not None
    finding = _finding(diag.KUSTOMIZE_FAILED, where, result.error.span,
                       f"kustomize build of {root} fails: {result.error.message}")
    if result.error.missing is not None:
        # A missing input that the repository makes (a script writes it, git ignores it, the README has
        # the reader write it) is not certainly a mistake: a warning that says so, not an error.
        folder, entry = result.error.missing
        search = generated.Search()
        evidence = generated.find(folder, entry, boundary, search)
        evidence_read.extend(search.read)
        if evidence is not None:
            shown = display(evidence.path)
            return finding._replace(
                severity=Severity.WARNING,
                message=f"kustomize build of {root} needs '{entry}', which is not in the repository: it may be "
                        f"generated before the build ({evidence.how} {shown}); if so, lint the build's output",
                related=(Related(Location(shown, evidence.line), f"names '{evidence.named}'"),))
    return finding
