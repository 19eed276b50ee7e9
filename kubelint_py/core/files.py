"""Writing the files a run produces (reports, baselines)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: str, content: str) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a report."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # only when a report goes to a file

    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
