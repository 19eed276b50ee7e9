"""What a run produces: a rule's Violation (message, location), the Finding the engine makes of it
(code, name and severity stamped by the engine, not the rule), and how a finding was suppressed."""

from __future__ import annotations

import enum
from typing import NamedTuple

from kubelint_py.core.source import Location


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


class Violation(NamedTuple):
    """What a rule yields: what is wrong and where. The engine adds code and severity."""

    message: str
    location: Location
    related: tuple[Related, ...] = ()


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

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.message)
