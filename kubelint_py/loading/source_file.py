"""Read one file and parse it into models. Never raises: every problem becomes a KL finding."""

from __future__ import annotations

import os
import stat
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kubelint_py.core.source import Location, Span
from kubelint_py.discovery.walk import Candidate
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.config import DEFAULT_MAX_FILE_SIZE
from kubelint_py.engine.registry import Finding, Related, Rule
from kubelint_py.loading.classify import (
    first_marker,
    has_template_markers,
    is_compose_document,
    is_template_name,
    looks_like_manifest,
)
from kubelint_py.models.dockerfile import MAX_ANCESTRY, first_cut_chain
from kubelint_py.models.kubernetes import Resource
from kubelint_py.models.located import YMap
from kubelint_py.parsing.yaml import MAX_NODES, Ambiguity, YamlStream, line_at, load_yaml

if TYPE_CHECKING:
    from kubelint_py.loading.build_context import ContextListing

if TYPE_CHECKING:  # imported when a file of that format is loaded: start-up only pays for what it reads
    from kubelint_py.models.compose import ComposeFile
    from kubelint_py.models.dockerfile import Dockerfile

SourceKind = Literal["dockerfile", "compose", "kubernetes", "template", "other", "unreadable"]

# API groups whose objects are build-time configuration, not cluster objects.
NON_CLUSTER_GROUPS = ("kustomize.config.k8s.io", "config.kubernetes.io", "kpt.dev")
# kustomize's builtin transformer and generator configurations (`apiVersion: builtin`).
NON_CLUSTER_API_VERSIONS = frozenset({"builtin"})


@dataclass
class SourceFile:
    path: str
    kind: SourceKind
    text: str = ""
    explicit: bool = False
    fs_path: str = ""
    """Absolute path on disk (path is the display form)."""
    resources: list[Resource] = field(default_factory=list)
    compose: ComposeFile | None = None
    dockerfile: Dockerfile | None = None
    build_context: ContextListing | None = None
    """For a Dockerfile that copies its whole folder (`COPY . .`): the secret-looking files there."""
    ambiguities: list[Ambiguity] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    companion: bool = False
    """Loaded only as context for another file (a compose base of a linted override): its models are
    indexed, but findings located in it are not reported."""
    outline: tuple[tuple[int, int, str], ...] | None = None
    """(first line, last line, name) of each object, for a file that carries no models (a replayed
    report's): what baselines name a finding's object by. None: computed from the models."""

    def report(self, rule: Rule, message: str, span: Span | None, related: tuple[Related, ...] = ()) -> None:
        self.findings.append(Finding(rule.code, rule.name, rule.severity, message,
                                     Location.of(self.path, span), related))


def _first_bad_byte_line(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1
    return 1


@lru_cache(maxsize=4096)
def _is_chart_dir(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "Chart.yaml"))


_REAL_FOLDERS: dict[str, str] = {}
"""Absolute folder -> its real path (folders do not move during a run; a long-lived process that
lints again re-reads them once the table is full)."""


def _real_folder(folder: str) -> str:
    """os.path.realpath of an absolute folder, from its parent's (cached) when it is not itself a link:
    one lstat per folder instead of one per path component of every file."""
    found = _REAL_FOLDERS.get(folder)
    if found is not None:
        return found
    parent, name = os.path.split(folder)
    if name and name not in (".", "..") and parent and parent != folder and not os.path.islink(folder):
        parent_real = _REAL_FOLDERS.get(parent)
        if parent_real is None:
            parent_real = _REAL_FOLDERS[parent] = os.path.realpath(parent)
        real = os.path.join(parent_real, name)
    else:
        real = os.path.realpath(folder)
    if len(_REAL_FOLDERS) >= 65536:
        _REAL_FOLDERS.clear()
    _REAL_FOLDERS[folder] = real
    return real


def is_helm_template_path(path: str) -> bool:
    """A file under a chart's templates/ folder (a folder whose parent holds Chart.yaml)."""
    # Only a file that is itself a symlink needs its own realpath; its folder's comes from the table.
    absolute = os.path.abspath(path)
    real = os.path.realpath(absolute) if os.path.islink(absolute) else \
        os.path.join(_real_folder(os.path.dirname(absolute)), os.path.basename(absolute))
    if "templates" not in real:
        return False
    parts = Path(real).parts
    for index in range(len(parts) - 1, 0, -1):
        if parts[index] == "templates" and _is_chart_dir(str(Path(*parts[:index]))):
            return True
    return False


_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


def read_regular_bytes(path: str, limit: int) -> bytes | None:
    """Up to limit + 1 bytes of a regular file; None for anything else (FIFO, device, folder) or on error.
    Opened non-blocking so a FIFO named like a manifest never waits for a writer."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)
        with open(fd, "rb", closefd=True) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return None
            want = min(limit, info.st_size) + 1  # not read(limit + 1): see read_text
            data = handle.read(want)
            if len(data) == want and want <= limit:  # it grew after fstat: read on to the limit
                data += handle.read(limit + 1 - want)
            return data
    except OSError:
        return None


def _mib(size: int) -> str:
    return f"{size / 1048576:.1f} MiB" if size >= 1048576 else f"{size:,} bytes"


def read_text(source: SourceFile, max_size: int) -> str | None:
    """The decoded text, or None after recording why the file cannot be linted."""
    try:
        # O_NONBLOCK: opening a FIFO named like a manifest must not wait forever for a writer.
        fd = os.open(source.fs_path or source.path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)
        with open(fd, "rb", closefd=True) as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                source.report(diag.UNREADABLE, "is a directory where a file was expected", None)
                return None
            if not stat.S_ISREG(info.st_mode):
                source.report(diag.UNREADABLE, "not a regular file (a FIFO, socket or device); it was not read",
                              None)
                return None
            if info.st_size > max_size:
                source.report(diag.UNREADABLE, f"file is {_mib(info.st_size)}, over the {_mib(max_size)} limit "
                              "(max-file-size); it was not linted", None)
                return None
            # Read the size fstat gave, plus one byte to notice growth: read(max_size + 1) allocated (and
            # then shrank) a max-size buffer for every file, about as slow as parsing a small manifest.
            want = min(max_size, info.st_size) + 1
            data = handle.read(want)
            if len(data) == want and want <= max_size:  # it grew after fstat: read on to the limit
                data += handle.read(max_size + 1 - want)
    except IsADirectoryError:
        source.report(diag.UNREADABLE, "is a directory where a file was expected", None)
        return None
    except OSError as error:
        source.report(diag.UNREADABLE, f"cannot read file: {error.strerror or error}", None)
        return None
    if len(data) > max_size:  # it grew after fstat
        source.report(diag.UNREADABLE, f"file is over the {_mib(max_size)} limit (max-file-size); "
                      "it was not linted", None)
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM (PowerShell's `>` writes it)
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            source.report(diag.ENCODING, "file is UTF-16, not UTF-8: kubectl, docker compose and docker build "
                          "expect UTF-8; it was linted after decoding", Span.point(1))
            return text
    if b"\x00" in data[:8192]:
        source.report(diag.UNREADABLE, "binary file (contains NUL bytes); it was not linted", None)
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        line = _first_bad_byte_line(data)
        source.report(diag.ENCODING, f"file is not valid UTF-8 (first bad byte on line {line}); "
                      "linted with the bad bytes replaced", Span.point(line))
        return data.decode("utf-8", errors="replace")


def load_source(candidate: Candidate, max_size: int, text: str | None = None) -> SourceFile:
    """Read and parse one candidate file into a SourceFile with its models and load findings.

    text: the file's content when it does not come from the disk (standard input, an editor's unsaved
    buffer); the size limit still applies. Never raises: a bug met while building this file's models
    costs this file (one KL005 finding), not the run and the other files' findings.
    """
    try:
        return _load_source(candidate, max_size, text)
    except RecursionError:
        error_text = "RecursionError: the file nests too deeply"
    except Exception as error:
        error_text = f"{type(error).__name__}: {error}"
    source = SourceFile(candidate.path, "unreadable", explicit=candidate.explicit, fs_path=candidate.read_path)
    source.report(diag.INTERNAL_ERROR, f"loading this file failed ({error_text}); it was not linted", None)
    return source


def _load_source(candidate: Candidate, max_size: int, given: str | None = None) -> SourceFile:
    source = SourceFile(candidate.path, "unreadable", explicit=candidate.explicit, fs_path=candidate.read_path)
    if given is not None:
        text = _given_text(source, given, max_size)
        if text is None:
            return source
        source.text = text
        if candidate.kind == "dockerfile":
            _load_dockerfile(source, text)
        else:
            _load_yaml_file(source, text, candidate, _node_budget(max_size))
        return source
    if candidate.problem is not None:
        source.report(diag.UNREADABLE, f"cannot read: {candidate.problem}", None)
        return source
    if candidate.kind in ("yaml", "json", "compose") and not candidate.explicit \
            and is_helm_template_path(candidate.read_path):
        source.kind = "template"
        source.report(diag.TEMPLATE_SKIPPED, "Helm chart template skipped: lint the rendered output "
                      "(`helm template`) instead", None)
        return source
    if not candidate.explicit and is_template_name(os.path.basename(candidate.read_path)):
        source.kind = "template"
        source.report(diag.TEMPLATE_SKIPPED, "template file (its name says it is rendered before use) skipped: "
                      "lint the rendered output instead", None)
        return source
    text = read_text(source, max_size)
    if text is None:
        return source
    source.text = text
    if candidate.kind == "dockerfile":
        _load_dockerfile(source, text)
    else:
        _load_yaml_file(source, text, candidate, _node_budget(max_size))
    return source


def _given_text(source: SourceFile, text: str, max_size: int) -> str | None:
    """Content handed over in memory, held to the same limits as a file read from the disk."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_size:
        source.report(diag.UNREADABLE, f"content is {_mib(size)}, over the {_mib(max_size)} limit "
                      "(max-file-size); it was not linted", None)
        return None
    if "\x00" in text[:8192]:
        source.report(diag.UNREADABLE, "binary content (contains NUL bytes); it was not linted", None)
        return None
    return text.removeprefix("\ufeff")


def _beside_chart(candidate: Candidate) -> bool:
    """A file in a Helm chart's own folder (values.yaml, values-prod.yaml): chart input, not Compose."""
    return _is_chart_dir(os.path.dirname(os.path.abspath(candidate.read_path)))


def _node_budget(max_size: int) -> int:
    """YAML nodes allowed per file: the default for the default size cap, growing with a larger cap."""
    return max(MAX_NODES, MAX_NODES * max_size // DEFAULT_MAX_FILE_SIZE)


MAX_DOCKERFILE_LINES = 100_000
"""Real Dockerfiles have hundreds of lines; 1.7 million one-line instructions took 20 s and 900 MB."""


def _load_dockerfile(source: SourceFile, text: str) -> None:
    from kubelint_py.parsing.dockerfile import parse_dockerfile

    lines = text.count("\n")
    if lines > MAX_DOCKERFILE_LINES:
        source.report(diag.UNREADABLE, f"Dockerfile has {lines:,} lines, more than {MAX_DOCKERFILE_LINES:,}; "
                      "it was not linted", None)
        return
    source.kind = "dockerfile"
    source.dockerfile = parse_dockerfile(source.path, text)
    for problem in source.dockerfile.problems:
        source.report(diag.PARSE_ERROR, problem.message, problem.span)
    cut = first_cut_chain(source.dockerfile.stages)
    if cut is not None:
        stage, length = cut
        source.report(diag.CHECK_INCOMPLETE, (
            f"this stage is built FROM a chain of {length:,} stages (and later stages may be too): rules look "
            f"through the last {MAX_ANCESTRY} stages of a chain only, so what the older stages set (USER, ENV, "
            "ARG, packages) is not seen from here"), stage.from_instruction.span)
    from kubelint_py.loading.build_context import is_whole_context_copy, scan_context

    # Only a whole-context COPY/ADD makes the folder's contents matter; scan nothing otherwise.
    if any(is_whole_context_copy(ins) for ins in source.dockerfile.instructions):
        on_disk = source.fs_path or source.path
        source.build_context = scan_context(os.path.dirname(on_disk) or ".", os.path.basename(on_disk))


def _load_yaml_file(source: SourceFile, text: str, candidate: Candidate, max_nodes: int = MAX_NODES) -> None:
    if candidate.kind == "json" and not candidate.explicit and ('"apiVersion"' not in text or '"kind"' not in text):
        source.kind = "other"
        return
    stream = load_yaml(text, "yaml12" if candidate.kind == "compose" else "yaml11", max_nodes=max_nodes)
    if has_template_markers(text) and (stream.complex_keys or any(p.kind == "syntax" for p in stream.problems)):
        templates = _template_documents(text, stream)
        if templates.whole_file:
            source.kind = "template"
            line = line_at(text, first_marker(text))
            source.report(diag.TEMPLATE_SKIPPED, "template syntax (`{{ }}` or `{% %}`) makes this file invalid "
                          "YAML; it was skipped: lint the rendered output instead", Span.point(line))
            return
        # Only the documents that really are templates are skipped (one KL002 each); the others are
        # linted, and their own syntax errors reported (a `{{` elsewhere no longer hides them).
        for line in templates.brace_lines:
            source.report(diag.TEMPLATE_SKIPPED, "template syntax (`{{ }}` or `{% %}`) makes this document "
                          "invalid YAML; it was skipped: lint the rendered output instead", Span.point(line))
        stream = YamlStream([d for d in stream.documents if not templates.covers(d.span.line)],
                            [p for p in stream.problems if p.kind != "syntax" or not templates.covers(p.span.line)])
    if any(p.kind == "syntax" for p in stream.problems) and not candidate.explicit \
            and candidate.kind == "yaml" and not looks_like_manifest(text):
        source.kind = "other"  # a lockfile or another tool's YAML: not ours to judge, even when it is broken
        return
    _report_yaml_problems(source, stream)
    roots = [doc for doc in stream.documents if isinstance(doc.value, YMap)]
    if any("apiVersion" in doc.value and "kind" in doc.value for doc in roots):
        source.kind = "kubernetes"
        for doc in roots:
            source.ambiguities.extend(doc.ambiguities)
            _add_resources(source, doc.value, doc.index, doc.span)
        return
    looks_like_compose = bool(roots) and is_compose_document(roots[0].value) \
        and not _beside_chart(candidate)  # a chart's values.yaml often has `services:` too
    if candidate.kind == "compose" or looks_like_compose:
        source.kind = "compose"
        if roots:
            from kubelint_py.models.compose import ComposeFile

            roots[0].use_schema("yaml12")
            source.ambiguities.extend(roots[0].ambiguities)
            source.compose = ComposeFile(source.path, roots[0].value, text, fs_path=source.fs_path)
            from kubelint_py.loading.compose_files import probe_compose_paths

            probe_compose_paths(source.compose)
        return
    source.kind = "other"


class _Templates:
    """Which documents of a YAML stream are unrendered templates: those holding `{{` with a syntax error
    or a mapping used as a key (the sign of `{{ }}` read as flow mappings). Documents are told apart by
    their `---` lines."""

    def __init__(self, starts: list[int], templated: dict[int, int], documents: int) -> None:
        self.starts = starts
        self.templated = templated
        """Document number -> line of its first `{{`."""
        self.whole_file = len(templated) == documents

    @property
    def brace_lines(self) -> list[int]:
        return sorted(self.templated.values())

    def covers(self, line: int) -> bool:
        return bisect_right(self.starts, line) - 1 in self.templated


def _template_documents(text: str, stream: YamlStream) -> _Templates:
    lines = text.split("\n")
    starts = [1] + [number for number, line in enumerate(lines, 1) if line.startswith("---") and number > 1]
    braces: dict[int, int] = {}
    for number, line in enumerate(lines, 1):
        if has_template_markers(line):
            braces.setdefault(bisect_right(starts, number) - 1, number)
    suspects = {p.span.line for p in stream.problems if p.kind == "syntax"} | set(stream.complex_key_lines)
    if stream.complex_keys > len(stream.complex_key_lines):
        suspects |= set(range(1, len(lines) + 1))  # too many to place: every document with `{{`
    # A parser often notices an unclosed document only at the next `---`: that line counts for both.
    at_start = {line - 1 for line in suspects if line > 1 and line in set(starts)}
    candidates = {bisect_right(starts, line) - 1 for line in suspects | at_start}
    templated = {doc: braces[doc] for doc in candidates if doc in braces}
    documents = sum(1 for number, start in enumerate(starts)
                    if any(line.strip() and not line.startswith(("#", "---"))
                           for line in lines[start - 1:starts[number + 1] - 1 if number + 1 < len(starts) else None]))
    return _Templates(starts, templated, max(documents, 1))


def _add_resources(source: SourceFile, body: YMap, doc_index: int, doc_span: Span) -> None:
    if "apiVersion" not in body or "kind" not in body:
        return
    api_version = str(body.get("apiVersion"))
    if api_version.startswith(NON_CLUSTER_GROUPS) or api_version in NON_CLUSTER_API_VERSIONS \
            or _is_local_config(body):
        return
    items = body.get_list("items")
    kind = body.get("kind")
    # `List`, and typed lists such as ConfigMapList or RoleBindingList (items of the listed kind) that
    # kubectl also accepts; a custom kind that merely ends in "List" stays one object.
    if items is not None and (kind == "List" or (
            isinstance(kind, str) and kind.endswith("List") and items
            and all(isinstance(i, YMap) and i.get("kind") == kind[:-4] for i in items))):
        for _, item in items.maps():
            _add_resources(source, item, doc_index, item.span)
        return
    source.resources.append(Resource(source.path, doc_index, body, doc_span))


LOCAL_CONFIG_ANNOTATIONS = ("config.kubernetes.io/function", "config.k8s.io/function")


def _is_local_config(body: YMap) -> bool:
    """A KRM function's configuration, or an object marked `config.kubernetes.io/local-config: "true"`:
    kustomize and kpt read it and never send it to a cluster."""
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, YMap) else None
    if not isinstance(annotations, YMap):
        return False
    return any(key in annotations for key in LOCAL_CONFIG_ANNOTATIONS) \
        or str(annotations.get("config.kubernetes.io/local-config", "")).lower() == "true"


def _report_yaml_problems(source: SourceFile, stream: YamlStream) -> None:
    for problem in stream.problems:
        if problem.kind == "duplicate-key":
            related = (Related(Location.of(source.path, problem.related), "first definition"),) \
                if problem.related else ()
            source.report(diag.DUPLICATE_KEY, problem.message, problem.span, related)
        elif problem.kind == "too-large":
            source.report(diag.UNREADABLE, problem.message, problem.span)
        else:
            source.report(diag.PARSE_ERROR, problem.message, problem.span)
