"""Shared test helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: object) -> None:
    """Every SARIF log rendered in-process (directly or through the CLI) is checked against the schema
    and GitHub's requirements (tests/sarif_support.py)."""
    from tests.sarif_support import check_every_sarif

    check_every_sarif()


if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True, scope="session")
def _private_parse_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the tests' parse cache out of the user's cache folder."""
    previous = os.environ.get("KUBELINT_CACHE_DIR")
    os.environ["KUBELINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("kubelint-cache"))
    yield
    if previous is None:
        os.environ.pop("KUBELINT_CACHE_DIR", None)
    else:
        os.environ["KUBELINT_CACHE_DIR"] = previous
