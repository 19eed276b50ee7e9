"""The command line: one argparse parser for `kubelint-py check|rules|explain|init`.

Option parsing and dispatch only; the work is in cli.check.run_check (and api.lint). argparse costs
about 2 ms to import where typer/click cost 30-40 ms, a quarter of a one-file run (benchmarks/README.md).
`run(argv)` returns the exit code and never ends the process; the console script (cli.launcher) does.

To add an option to `check`: one `add_argument` in `_check_arguments` whose dest is a new field of
cli.check.CheckOptions (a test keeps the two equal), then use it in run_check.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from kubelint_py import __version__
from kubelint_py.cli.check import EXIT_OK, EXIT_USAGE, CheckOptions, UsageError

PROG = "kubelint-py"

def _columns() -> int:
    """The help width as shutil.get_terminal_size would give it, without importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the width: left to itself it imports shutil for it (and with it bz2
    and lzma, ~3 ms of a one-file run), since argparse makes a formatter for every add_argument."""

    def __init__(self, prog: str, *args: Any, **kwargs: Any) -> None:
        if not args[2:] and kwargs.get("width") is None:
            kwargs["width"] = _columns()
        super().__init__(prog, *args, **kwargs)


class _Parser(argparse.ArgumentParser):
    """argparse with click's conventions kept: no abbreviated long options (`--no-c` is not `--no-cache`),
    usage errors exit 2 with `PROG COMMAND: error: ...` and a pointer to the help on stderr."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, formatter_class=_Formatter, **kwargs)

    def error(self, message: str) -> NoReturn:
        """One line and a pointer to the help, not the whole usage of a command with 25 options."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nTry '{self.prog} --help' for help.\n")


CHECK_HELP = "Lint files and folders; exit 1 when a finding reaches --fail-on, 2 on a usage error."


def _check_arguments(parser: _Parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="Files or folders to lint (default: .); `-` reads standard input.")
    # Declared on a group: argparse checks each parser-level argument by building a help formatter for it,
    # a quarter of the cost of this parser, which a one-file run pays on every start.
    add = parser.add_argument_group("check options").add_argument
    add("-f", "--format", action="append", metavar="FORMAT",
        help="text, json, sarif, github, gitlab or junit; repeat for several, FORMAT:FILE writes to a file.")
    add("-o", "--output", metavar="FILE", help="Write the (first) report to FILE.")
    add("--force", action="store_true",
        help="Write reports (and --write-baseline) through a symbolic link; without it a link is refused.")
    add("--fail-on", metavar="LEVEL",
        help="Exit 1 when a finding is at or above: error, warning, info or none (default: warning).")
    add("--select", action="append", metavar="RULE",
        help="Only these rules (code, name, code prefix, tag); repeatable or comma-separated.")
    add("--extend-select", action="append", metavar="RULE",
        help="Also run these rules (for rules that are off by default); repeatable or comma-separated.")
    add("--ignore", action="append", metavar="RULE",
        help="Skip these rules (code, name, code prefix, tag); repeatable or comma-separated.")
    add("--exclude", action="append", metavar="GLOB", help="Skip paths matching this glob; repeatable.")
    add("--namespace", metavar="NAME", help="Namespace of objects that declare none (default: default).")
    add("--k8s-version", metavar="VERSION", help="Target Kubernetes version, e.g. 1.31.")
    add("--config", dest="config_file", metavar="FILE",
        help="Configuration file (default: the nearest .kubelint.yaml or pyproject.toml [tool.kubelint] "
        "above the linted paths).")
    add("--no-config", action="store_true", help="Ignore configuration files.")
    add("--show-config", action="store_true",
        help="Print the merged configuration and where each value came from, then exit.")
    add("--baseline", metavar="FILE", help="Report only findings that are not recorded in this baseline file.")
    add("--write-baseline", metavar="FILE", help="Record the current findings in FILE (JSON) and exit 0.")
    add("--max-file-size", metavar="SIZE",
        help="Skip (and report) files larger than this, e.g. 10MB, 512KB (default: 10MB).")
    add("-q", "--quiet", action="store_true", help="Print findings only, no summary.")
    add("--sarif-all-rules", action="store_true",
        help="SARIF: describe every enabled rule, not only those with results.")
    add("--sarif-suppressed", action="store_true", help="SARIF: include suppressed findings, with their suppressions.")
    add("--debug", action="store_true", help="Show tracebacks of internal errors.")
    add("--no-cache", action="store_true",
        help="Parse every file again instead of reusing unchanged ones from the cache.")
    add("--project-root", metavar="DIR",
        help="Resolve references against every file under DIR, but report only the given files (default, when "
        "only files are given: the folder holding .kubelint.yaml, else the git top level, else their common "
        "parent folder).")
    add("--no-project", action="store_true",
        help="Lint the given files on their own, without loading the rest of the project.")
    add("--stdin-filename", metavar="PATH",
        help="Lint standard input as the file at PATH (its format, configuration, reported path and project "
        "context); with `-` or no path.")
    add("--no-respect-gitignore", action="store_true",
        help="Also lint files that git ignores (.gitignore, .git/info/exclude) when walking folders.")
    add("--fix", action="store_true",
        help="Apply the fixes of fixable findings ([*]) in place, then report what remains.")
    add("--unsafe-fixes", action="store_true",
        help="Also apply (and mark as fixable) fixes that change behaviour, such as securityContext defaults.")
    add("--diff", action="store_true",
        help="Print the fixes as a unified diff instead of writing them; exit 1 when there is something to fix.")
    add("--fix-only", action="store_true",
        help="Apply the fixes but report no findings (exit 0 unless a file could not be written).")
    add("--no-kustomize", action="store_true",
        help="Do not build kustomize overlays: lint every file on its own (config key: kustomize).")
    add("--helm-values", action="append", metavar="FILE",
        help="Values file for the default render of each Helm chart found (after its values.yaml); repeatable.")
    add("--helm-set", action="append", metavar="KEY=VALUE",
        help="Value for the default render of each Helm chart found, like `helm --set`; repeatable.")
    add("--statistics", action="store_true",
        help="After the report, print to stderr the time each rule took (CPU seconds, calls, findings) and "
        "each phase of the run.")
    add("-j", "--jobs", type=_positive_int, metavar="N",
        help="Processes that parse files and run the per-file rules (default: as many as CPUs are idle, "
        "for large trees; 1: all in this process, the least CPU time in total).")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _rules_arguments(parser: _Parser) -> None:
    parser.add_argument("-f", "--format", default="text", metavar="FORMAT", help="text or json (default: text).")


def _explain_arguments(parser: _Parser) -> None:
    parser.add_argument("code_or_name", metavar="RULE", help="A rule code (KS102) or name.")


def _init_arguments(parser: _Parser) -> None:
    parser.add_argument("folder", nargs="?", default=".", help="Where to write .kubelint.yaml (default: .).")


def _lsp_arguments(parser: _Parser) -> None:
    parser.add_argument("--tcp", metavar="HOST:PORT", default=None,
                        help="Listen on a TCP address instead of standard input and output.")
    parser.add_argument("--stdio", action="store_true", help="Speak over standard input and output (the default).")


def _completion_arguments(parser: _Parser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh", "fish"), help="bash, zsh or fish.")


COMMANDS: dict[str, tuple[str, Callable[[_Parser], None]]] = {
    "check": (CHECK_HELP, _check_arguments),
    "rules": ("List every rule: code, name, format, default severity, summary.", _rules_arguments),
    "explain": ("Explain a rule: why it matters, how to fix it, and examples.", _explain_arguments),
    "init": ("Write a commented starter .kubelint.yaml (never overwrites an existing one).", _init_arguments),
    "lsp": ("Run the language server (needs the lsp extra: pip install 'kubelint-py[lsp]').", _lsp_arguments),
    "completion": ("Print a shell completion script (bash, zsh or fish) to install; see the README.",
                   _completion_arguments),
}
"""Each command: its one-line help and the function that declares its arguments."""


USAGES = {"check": "%(prog)s [options] [PATH ...]"}
"""Usage lines given rather than generated from 25 options (help lists them all)."""


def command_parser(command: str) -> _Parser:
    """The parser of one command alone: a plain `check` run builds only this one."""
    summary, declare = COMMANDS[command]
    parser = _Parser(prog=f"{PROG} {command}", description=summary, usage=USAGES.get(command))
    declare(parser)
    return parser


def top_parser() -> _Parser:
    """The whole command line, for the overview (`kubelint-py --help`), --version and unknown commands."""
    top = _Parser(prog=PROG, description="Lint Dockerfiles, Docker Compose files and Kubernetes YAML, "
                  "and check them against each other.")
    top.add_argument("-V", "--version", action="version", version=f"{PROG} {__version__}",
                     help="Print the version and exit.")
    commands = top.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=_Parser,
                                  help="`kubelint-py COMMAND --help` lists its options.")
    for name, (summary, declare) in COMMANDS.items():
        declare(commands.add_parser(name, help=summary, description=summary, usage=USAGES.get(name)))
    return top


def parse_check(args: Sequence[str]) -> CheckOptions:
    """The options of `check ARGS` (argparse.ArgumentParser.error -> SystemExit(2) on a mistake).

    Paths and options mix in any order; everything after `--` is a path."""
    return _check_options(command_parser("check"), list(args))


def _check_options(parser: _Parser, args: list[str]) -> CheckOptions:
    after: list[str] = []
    if "--" in args:  # everything after `--` is a path, whatever it looks like
        split = args.index("--")
        args, after = args[:split], args[split + 1:]
    # One pass: argparse takes the paths up to the first option and leaves later ones over (in order);
    # anything left over that looks like an option is an unknown one.
    namespace, extra = parser.parse_known_args(args)
    unknown = [arg for arg in extra if arg.startswith("-") and arg != "-"]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    values = vars(namespace)
    values["paths"] = [*values["paths"], *extra, *after] or None
    for name in ("select", "extend_select", "ignore"):  # `--select KS201,DF` as ruff takes it
        if values.get(name):
            values[name] = [part.strip() for given in values[name] for part in given.split(",") if part.strip()]
    return CheckOptions(**values)


def _usage_error(message: str) -> int:
    from kubelint_py.report import escape_control

    # Configuration errors quote the file: escaped like findings (terminal controls, CI commands).
    if sys.stderr is not None:
        with contextlib.suppress(OSError):  # standard error closed or full: the exit code still says it
            sys.stderr.write(f"{PROG}: error: {escape_control(message)}\n")
            sys.stderr.flush()
    return EXIT_USAGE


def _use_configured_policies() -> None:
    """`rules` and `explain` include the policies named by the configuration file of the working folder."""
    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import build_config

    try:
        build_config(["."])  # validating the file registers its policies
    except ConfigError as error:
        from kubelint_py.report import escape_control

        sys.stderr.write(f"{PROG}: warning: configuration ignored: {escape_control(str(error))}\n")


def _check(options: CheckOptions) -> int:
    from kubelint_py.cli.check import run_check

    try:
        return run_check(options)
    except UsageError as error:
        return _usage_error(str(error))


def _rules(format: str) -> int:
    from kubelint_py.engine.catalogue import all_rules

    _use_configured_policies()
    rules = all_rules()
    if format == "json":
        import json

        from kubelint_py.report import terminal_safe_json

        print(terminal_safe_json(json.dumps([
            {"code": r.code, "name": r.name, "format": r.format, "severity": r.severity.label,
             "enabled": r.enabled_by_default, "tags": list(r.tags), "summary": r.summary,
             "aliases": list(r.aliases), "autofix": r.autofix or None,
             "parameters": {name: {"default": param.default, "help": param.help}
                            for name, param in r.parameters.items()}} for r in rules], indent=2, default=str)))
        return EXIT_OK
    if format != "text":
        return _usage_error("rules --format takes text or json")
    from kubelint_py.report import escape_control

    width = max(len(r.name) for r in rules)
    for r in rules:  # policies come from the configuration file: their text is escaped
        flag = "" if r.enabled_by_default else " (off by default)"
        print(escape_control(f"{r.code:7} {r.name:{width}}  {r.format:10} {r.severity.label:7}  {r.summary}{flag}"))
    return EXIT_OK


def _explain(code_or_name: str) -> int:
    from kubelint_py.engine.catalogue import find_rule
    from kubelint_py.report.rule_docs import explain_text

    _use_configured_policies()
    found = find_rule(code_or_name)
    if found is None:
        return _usage_error(f"no rule named '{code_or_name}' (see `{PROG} rules`)")
    from kubelint_py.report import escape_lines

    print(escape_lines(explain_text(found)))
    return EXIT_OK


def _init(folder: str) -> int:
    from pathlib import Path

    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import write_starter

    try:
        target = write_starter(Path(folder))
    except ConfigError as error:
        return _usage_error(str(error))
    print(f"wrote {target}")
    return EXIT_OK


def _lsp(tcp: str | None) -> int:
    try:
        from kubelint_py.lsp.server import serve
    except ImportError as error:
        return _usage_error(f"the language server needs pygls: pip install 'kubelint-py[lsp]' ({error})")
    if tcp is not None and not tcp.rpartition(":")[2].isdigit():
        return _usage_error(f"--tcp: expected HOST:PORT, got '{tcp}'")
    serve(tcp)
    return EXIT_OK


def _completion(shell: str) -> int:
    from kubelint_py.cli.completion import script

    commands = {name: (summary, [s for action in command_parser(name)._actions for s in action.option_strings])
                for name, (summary, _) in COMMANDS.items()}
    sys.stdout.write(script(shell, commands))
    return EXIT_OK


def _dispatch(argv: list[str]) -> int:
    if not argv:  # as before: the overview on stderr, a usage error
        top_parser().print_help(sys.stderr)
        return EXIT_USAGE
    command = argv[0]
    if command not in COMMANDS:
        top_parser().parse_args(argv)  # --help, --version, or an error: each exits
        return _usage_error(f"no command given (choose from {', '.join(COMMANDS)})")
    parser = command_parser(command)
    if command == "check":
        return _check(_check_options(parser, argv[1:]))
    namespace = parser.parse_args(argv[1:])
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "rules": lambda ns: _rules(ns.format),
        "explain": lambda ns: _explain(ns.code_or_name),
        "init": lambda ns: _init(ns.folder),
        "lsp": lambda ns: _lsp(ns.tcp),
        "completion": lambda ns: _completion(ns.shell),
    }
    return handlers[command](namespace)


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command line in this process and return its exit code (0, 1 findings, 2 usage error)."""
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as done:  # argparse: --help, --version (0) and usage errors (2)
        if isinstance(done.code, str):
            sys.stderr.write(done.code + "\n")
            return 1
        return done.code or 0
    except BrokenPipeError:  # the reader went away (`kubelint-py check | head`): nothing more to say
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("\nAborted!\n")
        return 1
