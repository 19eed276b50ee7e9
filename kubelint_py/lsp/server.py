"""`kubelint-py lsp`: the language server (pygls over stdio, or TCP with --tcp).

Diagnostics are published for open buffers on didOpen and didSave at once and on didChange after a
short pause (DEBOUNCE_SECONDS), for every open buffer of the workspace together: a change in one buffer
(a Secret deleted) changes what another shows (the Deployment that names it). Code actions offer
"suppress on this line" and "suppress in this file" for each diagnostic; hovering a diagnostic shows
the rule's explanation. Files that are not open get diagnostics only through workspace/diagnostic
(pull), when the client asks.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from kubelint_py import __version__
from kubelint_py.core.findings import Finding, Severity
from kubelint_py.engine.catalogue import find_rule
from kubelint_py.lsp.edits import (
    Position,
    TextEdit,
    lsp_range,
    replacing,
    suppress_file_edit,
    suppress_line_edit,
)
from kubelint_py.lsp.session import Workspace
from kubelint_py.report.sarif import docs_url, rule_help_uri

DEBOUNCE_SECONDS = 0.15
LOAD_WAIT_SECONDS = 300.0
"""How long workspace/diagnostic waits for a folder still being read before answering with what it has."""
SOURCE = "kubelint-py"
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}
_TAGS = {"KL007": [types.DiagnosticTag.Unnecessary], "KS408": [types.DiagnosticTag.Deprecated],
         "KS409": [types.DiagnosticTag.Deprecated]}


def uri_to_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return os.path.abspath(unquote(parsed.path))


def path_to_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


class KubelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("kubelint-py", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.workspaces: dict[str, Workspace] = {}
        self.folders: list[str] = []
        self.published: dict[str, list[Finding]] = {}  # by file system path: what the editor shows
        self.open_uris: dict[str, str] = {}  # file system path -> the client's uri
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self.pull = False
        self.refresh = False
        """The pulling client accepts workspace/diagnostic/refresh requests."""
        """The client pulls diagnostics (textDocument/diagnostic): nothing is pushed, it is asked to pull again."""

    # -- workspaces ----------------------------------------------------------------------------------
    def workspace_for(self, fs_path: str) -> Workspace:
        """The workspace folder holding the file (the deepest), else a one-file workspace beside it."""
        holding = [f for f in self.folders if fs_path == f or fs_path.startswith(f.rstrip(os.sep) + os.sep)]
        root = max(holding, key=len) if holding else os.path.dirname(fs_path)
        found = self.workspaces.get(root)
        if found is None:
            found = Workspace(Path(root))
            found.load_config_only()
            self.workspaces[root] = found
            if holding:  # outside every folder the file is linted alone: no walk of, say, ~/Downloads
                self._load_in_background(found)
        return found

    def locate(self, uri: str) -> tuple[str, Workspace] | None:
        """The file system path of a document and its workspace (None for documents not in files)."""
        fs_path = uri_to_path(uri)
        return None if fs_path is None else (fs_path, self.workspace_for(fs_path))

    def _load_in_background(self, workspace: Workspace) -> None:
        """Load the workspace's files in a thread: until then open buffers are linted on their own, so
        the first diagnostics do not wait for thousands of files; they are published again once loaded."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not inside the server's loop (tests of the session): load now
            workspace.load()
            return

        def load() -> None:
            try:
                workspace.load()
            finally:
                workspace.settled.set()
                loop.call_soon_threadsafe(self.publish, workspace)

        workspace.settled.clear()

        threading.Thread(target=load, name="kubelint-py workspace load", daemon=True).start()

    # -- publishing ----------------------------------------------------------------------------------
    def publish(self, workspace: Workspace) -> None:
        if self.pull:
            if self.refresh:  # ask the client to pull again: a change here may change other files
                self.workspace_diagnostic_refresh(None)
            return
        open_paths = {workspace.display_path(p): p for p in self.open_uris if self.workspace_for(p) is workspace}
        results = workspace.findings(open_paths)
        for display, fs_path in open_paths.items():
            diagnostics = self.diagnostics(workspace, fs_path, results.get(display, []))
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=self.open_uris[fs_path], diagnostics=diagnostics))

    def diagnostics(self, workspace: Workspace, fs_path: str, findings: list[Finding]) -> list[types.Diagnostic]:
        self.published[fs_path] = findings
        lines = (workspace.text_of(workspace.display_path(fs_path)) or "").split("\n")
        return [to_diagnostic(f, lines, workspace) for f in findings]

    def schedule(self, workspace: Workspace) -> None:
        key = str(workspace.root)
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending[key] = loop.call_later(DEBOUNCE_SECONDS, self._publish_later, workspace)

    def _publish_later(self, workspace: Workspace) -> None:
        self._pending.pop(str(workspace.root), None)
        self.publish(workspace)


def to_diagnostic(finding: Finding, lines: list[str], workspace: Workspace) -> types.Diagnostic:
    start, end = lsp_range(finding.location, lines)
    related = []
    for item in finding.related:
        other_lines = (workspace.text_of(item.location.path) or "").split("\n")
        other_start, other_end = lsp_range(item.location, other_lines)
        related.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=path_to_uri(workspace.fs_path(item.location.path)),
                                    range=_range(other_start, other_end)),
            message=item.message))
    rule = find_rule(finding.code)
    help_uri = rule_help_uri(rule, docs_url()) if rule is not None else None
    description = types.CodeDescription(href=help_uri) if help_uri is not None else None
    return types.Diagnostic(range=_range(start, end), message=f"{finding.message} ({finding.name})",
                            severity=_SEVERITY[finding.severity], code=finding.code, code_description=description,
                            source=SOURCE, related_information=related or None, tags=_TAGS.get(finding.code))


def _range(start: Position, end: Position) -> types.Range:
    return types.Range(start=types.Position(line=start.line, character=start.character),
                       end=types.Position(line=end.line, character=end.character))


def _edit(edit: TextEdit) -> types.TextEdit:
    return types.TextEdit(range=_range(edit.start, edit.end), new_text=edit.new_text)


def _inside(position: types.Position, diagnostic_range: types.Range) -> bool:
    start, end = diagnostic_range.start, diagnostic_range.end
    after_start = (position.line, position.character) >= (start.line, start.character)
    before_end = (position.line, position.character) <= (end.line, end.character)
    return after_start and before_end


def build_server() -> KubelintServer:
    server = KubelintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: KubelintServer, params: types.InitializeParams) -> None:
        folders = [uri_to_path(f.uri) for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [uri_to_path(params.root_uri)]
        ls.folders = [f for f in folders if f]
        text_document = params.capabilities.text_document
        ls.pull = bool(text_document and text_document.diagnostic)
        workspace_capabilities = params.capabilities.workspace
        diagnostics = workspace_capabilities.diagnostics if workspace_capabilities else None
        ls.refresh = bool(diagnostics and diagnostics.refresh_support)

    @server.feature(types.INITIALIZED)
    def initialized(ls: KubelintServer, params: types.InitializedParams) -> None:
        capabilities = ls.client_capabilities.workspace
        watch = capabilities.did_change_watched_files if capabilities else None
        if watch is not None and watch.dynamic_registration:
            patterns = ["**/*.{yaml,yml,json}", "**/*Dockerfile*", "**/*Containerfile*", "**/.kubelint.y*ml",
                        "**/pyproject.toml"]
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=p) for p in patterns])
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id="kubelint-py-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KubelintServer, params: types.DidOpenTextDocumentParams) -> None:
        located = ls.locate(params.text_document.uri)
        if located is None:
            return
        fs_path, workspace = located
        ls.open_uris[fs_path] = params.text_document.uri
        workspace.open(fs_path, params.text_document.text)
        ls.publish(workspace)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KubelintServer, params: types.DidChangeTextDocumentParams) -> None:
        fs_path = uri_to_path(params.text_document.uri)
        if fs_path is None or fs_path not in ls.open_uris:
            return
        workspace = ls.workspace_for(fs_path)
        workspace.open(fs_path, ls.workspace.get_text_document(params.text_document.uri).source)
        ls.schedule(workspace)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KubelintServer, params: types.DidSaveTextDocumentParams) -> None:
        located = ls.locate(params.text_document.uri)
        if located is None:
            return
        fs_path, workspace = located
        if workspace.is_config_file(fs_path):
            workspace.load()
        else:
            workspace.reload_files([fs_path])
        ls.publish(workspace)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KubelintServer, params: types.DidCloseTextDocumentParams) -> None:
        located = ls.locate(params.text_document.uri)
        if located is None:
            return
        fs_path, workspace = located
        workspace.close(fs_path)
        ls.open_uris.pop(fs_path, None)
        ls.published.pop(fs_path, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))
        ls.publish(workspace)  # its buffer no longer stands in for the file: others may change

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: KubelintServer, params: types.DidChangeWatchedFilesParams) -> None:
        touched: dict[Workspace, list[str]] = {}
        for change in params.changes:
            fs_path = uri_to_path(change.uri)
            if fs_path is not None:
                touched.setdefault(ls.workspace_for(fs_path), []).append(fs_path)
        for workspace, paths in touched.items():
            if any(workspace.is_config_file(p) for p in paths):
                workspace.load()
            else:
                workspace.reload_files(p for p in paths if p not in ls.open_uris)
            ls.publish(workspace)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]))
    def code_action(ls: KubelintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        located = ls.locate(params.text_document.uri)
        if located is None:
            return []
        fs_path, workspace = located
        display = workspace.display_path(fs_path)
        lines = (workspace.text_of(display) or "").split("\n")
        kind = workspace.kind_of(display)
        uri = params.text_document.uri
        actions: list[types.CodeAction] = []
        published = ls.published.get(fs_path, [])
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != SOURCE or not isinstance(diagnostic.code, str):
                continue
            code = diagnostic.code
            finding = next((f for f in published if f.code == code
                            and lsp_range(f.location, lines)[0] == (diagnostic.range.start.line,
                                                                    diagnostic.range.start.character)), None)
            if finding is not None and finding.fix is not None and finding.fix.edits:
                fixed = workspace.fixed_text(display, [finding], unsafe=True)
                edit = replacing("\n".join(lines), fixed[0]) if fixed is not None else None
                if edit is not None:
                    suffix = "" if finding.fix.safe else " (unsafe: changes behaviour)"
                    actions.append(types.CodeAction(
                        title=f"Fix {code}: {finding.fix.description}{suffix}", kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic], is_preferred=finding.fix.safe,
                        edit=types.WorkspaceEdit(changes={uri: [_edit(edit)]})))
            line = diagnostic.range.start.line + 1
            first = workspace.instruction_start(display, line) if kind == "dockerfile" else None
            for title, suppression in (
                (f"Suppress {code} on this line", suppress_line_edit(kind, code, lines, line, first)),
                (f"Suppress {code} in this file", suppress_file_edit(kind, code, lines)),
            ):
                actions.append(types.CodeAction(
                    title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                    edit=types.WorkspaceEdit(changes={uri: [_edit(suppression)]})))
        # Every safe fix of the file at once, as `check --fix` would make them (one round).
        fixed_all = workspace.fixed_text(display, published, unsafe=False)
        if fixed_all is not None:
            edit = replacing("\n".join(lines), fixed_all[0])
            if edit is not None:
                count = len(fixed_all[1])
                actions.append(types.CodeAction(
                    title=f"Fix all safe kubelint-py findings in this file ({count})",
                    kind=types.CodeActionKind.SourceFixAll, edit=types.WorkspaceEdit(changes={uri: [_edit(edit)]})))
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: KubelintServer, params: types.HoverParams) -> types.Hover | None:
        located = ls.locate(params.text_document.uri)
        if located is None:
            return None
        fs_path, workspace = located
        lines = (workspace.text_of(workspace.display_path(fs_path)) or "").split("\n")
        for finding in ls.published.get(fs_path, []):
            start, end = lsp_range(finding.location, lines)
            if _inside(params.position, _range(start, end)):
                rule = find_rule(finding.code)
                if rule is None:
                    continue
                from kubelint_py.report.rule_docs import explain_text

                return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.PlainText,
                                                                value=explain_text(rule)))
        return None

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=True))
    def document_diagnostic(ls: KubelintServer,
                            params: types.DocumentDiagnosticParams) -> types.RelatedFullDocumentDiagnosticReport:
        located = ls.locate(params.text_document.uri)
        if located is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        fs_path, workspace = located
        display = workspace.display_path(fs_path)
        findings = workspace.findings([display]).get(display, [])
        return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics(workspace, fs_path, findings))

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(ls: KubelintServer,
                                   params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
        items: list[types.WorkspaceDocumentDiagnosticReport] = []
        for folder in ls.folders:
            workspace = ls.workspace_for(folder)
            # The answer covers every file: one asked for while the folder is still being read waits for
            # it (in a thread, so the loop keeps serving the open buffers) instead of missing files.
            await asyncio.to_thread(workspace.settled.wait, LOAD_WAIT_SECONDS)
            for display, findings in workspace.all_findings().items():
                lines = (workspace.text_of(display) or "").split("\n")
                items.append(types.WorkspaceFullDocumentDiagnosticReport(
                    uri=path_to_uri(workspace.fs_path(display)), version=None,
                    items=[to_diagnostic(f, lines, workspace) for f in findings]))
        return types.WorkspaceDiagnosticReport(items=list(items))

    return server


def serve(tcp: str | None = None) -> None:
    """Run until the client says exit: over stdio, or TCP at HOST:PORT."""
    server = build_server()
    try:
        if tcp:
            host, _, port = tcp.rpartition(":")
            server.start_tcp(host or "127.0.0.1", int(port))
        else:
            server.start_io()
    finally:
        for workspace in list(server.workspaces.values()):
            workspace.end_renders()  # Helm's render process, if a chart buffer started one
