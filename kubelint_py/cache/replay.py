"""Whole-run cache: the same inputs give the same report, so an unchanged run is replayed, not redone.

A run's key (`run_key`) is the hash of everything known before the run that can change its report:
- every candidate's content key (display and read path, kind, bytes; see parse_cache.py), and which
  files are reported;
- the configuration (every field but where its values came from), the policy files by content and the
  baseline file by content (both may lie outside the linted paths);
- the working folder (display paths, per-path ignores and the baseline's relative paths start there);
- the tool: the fingerprint of every module of the package (a changed rule invalidates it), rules
  registered from outside the package, the Python version and the YAML and JSON Schema libraries.
No environment variable changes findings today (NO_COLOR only colours text output, KUBELINT_CACHE_DIR
only chooses this folder); a variable that ever does must be added to the key.

What the run reads besides those files is recorded with the entry as facts, checked again before a
replay (`facts_hold`; any difference means the run is done again): the bytes of the files it pulled in
by itself (compose companions, Dockerfiles compose builds, files kustomize builds read), whether each
path a compose file names exists (env_file, build context, Dockerfile, base and override files), the
folders a layered compose file anchors to, and every build-context listing (a Dockerfile's folder, a
compose build context: XF107 reads `ctx/.env` through it).

A replayed report is complete: the findings (suppression and baseline marks included), the rules that
ran, internal errors and, for each reported file, every field downstream of the rules reads (path,
kind, text, explicit, fs_path, build-context listing, and, for a file with findings, the outline of its
objects that baselines fingerprint findings with). What it does not carry are the models (resources,
compose, Dockerfile): nothing after the rules reads them. Context files keep their path and kind.

Entries are read through safe_pickle's allow-list. Stored beside the parse cache under `runs/`, the
newest RUNS_KEPT.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:  # blake2 without importing hashlib, whose OpenSSL backend costs ~17 ms of every run's start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

from kubelint_py.cache.parse_cache import PICKLE_PROTOCOL, ParseCache

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.engine.config import Config
    from kubelint_py.loading.source_file import SourceFile
    from kubelint_py.results.report import Report

RUNS_KEPT = 8
ENTRY_FORMAT = 3
_PACKAGE_FINGERPRINT: str | None = None
_LIBRARIES = ("ruamel.yaml", "_ruamel_yaml", "jsonschema", "referencing", "rpds")
"""Libraries whose behaviour shapes models or findings: their installed files' stamps are in the key."""

Fact = tuple[str, Any, Any]
"""(kind, subject, expected): something the run read besides the candidates, checked before a replay."""


def package_fingerprint() -> str:
    """Size and modification time of every module of the package (rules included), and of the
    libraries it builds models and validates schemas with."""
    global _PACKAGE_FINGERPRINT
    if _PACKAGE_FINGERPRINT is None:
        digest = blake2b(digest_size=16)
        root = Path(__file__).resolve().parent.parent
        for folder, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".json", ".yaml")):
                    stat = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder[len(str(root)):]}/{name}:{stat.st_size}:{stat.st_mtime_ns}|".encode(errors="surrogateescape"))
        digest.update(f"{sys.version}|{_library_stamps()}".encode(errors="surrogateescape"))
        _PACKAGE_FINGERPRINT = digest.hexdigest()
    return _PACKAGE_FINGERPRINT


def _library_stamps() -> list[str]:
    """Where each library is installed and its main file's size and mtime (no import, no metadata scan)."""
    import importlib.util

    stamps: list[str] = []
    for name in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
            info = os.stat(origin) if origin else None
        except (ImportError, ValueError, OSError):
            origin, info = None, None
        stamps.append(f"{name}={origin}:{info.st_size if info else ''}:{info.st_mtime_ns if info else ''}")
    return stamps


def _digest(path: str) -> str | None:
    """The content hash of a regular file, None when it is missing or not one (never blocks on a FIFO)."""
    from kubelint_py.loading.source_file import read_regular_bytes

    data = read_regular_bytes(path, 64 * 1024 * 1024)
    return blake2b(data, digest_size=20).hexdigest() if data is not None else None


def _policy_digests(config: Config) -> list[tuple[str, str | None]]:
    """Every policy file by content (the same files engine.policies reads)."""
    found: list[tuple[str, str | None]] = []
    for entry in config.policies:
        pairs = os.walk(entry) if os.path.isdir(entry) else [("", [], [entry])]
        for folder, dirnames, filenames in pairs:
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(folder, name)
                found.append((path, _digest(path)))
    return found


def run_key(cache: ParseCache, candidates: Sequence[Candidate], keys: Sequence[str | None], config: Config,
            report_paths: Collection[str] | None, cwd: Path, extra: str = "") -> str | None:
    """None when the run cannot be replayed (a file that could not be read and hashed). `extra`: a digest
    of inputs that are not candidates (the files of the Helm charts rendered)."""
    if any(key is None for key in keys):
        return None
    from kubelint_py.engine.registry import loaded_rules

    settings = dataclasses.replace(config, sources={}, use_cache=True)
    # Built-in rules are covered by the package fingerprint; rules registered or replaced at run time
    # (tests, plugins) change the key too. Which built-in formats happen to be loaded yet must not.
    registry = [(r.code, r.name, module, getattr(r.func, "__qualname__", ""))
                for r in loaded_rules() if r.func is not None
                if not (module := getattr(r.func, "__module__", None) or "kubelint_py.").startswith("kubelint_py.")]
    baseline = _digest(config.baseline) if config.baseline else None
    reported = sorted(report_paths) if report_paths is not None else None
    head = (f"{ENTRY_FORMAT}|{registry!r}|{os.path.abspath(cwd)}|{cache.fingerprint}|{package_fingerprint()}|"
            f"{settings!r}|{_policy_digests(config)!r}|baseline={baseline}|{reported!r}|helm={extra}\n")
    # File names need not be valid UTF-8: surrogate escapes keep their bytes.
    digest = blake2b(head.encode(errors="surrogateescape"), digest_size=20)
    for candidate, key in zip(candidates, keys, strict=True):
        digest.update(f"{candidate.path}\0{key}\n".encode(errors="surrogateescape"))
    return digest.hexdigest()


def _folder(cache: ParseCache) -> Path:
    return cache.directory / "runs"


# --- facts: what the run read besides the candidates -------------------------------------------------


def facts_of(report: Report, related: Sequence[str], scans: Iterable[tuple[str, str | None, Any]]) -> list[Fact]:
    """The facts of a finished (fresh) run: `related` are the files it pulled in itself, `scans` the
    build-context listings scanned in this process (build_context.recording)."""
    # Files read besides the candidates: pulled in by the run, and read by kustomize builds.
    facts: list[Fact] = [("digest", path, _digest(path)) for path in dict.fromkeys([*related, *report.extra_inputs])]
    listings: dict[tuple[str, str | None], Any] = {}
    for root, name, listing in scans:
        listings[(root, name)] = listing
    for source in [*report.files, *report.context]:
        if source.build_context is not None:  # scanned in a worker process, or from a cached model
            on_disk = source.fs_path or source.path
            listings[(os.path.dirname(on_disk) or ".", os.path.basename(on_disk))] = source.build_context
        if source.compose is not None:
            from kubelint_py.loading.compose_files import disk_facts

            facts.extend(disk_facts(source.compose))
    facts.extend(("listing", subject, listing) for subject, listing in listings.items())
    return list(dict.fromkeys(facts)) if all(_hashable(f) for f in facts) else facts


def _hashable(fact: Fact) -> bool:
    try:
        hash(fact)
    except TypeError:
        return False
    return True


def facts_hold(facts: Iterable[Fact]) -> bool:
    for kind, subject, expected in facts:
        if kind == "digest":
            if _digest(subject) != expected:
                return False
        elif kind == "listing":
            from kubelint_py.loading.build_context import scan_context

            root, name = subject
            if scan_context(root, name) != expected:
                return False
        else:
            from kubelint_py.loading.compose_files import fact_holds

            if not fact_holds(kind, subject, expected):
                return False
    return True


# --- entries -----------------------------------------------------------------------------------------


def _stub(source: SourceFile, outline: tuple[tuple[int, int, str], ...] | None) -> SourceFile:
    from kubelint_py.loading.source_file import SourceFile

    return SourceFile(source.path, source.kind, source.text, source.explicit, fs_path=source.fs_path,
                      build_context=source.build_context, companion=source.companion, outline=outline)


def _context_stub(source: SourceFile) -> SourceFile:
    from kubelint_py.loading.source_file import SourceFile

    return SourceFile(source.path, source.kind, "", source.explicit, fs_path=source.fs_path,
                      companion=source.companion)


def load(cache: ParseCache, key: str, config: Config) -> Report | None:
    from kubelint_py.engine.catalogue import load_rules
    from kubelint_py.engine.registry import loaded_rules
    from kubelint_py.loading.batch import no_gc
    from kubelint_py.results.report import Report

    try:
        # With the cyclic GC paused: its passes over the tens of thousands of findings and files being
        # built made unpickling a 10k-file entry three to four times slower.
        with open(_folder(cache) / key, "rb") as handle:
            blob = handle.read()
        from kubelint_py.cache.safe_pickle import loads_as

        with no_gc():
            stored = loads_as(blob, dict)
        if stored is None or stored.get("format") != ENTRY_FORMAT or not facts_hold(stored["facts"]):
            return None
        load_rules(stored["formats"])
        if config.policies:
            from kubelint_py.engine.catalogue import use_user_policies

            use_user_policies(config.policies)
        by_code = {r.code: r for r in loaded_rules()}
        rules = [by_code[code] for code in stored["rules"]]
        report = Report(stored["findings"], stored["files"], 0.0, config, rules, stored["internal_errors"],
                        stored["context"])
    except Exception:  # missing, corrupt or from another layout: run normally
        return None
    report.replayed = True
    return report


def store(cache: ParseCache, key: str, report: Report, facts: list[Fact]) -> None:
    from kubelint_py.results.outline import object_outline

    # The outline is what baselines name a finding's object by: only files with findings need one.
    with_findings = {f.location.path for f in report.findings}
    files = [_stub(f, object_outline(f) if f.path in with_findings else None) for f in report.files]
    stored = {"format": ENTRY_FORMAT, "findings": report.findings, "files": files,
              "context": [_context_stub(f) for f in report.context],
              "rules": [r.code for r in report.rules], "formats": sorted({r.format for r in report.rules}),
              "internal_errors": report.internal_errors, "facts": facts}
    folder = _folder(cache)
    if not cache.prepare():
        return
    try:
        blob = pickle.dumps(stored, protocol=PICKLE_PROTOCOL)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        import tempfile

        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(temp, folder / key)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[RUNS_KEPT:]:
            old.unlink(missing_ok=True)
    except Exception:  # never fatal: the next run simply does the work again
        return
