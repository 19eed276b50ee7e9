"""Go template text: where the actions are, and a marked copy whose rendered output says which line made it.

Helm's engine gives back only the rendered text. To point a finding at the template line that produced
it, each template is rendered twice: as written, and with a marker at the end of each line of literal
text (outside `define`/`block`, whose output other templates capture, compare and hash). The marked
output, with the markers removed, must equal the plain output byte for byte (the caller checks); a line
of output then belongs to the first marker on it, or to the next marker below it (lines an `include`,
`toYaml` or `range` produced end where the calling line's marker lands).

Markers never change what Helm renders because they are placed only where no whitespace trimming
(`{{-`, `-}}`) can reach across them: after a non-blank character or after an action that does not trim
to its right. An `if`/`with` without an `else` also gets `{{ else }}<skip marker>` before its `end`, so the
output shows where a block was switched off (a probe disabled in a values file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_TEMPLATE_CHARS = 2_000_000
"""Longer template files are rendered but not marked (their lines map by text only)."""
MAX_ACTIONS = 200_000


class Action(NamedTuple):
    start: int
    """Offset of `{{`."""
    end: int
    """Offset just after `}}`."""
    left_trim: bool
    right_trim: bool
    keyword: str
    """First word of the action (`if`, `end`, `include`, ...), `/*` for a comment, "" otherwise."""
    body: str


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def scan_actions(text: str) -> list[Action] | None:
    """Every `{{ ... }}` of a template, in order; None when the text is not well formed (an action never
    closed) or over the budget. Strings, raw strings, character constants and comments are skipped, so
    a `}}` inside them does not end the action."""
    actions: list[Action] = []
    pos = 0
    length = len(text)
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return actions
        if len(actions) >= MAX_ACTIONS:
            return None
        i = start + 2
        left_trim = i + 1 < length and text[i] == "-" and text[i + 1] in " \t\r\n"
        if left_trim:
            i += 1
        while i < length and text[i] in " \t\r\n":
            i += 1
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return None
            j = close + 2
            while j < length and text[j] in " \t\r\n":
                j += 1
            right_trim = text.startswith("-}}", j) and j > close + 2
            if right_trim:
                j += 1
            if not text.startswith("}}", j):
                return None
            actions.append(Action(start, j + 2, left_trim, right_trim, "/*", ""))
            pos = j + 2
            continue
        body_start = i
        j = i
        end = -1
        while j < length:
            char = text[j]
            if char == '"':
                j += 1
                while j < length and text[j] != '"':
                    if text[j] == "\\":
                        j += 1
                    elif text[j] == "\n":
                        return None
                    j += 1
            elif char == "`":
                close = text.find("`", j + 1)
                if close < 0:
                    return None
                j = close
            elif char == "'":
                j += 1
                while j < length and text[j] != "'":
                    if text[j] == "\\":
                        j += 1
                    j += 1
            elif char == "}" and text.startswith("}}", j):
                end = j
                break
            j += 1
        if end < 0:
            return None
        right_trim = end >= 2 and text[end - 1] == "-" and text[end - 2] in " \t\r\n"
        body = text[body_start:end - 1 if right_trim else end].strip()
        match = _WORD.match(body)
        actions.append(Action(start, end + 2, left_trim, right_trim, match.group(0) if match else "", body))
        pos = end + 2


_OPENERS = frozenset({"if", "range", "with", "define", "block"})


@dataclass
class Structure:
    """Which text of a template is emitted where it stands, and its conditional blocks."""

    actions: list[Action]
    outside_after: list[bool]
    """Per action: True when the text after it is outside every `define`/`block` (so it is output)."""
    conditionals: list[tuple[int, int]] = field(default_factory=list)
    """(opening action index, `end` action index) of each `if`/`with` that has no `else`."""
    defines: dict[str, int] = field(default_factory=dict)
    """Template name -> offset of its `define` action."""


_DEFINE_NAME = re.compile(r'(?:define|block)\s+"([^"]*)"')


def structure(actions: list[Action]) -> Structure | None:
    """None when `end`s do not balance (the template will not parse anyway)."""
    stack: list[tuple[str, int, bool]] = []  # keyword, action index, has else
    defines_open = 0
    after: list[bool] = []
    found = Structure(actions, after)
    for index, action in enumerate(actions):
        keyword = action.keyword
        outside = defines_open == 0
        if keyword in _OPENERS:
            stack.append((keyword, index, False))
            if keyword in ("define", "block"):
                defines_open += 1
                name = _DEFINE_NAME.match(action.body)
                if name is not None:
                    found.defines.setdefault(name.group(1), action.start)
        elif keyword == "else":
            if not stack:
                return None
            opened, where, _ = stack[-1]
            stack[-1] = (opened, where, True)
        elif keyword == "end":
            if not stack:
                return None
            opened, where, has_else = stack.pop()
            if opened in ("define", "block"):
                defines_open -= 1
            elif opened in ("if", "with") and not has_else and outside:
                found.conditionals.append((where, index))
        after.append(defines_open == 0)
    if stack:
        return None
    return found


def marker(nonce: str, file_id: int, line: int) -> str:
    return f"@@kl{nonce}:{file_id}:{line}@@"


def skip_marker(nonce: str, file_id: int, line: int) -> str:
    return f"@@kl{nonce}s:{file_id}:{line}@@"


def marker_pattern(nonce: str) -> re.Pattern[str]:
    """Group 1: `s` for a skipped block, group 2: file id, group 3: line."""
    return re.compile(rf"@@kl{re.escape(nonce)}(s?):(\d+):(\d+)@@")


def mark(text: str, nonce: str, file_id: int) -> str:
    """The template with line and skip markers (unchanged when it cannot be marked safely)."""
    if len(text) > MAX_TEMPLATE_CHARS or "@@kl" in text:
        return text
    actions = scan_actions(text)
    if actions is None:
        return text
    shape = structure(actions)
    if shape is None:
        return text
    inserts: list[tuple[int, str]] = []
    # Line markers: each newline in emitted text, after a non-blank character or a non-trimming action.
    segment_start = 0
    for index in range(len(actions) + 1):
        segment_end = actions[index].start if index < len(actions) else len(text)
        emitted = index == 0 or shape.outside_after[index - 1]
        if emitted:
            previous = actions[index - 1] if index > 0 else None
            offset = text.find("\n", segment_start, segment_end)
            while offset >= 0:
                line_no = text.count("\n", 0, offset) + 1
                if offset > segment_start:
                    ok = text[offset - 1] not in " \t\r\n"
                else:
                    ok = previous is not None and not previous.right_trim
                if ok:
                    inserts.append((offset, marker(nonce, file_id, line_no)))
                offset = text.find("\n", offset + 1, segment_end)
        if index < len(actions):
            segment_start = actions[index].end
    for opening, closing in shape.conditionals:
        end_action = actions[closing]
        line_no = text.count("\n", 0, actions[opening].start) + 1
        trim = "{{- else }}" if end_action.left_trim else "{{ else }}"
        inserts.append((end_action.start, trim + skip_marker(nonce, file_id, line_no)))
    inserts.sort(key=lambda item: item[0])
    pieces: list[str] = []
    last = 0
    for offset, piece in inserts:
        pieces.append(text[last:offset])
        pieces.append(piece)
        last = offset
    pieces.append(text[last:])
    return "".join(pieces)


class LineMap(NamedTuple):
    """Where each line of one rendered output came from."""

    text: str
    """The output without markers (equal to Helm's own output)."""
    lines: list[int]
    """Per output line (0-based index): the template line (1-based) that produced it, 0 when unknown."""
    skipped: list[tuple[int, int]]
    """(output line, template line of the `if`/`with`) of each conditional block that was switched off."""


def unmark(rendered: str, nonce: str, file_id: int) -> LineMap:
    """Strip the markers of a marked output and say which template line made each output line."""
    pattern = marker_pattern(nonce)
    out_lines: list[str] = []
    owners: list[int] = []
    skipped: list[tuple[int, int]] = []
    pending: list[int] = []
    last_owner = 0
    for number, raw in enumerate(rendered.split("\n")):
        owner = 0
        pieces: list[str] = []
        position = 0
        for match in pattern.finditer(raw):
            pieces.append(raw[position:match.start()])
            position = match.end()
            if int(match.group(2)) != file_id:
                continue
            line = int(match.group(3))
            if match.group(1):
                skipped.append((number, line))
            elif owner == 0:
                owner = line
        pieces.append(raw[position:])
        out_lines.append("".join(pieces))
        if owner:
            for waiting in pending:
                owners[waiting] = owner
            pending.clear()
            last_owner = owner
            owners.append(owner)
        else:
            pending.append(number)
            owners.append(0)
    for waiting in pending:  # output after the last marker: the last line that had one
        owners[waiting] = last_owner
    return LineMap("\n".join(out_lines), owners, skipped)
