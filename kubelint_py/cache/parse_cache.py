"""Content-hash cache of loaded files, so an unchanged file is never parsed twice.

An entry is the pickled SourceFile (text, models, load findings) of one file, stored under a key made of
the file's bytes, how it was found (display path, guessed kind, named on the command line or not) and
the loader's fingerprint (tool version, cache format, max_file_size, the loader's own modules). Rules are
not cached: they always run, so a cached file gets exactly the findings a fresh parse would. The one
part of a model that depends on more than the file's bytes, a Dockerfile's build-context listing, is
scanned again on every hit (batch.refresh_listing).

Where: $KUBELINT_CACHE_DIR, else $XDG_CACHE_HOME/kubelint-py, else ~/.cache/kubelint-py. Entries are
content-addressed, so projects can share the folder. Layout `<fingerprint>/<2 hex>/<38 hex>`: 256
buckets of at most MAX_BUCKET_ENTRIES entries each (the oldest half of a full bucket is dropped), files
over MAX_ENTRY_BYTES are not stored, and entries of other fingerprints are removed on later writes,
made, a couple of thousand files per run, so the cache stays bounded.

The cache is pickles, so it must only ever be read from a folder the user owns: never from the linted
tree (a pull request could ship a crafted `.kubelint_cache/`). The folder is created private (0700).

Safety: entries are written to a temporary file and renamed into place, so a reader (another run at the
same time) sees a whole entry or none. Anything unreadable, truncated or from another version is treated
as a miss. No cache problem is ever fatal: at worst the file is parsed again.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

try:  # blake2 without importing hashlib, whose OpenSSL backend costs ~17 ms of every run's start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

from kubelint_py import __version__

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.loading.source_file import SourceFile

CACHE_FORMAT = 2
MAX_BUCKET_ENTRIES = 256
"""256 buckets x 256 entries: room for a 65,000-file repository (a few hundred MB at most)."""
MAX_ENTRY_BYTES = 4 * 1024 * 1024
PICKLE_PROTOCOL = 5
STALE_DELETIONS_PER_RUN = 2000

# Modules whose code shapes a loaded SourceFile: a change to any of them (a development checkout, an
# upgrade without a version bump) gives a new fingerprint, so stale models are never reused.
_LOADER_MODULES = ("loading", "discovery", "parsing", "models", "building", "engine/registry.py",
                   "engine/diagnostics.py")


def default_cache_dir() -> Path:
    explicit = os.environ.get("KUBELINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kubelint-py"


def loader_fingerprint(max_file_size: int) -> str:
    digest = blake2b(digest_size=8)
    digest.update(f"{CACHE_FORMAT}|{__version__}|{max_file_size}|{PICKLE_PROTOCOL}".encode())
    package = Path(__file__).resolve().parent.parent
    for name in _LOADER_MODULES:
        target = package / name
        paths = sorted(target.glob("*.py")) if target.is_dir() else [target]
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"v{CACHE_FORMAT}-{digest.hexdigest()}"


def _in_chart_templates(candidate: Candidate) -> bool:
    """The loader skips files under a Helm chart's templates/ (decided by a Chart.yaml beside it, not by
    the file's bytes), so that decision is part of the key."""
    if candidate.explicit or candidate.kind == "dockerfile":
        return False
    if f"{os.sep}templates{os.sep}" not in os.path.abspath(candidate.read_path):
        return False
    from kubelint_py.loading.source_file import is_helm_template_path

    return is_helm_template_path(candidate.read_path)


def _beside_chart(candidate: Candidate) -> bool:
    """Nor is a file beside a Chart.yaml read as Compose (a values.yaml with `services:`)."""
    if candidate.kind != "yaml":
        return False
    from kubelint_py.loading.source_file import _beside_chart as beside

    return beside(candidate)


class ParseCache:
    """Get and put loaded files by content. Every method swallows I/O and decoding errors."""

    def __init__(self, directory: Path, max_file_size: int) -> None:
        self.max_file_size = max_file_size
        self.fingerprint = loader_fingerprint(max_file_size)
        self.root = directory
        self.directory = directory / self.fingerprint
        self.hits = 0
        self.misses = 0
        self._ready = False

    def key(self, candidate: Candidate, data: bytes) -> str:
        digest = blake2b(digest_size=20)
        digest.update(f"{candidate.path}\0{candidate.read_path}\0{candidate.kind}\0{int(candidate.explicit)}\0"
                      f"{int(_in_chart_templates(candidate))}{int(_beside_chart(candidate))}\0".encode())
        digest.update(data)
        return digest.hexdigest()

    def read(self, candidate: Candidate) -> tuple[str, bytes] | None:
        """(key, raw bytes) of a candidate worth caching; None for files the loader reports as unreadable."""
        if candidate.problem is not None:
            return None
        from kubelint_py.loading.source_file import read_regular_bytes

        data = read_regular_bytes(candidate.read_path, self.max_file_size)
        if data is None or len(data) > self.max_file_size:
            return None
        return self.key(candidate, data), data

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / key[2:]

    def get(self, key: str) -> SourceFile | None:
        """The cached SourceFile, or None (also for entries that cannot be read or unpickled)."""
        try:
            with open(self._entry(key), "rb") as handle:
                blob = handle.read()
        except OSError:
            self.misses += 1
            return None
        source = loads_source(blob)
        if source is None:
            self.misses += 1
        else:
            self.hits += 1
        return source

    def put(self, key: str, blob: bytes) -> None:
        if len(blob) > MAX_ENTRY_BYTES:
            return
        try:
            self._prepare()
            bucket = self.directory / key[:2]
            bucket.mkdir(parents=True, exist_ok=True)
            import tempfile

            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=bucket)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(blob)
                os.replace(temp, bucket / key[2:])
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            self._bound(bucket)
        except OSError:
            return

    def _prepare(self) -> None:
        """On the first write: tag the folder as a cache and clear out some of the older fingerprints."""
        if self._ready:
            return
        self._ready = True
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                           "# kubelint-py's parse cache: safe to delete at any time.\n")
        self._drop_stale(STALE_DELETIONS_PER_RUN)

    def _drop_stale(self, budget: int) -> None:
        """Delete up to `budget` entries of other fingerprints (an upgrade leaves a whole old cache
        behind; removing it bit by bit keeps any single run from paying for all of it)."""
        for other in sorted(self.root.iterdir()):
            if not other.is_dir() or not other.name.startswith("v") or other.name == self.fingerprint:
                continue
            for folder, _dirs, filenames in os.walk(other, topdown=False):
                for name in filenames:
                    if budget <= 0:
                        return
                    budget -= 1
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(folder, name))
                with contextlib.suppress(OSError):
                    os.rmdir(folder)

    @staticmethod
    def _bound(bucket: Path) -> None:
        try:
            names = os.listdir(bucket)
        except OSError:
            return
        if len(names) <= MAX_BUCKET_ENTRIES:
            return
        aged: list[tuple[float, str]] = []
        for name in names:
            try:
                aged.append((os.stat(bucket / name).st_mtime, name))
            except OSError:
                continue
        aged.sort()
        for _, name in aged[: len(aged) // 2]:
            try:
                os.unlink(bucket / name)
            except OSError:
                continue


def loads_source(blob: bytes) -> SourceFile | None:
    """Unpickle a cached SourceFile; None when the entry is corrupt or not a SourceFile."""
    from kubelint_py.loading.source_file import SourceFile

    try:
        value = pickle.loads(blob)
    except Exception:  # a truncated or foreign entry is a miss, whatever the unpickler raises
        return None
    return value if isinstance(value, SourceFile) else None


def dumps_source(source: SourceFile) -> bytes | None:
    try:
        return pickle.dumps(source, protocol=PICKLE_PROTOCOL)
    except Exception:  # an unpicklable model is not cached; the run goes on
        return None
