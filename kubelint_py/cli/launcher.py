"""The console script (`kubelint-py`, `python -m kubelint_py`).

A plain `check` command line (paths and the documented options, in any order) is parsed here and run
without importing typer: typer and its click take about 50 ms to import, a third of the time a
pre-commit run on one small file may take. Everything else (help, the other commands, --version,
mistakes, unusual spellings such as `-fjson`) goes to the typer application in cli.py, so help and
error messages have one source. tests/test_launcher.py keeps the table below equal to cli.check's
parameters and checks that both paths give the same options.
"""

from __future__ import annotations

import os
import sys

from kubelint_py.cli.check import EXIT_USAGE, KEEP_ALIVE, CheckOptions, UsageError, run_check

FLAG, VALUE, MULTIPLE = "flag", "value", "multiple"

CHECK_OPTIONS: dict[str, tuple[str, str]] = {
    "--format": ("format", MULTIPLE), "-f": ("format", MULTIPLE),
    "--output": ("output", VALUE), "-o": ("output", VALUE),
    "--fail-on": ("fail_on", VALUE),
    "--select": ("select", MULTIPLE),
    "--extend-select": ("extend_select", MULTIPLE),
    "--ignore": ("ignore", MULTIPLE),
    "--exclude": ("exclude", MULTIPLE),
    "--namespace": ("namespace", VALUE),
    "--k8s-version": ("k8s_version", VALUE),
    "--config": ("config_file", VALUE),
    "--no-config": ("no_config", FLAG),
    "--show-config": ("show_config", FLAG),
    "--baseline": ("baseline", VALUE),
    "--write-baseline": ("write_baseline", VALUE),
    "--max-file-size": ("max_file_size", VALUE),
    "--quiet": ("quiet", FLAG), "-q": ("quiet", FLAG),
    "--sarif-all-rules": ("sarif_all_rules", FLAG),
    "--sarif-suppressed": ("sarif_suppressed", FLAG),
    "--debug": ("debug", FLAG),
    "--no-cache": ("no_cache", FLAG),
    "--project-root": ("project_root", VALUE),
    "--no-project": ("no_project", FLAG),
}
"""Every option of `check`: option string -> (parameter name, kind)."""


def parse_check(args: list[str]) -> CheckOptions | None:
    """The options of `check ARGS`, or None when typer should parse them (help, errors, rare forms)."""
    values: dict[str, object] = {}
    paths: list[str] = []
    position = 0
    only_paths = False
    while position < len(args):
        arg = args[position]
        position += 1
        if only_paths or arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        spec = CHECK_OPTIONS.get(name)
        if spec is None:
            return None
        parameter, kind = spec
        if kind == FLAG:
            if equals:
                return None
            values[parameter] = True
            continue
        if equals:
            value = inline
        elif position < len(args) and not (args[position].startswith("-") and len(args[position]) > 1):
            value = args[position]
            position += 1
        else:
            return None
        if kind == MULTIPLE:
            found = values.setdefault(parameter, [])
            assert isinstance(found, list)
            found.append(value)
        else:
            values[parameter] = value
    return CheckOptions(paths=paths or None, **values)  # type: ignore[arg-type]


def main() -> None:
    """Run the command line. After a large run, tearing down millions of model objects one by one takes
    longer than writing the report, so once the output is flushed the process ends at once."""
    args = sys.argv[1:]
    options = parse_check(args[1:]) if args[:1] == ["check"] else None
    code = 0
    KEEP_ALIVE[:] = [None]
    try:
        if options is not None:
            code = _run_fast(options)
        else:
            from kubelint_py.cli.app import app

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


def _run_fast(options: CheckOptions) -> int:
    try:
        return run_check(options)
    except UsageError as error:
        sys.stderr.write(f"kubelint-py: error: {error}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # as click does: the reader went away, nothing more to say
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("\nAborted!\n")
        return 1
