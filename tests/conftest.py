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

# Hypothesis profiles (tests/test_fuzz.py): quick by default, `--hypothesis-profile long` for a real
# fuzzing session. No deadline: a loaded CI machine must not turn slowness into failures; hangs are
# caught by the fuzz tests' own watchdog.
from hypothesis import HealthCheck, settings  # noqa: E402

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("default-quick", max_examples=30, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("long", max_examples=4000, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile("default-quick")


# Output is compared as plain text: a developer's FORCE_COLOR must not colour it (tests set it when wanted).
os.environ.pop("FORCE_COLOR", None)


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
