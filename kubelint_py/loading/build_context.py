"""Build contexts: which secret-looking files a `docker build` would send, for the cross-file rules.

`scan_context` is the only function here that touches the disk; the loader calls it, only for
Dockerfiles that copy the whole context, and the rules read its result from the project index.
Everything else is pure. The Compose rules reuse it for `build.context` folders.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from kubelint_py.discovery.dockerignore import DockerIgnore
from kubelint_py.loading.scans import RECORDS
from kubelint_py.models.dockerfile import Instruction

__all__ = [
    "ContextListing",
    "copy_sources",
    "is_secret_file",
    "is_whole_context_copy",
    "scan_context",
    "secret_files",
]

# Folders never descended into: version control internals and dependency trees hold no files of
# the user's own, and walking them would make the scan slow.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
                       ".mypy_cache", ".ruff_cache", ".pytest_cache", ".terraform", ".idea", ".vscode"})
MAX_ENTRIES = 20000
MAX_DEPTH = 12

_SECRET_NAMES = frozenset({
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", ".env", ".npmrc", ".pypirc",
    ".netrc", "_netrc", ".git-credentials", ".pgpass", ".htpasswd", "kubeconfig", ".dockercfg", ".my.cnf",
    ".s3cfg", ".boto", "secrets.env",
})
_SECRET_GLOBS = ("*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk", "id_rsa*", "id_dsa*",
                 "id_ecdsa*", "id_ed25519*", ".env.*", "*.env", "kubeconfig*", "*.kubeconfig")
_NOT_SECRET_SUFFIXES = (".pub", ".example", ".sample", ".template", ".tmpl", ".dist", ".defaults", ".default",
                        ".md", ".txt", ".pub.pem")
_SECRET_PATHS = (".aws/credentials", ".aws/config", ".docker/config.json", ".kube/config", ".ssh/*",
                 ".gnupg/*", ".config/gcloud/*", ".azure/*")
_NOT_SECRET_SSH = frozenset({"known_hosts", "config", "authorized_keys", "known_hosts.old"})
# Whole folders whose copy is a secret leak.
_SECRET_DIRS = frozenset({".ssh", ".aws", ".docker", ".kube", ".gnupg"})


def is_secret_file(path: str) -> bool:
    """True for a path whose name says it holds credentials (keys, .env, .npmrc, cloud config ...)."""
    path = path.replace("\\", "/").strip("/")
    base = path.rsplit("/", 1)[-1]
    if not base or base in ("*", "."):
        return False
    lower = base.lower()
    if lower.endswith(_NOT_SECRET_SUFFIXES):
        return False
    if base in _SECRET_DIRS and "/" not in path:
        return True
    if lower in _SECRET_NAMES or any(fnmatch.fnmatchcase(lower, g) for g in _SECRET_GLOBS):
        return True
    for pattern in _SECRET_PATHS:
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern):
            return not (pattern.startswith(".ssh") and base in _NOT_SECRET_SSH)
    return False


WHOLE_CONTEXT = frozenset({".", "./", "./.", "./*", "*", "$PWD", "${PWD}"})


def copy_sources(ins: Instruction) -> list[str]:
    """Source arguments of COPY/ADD (everything but the destination), quotes removed."""
    words = list(ins.json_args) if ins.json_args is not None else ins.arguments.split()
    return [w.strip("\"'") for w in words[:-1]]


def is_whole_context_copy(ins: Instruction) -> bool:
    """COPY/ADD of the whole build context (`COPY . .`, `ADD ./ /app`), not from another stage."""
    if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None or ins.heredocs:
        return False
    return any(s in WHOLE_CONTEXT for s in copy_sources(ins))


@dataclass(frozen=True, slots=True)
class ContextListing:
    """What the loader saw in a build context folder."""

    root: str
    secret_candidates: tuple[str, ...]
    """Secret-looking files (relative, `/`-separated), before .dockerignore is applied."""
    ignore_file: str | None
    """The ignore file that applies (`<Dockerfile>.dockerignore` or `.dockerignore`), when there is one."""
    ignore_text: str | None
    truncated: bool
    """True when the walk stopped at MAX_ENTRIES or MAX_DEPTH: absence of findings proves less."""

    def ignore(self) -> DockerIgnore:
        return DockerIgnore.parse(self.ignore_text or "")

    def leaked(self) -> list[str]:
        """The secret-looking files that the ignore file lets into the build context."""
        return secret_files(self.secret_candidates, self.ignore())


def secret_files(candidates: Iterable[str], ignore: DockerIgnore | None) -> list[str]:
    """The secret-looking paths that .dockerignore does not exclude (that `COPY . .` would copy)."""
    return [p for p in candidates if is_secret_file(p) and (ignore is None or not ignore.is_excluded(p))]


def _read(path: str) -> str | None:
    try:
        # Non-blocking, and regular files only: a FIFO named .dockerignore must not stall the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb", closefd=True) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return handle.read(1_000_000).decode("utf-8", errors="replace")
    except OSError:
        return None


def scan_context(root: str, dockerfile_name: str | None = None, *, max_entries: int = MAX_ENTRIES) -> ContextListing:
    """Walk a build context (bounded, no links followed) and collect its secret-looking files.

    The ignore file is read first: when it has no `!` exceptions, folders it excludes are not walked
    (their files could not reach the image anyway).
    """
    listing = _scan_context(root, dockerfile_name, max_entries=max_entries)
    for scans in RECORDS:
        scans.append((root, dockerfile_name, listing))
    return listing


def _scan_context(root: str, dockerfile_name: str | None, *, max_entries: int) -> ContextListing:
    ignore_file: str | None = None
    ignore_text: str | None = None
    candidates = [f"{dockerfile_name}.dockerignore"] if dockerfile_name else []
    for name in [*candidates, ".dockerignore"]:
        text = _read(os.path.join(root, name))
        if text is not None:
            ignore_file, ignore_text = name, text
            break
    ignore = DockerIgnore.parse(ignore_text or "")
    prune = bool(ignore.patterns) and not any(p.exclusion for p in ignore.patterns)
    found: list[str] = []
    seen = 0
    truncated = False
    base_depth = root.rstrip(os.sep).count(os.sep)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        if dirpath.count(os.sep) - base_depth >= MAX_DEPTH:
            dirnames[:] = []
            truncated = True
        else:
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS
                                 and not (prune and ignore.is_excluded(rel_dir + d)))
        for name in sorted(filenames):
            seen += 1
            if is_secret_file(rel_dir + name):
                found.append(rel_dir + name)
        seen += len(dirnames)
        if seen > max_entries:
            truncated = True
            break
    return ContextListing(root, tuple(found), ignore_file, ignore_text, truncated)
