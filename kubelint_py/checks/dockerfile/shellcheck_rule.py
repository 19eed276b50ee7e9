"""DF330: ShellCheck on RUN instructions, as hadolint does (needs the `shellcheck` extra)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.checks.dockerfile._common import ancestry
from kubelint_py.checks.dockerfile._shellcheck import ScriptMap, run_shellcheck, script_map
from kubelint_py.core.source import Location
from kubelint_py.engine.registry import Parameter, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.dockerfile import Dockerfile, Instruction, Stage

_SHELLS = {"sh": "sh", "ash": "busybox", "dash": "dash", "bash": "bash", "ksh": "ksh", "mksh": "ksh",
           "busybox": "busybox"}
_IGNORE = re.compile(r"(?:hadolint|kubelint:)\s+ignore\s*=\s*([\w\s,-]+)", re.IGNORECASE)


def _dialect(dockerfile: Dockerfile, stage: Stage, before: Instruction) -> str | None:
    """ShellCheck's name for the shell that runs this RUN (SHELL instruction, else /bin/sh); None for a
    shell it does not know (PowerShell, cmd)."""
    shell: tuple[str, ...] | None = None
    for current in ancestry(dockerfile, stage):
        for ins in current.instructions:
            if ins is before:
                break
            if ins.keyword == "SHELL" and ins.json_args:
                shell = ins.json_args
    if not shell:
        return "sh"
    name = shell[0].rsplit("/", 1)[-1]
    return _SHELLS.get(name)


def _ignored_codes(dockerfile: Dockerfile, ins: Instruction) -> set[str]:
    """SC codes named in `# hadolint ignore=` / `# kubelint: ignore=` comments right above the RUN."""
    by_line = {c.line: c.text for c in dockerfile.comments}
    codes: set[str] = set()
    line = ins.span.line - 1
    while line in by_line:
        for match in _IGNORE.finditer(by_line[line]):
            codes.update(code.strip().upper() for code in match.group(1).split(","))
        line -= 1
    return codes


@rule(
    code="DF330", name="shellcheck", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="ShellCheck finds a problem in a RUN script (needs the `shellcheck` extra)",
    rationale="A RUN is a shell script: unquoted variables, `cd` without a check, bashisms under /bin/sh "
              "and similar mistakes make builds fail or behave differently from what the author tested. "
              "ShellCheck is run on the exact script text (continuations joined as Docker joins them, "
              "heredocs included) in the shell the stage uses, and its positions are mapped back to the "
              "Dockerfile. Off by default (it starts a process per Dockerfile): install the binary with "
              "`pip install kubelint-py[shellcheck]` and turn it on with `--extend-select DF330` (or "
              "`extend-select` in the configuration); without the binary the rule does nothing.",
    fix="Follow ShellCheck's advice (the message names the SC code; https://www.shellcheck.net/wiki/ "
        "explains each), or silence one code with `# hadolint ignore=SC2086` above the RUN.",
    tags=("reliability", "shell"), aliases=("hadolint-shellcheck",), enabled_by_default=False,
    parameters={
        "severity": Parameter("warning", "Lowest ShellCheck level reported: error, warning, info or style."),
        "exclude": Parameter([], "SC codes never reported (SC1090, SC1091 and SC2154 never are)."),
    },
)
def shellcheck(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    minimum = str(ctx.params.get("severity", "warning"))
    if minimum not in ("error", "warning", "info", "style"):
        minimum = "warning"
    exclude = [str(code) for code in ctx.params.get("exclude", []) or []]
    by_shell: dict[str, list[tuple[Instruction, ScriptMap]]] = {}
    for stage in dockerfile.stages:
        for ins in stage.instructions:
            if ins.keyword != "RUN":
                continue
            mapped = script_map(ins, dockerfile.escape)
            dialect = _dialect(dockerfile, stage, ins)
            if mapped is None or dialect is None or not mapped.text.strip():
                continue
            by_shell.setdefault(dialect, []).append((ins, mapped))
    for dialect, items in by_shell.items():
        results = run_shellcheck([mapped.text for _, mapped in items], dialect, minimum, exclude)
        if results is None:
            return  # ShellCheck is not installed (or failed): nothing to report
        for (ins, mapped), comments in zip(items, results, strict=False):
            ignored = _ignored_codes(dockerfile, ins)
            for comment in comments:
                if comment.code in ignored:
                    continue
                line, column = mapped.locate(comment.line, comment.column)
                end_line, end_column = mapped.locate(comment.end_line, comment.end_column)
                if (end_line, end_column) < (line, column):
                    end_line, end_column = line, column
                yield Violation(f"{comment.code} ({comment.level}): {comment.message}",
                                Location(dockerfile.path, line, column, end_line, end_column))
