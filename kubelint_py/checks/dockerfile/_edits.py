"""Text edits for Dockerfile fixes: where a command, or one of its words, sits in the file.

The shell analyser (parsing/shell.py) gives the words of each command but not their positions, so they are
found again in the instruction's raw text, in command order, as rules' locations are (see _common.py).
Every helper returns None when it cannot be sure (a quoted command word, a command inside `sh -c`, an
exec-form instruction): no fix is better than a wrong one, and the fix engine re-parses what it writes.
"""

from __future__ import annotations

import json
import re

from kubelint_py.checks.dockerfile._common import Command, _find_word, run_commands
from kubelint_py.core.source import Span
from kubelint_py.engine.registry import Edit
from kubelint_py.models.dockerfile import Instruction


class _Raw:
    """An instruction's raw lines (its first line whole, continuations, heredoc bodies) and the way
    between offsets in them and file positions."""

    def __init__(self, ins: Instruction) -> None:
        self.ins = ins
        self.text = ins.raw
        self.starts = [0]
        self.comments: list[tuple[int, int]] = []
        for index, line in enumerate(self.text.split("\n")):
            if index and line.lstrip().startswith("#"):
                self.comments.append((self.starts[-1], self.starts[-1] + len(line)))
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, column: int) -> int | None:
        index = line - self.ins.span.line
        if not 0 <= index < len(self.starts) - 1:
            return None
        return self.starts[index] + column - 1

    def point(self, offset: int) -> Span:
        index = max(i for i, start in enumerate(self.starts) if start <= offset)
        return Span.point(self.ins.span.line + index, offset - self.starts[index] + 1)

    def args_start(self) -> int | None:
        """Offset just after the keyword and its flags."""
        end = self.ins.flags[-1].span if self.ins.flags else self.ins.keyword_span
        return self.offset(end.end_line, end.end_column)


def _first_word(command: Command) -> str:
    cmd = command.cmd
    return cmd.assignments[0].split("=", 1)[0] + "=" if cmd.assignments else (cmd.words[0] if cmd.words else "")


def command_offsets(ins: Instruction) -> tuple[_Raw, list[int]] | None:
    """Offsets (in the raw text) where each command of a shell-form RUN starts; None when one cannot be
    found where the rules' own locations put it."""
    if ins.is_exec_form:
        return None
    commands = run_commands(ins)
    raw = _Raw(ins)
    cursor = raw.args_start()
    if cursor is None or not commands:
        return None
    found: list[int] = []
    for command in commands:
        word = _first_word(command)
        position = _find_word(raw.text, word, cursor, raw.comments) if word else -1
        if position < 0 or raw.offset(command.line, command.column) != position:
            return None
        found.append(position)
        cursor = position + len(word)
    return raw, found


def _word_in(ins: Instruction, command: Command, word: str) -> tuple[_Raw, int] | None:
    """The offset of `word` within a depth-0 command (the first occurrence after its first word)."""
    if command.cmd.depth:
        return None
    located = command_offsets(ins)
    if located is None:
        return None
    raw, offsets = located
    start = offsets[command.index]
    end = offsets[command.index + 1] if command.index + 1 < len(offsets) else len(raw.text)
    position = _find_word(raw.text, word, start, raw.comments)
    if position < 0 or position + len(word) > end:
        return None
    return raw, position


def insert_after_word(ins: Instruction, command: Command, word: str, text: str) -> Edit | None:
    """Insert `text` right after `word` of the command (`install` -> `install -y`)."""
    found = _word_in(ins, command, word)
    if found is None:
        return None
    raw, position = found
    return Edit(raw.point(position + len(word)), text)


def insert_before_word(ins: Instruction, command: Command, word: str, text: str) -> Edit | None:
    found = _word_in(ins, command, word)
    if found is None:
        return None
    raw, position = found
    return Edit(raw.point(position), text)


def replace_word(ins: Instruction, command: Command, word: str, text: str) -> Edit | None:
    found = _word_in(ins, command, word)
    if found is None:
        return None
    raw, position = found
    start = raw.point(position)
    return Edit(Span(start.line, start.column, start.line, start.column + len(word)), text)


def prepend_to_script(ins: Instruction, text: str) -> Edit | None:
    """Insert `text` before the first command of a RUN, when only blanks separate it from the keyword
    and flags (no subshell or comment first)."""
    if ins.heredocs:
        return None
    located = command_offsets(ins)
    if located is None:
        return None
    raw, offsets = located
    start = raw.args_start()
    if start is None or not _BLANK.fullmatch(raw.text[start:offsets[0]]):
        return None
    return Edit(raw.point(offsets[0]), text)


_BLANK = re.compile(r"(?:[ \t]|[\\`][ \t]*\n)*")
"""Blanks and line continuations (with either escape character)."""


_ENDS_OPEN = re.compile(r"(?:[;&|(\\{]|\b(?:then|do|else|elif|in))$")


def append_command(ins: Instruction, command: str) -> Edit | None:
    """Run `command` last in a shell-form RUN: ` && command` at the end of its last line, when that line
    ends a complete command (no trailing operator, comment or continuation), or a line of its own before
    the delimiter of a RUN that is one heredoc script."""
    if ins.is_exec_form or command_offsets(ins) is None:
        return None
    if ins.heredocs:
        doc = ins.heredocs[0]
        if len(ins.heredocs) != 1 or ins.shell_script != doc.body or doc.span.end_line != ins.span.end_line:
            return None
        return Edit(Span.point(doc.span.end_line, 1), f"{command}\n")
    last = ins.raw.split("\n")[-1]
    stripped = last.rstrip()
    if not stripped or "#" in last or _ENDS_OPEN.search(stripped):
        return None
    return Edit(Span.point(ins.span.end_line, len(stripped) + 1), f" && {command}")


_SIMPLE_WORD = re.compile(r"[A-Za-z0-9_./:=@%+,-]+")


def exec_form(ins: Instruction) -> Edit | None:
    """`CMD gunicorn app:app` -> `CMD ["gunicorn", "app:app"]`, for one-line instructions of plain words
    (no quotes, variables, globs or operators, whose meaning the shell would change)."""
    if ins.flags or ins.span.end_line != ins.span.line or ins.is_exec_form:
        return None
    words = ins.arguments.split()
    if not words or not all(_SIMPLE_WORD.fullmatch(w) for w in words):
        return None
    raw = _Raw(ins)
    start = raw.args_start()
    if start is None:
        return None
    while start < len(raw.text) and raw.text[start] in " \t":
        start += 1
    first = raw.point(start)
    end = len(raw.text.rstrip())
    return Edit(Span(first.line, first.column, ins.span.line, end + 1), json.dumps(words))


def replace_instruction(ins: Instruction, text: str) -> Edit | None:
    """Replace a one-line instruction (from its keyword to the end of its text)."""
    if ins.span.end_line != ins.span.line:
        return None
    end = len(ins.raw.rstrip())
    return Edit(Span(ins.keyword_span.line, ins.keyword_span.column, ins.span.line, end + 1), text)
