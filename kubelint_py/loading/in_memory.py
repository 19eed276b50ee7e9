"""Content that does not come from the disk: standard input (`check -`, `--stdin-filename`) and an
editor's unsaved buffers (a language server). Each is linted under a path, as if the file there held
it: the format is judged from the name (then from the content when the name says nothing), the
configuration and per-path ignores match that path, findings are reported at it, and the rest of the
project is read from the disk for context."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from kubelint_py.discovery.walk import Candidate, FileKind, classify_name

STDIN = "-"
"""The path standard input is reported at when it has no name."""

# A Dockerfile starts (after comments, blank lines and parser directives) with FROM or ARG; YAML cannot
# start that way unless it is a plain scalar, which is no manifest.
_DOCKERFILE_START = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*(?:FROM|ARG)[ \t]+\S", re.IGNORECASE)


def sniff_kind(name: str, text: str) -> FileKind:
    """The format of content named `name`: from the name, else a Dockerfile when it starts like one,
    else YAML (Kubernetes or Compose is then decided by the loader from the documents)."""
    kind = classify_name(name)
    if kind is not None:
        return kind
    return "dockerfile" if _DOCKERFILE_START.match(text[:65536]) else "yaml"


class Overlay:
    """Paths whose content is given in memory, keyed by real absolute path."""

    def __init__(self, contents: Mapping[str, str], cwd: Path) -> None:
        self.cwd = cwd
        self.by_key: dict[str, str] = {}
        for path, text in contents.items():
            self.by_key[self.key(path)] = text

    def key(self, path: str) -> str:
        return os.path.realpath(os.path.join(self.cwd, path))

    def text_for(self, candidate: Candidate) -> str | None:
        if not self.by_key:
            return None
        return self.by_key.get(self.key(candidate.read_path))

    def adopt(self, candidate: Candidate) -> Candidate:
        """A candidate named on the command line whose content is given: readable whatever the disk
        holds there (nothing, yet, for a new file), and of the format its name and content say."""
        text = self.text_for(candidate)
        if text is None:
            return candidate
        kind = sniff_kind(os.path.basename(candidate.path), text)
        return Candidate(candidate.path, kind, True, None, candidate.fs_path or candidate.path)
