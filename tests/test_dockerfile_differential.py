"""Our Dockerfile parser against dockerfile-parse (a test dependency) where dockerfile-parse is right.

dockerfile-parse splits lines wrongly on heredocs, on comment and blank lines inside continuations, on
CRLF and with the escape directive (see kubelint_py/parsing/dockerfile.py), so files with any of those
are left out. On the rest both must agree on every instruction: keyword, first and last line, and the
arguments with continuations joined (whitespace normalised, flags written back in front).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from kubelint_py.parsing.dockerfile import parse_dockerfile

ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"(?i)(dockerfile|containerfile)")

HANDWRITTEN = {
    "continuations": "FROM alpine:3.20 AS base\nRUN apk add --no-cache \\\n    curl \\\n    git\n"
                     "ENV A=1 \\\n    B=2\nCMD [\"sh\", \"-c\", \"echo hi\"]\n",
    "flags": "FROM --platform=linux/amd64 debian:12\nCOPY --chown=app:app --from=base /a /b\n"
             "RUN --mount=type=cache,target=/var/cache/apt apt-get update\nUSER app\n",
    "lowercase-and-onbuild": "from python:3.12\nonbuild run pip install .\n"
                             "healthcheck CMD curl -f http://x/ || exit 1\nexpose 80 443\n",
    "trailing-spaces": "FROM scratch\nCOPY a \\  \n  b /\nLABEL x=\"a b\" \\\n      y=z\n",
}


def _skip_reason(text: str) -> str | None:
    if "<<" in text:
        return "heredoc"
    if "\r" in text:
        return "CRLF"
    if re.search(r"(?im)^#\s*escape", text):
        return "escape directive"
    continued = False
    for line in text.split("\n"):
        if continued and (not line.strip() or line.lstrip().startswith("#")):
            return "blank or comment line in a continuation"
        continued = line.rstrip().endswith("\\")
    return None


def _theirs(text: str) -> list[tuple[str, int, int, str]]:
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    return [(item["instruction"].upper(), item["startline"] + 1, item["endline"] + 1, " ".join(item["value"].split()))
            for item in parser.structure if item["instruction"] != "COMMENT"]


def _ours(path: str, text: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for ins in parse_dockerfile(path, text).instructions:
        flags = " ".join(f"--{f.name}" + ("" if f.value is None else f"={f.value}") for f in ins.flags)
        rows.append((ins.keyword, ins.span.line, ins.span.end_line, " ".join(f"{flags} {ins.arguments}".split())))
    return rows


def _fixture_dockerfiles() -> list[Path]:
    return sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and _NAME.search(p.name))


def test_agrees_with_dockerfile_parse_on_the_fixtures() -> None:
    compared = 0
    for path in _fixture_dockerfiles():
        text = path.read_text(encoding="utf-8", errors="replace")
        if _skip_reason(text):
            continue
        assert _ours(str(path), text) == _theirs(text), path
        compared += 1
    assert compared >= 50, f"only {compared} fixture Dockerfiles compared"


@pytest.mark.parametrize("name", sorted(HANDWRITTEN))
def test_agrees_with_dockerfile_parse_on_handwritten_files(name: str) -> None:
    text = HANDWRITTEN[name]
    assert _skip_reason(text) is None
    assert _ours("Dockerfile", text) == _theirs(text)


def test_where_dockerfile_parse_is_wrong_the_case_is_left_out() -> None:
    # The reason the comparison skips these: dockerfile-parse ends the RUN at the blank line.
    text = "FROM alpine\nRUN echo a \\\n\n    b\n"
    assert _skip_reason(text) == "blank or comment line in a continuation"
    assert _ours("Dockerfile", text)[1][:3] == ("RUN", 2, 4)
    assert _theirs(text)[1][:3] != ("RUN", 2, 4)
