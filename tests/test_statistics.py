"""`check --statistics`: time per rule and per phase, summed over forked rule workers; nothing timed without it."""

from __future__ import annotations

import json
import shutil
import sys
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from cli_support import invoke

from kubelint_py import api
from kubelint_py.api import check_sources
from kubelint_py.discovery.walk import discover
from kubelint_py.engine import parallel as parallel_rules
from kubelint_py.engine import statistics
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import loaded_rules
from kubelint_py.loading.batch import load_sources
from kubelint_py.loading.source_file import SourceFile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402  (the benchmarks' deterministic generator)


def test_statistics_table_goes_to_stderr_after_an_unchanged_report() -> None:
    demo = str(ROOT / "fixtures" / "demo")
    plain = invoke(["check", demo, "--no-cache", "--no-config", "--format", "json"])
    timed = invoke(["check", demo, "--no-cache", "--no-config", "--format", "json", "--statistics"])
    assert timed.exit_code == plain.exit_code
    assert json.loads(timed.stdout)["findings"] == json.loads(plain.stdout)["findings"]
    assert "CPU s" not in plain.stderr
    lines = timed.stderr.splitlines()
    header = lines.index(next(line for line in lines if line.split()[:2] == ["CPU", "s"]))
    rows = []
    for line in lines[header + 1:]:
        if "all rules" in line:
            break
        rows.append(line.split())
    assert rows, timed.stderr
    times = [float(row[0]) for row in rows]
    assert times == sorted(times, reverse=True)  # most expensive first
    codes = {row[4] for row in rows}
    assert {"KS901", "KS506"} <= codes  # a per-object rule and a project rule
    for phase in statistics.PHASES:
        assert any(line.endswith(f"  {phase}") for line in lines), phase
    assert any("whole run" in line for line in lines)


def test_findings_and_calls_are_counted(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: a, image: nginx}\n  - {name: b, image: nginx}\n")
    with statistics.collecting() as stats:
        report = api.lint([str(tmp_path)], Config(use_cache=False))
    stats.mark("end")
    reported = sum(1 for f in report.findings if f.code == "KS111")
    assert reported == 2
    assert stats.rules["KS111"][1] == 2  # one call per container
    assert stats.rules["KS111"][2] == 2
    assert set(stats.phases()) == set(statistics.PHASES)


def test_rules_run_untimed_without_statistics(tmp_path: Path) -> None:
    """The rule loop calls the rules' own functions unless --statistics is on (no overhead without it)."""
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    seen: list[api._Runner] = []
    original = api._Runner.__init__

    def spy(self: api._Runner, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api._Runner, "__init__", spy)
        api.lint([str(tmp_path)], Config(use_cache=False))
        assert statistics.current() is None
        funcs = {id(r.func) for rules in seen[0].by_target.values() for r in rules}
        assert funcs <= {id(r.func) for r in loaded_rules()}
        assert seen[0].rule_times is None
        with statistics.collecting():
            api.lint([str(tmp_path)], Config(use_cache=False))
        funcs = {id(r.func) for rules in seen[1].by_target.values() for r in rules}
        assert not funcs & {id(r.func) for r in loaded_rules()}


def test_a_rule_stopped_early_is_charged_once() -> None:
    times = statistics.RuleTimes()
    calls = []

    def rule(target: Any, context: Any) -> Any:
        calls.append(target)
        yield 1
        yield 2
        yield 3

    timed = times.timed("X1", rule)
    assert list(islice(timed("t", None), 2)) == [1, 2]
    assert list(timed("u", None)) == [1, 2, 3]
    seconds, count, found = times.rules["X1"]
    assert (count, found) == (2, 5)
    assert 0 <= seconds < 1


@pytest.mark.skipif(not parallel_rules._can_fork(), reason="no fork on this platform")
def test_forked_workers_send_their_timings_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "corpus", 30)
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "corpus" / "demo")
    monkeypatch.chdir(tmp_path / "corpus")
    files: list[SourceFile] = load_sources(list(discover(["."])), Config(use_cache=False), workers=1)
    config = Config(use_cache=False)
    counted = {}
    for workers in (1, 3):
        with statistics.collecting() as stats:
            report = check_sources(files, config, workers=workers)
        assert stats.workers == workers
        counted[workers] = ({code: entry[1:] for code, entry in stats.rules.items()}, report.findings)
    assert counted[3] == counted[1]  # every call and finding of the children is summed back
    assert sum(entry[0] for entry in counted[1][0].values()) > 100


def test_jobs_sets_the_number_of_rule_processes(tmp_path: Path) -> None:
    """`--jobs 1` keeps everything in this process (the least CPU in total: a shared CI runner);
    `--jobs 2` forks a rule worker even where the machine looks busy; 0 is refused."""
    for i in range(4):
        (tmp_path / f"m{i}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n")
    serial = invoke(["check", str(tmp_path), "--no-cache", "--no-config", "-q", "--statistics", "--jobs", "1"])
    forked = invoke(["check", str(tmp_path), "--no-cache", "--no-config", "-q", "--statistics", "-j", "2"])
    assert "all rules (1 process)" in serial.stderr
    assert "all rules (2 processes)" in forked.stderr
    assert serial.exit_code == forked.exit_code == 0
    refused = invoke(["check", str(tmp_path), "--jobs", "0"])
    assert refused.exit_code == 2 and "--jobs: must be 1 or more" in refused.stderr


@pytest.mark.parametrize("use_cache", [False, True])
def test_the_gc_is_paused_for_a_run_and_handed_back_as_it_was(tmp_path: Path, use_cache: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """No collection while the files are loaded and checked (its passes over the models cost seconds on
    large trees); afterwards it runs again, with nothing left frozen out of its sight."""
    import gc

    generate(tmp_path / "repo", 40)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    api.lint([str(tmp_path / "repo")], Config(use_cache=False), workers=1)  # imports done before counting
    gc.collect()
    gc.callbacks.append(count)
    try:
        report = api.lint([str(tmp_path / "repo")], Config(use_cache=use_cache), workers=1)
        during = len(passes)
        assert gc.isenabled() and gc.get_freeze_count() == 0
        kept = [[] for _ in range(20_000)]  # a pass starts after about 700 new container objects
    finally:
        gc.callbacks.remove(count)
    assert report.findings
    assert during == 0
    assert len(passes) > during and kept
