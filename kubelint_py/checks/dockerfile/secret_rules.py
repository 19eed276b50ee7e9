"""Secrets baked into images (DF2xx): build args, env, literal credentials, copied key files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.checks.dockerfile._common import (
    Command,
    at,
    at_command,
    run_commands,
)
from kubelint_py.checks.secrets import find_secret_values, is_literal_secret_value, is_secret_name
from kubelint_py.core.source import Location
from kubelint_py.engine.registry import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.loading.build_context import copy_sources, is_secret_file, is_whole_context_copy
from kubelint_py.models.dockerfile import Dockerfile, Instruction

_MOUNT_ADVICE = "pass it with `RUN --mount=type=secret,id=...` (docker build --secret) instead"


@rule(
    code="DF201", name="secret-in-arg-or-env", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="ARG or ENV whose name says it holds a secret",
    rationale="ENV values are stored in the image config and visible to anyone who can pull it "
              "(`docker inspect`); ARG values used by a RUN are recorded in the image history "
              "(`docker history`). A password or token passed this way ships with the image.",
    fix="Use a BuildKit secret: `RUN --mount=type=secret,id=npm_token NPM_TOKEN=$(cat "
        "/run/secrets/npm_token) npm ci`, and give runtime secrets to the container at run time.",
    tags=("security", "secrets"),
)
def secret_in_arg_or_env(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword not in ("ARG", "ENV"):
            continue
        for name, value in ins.pairs:
            if not is_secret_name(name):
                continue
            if ins.keyword == "ENV":
                held = "holds a literal value" if is_literal_secret_value(value) else "is stored in the image config"
                yield Violation(f"ENV {name} {held}, visible to anyone with the image; {_MOUNT_ADVICE}, or set it "
                                "when the container starts", at(dockerfile, ins))
            else:
                held = "has a literal default" if is_literal_secret_value(value) else "is recorded in the image history"
                yield Violation(f"build argument {name} {held} when a RUN uses it; {_MOUNT_ADVICE}",
                                at(dockerfile, ins))


@rule(
    code="DF202", name="secret-value-in-dockerfile", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="A credential (private key, cloud or API token, JWT) is written in the Dockerfile",
    rationale="A credential in the Dockerfile is in version control and in the image (config, history or "
              "layers); it has to be considered leaked and rotated.",
    fix="Remove it, rotate it, and pass it at build time with `RUN --mount=type=secret` or at run time.",
    tags=("security", "secrets"),
)
def secret_value_in_dockerfile(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        if ins.keyword not in _SCANNED or not _MAY_HOLD_SECRET.search(ins.raw):
            continue
        seen: set[str] = set()
        # Line by line over the text as written: credentials never span lines, the location is exact,
        # and the patterns only run on the few lines the prefilter lets through.
        for offset, line in enumerate(ins.raw.split("\n")):
            if not _MAY_HOLD_SECRET.search(line):
                continue
            for match in find_secret_values(line):
                # Passwords in URLs on a command line are reported, with more context, by DF203.
                if match.kind == "password in URL" and ins.keyword == "RUN":
                    continue
                value = line[match.start:match.end]
                if value in seen:
                    continue
                seen.add(value)
                yield Violation(f"{ins.keyword} contains a {match.kind} ({_redact(value)}); remove and rotate it, "
                                f"then {_MOUNT_ADVICE}",
                                Location(dockerfile.path, ins.span.line + offset, match.start + 1))


_SCANNED = frozenset({"ENV", "ARG", "LABEL", "RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "ONBUILD"})


# One pass that every pattern of kubelint_py.checks.secrets needs to match somewhere (its fixed part), so the
# patterns only run on the few instructions that could hold a credential. Keep in step with
# secrets._VALUE_PATTERNS (a test counts them).
_MAY_HOLD_SECRET = re.compile(r"PRIVATE KEY|A[KS]IA|ABIA|ACCA|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|_live_"
                              r"|AIza|npm_|eyJ|://|sk-|pypi-|dckr_pat_|hv[sbr]\.|private_key_id|AccountKey="
                              r"|SharedAccessKey=")


def _redact(value: str) -> str:
    return value[:8] + "..." if len(value) > 12 else "..."


_SECRET_FLAGS = frozenset({"--password", "--passwd", "--pass", "--token", "--auth-token", "--access-token",
                           "--api-key", "--apikey", "--secret", "--client-secret", "--secret-key",
                           "--http-password", "--ftp-password", "--proxy-password", "--private-token",
                           "--registry-password", "--oauth-token"})
_AUTH_HEADERS = ("authorization", "private-token", "x-api-key", "x-auth-token", "api-key", "x-access-token",
                 "x-vault-token", "job-token")
_URL_USERINFO = re.compile(r"\b[a-z][a-z0-9+.\-]*://([^\s/@'\"]+)@", re.IGNORECASE)
_USER_PASSWORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*:[^:\s]+$")
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-]{20,}$")
_MYSQL = frozenset({"mysql", "mysqladmin", "mysqldump", "mariadb", "mariadb-admin", "mariadb-dump"})
_CREDENTIAL_COMMANDS = _MYSQL | {"docker", "podman", "buildah", "helm", "skopeo", "curl", "wget", "http", "httpie"}


def _literal(value: str) -> bool:
    value = value.strip()
    return bool(value) and "$" not in value and is_literal_secret_value(value)


def _command_credentials(command: Command) -> Iterator[str]:
    """What is wrong with one command, one sentence fragment per credential found."""
    name, args = command.name or "", command.args
    named = name in _CREDENTIAL_COMMANDS
    for i, arg in enumerate(args):
        if not named and "=" not in arg and "://" not in arg and arg not in _SECRET_FLAGS:
            continue  # nothing below can match: keeps the common case cheap
        nxt = args[i + 1] if i + 1 < len(args) else ""
        flag, eq, inline = arg.partition("=")
        # --password VALUE / --password=VALUE (but not --password-stdin)
        if flag in _SECRET_FLAGS and (_literal(inline) if eq else _literal(nxt) and not nxt.startswith("-")):
            yield f"`{name} {flag}` is given a literal"
        # docker login -p VALUE
        if name in ("docker", "podman", "buildah", "helm", "skopeo") and arg == "-p" and _literal(nxt):
            yield f"`{name} ... -p` is given a literal password"
        if name in _MYSQL and arg.startswith("-p") and len(arg) > 2 and _literal(arg[2:]):
            yield f"`{name} -p...` is given a literal password"
        if name == "curl" and arg in ("-u", "--user", "-U", "--proxy-user") and ":" in nxt \
                and _literal(nxt.split(":", 1)[1]):
            yield "`curl -u user:password` is given a literal password"
        if name in ("curl", "wget", "http", "httpie") and (arg in ("-H", "--header") or arg.startswith("--header=")):
            header = inline if arg.startswith("--header=") else nxt
            key, colon, value = header.partition(":")
            if colon and key.strip().lower() in _AUTH_HEADERS and _literal(value.split()[-1] if value.split() else ""):
                yield f"`{name}` sends a literal `{key.strip()}` header"
        if "_authToken=" in arg or "_auth=" in arg or "_password=" in arg:
            value = arg.split("=", 1)[1]
            if _literal(value):
                yield "an npm registry credential is written literally"
        match = _URL_USERINFO.search(arg)
        if match:
            userinfo = match.group(1)
            user, colon, password = userinfo.partition(":")
            if colon and _literal(password) and password.lower() not in ("password", "pass", "x-oauth-basic"):
                yield "a URL carries a literal `user:password@`"
            elif colon and _literal(user) and _TOKENISH.match(user):
                yield "a URL carries a literal token"
            elif not colon and _literal(user) and _TOKENISH.match(user):
                yield "a URL carries a literal token as its user name"


@rule(
    code="DF203", name="credentials-on-command-line", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="A RUN passes a literal password or token on a command line",
    rationale="The RUN line, with the credential, is stored in the image history (`docker history`) and in "
              "version control.",
    fix="Mount the credential as a BuildKit secret (`RUN --mount=type=secret,id=token TOKEN=$(cat "
        "/run/secrets/token) ...`, or `--mount=type=ssh` for git) and reference it through a variable.",
    tags=("security", "secrets"),
)
def credentials_on_command_line(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        commands = run_commands(ins)
        for command in commands:
            for problem in dict.fromkeys(_command_credentials(command)):
                yield Violation(f"{problem}, which is kept in the image history; {_MOUNT_ADVICE}",
                                at_command(dockerfile, command))
            # echo 'root:Docker!' | chpasswd
            if command.name == "chpasswd" and command.cmd.operator_before == "|" and command.index:
                feeder = commands[command.index - 1]
                if feeder.name in ("echo", "printf") and any(
                        _USER_PASSWORD.match(a) and _literal(a.split(":", 1)[1]) for a in feeder.args):
                    yield Violation("a literal password is set with chpasswd, so it is in the image history and "
                                    "every container shares it; lock the account or set it at run time",
                                    at_command(dockerfile, feeder))


def _context_sources(ins: Instruction) -> list[str]:
    if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None or ins.heredocs:
        return []
    return [s for s in copy_sources(ins) if "://" not in s and not s.startswith("git@")]


@rule(
    code="DF204", name="secret-file-copied", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="COPY/ADD of a file that holds credentials (SSH key, .env, .npmrc, cloud config ...)",
    rationale="A copied file is in the layer for good, even when a later RUN deletes it: anyone who pulls "
              "the image can extract it.",
    fix="Use `RUN --mount=type=secret,id=...,target=...` (or `--mount=type=ssh` for SSH keys) so the file is "
        "only present while that RUN executes.",
    tags=("security", "secrets"),
)
def secret_file_copied(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for ins in dockerfile.instructions:
        for source in _context_sources(ins):
            if is_secret_file(source):
                yield Violation(f"{ins.keyword} copies '{source}', a file that holds credentials, into the image; "
                                f"{_MOUNT_ADVICE}", at(dockerfile, ins))


@rule(
    code="DF205", name="secret-in-build-context", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="The whole build context is copied and it contains a secret file that .dockerignore lets through",
    rationale="`COPY . .` copies every file that .dockerignore does not exclude: a .env, a private key or a "
              ".npmrc lying in the folder ends up in the image.",
    fix="Add the file to .dockerignore (or copy only what the image needs).",
    tags=("security", "secrets", "cross-file"),
)
def secret_in_build_context(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    listing = ctx.index.build_contexts.get(dockerfile.path)
    if listing is None or not listing.secret_candidates:
        return
    leaked = listing.leaked()
    if not leaked:
        return
    shown = ", ".join(leaked[:5]) + (f" and {len(leaked) - 5} more" if len(leaked) > 5 else "")
    them = "it" if len(leaked) == 1 else "them"
    fix = f"exclude {them} in {listing.ignore_file}" if listing.ignore_file else \
        f"add a .dockerignore next to the Dockerfile that excludes {them}"
    for ins in dockerfile.instructions:
        if is_whole_context_copy(ins):
            yield Violation(f"`{ins.keyword} {ins.arguments}` copies the build context, which holds {shown}; {fix}",
                            at(dockerfile, ins))


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


@rule(
    code="DF206", name="secret-removed-in-later-layer", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="A secret file is copied in one layer and deleted in a later one",
    rationale="Deleting a file in a later RUN only hides it: the layer that added it still holds it, and "
              "`docker save` or any layer tool extracts it.",
    fix="Never copy the secret: use `RUN --mount=type=secret` (or `--mount=type=ssh`) in the RUN that needs it.",
    tags=("security", "secrets"),
)
def secret_removed_in_later_layer(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    for stage in dockerfile.stages:
        copied: dict[str, Instruction] = {}
        whole: Instruction | None = None
        for ins in stage.instructions:
            if is_whole_context_copy(ins):
                whole = ins
                continue
            if ins.keyword in ("COPY", "ADD"):
                words = list(ins.json_args) if ins.json_args is not None else ins.arguments.split()
                dest = words[-1].strip("\"'") if words else ""
                for source in _context_sources(ins):
                    if is_secret_file(source):
                        copied[_basename(source)] = ins
                        if dest and not dest.endswith("/"):
                            copied[_basename(dest)] = ins
                continue
            if not copied and whole is None:
                continue
            for command in run_commands(ins):
                if command.name not in ("rm", "shred", "unlink"):
                    continue
                for arg in command.args:
                    if arg.startswith("-"):
                        continue
                    source_ins = copied.get(_basename(arg))
                    if source_ins is None and whole is not None and is_secret_file(arg):
                        # `COPY . .` then `RUN rm .env`: the file came with the whole context.
                        source_ins = whole
                    if source_ins is not None:
                        yield Violation(f"`{command.name} {arg}` deletes a secret that the {source_ins.keyword} on "
                                        f"line {source_ins.span.line} put in an earlier layer, where it stays; "
                                        f"{_MOUNT_ADVICE}", at_command(dockerfile, command),
                                        (Related(at(dockerfile, source_ins), "the secret is copied here"),))
