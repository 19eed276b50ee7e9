"""Applying fixes: the text edits rules attach to their findings (engine.registry.Fix).

Fixes never re-dump a file: each is a few (span, text) edits in the file the finding points at, and
every byte outside the edits stays as it was. Within one pass the fixes of a file whose edits do not
overlap are applied together; the result is parsed again and kept only when

- it still parses (no new YAML or Dockerfile problem), with as many documents or instructions as before;
- nothing changed but what the edits touched: the YAML documents are compared value by value (a changed,
  added or removed value must lie inside an edited region, before and after), the Dockerfile
  instruction by instruction (an instruction no edit touched must be identical).

When the fixes of a file fail that check together, they are tried one at a time and only those that
pass are kept. kubelint_py.api.fix_paths runs lint -> fix -> write until nothing more is fixable (at most
MAX_PASSES rounds), since it lints; everything here works on a Report and texts.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tempfile
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kubelint_py.core.source import Span
from kubelint_py.engine.registry import Edit, Finding, Fix

if TYPE_CHECKING:
    from kubelint_py.loading.source_file import SourceFile
    from kubelint_py.results.report import Report

MAX_PASSES = 10
"""Lint-and-fix rounds at most: fixes that touch the same place (two findings about one line) land in
later rounds, and a rule pair that keeps undoing each other must not loop forever."""

MAX_FIXES_PER_FILE = 10_000
"""Fixes considered per file and pass (a hostile file can carry hundreds of thousands of findings)."""

_YAML_KINDS = frozenset({"kubernetes", "compose", "other"})
_YAML_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def applicable(fix: Fix | None, *, unsafe: bool) -> bool:
    return fix is not None and bool(fix.edits) and (fix.safe or unsafe)


def fixable(finding: Finding, *, unsafe: bool = False) -> bool:
    """An active finding with a fix that --fix (with --unsafe-fixes when `unsafe`) would try."""
    return finding.suppressed is None and applicable(finding.fix, unsafe=unsafe)


# --- positions -----------------------------------------------------------------------------------


class _Lines:
    """Line starts and ends of a text, counting line breaks as the file's parser does."""

    def __init__(self, text: str, yaml: bool) -> None:
        self.length = len(text)
        self.starts = [0]
        self.ends: list[int] = []
        if yaml:
            for match in _YAML_BREAKS.finditer(text):
                self.ends.append(match.start())
                self.starts.append(match.end())
        else:
            position = text.find("\n")
            while position >= 0:
                self.ends.append(position - 1 if position and text[position - 1] == "\r" else position)
                self.starts.append(position + 1)
                position = text.find("\n", position + 1)
        self.ends.append(len(text))

    def offset(self, line: int, column: int) -> int | None:
        """The character offset of a 1-based line and column; None when outside the text. Column 1 of
        the line after the last is the end of the text (so whole last lines can be deleted)."""
        if line == len(self.starts) + 1 and column == 1:
            return self.length
        if not 0 < line <= len(self.starts) or column < 1:
            return None
        start = self.starts[line - 1]
        if start + column - 1 > self.ends[line - 1]:
            return None  # past the line's end (a span that takes the line break ends at column 1 below)
        return start + column - 1

    def span(self, start: int, end: int) -> Span:
        first = bisect_right(self.starts, start) - 1
        last = bisect_right(self.starts, end) - 1
        return Span(first + 1, start - self.starts[first] + 1, last + 1, end - self.starts[last] + 1)


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when every line break is one."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf == text.count("\n") else "\n"


class Resolved(NamedTuple):
    """An edit as character offsets into one text, its inserted text with the file's line endings."""

    start: int
    end: int
    text: str


def resolve(fix: Fix, text: str, kind: str) -> list[Resolved] | None:
    """The fix's edits as offsets into `text` (sorted), or None when one lies outside it or two overlap."""
    lines = _Lines(text, kind in _YAML_KINDS)
    newline = newline_of(text)
    found: list[Resolved] = []
    for edit in fix.edits:
        start = lines.offset(edit.span.line, edit.span.column)
        end = lines.offset(edit.span.end_line, edit.span.end_column)
        if start is None or end is None or end < start:
            return None
        inserted = edit.text.replace("\n", newline) if newline != "\n" else edit.text
        found.append(Resolved(start, end, inserted))
    found.sort()
    for index, resolved in enumerate(found):
        if any(_overlaps(resolved, other) or resolved == other for other in found[index + 1:]):
            return None
    return found


def resolved_edits(fix: Fix, text: str, kind: str) -> list[tuple[Span, str]]:
    """The edits with the file's own line endings, for reports (SARIF, JSON); [] when they do not apply."""
    found = resolve(fix, text, kind)
    if found is None:
        return []
    lines = _Lines(text, kind in _YAML_KINDS)
    return [(lines.span(r.start, r.end), r.text) for r in found]


def _overlaps(a: Resolved, b: Resolved) -> bool:
    if a == b:
        return False  # the same edit twice (two findings about one comment) is applied once
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would matter
    return a.start < b.end and b.start < a.end


def apply_resolved(text: str, edits: Iterable[Resolved]) -> str:
    parts: list[str] = []
    cursor = 0
    for edit in sorted(set(edits)):
        parts.append(text[cursor:edit.start])
        parts.append(edit.text)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


# --- checking the result -------------------------------------------------------------------------


def _regions(edits: Sequence[Resolved]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Edited regions in the old text and in the new one (offsets shift by the earlier edits)."""
    before: list[tuple[int, int]] = []
    after: list[tuple[int, int]] = []
    delta = 0
    for edit in sorted(set(edits)):
        before.append((edit.start, edit.end))
        after.append((edit.start + delta, edit.start + delta + len(edit.text)))
        delta += len(edit.text) - (edit.end - edit.start)
    return before, after


def _touches(regions: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start <= r_end and r_start <= end for r_start, r_end in regions)


def _same_scalar(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _yaml_changes(a: Any, b: Any, a_span: Span | None, b_span: Span | None,
                  out: list[tuple[Span | None, Span | None]], budget: list[int]) -> None:
    """Collect (old span, new span) of every value that differs between two located YAML trees."""
    from kubelint_py.models.located import YList, YMap

    stack = [(a, b, a_span, b_span)]
    while stack:
        budget[0] -= 1
        if budget[0] < 0:
            out.append((None, None))  # too large to compare: refuse
            return
        a, b, a_span, b_span = stack.pop()
        if isinstance(a, YMap) and isinstance(b, YMap):
            for key in a:
                if key in b:
                    stack.append((a[key], b[key], a.value_span(key), b.value_span(key)))
                else:
                    out.append((a.key_span(key), None))
            out.extend((None, b.key_span(key)) for key in b if key not in a)
        elif isinstance(a, YList) and isinstance(b, YList):
            for index in range(max(len(a), len(b))):
                if index >= len(a):
                    out.append((None, b.item_span(index)))
                elif index >= len(b):
                    out.append((a.item_span(index), None))
                else:
                    stack.append((a[index], b[index], a.item_span(index), b.item_span(index)))
        elif isinstance(a, YMap | YList) or isinstance(b, YMap | YList) or not _same_scalar(a, b):
            out.append((a_span, b_span))


def _check_yaml(kind: str, old: str, new: str, edits: Sequence[Resolved]) -> str | None:
    from kubelint_py.parsing.yaml import Schema, load_yaml

    schema: Schema = "yaml12" if kind == "compose" else "yaml11"
    before, after = load_yaml(old, schema), load_yaml(new, schema)
    if _problem_counts(p.kind for p in after.problems) - _problem_counts(p.kind for p in before.problems):
        return "the file would no longer parse"
    if len(before.documents) != len(after.documents):
        return "the number of YAML documents would change"
    old_lines, new_lines = _Lines(old, True), _Lines(new, True)
    regions_before, regions_after = _regions(edits)
    changes: list[tuple[Span | None, Span | None]] = []
    budget = [4 * len(new) + 1000]
    for doc_a, doc_b in zip(before.documents, after.documents, strict=True):
        _yaml_changes(doc_a.value, doc_b.value, doc_a.span, doc_b.span, changes, budget)
    for old_span, new_span in changes:
        if old_span is None and new_span is None:
            return "the file is too large to compare"
        for span, lines, regions in ((old_span, old_lines, regions_before), (new_span, new_lines, regions_after)):
            if span is None:
                continue
            start, end = lines.offset(span.line, span.column), lines.offset(span.end_line, span.end_column)
            if start is None or end is None or not _touches(regions, start, end):
                where = span.line
                return f"a value outside the edit would change (line {where})"
    return None


def _problem_counts(kinds: Iterable[str]) -> Any:
    from collections import Counter

    return Counter(kinds)


def _instruction_key(ins: Any) -> tuple[Any, ...]:
    return (ins.keyword, ins.arguments, tuple((f.name, f.value) for f in ins.flags), ins.json_args,
            tuple((h.delimiter, h.body) for h in ins.heredocs))


def _check_dockerfile(old: str, new: str, edits: Sequence[Resolved]) -> str | None:
    from kubelint_py.parsing.dockerfile import parse_dockerfile

    before, after = parse_dockerfile("Dockerfile", old), parse_dockerfile("Dockerfile", new)
    if len(after.problems) > len(before.problems):
        return "the Dockerfile would no longer parse"
    if len(before.instructions) != len(after.instructions) or before.escape != after.escape \
            or before.directives != after.directives:
        return "the instructions would change"
    if [s.name for s in before.stages] != [s.name for s in after.stages]:
        return "the stages would change"
    old_lines, new_lines = _Lines(old, False), _Lines(new, False)
    regions_before, regions_after = _regions(edits)
    for ins_a, ins_b in zip(before.instructions, after.instructions, strict=True):
        a_start = old_lines.offset(ins_a.span.line, 1) or 0
        a_end = old_lines.offset(ins_a.span.end_line, ins_a.span.end_column)
        b_start = new_lines.offset(ins_b.span.line, 1) or 0
        b_end = new_lines.offset(ins_b.span.end_line, ins_b.span.end_column)
        touched = _touches(regions_before, a_start, a_end if a_end is not None else old_lines.length) \
            and _touches(regions_after, b_start, b_end if b_end is not None else new_lines.length)
        if not touched and _instruction_key(ins_a) != _instruction_key(ins_b):
            return f"the instruction on line {ins_a.span.line} would change"
    return None


def check_edit(kind: str, old: str, new: str, edits: Sequence[Resolved]) -> str | None:
    """Why the edited text must not be kept, or None when it may."""
    try:
        if kind == "dockerfile":
            return _check_dockerfile(old, new, edits)
        if kind in _YAML_KINDS:
            return _check_yaml(kind, old, new, edits)
    except Exception as error:  # a crash while checking refuses the edit, never the run
        return f"checking the edit failed ({type(error).__name__})"
    return f"files of kind {kind} are not fixed"


# --- one file ------------------------------------------------------------------------------------


@dataclass
class FileFix:
    """The outcome of fixing one file in one pass."""

    path: str
    old: str
    new: str
    fixed: list[Finding] = field(default_factory=list)
    refused: list[tuple[Finding, str]] = field(default_factory=list)


def fix_text(path: str, kind: str, text: str, findings: Iterable[Finding], *, unsafe: bool = False) -> FileFix:
    """Apply the applicable fixes of `findings` (all in this file) to `text`, keeping only verified ones."""
    outcome = FileFix(path, text, text)
    chosen: list[tuple[Finding, list[Resolved]]] = []
    taken: list[Resolved] = []
    candidates = [f for f in findings if fixable(f, unsafe=unsafe)][:MAX_FIXES_PER_FILE]
    candidates.sort(key=Finding.sort_key)
    for finding in candidates:
        assert finding.fix is not None
        edits = resolve(finding.fix, text, kind)
        if edits is None:
            outcome.refused.append((finding, "its edits do not fit the file"))
            continue
        if any(_overlaps(edit, other) for edit in edits for other in taken):
            continue  # overlaps a fix taken earlier: left for the next pass
        chosen.append((finding, edits))
        taken.extend(edits)
    if not chosen:
        return outcome
    new = apply_resolved(text, taken)
    if check_edit(kind, text, new, taken) is None:
        outcome.new = new
        outcome.fixed = [finding for finding, _ in chosen]
        return outcome
    # Together they fail: keep those that pass one at a time (each checked with the ones kept before it).
    kept: list[Resolved] = []
    for finding, edits in chosen:
        trial = [*kept, *edits]
        candidate = apply_resolved(text, trial)
        reason = check_edit(kind, text, candidate, trial)
        if reason is None:
            kept = trial
            outcome.fixed.append(finding)
        else:
            outcome.refused.append((finding, reason))
    outcome.new = apply_resolved(text, kept)
    return outcome


# --- files on disk -------------------------------------------------------------------------------


def disk_text(source: SourceFile) -> tuple[str, bytes] | None:
    """The file's text as it is on disk now and its byte-order mark, when it is still exactly the text
    the findings were computed on (else None: changed since, not UTF-8, or not a regular file)."""
    from kubelint_py.loading.source_file import read_regular_bytes

    if not source.fs_path or not source.text:
        return None
    data = read_regular_bytes(source.fs_path, max(len(source.text) * 4 + 8, 1024))
    if data is None:
        return None
    bom = b""
    if data.startswith(b"\xef\xbb\xbf"):
        bom, data = data[:3], data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return (text, bom) if text == source.text else None


def write_keeping_mode(path: str, content: bytes) -> None:
    """Replace the file atomically (a temporary file in its folder, then a rename), keeping its mode;
    a symbolic link is followed, so the link stays and its target is updated."""
    target = os.path.realpath(path)
    info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path} is not a regular file")
    folder = os.path.dirname(target) or "."
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".kubelint-fix", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass
class FixRun:
    """What api.fix_paths did: the fixed findings, each changed file's text before and after, and the last
    lint's report (what remains)."""

    report: Report
    fixed: list[Finding] = field(default_factory=list)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Display path -> (original text, fixed text)."""
    refused: list[tuple[Finding, str]] = field(default_factory=list)
    passes: int = 0
    errors: list[str] = field(default_factory=list)


def fix_report(report: Report, *, unsafe: bool = False, texts: dict[str, str] | None = None) -> list[FileFix]:
    """One pass over a report: per file, the verified fixes (nothing written). `texts` overrides the
    text of files already changed in memory."""
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if fixable(finding, unsafe=unsafe):
            by_path.setdefault(finding.location.path, []).append(finding)
    results: list[FileFix] = []
    sources = {source.path: source for source in report.files}
    for path, findings in sorted(by_path.items()):
        source = sources.get(path)
        if source is None or source.kind == "template":
            continue  # a rendered or generated file: there is no source file to edit
        text = texts.get(path) if texts is not None else None
        if text is None:
            found = disk_text(source)
            if found is None:
                continue
            text = found[0]
        outcome = fix_text(path, source.kind, text, findings, unsafe=unsafe)
        results.append(outcome)
    return results


def report_edits(finding: Finding, texts: Mapping[str, tuple[str, str]]) -> list[tuple[Span, str]]:
    """A finding's edits for reports: with the file's line endings when its text is known (`texts`: path ->
    (kind, text)), else as the rule wrote them."""
    if finding.fix is None:
        return []
    known = texts.get(finding.location.path)
    if known is not None and known[1]:
        resolved = resolved_edits(finding.fix, known[1], known[0])
        if resolved:
            return resolved
    return [(edit.span, edit.text) for edit in finding.fix.edits]


def fix_counts(report: Report) -> tuple[int, int]:
    """(fixable now, fixable only with --unsafe-fixes) among the report's active findings."""
    now = sum(1 for f in report.active if fixable(f, unsafe=report.unsafe_fixes))
    more = 0 if report.unsafe_fixes else sum(1 for f in report.active if fixable(f, unsafe=True)) - now
    return now, more


def unified_diff(changed: dict[str, tuple[str, str]]) -> str:
    """`--diff`: a unified diff of every changed file (a/ and b/ prefixes, as git writes them)."""
    parts: list[str] = []
    for path, (old, new) in sorted(changed.items()):
        if old == new:
            continue
        shown = path.replace(os.sep, "/")
        for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                         f"a/{shown.lstrip('/')}", f"b/{shown.lstrip('/')}"):
            parts.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(parts)


__all__ = ["MAX_PASSES", "Edit", "FileFix", "Fix", "FixRun", "applicable", "apply_resolved", "check_edit",
           "disk_text", "fix_counts", "fix_report", "fix_text", "fixable", "newline_of", "report_edits", "resolve",
           "resolved_edits", "unified_diff", "write_keeping_mode"]
