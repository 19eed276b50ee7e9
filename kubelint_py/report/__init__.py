"""Reporters turn a Report into text for people or machines. Each is imported only when used."""

from __future__ import annotations

import importlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelint_py.api import Report

Renderer = Callable[["Report"], str]

FORMATS: dict[str, str] = {
    "text": "kubelint_py.report.text",
    "json": "kubelint_py.report.json",
    "sarif": "kubelint_py.report.sarif",
    "github": "kubelint_py.report.github",
}


def get_renderer(name: str) -> Renderer:
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_control(text: str) -> str:
    """Make control characters (ANSI escapes included) visible, so file content cannot drive a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def write_atomically(path: str, content: str) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a report."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
