"""Discovering rule fixtures and reading their expectation markers.

Layout: fixtures/<format>/<CODE>/bad-*  and  good-*  (a file, or a folder for a multi-file case).
Markers: `# expect: CODE[,CODE]` at the end of a line expects a finding on that line;
`# expect-next-line: CODE` (alone on a line, for Dockerfiles) expects it on the next line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FORMATS = ("kubernetes", "compose", "dockerfile", "cross", "general")

_K8S_VERSION = re.compile(r"#\s*fixture-k8s-version:\s*(?P<version>[0-9.]+)")
_EXPECT = re.compile(r"#\s*expect(?P<next>-next-line)?:\s*(?P<codes>[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")


@dataclass(frozen=True)
class Fixture:
    code: str
    path: Path
    bad: bool

    @property
    def id(self) -> str:
        return f"{self.code}/{self.path.name}"

    @property
    def k8s_version(self) -> str | None:
        """A `# fixture-k8s-version: 1.24` line in a fixture sets the target Kubernetes version."""
        for path in self.files():
            try:
                match = _K8S_VERSION.search(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                continue
            if match:
                return match.group("version")
        return None

    def files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.rglob("*") if p.is_file())
        return [self.path]


def all_fixtures() -> list[Fixture]:
    found: list[Fixture] = []
    for fmt in FORMATS:
        folder = FIXTURES / fmt
        if not folder.is_dir():
            continue
        for rule_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for entry in sorted(rule_dir.iterdir()):
                if entry.name.startswith("bad"):
                    found.append(Fixture(rule_dir.name, entry, True))
                elif entry.name.startswith("good"):
                    found.append(Fixture(rule_dir.name, entry, False))
    return found


def expected_findings(fixture: Fixture) -> set[tuple[str, int, str]]:
    """(resolved path, line, code) for every marker in the fixture's files."""
    expected: set[tuple[str, int, str]] = set()
    for path in fixture.files():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            for match in _EXPECT.finditer(line):
                target = number + 1 if match.group("next") else number
                for code in match.group("codes").split(","):
                    expected.add((str(path.resolve()), target, code.strip()))
    return expected
