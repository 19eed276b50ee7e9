"""Renders kept between runs, keyed by the chart's content, the values and the tool.

A small store of its own (JSON files under the cache folder's `helm/`), because the cache layer that
will own every cached artefact has not landed yet: when it does, this moves behind it. JSON, never
pickle: an entry is data a later run reads, and a render answer is plain data already.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import TYPE_CHECKING, Any

try:  # blake2 without importing hashlib (see cache/replay.py)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

from kubelint_py.building.helm.renderer import RenderRequest
from kubelint_py.core.findings import Finding, Related, Severity, Suppression
from kubelint_py.core.source import Location

if TYPE_CHECKING:
    from kubelint_py.engine.config import Config

MAX_CHART_BYTES = 64 * 1024**2
MAX_CHART_FILES = 20_000
ENTRIES_KEPT = 64
_SDK_VERSION: str | None = None


def _sdk_version() -> str:
    global _SDK_VERSION
    if _SDK_VERSION is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            _SDK_VERSION = version("helm-python-sdk")
        except PackageNotFoundError:
            _SDK_VERSION = "none"
    return _SDK_VERSION


def chart_digest(chart: str) -> str | None:
    """Hash of every file of the chart folder (names and bytes); None when too large to hash."""
    digest = blake2b(digest_size=20)
    total = 0
    count = 0
    for folder, dirnames, filenames in os.walk(chart):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(folder, name)
            count += 1
            try:
                if os.path.islink(path):  # where it points, not what (links leaving the chart are refused)
                    data = b"\0link:" + os.readlink(path).encode("utf-8", "surrogateescape")
                    target = os.path.realpath(path)
                    if os.path.isfile(target) and target.startswith(os.path.realpath(chart) + os.sep):
                        with open(target, "rb") as handle:
                            data += handle.read(MAX_CHART_BYTES + 1)
                else:
                    with open(path, "rb") as handle:
                        data = handle.read(MAX_CHART_BYTES + 1)
            except OSError:
                data = b"\0unreadable"
            total += len(data)
            if total > MAX_CHART_BYTES or count > MAX_CHART_FILES:
                return None
            digest.update(os.path.relpath(path, chart).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def text_digest(text: str) -> str:
    return blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


def render_key(request: RenderRequest, tool: str, content: str | None = None) -> str | None:
    """tool: what identifies this kubelint-py (its package fingerprint, from the cache layer)."""
    content = content or chart_digest(request.chart)
    if content is None:
        return None
    payload = request.payload()
    payload.pop("nonce")
    digest = blake2b(digest_size=20)
    digest.update(json.dumps([payload, content, _sdk_version(), tool], sort_keys=True).encode())
    return digest.hexdigest()


def _folder(cache_dir: str) -> str:
    return os.path.join(cache_dir, "helm")


def load(cache_dir: str, key: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(_folder(cache_dir), key + ".json"), encoding="utf-8") as handle:
            found = json.load(handle)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("ok") else None


def save(cache_dir: str, key: str, answer: dict[str, Any]) -> None:
    folder = _folder(cache_dir)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(answer, handle)
            os.replace(temp, os.path.join(folder, key + ".json"))
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
        entries = sorted((os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".json")),
                         key=os.path.getmtime, reverse=True)
        for old in entries[ENTRIES_KEPT:]:
            os.unlink(old)
    except Exception:  # never fatal: the next run renders again
        return


# --- the findings of a render (what the rules said about it, for a configuration) ------------------


def result_key(render: str, config: Config, label: str, display: str) -> str:
    """A render's findings depend on the render (the tool's fingerprint, policy files included, is in its
    key), the rules' settings, and how paths are shown."""
    settings = dataclasses.replace(config, sources={}, use_cache=True)
    digest = blake2b(digest_size=20)
    digest.update(f"{render}|{settings!r}|{label}|{display}|{os.getcwd()}".encode())
    return "r-" + digest.hexdigest()


def _location(item: list[Any]) -> Location:
    return Location(str(item[0]), int(item[1]), int(item[2]), int(item[3]), int(item[4]))


def dump_findings(findings: list[Finding], rendered: set[str]) -> dict[str, Any]:
    return {"ok": True, "rendered": sorted(rendered), "findings": [
        [f.code, f.name, int(f.severity), f.message, list(f.location),
         [[list(r.location), r.message] for r in f.related],
         None if f.suppressed is None else [f.suppressed.kind, f.suppressed.justification]]
        for f in findings]}


def load_findings(entry: dict[str, Any]) -> tuple[list[Finding], set[str]] | None:
    try:
        findings = [Finding(str(code), str(name), Severity(severity), str(message), _location(location),
                            tuple(Related(_location(where), str(text)) for where, text in related),
                            None if suppressed is None else Suppression(str(suppressed[0]), str(suppressed[1])))
                    for code, name, severity, message, location, related, suppressed in entry["findings"]]
        return findings, {str(p) for p in entry["rendered"]}
    except (KeyError, TypeError, ValueError, IndexError):
        return None
