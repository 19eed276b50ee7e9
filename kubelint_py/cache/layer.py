"""The cache layer: the one interface the pipeline (api.lint) uses to skip work an earlier run did.

It answers two questions and keeps one promise:
- `stored_report(candidates)`: the complete report of an earlier run with the same inputs, or None
  (replay.py says what "the same inputs" covers and what is checked again before a replay);
- `loaded(candidates)`: the loaded files for these candidates, with the files they pull in (compose
  companions, Dockerfiles compose builds): unchanged files come from the parse cache (parse_cache.py),
  and in a pre-commit run only the context files that can matter are loaded (lazy_context.py);
- `keep(report)`: store what a fresh run produced, with the facts a later replay must check.

A disabled cache (`--no-cache`, Config.use_cache False, or a cache folder refused as unsafe) answers
"nothing stored" and loads every file directly: lint() does not branch on it. The garbage collector
is tuned here too, since loading is where millions of objects are built (see `loaded`).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kubelint_py.cache.parse_cache import ParseCache, default_cache_dir, refusal

if TYPE_CHECKING:
    from kubelint_py.cache.lazy_context import Store
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.engine.config import Config
    from kubelint_py.loading.build_context import ContextListing
    from kubelint_py.loading.in_memory import Overlay
    from kubelint_py.loading.source_file import SourceFile
    from kubelint_py.results.report import Report


@dataclass
class Loaded:
    files: list[SourceFile]
    """The loaded files: the candidates (those loaded) in order, then the related files."""
    unloaded: list[SourceFile] = field(default_factory=list)
    """Context files left out (lazy context): path and kind only, for the report's context."""
    formats: set[str] = field(default_factory=set)
    """Rule families of the whole project when only part of its context was loaded."""
    related: list[str] = field(default_factory=list)
    """Read paths of the files the run pulled in by itself."""


def content_keys(candidates: Sequence[Candidate], cache: ParseCache) -> list[str | None]:
    """Each candidate's cache key (its content hash), None where the file cannot be read."""
    keys: list[str | None] = []
    for candidate in candidates:
        found = cache.read(candidate)
        keys.append(found[0] if found is not None else None)
    return keys


def _shown(path: Path) -> str:
    return str(path).encode("unicode_escape", "backslashreplace").decode("ascii")


def open_cache(config: Config, paths: Sequence[str], cwd: Path, *, report_paths: set[str] | None = None,
               replay: bool = True, overlay: Overlay | None = None, cache_dir: Path | None = None) -> RunCache:
    """The cache for one run of lint(paths). Unusable folders (see parse_cache.refusal) give a
    disabled cache and one line on stderr; nothing about the cache ever fails the run. With `overlay`
    (content given in memory) only the files read from the disk come from the cache: the replay and
    the project store are keyed by what the disk holds."""
    from kubelint_py.loading.related import trusted_roots

    roots = trusted_roots(paths, config, cwd)
    parse_cache = None
    if config.use_cache:
        directory = cache_dir or default_cache_dir()
        reason = refusal(directory, roots)
        if reason is None:
            parse_cache = ParseCache(directory, config.max_file_size)
        else:
            sys.stderr.write(f"kubelint-py: not using the cache folder {_shown(directory)}: {reason}; "
                             "running without a cache\n")
    return RunCache(config, parse_cache, roots, cwd, report_paths, replay, overlay)


def load_files(candidates: Sequence[Candidate], config: Config, *, paths: Sequence[str], cwd: Path,
               workers: int | None = None) -> list[SourceFile]:
    """The loaded files for these candidates (from the parse cache where unchanged), for a caller that
    keeps them itself (the language server's workspace): no replay, no project store, no related files."""
    cache = open_cache(config, paths, cwd, replay=False)
    try:
        return cache._load(candidates, workers).files
    finally:
        cache.close()


class RunCache:
    def __init__(self, config: Config, parse_cache: ParseCache | None, roots: list[str], cwd: Path,
                 report_paths: set[str] | None, replay: bool, overlay: Overlay | None = None) -> None:
        self.config = config
        self.parse_cache = parse_cache
        self.roots = roots
        self.cwd = cwd
        self.report_paths = report_paths
        self.overlay = overlay
        self.replay = replay and parse_cache is not None and overlay is None
        self.store: Store | None = None
        if parse_cache is not None and report_paths is not None and config.project_root is not None \
                and overlay is None:
            # Project context (pre-commit): stat keys and per-file summaries, so unchanged files are neither
            # hashed again nor loaded unless they can matter to the given files (see lazy_context.py).
            from kubelint_py.cache import lazy_context

            self.store = lazy_context.open_store(parse_cache, config.project_root)
        self._keys: list[str | None] | None = None
        self._run_key: str | None = None
        self._scans: list[tuple[str, str | None, ContextListing]] = []
        self._related: list[str] = []

    @property
    def enabled(self) -> bool:
        return self.parse_cache is not None

    @property
    def directory(self) -> Path | None:
        """The cache folder (None: no cache this run), for stores kept beside the parse cache (Helm renders)."""
        return self.parse_cache.root if self.parse_cache is not None else None

    def _content_keys(self, candidates: Sequence[Candidate]) -> list[str | None] | None:
        if self.parse_cache is None:
            return None
        if self._keys is None:
            self._keys = self.store.content_keys(candidates, self.parse_cache) if self.store is not None \
                else content_keys(candidates, self.parse_cache)
        return self._keys

    def stored_report(self, candidates: Sequence[Candidate]) -> Report | None:
        """The report of an earlier run with the same inputs (marked replayed), or None."""
        if not self.replay or self.parse_cache is None:
            return None
        keys = self._content_keys(candidates)
        if keys is None:
            return None
        from kubelint_py.building.helm.charts import configured_values, has_charts
        from kubelint_py.cache import replay

        # A chart's helpers (.tpl), packed subcharts and its renders' values files are not candidates:
        # their digest joins the key (None: a chart too large to hash, so no replay).
        extra: str | None = ""
        if has_charts(candidates, configured_values(self.config)):
            from kubelint_py.building.helm.stage import input_digest

            extra = input_digest(candidates, self.config)
        if extra is None:
            return None
        self._run_key = replay.run_key(self.parse_cache, candidates, keys, self.config, self.report_paths,
                                       self.cwd, extra)
        if self._run_key is None:
            return None
        report = replay.load(self.parse_cache, self._run_key, self.config)
        if report is not None and self.store is not None:
            self.store.save()
        return report

    @contextmanager
    def loaded(self, candidates: Sequence[Candidate], *, workers: int | None = None) -> Iterator[Loaded]:
        """The loaded files (see Loaded), valid until the block ends.

        The cyclic GC is paused for the whole block. The models live until the end of the run and hold no
        garbage, and neither do the index, the findings and the fixes built from them; what the rules drop
        is freed by reference counting. With the GC running, its passes over the millions of objects built
        here cost about a second at 10,000 files (measured with gc.callbacks), and the first pass after
        the load, over every young object, 1.6 s. At the end everything is frozen before the GC is
        enabled, so it resumes without scanning them, then handed back to its oldest generation."""
        from kubelint_py.loading.related import load_related
        from kubelint_py.loading.scans import recording

        with recording() as scans:
            collecting = gc.isenabled()
            gc.disable()
            try:
                loaded = self._load(candidates, workers)
                related = load_related(loaded.files, self.config, self.cwd, self.roots)
                loaded.files.extend(related)
                loaded.related = [source.fs_path or source.path for source in related]
                self._scans = scans
                self._related = loaded.related
                yield loaded
            finally:
                gc.freeze()
                if collecting:
                    gc.enable()
                gc.unfreeze()

    def _load(self, candidates: Sequence[Candidate], workers: int | None) -> Loaded:
        from kubelint_py.loading.batch import load_sources

        if self.overlay is not None:
            return Loaded(self._load_with_overlay(candidates, self.overlay, workers))
        keys = self._content_keys(candidates)
        cache = self.parse_cache
        if self.store is not None and cache is not None and keys is not None and self.report_paths is not None:
            from kubelint_py.cache import lazy_context

            if lazy_context.applies(self.config):
                count = 0
                while count < len(candidates) and candidates[count].path in self.report_paths:
                    count += 1
                files, stubs, formats = lazy_context.load(candidates, keys, count, self.store, self.config,
                                                          workers, cache)
                return Loaded(files, stubs, formats)
        return Loaded(load_sources(candidates, self.config, workers=workers, cache=cache, keys=keys))

    def _load_with_overlay(self, candidates: Sequence[Candidate], overlay: Overlay,
                           workers: int | None) -> list[SourceFile]:
        """The candidates, those with content in memory from it, the others as usual."""
        from kubelint_py.loading.batch import load_sources
        from kubelint_py.loading.source_file import load_source

        given = [overlay.text_for(c) for c in candidates]
        on_disk = [c for c, text in zip(candidates, given, strict=True) if text is None]
        cache = self.parse_cache
        keys = content_keys(on_disk, cache) if cache is not None else None
        loaded = iter(load_sources(on_disk, self.config, workers=workers, cache=cache, keys=keys))
        return [next(loaded) if text is None else load_source(c, self.config.max_file_size, text)
                for c, text in zip(candidates, given, strict=True)]

    def close(self) -> None:
        """Write what the parse cache was given, and let go of its files."""
        if self.parse_cache is not None:
            self.parse_cache.flush()
            self.parse_cache.close()

    def keep(self, report: Report) -> None:
        """Store what this fresh run produced (inside the `loaded` block: the models are still there)."""
        self.close()
        if self.store is not None:
            self.store.save()
        if self.parse_cache is not None and self._run_key is not None:
            from kubelint_py.cache import replay

            replay.store(self.parse_cache, self._run_key, report,
                         replay.facts_of(report, self._related, self._scans))
