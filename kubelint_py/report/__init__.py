"""Reporters turn a Report into text for people or machines. Each is imported only when used."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

Renderer = Callable[["Report"], str]

FORMATS: dict[str, str] = {
    "text": "kubelint_py.report.text",
    "json": "kubelint_py.report.json",
    "sarif": "kubelint_py.report.sarif",
    "github": "kubelint_py.report.github",
    "gitlab": "kubelint_py.report.gitlab",
    "junit": "kubelint_py.report.junit",
}


Writer = Callable[["Report", TextIO], None]


def get_renderer(name: str) -> Renderer:
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


def get_writer(name: str) -> Writer:
    """The format's streaming writer (text, json, sarif write finding by finding), else its renderer's
    whole text written at once."""
    module = importlib.import_module(FORMATS[name])
    write: Writer | None = getattr(module, "write", None)
    if write is not None:
        return write
    render: Renderer = module.render

    def whole(report: Report, stream: TextIO) -> None:
        stream.write(render(report))

    return whole


# Every C0/C1 control character but tab (ANSI escapes start with ESC or CSI), line and paragraph
# separators, the bidirectional marks and overrides that make a terminal show text in another order
# (U+061C, U+200E/F, U+202A-E, U+2066-9), invisible characters that can hide text (soft hyphen,
# zero-width spaces and joiners, word joiner and invisible operators, BOM, interlinear annotations, the
# Unicode tag block), lone surrogates (file names that are not valid UTF-8, decoded with
# surrogateescape), and `##[`, which GitHub's runner reads as a (legacy) workflow command anywhere in a
# line of a step's output.
_INVISIBLE = ("\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
              "\u3164\ufeff\uffa0\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f")
_CONTROL = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_INVISIBLE}]|##\\[")
_NAMED = {"\n": "\\n", "\r": "\\r", "##[": "#\\x23["}
# `::command::` at the start of a line (after blanks, which the runner trims) is a workflow command.
_COMMAND_START = re.compile(r"^([^\S\n]*):(?=:)", re.MULTILINE)


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_control(text: str) -> str:
    """Make control characters visible, so file content and file names cannot drive a terminal.

    Newlines are escaped too: one finding stays one line, and a file name cannot forge another finding.
    Text cannot start a CI workflow command either: `##[` anywhere and `::` at the start (the text may
    begin a line of output, as paths do) are written with an escaped character.
    """
    escaped = _CONTROL.sub(_escape_one, text)
    if escaped and (escaped[0] == ":" or escaped[0].isspace()):
        escaped = _COMMAND_START.sub(r"\1\\x3a", escaped, count=1)
    return escaped


_LEGACY_COMMAND = re.compile(r"##\[")


def neutralise_commands(text: str) -> str:
    """Only the CI workflow commands of a block of lines (`::` at a line start, `##[` anywhere), for text
    whose other characters are already escaped (a diff)."""
    return _COMMAND_START.sub(r"\1\\x3a", _LEGACY_COMMAND.sub("#\\\\x23[", text))


def escape_lines(text: str) -> str:
    """escape_control for a block of lines (keeps the newlines, and neutralises each line's start)."""
    return "\n".join(escape_control(line) for line in text.split("\n"))


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_INVISIBLE}]|##\\[")


def _json_escape(match: re.Match[str]) -> str:
    text = match.group()
    if text == "##[":
        return "#\\u0023["
    code = ord(text)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xd800 + high:04x}\\u{0xdc00 + low:04x}"


def terminal_safe_json(text: str) -> str:
    """JSON text with the characters json.dumps(ensure_ascii=False) leaves raw (C1 controls, line
    separators, bidi marks, invisible characters, lone surrogates from file names that are not UTF-8)
    and `##[` (a CI workflow command) written as \\u escapes: the same document, safe to print to a
    terminal or a CI log, and encodable as UTF-8. (JSON lines never start with `::`: strings are quoted.)"""
    return _JSON_UNSAFE.sub(_json_escape, text)

