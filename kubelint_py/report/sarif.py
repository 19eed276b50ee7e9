"""SARIF 2.1.0 for GitHub code scanning, VS Code's SARIF viewer and other consumers.

The log is built from sarif-om objects but serialised by `to_json_data` below, because sarif-om's
stock serialiser (jschema_to_python.to_json) has three defects for us:
- it drops every value equal to the attrs default, so an explicit `level: "warning"` vanishes (and a
  consumer that does not apply SARIF's defaults sees no level at all);
- sarif-om names the suppression property `state`, where SARIF 2.1.0 says `status`;
- it deep-copies each object's __dict__ at every level of the tree, which makes it quadratic in depth
  and slow for big logs (see benchmarks/sarif_serialise.py).
Objects are made through `_Builder.make`, which records the fields that were passed explicitly; those
are written even when equal to the default, the others only when they differ from it.

GitHub's requirements honoured here: tool.driver.name and rules with non-empty descriptions,
1-based regions, URIs relative to the repository root with a `%SRCROOT%` base, partialFingerprints,
`security-severity` on security rules, and at most 25,000 results per run.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attr
import sarif_om as om

from kubelint_py import __version__
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.registry import Finding, Rule, Severity, all_rules, find_rule
from kubelint_py.parsing.source import Location
from kubelint_py.report import terminal_safe_json
from kubelint_py.report.paths import PathMapper, project_root

if TYPE_CHECKING:
    from kubelint_py.api import Report

SARIF_VERSION = "2.1.0"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "kubelint-py"
INFORMATION_URI = "https://pypi.org/project/kubelint-py/"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000
"""GitHub code scanning rejects runs with more results than this."""
MAX_TAGS = 20
MAX_RELATED = 999
"""GitHub accepts at most 1,000 locations per result, the primary one included."""
"""GitHub keeps at most this many tags per rule."""

_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub ranks security alerts by this: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.INFO: "3.0"}
# Findings that say the tool could not do its job on a file: also reported as tool notifications.
EXECUTION_PROBLEMS = frozenset({diag.PARSE_ERROR.code, diag.UNREADABLE.code, diag.INTERNAL_ERROR.code,
                                diag.TEMPLATE_SKIPPED.code})
# The run did not analyse everything it was asked to (a parse error is a result about the file instead).
UNSUCCESSFUL = frozenset({diag.UNREADABLE.code, diag.INTERNAL_ERROR.code})

# --------------------------------------------------------------------------------------------------
# Serialisation


class _Builder:
    """Makes sarif-om objects and remembers, per object, which fields were given explicitly and any
    extra property-bag entries (sarif-om's PropertyBag only knows `tags`). The objects stay pristine."""

    def __init__(self) -> None:
        self.explicit: dict[int, dict[str, Any]] = {}
        self.extra: dict[int, dict[str, Any]] = {}
        self._keep: list[Any] = []  # ids are only unique while the objects live

    def make(self, cls: type, _extra: dict[str, Any] | None = None, **fields: Any) -> Any:
        obj = cls(**fields)
        self.explicit[id(obj)] = fields  # only its keys are read
        if _extra:
            self.extra[id(obj)] = _extra
        self._keep.append(obj)
        return obj


_NO_DEFAULT = object()
# sarif-om's names that SARIF 2.1.0 spells differently.
_RENAMES = {(om.Suppression, "state"): "status"}
_FIELD_CACHE: dict[type, tuple[tuple[str, str, Any], ...]] = {}
# Keys people look for first come first (attrs puts required fields first, the rest alphabetically).
_KEY_ORDER = {key: i for i, key in enumerate((
    "$schema", "id", "ruleId", "ruleIndex", "name", "version", "kind", "level", "message", "text", "markdown",
    "shortDescription", "fullDescription", "help", "defaultConfiguration", "executionSuccessful", "uri",
    "uriBaseId", "startLine", "startColumn", "endLine", "endColumn", "physicalLocation", "artifactLocation",
    "region", "locations", "relatedLocations", "partialFingerprints", "suppressions", "tool", "driver",
    "semanticVersion", "informationUri", "invocations", "originalUriBaseIds", "columnKind", "results"))}


def _fields_of(cls: type) -> tuple[tuple[str, str, Any], ...]:
    cached = _FIELD_CACHE.get(cls)
    if cached is None:
        rows = []
        for field in attr.fields(cls):
            key = _RENAMES.get((cls, field.name)) or field.metadata.get("schema_property_name", field.name)
            default = field.default
            if default is attr.NOTHING:
                default = _NO_DEFAULT
            elif isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            rows.append((field.name, key, default))
        rows.sort(key=lambda row: _KEY_ORDER.get(row[1], len(_KEY_ORDER)))
        cached = _FIELD_CACHE[cls] = tuple(rows)
    return cached


def to_json_data(obj: Any, builder: _Builder | None = None) -> Any:
    """Plain JSON data (dicts, lists, scalars) for a tree of sarif-om objects, with SARIF's names."""
    explicit = builder.explicit if builder is not None else {}
    extra = builder.extra if builder is not None else {}
    empty: dict[str, Any] = {}

    def convert(value: Any) -> Any:
        if value is None or isinstance(value, str | int | float):  # bool is an int
            return value
        if isinstance(value, list | tuple):
            return [convert(item) for item in value]
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        fields = _fields_of(type(value))
        given = explicit.get(id(value), empty)
        state = value.__dict__
        out: dict[str, Any] = {}
        for name, key, default in fields:
            item = state[name]
            if item is None:
                continue
            if name in given or default is _NO_DEFAULT or item != default:
                out[key] = convert(item)
        more = extra.get(id(value))
        if more:
            out.update((k, convert(v)) for k, v in more.items())
        return out

    return convert(obj)


# --------------------------------------------------------------------------------------------------
# Building the log


def _help(rule: Rule) -> tuple[str, str]:
    text = [rule.summary, "", f"Why is this bad? {rule.rationale}", "", f"How to fix: {rule.fix}"]
    markdown = [f"**{rule.summary}**", "", "#### Why is this bad?", "", rule.rationale, "",
                "#### How to fix", "", rule.fix]
    if rule.parameters:
        text += ["", "Options:"]
        markdown += ["", "#### Options", ""]
        for name, param in rule.parameters.items():
            text.append(f"- {name} (default {param.default!r}): {param.help}")
            markdown.append(f"- `{name}` (default `{param.default!r}`): {param.help}")
    if rule.aliases:
        text += ["", f"Also known as: {', '.join(rule.aliases)}"]
        markdown += ["", f"Also known as: {', '.join(f'`{a}`' for a in rule.aliases)}"]
    text += ["", f"Run `kubelint-py explain {rule.code}` for examples."]
    markdown += ["", f"Run `kubelint-py explain {rule.code}` for examples."]
    return "\n".join(text), "\n".join(markdown)


def _descriptor(b: _Builder, rule: Rule, level: str, severity: Severity) -> Any:
    help_text, help_markdown = _help(rule)
    tags = list(dict.fromkeys((*rule.tags, rule.format)))[:MAX_TAGS]
    extra: dict[str, Any] = {}
    if rule.security:
        extra["security-severity"] = SECURITY_SEVERITY[severity]
    return b.make(
        om.ReportingDescriptor,
        id=rule.code,
        name=rule.name,
        short_description=b.make(om.MultiformatMessageString, text=rule.summary),
        full_description=b.make(om.MultiformatMessageString, text=rule.rationale),
        help=b.make(om.MultiformatMessageString, text=help_text, markdown=help_markdown),
        default_configuration=b.make(om.ReportingConfiguration, level=level),
        properties=b.make(om.PropertyBag, tags=tags, _extra=extra),
    )


class _Fingerprints:
    """primaryLocationLineHash: a hash of the finding's line with whitespace normalised, and the
    occurrence of that (rule, hash) pair in the file. No line numbers go in, so a finding keeps its
    fingerprint when unrelated lines are added or removed above it."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.lines: dict[str, list[str]] = {}
        self.seen: dict[tuple[str, str, str], int] = {}

    def __call__(self, finding: Finding) -> str:
        loc = finding.location
        lines = self.lines.get(loc.path)
        if lines is None:
            lines = self.lines[loc.path] = self.texts.get(loc.path, "").splitlines()
        line = lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""
        digest = hashlib.sha256(" ".join(line.split()).encode("utf-8")).hexdigest()[:16]
        key = (loc.path, finding.code, digest)
        occurrence = self.seen.get(key, 0) + 1
        self.seen[key] = occurrence
        return f"{digest}:{occurrence}"


def _chosen(findings: Sequence[Finding], limit: int) -> list[Finding]:
    """At most `limit` findings, the most severe first, in report order within a severity."""
    if len(findings) <= limit:
        return list(findings)
    keep = sorted(range(len(findings)), key=lambda i: -findings[i].severity)[:limit]
    return [findings[i] for i in sorted(keep)]


def build_log(report: Report, *, all_rules_: bool = False, suppressions: bool = False,
              cwd: Path | None = None, max_results: int | None = None) -> tuple[Any, _Builder]:
    """The sarif-om SarifLog for a report, and the builder that knows which fields were explicit."""
    b = _Builder()
    limit = MAX_RESULTS if max_results is None else max_results
    paths = PathMapper(project_root(report, cwd), cwd)
    config = report.config

    candidates = report.findings if suppressions else report.active
    findings = _chosen(candidates, limit)
    dropped = len(candidates) - len(findings)

    rules_by_code: dict[str, Rule] = {}
    if all_rules_:
        rules_by_code.update((r.code, r) for r in all_rules() if config.is_enabled(r))
    known = {r.code: r for r in report.rules}
    for finding in findings:
        if finding.code not in rules_by_code:
            found = known.get(finding.code) or find_rule(finding.code)
            if found is not None:
                rules_by_code[finding.code] = found
    ordered = sorted(rules_by_code.values(), key=lambda r: r.code)
    rule_index = {r.code: i for i, r in enumerate(ordered)}
    descriptors = [_descriptor(b, r, LEVELS[config.severity_of(r)], config.severity_of(r)) for r in ordered]

    def location(loc: Location, message: str | None = None, ident: int | None = None) -> Any:
        uri, inside = paths.uri(loc.path)
        artifact = (b.make(om.ArtifactLocation, uri=uri, uri_base_id=SRCROOT) if inside
                    else b.make(om.ArtifactLocation, uri=uri))
        region_fields: dict[str, Any] = {"start_line": max(loc.line, 1), "start_column": max(loc.column, 1),
                                         "end_line": max(loc.end_line, loc.line, 1)}
        # An empty span (a point) is written without endColumn: the region runs to the end of the line.
        if loc.end_line > loc.line or loc.end_column > loc.column:
            region_fields["end_column"] = max(loc.end_column, 1)
        physical = b.make(om.PhysicalLocation, artifact_location=artifact,
                          region=b.make(om.Region, **region_fields))
        fields: dict[str, Any] = {"physical_location": physical}
        if message is not None:
            fields["message"] = b.make(om.Message, text=message)
        if ident is not None:
            fields["id"] = ident
        return b.make(om.Location, **fields)

    # Over every finding, suppressed or not, so that options and the result limit change no fingerprint.
    fingerprint = _Fingerprints({f.path: f.text for f in report.files})
    fingerprints = {id(f): fingerprint(f) for f in report.findings}
    results = []
    notifications = []
    for finding in findings:
        fields: dict[str, Any] = {
            "rule_id": finding.code,
            "level": LEVELS[finding.severity],
            "message": b.make(om.Message, text=finding.message if finding.message.strip() else finding.name),
            "locations": [location(finding.location)],
            "partial_fingerprints": {"primaryLocationLineHash": fingerprints[id(finding)]},
        }
        if finding.code in rule_index:
            fields["rule_index"] = rule_index[finding.code]
        if finding.related:
            fields["related_locations"] = [
                location(r.location, r.message if r.message.strip() else "related location", i)
                for i, r in enumerate(finding.related[:MAX_RELATED], 1)]
        if suppressions:
            fields["suppressions"] = [] if finding.suppressed is None else [_suppression(b, finding)]
        results.append(b.make(om.Result, **fields))
        if finding.code in EXECUTION_PROBLEMS and finding.suppressed is None:
            reference: dict[str, Any] = {"id": finding.code}
            if finding.code in rule_index:
                reference["index"] = rule_index[finding.code]
            notifications.append(b.make(
                om.Notification, level=LEVELS[finding.severity],
                message=b.make(om.Message, text=f"{finding.location.path}: {finding.message}"),
                locations=[location(finding.location)],
                associated_rule=b.make(om.ReportingDescriptorReference, **reference)))
    if dropped:
        warning = truncation_warning(dropped, limit)
        notifications.append(b.make(om.Notification, level="warning", message=b.make(om.Message, text=warning)))
        sys.stderr.write(f"kubelint-py: warning: {warning}\n")

    successful = not report.internal_errors and not any(
        f.code in UNSUCCESSFUL and f.suppressed is None for f in report.findings)
    invocation_fields: dict[str, Any] = {"execution_successful": successful}
    if notifications:
        invocation_fields["tool_execution_notifications"] = notifications
    driver_fields: dict[str, Any] = {"name": TOOL_NAME, "version": __version__,
                                     "information_uri": INFORMATION_URI, "rules": descriptors}
    if _SEMVER.fullmatch(__version__):  # a PEP 440 development version such as 0.2.0.dev1 is not SemVer
        driver_fields["semantic_version"] = __version__
    driver = b.make(om.ToolComponent, **driver_fields)
    run = b.make(
        om.Run,
        tool=b.make(om.Tool, driver=driver),
        invocations=[b.make(om.Invocation, **invocation_fields)],
        original_uri_base_ids={SRCROOT: b.make(om.ArtifactLocation, uri=paths.root_uri())},
        column_kind="unicodeCodePoints",
        results=results,
    )
    log = b.make(om.SarifLog, version=SARIF_VERSION, schema_uri=SCHEMA_URI, runs=[run])
    return log, b


def truncation_warning(dropped: int, limit: int) -> str:
    return (f"{dropped} more result{'' if dropped == 1 else 's'} left out of the SARIF log: GitHub code "
            f"scanning accepts at most {limit} results per run (the most severe were kept); fix or "
            "suppress findings, or lint fewer paths per run")


def _suppression(b: _Builder, finding: Finding) -> Any:
    assert finding.suppressed is not None
    kind = finding.suppressed.kind if finding.suppressed.kind in ("inSource", "external") else "external"
    fields: dict[str, Any] = {"kind": kind, "state": "accepted"}
    if finding.suppressed.justification:
        fields["justification"] = finding.suppressed.justification
    return b.make(om.Suppression, **fields)


def render(report: Report, *, all_rules: bool = False, suppressions: bool = False, cwd: Path | None = None,
           max_results: int | None = None) -> str:
    log, builder = build_log(report, all_rules_=all_rules, suppressions=suppressions, cwd=cwd,
                             max_results=max_results)
    # Compact: json's C encoder is not used with indent, which makes indenting 5x slower than everything
    # else together for big logs. `python -m json.tool results.sarif` shows it indented.
    # Same document; C1 controls and bidi overrides from file content as \u escapes (terminal-safe).
    return terminal_safe_json(json.dumps(to_json_data(log, builder), ensure_ascii=False)) + "\n"
