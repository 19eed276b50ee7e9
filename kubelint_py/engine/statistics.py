"""`check --statistics`: time per rule and per phase of the run, printed after the report.

A run collects only while a `RunStatistics` is active (`collecting()`, which the CLI enters for
--statistics); otherwise `current()` is None and nothing here runs: the rule runner (api._Runner) keeps
its plain loop, and wraps each rule's function (RuleTimes.timed) only when collecting.

What is measured
- Phases (discover, load, index, rules, results): marked where each one starts (`mark`); each has the
  wall time and the CPU time (user+sys) of this process and of the child processes that ended meanwhile
  (the parse and rule workers are reaped within their phase).
- Rules: each call of a rule's function is timed with perf_counter (cheap: the process CPU clock is a
  system call, 10x dearer than a short rule), summed over files and over the forked rule workers, whose
  timings are sent back with their findings (engine/parallel.py). Each process' rule times are scaled
  by the share of its rule work it spent on a CPU (its CPU time / wall time over that work), so a busy machine's waiting
  does not count: the "CPU s" column is CPU time, estimated per rule. `calls` counts calls of the rule's
  function, `findings` what it yielded (before suppressions, baselines and caps).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

PHASES = ("discover", "load", "index", "rules", "results")


@dataclass
class RuleTimes:
    """Per-rule sums of one process's share of the rule work: code -> [seconds, calls, findings]."""

    rules: dict[str, list[float]] = field(default_factory=dict)
    cpu: float = 0.0
    """CPU seconds of this process over the timed work (0 until `close`)."""
    wall: float = 0.0
    started: tuple[float, float] | None = None
    children: list[RuleTimes] = field(default_factory=list)
    """What forked rule workers sent back (engine/parallel.py)."""

    def reset(self) -> None:
        """Zero the sums in place (in a forked child: its copy starts from what the parent had)."""
        for entry in self.rules.values():
            entry[:] = [0.0, 0, 0]
        self.cpu = self.wall = 0.0
        self.started = None
        self.children = []

    def open(self) -> None:
        self.started = (_cpu_self(), time.perf_counter())

    def close(self) -> None:
        if self.started is not None:
            cpu, wall = self.started
            self.cpu += _cpu_self() - cpu
            self.wall += time.perf_counter() - wall
            self.started = None

    def scaled(self) -> dict[str, list[float]]:
        """The sums, each rule's seconds scaled to CPU time by this process's CPU share of the work."""
        factor = min(1.0, self.cpu / self.wall) if self.wall > 0 else 1.0
        return {code: [entry[0] * factor, entry[1], entry[2]] for code, entry in self.rules.items()}

    def timed(self, code: str, func: Callable[..., Iterable[Any]]) -> Callable[..., Iterator[Any]]:
        """func, timed: a generator over what it yields; the time spent between its yields (by the caller)
        is not counted, nor is a generator the caller stops early (islice at a cap) charged twice."""
        entry = self.rules.setdefault(code, [0.0, 0, 0])
        clock = time.perf_counter

        def timed_rule(target: Any, context: Any) -> Iterator[Any]:
            entry[1] += 1
            start: float | None = clock()
            try:
                for item in func(target, context):
                    entry[0] += clock() - start  # type: ignore[operator]
                    entry[2] += 1
                    start = None
                    yield item
                    start = clock()
            finally:
                if start is not None:
                    entry[0] += clock() - start
        return timed_rule


@dataclass
class RunStatistics:
    """One run's phases and rule times."""

    marks: list[tuple[str, float, float]] = field(default_factory=list)
    """(phase, wall, cpu incl. ended children) at the start of each phase, and ("end", ...) once finished."""
    rules: dict[str, list[float]] = field(default_factory=dict)
    workers: int = 1
    """Processes that ran the per-file rules (1: serially here)."""

    def mark(self, phase: str) -> None:
        """The run enters `phase` (a phase marked again later is summed over its stretches)."""
        self.marks.append((phase, time.perf_counter(), _cpu_all()))

    def add(self, times: RuleTimes) -> None:
        """Add one process's rule times (scaled to CPU), and those its forked workers sent back."""
        times.close()
        for child in times.children:
            self.add(child)
        for code, (seconds, calls, findings) in times.scaled().items():
            entry = self.rules.setdefault(code, [0.0, 0, 0])
            entry[0] += seconds
            entry[1] += calls
            entry[2] += findings

    def phases(self) -> dict[str, tuple[float, float]]:
        """phase -> (wall, CPU) seconds, in PHASES order (a phase that never started is left out)."""
        spans: dict[str, list[float]] = {}
        for (phase, wall, cpu), (_, next_wall, next_cpu) in zip(self.marks, self.marks[1:], strict=False):
            if phase == "end":
                continue
            span = spans.setdefault(phase, [0.0, 0.0])
            span[0] += next_wall - wall
            span[1] += next_cpu - cpu
        order = {name: position for position, name in enumerate(PHASES)}
        return {name: (span[0], span[1]) for name, span in sorted(spans.items(), key=lambda i: order.get(i[0], 99))}

    def render(self, names: dict[str, str], escape_control: Callable[[str], str], limit: int | None = None) -> str:
        """The table printed by --statistics: rules by CPU time (most first), then the phases; text that
        reaches the terminal goes through escape_control (report.escape_control: engine sits below report)."""
        lines = [f"{'CPU s':>9} {'share':>6} {'calls':>9} {'findings':>8}  rule"]
        ranked = sorted(((code, entry) for code, entry in self.rules.items() if entry[1]),
                        key=lambda item: (-item[1][0], item[0]))
        total = sum(entry[0] for entry in self.rules.values()) or 1.0
        for code, (seconds, calls, findings) in ranked[:limit]:
            name = escape_control(names.get(code, ""))
            lines.append(f"{seconds:9.3f} {100 * seconds / total:5.1f}% {int(calls):9d} {int(findings):8d}  "
                         f"{escape_control(code)} {name}".rstrip())
        if limit is not None and len(ranked) > limit:
            lines.append(f"{'':9} ... {len(ranked) - limit} more rules")
        if not ranked:
            lines.append(f"{'':9} (no rule ran: the run's report was replayed from the cache, or nothing to check)")
        lines.append(f"{sum(e[0] for e in self.rules.values()):9.3f} {'':6} "
                     f"{int(sum(e[1] for e in self.rules.values())):9d} "
                     f"{int(sum(e[2] for e in self.rules.values())):8d}  all rules "
                     f"({self.workers} process{'es' if self.workers != 1 else ''})")
        lines.append("")
        lines.append(f"{'CPU s':>9} {'wall s':>8}  phase")
        phases = self.phases()
        for name, (wall, cpu) in phases.items():
            lines.append(f"{cpu:9.3f} {wall:8.3f}  {name}")
        lines.append(f"{sum(c for _, c in phases.values()):9.3f} {sum(w for w, _ in phases.values()):8.3f}  "
                     "whole run (CPU: this process and its ended workers, user+sys)")
        return "\n".join(lines) + "\n"


_CURRENT: list[RunStatistics] = []


def current() -> RunStatistics | None:
    """The statistics being collected, or None (the usual case)."""
    return _CURRENT[-1] if _CURRENT else None


def mark(phase: str) -> None:
    """Mark the start of a phase when collecting (a no-op otherwise)."""
    if _CURRENT:
        _CURRENT[-1].mark(phase)


@contextmanager
def collecting() -> Iterator[RunStatistics]:
    """Collect the statistics of what runs inside (the "discover" phase starts now)."""
    stats = RunStatistics()
    stats.mark("discover")
    _CURRENT.append(stats)
    try:
        yield stats
    finally:
        _CURRENT.remove(stats)


def _cpu_self() -> float:
    times = os.times()
    return times.user + times.system


def _cpu_all() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
