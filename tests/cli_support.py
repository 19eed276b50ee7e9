"""Run the command line in this process, as typer's CliRunner did: `invoke(["check", "x"])`."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import NamedTuple

from kubelint_py.cli.app import run


class Result(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str
    output: str
    """stdout and stderr interleaved as written (what a terminal shows)."""


class _Tee(io.StringIO):
    def __init__(self, combined: io.StringIO) -> None:
        super().__init__()
        self._combined = combined

    def write(self, text: str) -> int:
        self._combined.write(text)
        return super().write(text)


def invoke(args: Sequence[str]) -> Result:
    """`kubelint-py ARGS` in this process: its exit code and what it wrote."""
    combined = io.StringIO()
    out, err = _Tee(combined), _Tee(combined)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = run(list(args))
    finally:
        sys.stdout, sys.stderr = saved
    return Result(code, out.getvalue(), err.getvalue(), combined.getvalue())
