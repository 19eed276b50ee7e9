"""The marked copy of a chart (see template_text.py), written by the linter's process into a scratch
folder: the render process only reads."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import TypeVar

from kubelint_py.building.helm.template_text import mark

T = TypeVar("T")

MAX_CHART_FILES = 20_000
MAX_CHART_BYTES = 64 * 1024**2
MAX_CHART_DEPTH = 6


def template_files(root: str) -> list[str]:
    """Relative paths of the templates to mark: the chart's and its unpacked subcharts' (not `_*` files:
    they only define helpers, whose text other templates capture)."""
    found: list[str] = []
    stack = [(root, 0)]
    while stack and len(found) < MAX_CHART_FILES:
        chart, depth = stack.pop()
        for folder, dirnames, filenames in os.walk(os.path.join(chart, "templates")):
            dirnames.sort()
            found.extend(os.path.relpath(os.path.join(folder, name), root)
                         for name in sorted(filenames) if not name.startswith("_"))
        charts = os.path.join(chart, "charts")
        if depth < MAX_CHART_DEPTH and os.path.isdir(charts):
            for entry in sorted(os.listdir(charts)):
                sub = os.path.join(charts, entry)
                if os.path.isfile(os.path.join(sub, "Chart.yaml")):
                    stack.append((sub, depth + 1))
    return found


def _size(root: str) -> int | None:
    total = count = 0
    for folder, _, filenames in os.walk(root):
        for name in filenames:
            count += 1
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            if total > MAX_CHART_BYTES or count > MAX_CHART_FILES:
                return None
    return total


def _scratch_copy(chart: str, prefix: str, fill: Callable[[str], T | None]) -> tuple[str, str, T] | None:
    """(scratch folder to remove, a copy of the chart in it, what `fill` returned after editing that copy),
    or None, with nothing left behind, when the chart is too large to copy, copying or editing fails, or
    `fill` refuses (returns None)."""
    if _size(chart) is None:
        return None
    scratch = tempfile.mkdtemp(prefix=prefix)
    copy = os.path.join(scratch, os.path.basename(os.path.normpath(chart)) or "chart")
    try:
        shutil.copytree(chart, copy, symlinks=True)
        filled = fill(copy)
    except (OSError, shutil.Error):
        filled = None
    if filled is None:
        shutil.rmtree(scratch, ignore_errors=True)
        return None
    return scratch, copy, filled


def marked_copy(chart: str, nonce: str) -> tuple[str, str, dict[str, int]] | None:
    """(scratch folder to remove, the marked chart in it, marker id of each template), or None when the
    chart is too large to copy (its lines then map by text only)."""

    def mark_templates(copy: str) -> dict[str, int]:
        ids: dict[str, int] = {}
        for relative in template_files(copy):
            path = os.path.join(copy, relative)
            if os.path.islink(path):
                continue
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                continue
            ids[relative] = len(ids)
            changed = mark(text, nonce, ids[relative])
            if changed != text:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(changed)
        return ids

    return _scratch_copy(chart, "kubelint-helm-", mark_templates)


def overlaid_copy(chart: str, files: dict[str, str]) -> tuple[str, str] | None:
    """(scratch folder to remove, a copy of the chart with `files` (chart-relative path -> text) written
    over it), or None when the chart is too large to copy or a path leaves it."""

    def write_files(copy: str) -> bool | None:
        for relative, text in files.items():
            path = os.path.normpath(os.path.join(copy, relative))
            if not path.startswith(copy + os.sep) or os.path.islink(path):
                return None
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        return True

    done = _scratch_copy(chart, "kubelint-overlay-", write_files)
    return None if done is None else done[:2]
