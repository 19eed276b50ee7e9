"""Layer caching rules (DF1xx): layer order, package indexes and caches left in layers."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass

from kubelint_py.checks.dockerfile._common import (
    APT,
    Command,
    ancestry,
    at,
    at_command,
    has_cache_mount,
    image_stage_indices,
    long_flag,
    pip_args,
    run_commands,
    subcommand,
)
from kubelint_py.checks.dockerfile._edits import append_command, insert_after_word
from kubelint_py.engine.registry import SAFE, Fix, Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.loading.build_context import copy_sources, is_whole_context_copy
from kubelint_py.models.dockerfile import Dockerfile, Instruction, Stage
from kubelint_py.parsing.shell import SHELLS

# --------------------------------------------------------------------------- DF101


@dataclass(frozen=True, slots=True)
class Ecosystem:
    name: str
    manifests: tuple[str, ...]
    """Glob patterns of the files an install reads (matched against a COPY source's basename)."""
    advice: str


PYTHON = Ecosystem("pip", ("requirements*.txt", "requirements", "pyproject.toml", "setup.py", "setup.cfg",
                           "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "*.whl"),
                   "requirements.txt (or pyproject.toml and its lock file)")
NODE = Ecosystem("node", ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
                          "pnpm-lock.yaml", "pnpm-workspace.yaml", ".yarnrc.yml"),
                 "package.json and its lock file (package-lock.json, yarn.lock or pnpm-lock.yaml)")
GO = Ecosystem("go", ("go.mod", "go.sum", "go.work", "go.work.sum", "vendor"), "go.mod and go.sum")
RUBY = Ecosystem("ruby", ("Gemfile", "Gemfile.lock", "*.gemspec"), "Gemfile and Gemfile.lock")
PHP = Ecosystem("php", ("composer.json", "composer.lock"), "composer.json and composer.lock")
MAVEN = Ecosystem("maven", ("pom.xml",), "pom.xml")
GRADLE = Ecosystem("gradle", ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts",
                              "gradle.properties", "gradle", "libs.versions.toml"),
                   "build.gradle(.kts), settings.gradle(.kts) and gradle/")
CARGO = Ecosystem("cargo", ("Cargo.toml", "Cargo.lock"), "Cargo.toml and Cargo.lock")
DOTNET = Ecosystem("dotnet", ("*.csproj", "*.fsproj", "*.vbproj", "*.sln", "*.props", "packages.config",
                              "nuget.config", "NuGet.Config", "packages.lock.json"),
                   "the *.csproj/*.sln files")
MIX = Ecosystem("mix", ("mix.exs", "mix.lock"), "mix.exs and mix.lock")

def is_yarn_install(args: tuple[str, ...]) -> bool:
    """`yarn`, `yarn install`, `yarn --frozen-lockfile` (but not `yarn --version`)."""
    sub = subcommand(args)
    if sub is not None:
        return sub == "install"
    return not long_flag(args, "--version", "-v", "--help", "-h")


def _dependency_install(command: Command) -> Ecosystem | None:
    name, args = command.name or "", command.args
    sub = subcommand(args)
    pip = pip_args(command)
    if pip is not None:
        if subcommand(pip) != "install":
            return None
        if any(a in ("-r", "--requirement") or a.startswith(("-r", "--requirement=")) for a in pip):
            return PYTHON
        return PYTHON if any(a in (".", "./") or a.startswith(".[") for a in pip) else None
    if name == "uv":
        if sub == "sync":
            return PYTHON
        if sub == "pip" and "install" in args and any(a in ("-r", ".", "./") or a.startswith("-r") for a in args):
            return PYTHON
        return None
    if name in ("poetry", "pipenv", "pdm") and sub in ("install", "sync"):
        if name == "pipenv" and len([a for a in args if not a.startswith("-")]) > 1:
            return None  # pipenv install <package> adds one package
        return PYTHON
    if name in ("npm", "pnpm") and sub in ("ci", "install", "i"):
        positional = [a for a in args if not a.startswith("-")]
        if len(positional) > 1 or long_flag(args, "-g", "--global"):
            return None  # installs named packages, not the manifest's dependencies
        return NODE
    if name == "yarn" and is_yarn_install(args):
        return NODE
    if name == "go" and sub == "mod" and "download" in args:
        return GO
    if name == "go" and sub in ("build", "install", "test") and not any("@" in a for a in args):
        return GO
    if name in ("bundle", "bundler") and sub in (None, "install"):
        return RUBY
    if name == "composer" and sub == "install":
        return PHP
    if name in ("mvn", "mvnw", "./mvnw") and any(a in ("package", "install", "verify", "compile")
                                                  or a.startswith("dependency:") for a in args):
        return MAVEN
    if name in ("gradle", "gradlew") and any(a in ("build", "assemble", "dependencies", "bootJar", "installDist")
                                             for a in args):
        return GRADLE
    if name == "cargo" and (sub in ("build", "fetch", "vendor") or (sub == "install" and "--path" in args)):
        return CARGO
    if name == "dotnet" and sub in ("restore", "publish", "build"):
        return DOTNET
    if name == "mix" and sub == "deps.get":
        return MIX
    return None


def _copies_manifest(ins: Instruction, eco: Ecosystem) -> bool:
    if ins.keyword in ("COPY", "ADD") and not is_whole_context_copy(ins):
        for source in copy_sources(ins):
            base = source.rstrip("/").rsplit("/", 1)[-1]
            if any(fnmatch.fnmatchcase(base, pattern) for pattern in eco.manifests):
                return True
    if ins.keyword == "RUN":
        for mount in ins.mounts:
            source = mount.get("source") or mount.get("src") or ""
            base = source.rstrip("/").rsplit("/", 1)[-1]
            if mount.get("type", "bind") == "bind" and (
                    not source or any(fnmatch.fnmatchcase(base, p) for p in eco.manifests)):
                return True
    return False


def _prebuilds_dependencies(ins: Instruction, eco: Ecosystem) -> bool:
    """cargo-chef's `cargo chef cook` builds the dependencies from a recipe before `COPY . .`: the later
    `cargo build` only compiles the project, which is the caching pattern this rule asks for."""
    if eco is not CARGO:
        return False
    return any(c.name == "cargo" and c.args[:2] == ("chef", "cook") for c in run_commands(ins))


@rule(
    code="DF101", name="context-copied-before-install", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="The whole build context is copied before the dependency install",
    rationale="Docker reuses a layer only while everything before it is unchanged. After `COPY . .`, "
              "any edit to any source file invalidates the layer that installs the dependencies, so every "
              "build downloads and installs them again.",
    fix="Copy only the dependency manifests (requirements.txt, package.json + lock file, go.mod + go.sum, "
        "...), run the install, then `COPY . .`.",
    tags=("performance", "caching"),
)
def context_copied_before_install(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        chain = ancestry(dockerfile, stage)
        earlier: list[Instruction] = [i for s in chain[:-1] for i in s.instructions]
        whole: Instruction | None = None
        before_whole: list[Instruction] = []
        reported: set[str] = set()
        for ins in stage.instructions:
            if whole is None:
                if is_whole_context_copy(ins):
                    whole = ins
                    before_whole = earlier + list(stage.instructions[:stage.instructions.index(ins)])
                continue
            for command in run_commands(ins):
                eco = _dependency_install(command)
                if eco is None or eco.name in reported:
                    continue
                if any(_copies_manifest(prev, eco) or _prebuilds_dependencies(prev, eco) for prev in before_whole):
                    continue
                reported.add(eco.name)
                tool = " ".join(command.cmd.words[:2]) if len(command.cmd.words) > 1 else command.name
                yield Violation(
                    f"`{tool}` runs after `{whole.keyword} {whole.arguments}` (line {whole.span.line}) copied the "
                    f"whole build context, so any source change reinstalls the dependencies; copy {eco.advice} "
                    "first, install, then copy the rest",
                    at_command(dockerfile, command),
                    (Related(at(dockerfile, whole), "the whole build context is copied here"),))


# --------------------------------------------------------------------------- DF102

_UPDATE_ONLY = {"apt-get": "update", "apt": "update", "aptitude": "update", "apk": "update",
                "yum": "makecache", "dnf": "makecache", "microdnf": "makecache", "zypper": "refresh"}
_CONSUMERS = {
    "apt": {"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "satisfy", "download",
            "reinstall"},
    "apk": {"add", "upgrade", "fix", "fetch"},
    "rpm": {"install", "upgrade", "update", "groupinstall", "reinstall", "builddep", "in", "up", "dist-upgrade",
            "dup"},
}


def _family(name: str | None) -> str | None:
    if name in APT:
        return "apt"
    if name == "apk":
        return "apk"
    if name in ("yum", "dnf", "microdnf", "zypper"):
        return "rpm"
    return None


def _runs_script(command: Command) -> bool:
    """`./install.sh`, `bash /tmp/setup.sh`: a script that may well do the install."""
    name = command.name or ""
    if name.endswith(".sh"):
        return True
    return name in SHELLS and any(not a.startswith("-") and a.endswith(".sh") for a in command.args)


@rule(
    code="DF102", name="package-index-update-alone", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="Package index update in a RUN without an install",
    rationale="The layer holding `apt-get update` is cached on its own: a later `apt-get install` in another "
              "RUN then uses a stale index, fails with 404s or installs outdated packages.",
    fix="Update and install in the same RUN: `RUN apt-get update && apt-get install -y ...`.",
    tags=("caching", "reliability"),
)
def package_index_update_alone(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        commands = run_commands(ins)
        updates = [c for c in commands if c.name in _UPDATE_ONLY and subcommand(c.args) == _UPDATE_ONLY[c.name]]
        for update in updates:
            family = _family(update.name)
            if family is None:
                continue
            consumed = any((_family(c.name) == family and subcommand(c.args) in _CONSUMERS[family])
                           or _runs_script(c) for c in commands if c.index > update.index)
            if not consumed:
                yield Violation(
                    f"`{update.name} {_UPDATE_ONLY[update.name or '']}` runs without an install in the same RUN, "
                    "so later installs use a stale cached index; update and install in one RUN",
                    at_command(dockerfile, update))


# --------------------------------------------------------------------------- DF103 - DF107


def _removes(commands: tuple[Command, ...], *paths: str, after: int = -1) -> bool:
    """Some `rm` in the RUN, after the command at index ``after``, removes one of ``paths`` (or a file
    under it): an `rm` before the install empties nothing the install then writes."""
    for c in commands:
        if c.index <= after:
            continue
        if c.name != "rm" and not (c.name == "find" and "-delete" in c.args):
            continue
        for arg in c.args:
            if arg.startswith("-"):
                continue
            cleaned = arg.rstrip("*").rstrip("/")
            for path in paths:
                if cleaned == path or cleaned.startswith(path + "/") or (path.startswith(cleaned + "/") and cleaned):
                    return True
    return False


def _image_runs(dockerfile: Dockerfile) -> Iterator[tuple[Stage, Instruction]]:
    """RUN instructions of the stages that end up in the final image (builder stages are not shipped)."""
    keep = image_stage_indices(dockerfile)
    for stage in dockerfile.stages:
        if stage.index in keep:
            for ins in stage.instructions:
                if ins.keyword == "RUN":
                    yield stage, ins


def _env_set(dockerfile: Dockerfile, stage: Stage, name: str) -> bool:
    return any(name in s.env for s in ancestry(dockerfile, stage))


_APT_LISTS = "/var/lib/apt/lists"


@rule(
    code="DF103", name="apt-lists-kept", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="apt-get update without removing /var/lib/apt/lists in the same RUN",
    rationale="The package lists (tens of MB) stay in the layer and ship with the image; removing them in "
              "a later RUN does not shrink the earlier layer.",
    fix="End the RUN with `&& rm -rf /var/lib/apt/lists/*`, or use "
        "`RUN --mount=type=cache,target=/var/lib/apt/lists ...`.",
    tags=("size",), aliases=("DL3009",), autofix=SAFE,
)
def apt_lists_kept(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for _stage, ins in _image_runs(dockerfile):
        commands = run_commands(ins)
        update = next((c for c in commands if c.name in APT and subcommand(c.args) == "update"), None)
        if update is None or has_cache_mount(ins, _APT_LISTS) or _removes(commands, _APT_LISTS, after=update.index):
            continue
        if any(c.name in APT and subcommand(c.args) == "dist-clean" and c.index > update.index for c in commands):
            continue  # apt-get dist-clean (apt >= 2.7) removes the lists too
        edit = append_command(ins, "rm -rf /var/lib/apt/lists/*")
        # Safe unless a later RUN installs from the lists this one fetched (then it would fail).
        safe = not _later_apt_use(dockerfile, ins)
        yield Violation(f"`{update.name} update` leaves the package lists in the layer; add "
                        "`&& rm -rf /var/lib/apt/lists/*` to the same RUN (or use a cache mount)",
                        at_command(dockerfile, update),
                        fix=Fix((edit,), safe, "remove /var/lib/apt/lists at the end of the RUN") if edit else None)


def _later_apt_use(dockerfile: Dockerfile, ins: Instruction) -> bool:
    """A RUN after `ins` runs apt without its own `apt-get update` first (it reads the kept lists)."""
    later = False
    for other in dockerfile.instructions:
        if other is ins:
            later = True
            continue
        if not later or other.keyword != "RUN":
            continue
        for command in run_commands(other):
            if command.name in APT:
                if subcommand(command.args) == "update":
                    break
                return True
    return False


def _exports(commands: tuple[Command, ...], name: str) -> bool:
    """`export NAME=...` earlier in the same RUN."""
    for command in commands:
        words = list(command.cmd.words)
        if words[:1] == ["export"] and any(w.startswith(name + "=") for w in words[1:]):
            return True
    return False


@rule(
    code="DF104", name="pip-cache-kept", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="pip install without --no-cache-dir",
    rationale="pip keeps every downloaded wheel in ~/.cache/pip, which ships in the layer and can double the "
              "size of the Python part of the image.",
    fix="Use `pip install --no-cache-dir ...`, set `ENV PIP_NO_CACHE_DIR=1`, or use "
        "`RUN --mount=type=cache,target=/root/.cache/pip ...`.",
    tags=("size",), aliases=("DL3042",), autofix=SAFE,
)
def pip_cache_kept(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage, ins in _image_runs(dockerfile):
        if _env_set(dockerfile, stage, "PIP_NO_CACHE_DIR") or has_cache_mount(ins, "/root/.cache/pip"):
            continue
        commands = run_commands(ins)
        for command in commands:
            args = pip_args(command)
            if args is None or subcommand(args) != "install":
                continue
            if _removes(commands, "/root/.cache/pip", "/root/.cache", after=command.index) or any(
                    (pip_args(c) or ())[:2] == ("cache", "purge") and c.index > command.index for c in commands):
                continue
            # pip's option parser takes unambiguous prefixes: `--no-cache` is `--no-cache-dir`.
            if any(a.startswith("--no-cache") for a in args) or any(
                    a.startswith("PIP_NO_CACHE_DIR=") for a in command.cmd.assignments) \
                    or _exports(commands, "PIP_NO_CACHE_DIR"):
                continue
            edit = insert_after_word(ins, command, "install", " --no-cache-dir")
            yield Violation("`pip install` without `--no-cache-dir` leaves pip's download cache in the layer; "
                            "add --no-cache-dir (or ENV PIP_NO_CACHE_DIR=1, or a cache mount)",
                            at_command(dockerfile, command),
                            fix=Fix((edit,), True, "add --no-cache-dir") if edit else None)


@rule(
    code="DF105", name="apk-cache-kept", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="apk add without --no-cache",
    rationale="Without --no-cache, apk keeps its index and package cache under /var/cache/apk in the layer.",
    fix="Use `apk add --no-cache ...` (it also makes `apk update` unnecessary), or a cache mount on "
        "/var/cache/apk.",
    tags=("size",), aliases=("DL3019",), autofix=SAFE,
)
def apk_cache_kept(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for _stage, ins in _image_runs(dockerfile):
        commands = run_commands(ins)
        if has_cache_mount(ins, "/var/cache/apk", "/etc/apk/cache"):
            continue
        for command in commands:
            if _removes(commands, "/var/cache/apk", after=command.index) or any(
                    c.name == "apk" and subcommand(c.args) == "cache" and "clean" in c.args and c.index > command.index
                    for c in commands):
                continue
            if command.name == "apk" and subcommand(command.args) == "add" and not long_flag(
                    command.args, "--no-cache", "--no-network"):  # --no-network downloads nothing to cache
                edit = insert_after_word(ins, command, "add", " --no-cache")
                yield Violation("`apk add` without `--no-cache` keeps the apk cache in the layer; use "
                                "`apk add --no-cache`", at_command(dockerfile, command),
                                fix=Fix((edit,), True, "add --no-cache") if edit else None)


_RPM_CACHES = {"yum": ("/var/cache/yum",), "dnf": ("/var/cache/dnf", "/var/cache/libdnf5"),
               "microdnf": ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5"), "zypper": ("/var/cache/zypp",)}
# Subcommands that download packages into the cache (dnf/yum upgrade and reinstall do, as install does).
_RPM_DOWNLOADING = frozenset({"install", "in", "groupinstall", "reinstall", "upgrade", "update", "up",
                              "distro-sync", "dist-upgrade", "dup", "swap"})


@rule(
    code="DF106", name="rpm-cache-kept", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="yum/dnf/microdnf/zypper install without cleaning the cache in the same RUN",
    rationale="The metadata and package caches stay in the layer and ship with the image.",
    fix="End the RUN with `&& yum clean all` (dnf clean all, microdnf clean all, zypper clean), or use a "
        "cache mount on /var/cache/<manager>.",
    tags=("size",), aliases=("DL3032", "DL3040", "DL3036"),
)
def rpm_cache_kept(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for _stage, ins in _image_runs(dockerfile):
        commands = run_commands(ins)
        by_manager: dict[str, list[Command]] = {}
        for command in commands:
            name = command.name or ""
            if name in _RPM_CACHES and subcommand(command.args) in _RPM_DOWNLOADING:
                by_manager.setdefault(name, []).append(command)
        for name, downloads in by_manager.items():
            last = downloads[-1]
            caches = _RPM_CACHES[name]
            # `dnf clean packages` leaves the metadata: only `clean all` (zypper: any clean) empties the cache.
            cleaned = any(c.name == name and subcommand(c.args) in ("clean", "cc") and c.index > last.index
                          and (name == "zypper" or "all" in c.args) for c in commands)
            if cleaned or has_cache_mount(ins, *caches) or _removes(commands, *caches, after=last.index):
                continue
            clean = "zypper clean" if name == "zypper" else f"{name} clean all"
            first = downloads[0]
            # One problem per RUN and manager: the other downloading commands are related locations.
            yield Violation(f"`{name} {subcommand(first.args)}` without `{clean}` later in the same RUN keeps the "
                            f"package cache in the layer; add `&& {clean}`", at_command(dockerfile, first),
                            tuple(Related(at_command(dockerfile, c), f"{name} downloads here too")
                                  for c in downloads[1:]))


@rule(
    code="DF107", name="node-cache-kept", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="npm/yarn install without cleaning their cache in the same RUN",
    rationale="npm and yarn keep a copy of every downloaded package in their cache, which ships with the image.",
    fix="Add `&& npm cache clean --force` (or `yarn cache clean`) to the same RUN, or use a cache mount on "
        "/root/.npm or /usr/local/share/.cache/yarn.",
    tags=("size",), aliases=("DL3060",), enabled_by_default=False,
)
def node_cache_kept(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    caches = {"npm": ("/root/.npm", "/home/node/.npm"),
              "yarn": ("/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/home/node/.cache/yarn")}
    for _stage, ins in _image_runs(dockerfile):
        commands = run_commands(ins)
        for command in commands:
            name = command.name or ""
            sub = subcommand(command.args)
            if not ((name == "npm" and sub in ("install", "i", "ci")) or (name == "yarn" and (
                    is_yarn_install(command.args) or sub == "add"))):
                continue
            cleaned = any(c.name == name and subcommand(c.args) == "cache" and "clean" in c.args
                          and c.index > command.index for c in commands)
            if cleaned or has_cache_mount(ins, *caches[name]) or _removes(commands, *caches[name],
                                                                          after=command.index):
                continue
            yield Violation(f"`{name} {sub or 'install'}` leaves the {name} cache in the layer; add "
                            f"`&& {'npm cache clean --force' if name == 'npm' else 'yarn cache clean'}`",
                            at_command(dockerfile, command))


# --------------------------------------------------------------------------- DF108


@rule(
    code="DF108", name="consecutive-run", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="Consecutive RUN instructions that could be one",
    rationale="Each RUN makes a layer; consecutive RUNs with the same options can usually be joined with `&&`, "
              "which gives fewer layers and lets a cleanup in the same RUN actually shrink the image.",
    fix="Join the commands into one RUN with `&&` (or a heredoc), unless you split them on purpose for caching.",
    tags=("size", "style"), aliases=("DL3059",), enabled_by_default=False,
)
def consecutive_run(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        previous: Instruction | None = None
        for ins in stage.instructions:
            if (ins.keyword == "RUN" and previous is not None and previous.keyword == "RUN"
                    and ins.flags == () and previous.flags == () and not ins.is_exec_form
                    and not previous.is_exec_form):
                yield Violation(f"RUN follows the RUN on line {previous.span.line} with the same options; join them "
                                "with `&&` to save a layer", at(dockerfile, ins),
                                (Related(at(dockerfile, previous), "previous RUN"),))
            previous = ins
