"""The language server, driven by a scripted client over stdio: initialize, didOpen, diagnostics,
didChange, codeAction, hover, shutdown; and the workspace model underneath it."""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from kubelint_py.core.source import Location
from kubelint_py.lsp.edits import Position, lsp_range, suppress_file_edit, suppress_line_edit, utf16_column
from kubelint_py.lsp.server import build_server
from kubelint_py.lsp.session import Workspace

ROOT = Path(__file__).resolve().parent.parent

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.2
          envFrom:
            - secretRef: {name: web-secrets}
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: web-secrets
type: Opaque
"""


class ScriptedClient:
    """A language client that records every publishDiagnostics and can wait for the next one of a file."""

    def __init__(self) -> None:
        self.client = LanguageClient("kubelint-py-tests", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.counts: dict[str, int] = {}
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(_: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.counts[params.uri] = self.counts.get(params.uri, 0) + 1
            self.changed.set()

    async def next_publish(self, uri: str, after: int, timeout: float = 30.0) -> list[types.Diagnostic]:
        """The diagnostics of `uri` once it has been published more than `after` times."""
        async def wait() -> None:
            while self.counts.get(uri, 0) <= after:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.diagnostics[uri]

    async def until(self, uri: str, done: Callable[[list[types.Diagnostic]], bool],
                    timeout: float = 60.0) -> list[types.Diagnostic]:
        """Wait for diagnostics of `uri` that satisfy `done` (the workspace loads in the background:
        a buffer is first linted alone, then again with the workspace as context)."""
        async def wait() -> None:
            while uri not in self.diagnostics or not done(self.diagnostics[uri]):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.diagnostics[uri]

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
        return uri

    def replace(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


@asynccontextmanager
async def language_server(root: Path) -> AsyncIterator[ScriptedClient]:
    scripted = ScriptedClient()
    await scripted.client.start_io(sys.executable, "-m", "kubelint_py", "lsp", cwd=str(ROOT))
    try:
        result = await asyncio.wait_for(scripted.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")])), 60)
        assert result.server_info is not None and result.server_info.name == "kubelint-py"
        scripted.client.initialized(types.InitializedParams())
        yield scripted
    finally:
        await asyncio.wait_for(scripted.client.shutdown_async(None), 30)
        scripted.client.exit(None)
        await scripted.client.stop()


def _codes(diagnostics: list[types.Diagnostic]) -> set[str]:
    return {str(d.code) for d in diagnostics}


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / ".kubelint.yaml").write_text("ignore: [KS101, KS102, KS110, KS111, KS112, KS30*]\n")
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "secret.yaml").write_text(SECRET)
    return tmp_path


def test_open_change_code_action_hover_shutdown(tmp_path: Path) -> None:
    root = _workspace(tmp_path)

    async def script() -> None:
        async with language_server(root) as scripted:
            uri = scripted.open(root / "deploy.yaml", DEPLOYMENT)
            # Alone, the reference dangles; once the workspace is loaded, the Secret in secret.yaml is seen.
            await scripted.until(uri, lambda found: "KS603" not in _codes(found))
            # An unsaved edit: a mutable tag on line 14 (0-based 13).
            count = scripted.counts[uri]
            scripted.replace(uri, DEPLOYMENT.replace("nginx:1.27.2", "nginx:latest"), 2)
            changed = await scripted.next_publish(uri, count)
            tag = [d for d in changed if d.code == "KS201"]
            assert tag, _codes(changed)
            diagnostic = tag[0]
            assert diagnostic.range.start.line == 13 and diagnostic.source == "kubelint-py"
            assert diagnostic.severity == types.DiagnosticSeverity.Warning
            actions = await scripted.client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic])))
            assert actions is not None
            titles = {a.title for a in actions if isinstance(a, types.CodeAction)}
            assert {"Suppress KS201 on this line", "Suppress KS201 in this file"} <= titles
            line_action = next(a for a in actions if isinstance(a, types.CodeAction) and "line" in a.title)
            assert line_action.edit is not None and line_action.edit.changes is not None
            (edit,) = line_action.edit.changes[uri]
            assert edit.new_text == "  # kubelint: ignore=KS201" and edit.range.start.line == 13
            hover = await scripted.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=diagnostic.range.start))
            assert hover is not None and isinstance(hover.contents, types.MarkupContent)
            assert "KS201" in hover.contents.value

    asyncio.run(script())


def test_an_unsaved_edit_in_one_buffer_changes_another(tmp_path: Path) -> None:
    root = _workspace(tmp_path)

    async def script() -> None:
        async with language_server(root) as scripted:
            deploy = scripted.open(root / "deploy.yaml", DEPLOYMENT)
            await scripted.until(deploy, lambda found: "KS603" not in _codes(found))
            secret = scripted.open(root / "secret.yaml", SECRET)
            await scripted.next_publish(secret, 0)
            before = scripted.counts[deploy]
            assert "KS603" not in _codes(scripted.diagnostics[deploy])
            # Rename the Secret in its buffer, without saving: the Deployment's reference now dangles.
            scripted.replace(secret, SECRET.replace("web-secrets", "other-secrets"), 2)
            after = await scripted.next_publish(deploy, before)
            missing = [d for d in after if d.code == "KS603"]
            assert missing and missing[0].range.start.line == 15, _codes(after)
            # And back: the finding goes away again.
            count = scripted.counts[deploy]
            scripted.replace(secret, SECRET, 3)
            assert "KS603" not in _codes(await scripted.next_publish(deploy, count))
            assert (root / "secret.yaml").read_text() == SECRET  # nothing was written

    asyncio.run(script())


def test_utf16_columns() -> None:
    line = "  name: \U0001f600 é x"
    # The emoji is one code point but two UTF-16 code units.
    assert utf16_column(line, 8) == 8
    assert utf16_column(line, 9) == 10
    assert utf16_column(line, 12) == 13
    start, end = lsp_range(Location("f.yaml", 1, 12, 1, 13), [line])
    assert start == Position(0, 12) and end == Position(0, 13)  # 1-based code points 12-13


def test_zero_width_locations_cover_the_rest_of_the_line() -> None:
    start, end = lsp_range(Location("f.yaml", 2, 3), ["a: 1", "  b: 2"])
    assert start == Position(1, 2) and end == Position(1, 6)


def test_suppression_edits_silence_the_finding(tmp_path: Path) -> None:
    """The quick fixes' comments really suppress: apply them to a buffer and lint it again."""
    root = _workspace(tmp_path)
    workspace = Workspace(root)
    workspace.load()
    text = DEPLOYMENT.replace("nginx:1.27.2", "nginx:latest")
    display = workspace.open(str(root / "deploy.yaml"), text)
    (finding,) = [f for f in workspace.findings([display])[display] if f.code == "KS201"]
    lines = text.split("\n")
    for edit in (suppress_line_edit("yaml", "KS201", lines, finding.location.line),
                 suppress_file_edit("yaml", "KS201", lines)):
        edited = _apply(lines, edit.start, edit.end, edit.new_text)
        workspace.open(str(root / "deploy.yaml"), edited)
        codes = {f.code for f in workspace.findings([display])[display]}
        assert "KS201" not in codes and "KL007" not in codes, (edit, codes)


def test_dockerfile_suppression_goes_above_the_instruction_and_after_directives() -> None:
    lines = ["# syntax=docker/dockerfile:1", "FROM python:3.12", "RUN apt-get update && \\",
             "    apt-get install -y curl"]
    edit = suppress_line_edit("dockerfile", "DF102", lines, 4, first_line=3)
    assert edit.start == Position(2, 0) and edit.new_text == "# kubelint: ignore=DF102\n"
    assert suppress_file_edit("dockerfile", "DF102", lines).start == Position(1, 0)
    # An existing comment on the line is extended rather than doubled.
    yaml_lines = ["image: nginx:latest  # kubelint: ignore=KS202"]
    extend = suppress_line_edit("yaml", "KS201", yaml_lines, 1)
    assert extend.new_text == ",KS201" and extend.start == Position(0, len(yaml_lines[0]))


def _apply(lines: list[str], start: Position, end: Position, new_text: str) -> str:
    text = "\n".join(lines)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    begin, finish = offsets[start.line] + start.character, offsets[end.line] + end.character
    return text[:begin] + new_text + text[finish:]


def test_pull_diagnostics_for_clients_that_ask(tmp_path: Path) -> None:
    """A client that pulls (textDocument/diagnostic) gets the buffer's findings on request, nothing pushed,
    and workspace/diagnostic covers files that are not open."""
    root = _workspace(tmp_path)
    (root / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: other}\n"
                                   "spec:\n  containers: [{name: c, image: 'nginx:latest'}]\n")

    async def script() -> None:
        scripted = ScriptedClient()
        await scripted.client.start_io(sys.executable, "-m", "kubelint_py", "lsp", cwd=str(ROOT))
        try:
            result = await asyncio.wait_for(scripted.client.initialize_async(types.InitializeParams(
                capabilities=types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
                    diagnostic=types.DiagnosticClientCapabilities(related_document_support=True))),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")])), 60)
            provider = result.capabilities.diagnostic_provider
            assert isinstance(provider, types.DiagnosticOptions) and provider.workspace_diagnostics
            scripted.client.initialized(types.InitializedParams())
            uri = scripted.open(root / "deploy.yaml", DEPLOYMENT.replace("nginx:1.27.2", "nginx:latest"))
            report = await asyncio.wait_for(scripted.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))), 60)
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            assert "KS201" in _codes(report.items)
            everything = await asyncio.wait_for(scripted.client.workspace_diagnostic_async(
                types.WorkspaceDiagnosticParams(previous_result_ids=[])), 60)
            by_uri = {item.uri: item for item in everything.items}
            unopened = by_uri[(root / "pod.yaml").as_uri()]
            assert isinstance(unopened, types.WorkspaceFullDocumentDiagnosticReport)
            assert "KS201" in _codes(unopened.items)
            assert uri not in scripted.diagnostics  # a pulling client is never pushed to
        finally:
            await asyncio.wait_for(scripted.client.shutdown_async(None), 30)
            scripted.client.exit(None)
            await scripted.client.stop()

    asyncio.run(script())


def test_workspace_diagnostics_wait_for_the_folder_being_read(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """workspace/diagnostic asked while the folder is still read in the background answers for every file
    once it is read (CI once saw a fast client get an answer without the files not open)."""
    root = _workspace(tmp_path)
    (root / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: other}\n"
                                   "spec:\n  containers: [{name: c, image: 'nginx:latest'}]\n")
    read_folder = Workspace.load

    def slow_load(workspace: Workspace) -> None:
        time.sleep(0.5)
        read_folder(workspace)

    monkeypatch.setattr(Workspace, "load", slow_load)
    server = build_server()
    server.folders, server.pull = [str(root)], True
    handler = server.protocol.fm.features[types.WORKSPACE_DIAGNOSTIC]

    async def script() -> types.WorkspaceDiagnosticReport:
        answer = handler(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        report = await answer if inspect.isawaitable(answer) else answer
        assert isinstance(report, types.WorkspaceDiagnosticReport)
        return report

    report = asyncio.run(script())
    by_uri = {item.uri: item for item in report.items}
    assert "KS201" in _codes(by_uri[(root / "pod.yaml").as_uri()].items)


CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels:
    legacy: off
    tier: backend
"""


def test_quick_fixes_come_from_the_rules_fixes(tmp_path: Path) -> None:
    """A fixable diagnostic offers its fix as a quick fix, and the file offers every safe fix at once."""
    root = _workspace(tmp_path)

    async def script() -> None:
        async with language_server(root) as scripted:
            uri = scripted.open(root / "settings.yaml", CONFIG_MAP)
            found = await scripted.until(uri, lambda found: "KS412" in _codes(found))
            diagnostic = next(d for d in found if d.code == "KS412")
            actions = await scripted.client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic])))
            assert actions is not None
            by_title = {a.title: a for a in actions if isinstance(a, types.CodeAction)}
            fix = next(a for title, a in by_title.items() if title.startswith("Fix KS412"))
            assert fix.is_preferred and fix.edit is not None and fix.edit.changes is not None
            (edit,) = fix.edit.changes[uri]
            lines = CONFIG_MAP.split("\n")
            fixed = _apply(lines, Position(edit.range.start.line, edit.range.start.character),
                           Position(edit.range.end.line, edit.range.end.character), edit.new_text)
            assert fixed == CONFIG_MAP.replace("legacy: off", 'legacy: "off"')
            every = next(a for title, a in by_title.items() if title.startswith("Fix all safe"))
            assert every.kind == types.CodeActionKind.SourceFixAll

    asyncio.run(script())


def test_replacing_keeps_the_unchanged_ends() -> None:
    from kubelint_py.lsp.edits import replacing

    old = "a: 1\nb: \U0001f600 off\nc: 3\n"
    edit = replacing(old, old.replace("off", '"off"'))
    assert edit is not None
    # Replaces `off` (UTF-16 columns 6-9: the emoji counts two) with `"off"`.
    assert edit.start == Position(1, 6) and edit.end == Position(1, 9) and edit.new_text == '"off"'
    assert replacing(old, old) is None


def test_tcp_transport(tmp_path: Path) -> None:
    """`kubelint-py lsp --tcp HOST:PORT` listens on loopback and speaks the same protocol."""
    import socket
    import subprocess

    root = _workspace(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "kubelint_py", "lsp", "--tcp", f"127.0.0.1:{port}"],
                              cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    async def script() -> None:
        scripted = ScriptedClient()
        for _ in range(100):  # the server needs a moment to listen
            try:
                await scripted.client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the server did not listen")
        result = await asyncio.wait_for(scripted.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")])), 60)
        assert result.server_info is not None and result.server_info.name == "kubelint-py"
        scripted.client.initialized(types.InitializedParams())
        uri = scripted.open(root / "deploy.yaml", DEPLOYMENT.replace("nginx:1.27.2", "nginx:latest"))
        assert "KS201" in _codes(await scripted.until(uri, lambda found: "KS201" in _codes(found)))
        await asyncio.wait_for(scripted.client.shutdown_async(None), 30)
        scripted.client.exit(None)
        await scripted.client.stop()

    try:
        asyncio.run(script())
    finally:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
