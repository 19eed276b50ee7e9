"""Per-file rules run in forked children give the same findings and errors, in the same order."""

from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path

import pytest

from kubelint_py import api
from kubelint_py.api import check_sources
from kubelint_py.discovery.walk import discover
from kubelint_py.engine import parallel as parallel_rules
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding
from kubelint_py.loading.batch import load_sources
from kubelint_py.loading.source_file import SourceFile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402  (the benchmarks' deterministic generator)

needs_fork = pytest.mark.skipif(not parallel_rules._can_fork(), reason="no fork on this platform")


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[SourceFile]:
    generate(tmp_path / "corpus", 40)
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "corpus" / "demo")
    monkeypatch.chdir(tmp_path / "corpus")
    return load_sources(list(discover(["."])), Config(use_cache=False), workers=1)


@needs_fork
def test_forked_rules_give_the_same_report(files: list[SourceFile]) -> None:
    config = Config(use_cache=False)
    serial = check_sources(files, config, workers=1)
    assert serial.findings
    for workers in (2, 3):
        parallel = check_sources(files, config, workers=workers)
        assert parallel.findings == serial.findings
        assert parallel.internal_errors == serial.internal_errors


@needs_fork
def test_internal_errors_come_back_from_the_children_in_file_order(
        files: list[SourceFile], monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(self: api._Runner, source: SourceFile) -> list[Finding]:
        self.internal_errors.append(f"failed on {source.path}")
        return []

    monkeypatch.setattr(api._Runner, "run_file", failing)
    report = check_sources(files, Config(use_cache=False), workers=3)
    assert report.internal_errors == [f"failed on {f.path}" for f in report.files]


def test_shares_cover_every_file_once_in_order() -> None:
    class Fake:
        def __init__(self, size: int) -> None:
            self.text = "x" * size

    fakes = [Fake(size) for size in (10, 5000, 10, 10, 3000, 10, 10, 10)]
    for count, lighter in itertools.product((1, 2, 3, 8, 20), (False, True)):
        shares = parallel_rules._shares(fakes, count, lighter_first=lighter)  # type: ignore[arg-type]
        assert shares[0][0] == 0 and shares[-1][1] == len(fakes)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(shares))
        assert all(start < end for start, end in shares) and len(shares) <= count


def test_the_first_share_is_lighter_when_this_process_also_runs_the_project_rules() -> None:
    class Fake:
        text = "x" * 1000

    fakes = [Fake() for _ in range(1000)]
    even = parallel_rules._shares(fakes, 2)  # type: ignore[arg-type]
    lighter = parallel_rules._shares(fakes, 2, lighter_first=True)  # type: ignore[arg-type]
    assert even[0] == (0, 500)
    assert lighter[0][1] == pytest.approx(1000 * 0.7 / 1.7, abs=2)


@needs_fork
def test_project_rule_errors_follow_the_file_errors_as_in_a_serial_run(
        files: list[SourceFile], monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_file(self: api._Runner, source: SourceFile) -> list[Finding]:
        self.internal_errors.append(f"failed on {source.path}")
        return []

    def failing_project(self: api._Runner) -> list[Finding]:
        self.internal_errors.append("project failed")
        return []

    monkeypatch.setattr(api._Runner, "run_file", failing_file)
    monkeypatch.setattr(api._Runner, "run_project", failing_project)
    serial = check_sources(files, Config(use_cache=False), workers=1)
    forked = check_sources(files, Config(use_cache=False), workers=2)
    assert forked.internal_errors == serial.internal_errors
    assert forked.internal_errors[-1] == "project failed" and len(forked.internal_errors) == len(files) + 1


def test_parsing_in_a_pool_of_two_workers_gives_the_same_models(
        files: list[SourceFile], monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.loading import batch
    from tests.test_cache_parallel import models

    candidates = list(discover(["."]))
    monkeypatch.setattr(batch, "_auto_workers", lambda todo: 2)
    pooled = load_sources(candidates, Config(use_cache=False))
    assert len(pooled) == len(files) > 40
    assert models(pooled) == models(files)
