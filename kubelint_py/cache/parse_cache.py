"""Content-hash cache of loaded files, so an unchanged file is never parsed twice.

An entry is the pickled SourceFile (text, models, load findings) of one file, stored under a key made of
the file's bytes, how it was found (display path, guessed kind, named on the command line or not) and
the loader's fingerprint (tool version, cache format, max_file_size, the loader's own modules). Rules are
not cached: they always run, so a cached file gets exactly the findings a fresh parse would. What a
model holds about the disk besides its file's bytes (a Dockerfile's build-context listing, which paths a
compose file names exist) is read again on every hit (batch.refresh_disk_state).

A model parsed in this process is stored only from the second run that meets its file's content
(`wants`): pickling costs about a third of parsing, and a CI job's one run would pay it for nothing
(models parsed in worker processes come back pickled and are always stored).

Where: $KUBELINT_CACHE_DIR, else $XDG_CACHE_HOME/kubelint-py, else ~/.cache/kubelint-py. Entries are
content-addressed, so projects can share the folder. Layout: `<fingerprint>/packs/<pack>` files, each
holding the entries one run wrote, back to back, and `<fingerprint>/index`, a marshal dict key -> (pack,
offset, length), or SEEN for a key met but not stored. Creating a file costs this machine's file system
about 0.3-0.9 ms of CPU, so one file per entry made a first run up to 1.9x slower than `--no-cache`; one
pack and one index per run cost a few milliseconds. A run writes at most one pack, at its end (`flush`),
and replaces the index atomically after merging it with the one on disk (two runs at once: the last
one's index wins, the other's pack is left unindexed and removed later). Bounds: entries over
MAX_ENTRY_BYTES are not stored; the index keeps at most MAX_ENTRIES keys, dropping the oldest; beyond
MAX_PACKS packs, the oldest half is compacted (their indexed entries copied, as bytes, into the new
pack); unindexed packs are removed after an hour; other fingerprints' folders are removed on later
writes, a couple of thousand files per run.

Entries are pickles read through an allow-list of our own model classes (safe_pickle.py): a crafted
entry cannot run code, at worst it is a miss. Even so the folder is only used when it cannot hold
someone else's entries (see `refusal`): owned by the current user, not writable by group or others,
and not inside the linted tree (a pull request could ship a crafted `.kubelint_cache/`); otherwise the
run goes on without a cache and says why on stderr. The folder is created private (0700) and tagged
with CACHEDIR.TAG only when this tool created it. Pruning removes only folders named exactly like a
fingerprint (`v<format>-<16 hex>`), never through symbolic links.

Safety: packs and the index are written to a temporary file and renamed into place, and a pack never
changes once named, so a reader (another run at the same time) sees whole entries or none. Anything
unreadable, truncated or from another version is treated as a miss. No cache problem is ever fatal: at
worst the file is parsed again.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import time
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

CACHE_FORMAT = 3
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
MAX_ENTRIES = 65536
"""Room for a 65,000-file repository (a few hundred MB at most)."""
MAX_PACKS = 64
ORPHAN_SECONDS = 3600
"""An unindexed pack (its run lost the race for the index, or died) older than this is removed."""
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
PACK_NAME = re.compile(r"[0-9a-f]{16}-[0-9a-f]{1,8}-[0-9a-f]{8}")
"""Time written (ns, hex: names sort by age), process, random."""
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


def _beside_chart(candidate: Candidate) -> bool:
    """Nor is a file beside a Chart.yaml read as Compose (a values.yaml with `services:`)."""
    if candidate.kind != "yaml":
        return False
    from kubelint_py.loading.source_file import _beside_chart as beside

    return beside(candidate)


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
        self._index: dict[str, tuple[str, int, int] | int] | None = None
        self._pending: dict[str, bytes] = {}
        self._seen: set[str] = set()
        self._handles: dict[str, int] = {}

    def key(self, candidate: Candidate, data: bytes) -> str:
        digest = blake2b(digest_size=20)
        digest.update(f"{candidate.path}\0{candidate.read_path}\0{candidate.kind}\0{int(candidate.explicit)}\0"
                      f"{int(_in_chart_templates(candidate))}{int(_beside_chart(candidate))}\0"
                      .encode(errors="surrogateescape"))
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

    def _index_from_disk(self) -> dict[str, tuple[str, int, int] | int]:
        """The index as stored (marshal of plain values: loading it cannot run code); {} when missing,
        unreadable or not a dict. Entries are checked one by one when used."""
        import marshal

        try:
            with open(self.directory / "index", "rb") as handle:
                value = marshal.loads(handle.read())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        return value if isinstance(value, dict) else {}

    def get(self, key: str) -> SourceFile | None:
        """The cached SourceFile, or None (also for entries that cannot be read or unpickled)."""
        self._seen.add(key)
        blob = None if self.empty else self._blob(key)
        source = loads_source(blob) if blob is not None else None
        if source is None:
            self.misses += 1
        else:
            self.hits += 1
        return source

    def _blob(self, key: str) -> bytes | None:
        if self._index is None:
            self._index = self._index_from_disk()
        entry = self._index.get(key)
        if type(entry) is not tuple or len(entry) != 3:
            return None
        pack, offset, length = entry
        if not isinstance(pack, str) or not PACK_NAME.fullmatch(pack) or type(offset) is not int \
                or type(length) is not int or offset < 0 or not 0 < length <= MAX_ENTRY_BYTES:
            return None
        try:
            fd = self._handles.get(pack)
            if fd is None:
                fd = self._handles[pack] = os.open(self.directory / "packs" / pack, os.O_RDONLY | _O_NONBLOCK)
            blob = os.pread(fd, length, offset)
        except OSError:
            return None
        return blob if len(blob) == length else None

    def wants(self, key: str) -> bool:
        """Whether a file parsed in this process should be pickled and stored: only when an earlier run
        met the same content (the index marks every key a run looked up). Pickling a model costs about
        a third of parsing it, and a file met once (every file of a CI job's one run, a file being
        edited) is rarely met again; a file met twice is, and from its second run on it is stored.
        Files parsed in workers come back pickled anyway and are always stored."""
        if self.empty or not self.writable:
            return False
        if self._index is None:
            self._index = self._index_from_disk()
        return key in self._index

    def put(self, key: str, blob: bytes) -> None:
        """Keep an entry for this run's pack (written by flush)."""
        if len(blob) <= MAX_ENTRY_BYTES and self.writable:
            self._pending[key] = blob

    def close(self) -> None:
        for fd in self._handles.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._handles.clear()

    def flush(self) -> None:
        """Write the entries put during this run as one pack, and add them to the index."""
        pending, self._pending = self._pending, {}
        seen, self._seen = self._seen, set()
        known = self._index if self._index is not None else {}
        # Marks alone for a file or two (the file a pre-commit run was given, new at every edit) are not
        # worth rewriting the index for; a run that met many new files marks them all.
        if not (pending or sum(key not in known for key in seen) > SEEN_MARKS_MIN) or not self.prepare():
            return
        try:
            self._write(pending, seen)
        except OSError:  # never fatal: the next run parses these files again
            return

    def _write(self, pending: dict[str, bytes], seen: set[str]) -> None:
        import marshal

        packs = self.directory / "packs"
        packs.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():016x}-{os.getpid() & 0xFFFFFFFF:x}-{os.urandom(4).hex()}"
        index = self._index_from_disk()
        existing = sorted(n for n in os.listdir(packs) if PACK_NAME.fullmatch(n))
        for key in pending:
            index.pop(key, None)
        present = set(existing)
        valid: dict[str, tuple[str, int, int] | int] = {
            k: e for k, e in index.items() if (type(e) is tuple and len(e) == 3 and isinstance(e[0], str)
                                               and e[0] in present and type(e[1]) is int and type(e[2]) is int)
            or e == SEEN}
        for key in seen:  # met this run, not stored: marked, so that a later run stores it
            if key not in pending and isinstance(key, str):
                valid.setdefault(key, SEEN)
        # Full: the oldest entries go first (by the pack they are in, which names its time of writing).
        excess = len(valid) + len(pending) - MAX_ENTRIES
        if excess > 0:
            for key in sorted(valid, key=lambda k: _age(valid[k]))[:excess]:
                del valid[key]
        chunks: list[bytes] = []
        offset = 0
        added: dict[str, tuple[str, int, int]] = {}
        retired: list[str] = []
        live = sorted({entry[0] for entry in valid.values() if isinstance(entry, tuple)})
        if len(live) >= MAX_PACKS:
            # Compact the oldest half: their entries move into this pack, as bytes (nothing is unpickled).
            retired = live[: len(live) // 2]
            old = set(retired)
            for key, entry in list(valid.items()):
                if isinstance(entry, tuple) and entry[0] in old:
                    del valid[key]
                    blob = self._copy(entry)
                    if blob is not None:
                        added[key] = (name, offset, len(blob))
                        chunks.append(blob)
                        offset += len(blob)
        for key, blob in pending.items():
            added[key] = (name, offset, len(blob))
            chunks.append(blob)
            offset += len(blob)
        if chunks:
            _write_atomically(packs / name, b"".join(chunks))
        valid.update(added)
        _write_atomically(self.directory / "index", marshal.dumps(valid))
        self._index = None
        referenced = {entry[0] for entry in valid.values() if isinstance(entry, tuple)}
        now = time.time_ns()
        for other in existing:
            if other in retired or (other not in referenced and now - int(other[:16], 16) > ORPHAN_SECONDS * 10**9):
                # a retired pack, or one no index names (dropped, or its run lost the race for the index)
                with contextlib.suppress(OSError):
                    os.unlink(packs / other)

    def _copy(self, entry: tuple[str, int, int]) -> bytes | None:
        pack, offset, length = entry
        if not isinstance(pack, str) or not PACK_NAME.fullmatch(pack) or type(offset) is not int \
                or type(length) is not int or not 0 < length <= MAX_ENTRY_BYTES:
            return None
        try:
            with open(self.directory / "packs" / pack, "rb") as handle:
                handle.seek(offset)
                blob = handle.read(length)
        except (OSError, ValueError):
            return None
        return blob if len(blob) == length else None

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



SEEN = 0
"""Index value of a key a run met but did not store (see ParseCache.wants)."""
SEEN_MARKS_MIN = 2


def _age(entry: tuple[str, int, int] | int) -> tuple[str, int]:
    """Sort key, oldest first: marks, then entries by the pack (named by its time) and position."""
    return (entry[0], entry[1]) if isinstance(entry, tuple) else ("", 0)


def _write_atomically(path: Path, data: bytes) -> None:
    import tempfile

    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def loads_source(blob: bytes) -> SourceFile | None:
    """A cached SourceFile, unpickled through the allow-list; None when the entry is corrupt, unsafe or
    not a SourceFile."""
    from kubelint_py.cache.safe_pickle import loads_as
    from kubelint_py.loading.source_file import SourceFile

    return loads_as(blob, SourceFile)

