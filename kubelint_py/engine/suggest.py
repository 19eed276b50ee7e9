""""Did you mean" for misspelt rule codes and names (command line and configuration), by edit distance.

`KS1O2` is one substitution from `KS102`, `missing-readines-probe` one deletion from
`missing-readiness-probe`. The distance counts insertions, deletions, substitutions and swaps of two
neighbouring characters (optimal string alignment), case-insensitively; a suggestion is made only when
it is close for the word's length, so an unrelated word gets none rather than a random rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubelint_py.engine.registry import Rule

MAX_WORD = 100
"""Longer words get no suggestion (the distance is quadratic in length)."""


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between a and b, or limit + 1 when it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed(word: str) -> int:
    """Edits tolerated for a word of this length."""
    return 1 if len(word) <= 5 else 2 if len(word) <= 12 else 3


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to word within the tolerated distance (first of equals in the given order)."""
    if not word or len(word) > MAX_WORD:
        return None
    lowered = word.lower()
    limit = _allowed(word)
    best: tuple[int, str] | None = None
    for choice in choices:
        if choice.lower() == lowered:
            return choice
        distance = edit_distance(lowered, choice.lower(), limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, choice)
    return best[1] if best is not None else None


def closest_rule(word: str, rules: Iterable[Rule]) -> str | None:
    """The rule code or name nearest to a misspelt selector: codes first, then names, then aliases."""
    ordered = sorted(rules, key=lambda r: r.code)
    return closest(word, [*(r.code for r in ordered), *(r.name for r in ordered),
                          *(a for r in ordered for a in r.aliases)])
