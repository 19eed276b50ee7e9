"""Renders kept between runs, keyed by the chart's content, the values and the tool.

A small store of its own (JSON files under the cache folder's `helm/`), because the cache layer that
will own every cached artefact has not landed yet: when it does, this moves behind it. JSON, never
pickle: an entry is data a later run reads, and a render answer is plain data already.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

try:  # blake2 without importing hashlib (see cache/replay.py)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

from kubelint_py.building.helm.renderer import RenderRequest

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


def render_key(request: RenderRequest) -> str | None:
    from kubelint_py.cache.replay import package_fingerprint

    content = chart_digest(request.chart)
    if content is None:
        return None
    payload = request.payload()
    payload.pop("nonce")
    digest = blake2b(digest_size=20)
    digest.update(json.dumps([payload, content, _sdk_version(), package_fingerprint()], sort_keys=True).encode())
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
