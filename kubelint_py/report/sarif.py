"""SARIF 2.1.0 for GitHub code scanning, VS Code's SARIF viewer and other consumers.

The log is built as plain dicts and lists and written by json.dumps: every key is written as given (an
explicit `level: "warning"` included, which SARIF would let a consumer default), keys people look for
come first, and big logs serialise at the speed of the json module. (sarif-om was used for the object
model until its stock serialiser had to be bypassed for all three of those reasons; it added 65-90 ms of
import time and pbr at run time for classes that only held the values.) Validity is the tests' job:
every log the test-suite renders is checked against the official schema (schemas/) and GitHub's rules.

GitHub's requirements honoured here: tool.driver.name and rules with non-empty descriptions,
1-based regions, URIs relative to the repository root with a `%SRCROOT%` base, partialFingerprints,
`security-severity` on security rules, at most 25,000 results per run, and related locations linked
from the result's message (`[first definition](1)`) so that they are shown.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kubelint_py import __version__
from kubelint_py.core.source import Location
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.catalogue import all_rules, find_rule
from kubelint_py.engine.registry import Finding, Rule, Severity
from kubelint_py.report import terminal_safe_json
from kubelint_py.report.fingerprints import LineFingerprints
from kubelint_py.report.paths import PathMapper, project_root
from kubelint_py.report.rule_meta import precision, security_severity

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

SARIF_VERSION = "2.1.0"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "kubelint-py"
DOCS_URL_VARIABLE = "KUBELINT_DOCS_URL"
"""Where the rules' documentation is published: the URL of the folder holding rules.md (for example
`https://github.com/ORG/kubelint-py/blob/main/docs/`). When set, the driver's informationUri points at
rules.md and each rule's helpUri at its section; when not, both are left out rather than pointing at a
page that does not exist (kubelint-py has no published home yet)."""
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000
"""GitHub code scanning rejects runs with more results than this."""
MAX_TAGS = 20
"""GitHub keeps at most this many tags per rule."""
MAX_RELATED = 999
"""GitHub accepts at most 1,000 locations per result, the primary one included."""
MAX_LINKED = 10
"""Related locations linked from a result's message (the rest are still listed in relatedLocations)."""

_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# Findings that say the tool could not do its job on a file: also reported as tool notifications.
EXECUTION_PROBLEMS = frozenset({diag.PARSE_ERROR.code, diag.UNREADABLE.code, diag.INTERNAL_ERROR.code,
                                diag.TEMPLATE_SKIPPED.code})
# The run did not analyse everything it was asked to (a parse error is a result about the file instead).
UNSUCCESSFUL = frozenset({diag.UNREADABLE.code, diag.INTERNAL_ERROR.code})
_EXAMPLE_LANGUAGES = {"dockerfile": "dockerfile"}


def docs_url() -> str | None:
    base = os.environ.get(DOCS_URL_VARIABLE, "").strip()
    if not base.startswith(("https://", "http://")):
        return None
    return base if base.endswith("/") else base + "/"


# --------------------------------------------------------------------------------------------------
# Rules


def _fence(code: str, language: str) -> list[str]:
    """A fenced code block longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", code, fence]


def _help(rule: Rule) -> tuple[str, str]:
    from kubelint_py.report.rule_docs import fixture_examples

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
    bad, good = fixture_examples(rule)  # the examples `explain` shows (from a source checkout)
    language = _EXAMPLE_LANGUAGES.get(rule.format, "yaml")
    if bad:
        markdown += ["", "#### Example", "", *_fence(bad, language)]
    if good:
        markdown += ["", "#### Use instead", "", *_fence(good, language)]
    text += ["", f"Run `kubelint-py explain {rule.code}` for examples."]
    markdown += ["", f"Run `kubelint-py explain {rule.code}` for {'more' if bad or good else 'examples'}."]
    return "\n".join(text), "\n".join(markdown)


def rule_help_uri(rule: Rule, docs: str | None) -> str | None:
    """The rule's section of rules.md under the documented docs base (None when none is set): SARIF's
    helpUri and the language server's codeDescription."""
    if docs is None:
        return None
    from kubelint_py.report.rule_docs import _anchor as heading_anchor

    return f"{docs}rules.md#{heading_anchor(f'{rule.code} {rule.name}')}"


def _descriptor(rule: Rule, severity: Severity, docs: str | None) -> dict[str, Any]:
    help_text, help_markdown = _help(rule)
    tags = list(dict.fromkeys((*rule.tags, rule.format)))[:MAX_TAGS]
    properties: dict[str, Any] = {"tags": tags, "precision": precision(rule)}
    if rule.security:
        properties["security-severity"] = security_severity(rule, severity)
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVELS[severity]},
    }
    help_uri = rule_help_uri(rule, docs)
    if help_uri is not None:
        descriptor["helpUri"] = help_uri
    descriptor["properties"] = properties
    return descriptor


def _chosen(findings: Sequence[Finding], limit: int) -> list[Finding]:
    """At most `limit` findings, the most severe first, in report order within a severity."""
    if len(findings) <= limit:
        return list(findings)
    keep = sorted(range(len(findings)), key=lambda i: -findings[i].severity)[:limit]
    return [findings[i] for i in sorted(keep)]


# --------------------------------------------------------------------------------------------------
# Messages and regions

_LINK_SYNTAX = re.compile(r"([\\\[\]])")


def _plain(text: str) -> str:
    """SARIF plain text that holds embedded links: literal `\\`, `[` and `]` escaped, as SARIF 2.1.0
    asks of messages with embedded links."""
    return _LINK_SYNTAX.sub(r"\\\1", text)


def linked_message(message: str, related: Sequence[str]) -> str:
    """The result message with links to its related locations (ids 1, 2, ...), which is how GitHub
    shows them: `... (see [first definition](1))`."""
    if not related:
        return message
    links = [f"[{_plain(' '.join(text.split()) or 'related location')}]({i})"
             for i, text in enumerate(related[:MAX_LINKED], 1)]
    more = len(related) - MAX_LINKED
    tail = f" and {more} more" if more > 0 else ""
    return f"{_plain(message)} (see {', '.join(links)}{tail})"


class _Regions:
    """SARIF regions with an endColumn on every one-line region. A finding that marks a point (an empty
    span) is widened to the word that starts there in the file's text, else one character, so that
    viewers highlight something rather than a zero-width range or the whole line."""

    def __init__(self, lines: LineFingerprints) -> None:
        self.lines = lines

    def __call__(self, loc: Location) -> dict[str, Any]:
        start_line, start_column = max(loc.line, 1), max(loc.column, 1)
        end_line = max(loc.end_line, start_line)
        region = {"startLine": start_line, "startColumn": start_column, "endLine": end_line}
        if end_line > start_line:
            region["endColumn"] = max(loc.end_column, 1)
        elif loc.end_column > start_column:
            region["endColumn"] = loc.end_column
        else:
            region["endColumn"] = self._word_end(loc.path, start_line, start_column)
        return region

    def _word_end(self, path: str, line: int, column: int) -> int:
        text = self.lines.line_text(path, line)
        end = column - 1
        while end < len(text) and not text[end].isspace():
            end += 1
        return max(end + 1, column + 1)


# --------------------------------------------------------------------------------------------------
# The log


def build_log(report: Report, *, all_rules_: bool = False, suppressions: bool = False,
              cwd: Path | None = None, max_results: int | None = None) -> dict[str, Any]:
    """The SARIF log of a report, as JSON data."""
    log, results = _log_and_results(report, all_rules_=all_rules_, suppressions=suppressions, cwd=cwd,
                                    max_results=max_results)
    log["runs"][0]["results"] = list(results)
    return log


def _log_and_results(report: Report, *, all_rules_: bool, suppressions: bool, cwd: Path | None,
                     max_results: int | None) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The log with an empty `results` (its last member), and its results, made one at a time."""
    limit = MAX_RESULTS if max_results is None else max_results
    paths = PathMapper(project_root(report, cwd), cwd)
    config = report.config
    docs = docs_url()

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
    descriptors = [_descriptor(r, config.severity_of(r), docs) for r in ordered]

    # Over every finding, suppressed or not, so that options and the result limit change no fingerprint.
    line_prints = LineFingerprints({f.path: f.text for f in report.files})
    fingerprints = {id(f): line_prints(f) for f in report.findings}
    region = _Regions(line_prints)

    def location(loc: Location, message: str | None = None, ident: int | None = None) -> dict[str, Any]:
        uri, inside = paths.uri(loc.path)
        artifact = {"uri": uri, "uriBaseId": SRCROOT} if inside else {"uri": uri}
        out: dict[str, Any] = {}
        if ident is not None:
            out["id"] = ident
        out["physicalLocation"] = {"artifactLocation": artifact, "region": region(loc)}
        if message is not None:
            out["message"] = {"text": message}
        return out

    texts = {f.path: (f.kind, f.text) for f in report.files} if any(f.fix for f in findings) else {}

    def fixes(finding: Finding) -> list[dict[str, Any]]:
        """SARIF fixes: one artifactChange in the finding's file, a replacement per edit (an insertion is
        an empty deletedRegion, with both columns given)."""
        from kubelint_py.results.fixes import report_edits

        assert finding.fix is not None
        uri, inside = paths.uri(finding.location.path)
        artifact = {"uri": uri, "uriBaseId": SRCROOT} if inside else {"uri": uri}
        replacements = [{"deletedRegion": {"startLine": span.line, "startColumn": span.column,
                                           "endLine": span.end_line, "endColumn": span.end_column},
                         "insertedContent": {"text": text}} for span, text in report_edits(finding, texts)]
        kind = "safe" if finding.fix.safe else "unsafe (applied only with --unsafe-fixes)"
        return [{"description": {"text": f"{finding.fix.description} ({kind} fix)"},
                 "artifactChanges": [{"artifactLocation": artifact, "replacements": replacements}]}]

    def result_of(finding: Finding) -> dict[str, Any]:
        message = finding.message if finding.message.strip() else finding.name
        related = [r.message if r.message.strip() else "related location" for r in finding.related[:MAX_RELATED]]
        result: dict[str, Any] = {"ruleId": finding.code}
        if finding.code in rule_index:
            result["ruleIndex"] = rule_index[finding.code]
        result["level"] = LEVELS[finding.severity]
        result["message"] = {"text": linked_message(message, related)}
        result["locations"] = [location(finding.location)]
        if related:
            result["relatedLocations"] = [location(r.location, text, i)
                                          for i, (r, text) in enumerate(zip(finding.related, related, strict=False), 1)]
        result["partialFingerprints"] = {"primaryLocationLineHash": fingerprints[id(finding)]}
        if suppressions:
            result["suppressions"] = [] if finding.suppressed is None else [_suppression(finding)]
        if finding.fix is not None and finding.fix.edits:
            result["fixes"] = fixes(finding)
        return result

    notifications = []
    for finding in findings:
        if finding.code in EXECUTION_PROBLEMS and finding.suppressed is None:
            reference: dict[str, Any] = {"id": finding.code}
            if finding.code in rule_index:
                reference["index"] = rule_index[finding.code]
            notifications.append({"level": LEVELS[finding.severity],
                                  "message": {"text": f"{finding.location.path}: {finding.message}"},
                                  "locations": [location(finding.location)],
                                  "associatedRule": reference})
    if dropped:
        warning = truncation_warning(dropped, limit)
        notifications.append({"level": "warning", "message": {"text": warning}})
        sys.stderr.write(f"kubelint-py: warning: {warning}\n")

    successful = not report.internal_errors and not any(
        f.code in UNSUCCESSFUL and f.suppressed is None for f in report.findings)
    invocation: dict[str, Any] = {"executionSuccessful": successful}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": __version__}
    if _SEMVER.fullmatch(__version__):  # a PEP 440 development version such as 0.2.0.dev1 is not SemVer
        driver["semanticVersion"] = __version__
    if docs is not None:
        driver["informationUri"] = f"{docs}rules.md"
    driver["rules"] = descriptors
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": paths.root_uri()}},
        "columnKind": "unicodeCodePoints",
        "results": [],
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}, (result_of(f) for f in findings)


def truncation_warning(dropped: int, limit: int) -> str:
    return (f"{dropped} more result{'' if dropped == 1 else 's'} left out of the SARIF log: GitHub code "
            f"scanning accepts at most {limit} results per run (the most severe were kept); fix or "
            "suppress findings, or lint fewer paths per run")


def _suppression(finding: Finding) -> dict[str, Any]:
    assert finding.suppressed is not None
    kind = finding.suppressed.kind if finding.suppressed.kind in ("inSource", "external") else "external"
    out: dict[str, Any] = {"kind": kind, "status": "accepted"}
    if finding.suppressed.justification:
        out["justification"] = finding.suppressed.justification
    return out


def render(report: Report, *, all_rules: bool = False, suppressions: bool = False, cwd: Path | None = None,
           max_results: int | None = None) -> str:
    out = io.StringIO()
    write(report, out, all_rules=all_rules, suppressions=suppressions, cwd=cwd, max_results=max_results)
    return out.getvalue()


def write(report: Report, stream: TextIO, *, all_rules: bool = False, suppressions: bool = False,
          cwd: Path | None = None, max_results: int | None = None) -> None:
    """The log of `build_log`, byte for byte as json.dumps writes it, a piece at a time: each result,
    rule descriptor and notification is made and written on its own (a run's results are most of its log).

    Compact: json's C encoder is not used with indent, which makes indenting 5x slower than everything
    else together for big logs. `python -m json.tool results.sarif` shows it indented. C1 controls and
    bidi overrides from file content are written as \\u escapes (terminal-safe), the same document."""
    log, results = _log_and_results(report, all_rules_=all_rules, suppressions=suppressions, cwd=cwd,
                                    max_results=max_results)
    log["runs"][0]["results"] = results
    _stream(log, lambda text: stream.write(terminal_safe_json(text)), _STREAMED_LEVELS)
    stream.write("\n")


_STREAMED_LEVELS = 6
"""Containers this deep are written member by member (down to a run's results and the driver's rules);
deeper ones whole, by json.dumps."""


def _stream(value: Any, write: Callable[[str], object], levels: int) -> None:
    """json.dumps(value, ensure_ascii=False), written piecewise (an iterator is written as a list)."""
    if levels and isinstance(value, dict):
        write("{")
        for number, (key, item) in enumerate(value.items()):
            write((", " if number else "") + json.dumps(key, ensure_ascii=False) + ": ")
            _stream(item, write, levels - 1)
        write("}")
    elif levels and isinstance(value, list | Iterator):
        write("[")
        for number, item in enumerate(value):
            if number:
                write(", ")
            _stream(item, write, levels - 1)
        write("]")
    else:
        write(json.dumps(value, ensure_ascii=False))
