# dockerfile-parse 2.0.1 is not used: its line splitter gets heredocs, comment/blank lines inside
# continuations and CRLF wrong, and its WordSplitter ignores the escape directive and keeps \\ and \$ in "".
"""Dockerfile parser producing :mod:`kubelint_py.models.dockerfile` objects. Never raises."""

from __future__ import annotations

import json
import re
import string
from bisect import bisect_right
from collections import ChainMap
from collections.abc import Mapping

from kubelint_py.core.source import Span
from kubelint_py.models.dockerfile import (
    Comment,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    ParseProblem,
    Stage,
)

__all__ = ["expand_variables", "parse_dockerfile"]

KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_JSON_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_DIRECTIVE_RE = re.compile(r"#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=(.*)")
_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_HEREDOC_WORD_END = frozenset(" \t;&|<>()")
_WORD_RE = re.compile(r"\S+")
_KEYWORD_RE = re.compile(r"(\S*)\s*")
# Nested ${A:-${B:-...}} deeper than this is left unexpanded rather than recursing further.
_MAX_DEPTH = 32
# Characters the nested-default search may scan per word (real words are a few dozen long).
_SCAN_BUDGET = 1 << 20


# --------------------------------------------------------------------------- words and variables


class _Expander:
    """Docker's word rules: quotes (optional), the escape token, and ``$`` expansion."""

    __slots__ = ("budget", "escape", "missing", "quotes", "variables")

    def __init__(self, escape: str, variables: Mapping[str, str | None] | None, quotes: bool) -> None:
        self.escape = escape
        self.variables = variables
        self.quotes = quotes
        self.missing: set[str] = set()
        self.budget = _SCAN_BUDGET

    def run(self, text: str, depth: int = 0) -> str:
        if (
            "$" not in text
            and self.escape not in text
            and (not self.quotes or not ("'" in text or '"' in text))
        ):
            return text
        out: list[str] = []
        esc = self.escape
        n = len(text)
        i = 0
        quote: str | None = None
        while i < n:
            c = text[i]
            if quote == "'":
                if c == "'":
                    quote = None
                else:
                    out.append(c)
                i += 1
                continue
            if c == esc and i + 1 < n:
                nxt = text[i + 1]
                if not self.quotes:
                    out.append("$" if nxt == "$" else c + nxt)
                elif quote == '"' and nxt not in ('"', "$", esc):
                    # Inside double quotes Docker keeps an escape that escapes nothing special.
                    out.append(c)
                    i += 1
                    continue
                else:
                    out.append(nxt)
                i += 2
                continue
            if self.quotes and c in "'\"":
                if quote is None:
                    quote = c
                elif quote == c:
                    quote = None
                else:
                    out.append(c)
                i += 1
                continue
            if c == "$" and self.variables is not None:
                i = self._dollar(text, i, out, depth)
                continue
            out.append(c)
            i += 1
        return "".join(out)

    def _value(self, name: str) -> str | None:
        assert self.variables is not None
        return self.variables.get(name)

    def _lookup(self, name: str) -> str:
        value = self._value(name)
        if value is None:
            self.missing.add(name)
            return ""
        return value

    def _dollar(self, text: str, i: int, out: list[str], depth: int) -> int:
        n = len(text)
        j = i + 1
        if j >= n:
            out.append("$")
            return j
        c = text[j]
        if c in _NAME_START:
            k = j
            while k < n and text[k] in _NAME_CHARS:
                k += 1
            out.append(self._lookup(text[j:k]))
            return k
        if c.isdigit():
            out.append(self._lookup(c))
            return j + 1
        if c != "{":
            out.append("$")
            return j
        k = j + 1
        while k < n and text[k] in _NAME_CHARS:
            k += 1
        name = text[j + 1 : k]
        if not name or k >= n:
            out.append(text[i:k])
            return k
        if text[k] == "}":
            out.append(self._lookup(name))
            return k + 1
        colon = text[k] == ":"
        if colon:
            k += 1
        if k >= n or text[k] not in "-+?":
            # Pattern operators (#, %, /) are not modelled: keep the text as written.
            out.append(text[i:k])
            return k
        op = text[k]
        # Each nesting level rescans the rest of the word: bound the total so a hostile line of
        # `${A:-${A:-...` costs a fixed amount, not depth x length.
        self.budget -= n - k
        end = _matching_brace(text, k + 1, self.escape) if self.budget > 0 else -1
        if end < 0:
            out.append(text[i:])
            return n
        word = text[k + 1 : end]
        value = self._value(name)
        unset = value is None or (colon and value == "")
        if op == "-":
            out.append(self._sub(word, depth) if unset or value is None else value)
        elif op == "+":
            out.append("" if unset else self._sub(word, depth))
        elif unset or value is None:
            self.missing.add(name)
        else:
            out.append(value)
        return end + 1

    def _sub(self, word: str, depth: int) -> str:
        if depth >= _MAX_DEPTH:
            return word
        return self.run(word, depth + 1)


# What _matching_brace stops at: an escaped character, `${` or `}` (plain runs are skipped in C).
_BRACE_TOKENS = {esc: re.compile(re.escape(esc) + r".|\$\{|\}", re.DOTALL) for esc in ("\\", "`")}


def _matching_brace(text: str, start: int, escape: str) -> int:
    depth = 1
    pattern = _BRACE_TOKENS.get(escape)
    if pattern is None:
        pattern = re.compile(re.escape(escape) + r".|\$\{|\}", re.DOTALL)
    for match in pattern.finditer(text, start):
        token = match.group()
        if token == "}":
            depth -= 1
            if depth == 0:
                return match.start()
        elif token == "${":
            depth += 1
    return -1


def expand_variables(text: str, variables: Mapping[str, str | None], escape: str = "\\") -> str:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:+a}``, ``${VAR+a}``.

    Unknown variables, and variables whose value is None, expand to "". An escaped ``$`` becomes a
    literal ``$``; quotes are ordinary characters here and other escapes are kept as written.
    """
    return _Expander(escape, variables, quotes=False).run(text)


def _resolve_word(text: str, variables: Mapping[str, str | None], escape: str) -> tuple[str, set[str]]:
    """Dequote and expand like Docker; also return the variables that had no value."""
    expander = _Expander(escape, variables, quotes=True)
    return expander.run(text), expander.missing


def _dequote(text: str, escape: str) -> str:
    return _Expander(escape, None, quotes=True).run(text)


def _split_words(text: str, escape: str, start: int = 0) -> list[tuple[int, int]]:
    """Offsets of whitespace-separated words, quote- and escape-aware; no dequoting."""
    if escape not in text and "'" not in text and '"' not in text:
        return [m.span() for m in _WORD_RE.finditer(text, start)]
    words: list[tuple[int, int]] = []
    n = len(text)
    i = start
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return words
        s = i
        quote: str | None = None
        while i < n:
            c = text[i]
            if quote is not None:
                if c == escape and quote == '"':
                    i += 2
                    continue
                if c == quote:
                    quote = None
            elif c.isspace():
                break
            elif c == escape:
                i += 2
                continue
            elif c in "'\"":
                quote = c
            i += 1
        i = min(i, n)
        words.append((s, i))


def _find_heredocs(text: str, start: int, escape: str) -> list[tuple[str, bool, bool, int]]:
    """Heredoc markers as (delimiter, strip_tabs, quoted, offset).

    Like BuildKit, a marker must start a word (optionally after an fd number), so ``$((1<<2))``
    and quoted ``"<<EOF"`` are not heredocs.
    """
    found: list[tuple[str, bool, bool, int]] = []
    for ws, we in _split_words(text, escape, start):
        i = ws
        while i < we and text[i].isdigit():
            i += 1
        if not text.startswith("<<", i) or text.startswith("<<<", i):
            continue
        marker = i
        i += 2
        strip_tabs = i < we and text[i] == "-"
        if strip_tabs:
            i += 1
        delim: list[str] = []
        quoted = False
        while i < we and text[i] not in _HEREDOC_WORD_END:
            c = text[i]
            if c in "'\"":
                quoted = True
                close = text.find(c, i + 1, we)
                close = we if close < 0 else close
                delim.append(text[i + 1 : close])
                i = close + 1
            elif c == escape:
                quoted = True
                delim.append(text[i + 1 : i + 2])
                i += 2
            else:
                delim.append(c)
                i += 1
        name = "".join(delim)
        if name:
            found.append((name, strip_tabs, quoted, marker))
    return found


def _trim_continuation(line: str, escape: str) -> tuple[bool, str]:
    stripped = line.rstrip(" \t")
    if stripped.endswith(escape):
        return True, stripped[: -len(escape)]
    return False, line


# --------------------------------------------------------------------------- the parser


class _StageBuilder:
    __slots__ = (
        "args",
        "base_image",
        "env",
        "from_instruction",
        "index",
        "instructions",
        "name",
        "parent",
        "platform",
        "resolved",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.name: str | None = None
        self.base_image = ""
        self.resolved: str | None = None
        self.parent: int | None = None
        self.platform: str | None = None
        self.from_instruction: Instruction | None = None
        self.instructions: list[Instruction] = []
        self.args: dict[str, str | None] = {}
        self.env: dict[str, str] = {}

    def variables(self) -> Mapping[str, str | None]:
        """ENV over ARG, as a view: copying both per instruction made 60,000 chained ARGs quadratic."""
        return ChainMap(self.env, self.args)  # type: ignore[arg-type]

    def build(self) -> Stage | None:
        if self.from_instruction is None:
            return None
        return Stage(
            index=self.index,
            name=self.name,
            base_image=self.base_image,
            base_image_resolved=self.resolved,
            parent_stage=self.parent,
            from_instruction=self.from_instruction,
            instructions=tuple(self.instructions),
            args=dict(self.args),
            env=dict(self.env),
            platform=self.platform,
        )


class _Parser:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        if text.startswith("\ufeff"):
            text = text[1:]
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        self.escape = "\\"
        self.directives: dict[str, str] = {}
        self.comments: list[Comment] = []
        self.problems: list[ParseProblem] = []
        self.instructions: list[Instruction] = []
        self.global_args: dict[str, str | None] = {}
        self.stages: list[_StageBuilder] = []
        self.stage_names: dict[str, _StageBuilder] = {}
        """Lower-cased stage name -> the last stage of that name (FROM looks it up: O(1), not a scan)."""

    # -- helpers

    def problem(self, message: str, span: Span) -> None:
        self.problems.append(ParseProblem(message, span))

    def line_span(self, line: int) -> Span:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Span(line, 1, line, len(text) + 1)

    def add_comment(self, index: int) -> None:
        self.comments.append(Comment(index + 1, self.lines[index].strip()[1:].strip()))

    # -- driver

    def run(self) -> Dockerfile:
        i = self.read_directives()
        n = len(self.lines)
        while i < n:
            stripped = self.lines[i].strip()
            if not stripped:
                i += 1
            elif stripped.startswith("#"):
                self.add_comment(i)
                i += 1
            else:
                i = self.read_instruction(i)
        return self.result()

    def result(self) -> Dockerfile:
        stages = tuple(s for s in (b.build() for b in self.stages) if s is not None)
        return Dockerfile(
            path=self.path,
            instructions=tuple(self.instructions),
            stages=stages,
            global_args=dict(self.global_args),
            escape=self.escape,
            directives=dict(self.directives),
            comments=tuple(self.comments),
            problems=tuple(self.problems),
            line_count=len(self.lines),
        )

    def read_directives(self) -> int:
        i = 0
        while i < len(self.lines):
            m = _DIRECTIVE_RE.fullmatch(self.lines[i].strip())
            if m is None:
                break
            key, value = m.group(1).lower(), m.group(2).strip()
            # An unknown directive is a plain comment and ends the directive block (as in BuildKit).
            if key not in _KNOWN_DIRECTIVES or not value:
                break
            if key in self.directives:
                self.problem(f"only one '{key}' parser directive can be used", self.line_span(i + 1))
            else:
                self.directives[key] = value
            self.add_comment(i)
            i += 1
        escape = self.directives.get("escape")
        if escape is not None:
            if escape in ("\\", "`"):
                self.escape = escape
            else:
                line = next(
                    (c.line for c in self.comments if c.text.lower().replace(" ", "").startswith("escape=")),
                    1,
                )
                self.problem(f"invalid escape token '{escape}': must be '\\' or '`'", self.line_span(line))
        return i

    def read_instruction(self, start: int) -> int:
        """Read one instruction starting at line index ``start``; return the next line index."""
        lines = self.lines
        n = len(lines)
        # (offset in logical text, 1-based line, 1-based column) for each joined piece.
        segments: list[tuple[int, int, int]] = []
        pieces: list[str] = []
        length = 0
        idx = start
        last = start
        first = True
        while True:
            line = lines[idx]
            content = line.lstrip() if first else line
            column = len(line) - len(content) + 1
            more, body = _trim_continuation(content, self.escape)
            segments.append((length, idx + 1, column))
            pieces.append(body)
            length += len(body)
            last = idx
            idx += 1
            if not more:
                break
            # Docker skips blank and comment lines inside a continuation.
            while idx < n:
                s = lines[idx].strip()
                if s and not s.startswith("#"):
                    break
                if s:
                    self.add_comment(idx)
                idx += 1
            if idx >= n:
                self.problem("line continuation at end of file", self.line_span(last + 1))
                break
            first = False
        logical = "".join(pieces)
        offsets = [s[0] for s in segments]

        def pos(offset: int) -> tuple[int, int]:
            k = max(bisect_right(offsets, offset) - 1, 0)
            seg_offset, seg_line, seg_col = segments[k]
            return seg_line, seg_col + offset - seg_offset

        # Keyword.
        m = _KEYWORD_RE.match(logical)
        assert m is not None  # the pattern matches the empty string
        keyword_raw = m.group(1)
        kw_end = m.end(1)
        keyword = keyword_raw.upper()
        k_line, k_col = pos(0)
        e_line, e_col = pos(max(kw_end - 1, 0))
        keyword_span = Span(k_line, k_col, e_line, e_col + 1)

        # Flags.
        p = m.end()
        flags: list[Flag] = []
        if logical.startswith("--", p):
            for ws, we in _split_words(logical, self.escape, p):
                if not logical.startswith("--", ws):
                    break
                word = logical[ws:we]
                p = we
                while p < len(logical) and logical[p].isspace():
                    p += 1
                if word == "--":
                    break
                name, sep, value = word[2:].partition("=")
                f_line, f_col = pos(ws)
                fe_line, fe_col = pos(we - 1)
                flags.append(
                    Flag(
                        name,
                        _dequote(value, self.escape) if sep else None,
                        Span(f_line, f_col, fe_line, fe_col + 1),
                    )
                )
        arguments = logical[p:].strip()
        arguments_line = pos(p)[0] if p < len(logical) else k_line

        json_args = _parse_json(arguments) if keyword in _JSON_INSTRUCTIONS else None

        # Heredoc bodies follow the complete logical line.
        heredocs: list[Heredoc] = []
        end_index = last
        if keyword in _HEREDOC_INSTRUCTIONS and json_args is None and "<<" in arguments:
            for delim, strip_tabs, quoted, offset in _find_heredocs(logical, p, self.escape):
                body_lines: list[str] = []
                body_start = idx
                terminated = False
                while idx < n:
                    line = lines[idx]
                    idx += 1
                    if strip_tabs:
                        line = line.lstrip("\t")
                    if line == delim:
                        terminated = True
                        break
                    body_lines.append(line + "\n")
                end_index = max(idx - 1, end_index)
                if not terminated:
                    m_line, m_col = pos(offset)
                    self.problem(
                        f"unterminated heredoc '<<{delim}'",
                        Span(m_line, m_col, m_line, m_col + 2 + len(delim)),
                    )
                first_line = min(body_start + 1, end_index + 1)
                span = Span(first_line, 1, end_index + 1, len(lines[end_index]) + 1 if lines else 1)
                heredocs.append(Heredoc(delim, "".join(body_lines), span, strip_tabs, quoted))

        span = Span(k_line, k_col, end_index + 1, len(lines[end_index]) + 1)
        raw = "\n".join(lines[start : end_index + 1])
        stage_index = len(self.stages) if keyword == "FROM" else len(self.stages) - 1
        pairs = self.parse_pairs(keyword, arguments, span)
        instruction = Instruction(
            keyword=keyword,
            arguments=arguments,
            flags=tuple(flags),
            span=span,
            keyword_span=keyword_span,
            arguments_line=arguments_line,
            stage_index=stage_index,
            heredocs=tuple(heredocs),
            json_args=json_args,
            raw=raw,
            pairs=pairs,
        )
        self.instructions.append(instruction)
        self.apply(instruction)
        return idx

    # -- semantics

    def parse_pairs(self, keyword: str, arguments: str, span: Span) -> tuple[tuple[str, str | None], ...]:
        if keyword not in ("ENV", "LABEL", "ARG"):
            return ()
        words = _split_words(arguments, self.escape)
        if not words:
            return ()
        pairs: list[tuple[str, str | None]] = []
        first = arguments[words[0][0] : words[0][1]]
        if keyword != "ARG" and "=" not in first:
            # Legacy form: the rest of the line is one value.
            if len(words) < 2:
                self.problem(f"{keyword} {first} needs a value", span)
                return ((first, ""),)
            return ((first, _dequote(arguments[words[1][0] :].strip(), self.escape)),)
        for ws, we in words:
            word = arguments[ws:we]
            key, sep, value = word.partition("=")
            if keyword == "ARG":
                pairs.append((key, _dequote(value, self.escape) if sep else None))
            elif not sep or not key:
                self.problem(f"{keyword}: expected name=value, got '{word}'", span)
            else:
                pairs.append((key, _dequote(value, self.escape)))
        return tuple(pairs)

    def apply(self, ins: Instruction) -> None:
        keyword = ins.keyword
        if keyword not in KNOWN_INSTRUCTIONS:
            self.problem(f"unknown instruction '{keyword}'", ins.keyword_span)
        elif not ins.arguments and not ins.heredocs:
            self.problem(f"{keyword} requires at least one argument", ins.keyword_span)
        if keyword == "FROM":
            self.apply_from(ins)
            return
        if not self.stages:
            if keyword == "ARG":
                for name, value in self.raw_arg_values(ins):
                    self.global_args[name] = self.expand(value, self.global_args)
            elif keyword in KNOWN_INSTRUCTIONS:
                self.problem(f"instruction '{keyword}' before the first FROM", ins.keyword_span)
            return
        stage = self.stages[-1]
        stage.instructions.append(ins)
        if keyword == "ARG":
            for name, value in self.raw_arg_values(ins):
                if value is None:
                    # A bare ARG inside a stage re-imports the global default, if any.
                    stage.args[name] = self.global_args.get(name)
                else:
                    stage.args[name] = self.expand(value, stage.variables())
        elif keyword == "ENV":
            visible = stage.variables()  # values as before this instruction: applied after the loop
            values = [(key, self.expand(value, visible) or "") for key, value in self.raw_env_values(ins)]
            stage.env.update(values)

    def raw_arg_values(self, ins: Instruction) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for ws, we in _split_words(ins.arguments, self.escape):
            key, sep, value = ins.arguments[ws:we].partition("=")
            if key:
                out.append((key, value if sep else None))
        return out

    def raw_env_values(self, ins: Instruction) -> list[tuple[str, str]]:
        words = _split_words(ins.arguments, self.escape)
        if not words:
            return []
        first = ins.arguments[words[0][0] : words[0][1]]
        if "=" not in first:
            rest = ins.arguments[words[1][0] :].strip() if len(words) > 1 else ""
            return [(first, rest)]
        out: list[tuple[str, str]] = []
        for ws, we in words:
            key, sep, value = ins.arguments[ws:we].partition("=")
            if key and sep:
                out.append((key, value))
        return out

    def expand(self, value: str | None, variables: Mapping[str, str | None]) -> str | None:
        if value is None:
            return None
        return _resolve_word(value, variables, self.escape)[0]

    def apply_from(self, ins: Instruction) -> None:
        stage = _StageBuilder(len(self.stages))
        stage.from_instruction = ins
        stage.platform = ins.flag("platform")
        words = [ins.arguments[a:b] for a, b in _split_words(ins.arguments, self.escape)]
        if words:
            stage.base_image = words[0]
            if len(words) == 3 and words[1].lower() == "as":
                stage.name = words[2]
            elif len(words) != 1:
                self.problem("FROM requires either one or three arguments: FROM image [AS name]", ins.span)
            resolved, missing = _resolve_word(words[0], self.global_args, self.escape)
            stage.resolved = None if missing else resolved
            target = (resolved if not missing else words[0]).lower()
            earlier = self.stage_names.get(target)
            if earlier is not None:
                stage.parent = earlier.index
                stage.env = dict(earlier.env)
        self.stages.append(stage)
        if stage.name is not None:
            self.stage_names[stage.name.lower()] = stage


def _parse_json(arguments: str) -> tuple[str, ...] | None:
    if not arguments.startswith("["):
        return None
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):  # `CMD [[[[...` nests deeper than the decoder recurses
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse_dockerfile(path: str, text: str) -> Dockerfile:
    """Parse Dockerfile text. Never raises: malformed input is reported in ``problems``."""
    parser = _Parser(path, text)
    try:
        return parser.run()
    except Exception as exc:  # a safety net; every known malformation is handled above
        line = parser.instructions[-1].span.end_line + 1 if parser.instructions else 1
        parser.problem(f"internal parser error: {exc!r}", Span.point(line))
        return parser.result()
