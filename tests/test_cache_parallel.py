"""The parse cache, the whole-run replay and parallel loading change speed, never the report."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubelint_py.api import Report, lint
from kubelint_py.cache.layer import content_keys
from kubelint_py.cache.parse_cache import ParseCache, default_cache_dir
from kubelint_py.discovery.walk import discover
from kubelint_py.engine.config import Config
from kubelint_py.loading.batch import load_sources
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.models.located import YList, YMap

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402  (the benchmarks' deterministic generator)


def summary(report: Report) -> list[tuple[object, ...]]:
    return [(f.location.path, f.location.line, f.location.column, f.code, f.severity, f.message,
             f.related) for f in report.findings]


def model(node: object) -> object:
    """Values and every span, to compare loaded models exactly."""
    if isinstance(node, YMap):
        return ("map", node.span, [(k, node.key_spans[k], node.value_spans[k], model(v)) for k, v in node.items()])
    if isinstance(node, YList):
        return ("list", node.span, [(s, model(v)) for s, v in zip(node.item_spans, node, strict=True)])
    return (type(node).__name__, repr(node))


def models(files: list[SourceFile]) -> list[object]:
    return [(f.path, f.kind, f.text, [model(r.body) for r in f.resources],
             None if f.compose is None else model(f.compose.data), f.findings) for f in files]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A corpus big enough to go parallel (with mistakes to report), plus the demo project."""
    generate(tmp_path / "corpus", 70)
    shutil.copytree(DEMO, tmp_path / "corpus" / "demo")
    monkeypatch.chdir(tmp_path / "corpus")
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "corpus"


def test_parallel_serial_and_cached_loading_give_the_same_models(tree: Path) -> None:
    config = Config()
    candidates = list(discover(["."]))
    assert len(candidates) > 60
    serial = load_sources(candidates, config, workers=1)
    parallel = load_sources(candidates, config, workers=2)
    assert models(parallel) == models(serial)
    cache = ParseCache(default_cache_dir(), config.max_file_size)
    cold = load_sources(candidates, config, workers=2, cache=cache, keys=content_keys(candidates, cache))
    assert cache.hits == 0  # workers hand the entries back, this process writes them
    cache.flush()
    warm_cache = ParseCache(default_cache_dir(), config.max_file_size)
    warm = load_sources(candidates, config, workers=1, cache=warm_cache, keys=content_keys(candidates, warm_cache))
    assert warm_cache.hits == len(candidates) and warm_cache.misses == 0
    assert models(cold) == models(serial) and models(warm) == models(serial)


@pytest.fixture
def manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Kubernetes and compose files only: no Dockerfile whose model lists its build context."""
    generate(tmp_path / "manifests", 70, extras=False)
    shutil.copytree(DEMO / "k8s", tmp_path / "manifests" / "demo")
    monkeypatch.chdir(tmp_path / "manifests")
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "manifests"


def test_a_build_context_change_is_noticed_through_the_cache(tree: Path) -> None:
    # A Dockerfile's build-context listing (the other files of its folder) is part of its model but
    # not of its bytes: a secret file dropped beside it must show up in a cached and a replayed run.
    first = lint(["."], Config())
    with_listing = next(f for f in first.files if f.build_context is not None)
    assert lint(["."], Config()).replayed
    (Path(with_listing.path).parent / ".env").write_text("PASSWORD=x\n")
    after = lint(["."], Config())
    assert not after.replayed
    fresh = lint(["."], Config(use_cache=False))
    assert summary(after) == summary(fresh)
    assert ".env" in next(f for f in after.files if f.path == with_listing.path).build_context.secret_candidates


def test_reports_are_identical_whichever_path(manifests: Path) -> None:
    tree = manifests
    fresh = lint(["."], Config(use_cache=False), workers=1)
    assert fresh.findings and not fresh.replayed
    assert summary(lint(["."], Config(use_cache=False), workers=2)) == summary(fresh)
    first = lint(["."], Config())  # fills the cache
    second = lint(["."], Config())  # an unchanged tree: replayed
    assert not first.replayed and second.replayed
    assert summary(first) == summary(fresh) and summary(second) == summary(fresh)
    assert len(second.linted_files) == len(fresh.linted_files)
    # One changed file: the run is not replayed, and only that file is parsed again.
    target = next(tree.rglob("k8s.yaml"))
    target.write_text(target.read_text().replace("replicas: ", "replicas: 1", 1))
    third = lint(["."], Config())
    assert not third.replayed
    assert summary(third) == summary(lint(["."], Config(use_cache=False)))


def test_a_changed_configuration_is_not_replayed(manifests: Path) -> None:
    everything = lint(["."], Config())
    assert lint(["."], Config()).replayed
    only_ks = lint(["."], Config(select=("KS",)))
    assert not only_ks.replayed
    assert summary(only_ks) == summary(lint(["."], Config(select=("KS",), use_cache=False)))
    assert summary(only_ks) != summary(everything)


def test_corrupt_cache_entries_are_ignored(tree: Path, tmp_path: Path) -> None:
    expected = summary(lint(["."], Config(use_cache=False)))
    lint(["."], Config())
    entries = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.name != "CACHEDIR.TAG"]
    assert entries
    for number, entry in enumerate(entries):
        # Garbage, truncated pickles, empty files, and a valid pickle of the wrong type.
        entry.write_bytes([b"not a pickle", entry.read_bytes()[:40], b"", pickle.dumps({"a": 1})][number % 4])
    assert summary(lint(["."], Config())) == expected
    assert summary(lint(["."], Config())) == expected


def test_an_unusable_cache_folder_is_not_fatal(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(blocker / "cache"))
    assert summary(lint(["."], Config())) == summary(lint(["."], Config(use_cache=False)))


def test_cache_keys_follow_content_path_and_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("kind: A\n")
    (tmp_path / "b.yaml").write_text("kind: A\n")
    candidates = list(discover(["."]))
    cache = ParseCache(tmp_path / "cache", 1000)
    key_a, key_b = content_keys(candidates, cache)
    assert key_a and key_b and key_a != key_b  # same bytes, different paths: findings carry the path
    (tmp_path / "a.yaml").write_text("kind: B\n")
    assert content_keys(candidates, cache)[0] != key_a
    assert ParseCache(tmp_path / "cache", 1000).fingerprint != ParseCache(tmp_path / "cache", 2000).fingerprint


def test_packs_and_index_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.cache import parse_cache

    monkeypatch.setattr(parse_cache, "MAX_PACKS", 4)
    monkeypatch.setattr(parse_cache, "MAX_ENTRIES", 20)
    for run in range(30):  # 30 runs, 2 new entries each (as a pre-commit hook's runs would)
        cache = ParseCache(tmp_path, 1000)
        for number in range(2):
            cache.put(f"{run:02x}{number:038x}", f"entry {run} {number}".encode())
        cache.flush()
    packs = os.listdir(cache.directory / "packs")
    assert len(packs) <= 4 + 1
    reader = ParseCache(tmp_path, 1000)
    reader._index = reader._index_from_disk()
    assert len(reader._index) <= 20
    # the newest entries survive compaction, with their bytes
    assert reader._blob(f"{29:02x}{1:038x}") == b"entry 29 1"
    assert reader._blob(f"{20:02x}{0:038x}") == b"entry 20 0"
    assert reader._blob(f"{0:02x}{0:038x}") is None


def test_stale_fingerprints_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "v1-0000000000000000" / "ab"
    stale.mkdir(parents=True)
    (stale / "entry").write_bytes(b"old")
    cache = ParseCache(tmp_path, 1000)
    cache.put("cd" + "0" * 38, b"new")
    cache.flush()
    assert not (tmp_path / "v1-0000000000000000").exists()
    assert ParseCache(tmp_path, 1000)._blob("cd" + "0" * 38) == b"new"


def test_two_concurrent_runs_share_the_cache(tree: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KUBELINT_CACHE_DIR": str(tmp_path / "shared-cache"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "kubelint_py", "check", "--format", "json", "."]
    runs = [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1, 1], [err.decode() for _, err in outputs]
    assert not any(err for _, err in outputs)

    def findings(raw: bytes) -> object:
        import json

        return json.loads(raw)["findings"]

    assert findings(outputs[0][0]) == findings(outputs[1][0])
    again = subprocess.run(command, cwd=tree, env=env, capture_output=True, check=False, timeout=300)
    assert findings(again.stdout) == findings(outputs[0][0])


def test_a_chart_appearing_around_a_cached_file_is_noticed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    assert [f.kind for f in lint(["chart"], Config()).files] == ["kubernetes"]
    (tmp_path / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 1.0.0\n")
    from kubelint_py.loading.source_file import _is_chart_dir

    _is_chart_dir.cache_clear()  # the loader memoises chart folders for one run
    from kubelint_py.building.helm import stage

    monkeypatch.setattr(stage, "sdk_available", lambda: False)  # keep the loader's classification visible
    monkeypatch.setattr(stage, "find_helm", lambda: None)
    assert "template" in [f.kind for f in lint(["chart"], Config()).files]


def test_a_model_is_stored_from_the_second_run_that_meets_it(manifests: Path) -> None:
    config = Config()
    candidates = list(discover(["."]))

    def run() -> ParseCache:
        cache = ParseCache(default_cache_dir(), config.max_file_size)
        load_sources(candidates, config, workers=1, cache=cache, keys=content_keys(candidates, cache))
        cache.flush()
        return cache

    first = run()  # a first run (a CI job's only one) pickles nothing
    assert first.hits == 0 and not list((first.directory / "packs").glob("*"))
    second = run()
    assert second.hits == 0 and list((second.directory / "packs").glob("*"))
    assert run().hits == len(candidates)
