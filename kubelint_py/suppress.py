"""Suppressions: findings silenced by the user are marked, never dropped.

Marked findings stay in the report so SARIF can carry them and unused suppressions can be reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kubelint_py.engine import Finding

if TYPE_CHECKING:
    from kubelint_py.config import Config
    from kubelint_py.load import SourceFile


def apply_suppressions(findings: list[Finding], files: Sequence[SourceFile], config: Config) -> list[Finding]:
    """Return the findings with suppressed ones marked. Inline comments and annotations come later."""
    return findings
