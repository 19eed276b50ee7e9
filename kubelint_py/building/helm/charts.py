"""Where Helm charts are, from paths alone: cheap enough for every run to ask (the Helm stage itself, in
stage.py, is imported only when a chart is among the files)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate

MAX_CHART_DEPTH = 6


def top_chart(folder: str) -> str:
    """The chart that renders `folder` (a chart's real path): its parent when it sits in a charts/ folder."""
    for _ in range(MAX_CHART_DEPTH):
        parent = os.path.dirname(folder)
        if os.path.basename(parent) != "charts" or not os.path.isfile(os.path.join(os.path.dirname(parent),
                                                                                   "Chart.yaml")):
            break
        folder = os.path.dirname(parent)
    return folder


def has_charts(candidates: Sequence[Candidate]) -> bool:
    """A Chart.yaml among the files, or a file under a chart's templates/ (named alone)."""
    if any(os.path.basename(c.path) == "Chart.yaml" for c in candidates):
        return True
    return any(chart_of_template(c.read_path) is not None for c in candidates if "templates" in c.path)


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
