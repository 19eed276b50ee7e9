"""Load many files: from a store of loaded files when it has them, else parsed, in worker processes for
large trees.

The result is the same list, in the same order, whichever path each file took: from the store, parsed
here or parsed in a worker (models are plain picklable data; a test compares the reports of all three).
The store (the cache layer's parse cache) is anything with `get(key)` and `put(key, blob)`: this stage
does not know where or how it keeps files. What a file's model holds about the disk besides its bytes
(build-context listings, which paths a compose file names exist) is read again for a stored file
(refresh_disk_state), as a fresh parse would.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from kubelint_py.engine.parallel import worker_count
from kubelint_py.loading.source_file import SourceFile, load_source

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.engine.config import Config


class FileStore(Protocol):
    """Where loaded files are kept between runs (cache.parse_cache.ParseCache). Only this process
    puts: workers hand their pickled files back, and the same bytes are put here."""

    def get(self, key: str) -> SourceFile | None: ...

    def wants(self, key: str) -> bool:
        """Whether a file parsed here is worth pickling for the store (it costs a third of a parse)."""
        ...

    def put(self, key: str, blob: bytes) -> None: ...

PARALLEL_MIN_FILES = 200
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
"""Below either, workers cost more than they save: a file parsed in a worker is pickled there and
unpickled here, about 40% more CPU in total than parsing it here (measured on 10,000 files)."""
PARALLEL_MIN_WORKERS = 3
"""Since the YAML builder got faster, pickling a model in a worker and unpickling it here costs about as
much as parsing it (1k corpus: parse 0.58 s, dumps 0.38 s, loads 0.25 s; the loads all in this process):
two workers took 2.2 times the CPU and more wall time than parsing serially. From three idle CPUs on,
parallel parsing wins again. (Per-file rules still use two: see parallel_rules.) With two idle CPUs one
worker used to parse a share while this process parsed the rest: on the shared generator's 10k corpus
that cost about 3 s more CPU (18 s instead of 14-15 s, rule workers included) for at most half a second
of wall time, so all parsing stays here then."""
MAX_WORKERS = 8

Job = tuple[int, "Candidate", "str | None"]


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many small objects (parsing, unpickling): it finds no garbage
    there, and its generation-2 passes over a growing heap made large runs several times slower."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def dumps_source(source: SourceFile) -> bytes | None:
    """A loaded file as bytes (for a worker to hand back, and for the store); None when it cannot be."""
    try:
        return pickle.dumps(source, protocol=PICKLE_PROTOCOL)
    except Exception:  # an unpicklable model is not stored; the run goes on
        return None


PICKLE_PROTOCOL = 5


def load_sources(candidates: Sequence[Candidate], config: Config, *, workers: int | None = None,
                 cache: FileStore | None = None, keys: Sequence[str | None] | None = None) -> list[SourceFile]:
    """Load every candidate (see load.load_source), from the store `cache` when given one and a key.

    keys: the candidates' store keys (None where a file has none). workers: None chooses from the
    machine and the size of the work; 1 forces serial loading.
    """
    from kubelint_py.engine.statistics import mark

    mark("load")  # --statistics
    results: list[SourceFile | None] = [None] * len(candidates)
    todo: list[Job] = []
    with no_gc():
        for position, candidate in enumerate(candidates):
            key = keys[position] if keys is not None else None
            if cache is not None and key is not None:
                cached = cache.get(key)
                if cached is not None:
                    refresh_disk_state(cached)
                    results[position] = cached
                    continue
            todo.append((position, candidate, key))
        count = workers if workers is not None else _auto_workers(todo)
        if count > 1 and len(todo) > 1:
            _parallel(todo, results, config.max_file_size, cache, count)
        else:
            for position, candidate, key in todo:
                results[position] = _load_one(candidate, key, config.max_file_size, cache)
    return [source for source in results if source is not None]


def refresh_disk_state(source: SourceFile) -> None:
    """What a model holds about the disk besides its file's bytes, read again for a stored model (as
    the loader does on a fresh parse): a Dockerfile's build-context listing, and which paths a compose
    file names (env_file, build context, Dockerfile) exist, with the folders a layer file anchors to."""
    if source.build_context is not None:
        from kubelint_py.loading.build_context import scan_context

        on_disk = source.fs_path or source.path
        source.build_context = scan_context(os.path.dirname(on_disk) or ".", os.path.basename(on_disk))
    if source.compose is not None:
        from kubelint_py.loading.compose_files import probe_compose_paths

        source.compose.bases.clear()
        source.compose.probed.clear()
        probe_compose_paths(source.compose)


def _auto_workers(todo: list[Job]) -> int:
    if len(todo) < PARALLEL_MIN_FILES:
        return 1
    total = 0
    for _, candidate, _ in todo:
        try:
            total += os.stat(candidate.path).st_size
        except OSError:
            continue
        if total >= PARALLEL_MIN_BYTES:
            from kubelint_py.engine.parallel import idle_cpus_now

            idle = idle_cpus_now()
            count = worker_count() if idle is None else max(1, min(idle, MAX_WORKERS))
            return count if count >= PARALLEL_MIN_WORKERS else 1
    return 1


def _load_one(candidate: Candidate, key: str | None, max_size: int, cache: FileStore | None) -> SourceFile:
    source = load_source(candidate, max_size)
    if cache is not None and key is not None and cache.wants(key):
        blob = dumps_source(source)
        if blob is not None:
            cache.put(key, blob)
    return source


def _parallel(todo: list[Job], results: list[SourceFile | None], max_size: int, cache: FileStore | None,
              count: int) -> None:
    """Parse `todo` in `count` workers."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Small chunks balance the load; not too small, or the per-task overhead shows.
    size = max(8, min(256, len(todo) // (count * 8) or 1))
    chunks = [todo[start:start + size] for start in range(0, len(todo), size)]
    done: set[int] = set()
    try:
        with ProcessPoolExecutor(max_workers=min(count, len(chunks))) as pool:
            jobs = [[(candidate, key) for _, candidate, key in chunk] for chunk in chunks]
            mapped = pool.map(_load_chunk, jobs, [max_size] * len(jobs))
            for chunk, blobs in zip(chunks, mapped, strict=True):
                for (position, candidate, key), blob in zip(chunk, blobs, strict=True):
                    if blob and cache is not None and key is not None:
                        cache.put(key, blob)
                    # From this run's own worker (not from the disk): plain pickle is safe here.
                    source = pickle.loads(blob) if blob else None
                    results[position] = source if isinstance(source, SourceFile) else load_source(candidate, max_size)
                    done.add(position)
    except (OSError, BrokenProcessPool, RuntimeError):
        pass  # no processes here (a sandbox, a broken worker): finish serially below
    for position, candidate, _ in todo:
        if position not in done:
            results[position] = load_source(candidate, max_size)


def _load_chunk(jobs: list[tuple[Candidate, str | None]], max_size: int) -> list[bytes]:
    """In a worker: load, pickle once and hand the bytes back (the parent puts them in the store)."""
    blobs: list[bytes] = []
    with no_gc():
        for candidate, _key in jobs:
            source = load_source(candidate, max_size)
            blob = dumps_source(source)
            if blob is None:  # unpicklable: the parent parses it itself
                blobs.append(b"")
                continue
            blobs.append(blob)
    return blobs
