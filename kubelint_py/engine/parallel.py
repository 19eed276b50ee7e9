"""Per-file rules run in forked worker processes for large trees.

After loading, the parent holds every model and the project index. A forked child inherits them as they
are (copy-on-write: nothing is pickled on the way in), runs the per-file rules over one contiguous share
of the files and sends back only its findings and internal errors, which are few. The shares are joined
in file order, so the result is the same list, in the same order, as running them here; project-level
rules still run once, in the parent.

Only where fork exists (not Windows or macOS' default spawn) and when at least two CPUs are idle: a
busy machine gains nothing from a second process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # type-only, as the Protocol below: a Protocol class costs start-up to create
    from kubelint_py.core.findings import Finding
    from kubelint_py.engine.statistics import RuleTimes

    class File(Protocol):
        """What is shared out: a loaded file (loading.source_file.SourceFile); its text size is its weight."""

        @property
        def text(self) -> str | None: ...

MIN_FILES = 200
MIN_BYTES = 2 * 1024 * 1024
"""Below either, forking costs more than the rules take."""


FileT = TypeVar("FileT", bound="File")
RunFile = Callable[[FileT], "list[Finding]"]


class ErrorSink(Protocol):
    internal_errors: list[str]
    rule_times: RuleTimes | None
    """--statistics: the rules' timings; a child times its own share and sends them back."""


# What the children inherit through fork: the function that checks one file, the files, the error sink.
_STATE: tuple[RunFile[Any], Sequence[Any], ErrorSink] | None = None


def choose_workers(files: Sequence[File], workers: int | None) -> int:
    """How many processes to run the per-file rules in (1: here, serially)."""
    if workers is not None:
        return workers
    if len(files) < MIN_FILES or sum(len(f.text or "") for f in files) < MIN_BYTES:
        return 1
    idle = idle_cpus_now()
    if idle is None:  # not Linux
        return worker_count()
    return max(1, min(idle, MAX_WORKERS))


MAX_WORKERS = 8


def worker_count() -> int:
    """Workers for the CPUs that are idle now, judged from the load average (where the kernel's count of
    runnable tasks is missing, see idle_cpus_now). Parsing in workers (loading.batch) costs about 40%
    more CPU in total: on a busy 2-CPU machine it was twice as slow as parsing serially."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        idle = cpus - os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        idle = float(cpus)
    return max(1, min(cpus, MAX_WORKERS, int(idle + 0.5)))


def idle_cpus_now() -> int | None:
    """CPUs no other process wants right now, from the kernel's count of runnable tasks (the fourth
    field of /proc/loadavg, which includes this process); None where there is no such count.

    Not the load average: it trails by a minute, and after this run's own parsing (a core busy for
    seconds) it reads as one busy CPU when the machine is idle. Three samples, the least taken, so a
    passing short-lived process does not count."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    import time

    runnable: list[int] = []
    try:
        for sample in range(3):
            if sample:
                time.sleep(0.003)
            with open("/proc/loadavg", encoding="ascii") as handle:
                runnable.append(int(handle.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return None
    return cpus - max(0, min(runnable) - 1)


def run_files(run_file: RunFile[FileT], files: Sequence[FileT], sink: ErrorSink, workers: int,
              also_here: Callable[[], list[Finding]] | None = None) -> tuple[list[Finding], list[Finding]]:
    """run_file over every file, in order, and `also_here()` once (the project-level rules): their
    findings apart. With children, `also_here` runs in this process while they work (its share of the
    files is smaller for it). run_file and also_here append internal errors to sink.internal_errors;
    they end up there in the order a serial run gives (the files', then also_here's)."""
    if workers > 1 and len(files) > 1 and _can_fork():
        result = _run_forked(run_file, files, sink, _shares(files, workers, lighter_first=also_here is not None),
                             also_here)
        if result is not None:
            return result
    findings = _run_range(run_file, files, 0, len(files))
    return findings, also_here() if also_here is not None else []


def _run_range(run_file: RunFile[FileT], files: Sequence[FileT], start: int, end: int) -> list[Finding]:
    findings: list[Finding] = []
    for source in files[start:end]:
        findings.extend(run_file(source))
    return findings


def _can_fork() -> bool:
    if sys.platform == "win32" or not hasattr(os, "fork"):
        return False
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


FIRST_SHARE_WEIGHT = 0.7
"""With other work for this process (the project rules), its own share of the files is this much of a
child's: project rules cost about a sixth of the per-file rules on large generated trees."""


def _shares(files: Sequence[File], count: int, *, lighter_first: bool = False) -> list[tuple[int, int]]:
    """Contiguous (start, end) ranges of about equal text size (the rules' cost follows it); the first
    smaller when lighter_first."""
    sizes = [len(f.text or "") + 200 for f in files]
    count = min(count, len(files))
    weights = [FIRST_SHARE_WEIGHT if lighter_first else 1.0] + [1.0] * (count - 1)
    total = sum(sizes)
    bounds = [total * sum(weights[:i + 1]) / sum(weights) for i in range(count - 1)]
    ranges: list[tuple[int, int]] = []
    start, running = 0, 0
    for position, size in enumerate(sizes):
        running += size
        if len(ranges) < count - 1 and running >= bounds[len(ranges)]:
            ranges.append((start, position + 1))
            start = position + 1
    ranges.append((start, len(files)))
    return [r for r in ranges if r[0] < r[1]]


def _run_forked(run_file: RunFile[FileT], files: Sequence[FileT], sink: ErrorSink, shares: list[tuple[int, int]],
                also_here: Callable[[], list[Finding]] | None) -> tuple[list[Finding], list[Finding]] | None:
    """The first share and `also_here` run here while children run the other shares; None when no child
    could be run (nothing has been run then either)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if len(shares) < 2:
        return None
    global _STATE
    _STATE = (run_file, files, sink)
    errors_before = len(sink.internal_errors)
    extra: list[Finding] | None = None
    extra_errors: list[str] = []
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(shares) - 1, mp_context=context) as pool:
            futures = [pool.submit(_child_share, start, end) for start, end in shares[1:]]
            try:
                findings = _run_range(run_file, files, *shares[0])
                if also_here is not None:
                    mark = len(sink.internal_errors)
                    extra = also_here()
                    extra_errors = sink.internal_errors[mark:]
                    del sink.internal_errors[mark:]
                if sink.rule_times is not None:
                    sink.rule_times.close()  # waiting for the children is not this process's rule work
                results = [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    except (OSError, BrokenProcessPool, RuntimeError):
        del sink.internal_errors[errors_before:]
        if extra is None:
            return None  # no processes here (a sandbox, a killed child): the caller runs them serially
        # also_here has run: only the files are checked again, here
        findings = _run_range(run_file, files, 0, len(files))
        sink.internal_errors.extend(extra_errors)
        return findings, extra
    finally:
        _STATE = None
    for share_findings, share_errors, share_times in results:
        findings.extend(share_findings)
        sink.internal_errors.extend(share_errors)
        if sink.rule_times is not None and share_times is not None:
            sink.rule_times.children.append(share_times)
    sink.internal_errors.extend(extra_errors)
    return findings, extra if extra is not None else []


def _child_share(start: int, end: int) -> tuple[list[Finding], list[str], RuleTimes | None]:
    """In a child: the findings, internal errors and (--statistics) rule timings of files[start:end]."""
    assert _STATE is not None
    run_file, files, sink = _STATE
    sink.internal_errors = []  # this process's own copy of the sink: only this share's errors
    times = sink.rule_times
    if times is not None:
        times.reset()  # in place: the timed rules hold its entries
        times.open()
    findings = _run_range(run_file, files, start, end)
    if times is not None:
        times.close()
    return findings, sink.internal_errors, times
