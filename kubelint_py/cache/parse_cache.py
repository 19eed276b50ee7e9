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

Entries are pickles read through an allow-list of our own model classes (safe_pickle.py): a crafted
entry cannot run code, at worst it is a miss. Even so the folder is only used when it cannot hold
someone else's entries (see `refusal`): owned by the current user, not writable by group or others,
and not inside the linted tree (a pull request could ship a crafted `.kubelint_cache/`); otherwise the
run goes on without a cache and says why on stderr. The folder is created private (0700) and tagged
with CACHEDIR.TAG only when this tool created it. Pruning removes only folders named exactly like a
fingerprint (`v<format>-<16 hex>`), never through symbolic links.

Safety: entries are written to a temporary file and renamed into place, so a reader (another run at the
same time) sees a whole entry or none. Anything unreadable, truncated or from another version is treated
as a miss. No cache problem is ever fatal: at worst the file is parsed again.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Sequence
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


FINGERPRINT_NAME = re.compile(r"v[0-9]+-[0-9a-f]{16}")
"""The only folder names this tool creates at the top of the cache root (and so the only ones it prunes)."""


def loader_fingerprint(max_file_size: int) -> str:
    digest = blake2b(digest_size=8)
    # The Python version too: pickles and marshal data are read back by the same interpreter only.
    digest.update(f"{CACHE_FORMAT}|{__version__}|{max_file_size}|{PICKLE_PROTOCOL}|{sys.version}".encode(errors="surrogateescape"))
    package = Path(__file__).resolve().parent.parent
    for name in _LOADER_MODULES:
        target = package / name
        paths = sorted(target.glob("*.py")) if target.is_dir() else [target]
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode(errors="surrogateescape"))
    return f"v{CACHE_FORMAT}-{digest.hexdigest()}"


def _unsafe_owner(info: os.stat_result) -> str | None:
    """Why a folder with this stat may hold entries someone else wrote; None when it cannot."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return "it is owned by another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "it is writable by other users"
    return None


def refusal(root: Path, linted_trees: Sequence[str] = ()) -> str | None:
    """Why the cache folder `root` must not be used (None: it may). A folder is refused when it is not a
    folder, when it is owned by someone else or writable by group or others, and when it lies inside
    one of `linted_trees` (the linted repositories: their content is what a pull request controls)."""
    real = os.path.realpath(root)
    for tree in linted_trees:
        tree_real = os.path.realpath(tree)
        if real == tree_real or real.startswith(tree_real.rstrip(os.sep) + os.sep):
            return f"it is inside the linted tree {tree_real}"
    try:
        info = os.stat(root)
    except FileNotFoundError:
        return None  # created private (0700) on the first write, and checked again then
    except OSError as error:
        return f"it cannot be read ({error.strerror or error})"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    return _unsafe_owner(info)


def _in_chart_templates(candidate: Candidate) -> bool:
    """The loader skips files under a Helm chart's templates/ (decided by a Chart.yaml beside it, not by
    the file's bytes), so that decision is part of the key."""
    if candidate.explicit or candidate.kind == "dockerfile":
        return False
    if f"{os.sep}templates{os.sep}" not in os.path.abspath(candidate.read_path):
        return False
    from kubelint_py.loading.source_file import is_helm_template_path

    return is_helm_template_path(candidate.read_path)


class ParseCache:
    """Get and put loaded files by content. Every method swallows I/O and decoding errors."""

    def __init__(self, directory: Path, max_file_size: int, *, empty: bool | None = None) -> None:
        self.max_file_size = max_file_size
        self.fingerprint = loader_fingerprint(max_file_size)
        self.root = directory
        self.directory = directory / self.fingerprint
        self.hits = 0
        self.misses = 0
        self.writable = True
        """False once the root turned out unusable for writing (not ours after creating it)."""
        self.empty = not self.directory.is_dir() if empty is None else empty
        """Nothing stored for this fingerprint when the run began (a first run): no entry is looked up."""
        self._ready = False

    def key(self, candidate: Candidate, data: bytes) -> str:
        digest = blake2b(digest_size=20)
        digest.update(f"{candidate.path}\0{candidate.read_path}\0{candidate.kind}\0{int(candidate.explicit)}\0"
                      f"{int(_in_chart_templates(candidate))}\0".encode(errors="surrogateescape"))
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
        if self.empty:
            self.misses += 1
            return None
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
        if len(blob) > MAX_ENTRY_BYTES or not self.writable:
            return
        try:
            if not self.prepare():
                return
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

    def flush(self) -> None:
        """Entries are written as they are put: nothing is left to write."""

    def close(self) -> None:
        """Nothing is held open between entries."""

    def prepare(self) -> bool:
        """Before the first write: create the root (private), tag it as a cache when this run created it,
        check it is ours, and clear out some of the older fingerprints. False: do not write."""
        if not self._ready:
            self._ready = True
            self._prepare()
        return self.writable

    def _prepare(self) -> None:
        created = False
        try:
            self.root.mkdir(mode=0o700, parents=True)
            created = True
        except FileExistsError:
            pass
        except OSError:
            self.writable = False
            return
        try:
            info = os.stat(self.root)
        except OSError:
            self.writable = False
            return
        if not stat.S_ISDIR(info.st_mode) or _unsafe_owner(info) is not None:  # appeared under our feet
            self.writable = False
            return
        if created:
            with contextlib.suppress(OSError):
                (self.root / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                                                      "# kubelint-py's parse cache: safe to delete at any time.\n")
        self._drop_stale(STALE_DELETIONS_PER_RUN)

    def _drop_stale(self, budget: int) -> None:
        """Delete up to `budget` entries of other fingerprints (an upgrade leaves a whole old cache
        behind; removing it bit by bit keeps any single run from paying for all of it). Only folders
        named exactly like a fingerprint are touched, and symbolic links are never followed (os.walk
        does not descend into linked folders; a link itself is unlinked, not its target)."""
        try:
            with os.scandir(self.root) as listing:
                stale = sorted(entry.path for entry in listing
                               if entry.name != self.fingerprint and FINGERPRINT_NAME.fullmatch(entry.name)
                               and entry.is_dir(follow_symlinks=False))
        except OSError:
            return
        for other in stale:
            for folder, _dirs, filenames in os.walk(other, topdown=False, followlinks=False):
                for name in filenames:
                    if budget <= 0:
                        return
                    budget -= 1
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(folder, name))
                for name in _dirs:  # links to folders are listed as folders: unlink them, never enter
                    path = os.path.join(folder, name)
                    if os.path.islink(path):
                        with contextlib.suppress(OSError):
                            os.unlink(path)
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
    """A cached SourceFile, unpickled through the allow-list; None when the entry is corrupt, unsafe or
    not a SourceFile."""
    from kubelint_py.cache.safe_pickle import loads_as
    from kubelint_py.loading.source_file import SourceFile

    return loads_as(blob, SourceFile)

