"""Whole-run cache: the same files with the same contents, configuration and tool give the same report.

A run's key is the hash of every file's content key (path, kind and bytes; see cache.py), which files
are reported, the configuration, and the fingerprint of the whole kubelint_py package (so a changed rule
invalidates it). On a hit the findings are replayed without unpickling any model: an unchanged tree is
checked in the time it takes to find and hash its files. The replayed report's files carry their path,
kind and text but no models (nothing downstream of the rules reads models).

Stored beside the parse cache under `runs/`, a few entries at most (the newest RUNS_KEPT).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections.abc import Collection, Sequence
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
    from kubelint_py.results.report import Report

RUNS_KEPT = 8
_PACKAGE_FINGERPRINT: str | None = None


def package_fingerprint() -> str:
    """Size and modification time of every module of the package (rules included)."""
    global _PACKAGE_FINGERPRINT
    if _PACKAGE_FINGERPRINT is None:
        digest = blake2b(digest_size=16)
        root = Path(__file__).resolve().parent.parent
        for folder, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".json", ".yaml")):
                    stat = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder[len(str(root)):]}/{name}:{stat.st_size}:{stat.st_mtime_ns}|".encode())
        _PACKAGE_FINGERPRINT = digest.hexdigest()
    return _PACKAGE_FINGERPRINT


def _policy_stamps(config: Config) -> list[str]:
    stamps = []
    for entry in config.policies:
        for folder, _, filenames in os.walk(entry) if os.path.isdir(entry) else [("", [], [entry])]:
            for name in sorted(filenames):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                stamps.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return stamps


def run_key(cache: ParseCache, candidates: Sequence[Candidate], keys: Sequence[str | None], config: Config,
            report_paths: Collection[str] | None, extra: str = "") -> str | None:
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
    digest = blake2b(digest_size=20)
    digest.update(repr(registry).encode())
    digest.update(f"{cache.fingerprint}|{package_fingerprint()}|{settings!r}|{_policy_stamps(config)!r}".encode())
    digest.update(repr(sorted(report_paths) if report_paths is not None else None).encode())
    digest.update(extra.encode())
    for candidate, key in zip(candidates, keys, strict=True):
        digest.update(f"{candidate.path}\0{key}\n".encode())
    return digest.hexdigest()


def _folder(cache: ParseCache) -> Path:
    return cache.directory / "runs"


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return blake2b(handle.read(), digest_size=20).hexdigest()
    except OSError:
        return None


def load(cache: ParseCache, key: str, config: Config) -> Report | None:
    from kubelint_py.engine.catalogue import load_rules
    from kubelint_py.engine.registry import loaded_rules
    from kubelint_py.results.report import Report

    try:
        with open(_folder(cache) / key, "rb") as handle:
            stored: dict[str, Any] = pickle.load(handle)
        # Files the run pulled in by itself (compose companions, Dockerfiles compose builds) are not in
        # the key: the entry holds their digests, and any change means the run is done again.
        if any(_digest(path) != digest for path, digest in stored["related"]):
            return None
        if stored["listings"]:
            from kubelint_py.loading.build_context import scan_context

            for path, fs_path, listing in stored["listings"]:
                on_disk = fs_path or path
                if scan_context(os.path.dirname(on_disk) or ".", os.path.basename(on_disk)) != listing:
                    return None
        load_rules(stored["formats"])
        by_code = {r.code: r for r in loaded_rules()}
        rules = [by_code[code] for code in stored["rules"]]
        report = Report(stored["findings"], stored["files"], 0.0, config, rules, stored["internal_errors"],
                        stored["context"])
    except Exception:  # missing, corrupt or from another layout: run normally
        return None
    report.replayed = True
    return report


def store(cache: ParseCache, key: str, report: Report, related: Sequence[str] = ()) -> None:
    from kubelint_py.loading.source_file import SourceFile

    def stub(source: SourceFile) -> SourceFile:
        # fs_path: --fix edits the files of a replayed run too
        return SourceFile(source.path, source.kind, source.text, source.explicit, fs_path=source.fs_path)

    formats = sorted({r.format for r in report.rules})
    stored = {"findings": report.findings, "files": [stub(f) for f in report.files],
              "context": [SourceFile(f.path, f.kind, "", f.explicit) for f in report.context],
              "rules": [r.code for r in report.rules], "formats": formats,
              "internal_errors": report.internal_errors,
              "related": [(path, _digest(path)) for path in related],
              # Build-context listings are not in the key either: scanned again and compared on load.
              "listings": [(f.path, f.fs_path, f.build_context) for f in [*report.files, *report.context]
                           if f.build_context is not None]}
    folder = _folder(cache)
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
