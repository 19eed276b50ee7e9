"""What a run produces: a rule's Violation (message, location), the Finding the engine makes of it
(code, name and severity stamped by the engine, not the rule), and how a finding was suppressed."""

from __future__ import annotations

import enum
from typing import NamedTuple

from kubelint_py.core.source import Location, Span


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity '{text}' (use error, warning or info)") from None


class Related(NamedTuple):
    location: Location
    message: str


class Edit(NamedTuple):
    """Replace the text of `span` (in the finding's file) with `text`; an empty span inserts. Inserted
    line breaks are written "\n" and follow the file's own line endings when applied."""

    span: Span
    text: str


class Fix(NamedTuple):
    """How to repair one finding: text edits in the finding's file, applied together or not at all
    (kubelint_py.results.fixes applies them).

    safe: the meaning for the platform is unchanged (applied by --fix); otherwise it changes behaviour
    and is applied only with --unsafe-fixes.
    """

    edits: tuple[Edit, ...]
    safe: bool
    description: str


SAFE, UNSAFE = "safe", "unsafe"
"""Rule.autofix: the rule attaches safe, or unsafe, fixes to (some of) its findings."""


class Violation(NamedTuple):
    """What a rule yields: what is wrong and where, and how to repair it when the rule knows. The engine
    adds code and severity."""

    message: str
    location: Location
    related: tuple[Related, ...] = ()
    fix: Fix | None = None


class Incomplete(Violation):
    """A Violation saying that the rule could not check everything (a bound cut its work, or the input
    uses what it cannot check): the engine reports it as the tool's own KL013, not under the rule's code,
    so a cut is never silent and never passes for a problem in the file."""

    __slots__ = ()


class Suppression(NamedTuple):
    """Why a finding is silenced. kind follows SARIF: inSource (a comment or annotation) or external
    (config, baseline)."""

    kind: str
    justification: str = ""


class Finding(NamedTuple):
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    related: tuple[Related, ...] = ()
    suppressed: Suppression | None = None
    """None when active; otherwise how and why it was suppressed."""
    fix: Fix | None = None
    """Edits that repair it (kubelint_py.results.fixes), when the rule knows them."""

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.message)
