"""Command line: `kubelint-py check|rules|explain`. Option parsing only; the work is in api.lint()."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from kubelint_py import __version__

app = typer.Typer(
    name="kubelint-py",
    help="Lint Dockerfiles, Docker Compose files and Kubernetes YAML, and check them against each other.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kubelint-py {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """kubelint-py: one linter for Dockerfiles, Compose and Kubernetes YAML."""


def _usage_error(message: str) -> typer.Exit:
    typer.echo(f"kubelint-py: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _parse_outputs(formats: list[str], output: str | None) -> list[tuple[str, str | None]]:
    """`--format text --format sarif:results.sarif` -> [(text, None), (sarif, results.sarif)]."""
    from kubelint_py.report import FORMATS

    outputs: list[tuple[str, str | None]] = []
    for entry in formats or ["text"]:
        name, _, path = entry.partition(":")
        name = name.strip().lower()
        if name not in FORMATS:
            raise _usage_error(f"unknown format '{name}' (choose from {', '.join(FORMATS)})")
        outputs.append((name, path or None))
    if output is not None:
        first_name, first_path = outputs[0]
        if first_path is None:
            outputs[0] = (first_name, output)
    _check_distinct_outputs(outputs)
    return outputs


def _check_distinct_outputs(outputs: list[tuple[str, str | None]]) -> None:
    import os

    from kubelint_py.report import escape_control

    seen: set[str] = set()
    for _, path in outputs:
        if path is None:
            continue
        if os.path.isdir(path):
            raise _usage_error(f"output '{escape_control(path)}' is a folder; give a file name")
        key = os.path.realpath(path)
        if key in seen:
            raise _usage_error(f"two reports would be written to '{path}'")
        seen.add(key)


def _check_outputs_are_not_inputs(outputs: list[tuple[str, str | None]], linted: list[str]) -> None:
    """A report written over a linted file would destroy it: refuse before writing anything."""
    import os

    from kubelint_py.report import escape_control

    targets = {os.path.realpath(path): path for _, path in outputs if path is not None}
    if not targets:
        return
    for source in linted:
        clash = targets.get(os.path.realpath(source))
        if clash is not None:
            raise _usage_error(f"output file '{escape_control(clash)}' is one of the linted files; choose another path")


@app.command()
def check(
    paths: Annotated[list[str] | None, typer.Argument(help="Files or folders to lint (default: .).")] = None,
    format: Annotated[list[str] | None, typer.Option(
        "--format", "-f", help="text, json, sarif or github; repeat for several, FORMAT:FILE writes to a file.")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the (first) report to FILE.")] = None,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="Exit 1 when a finding is at or above: error, warning, info or none (default: warning)."
    )] = None,
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Only these rules (code, name, code prefix, tag); repeatable.")] = None,
    extend_select: Annotated[list[str] | None, typer.Option(
        "--extend-select", help="Also run these rules (for rules that are off by default); repeatable.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these rules (code, name, code prefix, tag); repeatable.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="Skip paths matching this glob; repeatable.")] = None,
    namespace: Annotated[str | None, typer.Option(
        "--namespace", help="Namespace of objects that declare none (default: default).")] = None,
    k8s_version: Annotated[str | None, typer.Option(
        "--k8s-version", help="Target Kubernetes version, e.g. 1.31.")] = None,
    config_file: Annotated[str | None, typer.Option(
        "--config", help="Configuration file (default: the nearest .kubelint.yaml or pyproject.toml "
        "[tool.kubelint] above the linted paths).")] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Ignore configuration files.")] = False,
    show_config: Annotated[bool, typer.Option(
        "--show-config", help="Print the merged configuration and where each value came from, then exit.")] = False,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", help="Report only findings that are not recorded in this baseline file.")] = None,
    write_baseline: Annotated[str | None, typer.Option(
        "--write-baseline", help="Record the current findings in FILE (JSON) and exit 0.")] = None,
    max_file_size: Annotated[str | None, typer.Option(
        "--max-file-size", help="Skip (and report) files larger than this, e.g. 10MB, 512KB (default: 10MB).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print findings only, no summary.")] = False,
    sarif_all_rules: Annotated[bool, typer.Option(
        "--sarif-all-rules", help="SARIF: describe every enabled rule, not only those with results.")] = False,
    sarif_suppressed: Annotated[bool, typer.Option(
        "--sarif-suppressed", help="SARIF: include suppressed findings, with their suppressions.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Parse every file again instead of reusing unchanged ones from the cache.")] = False,
    project_root: Annotated[str | None, typer.Option(
        "--project-root", help="Resolve references against every file under DIR, but report only the given "
        "files (default, when only files are given: the folder holding .kubelint.yaml, else the git top level).",
        metavar="DIR")] = None,
    no_project: Annotated[bool, typer.Option(
        "--no-project", help="Lint the given files on their own, without loading the rest of the project.")] = False,
) -> None:
    """Lint files and folders; exit 1 when a finding reaches --fail-on, 2 on a usage error."""
    from kubelint_py.api import lint
    from kubelint_py.config import ConfigError, parse_size
    from kubelint_py.config_file import build_config
    from kubelint_py.config_file import show_config as render_config
    from kubelint_py.engine import Severity, all_rules, rule_matches
    from kubelint_py.report import escape_control, get_renderer, write_atomically
    from kubelint_py.report.text import render as render_text
    from kubelint_py.report.text import use_colour

    outputs = _parse_outputs(list(format or []), output)
    overrides: dict[str, object] = {}
    if fail_on is not None:
        try:
            overrides["fail_on"] = None if fail_on.strip().lower() == "none" else Severity.parse(fail_on)
        except ValueError as error:
            raise _usage_error(f"--fail-on: {error}") from None
    given = {"select": tuple(select or ()), "ignore": tuple(ignore or ()), "extend_select": tuple(extend_select or ()),
             "exclude": tuple(exclude or ()), "default_namespace": namespace, "k8s_version": k8s_version,
             "baseline": baseline}
    overrides.update({key: value for key, value in given.items() if value})
    if max_file_size is not None:
        try:
            overrides["max_file_size"] = parse_size(max_file_size)
        except ValueError as error:
            raise _usage_error(f"--max-file-size: {error}") from None
    target_paths = list(paths or ["."])
    try:
        config = build_config(target_paths, config_path=config_file, isolated=no_config, overrides=overrides)
    except ConfigError as error:
        raise _usage_error(str(error)) from None
    # after the configuration: its policies are rules that --select/--ignore may name
    selectors = [*(select or []), *(ignore or []), *(extend_select or [])]
    if selectors:
        known = all_rules()
        for entry in selectors:
            if not any(rule_matches(r, entry) for r in known):
                raise _usage_error(f"no rule matches '{entry}' (see `kubelint-py rules`)")
    if no_cache:
        config.use_cache = False
    if project_root is not None:
        from pathlib import Path

        if not Path(project_root).is_dir():
            raise _usage_error(f"--project-root: '{project_root}' is not a folder")
        config.project_root = project_root
    elif not no_project and config.project_root is None:
        from kubelint_py.project import find_project_root, only_files

        if only_files(target_paths):  # the pre-commit case: check these files, in the context of their project
            found = find_project_root(target_paths)
            config.project_root = str(found) if found is not None else None
    if show_config:
        sys.stdout.write(render_config(config))
        raise typer.Exit(EXIT_OK)
    if write_baseline is not None:
        config.baseline = None  # record everything that is not silenced in the source or the configuration
    try:
        report = lint(target_paths, config, debug=debug)
    except ConfigError as error:
        raise _usage_error(str(error)) from None
    except Exception as error:  # the last line of defence: no traceback unless asked
        if debug:
            raise
        typer.echo(f"kubelint-py: internal error: {type(error).__name__}: {escape_control(str(error))} "
                   "(rerun with --debug)", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if write_baseline is not None:
        from kubelint_py.baseline import write_baseline as store_baseline

        count = store_baseline(report.findings, report.files, write_baseline)
        typer.echo(f"kubelint-py: recorded {count} finding{'s' if count != 1 else ''} in {write_baseline}",
                   err=True)
        raise typer.Exit(EXIT_OK)
    if _KEEP_ALIVE:  # run by the console script, which exits without freeing (see main)
        import gc

        _KEEP_ALIVE[:] = [report]
        gc.freeze()  # nothing the reporters allocate needs the models rescanned
    for name, path in outputs:
        if (name, path) == outputs[0]:  # before the first report is written
            _check_outputs_are_not_inputs(outputs, [f.path for f in report.files])
        if name == "text":
            content = render_text(report, colour=path is None and use_colour(), quiet=quiet)
        elif name == "sarif":
            from kubelint_py.report.sarif import render as render_sarif

            content = render_sarif(report, all_rules=sarif_all_rules, suppressions=sarif_suppressed)
        else:
            content = get_renderer(name)(report)
        if path is None:
            sys.stdout.write(content)
        else:
            try:
                write_atomically(path, content)
            except OSError as error:
                raise _usage_error(f"cannot write {escape_control(path)}: {error.strerror or error}") from None
    if debug and report.internal_errors:
        for detail in report.internal_errors:
            typer.echo(escape_control(detail).replace("\\n", "\n"), err=True)
    raise typer.Exit(EXIT_FINDINGS if report.failed else EXIT_OK)


def _use_configured_policies() -> None:
    """`rules` and `explain` include the policies named by the configuration file of the working folder."""
    from kubelint_py.config import ConfigError
    from kubelint_py.config_file import build_config

    try:
        build_config(["."])  # validating the file registers its policies
    except ConfigError as error:
        typer.echo(f"kubelint-py: warning: configuration ignored: {error}", err=True)


@app.command("rules")
def list_rules(
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """List every rule: code, name, format, default severity, summary."""
    from kubelint_py.engine import all_rules

    _use_configured_policies()
    rules = all_rules()
    if format == "json":
        import json

        typer.echo(json.dumps([
            {"code": r.code, "name": r.name, "format": r.format, "severity": r.severity.label,
             "enabled": r.enabled_by_default, "tags": list(r.tags), "summary": r.summary,
             "aliases": list(r.aliases),
             "parameters": {name: {"default": param.default, "help": param.help}
                            for name, param in r.parameters.items()}} for r in rules], indent=2, default=str))
        return
    if format != "text":
        raise _usage_error("rules --format takes text or json")
    width = max(len(r.name) for r in rules)
    for r in rules:
        flag = "" if r.enabled_by_default else " (off by default)"
        typer.echo(f"{r.code:7} {r.name:{width}}  {r.format:10} {r.severity.label:7}  {r.summary}{flag}")


@app.command()
def explain(code_or_name: Annotated[str, typer.Argument(help="A rule code (KS102) or name.")]) -> None:
    """Explain a rule: why it matters, how to fix it, and examples."""
    from kubelint_py.docs import explain_text
    from kubelint_py.engine import find_rule

    _use_configured_policies()
    found = find_rule(code_or_name)
    if found is None:
        raise _usage_error(f"no rule named '{code_or_name}' (see `kubelint-py rules`)")
    typer.echo(explain_text(found))


@app.command()
def init(
    folder: Annotated[str, typer.Argument(help="Where to write .kubelint.yaml (default: .).")] = ".",
) -> None:
    """Write a commented starter .kubelint.yaml (never overwrites an existing one)."""
    from pathlib import Path

    from kubelint_py.config import ConfigError
    from kubelint_py.config_file import write_starter

    try:
        target = write_starter(Path(folder))
    except ConfigError as error:
        raise _usage_error(str(error)) from None
    typer.echo(f"wrote {target}")


_KEEP_ALIVE: list[object] = []
"""Non-empty under the console script: holds the report, freed by the operating system at exit rather
than object by object (see main). Empty when the app is called in-process (tests, CliRunner)."""


def main() -> None:
    """The console script. After a large run, tearing down millions of model objects one by one takes
    longer than writing the report, so once the output is flushed the process ends at once."""
    code = 0
    _KEEP_ALIVE[:] = [None]
    try:
        app()
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
            code = 1
        else:
            code = done.code or 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`kubelint-py check | head`)
        code = code or 1
    os._exit(code)
