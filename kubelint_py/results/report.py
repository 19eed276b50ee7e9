"""The result of a run: the findings (suppressed ones included, marked), the files they are about, and
what the run was configured with. Every output (report/), the baseline and the cache read this."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding, Rule, Severity
from kubelint_py.loading.source_file import SourceFile


@dataclass
class Report:
    findings: list[Finding]
    """Sorted by path and position; includes suppressed findings (see Finding.suppressed)."""
    files: list[SourceFile]
    duration: float
    config: Config
    rules: list[Rule] = field(default_factory=list)
    """Every rule that was enabled for this run."""
    internal_errors: list[str] = field(default_factory=list)
    context: list[SourceFile] = field(default_factory=list)
    """Files loaded only to resolve references (project scope); nothing is reported for them."""
    replayed: bool = False
    """True when an identical earlier run was replayed from the cache (files then carry no models)."""
    fixed: list[Finding] | None = None
    """Findings that --fix repaired before this report was made (None: no fixes were applied)."""
    unsafe_fixes: bool = False
    """--unsafe-fixes: findings whose fix changes behaviour count as fixable too."""
    extra_inputs: list[str] = field(default_factory=list)
    """Files read besides the linted ones (kustomize bases and generator files elsewhere)."""

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    def counts(self) -> dict[Severity, int]:
        result = dict.fromkeys(Severity, 0)
        for finding in self.active:
            result[finding.severity] += 1
        return result

    @property
    def failed(self) -> bool:
        threshold = self.config.fail_on
        return threshold is not None and any(f.severity >= threshold for f in self.active)

    @property
    def linted_files(self) -> list[SourceFile]:
        return [f for f in self.files if f.kind in ("dockerfile", "compose", "kubernetes")]
