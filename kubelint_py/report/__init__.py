"""Reporters turn a Report into text for people or machines. Each is imported only when used."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

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


def get_renderer(name: str) -> Renderer:
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


# Every C0/C1 control character but tab (ANSI escapes start with ESC or CSI), line and paragraph
# separators, and the bidirectional overrides that make a terminal show text in another order.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """Make control characters visible, so file content and file names cannot drive a terminal.

    Newlines are escaped too: one finding stays one line, and a file name cannot forge another finding.
    """
    return _CONTROL.sub(_escape_one, text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe_json(text: str) -> str:
    """JSON text with the characters json.dumps(ensure_ascii=False) leaves raw (C1 controls, line
    separators, bidi overrides) written as \\u escapes: the same document, safe to print to a terminal."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
