"""Typed model of a parsed Dockerfile. Pure data: built by ``kubelint_py.parsing.dockerfile``."""

from __future__ import annotations

import csv
import shlex
from dataclasses import dataclass, field

from kubelint_py.core.source import Span

# Instructions whose argument text is run by the shell (or exec'd directly in JSON form).
SHELL_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT"})


@dataclass(frozen=True, slots=True)
class Flag:
    """A ``--name[=value]`` flag before the arguments, e.g. ``--from=builder`` or ``--link``."""

    name: str
    value: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document attached to RUN/COPY/ADD.

    ``body`` holds the body lines, each ending in a newline (tabs stripped for ``<<-``);
    ``span`` runs from the first body line to the closing delimiter line.
    """

    delimiter: str
    body: str
    span: Span
    strip_tabs: bool
    quoted: bool


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    arguments: str
    flags: tuple[Flag, ...]
    span: Span
    keyword_span: Span
    arguments_line: int
    stage_index: int
    heredocs: tuple[Heredoc, ...] = ()
    json_args: tuple[str, ...] | None = None
    raw: str = ""
    # ENV/LABEL: (key, value) with quotes removed, variables NOT expanded.
    # ARG: (name, default or None).
    pairs: tuple[tuple[str, str | None], ...] = field(default=())

    def flag(self, name: str) -> str | None:
        """Value of the last ``--name`` flag ("" for a bare flag), or None when absent."""
        found: str | None = None
        for f in self.flags:
            if f.name == name:
                found = f.value if f.value is not None else ""
        return found

    def has_flag(self, name: str) -> bool:
        return any(f.name == name for f in self.flags)

    @property
    def mounts(self) -> tuple[dict[str, str], ...]:
        """Each ``--mount`` as a dict; bare keys such as ``readonly`` map to "true"."""
        result: list[dict[str, str]] = []
        for f in self.flags:
            if f.name != "mount" or not f.value:
                continue
            # BuildKit reads mount options as one CSV record, so quoted values may hold commas.
            try:
                fields = next(csv.reader([f.value]), [])
            except csv.Error:
                fields = f.value.split(",")
            opts: dict[str, str] = {}
            for item in fields:
                item = item.strip()
                if not item:
                    continue
                key, sep, value = item.partition("=")
                opts[key.strip().lower()] = value if sep else "true"
            result.append(opts)
        return tuple(result)

    @property
    def is_exec_form(self) -> bool:
        return self.json_args is not None

    @property
    def shell_script(self) -> str:
        """What the shell is asked to run.

        Exec form is re-quoted so that shell analysis sees the same argv. A RUN consisting of
        a single heredoc runs the body itself (as Docker does); otherwise the heredoc bodies
        follow the command line, exactly as ``sh -c`` would receive them.
        """
        if self.json_args is not None:
            return shlex.join(self.json_args)
        if not self.heredocs:
            return self.arguments
        if len(self.heredocs) == 1 and _only_heredoc_marker(self.arguments):
            return self.heredocs[0].body
        parts = [self.arguments, "\n"]
        for doc in self.heredocs:
            parts.append(doc.body)
            parts.append(doc.delimiter + "\n")
        return "".join(parts)


def _only_heredoc_marker(arguments: str) -> bool:
    words = arguments.split()
    return len(words) == 1 and words[0].startswith("<<")


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    name: str | None
    base_image: str
    base_image_resolved: str | None
    parent_stage: int | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    args: dict[str, str | None]
    env: dict[str, str]
    platform: str | None


MAX_ANCESTRY = 64
"""Stages of a FROM chain that rules look through (a Dockerfile of 20,000 stages each built FROM the one
before made every per-stage rule quadratic: minutes). Real chains are a handful of stages deep."""


def first_cut_chain(stages: tuple[Stage, ...]) -> tuple[Stage, int] | None:
    """The first stage whose FROM chain (itself included) is longer than MAX_ANCESTRY, with that length:
    rules look at only the last MAX_ANCESTRY stages of its chain. Linear: a stage's parent comes before it."""
    depth: list[int] = []
    for stage in stages:
        parent = stage.parent_stage
        length = depth[parent] + 1 if parent is not None and 0 <= parent < len(depth) else 1
        depth.append(length)
        if length > MAX_ANCESTRY:
            return stage, length
    return None


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class ParseProblem:
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Dockerfile:
    path: str
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    global_args: dict[str, str | None]
    escape: str
    directives: dict[str, str]
    comments: tuple[Comment, ...]
    problems: tuple[ParseProblem, ...]
    line_count: int

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_by_name(self, name: str) -> Stage | None:
        wanted = name.lower()
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == wanted:
                return stage
        return None
