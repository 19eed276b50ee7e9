"""Command line: `kubelint-py check|rules|explain`. Option parsing only; the work is in api.lint()."""

from __future__ import annotations

from typing import Annotated

import typer

from kubelint_py import __version__
from kubelint_py.cli.check import EXIT_OK, EXIT_USAGE

app = typer.Typer(
    name="kubelint-py",
    help="Lint Dockerfiles, Docker Compose files and Kubernetes YAML, and check them against each other.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



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
        "files (default, when only files are given: the folder holding .kubelint.yaml, else the git top level, "
        "else their common parent folder).",
        metavar="DIR")] = None,
    no_project: Annotated[bool, typer.Option(
        "--no-project", help="Lint the given files on their own, without loading the rest of the project.")] = False,
) -> None:
    """Lint files and folders; exit 1 when a finding reaches --fail-on, 2 on a usage error."""
    from kubelint_py.cli.check import CheckOptions, UsageError, run_check

    options = CheckOptions(
        paths=paths, format=format, output=output, fail_on=fail_on, select=select, extend_select=extend_select,
        ignore=ignore, exclude=exclude, namespace=namespace, k8s_version=k8s_version, config_file=config_file,
        no_config=no_config, show_config=show_config, baseline=baseline, write_baseline=write_baseline,
        max_file_size=max_file_size, quiet=quiet, sarif_all_rules=sarif_all_rules,
        sarif_suppressed=sarif_suppressed, debug=debug, no_cache=no_cache, project_root=project_root,
        no_project=no_project)
    try:
        code = run_check(options)
    except UsageError as error:
        raise _usage_error(str(error)) from None
    raise typer.Exit(code)


def _use_configured_policies() -> None:
    """`rules` and `explain` include the policies named by the configuration file of the working folder."""
    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import build_config

    try:
        build_config(["."])  # validating the file registers its policies
    except ConfigError as error:
        typer.echo(f"kubelint-py: warning: configuration ignored: {error}", err=True)


@app.command("rules")
def list_rules(
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """List every rule: code, name, format, default severity, summary."""
    from kubelint_py.engine.registry import all_rules

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
    from kubelint_py.engine.registry import find_rule
    from kubelint_py.report.rule_docs import explain_text

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

    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import write_starter

    try:
        target = write_starter(Path(folder))
    except ConfigError as error:
        raise _usage_error(str(error)) from None
    typer.echo(f"wrote {target}")


def main() -> None:
    """The console script's entry point (kept here for `kubelint_py.cli.app:main` in older installs)."""
    from kubelint_py.cli.launcher import main as launch

    launch()
