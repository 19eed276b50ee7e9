"""`kubelint-py check`: what the command does once its options are parsed (by cli.app)."""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from kubelint_py.core.files import Content
    from kubelint_py.engine.config import Config
    from kubelint_py.engine.statistics import RunStatistics
    from kubelint_py.results.report import Report

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

KEEP_ALIVE: list[object] = []
"""Non-empty under the console script: holds the report, freed by the operating system at exit rather
than object by object (see launcher.main). Empty when the command runs in-process (tests, cli.app.run)."""


class UsageError(Exception):
    """A bad option or configuration: reported as `kubelint-py: error: ...`, exit 2."""


class CheckOptions(NamedTuple):
    """The options of `check`, named as the dests of cli.app's `check` parser (a test keeps them equal)."""

    paths: list[str] | None = None
    format: list[str] | None = None
    output: str | None = None
    fail_on: str | None = None
    select: list[str] | None = None
    extend_select: list[str] | None = None
    ignore: list[str] | None = None
    exclude: list[str] | None = None
    namespace: str | None = None
    k8s_version: str | None = None
    config_file: str | None = None
    no_config: bool = False
    show_config: bool = False
    baseline: str | None = None
    write_baseline: str | None = None
    max_file_size: str | None = None
    quiet: bool = False
    sarif_all_rules: bool = False
    sarif_suppressed: bool = False
    debug: bool = False
    no_cache: bool = False
    project_root: str | None = None
    no_project: bool = False
    stdin_filename: str | None = None
    no_respect_gitignore: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    fix_only: bool = False
    force: bool = False
    no_kustomize: bool = False
    helm_values: list[str] | None = None
    helm_set: list[str] | None = None
    statistics: bool = False
    jobs: int | None = None


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _parse_outputs(formats: list[str], output: str | None) -> list[tuple[str, str | None]]:
    """`--format text --format sarif:results.sarif` -> [(text, None), (sarif, results.sarif)]."""
    from kubelint_py.report import FORMATS

    outputs: list[tuple[str, str | None]] = []
    for entry in formats or ["text"]:
        name, _, path = entry.partition(":")
        name = name.strip().lower()
        if name not in FORMATS:
            raise UsageError(f"unknown format '{name}' (choose from {', '.join(FORMATS)})")
        outputs.append((name, path or None))
    if output is not None:
        first_name, first_path = outputs[0]
        if first_path is None:
            outputs[0] = (first_name, output)
    _check_distinct_outputs(outputs)
    return outputs


def _check_distinct_outputs(outputs: list[tuple[str, str | None]]) -> None:
    from kubelint_py.report import escape_control

    seen: set[str] = set()
    for _, path in outputs:
        if path is None:
            continue
        if os.path.isdir(path):
            raise UsageError(f"output '{escape_control(path)}' is a folder; give a file name")
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"two reports would be written to '{path}'")
        seen.add(key)


def _check_outputs_are_not_inputs(outputs: list[tuple[str, str | None]], linted: list[str]) -> None:
    """A report written over a linted file would destroy it: refuse before writing anything. Files are
    compared by identity (device, inode), hard links included: one stat per linted file, and none at all
    when no output is an existing regular file (a new path, a pipe, /dev/null), where a realpath per file
    cost 0.15-0.25 s at 10,000 files."""
    from kubelint_py.report import escape_control

    targets: dict[tuple[int, int], str] = {}
    for _, path in outputs:
        if path is None:
            continue
        try:
            status = os.stat(path)
        except OSError:
            continue  # nothing there yet: writing it overwrites no linted file
        if stat.S_ISREG(status.st_mode):
            targets[(status.st_dev, status.st_ino)] = path
    if not targets:
        return
    for source in linted:
        try:
            status = os.stat(source)
        except OSError:
            continue  # linted from memory (stdin) or gone since
        clash = targets.get((status.st_dev, status.st_ino))
        if clash is not None:
            raise UsageError(f"output file '{escape_control(clash)}' is one of the linted files; choose another path")


def run_check(options: CheckOptions) -> int:
    """Lint, write the reports, and return the exit code (UsageError: a usage error, exit 2)."""
    from kubelint_py.api import lint
    from kubelint_py.engine.catalogue import all_rules
    from kubelint_py.engine.config import ConfigError, parse_size
    from kubelint_py.engine.config_file import build_config
    from kubelint_py.engine.registry import Severity, rule_matches
    from kubelint_py.report import escape_control, escape_lines

    outputs = _parse_outputs(list(options.format or []), options.output)
    overrides: dict[str, object] = {}
    fail_on = options.fail_on
    if fail_on is not None:
        try:
            overrides["fail_on"] = None if fail_on.strip().lower() == "none" else Severity.parse(fail_on)
        except ValueError as error:
            raise UsageError(f"--fail-on: {error}") from None
    given = {"select": tuple(options.select or ()), "ignore": tuple(options.ignore or ()),
             "extend_select": tuple(options.extend_select or ()), "exclude": tuple(options.exclude or ()),
             "default_namespace": options.namespace, "k8s_version": options.k8s_version,
             "baseline": options.baseline}
    overrides.update({key: value for key, value in given.items() if value})
    if options.no_kustomize:
        overrides["kustomize"] = False
    if options.helm_values:
        overrides["helm_values"] = tuple(os.path.abspath(path) for path in options.helm_values)
    for expression in options.helm_set or ():
        if "=" not in expression or not expression.partition("=")[0].strip():
            raise UsageError(f"--helm-set: expected KEY=VALUE, got '{escape_control(expression)}'")
    if options.helm_set:
        overrides["helm_set"] = tuple(options.helm_set)
    if options.max_file_size is not None:
        try:
            overrides["max_file_size"] = parse_size(options.max_file_size)
        except ValueError as error:
            raise UsageError(f"--max-file-size: {error}") from None
    stdin = _stdin_mode(options)
    target_paths = [options.stdin_filename or "-"] if stdin else list(options.paths or ["."])
    try:
        config = build_config(target_paths, config_path=options.config_file, isolated=options.no_config,
                              overrides=overrides)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    # after the configuration: its policies are rules that --select/--ignore may name
    selectors = [*(options.select or []), *(options.ignore or []), *(options.extend_select or [])]
    if selectors:
        known = all_rules()
        for entry in selectors:
            if not any(rule_matches(r, entry) for r in known):
                from kubelint_py.engine.suggest import closest_rule

                hint = closest_rule(entry, known)
                shown = escape_control(entry)
                if hint is not None:
                    raise UsageError(f"{shown}: did you mean {hint}? (no rule matches '{shown}'; "
                                     "see `kubelint-py rules`)")
                raise UsageError(f"no rule matches '{shown}' (see `kubelint-py rules`)")
    if options.no_cache:
        config.use_cache = False
    if options.no_respect_gitignore:
        config.respect_gitignore = False
        config.sources["respect_gitignore"] = "command line"
    if options.project_root is not None:
        if not os.path.isdir(options.project_root):
            raise UsageError(f"--project-root: '{options.project_root}' is not a folder")
        config.project_root = options.project_root
    elif not options.no_project and config.project_root is None and target_paths != ["-"]:
        from kubelint_py.discovery.project_root import find_project_root, only_files

        if only_files(target_paths):  # the pre-commit case: check these files, in the context of their project
            found = find_project_root(target_paths)
            config.project_root = str(found) if found is not None else None
    if options.show_config:
        from kubelint_py.engine.config_file import show_config as render_config

        sys.stdout.write(escape_lines(render_config(config)))
        return EXIT_OK
    if options.write_baseline is not None:
        config.baseline = None  # record everything that is not silenced in the source or the configuration
    fixing = options.fix or options.fix_only or options.diff
    if fixing and options.write_baseline is not None:
        raise UsageError("--write-baseline cannot be combined with --fix, --fix-only or --diff")
    if fixing and stdin:
        raise UsageError("--fix, --fix-only and --diff change files: they do not read standard input")
    from kubelint_py.cli.progress import Progress, wanted

    try:
        if fixing:
            return _run_fixes(target_paths, config, options, outputs)
        contents = {target_paths[0]: _read_stdin(config.max_file_size)} if stdin else None
        with Progress(not options.quiet and wanted()) as progress, _collecting(options.statistics) as stats:
            report = lint(target_paths, config, debug=options.debug, contents=contents, progress=progress.update,
                          workers=options.jobs)
        report.unsafe_fixes = options.unsafe_fixes
    except ConfigError as error:
        raise UsageError(str(error)) from None
    except Exception as error:  # the last line of defence: no traceback unless asked
        if options.debug:
            raise
        _stderr(f"kubelint-py: internal error: {type(error).__name__}: {escape_control(str(error))} "
                "(rerun with --debug)")
        return EXIT_USAGE
    if options.write_baseline is not None:
        from kubelint_py.results.baseline import write_baseline as store_baseline

        try:
            count = store_baseline(report.findings, report.files, options.write_baseline, force=options.force)
        except OSError as error:
            raise UsageError(f"cannot write {escape_control(options.write_baseline)}: "
                             f"{error.strerror or error}") from None
        _stderr(f"kubelint-py: recorded {count} finding{'s' if count != 1 else ''} in "
                f"{escape_control(options.write_baseline)}")
        return EXIT_OK
    if KEEP_ALIVE:  # run by the console script, which exits without freeing (see launcher.main)
        import gc

        KEEP_ALIVE[:] = [report]
        gc.freeze()  # nothing the reporters allocate needs the models rescanned
    _write_reports(report, outputs, options)
    if stats is not None:
        stats.mark("end")
        sys.stdout.flush()
        from kubelint_py.report import escape_control

        _stderr(stats.render({r.code: r.name for r in report.rules}, escape_control).rstrip("\n"))
    if not report.linted_files and not report.findings and not options.quiet:
        where = " ".join(escape_control(path) for path in target_paths)
        _stderr(f"kubelint-py: warning: no Dockerfile, compose or Kubernetes files under {where}")
    if options.debug and report.internal_errors:
        for detail in report.internal_errors:
            _stderr(escape_lines(detail))
    return EXIT_FINDINGS if report.failed else EXIT_OK


@contextmanager
def _collecting(wanted: bool) -> Iterator[RunStatistics | None]:
    """--statistics: time the run's phases and rules (engine/statistics.py); None without it."""
    if not wanted:
        yield None
        return
    from kubelint_py.engine.statistics import collecting

    with collecting() as stats:
        yield stats


def _stdin_mode(options: CheckOptions) -> bool:
    """`check -` reads standard input; so does `check --stdin-filename PATH` with no path."""
    paths = list(options.paths or [])
    if paths == ["-"] or (options.stdin_filename is not None and not paths):
        if options.stdin_filename is not None and os.path.isdir(options.stdin_filename):
            raise UsageError(f"--stdin-filename: '{options.stdin_filename}' is a folder; name a file")
        return True
    if "-" in paths:
        raise UsageError("'-' (standard input) must be the only path")
    if options.stdin_filename is not None:
        raise UsageError("--stdin-filename names standard input: give '-' as the only path")
    return False


def _read_stdin(max_size: int) -> str:
    """Standard input as text, read up to one byte past the size limit (the loader reports the excess)."""
    stream = getattr(sys.stdin, "buffer", None)
    data: bytes | str = stream.read(max_size + 1) if stream is not None else sys.stdin.read(max_size + 1)
    if isinstance(data, str):
        return data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    return data.decode("utf-8", errors="replace")
def _run_fixes(paths: list[str], config: Config, options: CheckOptions,
               outputs: list[tuple[str, str | None]]) -> int:
    """--fix, --fix-only and --diff: fix (or show the fixes), then report what remains (--fix only).

    --diff prints a unified diff of every file a fix would change, writes nothing and exits 1 when there is
    something to fix; --fix-only writes the fixes and reports no findings (exit 0 unless it failed)."""
    from kubelint_py.api import fix_paths
    from kubelint_py.report import escape_control
    from kubelint_py.results.fixes import unified_diff

    run = fix_paths(paths, config, unsafe=options.unsafe_fixes, write=not options.diff, debug=options.debug,
                    workers=options.jobs)
    for problem in run.errors:
        _stderr(f"kubelint-py: warning: {escape_control(problem)}")
    count = len(run.fixed)
    files = len(run.changed)
    what = f"{count} finding{'' if count == 1 else 's'} in {files} file{'' if files == 1 else 's'}"
    if options.diff:
        from kubelint_py.report import neutralise_commands

        sys.stdout.write(neutralise_commands(_escape_diff(unified_diff(run.changed))))
        sys.stdout.flush()
        if not options.quiet:
            _stderr(f"kubelint-py: would fix {what}" if count else "kubelint-py: nothing to fix")
        return EXIT_FINDINGS if run.changed else EXIT_OK
    if options.fix_only:
        if not options.quiet:
            _stderr(f"kubelint-py: fixed {what}")
        return EXIT_USAGE if run.errors else EXIT_OK
    report = run.report
    if KEEP_ALIVE:
        KEEP_ALIVE[:] = [report]
    _write_reports(report, outputs, options)
    return EXIT_FINDINGS if report.failed or run.errors else EXIT_OK


_DIFF_CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def _escape_diff(diff: str) -> str:
    """The diff as it is but for characters that could drive a terminal (tabs, line ends and CRLF kept)."""
    return _DIFF_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                             else f"\\u{ord(m.group()):04x}", diff)


def _write_stdout(content: Content) -> None:
    """A report on standard output; a closed or full one is a clear error (exit 2), not a traceback."""
    stream = sys.stdout
    if stream is None:  # started with standard output closed (`>&-`)
        raise UsageError("standard output is closed; write the report to a file (--output FILE)")
    try:
        if isinstance(content, str):
            stream.write(content)
        else:
            content(stream)
        stream.flush()  # now, so that a full disk is reported here rather than lost at exit
    except BrokenPipeError:
        raise  # the reader went away (`| head`): cli.app.run exits quietly
    except OSError as error:
        raise UsageError(f"cannot write the report to standard output: {error.strerror or error}") from None


def _write_reports(report: Report, outputs: list[tuple[str, str | None]], options: CheckOptions) -> None:
    from kubelint_py.core.files import write_atomically
    from kubelint_py.report import escape_control, get_writer

    for name, path in outputs:
        if (name, path) == outputs[0]:  # before the first report is written
            _check_outputs_are_not_inputs(outputs, [f.path for f in report.files])
        # Each report is streamed to its destination (text, json and sarif finding by finding), never
        # held whole in memory.
        content: Content
        if name == "text":
            from kubelint_py.report.text import use_colour
            from kubelint_py.report.text import write as write_text

            colour = path is None and use_colour()
            content = functools.partial(write_text, report, colour=colour, quiet=options.quiet)
        elif name == "sarif":
            from kubelint_py.report.sarif import write as write_sarif

            content = functools.partial(write_sarif, report, all_rules=options.sarif_all_rules,
                                        suppressions=options.sarif_suppressed)
        else:
            content = functools.partial(get_writer(name), report)
        if path is None:
            _write_stdout(content)
        else:
            try:
                write_atomically(path, content, force=options.force)
            except OSError as error:
                raise UsageError(f"cannot write {escape_control(path)}: {error.strerror or error}") from None
