"""Suppressions: findings silenced by the user are marked, never dropped.

Marked findings stay in the report so SARIF can carry them and unused suppressions can be reported.
Sources, applied in this order:

1. in-source (kind "inSource"): `# kubelint: ignore=CODE,...` comments in YAML (end of the line, or
   alone on the line above), the same comment above a Dockerfile instruction (plus hadolint's
   `# hadolint ignore=DL...`), `# kubelint: ignore-file=...`, and the `kubelint.io/ignore`
   annotation on a Kubernetes object or its pod template;
2. unused in-source suppressions become KL007 findings;
3. per-path ignores from the configuration (kind "external");
4. the baseline (kind "external", justification "baseline").
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kubelint_py.core.source import Location, Span
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.registry import Edit, Finding, Fix, Rule, Suppression, loaded_rules, rule_matches

if TYPE_CHECKING:
    from kubelint_py.engine.config import Config
    from kubelint_py.loading.source_file import SourceFile
    from kubelint_py.models.dockerfile import Dockerfile
    from kubelint_py.models.located import YMap

ANNOTATION = "kubelint.io/ignore"
_NOT_LINTED = frozenset({diag.PARSE_ERROR.code, diag.TEMPLATE_SKIPPED.code, diag.UNREADABLE.code})

# `kubelint: ignore=KS102, latest-tag -- reason` (the text after the `#`).
_KUBELINT = re.compile(
    r"kubelint:\s*(?P<kind>ignore-file|ignore)\s*=\s*(?P<codes>[\w./-]+(?:\s*,\s*[\w./-]+)*)"
    r"(?:\s*--\s*(?P<reason>.*))?", re.IGNORECASE)
# hadolint's pragmas: `hadolint ignore=DL3008,DL3015` and `hadolint global ignore=...`.
_HADOLINT = re.compile(r"hadolint\s+(?P<global>global\s+)?ignore\s*=\s*(?P<codes>[\w-]+(?:\s*,\s*[\w-]+)*)",
                       re.IGNORECASE)


@dataclass(eq=False)
class Pragma:
    """One suppression written by the user."""

    path: str
    line: int
    column: int
    codes: tuple[str, ...]
    reason: str
    first: int
    """First line covered (0 with last=0: the whole file; last < first: covers nothing)."""
    last: int
    origin: str
    """"comment", "hadolint" or "annotation"."""
    block: tuple[int, int] | None = None
    """For annotations: the span of the document they sit in (documents do not overlap)."""
    used: set[str] = field(default_factory=set)

    @property
    def whole_file(self) -> bool:
        return self.first == 0 and self.last == 0

    def covers(self, line: int) -> bool:
        return self.whole_file or self.first <= line <= self.last


def split_codes(text: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in re.split(r"[,\s]+", text) if code.strip())


def parse_annotation(value: str) -> tuple[tuple[str, ...], str]:
    """`"KS102, DF301 -- reason"` -> (("KS102", "DF301"), "reason")."""
    codes, sep, reason = value.partition("--")
    return split_codes(codes), reason.strip() if sep else ""


# --- finding the pragmas -------------------------------------------------------------------------


def yaml_comment_start(line: str) -> int | None:
    """Index of the `#` that starts a YAML comment on this line, or None.

    `#` starts a comment only at the start of the line or after whitespace, and never inside a quoted
    scalar; a quote only opens a scalar where a scalar can start (so `it's` does not open one).
    """
    if "#" not in line:
        return None
    quote = ""
    can_start = True
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote == '"':
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quote = ""
                can_start = False
        elif quote == "'":
            if ch == "'":
                if i + 1 < n and line[i + 1] == "'":
                    i += 2
                    continue
                quote = ""
                can_start = False
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        elif ch in "\"'" and can_start:
            quote = ch
        elif ch in " \t":
            pass
        else:
            can_start = ch in "-:[{,?"
        i += 1
    return None


_BLOCK_HEADER = re.compile(r"(?:^|[\s:-])[|>][-+0-9]*\s*$")


def _block_scalar_lines(lines: list[str]) -> set[int]:
    """Line numbers (1-based) inside block scalars (`key: |`, `- >-`): text there is content, not a
    comment, so `# kubelint: ignore-file=all` in a ConfigMap's script does not silence the file."""
    inside: set[int] = set()
    header_indent: int | None = None
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if header_indent is not None:
            if not stripped.strip() or indent > header_indent:
                inside.add(number)
                continue
            header_indent = None
        start = yaml_comment_start(line)
        code = line if start is None else line[:start]
        if ("|" in code or ">" in code) and _BLOCK_HEADER.search(code):
            header_indent = indent
    return inside


def yaml_pragmas(path: str, text: str) -> list[Pragma]:
    if "kubelint" not in text:
        return []
    lines = text.splitlines()
    found: list[Pragma] = []
    in_block = _block_scalar_lines(lines) if ("|" in text or ">" in text) else set()
    for number, line in enumerate(lines, 1):
        if "kubelint" not in line or number in in_block:
            continue
        start = yaml_comment_start(line)
        if start is None:
            continue
        match = _KUBELINT.search(line, start)
        if match is None or line[start + 1:match.start()].strip():
            continue
        pragma = Pragma(path, number, start + 1, split_codes(match.group("codes")),
                        (match.group("reason") or "").strip(), number, number, "comment")
        if match.group("kind").lower() == "ignore-file":
            pragma.first = pragma.last = 0
        elif not line[:start].strip():
            # Alone on its line: it covers the next line that is neither blank nor a comment.
            pragma.first, pragma.last = number + 1, number  # nothing, unless such a line follows
            for following in range(number, len(lines)):
                stripped = lines[following].lstrip()
                if stripped and not stripped.startswith("#"):
                    pragma.first = pragma.last = following + 1
                    break
        found.append(pragma)
    return found


def dockerfile_pragmas(path: str, dockerfile: Dockerfile) -> list[Pragma]:
    """Pragmas in comments cover the next instruction (all its lines), like hadolint's."""
    comments = {c.line: c.text for c in dockerfile.comments}
    if not any("kubelint" in t.lower() or "hadolint" in t.lower() for t in comments.values()):
        return []
    starts = [ins.span.line for ins in dockerfile.instructions]
    found: list[Pragma] = []
    for line, text in sorted(comments.items()):
        match = _KUBELINT.match(text)
        hadolint = None if match is not None else _HADOLINT.match(text)
        if match is None and hadolint is None:
            continue
        if match is not None:
            pragma = Pragma(path, line, 1, split_codes(match.group("codes")), (match.group("reason") or "").strip(),
                            line + 1, line, "comment")
            whole = match.group("kind").lower() == "ignore-file"
        else:
            assert hadolint is not None
            pragma = Pragma(path, line, 1, split_codes(hadolint.group("codes")), "", line + 1, line, "hadolint")
            whole = bool(hadolint.group("global"))
        if whole:
            pragma.first = pragma.last = 0
        else:
            position = bisect.bisect_right(starts, line)
            enclosing = dockerfile.instructions[position - 1] if position > 0 else None
            if enclosing is not None and enclosing.span.end_line > line:
                # A comment between the continuation lines of an instruction covers that instruction.
                pragma.first, pragma.last = enclosing.span.line, enclosing.span.end_line
            elif position < len(starts):
                instruction = dockerfile.instructions[position]
                # Only comment lines may separate the pragma from its instruction.
                if all(n in comments for n in range(line + 1, instruction.span.line)):
                    pragma.first, pragma.last = instruction.span.line, instruction.span.end_line
        found.append(pragma)
    return found


def annotation_pragmas(source: SourceFile) -> list[Pragma]:
    found: list[Pragma] = []
    for resource in source.resources:
        span = resource.doc_span
        block = (span.line, span.end_line)
        _annotation_pragma(source.path, resource.body.get_map("metadata"), span.line, span.end_line, block, found)
        for workload in resource.all_workloads:
            if workload.template is None:
                continue
            template = workload.template
            _annotation_pragma(source.path, template.get_map("metadata"), template.span.line,
                               template.span.end_line, block, found)
    return found


def _annotation_pragma(path: str, metadata: YMap | None, first: int, last: int, block: tuple[int, int],
                       found: list[Pragma]) -> None:
    annotations = metadata.get_map("annotations") if metadata is not None else None
    if annotations is None or ANNOTATION not in annotations:
        return
    value = annotations.get(ANNOTATION)
    codes, reason = parse_annotation("" if value is None else str(value))
    span = annotations.value_span(ANNOTATION)
    found.append(Pragma(path, span.line, span.column, codes, reason, first, last, "annotation", block))


class PragmaIndex:
    """One file's pragmas, found by line without scanning them all (files may hold thousands)."""

    def __init__(self, pragmas: list[Pragma]) -> None:
        self.pragmas = pragmas
        self.whole = [p for p in pragmas if p.whole_file]
        self.by_line: dict[int, list[Pragma]] = {}
        blocks: dict[tuple[int, int], list[Pragma]] = {}
        for pragma in pragmas:
            if pragma.whole_file or pragma.last < pragma.first:
                continue
            if pragma.block is not None:
                blocks.setdefault(pragma.block, []).append(pragma)
            else:  # comments cover one line or one instruction: a few lines
                for line in range(pragma.first, pragma.last + 1):
                    self.by_line.setdefault(line, []).append(pragma)
        self.blocks = sorted(blocks.items())
        self.block_starts = [first for (first, _), _ in self.blocks]

    def at(self, line: int) -> list[Pragma]:
        found = [*self.whole, *self.by_line.get(line, ())]
        position = bisect.bisect_right(self.block_starts, line) - 1
        if position >= 0:
            (_, last), pragmas = self.blocks[position]
            if line <= last:
                found.extend(p for p in pragmas if p.covers(line))
        return found


def collect_pragmas(files: Iterable[SourceFile]) -> dict[str, list[Pragma]]:
    result: dict[str, list[Pragma]] = {}
    for source in files:
        pragmas: list[Pragma] = []
        if source.dockerfile is not None:
            pragmas.extend(dockerfile_pragmas(source.path, source.dockerfile))
        elif source.text and source.kind in ("kubernetes", "compose", "other"):
            pragmas.extend(yaml_pragmas(source.path, source.text))
        if source.resources:
            pragmas.extend(annotation_pragmas(source))
        if pragmas:
            result[source.path] = pragmas
    return result


# --- applying them -------------------------------------------------------------------------------


def _entry_matches(entry: str, code: str, rule_obj: Rule | None) -> bool:
    if rule_obj is not None:
        return rule_matches(rule_obj, entry)
    return entry.upper() == code or entry.lower() == "all"


def _mark_inline(findings: list[Finding], indexes: dict[str, PragmaIndex],
                 rules: dict[str, Rule]) -> list[Finding]:
    result: list[Finding] = []
    for finding in findings:
        index = indexes.get(finding.location.path)
        if finding.suppressed is not None or index is None:
            result.append(finding)
            continue
        rule_obj = rules.get(finding.code)
        marked = finding
        for pragma in index.at(finding.location.line):
            for entry in pragma.codes:
                if _entry_matches(entry, finding.code, rule_obj):
                    pragma.used.add(entry)
                    if marked is finding:
                        marked = finding._replace(suppressed=Suppression("inSource", pragma.reason))
        result.append(marked)
    return result


def _unused(pragmas: dict[str, list[Pragma]], enabled: list[Rule], config: Config,
            texts: dict[str, str] | None = None) -> list[Finding]:
    rule_obj = diag.UNUSED_SUPPRESSION
    severity = config.severity_of(rule_obj)
    found: list[Finding] = []
    matches: dict[str, list[Rule]] = {}
    for path_pragmas in pragmas.values():
        for pragma in path_pragmas:
            reported: list[tuple[str, str]] = []
            for entry in pragma.codes:
                if entry in pragma.used or entry.upper() == rule_obj.code or entry.lower() == rule_obj.name:
                    continue
                matching = matches.get(entry)
                if matching is None:
                    matching = matches[entry] = [r for r in enabled if rule_matches(r, entry)]
                if not matching or pragma.origin == "hadolint":
                    # A rule that did not run (or that kubelint-py does not have) proves nothing; and a
                    # `# hadolint ignore=` comment is there for hadolint, whose rules judge differently.
                    continue
                what = "annotation" if pragma.origin == "annotation" else "comment"
                label = matching[0].name if len(matching) == 1 and entry.upper() == matching[0].code else ""
                shown = f"{entry} ({label})" if label else entry
                if pragma.last < pragma.first:
                    message = (f"suppression of {shown} in this {what} is not followed by anything it could apply "
                               "to; move it onto or directly above the line it should silence, or remove it")
                else:
                    message = f"suppression of {shown} in this {what} matches no finding; remove it"
                reported.append((entry, message))
            unused = {entry for entry, _ in reported}
            text = texts.get(pragma.path, "") if texts is not None else ""
            for entry, message in reported:
                found.append(Finding(rule_obj.code, rule_obj.name, severity, message,
                                     Location(pragma.path, pragma.line, pragma.column), (), None,
                                     _removal(pragma, entry, unused, text) if text else None))
    return found


# --- the fix of an unused suppression (KL007) ----------------------------------------------------
# Take its code out of the comment, or the comment out of the file when nothing in it is used. Only
# kubelint comments are edited: hadolint comments may serve hadolint, and an annotation is part of the object.

# Line breaks other than \n (and \r\n) make lines of the suppression scan and of the parsers disagree.
_ODD_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]|\r(?!\n)")


def _removal(pragma: Pragma, entry: str, unused: set[str], text: str) -> Fix | None:
    """Edits that remove `entry` from the pragma's comment (the whole comment when every entry in it is
    `unused`); None when the comment cannot be found as written."""
    if pragma.origin != "comment" or not text or _ODD_BREAKS.search(text):
        return None
    lines = text.split("\n")
    if not 0 < pragma.line <= len(lines):
        return None
    line = lines[pragma.line - 1].removesuffix("\r")
    start = yaml_comment_start(line) if pragma.column > 1 else line.find("#")
    if start is None or start < 0:
        return None
    match = _KUBELINT.search(line, start)
    if match is None or line[start + 1:match.start()].strip():
        return None
    codes = split_codes(match.group("codes"))
    if codes != pragma.codes or entry not in codes:
        return None
    number = pragma.line
    if all(code in unused for code in codes):
        if not line[:start].strip():
            edit = Edit(Span(number, 1, number + 1, 1), "")  # a comment line of its own
        else:
            keep = len(line[:start].rstrip())
            edit = Edit(Span(number, keep + 1, number, len(line) + 1), "")
        return Fix((edit,), True, "remove the unused suppression comment")
    remaining = [code for code in codes if code != entry]
    edit = Edit(Span(number, match.start("codes") + 1, number, match.end("codes") + 1), ", ".join(remaining))
    return Fix((edit,), True, f"remove {entry} from the suppression comment")


def _mark_per_path(findings: list[Finding], files: Sequence[SourceFile], config: Config,
                   rules: dict[str, Rule]) -> list[Finding]:
    from kubelint_py.discovery.globs import compile_glob

    base = Path(config.config_path).resolve().parent if config.config_path else Path.cwd()
    compiled = [(glob, compile_glob(glob), entries) for glob, entries in config.per_path_ignores.items()]
    on_disk = {source.path: source.fs_path for source in files if source.fs_path}
    cache: dict[str, str | None] = {}
    result: list[Finding] = []
    for finding in findings:
        if finding.suppressed is not None:
            result.append(finding)
            continue
        path = finding.location.path
        if path not in cache:
            try:
                # realpath, not resolve(): a linted link loop must not raise
                cache[path] = Path(os.path.realpath(on_disk.get(path, path))).relative_to(base).as_posix()
            except ValueError:
                cache[path] = None
        rel = cache[path]
        marked = finding
        if rel is not None:
            rule_obj = rules.get(finding.code)
            for glob, pattern, entries in compiled:
                if pattern.fullmatch(rel) and any(_entry_matches(e, finding.code, rule_obj) for e in entries):
                    marked = finding._replace(suppressed=Suppression("external", f"per-path-ignores: {glob}"))
                    break
        result.append(marked)
    return result


def apply_suppressions(findings: list[Finding], files: Sequence[SourceFile], config: Config) -> list[Finding]:
    """Return the findings with suppressed ones marked, plus KL007 for suppressions that silence nothing."""
    rules = {r.code: r for r in loaded_rules()}
    pragmas = collect_pragmas(files)
    if pragmas:
        indexes = {path: PragmaIndex(found) for path, found in pragmas.items()}
        findings = _mark_inline(findings, indexes, rules)
        if config.is_enabled(diag.UNUSED_SUPPRESSION):
            enabled = [r for r in rules.values() if config.is_enabled(r)]
            # A file that did not parse had no rules run on it: its suppressions prove nothing.
            broken = {f.location.path for f in findings if f.code in _NOT_LINTED}
            unused = _unused({path: found for path, found in pragmas.items() if path not in broken}, enabled, config,
                             {source.path: source.text for source in files})
            # A KL007 can itself be silenced (`ignore=KL007`), but never reports on that.
            findings.extend(_mark_inline(unused, indexes, rules))
    if config.per_path_ignores:
        findings = _mark_per_path(findings, files, config, rules)
    if config.baseline:
        from kubelint_py.results.baseline import apply_baseline, load_baseline

        findings = apply_baseline(findings, files, load_baseline(config.baseline))
    return findings
