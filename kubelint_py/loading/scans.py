"""Who is watching build-context scans: the whole-run cache records every scan_context of a fresh run
(root, Dockerfile name, listing) to scan again and compare before a replay. Kept apart from
build_context.py so that watching costs a run without Dockerfiles no imports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Scan = tuple[str, str | None, Any]
"""(root, Dockerfile name, build_context.ContextListing): not imported here, build_context imports this."""

RECORDS: list[list[Scan]] = []
"""The open recordings; scan_context appends to each."""


@contextmanager
def recording() -> Iterator[list[Scan]]:
    """Collect (root, Dockerfile name, listing) of every scan_context call in this process meanwhile."""
    scans: list[Scan] = []
    RECORDS.append(scans)
    try:
        yield scans
    finally:
        RECORDS.remove(scans)
