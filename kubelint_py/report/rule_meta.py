"""Per-rule facts that only machine reports need: how sure a rule is (SARIF `precision`) and which
rules find leaked credentials (rated critical: SARIF security-severity 9.x, GitLab `critical`).

Kept beside the reporters rather than in each @rule: they describe how a consumer should rank a
finding, not what the rule checks. tests/test_report_formats.py checks that every code named here exists.
"""

from __future__ import annotations

from kubelint_py.engine.registry import Rule, Severity

CRITICAL_SECURITY: dict[str, str] = {
    # A private key, cloud access key or API token written in the Dockerfile: it is in the image.
    "DF202": "9.5",
    # A credentials file (SSH key, cloud config, .npmrc, .env) copied into an image layer.
    "DF204": "9.0",
    "DF205": "9.0",
    "DF206": "9.0",
    "XF107": "9.0",
}
"""security-severity of rules that find a leaked private key or cloud credential (GitHub: >= 9.0 critical).
Used while the rule keeps its default severity; a user who lowers it gets the severity-based rating."""

SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.INFO: "3.0"}
"""GitHub ranks security alerts by this: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low."""

# SARIF precision (a rule's properties): very-high, high, medium, low. Default: high (the rule checks a
# fact of the file: a missing field, a reference that does not resolve). Rules that judge by names or patterns, or
# guess at intent, are medium; style suggestions whose benefit depends on context are low.
PRECISION_DEFAULT = "high"
PRECISION: dict[str, str] = {
    # Certain: the file does not parse, a key is duplicated, a value breaks the schema.
    "KL001": "very-high", "KL003": "very-high", "KL004": "very-high", "DC001": "very-high",
    # Secrets judged by a variable's name or a value's look.
    "DF201": "medium", "DF202": "medium", "DF203": "medium", "DC308": "medium", "KS401": "medium",
    "KS402": "medium",
    # Layer and cache heuristics over shell scripts.
    "DF101": "medium", "DF103": "medium", "DF106": "medium", "DF107": "medium",
    # Style and consolidation suggestions.
    "DF108": "low", "DC403": "low",
}


def precision(rule: Rule) -> str:
    return PRECISION.get(rule.code, PRECISION_DEFAULT)


def security_severity(rule: Rule, severity: Severity) -> str:
    """The security-severity of a security rule at its configured severity."""
    critical = CRITICAL_SECURITY.get(rule.code)
    if critical is not None and severity >= rule.severity:
        return critical
    return SECURITY_SEVERITY[severity]


def is_critical(code: str, severity: Severity, default: Severity | None) -> bool:
    """A finding of a credential-leak rule at (or above) its default severity."""
    return code in CRITICAL_SECURITY and (default is None or severity >= default)
