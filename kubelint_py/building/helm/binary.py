"""The fallback renderer: a `helm` binary on PATH (`helm template`), used when helm-python-sdk is not
installed. Same requests and answers as the SDK's render process (renderer.py / child.py), so the
stage maps its output back to template lines the same way.

Each render is one `helm template` of the chart (plain) and one of its marked copy (marking.py), run
apart from the linter: the limits of child.confine (memory, CPU time, file size, a network namespace of
its own where allowed) set by a small Python process that then executes helm, a time limit, a
filtered environment whose Helm folders (cache, config, data, plugins, registry and repository files)
and KUBECONFIG point into an empty scratch folder, a chart given by absolute path (a local folder:
never a repository reference), never --dependency-update. Nothing in a render reaches the network:
`helm template` is client-only.

`helm template` prints each rendered document as `---\\n# Source: <template>\\n<document>`, the documents
of one template split apart, trimmed and sorted by kind; the answer puts each template's documents
back together (in template order, from the marked render's lines) and trims the marked documents as
Helm trimmed the plain ones, so the lines still correspond one to one.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.building.helm.renderer import MAX_ANSWER_BYTES, RENDER_SECONDS, RenderRequest

_SOURCE = re.compile(r"^---\n# Source: (?P<name>[^\n]+)\n", re.M)
_MISSING = re.compile(r"found in Chart\.yaml, but missing in charts/ directory: (?P<names>[^\n]+)")
_INVALID_YAML = "YAML parse error on "


def find_helm() -> str | None:
    """The `helm` executable on PATH, skipping relative PATH entries (`.` would run a linted
    repository's own `helm`)."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isabs(folder):
            continue
        candidate = os.path.join(folder, "helm")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def identity(helm: str) -> str:
    """What changes when another helm is installed (for the render store's key)."""
    try:
        status = os.stat(helm)
    except OSError:
        return f"helm:{helm}"
    return f"helm:{os.path.realpath(helm)}:{status.st_size}:{int(status.st_mtime)}"


def split_documents(output: str) -> list[tuple[str, str]]:
    """(template name, document text) for each document `helm template` printed, in its order."""
    found: list[tuple[str, str]] = []
    matches = list(_SOURCE.finditer(output))
    for number, match in enumerate(matches):
        end = matches[number + 1].start() if number + 1 < len(matches) else len(output)
        found.append((match.group("name"), output[match.end():end].strip()))
    return found


def _confined(arguments: list[str]) -> list[str]:
    """The command that runs `arguments` confined: a small Python process (child.py --exec) sets the
    limits and the network namespace, then executes helm in its place."""
    return [sys.executable, "-S", "-m", "kubelint_py.building.helm.child", "--exec", *arguments]


def _chart_metadata_loader() -> Any:
    """What child._helm_names needs of the SDK (`values_from_yaml`), from a safe YAML load."""
    from ruamel.yaml import YAML

    class _Loader:
        def values_from_yaml(self, text: str) -> Any:
            try:
                return YAML(typ="safe", pure=True).load(text)
            except Exception:
                return {}

    return _Loader()


@dataclass
class _Run:
    ok: bool
    documents: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    limit: bool = False


@dataclass
class BinaryRenderer:
    """Renders with `helm template`; the same interface as renderer.Renderer."""

    helm: str
    timeout: float = RENDER_SECONDS
    broken: str | None = None

    def render(self, request: RenderRequest) -> dict[str, Any]:
        from kubelint_py.building.helm.marking import marked_copy

        if self.broken is not None:
            return {"ok": False, "error": self.broken, "fatal": True}
        scratch = tempfile.mkdtemp(prefix="kubelint-helm-bin-")
        copy = None
        try:
            arguments = self._arguments(request, scratch)
            plain = self._run([*arguments, "--", request.release, os.path.abspath(request.chart)], scratch)
            if not plain.ok:
                return self._failure(plain)
            copy = marked_copy(request.chart, request.nonce)
            marked = None
            if copy is not None:
                marked = self._run([*arguments, "--", request.release, os.path.abspath(copy[1])], scratch)
            return {"ok": True, "outputs": self._outputs(request, plain, marked, copy[2] if copy else {}),
                    "missing": []}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if copy is not None:
                shutil.rmtree(copy[0], ignore_errors=True)

    def close(self) -> None:
        """Nothing runs between renders."""

    def _arguments(self, request: RenderRequest, scratch: str) -> list[str]:
        arguments = [self.helm, "template", f"--namespace={request.namespace}", "--debug"]
        for number, text in enumerate(request.values):
            path = os.path.join(scratch, f"values-{number}.yaml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            arguments.append(f"--values={path}")
        arguments += [f"--set={expression}" for expression in request.set]
        return arguments

    def _environment(self, scratch: str) -> dict[str, str]:
        home = os.path.join(scratch, "home")
        os.makedirs(home, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if key in ("LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
        env.update(HOME=home, HELM_CACHE_HOME=os.path.join(home, "cache"),
                   HELM_CONFIG_HOME=os.path.join(home, "config"), HELM_DATA_HOME=os.path.join(home, "data"),
                   HELM_PLUGINS=os.path.join(home, "plugins"),
                   HELM_REGISTRY_CONFIG=os.path.join(home, "registry.json"),
                   HELM_REPOSITORY_CONFIG=os.path.join(home, "repositories.yaml"),
                   HELM_REPOSITORY_CACHE=os.path.join(home, "repository"),
                   KUBECONFIG=os.path.join(home, "kubeconfig"), PATH="/usr/bin:/bin")
        # For the confining Python only (child.py drops them before it executes helm): this package's own
        # location, however it was installed; nothing of the linted tree.
        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env.update(PYTHONPATH=os.path.dirname(package), PYTHONDONTWRITEBYTECODE="1")
        return env

    def _run(self, arguments: list[str], scratch: str) -> _Run:
        try:
            process = subprocess.Popen(_confined(arguments), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=self._environment(scratch), cwd=scratch,
                                       close_fds=True)
        except OSError as problem:
            self.broken = f"the helm binary cannot be started: {problem.strerror or problem}"
            return _Run(False, error=self.broken)
        read = _read_bounded(process, self.timeout, MAX_ANSWER_BYTES)
        if read is None:
            process.kill()
            process.wait()
            return _Run(False, error=f"the render took longer than {self.timeout:g} s or wrote more than "
                        f"{MAX_ANSWER_BYTES // 1024**2} MiB, and was stopped", limit=True)
        out, err = read
        error = _error_of(err.decode("utf-8", errors="replace"))
        text = out.decode("utf-8", errors="replace")
        if process.returncode == 0 or error.startswith(_INVALID_YAML):
            # With --debug an output that is not YAML is still printed: the stage reports where it breaks.
            return _Run(True, split_documents(text))
        if process.returncode < 0:
            return _Run(False, error="the render ran out of memory or CPU time and was stopped", limit=True)
        return _Run(False, error=error or f"helm template failed (exit status {process.returncode})")

    def _failure(self, run: _Run) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": False, "error": run.error}
        if run.limit:
            answer["limit"] = True
        missing = _MISSING.search(run.error)
        if missing is not None:
            answer["missing"] = [name.strip() for name in missing.group("names").split(",") if name.strip()]
            answer["dependencies"] = True  # the whole failure: KL011 says it
        return answer

    def _outputs(self, request: RenderRequest, plain: _Run, marked: _Run | None,
                 ids: dict[str, int]) -> list[dict[str, Any]]:
        from kubelint_py.building.helm.child import _file_of, _helm_names

        names = _helm_names(_chart_metadata_loader(), request.chart)
        by_name: dict[str, list[str]] = {}
        for name, text in plain.documents:
            by_name.setdefault(name, []).extend(split_manifests(text))
        marked_by_name: dict[str, list[str]] = {}
        for name, text in (marked.documents if marked is not None and marked.ok else []):
            marked_by_name.setdefault(name, []).append(text)
        outputs = []
        for name, documents in sorted(by_name.items()):
            owner = _file_of(name, names)
            entry: dict[str, Any] = {"name": name, "file": owner, "text": "\n---\n".join(documents), "lines": [],
                                     "skipped": [], "exact": False}
            if owner is not None and owner in ids and name in marked_by_name:
                twins = [document for chunk in marked_by_name[name]
                         for document in _unmarked_documents(chunk, request.nonce, ids[owner])]
                pairs = _pair(documents, twins)
                if pairs is not None:
                    entry.update(_joined(sorted(pairs, key=lambda pair: pair[1][1][0])), exact=True)
            outputs.append(entry)
        return outputs


_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")
"""Helm's document separator (releaseutil.SplitManifests)."""

Mapped = tuple[str, list[int], list[tuple[int, int]]]
"""A document's text, the template line of each of its lines, and its switched-off blocks."""


def split_manifests(text: str) -> list[str]:
    """The documents of one template's output as Helm splits them: at `---`, each trimmed, none empty."""
    return [document.strip() for document in _SEPARATOR.split(text.strip()) if document.strip()]


def _unmarked_documents(chunk: str, nonce: str, file_id: int) -> list[Mapped]:
    """A marked output (one document, or a template's whole output when Helm printed it unsplit) without
    its markers, split and trimmed as Helm split and trimmed the plain one, keeping the line numbers."""
    from kubelint_py.building.helm.template_text import unmark

    mapped = unmark(chunk, nonce, file_id)
    text = mapped.text
    pieces: list[tuple[int, int]] = []
    position = 0
    for match in _SEPARATOR.finditer(text):
        pieces.append((position, match.start()))
        position = match.end()
    pieces.append((position, len(text)))
    found: list[Mapped] = []
    for start, end in pieces:
        piece = text[start:end]
        if not piece.strip():
            continue
        first = text.count("\n", 0, start) + piece.count("\n", 0, len(piece) - len(piece.lstrip()))
        trimmed = piece.strip()
        count = trimmed.count("\n") + 1
        lines = mapped.lines[first:first + count]
        if len(lines) != count:
            continue
        skipped = [(number - first, line) for number, line in mapped.skipped if first <= number < first + count]
        found.append((trimmed, lines, skipped))
    return found


def _pair(documents: list[str], twins: list[Mapped]) -> list[tuple[str, Mapped]] | None:
    """Each plain document with its unmarked twin: the one of equal text, else (a value computed from
    marked text, such as a checksum of another template) the next unused one of as many lines. None when
    some document has no twin (its lines then map by text)."""
    if len(twins) != len(documents):
        return None
    unused = list(range(len(twins)))
    pairs: list[tuple[str, Mapped] | None] = []
    for document in documents:
        match = next((i for i in unused if twins[i][0] == document), None)
        if match is not None:
            unused.remove(match)
        pairs.append((document, twins[match]) if match is not None else None)
    for index, document in enumerate(documents):
        if pairs[index] is None:
            match = next((i for i in unused if twins[i][0].count("\n") == document.count("\n")), None)
            if match is None:
                return None
            unused.remove(match)
            pairs[index] = (document, twins[match])
    return [pair for pair in pairs if pair is not None]


def _joined(pairs: list[tuple[str, Mapped]]) -> dict[str, Any]:
    """One template's documents (plain text, marked mapping), in template order, as one output."""
    texts: list[str] = []
    lines: list[int] = []
    skipped: list[list[int]] = []
    for document, (_, owners, blocks) in pairs:
        if texts:
            lines.append(owners[0] if owners else (lines[-1] if lines else 0))  # the `---` between
        offset = len(lines)
        texts.append(document)
        lines.extend(owners)
        skipped.extend([number + offset, line] for number, line in blocks)
    return {"text": "\n---\n".join(texts), "lines": lines, "skipped": skipped}


def _read_bounded(process: subprocess.Popen[bytes], timeout: float, limit: int) -> tuple[bytes, bytes] | None:
    """Everything the process writes to stdout and stderr until it exits, or None when it takes longer
    than `timeout` seconds or writes more than `limit` bytes (the caller then kills it)."""
    assert process.stdout is not None and process.stderr is not None
    deadline = time.monotonic() + timeout
    out, err = process.stdout.fileno(), process.stderr.fileno()
    streams = {out: bytearray(), err: bytearray()}
    open_streams = set(streams)
    try:
        while open_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select(list(open_streams), [], [], left)
            for descriptor in ready:
                chunk = os.read(descriptor, 1 << 20)
                if not chunk:
                    open_streams.discard(descriptor)
                    continue
                streams[descriptor] += chunk
                if len(streams[descriptor]) > limit:
                    return None
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            return None
    finally:
        process.stdout.close()
        process.stderr.close()
    return bytes(streams[out]), bytes(streams[err])


def _error_of(stderr: str) -> str:
    """Helm's error (after `Error: `), without its debug log lines and the --debug advice."""
    kept = [line for line in stderr.split("\n") if not line.startswith("level=")]
    text = "\n".join(kept)
    start = text.find("Error: ")
    if start >= 0:
        text = text[start + len("Error: "):]
    text = text.replace("Use --debug flag to render out invalid YAML", "")
    return text.strip()[:4000]
