"""Shared test helpers."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: object) -> None:
    """Every SARIF log rendered in-process (directly or through the CLI) is checked against the schema
    and GitHub's requirements (tests/sarif_support.py)."""
    from tests.sarif_support import check_every_sarif

    check_every_sarif()


if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
