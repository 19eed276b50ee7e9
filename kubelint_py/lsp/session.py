"""A workspace held in memory for the language server: every file loaded once, open buffers in place of
their files, and the rules run again over the whole workspace when something changes.

This module knows nothing of the protocol (server.py speaks it): it turns "these buffers are open with
this text" into "these findings belong to these files". Paths are display paths relative to the
workspace root, as in every other report, so findings map back to buffers by path.

Why a session and not a call to lint() per keystroke: lint() discovers and hashes every file of the
project on each call (about 0.1 s for 2,000 files before any rule runs). Here the files on the disk are
loaded once, kept, and reloaded one by one when the editor says they changed; a change to a buffer
re-parses that buffer alone, then builds the project index and runs the rules (per-file rules for the
open files only, project rules for all).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterable
from pathlib import Path

from kubelint_py.api import check_sources, render_charts
from kubelint_py.building.helm.charts import chart_of_template, is_values_file
from kubelint_py.building.helm.renderer import Renderer
from kubelint_py.cache import lazy_context
from kubelint_py.cache.layer import load_files
from kubelint_py.core.findings import Finding
from kubelint_py.discovery.walk import Candidate, classify_name, discover
from kubelint_py.engine.config import Config, ConfigError
from kubelint_py.engine.config_file import CONFIG_NAMES, build_config
from kubelint_py.loading.in_memory import sniff_kind
from kubelint_py.loading.source_file import SourceFile, load_source

MAX_WORKSPACE_FILES = 20_000
"""Files loaded as context at most: a workspace opened on a home folder must not load it whole."""


class Workspace:
    """One workspace folder: its configuration, its files as the disk holds them, and open buffers."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.config = Config()
        self.config_error: str | None = None
        self.on_disk: dict[str, SourceFile] = {}
        self._candidates: dict[str, Candidate] = {}
        self._summaries: dict[str, tuple[SourceFile, lazy_context.Summary | None]] = {}
        self.buffers: dict[str, str] = {}
        self._buffer_models: dict[str, tuple[str, SourceFile]] = {}
        self.truncated = False
        self.loaded = False
        self.settled = threading.Event()
        """Set unless a background load() is under way (workspace/diagnostic waits for it)."""
        self.settled.set()
        self._renderer = Renderer()
        """Helm's render process, started on the first chart buffer and kept (its start costs ~0.25 s)."""
        self._rendering = threading.Lock()

    def end_renders(self) -> None:
        """End the render process (the server is shutting down)."""
        with self._rendering:
            self._renderer.close()

    # -- paths ---------------------------------------------------------------------------------------
    def display_path(self, fs_path: str) -> str:
        """The path findings carry for the file at `fs_path` (relative to the root when inside it)."""
        absolute = os.path.abspath(fs_path)
        try:
            relative = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive (Windows)
            return absolute
        return absolute if relative.startswith(os.pardir) else relative

    def fs_path(self, display: str) -> str:
        return display if os.path.isabs(display) else str(self.root / display)

    def is_config_file(self, fs_path: str) -> bool:
        name = os.path.basename(fs_path)
        return name in CONFIG_NAMES or name == "pyproject.toml"

    # -- loading -------------------------------------------------------------------------------------
    def load(self) -> None:
        """(Re)read the configuration and every file of the workspace."""
        self.load_config_only()
        self._buffer_models.clear()
        candidates: list[Candidate] = []
        for candidate in discover([str(self.root)], self.config.exclude, cwd=self.root,
                                  respect_gitignore=self.config.respect_gitignore):
            if len(candidates) >= MAX_WORKSPACE_FILES:
                self.truncated = True
                break
            candidates.append(candidate)
        files = load_files(candidates, self.config, paths=[str(self.root)], cwd=self.root, workers=1)
        summaries = {source.path: (source, lazy_context.summarise(source)) for source in files}
        # Swapped in at once: the server may lint open buffers while this runs in a background thread.
        self._summaries = summaries
        self._candidates = {candidate.path: candidate for candidate in candidates}
        self.on_disk = {source.path: source for source in files}
        self.loaded = True

    def reload_files(self, fs_paths: Iterable[str]) -> None:
        """Files changed, were created or deleted on the disk (the editor's file watcher says which)."""
        for fs_path in fs_paths:
            display = self.display_path(fs_path)
            self._buffer_models.pop(display, None)
            if not os.path.isfile(fs_path):
                self.on_disk.pop(display, None)
                self._candidates.pop(display, None)
                continue
            candidate = self._candidates.get(display)
            if candidate is None:
                kind = classify_name(os.path.basename(fs_path))
                if kind is None:  # a file the folder walk would not lint either
                    continue
                candidate = Candidate(display, kind, False, None, os.path.abspath(fs_path))
                self._candidates[display] = candidate
            self.on_disk[display] = load_source(candidate, self.config.max_file_size)

    # -- buffers -------------------------------------------------------------------------------------
    def open(self, fs_path: str, text: str) -> str:
        display = self.display_path(fs_path)
        self.buffers[display] = text
        return display

    def close(self, fs_path: str) -> str:
        display = self.display_path(fs_path)
        self.buffers.pop(display, None)
        self._buffer_models.pop(display, None)
        return display

    def _buffer_source(self, display: str, text: str) -> SourceFile:
        known = self._buffer_models.get(display)
        if known is not None and known[0] == text:
            return known[1]
        known_candidate = self._candidates.get(display)
        kind = known_candidate.kind if known_candidate is not None else sniff_kind(os.path.basename(display), text)
        candidate = Candidate(display, kind, True, None, self.fs_path(display))
        source = load_source(candidate, self.config.max_file_size, text)
        self._buffer_models[display] = (text, source)
        return source

    def sources(self) -> list[SourceFile]:
        """Every file as the editor sees it: buffers in place of their files, then buffers of new files."""
        files = [self._buffer_source(path, self.buffers[path]) if path in self.buffers else source
                 for path, source in self.on_disk.items()]
        files.extend(self._buffer_source(path, text) for path, text in self.buffers.items()
                     if path not in self.on_disk)
        return files

    # -- findings ------------------------------------------------------------------------------------
    def findings(self, paths: Collection[str]) -> dict[str, list[Finding]]:
        """Active findings located in each of `paths` (display paths), the whole workspace as context.

        Only the context files that can matter to those files take part (the pre-commit hook's choice,
        cache/lazy_context.plan, which a property test holds to the findings of the full context): the
        project rules then run over a few files, not over the workspace."""
        wanted = set(paths)
        result: dict[str, list[Finding]] = {path: [] for path in wanted}
        if not wanted:
            return result
        files, formats, skipped = self._relevant(wanted)
        report = check_sources(files, self.config, report_paths=wanted, extra_formats=formats, workers=1,
                               unloaded=skipped)
        if self._chart_files(wanted):  # a template or values file of a chart: the chart rendered as edited
            overlay = {os.path.realpath(self.fs_path(path)): text for path, text in self.buffers.items()}
            with self._rendering:
                render_charts(report, files, self.config, report_paths=wanted, overlay=overlay,
                              renderer=self._renderer)
        for finding in report.active:
            if finding.location.path in result:
                result[finding.location.path].append(finding)
        return result

    def _chart_files(self, paths: Iterable[str]) -> bool:
        """Whether one of `paths` is a template or values file of a Helm chart."""
        for path in paths:
            fs_path = self.fs_path(path)
            if ("templates" in path and chart_of_template(fs_path) is not None) or is_values_file(fs_path):
                return True
        return False

    def _relevant(self, wanted: set[str]) -> tuple[list[SourceFile], set[str], list[SourceFile]]:
        """The files that can matter to `wanted`, the project's rule families, and the files left out
        (they still mark project boundaries)."""
        sources = self.sources()
        if not lazy_context.applies(self.config):
            return sources, set(), []
        reported = [s for s in sources if s.path in wanted]
        context = [s for s in sources if s.path not in wanted]
        summaries = [self._summary(s) for s in context]
        try:
            chosen = lazy_context.plan(reported, summaries)
        except Exception:  # a model shape nobody foresaw: the whole workspace, as without summaries
            return sources, set(), []
        return ([*reported, *(context[p] for p in chosen.load)], chosen.formats,
                [context[p] for p in chosen.skipped])

    def _summary(self, source: SourceFile) -> lazy_context.Summary | None:
        known = self._summaries.get(source.path)
        if known is not None and known[0] is source:
            return known[1]
        summary = lazy_context.summarise(source)
        self._summaries[source.path] = (source, summary)
        return summary

    def text_of(self, display: str) -> str | None:
        """What the editor shows for a file: its buffer, else its text on the disk."""
        if display in self.buffers:
            return self.buffers[display]
        source = self.on_disk.get(display)
        return source.text if source is not None else None

    def all_findings(self) -> dict[str, list[Finding]]:
        """Active findings of every file of the workspace (workspace/diagnostic), files with none included."""
        sources = self.sources()
        report = check_sources(sources, self.config, workers=1)
        if any(os.path.basename(source.path) == "Chart.yaml" for source in sources):  # charts rendered as edited
            overlay = {os.path.realpath(self.fs_path(path)): text for path, text in self.buffers.items()}
            with self._rendering:
                render_charts(report, sources, self.config, overlay=overlay, renderer=self._renderer)
        result: dict[str, list[Finding]] = {source.path: [] for source in sources}
        for finding in report.active:
            result.setdefault(finding.location.path, []).append(finding)
        return result

    def load_config_only(self) -> None:
        """A one-file workspace (a file outside every workspace folder): its configuration, no folder walk."""
        try:
            self.config = build_config([str(self.root)], cwd=self.root)
            self.config_error = None
        except ConfigError as error:  # a broken .kubelint.yaml: lint with the defaults and say why
            self.config = Config()
            self.config_error = str(error)

    def kind_of(self, display: str) -> str:
        """"dockerfile" or "yaml": how a suppression comment is written in this file."""
        candidate = self._candidates.get(display)
        if candidate is not None:
            return "dockerfile" if candidate.kind == "dockerfile" else "yaml"
        text = self.buffers.get(display, "")
        return "dockerfile" if sniff_kind(os.path.basename(display), text) == "dockerfile" else "yaml"

    def instruction_start(self, display: str, line: int) -> int | None:
        """The first line of the Dockerfile instruction that covers `line` (continuations included)."""
        text = self.buffers.get(display)
        source = self._buffer_source(display, text) if text is not None else self.on_disk.get(display)
        if source is None or source.dockerfile is None:
            return None
        for instruction in source.dockerfile.instructions:
            if instruction.span.line <= line <= instruction.span.end_line:
                return instruction.span.line
        return None

    def fixed_text(self, display: str, findings: list[Finding], *, unsafe: bool) -> tuple[str, list[Finding]] | None:
        """The text of a file with the fixes of `findings` applied and verified as `--fix` does (one round),
        and the findings fixed; None when nothing could be fixed."""
        from kubelint_py.results.fixes import fix_text

        text = self.text_of(display)
        source = self._buffer_source(display, text) if display in self.buffers and text is not None \
            else self.on_disk.get(display)
        if text is None or source is None:
            return None
        outcome = fix_text(display, source.kind, text, findings, unsafe=unsafe)
        return (outcome.new, outcome.fixed) if outcome.fixed and outcome.new != text else None
