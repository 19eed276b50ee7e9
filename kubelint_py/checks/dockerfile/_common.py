"""Helpers shared by the Dockerfile rules: commands of a RUN, their lines, stages that ship.

Locations follow one convention: a finding about an instruction points at its keyword; a finding
about one shell command inside a multi-line RUN (continuations or heredoc body) points at the line
where that command starts, found by walking the instruction's lines in command order.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from kubelint_py.core.source import Location
from kubelint_py.models.dockerfile import MAX_ANCESTRY, Dockerfile, Instruction, Stage
from kubelint_py.parsing.shell import SHELLS, SimpleCommand, command_args, command_name, split_commands


@lru_cache(maxsize=2048)
def _commands(script: str) -> tuple[SimpleCommand, ...]:
    return tuple(split_commands(script))


@dataclass(frozen=True, slots=True)
class Command:
    """A simple command of a RUN with its position in the Dockerfile."""

    cmd: SimpleCommand
    name: str | None
    args: tuple[str, ...]
    line: int
    column: int
    index: int
    end_column: int = 0
    """After the last of the command's words found on its first line (0: not known)."""


_BOUNDARY = " \t;&|(`'\"="


def _find_word(text: str, word: str, start: int, comment_lines: list[tuple[int, int]]) -> int:
    """Offset where ``word`` next starts as a shell token in ``text`` (outside comment lines), or -1."""
    while True:
        pos = text.find(word, start)
        if pos < 0:
            return -1
        before = text[pos - 1] if pos else " "
        end = pos + len(word)
        after = text[end] if end < len(text) else " "
        if ((before in _BOUNDARY or before in "/\n") and (after in _BOUNDARY or after in ")\\\n" or word.endswith("="))
                and not any(a <= pos < b for a, b in comment_lines)):
            return pos
        start = pos + 1


# id(instruction) -> (instruction, commands). Every rule asks for the same RUN's commands; hashing the
# frozen dataclass for an lru_cache costs more than the lookup saves, so cache on identity instead.
_BY_ID: dict[int, tuple[Instruction, tuple[Command, ...]]] = {}
_BY_ID_LIMIT = 4096


def _run_commands(ins: Instruction) -> tuple[Command, ...]:
    entry = _BY_ID.get(id(ins))
    if entry is not None and entry[0] is ins:
        return entry[1]
    result = _compute_commands(ins)
    if len(_BY_ID) >= _BY_ID_LIMIT:
        _BY_ID.clear()
    _BY_ID[id(ins)] = (ins, result)
    return result


def _compute_commands(ins: Instruction) -> tuple[Command, ...]:
    commands = _commands(ins.shell_script)
    raw = ins.raw
    line_starts = [0]
    comment_lines: list[tuple[int, int]] = []
    for index, line in enumerate(raw.split("\n")):
        if index and line.lstrip().startswith("#"):
            comment_lines.append((line_starts[-1], line_starts[-1] + len(line)))
        line_starts.append(line_starts[-1] + len(line) + 1)
    result: list[Command] = []
    # Commands appear in the text in order: search each one's first word after the previous one.
    cursor = 0
    line_no, col = ins.span.line, ins.keyword_span.column
    for i, cmd in enumerate(commands):
        first = cmd.assignments[0].split("=", 1)[0] + "=" if cmd.assignments else (cmd.words[0] if cmd.words else "")
        end_col = 0
        if first and not ins.is_exec_form:
            pos = _find_word(raw, first, cursor, comment_lines)
            if pos >= 0:
                cursor = pos + len(first)
                index = bisect_right(line_starts, pos) - 1
                line_no, col = ins.span.line + index, pos - line_starts[index] + 1
                line_end = line_starts[index + 1] - 1
                end = _words_end(raw, cmd, cursor, line_end, comment_lines)
                end_col = end - line_starts[index] + 1
        result.append(Command(cmd, command_name(cmd), command_args(cmd), line_no, col, i, end_col))
    return tuple(result)


_MAX_WORDS_SPANNED = 64
"""Words of one command followed to find where its text ends (a bound on hostile one-line scripts)."""


def _words_end(raw: str, cmd: SimpleCommand, start: int, line_end: int, comment_lines: list[tuple[int, int]]) -> int:
    """Offset after the last of the command's words that follow `start` on the same line, in order.
    Quoted or expanded words are not found as written: the span then ends at the last one found."""
    end = start
    rest = [*cmd.assignments[1:], *cmd.words] if cmd.assignments else list(cmd.words[1:])
    for word in rest[:_MAX_WORDS_SPANNED]:
        if not word:
            break
        pos = _find_word(raw, word, end, comment_lines)
        if pos < 0 or pos + len(word) > line_end or raw[end:pos].strip(" \t") != "":
            break
        end = pos + len(word)
    return end


_SHEBANG = re.compile(r"^#!\s*(\S+)(?:\s+(\S+))?")


def runs_non_shell_script(ins: Instruction) -> bool:
    """A heredoc RUN whose body starts with a shebang for another interpreter (`#!/usr/bin/env python3`)."""
    if len(ins.heredocs) != 1 or ins.shell_script != ins.heredocs[0].body:
        return False
    match = _SHEBANG.match(ins.heredocs[0].body)
    if match is None:
        return False
    interpreter = match.group(1).rsplit("/", 1)[-1]
    if interpreter == "env" and match.group(2):
        interpreter = match.group(2)
    return interpreter not in SHELLS


def run_commands(ins: Instruction) -> tuple[Command, ...]:
    """The simple commands of a RUN (heredoc bodies included), each with its line.

    Empty for other instructions and for heredoc scripts in another language (a Python shebang).
    """
    if ins.keyword != "RUN" or runs_non_shell_script(ins):
        return ()
    return _run_commands(ins)


def at(dockerfile: Dockerfile, ins: Instruction) -> Location:
    """The instruction's keyword."""
    span = ins.keyword_span
    return Location(dockerfile.path, span.line, span.column, span.end_line, span.end_column)


def at_command(dockerfile: Dockerfile, command: Command) -> Location:
    """The command's words on the line where it starts."""
    if command.end_column > command.column:
        return Location(dockerfile.path, command.line, command.column, command.line, command.end_column)
    return Location(dockerfile.path, command.line, command.column)


def at_line(dockerfile: Dockerfile, ins: Instruction, needle: str) -> Location:
    """The first line of the instruction containing ``needle`` (for values found in its text)."""
    for offset, text in enumerate(ins.raw.split("\n")):
        pos = text.find(needle)
        if pos >= 0:
            return Location(dockerfile.path, ins.span.line + offset, pos + 1)
    return at(dockerfile, ins)


def image_stage_indices(dockerfile: Dockerfile) -> set[int]:
    """Stages whose layers end up in the final image: the last stage and the stages it is built FROM."""
    result: set[int] = set()
    stage = dockerfile.final_stage
    while stage is not None and stage.index not in result:
        result.add(stage.index)
        stage = dockerfile.stages[stage.parent_stage] if stage.parent_stage is not None else None
    return result


def ancestry(dockerfile: Dockerfile, stage: Stage) -> list[Stage]:
    """The stage and the stages it is built FROM, oldest first (at most MAX_ANCESTRY of them: the loader
    reports a longer chain as KL013)."""
    chain: list[Stage] = []
    seen: set[int] = set()
    current: Stage | None = stage
    while current is not None and current.index not in seen and len(chain) < MAX_ANCESTRY:
        seen.add(current.index)
        chain.append(current)
        current = dockerfile.stages[current.parent_stage] if current.parent_stage is not None else None
    return chain[::-1]


def runs(stage: Stage) -> Iterator[Instruction]:
    return (ins for ins in stage.instructions if ins.keyword == "RUN")


def has_cache_mount(ins: Instruction, *targets: str) -> bool:
    """A ``--mount=type=cache`` (or ``type=tmpfs``: nothing written there reaches the layer either) whose
    target is one of ``targets`` or lies under/over one of them."""
    for mount in ins.mounts:
        if mount.get("type") not in ("cache", "tmpfs"):
            continue
        target = (mount.get("target") or mount.get("dst") or mount.get("destination") or "").rstrip("/")
        for wanted in targets:
            wanted = wanted.rstrip("/")
            if target and (target == wanted or wanted.startswith(target + "/") or target.startswith(wanted + "/")):
                return True
    return False


def short_flags(args: tuple[str, ...]) -> set[str]:
    """Letters of clustered short options (``-fsSL`` -> f, s, S, L)."""
    letters: set[str] = set()
    for arg in args:
        if len(arg) > 1 and arg[0] == "-" and arg[1] != "-":
            letters.update(arg[1:])
    return letters


def long_flag(args: tuple[str, ...], *names: str) -> bool:
    return any(a in names or a.split("=", 1)[0] in names for a in args)


def subcommand(args: tuple[str, ...], options_with_values: frozenset[str] = frozenset()) -> str | None:
    """The first non-option argument (``apt-get -q install`` -> install)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in options_with_values
            continue
        return arg
    return None


APT = frozenset({"apt-get", "apt", "aptitude"})
PIP_NAMES = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")


def pip_args(command: Command) -> tuple[str, ...] | None:
    """Arguments after ``pip`` for pip, pip3, pip3.12, python -m pip, uv pip; None for other commands."""
    name = command.name or ""
    if not name.startswith(("pip", "python")):
        return None
    if PIP_NAMES.match(name):
        return command.args
    if re.match(r"^python(?:\d+(?:\.\d+)?)?$", name):
        args = command.args
        for i, arg in enumerate(args[:-1]):
            if arg == "-m" and args[i + 1] == "pip":
                return args[i + 2:]
            if not arg.startswith("-"):
                return None
        return None
    return None


def stage_label(stage: Stage) -> str:
    return f"stage '{stage.name}'" if stage.name else f"stage {stage.index} (FROM {stage.base_image.split('@')[0]})"


__all__ = [
    "APT",
    "Command",
    "ancestry",
    "at",
    "at_command",
    "at_line",
    "command_args",
    "has_cache_mount",
    "image_stage_indices",
    "long_flag",
    "pip_args",
    "run_commands",
    "runs",
    "short_flags",
    "stage_label",
    "subcommand",
]
