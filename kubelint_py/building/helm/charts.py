"""Where Helm charts are, from paths alone: cheap enough for every run to ask (the Helm stage itself, in
stage.py, is imported only when a chart is among the files)."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.engine.config import Config

MAX_CHART_DEPTH = 6
_NOT_VALUES = frozenset({"Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock", "kustomization.yaml",
                         "kustomization.yml"})
"""YAML files in a chart's folder that are not values files (nor are dotfiles such as .kubelint.yaml)."""


def top_chart(folder: str) -> str:
    """The chart that renders `folder` (a chart's real path): its parent when it sits in a charts/ folder."""
    for _ in range(MAX_CHART_DEPTH):
        parent = os.path.dirname(folder)
        if os.path.basename(parent) != "charts" or not os.path.isfile(os.path.join(os.path.dirname(parent),
                                                                                   "Chart.yaml")):
            break
        folder = os.path.dirname(parent)
    return folder


def has_charts(candidates: Sequence[Candidate], values: Collection[str] = ()) -> bool:
    """A Chart.yaml among the files, or a file under a chart's templates/ or a values file of a chart
    (in a chart's folder, or among `values`: real paths of configured values files) named alone."""
    if any(os.path.basename(c.path) == "Chart.yaml" for c in candidates):
        return True
    if any(chart_of_template(c.read_path) is not None for c in candidates if "templates" in c.path):
        return True
    return any(is_values_file(c.read_path, values) for c in candidates if c.explicit)


def is_values_file(path: str, values: Collection[str] = ()) -> bool:
    """A YAML file in a chart's folder besides Chart.yaml, or one of `values` (real paths)."""
    name = os.path.basename(path)
    if not name.endswith((".yaml", ".yml")) or name.startswith(".") or name in _NOT_VALUES:
        return False
    real = os.path.realpath(path)
    return real in values or os.path.isfile(os.path.join(os.path.dirname(real), "Chart.yaml"))


def chart_of_template(path: str) -> str | None:
    """The real folder of the (top) chart a file under some chart's templates/ belongs to, else None."""
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    for _ in range(32):
        if os.path.basename(folder) == "templates" and os.path.isfile(os.path.join(os.path.dirname(folder),
                                                                                   "Chart.yaml")):
            return top_chart(os.path.dirname(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


def configured_values(config: Config) -> dict[str, str]:
    """Real path of each values file the configured renders name -> the real folder of its chart (a
    values file named alone renders its chart)."""
    found: dict[str, str] = {}
    for entry in config.helm_renders:
        for path in entry.values:
            found.setdefault(os.path.realpath(path), top_chart(os.path.realpath(entry.chart)))
    return found


def chart_of_values(path: str, configured: dict[str, str]) -> str | None:
    """The real folder of the (top) chart a values file belongs to, else None."""
    real = os.path.realpath(path)
    if not is_values_file(real, configured):
        return None
    return configured.get(real) or top_chart(os.path.dirname(real))
