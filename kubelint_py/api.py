"""The pipeline: discover -> load -> index -> rules -> filter -> Report.

`lint()` is the one entry point: the CLI, the pre-commit hook, the fixture tests and the benchmarks
all call it, so tests exercise parsing and locations end to end.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubelint_py.building.boundaries import find_boundaries, is_test_input, is_test_scenario, kustomize_facts
from kubelint_py.building.kustomize import KUSTOMIZATION_NAMES, patch_files
from kubelint_py.core.source import Location
from kubelint_py.discovery.walk import Candidate, discover
from kubelint_py.engine import caps, statistics
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.catalogue import load_rules
from kubelint_py.engine.config import Config
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.parallel import choose_workers, run_files
from kubelint_py.engine.registry import (
    Finding,
    Incomplete,
    Rule,
    RuleContext,
    Severity,
    Target,
    Violation,
    loaded_rules,
)
from kubelint_py.loading.source_file import SourceFile, load_source
from kubelint_py.results.report import Report

if TYPE_CHECKING:
    from kubelint_py.building.helm.renderer import Renderer
    from kubelint_py.building.kustomize.project import KustomizeRun
    from kubelint_py.loading.in_memory import Overlay
    from kubelint_py.results.fixes import FixRun

__all__ = ["Report", "check_sources", "fix_paths", "lint", "lint_candidates", "lint_contents", "render_charts"]


def lint(paths: Sequence[str], config: Config | None = None, *, cwd: Path | None = None,
         debug: bool = False, workers: int | None = None, contents: Mapping[str, str] | None = None,
         progress: Callable[[str], None] | None = None) -> Report:
    """Lint the files under `paths`.

    With config.project_root set, every file under that root is context (references resolve against
    the whole project) but findings are reported only for the files under `paths`. The cache layer
    (kubelint_py/cache/layer.py) replays an identical earlier run, or hands over the loaded files (from
    the parse cache when unchanged; parsed in worker processes for large trees: `workers` None chooses,
    1 forces serial). contents: text for some paths (relative to cwd, or absolute) that is used instead
    of what the disk holds there, or where the disk holds nothing yet; see lint_contents.
    progress: told what the run is doing, in a few words (`loading 812 files`), for a progress line.
    """
    from kubelint_py.building.helm.charts import configured_values, has_charts
    from kubelint_py.cache.layer import open_cache

    config, note, started = config or Config(), progress or _silent, time.perf_counter()
    candidates, report_paths, overlay = _discover(paths or ["."], config, cwd or Path.cwd(), contents)
    cache = open_cache(config, paths or ["."], cwd or Path.cwd(), report_paths=report_paths, replay=not debug,
                       overlay=overlay)
    report = cache.stored_report(candidates)
    if report is None:
        note(f"loading {len(candidates)} file{'' if len(candidates) == 1 else 's'}")
        with cache.loaded(candidates, workers=workers) as loaded:
            note(f"checking {len(loaded.files)} file{'' if len(loaded.files) == 1 else 's'}")
            report = check_sources(loaded.files, config, debug=debug, report_paths=report_paths,
                                   extra_formats=loaded.formats, workers=workers,
                                   cwd=str(cwd) if cwd is not None else None, unloaded=loaded.unloaded)
            if has_charts(candidates, configured_values(config)):  # the Helm stage: renders as projects
                _render_charts(report, loaded.files, config, cache.directory, report_paths,
                               overlay.by_key if overlay is not None else None)
            report.context.extend(loaded.unloaded)
            cache.keep(report)
    report.duration = time.perf_counter() - started
    return report


def _discover(paths: Sequence[str], config: Config, cwd: Path, contents: Mapping[str, str] | None
              ) -> tuple[list[Candidate], set[str] | None, Overlay | None]:
    """The candidates under `paths` (those given in memory as their content says), then with a project
    root every other file of the project as context; the paths to report (None: all of them); and the
    content given in memory."""
    candidates = list(discover(paths, config.exclude, cwd=cwd, respect_gitignore=config.respect_gitignore))
    overlay = None
    if contents:
        from kubelint_py.loading.in_memory import Overlay

        overlay = Overlay(contents, cwd)
        candidates = [overlay.adopt(c) if c.explicit else c for c in candidates]
    if config.project_root is None:
        return candidates, None, overlay
    seen = {os.path.realpath(cwd / c.path) for c in candidates}
    context = discover([config.project_root], config.exclude, cwd=cwd, seen=seen,
                       respect_gitignore=config.respect_gitignore)
    return [*candidates, *context], {c.path for c in candidates}, overlay


def _silent(text: str) -> None:
    """No progress line."""


def fix_paths(paths: Sequence[str], config: Config, *, unsafe: bool = False, write: bool = True,
              cwd: Path | None = None, workers: int | None = None, debug: bool = False) -> FixRun:
    """Lint, apply the fixes (results/fixes.py), write the files, and lint again until nothing more is
    fixed (at most MAX_PASSES rounds). With write=False (--diff) nothing is written: the later rounds lint
    the fixed texts from memory, and run.changed holds what --fix would write."""
    from kubelint_py.results.fixes import MAX_PASSES, FixRun, disk_text, fix_report, write_keeping_mode

    report = lint(paths, config, cwd=cwd, workers=workers, debug=debug)
    run = FixRun(report)
    texts: dict[str, str] = {}
    on_disk: dict[str, str] = {}
    refused: dict[tuple[str, str, str], tuple[Finding, str]] = {}
    for _ in range(MAX_PASSES):
        outcomes = fix_report(report, unsafe=unsafe, texts=texts)
        changed = [o for o in outcomes if o.new != o.old]
        for outcome in outcomes:
            refused.update(((f.location.path, f.code, f.message), (f, why)) for f, why in outcome.refused)
        if not changed:
            break
        run.passes += 1
        sources = {source.path: source for source in report.files}
        for outcome in changed:
            original = run.changed.get(outcome.path, (outcome.old, outcome.old))[0]
            source = sources[outcome.path]
            if write:
                found = disk_text(source)
                if found is None or found[0] != outcome.old:
                    run.errors.append(f"{outcome.path}: changed while it was being fixed; left as it is")
                    continue
                try:
                    write_keeping_mode(source.fs_path, found[1] + outcome.new.encode("utf-8"))
                except OSError as error:
                    run.errors.append(f"{outcome.path}: cannot write: {error.strerror or error}")
                    continue
            else:
                texts[outcome.path] = outcome.new
                on_disk[source.fs_path or outcome.path] = outcome.new
            run.changed[outcome.path] = (original, outcome.new)
            run.fixed.extend(outcome.fixed)
        # Again from the disk, or with the fixed texts in place of the files (lint's in-memory overlay).
        report = lint(paths, config, cwd=cwd, workers=workers, debug=debug, contents=None if write else on_disk)
        run.report = report
    run.refused = list(refused.values())
    run.report.fixed = run.fixed
    run.report.unsafe_fixes = unsafe
    return run


def lint_contents(contents: Mapping[str, str], config: Config | None = None, *, cwd: Path | None = None,
                  debug: bool = False) -> Report:
    """Lint text held in memory as the files at the given paths (relative to cwd, or absolute): an
    editor's unsaved buffers, or standard input under --stdin-filename. Only those paths are reported.
    Each is linted as that file would be: its format comes from its name (else from its content), the
    configuration and per-path ignores match its path, and with config.project_root set the rest of the
    project is read from the disk as context (a file that exists on the disk is replaced by the text).
    """
    return lint(list(contents), config, cwd=cwd, debug=debug, contents=contents)


def render_charts(report: Report, files: list[SourceFile], config: Config, *,
                  report_paths: Collection[str] | None = None, overlay: Mapping[str, str] | None = None,
                  cache_dir: Path | None = None, renderer: Renderer | None = None) -> None:
    """The Helm stage over files already loaded and checked into `report` (the language server's
    workspace): the charts among them (or of the templates and values files among report_paths)
    rendered, with `overlay` (real path -> text) in place of those files; `renderer`: a render process
    the caller keeps between calls (else one is started and ended here)."""
    _render_charts(report, files, config, cache_dir, report_paths, overlay, renderer)


def _render_charts(report: Report, files: list[SourceFile], config: Config, cache_dir: Path | None,
                   report_paths: Collection[str] | None, overlay: Mapping[str, str] | None = None,
                   renderer: Renderer | None = None) -> None:
    """The Helm stage (building/helm/stage.py): the charts among the files rendered and linted, each
    render a project of its own for the rules run here."""
    from kubelint_py.building.helm.stage import apply_helm
    from kubelint_py.cache.replay import package_fingerprint

    def check(built: list[SourceFile], reported: Collection[str]) -> list[Finding]:
        return check_sources(built, config, workers=1, report_paths=reported).findings

    report.findings = apply_helm(report.findings, files, config, check,
                                 cache_dir=str(cache_dir) if cache_dir is not None else None,
                                 tool=f"{package_fingerprint()}|{_policy_stamps(config)}",
                                 report_paths=report_paths, overlay=overlay, renderer=renderer)


def _policy_stamps(config: Config) -> str:
    from kubelint_py.cache.replay import _policy_digests

    return repr(_policy_digests(config))


def check_sources(files: list[SourceFile], config: Config, *, debug: bool = False,
                  report_paths: Collection[str] | None = None, extra_formats: Collection[str] = (),
                  workers: int | None = None, cwd: str | None = None,
                  unloaded: Sequence[SourceFile] = ()) -> Report:
    """Run the rules over already loaded files (the part of lint() after loading).

    report_paths: when given, the other files are context only: they feed the project index (so
    references into them resolve) but their own rules do not run and no finding located in them is
    reported. Cross-object findings are located at the referencing field, so a file is reported for
    the references it makes.
    extra_formats: rule families to enable besides those of the files (the project's, when only part of its
    context was loaded: the run enables the same rules as with all of it).
    workers: processes for the per-file rules (None chooses, 1 forces serial; see parallel_rules).
    unloaded: the project's other files, left out of a lazy context (path and kind only): they still mark
    project boundaries, so a rule that relates objects by boundary answers as with the whole project.
    """
    stats = statistics.current()
    if stats is not None:
        stats.mark("index")  # kustomize builds, the rule catalogue and the project index
    kustomize = None
    unbuilt = files
    if config.kustomize and any(os.path.basename(f.path) in KUSTOMIZATION_NAMES for f in files):
        from kubelint_py.building.kustomize.project import build_roots

        collecting = gc.isenabled()
        gc.disable()  # builds allocate many small containers and free none of them: no GC passes meanwhile
        try:
            kustomize = build_roots(files, cwd)
        finally:
            if collecting:
                gc.enable()
        if kustomize.owned:  # judged as built: their objects are not linted on their own
            files = [dataclasses.replace(f, resources=[]) if f.path in kustomize.owned else f for f in files]
    # Companions (compose files merged with a linted one, Dockerfiles it builds) are context too.
    companions = {f.path for f in files if f.companion}
    wanted = set(report_paths) if report_paths is not None else {f.path for f in files} - companions
    reported = [f for f in files if f.path in wanted and not f.companion]
    context = [f for f in files if f.path not in wanted or f.companion]
    formats: set[str] = set(extra_formats)
    if any(f.resources for f in files) or (kustomize is not None and kustomize.roots):
        formats.add("kubernetes")
    if any(f.compose is not None for f in files):
        formats.update(("compose", "cross"))  # every cross rule starts from a compose file
    if any(f.dockerfile is not None for f in files):
        formats.add("dockerfile")
    # The shipped policies are all off by default (a test keeps them so): reading their files is only
    # worth it when --select/--extend-select could turn one on.
    load_rules(sorted(formats), builtin_policies=bool(config.select or config.extend_select))
    if formats and (config.policies or "kubelint_py.engine.policies" in sys.modules):
        from kubelint_py.engine.catalogue import use_user_policies

        use_user_policies(config.policies)  # swaps in this configuration's policy files (ConfigError: exit 2)
    enabled = [r for r in loaded_rules() if config.is_enabled(r)]
    index = ProjectIndex.build(
        # Files linted one by one still resolve references against every object, those of the files a
        # kustomize root owns included (as unbuilt context: no rule judges them here).
        (r for f in unbuilt for r in f.resources),
        (f.compose for f in files if f.compose is not None),
        (f.dockerfile for f in files if f.dockerfile is not None),
        default_namespace=config.default_namespace,
        external_objects=config.external_objects,
        patch_files=patch_files(files),
    )
    index.derived["fs_paths"] = {f.path: f.fs_path for f in files if f.fs_path}
    index.derived["boundaries"] = find_boundaries([*files, *unloaded])
    index.derived["kustomize_facts"] = kustomize_facts(files)
    index.build_contexts.update({f.path: f.build_context for f in files if f.build_context is not None})
    if any(r.code == "XF107" for r in enabled):
        from kubelint_py.building.compose_builds import scan_compose_contexts

        index.derived["compose_contexts"] = scan_compose_contexts(index)
    rule_times = statistics.RuleTimes() if stats is not None else None
    runner = _Runner(enabled, config, index, debug, rule_times)
    findings: list[Finding] = []
    enabled_codes = {r.code for r in enabled}

    def check_file(source: SourceFile) -> list[Finding]:
        return [*(f for f in source.findings if f.code in enabled_codes), *runner.run_file(source)]

    rule_workers = choose_workers(reported, workers)
    if stats is not None and rule_times is not None:
        stats.mark("rules")
        stats.workers = rule_workers
        rule_times.open()
    file_findings, project_findings = run_files(check_file, reported, runner, rule_workers,
                                                also_here=runner.run_project)
    findings.extend(file_findings)
    if kustomize is not None:
        if rule_times is not None:
            rule_times.close()
            rule_times.open()
        owned = kustomize.owned  # judged as built below, not as the unbuilt context of the loose files
        project_findings = [f for f in project_findings if f.location.path not in owned]
        project_findings.extend(_kustomize_findings(kustomize, enabled, config, debug, runner, findings,
                                                    enabled_codes))
    if stats is not None and rule_times is not None:
        stats.add(rule_times)
        stats.mark("results")
    if report_paths is None:
        findings.extend(f for f in project_findings if f.location.path not in companions)
    else:
        findings.extend(f for f in project_findings if f.location.path in wanted)
    findings = [_test_input_capped(_with_severity(f, config, runner.by_code), runner.by_code)
                for f in caps.cap_run(findings)]
    from kubelint_py.results.suppress import apply_suppressions

    findings = apply_suppressions(findings, reported, config)
    findings.sort(key=Finding.sort_key)
    report = Report(findings, reported, 0.0, config, enabled, runner.internal_errors, context)
    if kustomize is not None:
        report.extra_inputs = kustomize.read_elsewhere
    return report


MAX_ALSO_BUILT = 5
"""Other overlays named (as related locations) on a finding several overlays build."""


def _kustomize_findings(kustomize: KustomizeRun, enabled: list[Rule], config: Config, debug: bool,
                        runner: _Runner, loose: list[Finding], enabled_codes: set[str]) -> list[Finding]:
    """The rules over each built kustomize root (one project each, with its own index), and the build
    problems. A finding at one source span is reported once: other overlays that build it are related
    locations, and one the file-by-file rules already report is not repeated."""
    from kubelint_py.engine.registry import Related
    from kubelint_py.loading.source_file import SourceFile

    found: list[Finding] = [f for f in kustomize.findings if f.code in enabled_codes]
    seen: dict[tuple[str, Location], int] = {(f.code, f.location): -1 for f in loose}
    for root in kustomize.roots:
        index = ProjectIndex.build(root.resources, default_namespace=config.default_namespace,
                                   external_objects=config.external_objects, patch_files=runner.index.patch_files)
        root_runner = _Runner(enabled, config, index, debug, runner.rule_times)
        source = SourceFile(root.kustomization, "kubernetes", resources=root.resources)
        overlay = Related(Location(root.kustomization, 1), f"as built by {os.path.dirname(root.kustomization) or '.'}")
        for finding in [*root_runner.run_file(source), *root_runner.run_project()]:
            key = (finding.code, finding.location)
            position = seen.get(key)
            if position is None:
                seen[key] = len(found)
                found.append(finding._replace(related=(*finding.related, overlay)))
            elif position >= 0:
                first = found[position]
                if overlay not in first.related and \
                        sum(1 for r in first.related if r.message.startswith("as built by")) <= MAX_ALSO_BUILT:
                    found[position] = first._replace(related=(*first.related, overlay))
        runner.internal_errors.extend(root_runner.internal_errors)
    return found


def _test_input_capped(finding: Finding, rules: dict[str, Rule]) -> Finding:
    """Files under a `testdata` folder are a tool's test inputs, often invalid, outdated or partial on
    purpose: what would be an error elsewhere is reported there as a warning. In test folders (test/,
    tests/, e2e/, testdata/) each file is a scenario of its own, so what other objects define or lack
    (cross-object rules) is reported as info (see README, "Project boundaries")."""
    if finding.severity is Severity.INFO:
        return finding
    rule_obj = rules.get(finding.code)
    if rule_obj is not None and "cross-object" in rule_obj.tags and is_test_scenario(finding.location.path):
        return finding._replace(severity=Severity.INFO)
    if finding.severity is Severity.ERROR and is_test_input(finding.location.path):
        return finding._replace(severity=Severity.WARNING)
    return finding


def _with_severity(finding: Finding, config: Config, rules: dict[str, Rule]) -> Finding:
    """The configured severity of the finding's rule; without one, the finding keeps its own (a builder
    may report a finding below its rule's default: KL008 for an input the repository may generate)."""
    rule_obj = rules.get(finding.code)
    if rule_obj is None:
        return finding
    severity = config.severity_override(rule_obj)
    if severity is None or severity == finding.severity:
        return finding
    return finding._replace(severity=severity)


MAX_KINDS_REMEMBERED = 1_000


class _Runner:
    """Walks each file's models once and hands every target to the rules registered for it."""

    def __init__(self, rules: list[Rule], config: Config, index: ProjectIndex, debug: bool,
                 rule_times: statistics.RuleTimes | None = None) -> None:
        self.by_target: dict[Target, list[Rule]] = {}
        self.by_code = {r.code: r for r in rules}
        # --statistics: the runner calls timed copies of the rules (nothing is timed, nor slower, without it)
        self.rule_times = rule_times
        for rule_obj in rules:
            if rule_obj.func is not None:
                if rule_times is not None:
                    rule_obj = rule_obj._replace(func=rule_times.timed(rule_obj.code, rule_obj.func))
                self.by_target.setdefault(rule_obj.target, []).append(rule_obj)
        self.contexts = {r.code: RuleContext(index, config, config.params_for(r)) for r in rules}
        self.debug = debug
        self.internal_errors: list[str] = []
        self.index = index
        self.object_rules: dict[str, list[Rule]] = {}
        """The K8S_OBJECT rules to call for an object of one kind (see Rule.kinds), in code order."""

    def _object_rules(self, kind: str) -> list[Rule]:
        found = self.object_rules.get(kind)
        if found is None:
            found = [r for r in self.by_target.get(Target.K8S_OBJECT, ()) if r.kinds is None or kind in r.kinds]
            if len(self.object_rules) < MAX_KINDS_REMEMBERED:  # kinds are the repository's to invent
                self.object_rules[kind] = found
        return found

    def _targets(self, source: SourceFile) -> Iterator[tuple[Iterable[Rule], Any]]:
        """Each model of the file with the rules to call for it."""
        rules = self.by_target
        workload_rules, container_rules = rules.get(Target.K8S_WORKLOAD, ()), rules.get(Target.K8S_CONTAINER, ())
        for resource in source.resources:
            yield self._object_rules(resource.kind), resource
            for workload in resource.all_workloads:
                yield workload_rules, workload
                for container in workload.containers:
                    yield container_rules, container
        if source.compose is not None:
            yield rules.get(Target.COMPOSE_FILE, ()), source.compose
            for service in source.compose.services.values():
                yield rules.get(Target.COMPOSE_SERVICE, ()), service
        if source.dockerfile is not None:
            yield rules.get(Target.DOCKERFILE, ()), source.dockerfile

    def run_file(self, source: SourceFile) -> list[Finding]:
        # _call inlined: this loop runs about 25 rules per Kubernetes object, and most find nothing.
        # Findings are capped (engine.caps): a rule stops on this file after MAX_PER_RULE findings, the
        # file after MAX_PER_FILE, and each cut is a KL012 finding.
        findings: list[Finding] = []
        path = source.path
        contexts = self.contexts
        counts: dict[str, int] = {}
        stopped: set[str] = set()
        total = 0
        targets = self._targets(source)
        for target_rules, target in targets:
            for rule_obj in target_rules:
                if stopped and rule_obj.code in stopped:
                    continue
                try:
                    found = iter(rule_obj.func(target, contexts[rule_obj.code]))  # type: ignore[misc]
                    first = next(found, None)  # most calls find nothing: no list, no islice for them
                    if first is None:
                        continue
                    violations: list[Violation] = [first, *islice(found, caps.MAX_PER_RULE)]
                except Exception as error:  # a buggy rule must not abort the run
                    findings.append(self._failed(rule_obj, error, path))
                    continue
                if violations:
                    code = rule_obj.code
                    count = counts[code] = counts.get(code, 0) + len(violations)
                    if count >= caps.MAX_PER_RULE:
                        del violations[max(0, len(violations) - (count - caps.MAX_PER_RULE)):]
                        stopped.add(code)
                        findings.append(caps.rule_capped(path, code, rule_obj.name))
                    total += len(violations)
                    # A fix edits the file whose model it was computed from: dropped when the finding points
                    # elsewhere (a value traced back to another file, such as a rendered or built one).
                    findings.extend(Finding(code, rule_obj.name, rule_obj.severity, v.message, v.location,
                                            v.related, None,
                                            v.fix if v.fix is None or v.location.path == path else None)
                                    if type(v) is not Incomplete else _incomplete(v)
                                    for v in violations)
            if total >= caps.MAX_PER_FILE:
                skipped = sum(1 for _ in targets)
                if skipped:
                    findings.append(caps.file_capped(path, skipped))
                break
        return findings

    def run_project(self) -> list[Finding]:
        findings: list[Finding] = []
        for rule_obj in self.by_target.get(Target.PROJECT, ()):
            findings.extend(self._call(rule_obj, self.index, None))
        return findings

    def _call(self, rule_obj: Rule, target: Any, path: str | None) -> Iterable[Finding]:
        assert rule_obj.func is not None
        try:  # one more than the run's cap, so that cap_run says some were dropped
            violations: list[Violation] = list(islice(rule_obj.func(target, self.contexts[rule_obj.code]),
                                                      caps.MAX_PER_RULE_RUN + 1))
        except Exception as error:  # a buggy rule must not abort the run
            return [self._failed(rule_obj, error, path)]
        return [Finding(rule_obj.code, rule_obj.name, rule_obj.severity, v.message, v.location, v.related, None,
                        v.fix) if type(v) is not Incomplete else _incomplete(v) for v in violations]

    def _failed(self, rule_obj: Rule, error: Exception, path: str | None) -> Finding:
        """Record a rule's crash (called while handling it, for the traceback) as an internal error."""
        import traceback

        text = str(error)
        if len(text) > 300:  # an error may quote a whole value
            text = text[:300] + f"... ({len(text)} characters)"
        detail = traceback.format_exc() if self.debug else f"{type(error).__name__}: {text}"
        self.internal_errors.append(f"{rule_obj.code} on {path or 'project'}: {detail}")
        message = f"rule {rule_obj.code} ({rule_obj.name}) failed: {type(error).__name__}: {text}"
        return Finding(diag.INTERNAL_ERROR.code, diag.INTERNAL_ERROR.name, diag.INTERNAL_ERROR.severity,
                       message, Location(path or ".", 1, 1))


def _incomplete(violation: Violation) -> Finding:
    """A rule's own word that it could not check everything: the tool's KL013 (its message says what was
    not checked and by which rule)."""
    check = diag.CHECK_INCOMPLETE
    return Finding(check.code, check.name, check.severity, violation.message, violation.location, violation.related)


def lint_candidates(candidates: Iterable[Candidate], config: Config) -> Report:
    """Lint an explicit list of candidates (used by tests that build files in memory)."""
    started = time.perf_counter()
    files = [load_source(c, config.max_file_size) for c in candidates]
    report = check_sources(files, config)
    report.duration = time.perf_counter() - started
    return report
