"""Shared test helpers."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _validate_every_sarif(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SARIF log rendered in-process (directly or through the CLI) is checked by check_sarif."""
    from kubelint_py.report import sarif
    from tests.sarif_support import check_sarif

    original = sarif.render

    def render_and_check(*args: object, **kwargs: object) -> str:
        content = original(*args, **kwargs)  # type: ignore[arg-type]
        check_sarif(content)
        return content

    monkeypatch.setattr(sarif, "render", render_and_check)
