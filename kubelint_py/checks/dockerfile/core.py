"""The hadolint core (DF3xx): users, shells, package managers, stages and instruction forms.

DF301 (base-image-unpinned) lives in base_image.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.checks.dockerfile._common import (
    Command,
    ancestry,
    at,
    at_command,
    long_flag,
    pip_args,
    run_commands,
    short_flags,
    stage_label,
    subcommand,
)
from kubelint_py.checks.dockerfile._edits import (
    exec_form,
    insert_after_word,
    insert_before_word,
    prepend_to_script,
    replace_instruction,
    replace_word,
)
from kubelint_py.engine.registry import (
    SAFE,
    UNSAFE,
    Fix,
    Parameter,
    Related,
    RuleContext,
    Severity,
    Target,
    Violation,
    rule,
)
from kubelint_py.loading.build_context import copy_sources
from kubelint_py.models.dockerfile import Dockerfile, Instruction, Stage
from kubelint_py.parsing.shell import command_name, split_commands


@rule(
    code="DF302", name="runs-as-root", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="The final stage runs as root (last USER is root, or there is no USER)",
    rationale="A process running as root in the container is root on the host's kernel: a container escape "
              "or a writable host mount then gives full control.",
    fix="Create an unprivileged user and end the final stage with `USER <name or uid>` (e.g. `USER 10001`).",
    tags=("security",), aliases=("DL3002",),
    parameters={"require_user": Parameter(True, "Also report a final stage with no USER at all (set false to "
                                                "report only an explicit `USER root`, as hadolint does).")},
)
def runs_as_root(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    final = dockerfile.final_stage
    if final is None:
        return
    last: Instruction | None = None
    for stage in ancestry(dockerfile, final):
        for ins in stage.instructions:
            if ins.keyword == "USER":
                last = ins
    if last is None:
        if not ctx.params.get("require_user", True):
            return
        image = (final.base_image_resolved or final.base_image).lower()
        if "nonroot" in image:  # distroless and chainguard `:nonroot` variants set a non-root user
            return
        yield Violation(f"the final {stage_label(final)} sets no USER, so the container runs as root unless the "
                        f"base image says otherwise; add `USER <non-root user>`",
                        at(dockerfile, final.from_instruction))
        return
    user = last.arguments.strip().strip("\"'").split(":", 1)[0]
    if user in ("root", "0"):
        yield Violation(f"the final {stage_label(final)} ends with `USER {last.arguments}`, so the container runs "
                        "as root; switch to a non-root user after the steps that need root", at(dockerfile, last))


@rule(
    code="DF303", name="sudo-in-run", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="sudo used in RUN",
    rationale="RUN already runs as the current USER; sudo adds an unpredictable TTY/password dependency and "
              "a setuid binary to the image.",
    fix="Drop sudo: switch with `USER root` before the RUN (and back after), or use gosu/su-exec at run time.",
    tags=("security",), aliases=("DL3004",),
)
def sudo_in_run(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        uses = [c for c in run_commands(ins) if c.cmd.words and c.cmd.words[0].rsplit("/", 1)[-1] == "sudo"]
        if not uses:
            continue
        # One problem, one finding: the other sudo commands of the same RUN are related locations.
        more = f" ({len(uses)} times)" if len(uses) > 1 else ""
        yield Violation(f"RUN uses sudo{more}; use `USER root` for the steps that need it instead",
                        at_command(dockerfile, uses[0]),
                        tuple(Related(at_command(dockerfile, c), "sudo used again in this RUN") for c in uses[1:]))


@rule(
    code="DF304", name="cd-instead-of-workdir", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="RUN starts with `cd` where WORKDIR would do",
    rationale="`cd` lasts for one RUN only, so the next RUN silently runs elsewhere; WORKDIR sets the "
              "directory for every later instruction and documents it.",
    fix="Use `WORKDIR /path` before the RUN (a `cd` into a folder the same RUN creates is fine).",
    tags=("style",), aliases=("DL3003",),
)
def cd_instead_of_workdir(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        for command in run_commands(ins):
            if command.cmd.depth:
                continue
            if command.name == "set":
                continue
            if command.name == "cd" and command.args and command.args[0] != "-":
                yield Violation(f"RUN starts with `cd {command.args[0]}`; use `WORKDIR {command.args[0]}` instead",
                                at_command(dockerfile, command))
            break


@rule(
    code="DF305", name="relative-workdir", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="WORKDIR with a relative path and no absolute WORKDIR before it",
    rationale="A relative WORKDIR is resolved against the base image's working directory, which can change "
              "with the base image.",
    fix="Use an absolute path: `WORKDIR /app`.",
    tags=("reliability",), aliases=("DL3000",),
)
def relative_workdir(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        absolute = False
        for s in ancestry(dockerfile, stage)[:-1]:
            absolute = absolute or any(i.keyword == "WORKDIR" and _is_absolute(i.arguments) for i in s.instructions)
        for ins in stage.instructions:
            if ins.keyword != "WORKDIR":
                continue
            if _is_absolute(ins.arguments):
                absolute = True
            elif not absolute:
                yield Violation(f"WORKDIR '{ins.arguments}' is relative to the base image's working directory; use "
                                "an absolute path", at(dockerfile, ins))


def _is_absolute(path: str) -> bool:
    path = path.strip().strip("\"'")
    return path.startswith(("/", "$")) or bool(re.match(r"^[A-Za-z]:[\\/]", path)) or not path


_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst",
             ".tar.lz", ".tar.lzma", ".gz", ".bz2", ".xz")


@rule(
    code="DF306", name="add-instead-of-copy", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="ADD used for local files where COPY would do",
    rationale="ADD also fetches URLs and extracts archives; using it for plain files hides that magic, and a "
              "file that later becomes a .tar is silently unpacked.",
    fix="Use COPY for files and folders; keep ADD for remote URLs, git sources and archives you want extracted.",
    tags=("style",), aliases=("DL3020",),
)
def add_instead_of_copy(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword != "ADD" or ins.heredocs or ins.has_flag("checksum") or ins.has_flag("keep-git-dir") \
                or ins.has_flag("unpack"):
            continue
        sources = copy_sources(ins)
        if not sources:
            continue
        if any("://" in s or s.startswith("git@") or "$" in s or s.lower().endswith(_ARCHIVES) for s in sources):
            continue
        yield Violation(f"ADD copies local files ({', '.join(sources)}); use COPY", at(dockerfile, ins))


_APT_VALUE_OPTIONS = frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release",
                                "--default-release"})


@rule(
    code="DF307", name="install-without-yes", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="apt-get/yum/dnf/zypper install without -y (or zypper's --non-interactive)",
    rationale="The build has no terminal: the package manager waits for a confirmation that never comes and "
              "the build aborts.",
    fix="Add `-y` (`apt-get install -y`, `dnf install -y`), or `zypper --non-interactive install`.",
    tags=("reliability",), aliases=("DL3014", "DL3030", "DL3038", "DL3034"), autofix=SAFE,
)
def install_without_yes(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        for command in run_commands(ins):
            name, args = command.name or "", command.args
            if command.cmd.operator_before in ("|", "|&"):
                continue  # `yes | apt-get install ...`
            if name not in ("apt-get", "apt", "yum", "dnf", "zypper"):
                continue
            flags = short_flags(args)
            if name in ("apt-get", "apt") and subcommand(args, _APT_VALUE_OPTIONS) == "install":
                quiet2 = sum(a.count("q") for a in args if a.startswith("-") and not a.startswith("--")) >= 2 \
                    or "-q=2" in args or "--quiet=2" in args
                yes = "y" in flags or long_flag(args, "--yes", "--assume-yes", "--force-yes") or quiet2 or any(
                    "Assume-Yes" in a for a in args)
            elif name in ("yum", "dnf") and subcommand(args, frozenset({"-c", "--setopt", "--enablerepo",
                                                                        "--disablerepo", "--installroot"})) in (
                    "install", "groupinstall", "reinstall", "update", "upgrade", "remove"):
                yes = "y" in flags or long_flag(args, "--assumeyes", "--yes")
            elif name == "zypper" and subcommand(args, frozenset({"--root", "-R"})) in ("install", "in", "update",
                                                                                        "up", "remove", "rm"):
                yes = long_flag(args, "-n", "--non-interactive", "--no-confirm", "-y")
            else:
                continue
            if not yes:
                fix = "zypper --non-interactive" if name == "zypper" else "-y"
                word = subcommand(args, _APT_VALUE_OPTIONS if name in ("apt-get", "apt") else frozenset(
                    {"-c", "--setopt", "--enablerepo", "--disablerepo", "--installroot", "--root", "-R"}))
                edit = None
                if word:
                    edit = insert_before_word(ins, command, word, "--non-interactive ") if name == "zypper" \
                        else insert_after_word(ins, command, word, " -y")
                yield Violation(f"`{name} {subcommand(args, _APT_VALUE_OPTIONS)}` without `{fix}` waits for a "
                                f"confirmation and fails the build; add {fix}", at_command(dockerfile, command),
                                fix=Fix((edit,), True, f"add {fix.split()[-1]}") if edit else None)


def _apt_installs(dockerfile: Dockerfile) -> Iterator[tuple[Instruction, Command]]:
    for ins in dockerfile.instructions:
        for command in run_commands(ins):
            if command.name in ("apt-get", "apt") and subcommand(command.args, _APT_VALUE_OPTIONS) == "install":
                yield ins, command


@rule(
    code="DF308", name="apt-install-recommends", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="apt-get install without --no-install-recommends",
    rationale="Recommended packages are not needed to run the software and often double the size of the "
              "layer (and the attack surface).",
    fix="Add `--no-install-recommends` and list what you really need.",
    tags=("size",), aliases=("DL3015",), autofix=UNSAFE,
)
def apt_install_recommends(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    configured = any(
        "Install-Recommends" in word
        for ins in dockerfile.instructions for c in run_commands(ins) if c.name in ("echo", "printf", "tee")
        for word in c.args)
    if configured:
        return
    for ins, command in _apt_installs(dockerfile):
        if "--no-install-recommends" in command.args or any("Install-Recommends" in a for a in command.args):
            continue
        # Unsafe: a package the software needs may have come in only as a recommendation.
        edit = insert_after_word(ins, command, "install", " --no-install-recommends")
        yield Violation(f"`{command.name} install` without `--no-install-recommends` pulls in recommended packages; "
                        "add --no-install-recommends", at_command(dockerfile, command),
                        fix=Fix((edit,), False, "add --no-install-recommends") if edit else None)


def _unpinned(command: Command) -> tuple[str, list[str]] | None:
    name, args = command.name or "", command.args
    if name in ("apt-get", "apt") and subcommand(args, _APT_VALUE_OPTIONS) == "install":
        packages = _positional(args, _APT_VALUE_OPTIONS)[1:]
        return "apt", [p for p in packages if "=" not in p and not p.endswith(".deb") and "/" not in p]
    if name == "apk" and subcommand(args, frozenset({"-X", "--repository", "-t", "--virtual", "--root"})) == "add":
        if long_flag(args, "-t", "--virtual"):
            return None  # a virtual build-deps group, removed later in the same RUN
        packages = _positional(args, frozenset({"-X", "--repository", "--root"}))[1:]
        return "apk", [p for p in packages if "=" not in p and "~" not in p and not p.endswith(".apk")]
    pip = pip_args(command)
    if pip is not None and subcommand(pip) == "install":
        if long_flag(pip, "-c", "--constraint", "-r", "--requirement") or any(a.startswith("-c") for a in pip):
            return None
        packages = _positional(pip, _PIP_VALUE_OPTIONS)[1:]
        editable = [a for i, a in enumerate(pip) if i and pip[i - 1] in ("-e", "--editable")]
        return "pip", [p for p in [*packages, *editable] if _pip_unpinned(p)]
    if name == "npm" and subcommand(args) in ("install", "i", "add"):
        packages = _positional(args, _NPM_VALUE_OPTIONS)[1:]
        return "npm", [p for p in packages if _npm_unpinned(p)]
    if name == "gem" and subcommand(args) == "install":
        if long_flag(args, "-v", "--version"):
            return None
        packages = _positional(args, frozenset({"-n", "--bindir", "-i", "--install-dir", "--source"}))[1:]
        return "gem", [p for p in packages if ":" not in p]
    return None


_PIP_VALUE_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--trusted-host", "--platform", "--python-version", "--only-binary", "--no-binary", "--src", "-e",
    "--editable", "--upgrade-strategy", "--progress-bar", "-C", "--config-settings", "--global-option",
    "--log", "--cache-dir", "--proxy", "--retries", "--timeout", "--implementation", "--abi",
    "--exists-action", "--root-user-action", "--report", "--python", "--cert", "--client-cert"})
_NPM_VALUE_OPTIONS = frozenset({"--prefix", "--registry", "--cache", "--loglevel", "--omit", "--include",
                                "--userconfig", "--install-strategy", "--workspace", "-w", "--tag"})
_VCS = ("git+", "hg+", "svn+", "bzr+")


def _vcs_pinned(url: str, marker: str) -> bool:
    """A VCS URL names a ref after the path (`git+https://host/x/y.git@v1.2`, npm's `...#v1.2`)."""
    rest = url.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    return marker in path


def _pip_unpinned(spec: str) -> bool:
    if spec.startswith(_VCS):
        return not _vcs_pinned(spec, "@")  # a VCS install without a ref follows the branch
    if spec.startswith((".", "/", "~")) or "://" in spec or spec.endswith((".whl", ".tar.gz", ".zip")) \
            or ("/" in spec and not re.search(r"[=<>~!]", spec)):
        return False  # a local path or an archive: not a package from the index
    return not re.search(r"[=<>~!@]", spec) and spec not in ("pip", "setuptools", "wheel")


def _npm_unpinned(spec: str) -> bool:
    if spec.startswith(_VCS) or spec.startswith(("git://", "github:", "gitlab:", "bitbucket:")):
        return not _vcs_pinned(spec, "#") and "#" not in spec
    if spec.startswith((".", "/", "~", "file:")) or "://" in spec or spec.endswith((".tgz", ".tar.gz")):
        return False
    if "/" in spec and not spec.startswith("@"):
        return "#" not in spec  # GitHub shorthand user/repo: pinned with #ref
    return "@" not in spec.lstrip("@")


def _positional(args: tuple[str, ...], with_values: frozenset[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in with_values
            continue
        if "$" in arg:
            continue
        out.append(arg)
    return out


@rule(
    code="DF309", name="unpinned-package", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="apt/apk/pip/npm/gem package installed without a version",
    rationale="Without a pinned version, a rebuild installs whatever is current and can change or break the "
              "image with no change in the repository.",
    fix="Pin versions (`curl=8.5.0-2`, `curl=~8.5`, `flask==3.0.3`, `typescript@5.4.5`, `gem install x -v 1.2`), "
        "or install from a lock or constraints file.",
    tags=("reproducibility",), aliases=("DL3008", "DL3018", "DL3013", "DL3016", "DL3028"), enabled_by_default=False,
)
def unpinned_package(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        for command in run_commands(ins):
            found = _unpinned(command)
            if found and found[1]:
                tool, names = found
                shown = ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
                yield Violation(f"{tool} installs {shown} without a pinned version; pin the versions",
                                at_command(dockerfile, command))


_ALWAYS_SUCCEED = frozenset({"echo", "printf", "yes", "true"})  # builtins that cannot fail


def _shell_of(dockerfile: Dockerfile, stage: Stage, before: Instruction) -> tuple[str, ...] | None:
    shell: tuple[str, ...] | None = None
    for s in ancestry(dockerfile, stage):
        for ins in s.instructions:
            if ins is before:
                return shell
            if ins.keyword == "SHELL" and ins.json_args:
                shell = ins.json_args
    return shell


MAX_SUBSTITUTIONS = 200
"""`$(...)` bodies of one RUN examined for pipes (a budget)."""


def _piped_substitution(commands: tuple[Command, ...]) -> tuple[Command, str] | None:
    """The first top-level command with a `$(left | right)` whose left side can fail, and left's name."""
    seen = 0
    for command in commands:
        if command.cmd.depth:
            continue
        for word in (*command.cmd.assignments, *command.cmd.words):
            start = word.find("$(")
            while start >= 0 and seen < MAX_SUBSTITUTIONS:
                seen += 1
                body = _substitution_body(word, start + 2)
                inner = split_commands(body)
                for position, sub in enumerate(inner):
                    if sub.operator_before in ("|", "|&") and position:
                        left = command_name(inner[position - 1])
                        if left and left not in _ALWAYS_SUCCEED:
                            return command, left
                start = word.find("$(", start + 2)
    return None


def _substitution_body(word: str, begin: int) -> str:
    depth = 1
    for position in range(begin, len(word)):
        if word[position] == "(":
            depth += 1
        elif word[position] == ")":
            depth -= 1
            if not depth:
                return word[begin:position]
    return word[begin:]


def _pipefail_shell(dockerfile: Dockerfile, stage: Stage, ins: Instruction) -> bool:
    shell = _shell_of(dockerfile, stage, ins)
    return shell is not None and ("pipefail" in shell or not re.search(r"(?:^|/)(?:ba|z|k|a|da)?sh$", shell[0]))


def _sets_pipefail(commands: tuple[Command, ...], before: int) -> bool:
    return any(c.name == "set" and c.index < before and any(
        a == "pipefail" or (a.startswith("-") and "o" in a and "pipefail" in c.args) for a in c.args)
        for c in commands)


@rule(
    code="DF310", name="pipe-without-pipefail", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="RUN with a pipe but without `set -o pipefail`",
    rationale="A pipeline's status is that of its last command: `curl ... | tar x` succeeds when curl fails, "
              "and the build goes on with a broken or empty download.",
    fix="Set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN, or start the RUN with "
        "`set -o pipefail &&` (bash, ash, dash >= 0.5.12).",
    tags=("reliability",), aliases=("DL4006",), autofix=UNSAFE,
)
def pipe_without_pipefail(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        for ins in stage.instructions:
            if ins.keyword != "RUN" or ins.is_exec_form:
                continue
            commands = run_commands(ins)
            pipes = [c for c in commands if c.cmd.operator_before in ("|", "|&") and c.cmd.depth == 0]
            if not pipes:
                substituted = _piped_substitution(commands)
                if substituted is not None and not _pipefail_shell(dockerfile, stage, ins) \
                        and not _sets_pipefail(commands, substituted[0].index):
                    yield Violation(f"`$({substituted[1]} ... | ...)` hides a failure of {substituted[1]}: the "
                                    "substitution's status is the last command's; add `set -o pipefail &&` or a "
                                    "SHELL with -o pipefail", at_command(dockerfile, substituted[0]))
                continue
            shell = _shell_of(dockerfile, stage, ins)
            if shell is not None and ("pipefail" in shell or not re.search(r"(?:^|/)(?:ba|z|k|a|da)?sh$",
                                                                             shell[0])):
                continue
            risky = None
            for pipe in pipes:
                left = commands[pipe.index - 1] if pipe.index else None
                if left is not None and left.name not in _ALWAYS_SUCCEED:
                    risky = pipe
                    break
            if risky is None:
                continue
            if any(c.name == "set" and c.index < risky.index and any(
                    a == "pipefail" or (a.startswith("-") and "o" in a and "pipefail" in c.args) for a in c.args)
                   for c in commands):
                continue
            left = commands[risky.index - 1]
            # Unsafe: /bin/sh may be a shell without pipefail (dash before 0.5.12), and a pipeline that
            # failed quietly before now fails the build.
            edit = prepend_to_script(ins, "set -o pipefail && ")
            yield Violation(f"`{left.name} ... | {risky.name}` hides a failure of {left.name}; add "
                            "`set -o pipefail &&` or a SHELL with -o pipefail", at_command(dockerfile, left),
                            fix=Fix((edit,), False, "start the RUN with `set -o pipefail &&`") if edit else None)


@rule(
    code="DF311", name="repeated-cmd-entrypoint-healthcheck", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="More than one CMD, ENTRYPOINT or HEALTHCHECK in a stage",
    rationale="Only the last one takes effect; the earlier ones are dead code that misleads readers.",
    fix="Keep only the last one.",
    tags=("correctness",), aliases=("DL4003", "DL4004", "DL3012"),
)
def repeated_cmd_entrypoint_healthcheck(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        for keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            found = [i for i in stage.instructions if i.keyword == keyword]
            for ins in found[:-1]:
                last = found[-1]
                yield Violation(f"this {keyword} is overridden by the {keyword} on line {last.span.line} in the same "
                                "stage; remove it", at(dockerfile, ins),
                                (Related(at(dockerfile, last), "takes effect"),))


@rule(
    code="DF312", name="maintainer-deprecated", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="MAINTAINER is deprecated",
    rationale="MAINTAINER has been deprecated since Docker 1.13; tools read the author from labels.",
    fix="Use `LABEL org.opencontainers.image.authors=\"name <email>\"`.",
    tags=("style",), aliases=("DL4000",), autofix=SAFE,
)
def maintainer_deprecated(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword == "MAINTAINER":
            author = ins.arguments.strip()
            # LABEL expands variables and escapes where MAINTAINER took the text as it is: plain text only.
            edit = replace_instruction(ins, f'LABEL org.opencontainers.image.authors="{author}"') \
                if author and not any(c in author for c in '"\\$`') else None
            yield Violation("MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors=...",
                            at(dockerfile, ins),
                            fix=Fix((edit,), True, "replace MAINTAINER by LABEL org.opencontainers.image.authors")
                            if edit else None)


def _from_refs(ins: Instruction) -> list[str]:
    refs: list[str] = []
    if ins.keyword in ("COPY", "ADD"):
        value = ins.flag("from")
        if value:
            refs.append(value)
    if ins.keyword == "RUN":
        for mount in ins.mounts:
            if mount.get("from"):
                refs.append(mount["from"])
    return refs


@rule(
    code="DF313", name="copy-from-invalid-stage", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="COPY --from names the current stage, a later stage, or no stage at all",
    rationale="A stage cannot copy from itself or from a stage defined after it; a name that is no stage is "
              "pulled as an image (`--from=builder` with a typo pulls docker.io/library/builder).",
    fix="Refer to a stage defined earlier (`FROM ... AS build`, then `COPY --from=build`), or give an image "
        "reference a tag (`--from=nginx:1.27`).",
    tags=("correctness",), aliases=("DL3022", "DL3023"),
)
def copy_from_invalid_stage(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    stages = dockerfile.stages
    for stage in stages:
        for ins in stage.instructions:
            for ref in _from_refs(ins):
                if "$" in ref or any(c in ref for c in ":/@"):
                    continue  # a variable or an image reference
                if ref.isdigit():
                    target_index = int(ref)
                    if target_index == stage.index:
                        yield Violation(f"--from={ref} is the current stage; a stage cannot copy from itself",
                                        at(dockerfile, ins))
                    elif target_index > stage.index:
                        yield Violation(f"--from={ref} refers to a stage that is not defined before this one",
                                        at(dockerfile, ins))
                    continue
                target = dockerfile.stage_by_name(ref)
                if target is None:
                    yield Violation(f"--from={ref} is not a stage defined in this Dockerfile (it would be pulled as "
                                    "an image); fix the stage name, or tag the image", at(dockerfile, ins))
                elif target.index == stage.index:
                    yield Violation(f"--from={ref} is the current stage; a stage cannot copy from itself",
                                    at(dockerfile, ins))
                elif target.index > stage.index:
                    yield Violation(f"--from={ref} refers to stage '{ref}' defined later (line "
                                    f"{target.from_instruction.span.line}); move that stage up",
                                    at(dockerfile, ins))


@rule(
    code="DF314", name="duplicate-stage-name", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="Two stages have the same name",
    rationale="BuildKit rejects duplicate stage names (they are case-insensitive); older builders silently "
              "used one of them in COPY --from.",
    fix="Rename one of the stages.",
    tags=("correctness",), aliases=("DL3024",),
)
def duplicate_stage_name(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    seen: dict[str, Stage] = {}
    for stage in dockerfile.stages:
        if stage.name is None:
            continue
        first = seen.get(stage.name.lower())
        if first is None:
            seen[stage.name.lower()] = stage
            continue
        yield Violation(f"stage name '{stage.name}' is already used on line {first.from_instruction.span.line}; "
                        "rename one", at(dockerfile, stage.from_instruction),
                        (Related(at(dockerfile, first.from_instruction), "first stage with this name"),))


_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)


@rule(
    code="DF315", name="invalid-expose-port", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="EXPOSE with a port outside 0-65535 or a malformed protocol",
    rationale="Docker refuses the build (or the run) with an invalid port; `EXPOSE 8080:80` is a compose-style "
              "mapping that EXPOSE does not accept.",
    fix="Use `EXPOSE <port>[/tcp|udp|sctp]` with a port between 0 and 65535; publish ports at run time.",
    tags=("correctness",), aliases=("DL3011",),
)
def invalid_expose_port(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword != "EXPOSE":
            continue
        for word in ins.arguments.split():
            word = word.strip("\"'")
            if "$" in word:
                continue
            match = _PORT.match(word)
            if match is None or any(int(g) > 65535 for g in match.groups()[:2] if g):
                yield Violation(f"EXPOSE '{word}' is not a valid port (0-65535, optionally /tcp, /udp or /sctp)",
                                at(dockerfile, ins))


@rule(
    code="DF316", name="shell-form-cmd", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="CMD or ENTRYPOINT in shell form",
    rationale="In shell form the process runs under `/bin/sh -c`: it is not PID 1, does not get SIGTERM on "
              "`docker stop` and is killed after the grace period. Shell-form ENTRYPOINT also ignores CMD.",
    fix="Use the JSON (exec) form: `CMD [\"gunicorn\", \"app:app\"]` (double quotes), with `exec` in a wrapper "
        "script if you need a shell.",
    tags=("reliability",), aliases=("DL3025",), autofix=UNSAFE,
)
def shell_form_cmd(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword not in ("CMD", "ENTRYPOINT") or ins.is_exec_form or not ins.arguments:
            continue
        if ins.arguments.startswith("["):
            yield Violation(f"{ins.keyword} looks like JSON but is not valid JSON (use double quotes), so it runs in "
                            "shell form", at(dockerfile, ins))
        elif not _execs_last(ins.arguments):
            # Unsafe: without the shell, variables are not expanded and a shell-form ENTRYPOINT starts
            # taking CMD as arguments.
            edit = exec_form(ins)
            yield Violation(f"{ins.keyword} in shell form runs under /bin/sh and does not receive signals; use the "
                            "JSON form", at(dockerfile, ins),
                            fix=Fix((edit,), False, "rewrite in JSON (exec) form") if edit else None)


def _execs_last(script: str) -> bool:
    """`CMD exec gunicorn app:app` (or `... && exec app`): the shell replaces itself with the program,
    which becomes PID 1 and receives signals."""
    commands = split_commands(script)
    return bool(commands) and commands[-1].depth == 0 and bool(commands[-1].words) \
        and commands[-1].words[0] == "exec" and commands[-1].operator_before in (None, "&&", ";", "\n")


@rule(
    code="DF317", name="curl-and-wget", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="Both curl and wget are used in the same stage",
    rationale="Two download tools where one would do: more packages, more size, more CVEs to patch.",
    fix="Use one of them throughout the stage (and remove the other if you installed it).",
    tags=("size",), aliases=("DL4001",),
)
def curl_and_wget(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        first: dict[str, Command] = {}
        for ins in stage.instructions:
            for command in run_commands(ins):
                if command.name in ("curl", "wget") and command.name not in first:
                    first[command.name] = command
        if len(first) == 2:
            later = max(first.values(), key=lambda c: (c.line, c.index))
            other = "curl" if later.name == "wget" else "wget"
            yield Violation(f"{stage_label(stage)} uses both {other} (line {first[other].line}) and {later.name}; "
                            "use one download tool", at_command(dockerfile, later))


def _tls_off(command: Command) -> str | None:
    name, args = command.name or "", command.args
    for assignment in command.cmd.assignments:
        key, _, value = assignment.partition("=")
        if key in _TLS_ENV and value.strip().lower() in _TLS_ENV[key]:
            return f"{key}={value}"
    if name == "curl" and ("k" in short_flags(args) or "--insecure" in args):
        return "curl --insecure"
    if name == "wget" and "--no-check-certificate" in args:
        return "wget --no-check-certificate"
    pip = pip_args(command)
    if pip is not None and long_flag(pip, "--trusted-host"):
        return "pip --trusted-host"
    if name in ("npm", "yarn", "pnpm"):
        if any(a in ("--strict-ssl=false", "--no-strict-ssl") for a in args):
            return f"{name} --strict-ssl=false"
        if "strict-ssl" in args and "false" in args:
            return f"{name} config set strict-ssl false"
    if name == "git":
        lowered = [a.lower() for a in args]
        if "http.sslverify=false" in lowered or ("http.sslverify" in lowered and "false" in lowered):
            return "git http.sslVerify false"
    # (`apk add --allow-untrusted ./local.apk` skips a package signature, not TLS: not this rule's matter.)
    if name in ("apt-get", "apt") and any("AllowUnauthenticated" in a or "allow-unauthenticated" in a for a in args):
        return f"{name} --allow-unauthenticated"
    return None


_TLS_ENV = {"GIT_SSL_NO_VERIFY": {"1", "true", "yes"}, "NODE_TLS_REJECT_UNAUTHORIZED": {"0"},
            "PYTHONHTTPSVERIFY": {"0"}, "CURL_INSECURE": {"1", "true"}, "NPM_CONFIG_STRICT_SSL": {"false"},
            "npm_config_strict_ssl": {"false"}}


@rule(
    code="DF318", name="tls-verification-disabled", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="TLS certificate verification is turned off (curl -k, wget --no-check-certificate, ...)",
    rationale="Without certificate checks, anyone on the network path can swap the download for their own "
              "code, which then runs in the build and ships in the image.",
    fix="Keep verification on: install ca-certificates, or add your internal CA to the trust store.",
    tags=("security",),
)
def tls_verification_disabled(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword == "ENV":
            for key, value in ins.pairs:
                if key in _TLS_ENV and (value or "").strip().lower() in _TLS_ENV[key]:
                    yield Violation(f"ENV {key}={value} turns off TLS certificate verification for every later "
                                    "download; remove it and trust the right CA instead", at(dockerfile, ins))
            continue
        for command in run_commands(ins):
            what = _tls_off(command)
            if what:
                yield Violation(f"`{what}` turns off TLS certificate verification; remove it and trust the right CA "
                                "instead", at_command(dockerfile, command))


@rule(
    code="DF319", name="wget-without-progress", target=Target.DOCKERFILE, severity=Severity.INFO,
    summary="wget without --progress or -q bloats the build log",
    rationale="wget's default progress bar writes thousands of lines to the build log for a large download.",
    fix="Use `wget -q` or `wget --progress=dot:giga`.",
    tags=("style",), aliases=("DL3047",), enabled_by_default=False,
)
def wget_without_progress(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        for command in run_commands(ins):
            if command.name != "wget":
                continue
            args = command.args
            if "q" in short_flags(args) or "nv" in [a.lstrip("-") for a in args] or long_flag(
                    args, "--progress", "--quiet", "--no-verbose", "-o", "--output-file", "-a", "--append-output"):
                continue
            yield Violation("wget without -q or --progress=dot:giga fills the build log with its progress bar",
                            at_command(dockerfile, command))


@rule(
    code="DF320", name="apt-instead-of-apt-get", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="`apt` used in a RUN instead of `apt-get`",
    rationale="`apt` is meant for people at a terminal: its output and options are not stable and it warns "
              "so itself when used in scripts.",
    fix="Use `apt-get` (and `apt-cache` for queries).",
    tags=("reliability",), aliases=("DL3027",), autofix=SAFE,
)
def apt_instead_of_apt_get(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        for command in run_commands(ins):
            if command.name == "apt" and command.args:
                sub = subcommand(command.args, _APT_VALUE_OPTIONS)
                # apt-get has the same subcommands for these (not list, search, show, ...).
                edit = replace_word(ins, command, "apt", "apt-get") if sub in _APT_GET_SUBCOMMANDS else None
                yield Violation(f"`apt {sub or ''}` in a script; use "
                                "apt-get (its interface is stable)", at_command(dockerfile, command),
                                fix=Fix((edit,), True, "use apt-get") if edit else None)


_APT_GET_SUBCOMMANDS = frozenset({"install", "update", "upgrade", "remove", "purge", "autoremove", "clean",
                                  "autoclean", "dist-upgrade", "source", "build-dep", "download"})


@rule(
    code="DF321", name="copy-sources-to-file", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="COPY/ADD with several sources and a destination that does not end with /",
    rationale="With more than one source Docker requires the destination to be a folder written with a "
              "trailing slash, and fails the build otherwise.",
    fix="End the destination with `/`: `COPY a.txt b.txt /app/`.",
    tags=("correctness",), aliases=("DL3021",),
)
def copy_sources_to_file(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword not in ("COPY", "ADD") or ins.heredocs:
            continue
        words = list(ins.json_args) if ins.json_args is not None else ins.arguments.split()
        dest = words[-1].strip("\"'") if words else ""
        # `.` and `..` (and paths ending in /. or /..) name folders as surely as a trailing slash does.
        if len(words) > 2 and not dest.endswith(("/", "/.", "/..")) and dest not in (".", "..") and "$" not in dest:
            yield Violation(f"{ins.keyword} has {len(words) - 1} sources but the destination '{words[-1]}' does "
                            "not end with /; add a trailing slash", at(dockerfile, ins))


@rule(
    code="DF322", name="copy-relative-dest-without-workdir", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="COPY/ADD to a relative destination before any WORKDIR",
    rationale="A relative destination is resolved against the base image's working directory, which is not "
              "visible in the Dockerfile and can change with the base image.",
    fix="Set `WORKDIR /app` first, or use an absolute destination.",
    tags=("reliability",), aliases=("DL3045",),
)
def copy_relative_dest_without_workdir(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        chain = ancestry(dockerfile, stage)
        workdir = any(i.keyword == "WORKDIR" for s in chain[:-1] for i in s.instructions)
        for ins in stage.instructions:
            if ins.keyword == "WORKDIR":
                workdir = True
            if workdir or ins.keyword not in ("COPY", "ADD"):
                continue
            words = list(ins.json_args) if ins.json_args is not None else ins.arguments.split()
            if ins.heredocs and not ins.json_args:
                words = [w for w in words if not w.startswith("<<")]
            dest = words[-1].strip("\"'") if words else ""
            if dest and not _is_absolute(dest):
                yield Violation(f"{ins.keyword} to the relative path '{dest}' before any WORKDIR lands wherever the "
                                "base image's working directory is; set WORKDIR first or use an absolute path",
                                at(dockerfile, ins))
