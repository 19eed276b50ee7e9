"""Issue 23, cache: no code execution from cache entries, no deletion outside the cache, no cache in a
folder someone else controls, and no stale or phantom finding: every input a result depends on is in
its key (or checked again before it is reused). Each input-kind test changes the input between two
cached runs and compares with a run without the cache."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from kubelint_py.api import Report, lint
from kubelint_py.engine.config import Config

ROOT = Path(__file__).resolve().parent.parent


def summary(report: Report) -> list[tuple[object, ...]]:
    return [(f.location.path, f.location.line, f.location.column, f.code, f.severity, f.message, f.related,
             f.suppressed) for f in report.findings]


def same_as_without_cache(paths: list[str], config: Config | None = None) -> Report:
    """A cached run's report, after checking it equals the same run without the cache."""
    config = config or Config()
    cached = lint(paths, config)
    fresh = lint(paths, Config(**{**config.__dict__, "use_cache": False}))
    assert summary(cached) == summary(fresh)
    return cached


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "k8s").mkdir(parents=True)
    (root / "k8s" / "app.yaml").write_text(DEPLOYMENT)
    (root / "api").mkdir()
    (root / "api" / "Dockerfile").write_text("FROM python:3.12\nCOPY app.py /app/\nUSER app\n")
    (root / "compose.yaml").write_text("services:\n  api:\n    build: ./api\n    env_file: web.env\n")
    (root / "web.env").write_text("A=b\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    return root


def touch_other_file(project: Path) -> None:
    """Change a file the test is not about, so the next run is not replayed but loads the others from
    the parse cache."""
    target = project / "k8s" / "app.yaml"
    target.write_text(target.read_text() + "# edited\n")


# --- code execution --------------------------------------------------------------------------------


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("replayed", [True, False])
def test_a_crafted_cache_entry_cannot_run_code(project: Path, tmp_path: Path, replayed: bool) -> None:
    lint(["."], Config())
    touch_other_file(project)  # files met a second time: their models are stored
    expected = summary(lint(["."], Config(use_cache=False)))
    lint(["."], Config())
    marker = tmp_path / "pwned"
    entries = [p for p in (tmp_path / "cache").rglob("*")
               if p.is_file() and p.name != "CACHEDIR.TAG" and p.parent.name != "projects"]
    assert {p.parent.name for p in entries} >= {"runs", "packs"} and any(p.name == "index" for p in entries)
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Payload(marker), protocol=5))
    if not replayed:
        touch_other_file(project)
        expected = summary(lint(["."], Config(use_cache=False)))
    assert summary(lint(["."], Config())) == expected
    assert not marker.exists()


# --- where the cache may live ------------------------------------------------------------------------


def _refused(capsys: pytest.CaptureFixture[str], project: Path, cache: Path) -> str:
    expected = summary(lint(["."], Config(use_cache=False)))
    before = sorted(p.name for p in cache.rglob("*")) if cache.exists() else None
    assert summary(lint(["."], Config())) == expected
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not using the cache folder" in err and "running without a cache" in err
    after = sorted(p.name for p in cache.rglob("*")) if cache.exists() else None
    assert after == before  # nothing read from it, nothing written to it
    return err


def test_a_world_writable_cache_folder_is_refused(project: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    assert "writable by other users" in _refused(capsys, project, cache)
    cache.chmod(0o775)
    assert "writable by other users" in _refused(capsys, project, cache)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder away")
def test_a_cache_folder_owned_by_someone_else_is_refused(project: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, 4242, 4242)
    assert "owned by another user" in _refused(capsys, project, cache)


def test_a_cache_folder_inside_the_linted_tree_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cache = project / ".kubelint_cache"
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(cache))
    assert "inside the linted tree" in _refused(capsys, project, cache)
    assert not cache.exists()
    # also when it already exists (shipped in the pull request), and for a linted file's repository
    cache.mkdir(mode=0o700)
    (project / ".git").mkdir()
    expected = summary(lint(["k8s/app.yaml"], Config(use_cache=False)))
    assert summary(lint(["k8s/app.yaml"], Config())) == expected
    assert "inside the linted tree" in capsys.readouterr().err
    assert list(cache.iterdir()) == []


def test_a_usable_cache_folder_is_created_private_and_tagged(project: Path, tmp_path: Path) -> None:
    lint(["."], Config())
    cache = tmp_path / "cache"
    assert (cache / "CACHEDIR.TAG").is_file()
    assert cache.stat().st_mode & 0o777 == 0o700
    assert lint(["."], Config()).replayed


# --- pruning -----------------------------------------------------------------------------------------


def test_pruning_touches_only_folders_the_tool_created(project: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"  # a folder the user already had, given as KUBELINT_CACHE_DIR
    shared.mkdir(mode=0o700)
    (shared / "vacation").mkdir()
    (shared / "vacation" / "photo.jpg").write_bytes(b"jpeg")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    (shared / "vlink").symlink_to(elsewhere, target_is_directory=True)
    (shared / "v1-00000000000000ab").symlink_to(elsewhere, target_is_directory=True)  # named like ours, a link
    stale = shared / "v1-0000000000000000" / "ab"
    stale.mkdir(parents=True)
    (stale / "entry").write_bytes(b"old")
    inner_link = shared / "v1-0000000000000000" / "link"
    inner_link.symlink_to(elsewhere, target_is_directory=True)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(shared))
    lint(["."], Config())
    assert (shared / "vacation" / "photo.jpg").read_bytes() == b"jpeg"
    assert (elsewhere / "keep.txt").read_text() == "mine"
    assert (shared / "vlink").is_symlink() and (shared / "v1-00000000000000ab").is_symlink()
    assert not (shared / "v1-0000000000000000").exists()  # a stale fingerprint of ours is removed
    assert not (shared / "CACHEDIR.TAG").exists()  # not our folder: not tagged


# --- every input in the key --------------------------------------------------------------------------


@pytest.mark.parametrize("replayed", [True, False])
def test_a_deleted_env_file_is_noticed(project: Path, replayed: bool) -> None:
    before = same_as_without_cache(["."])
    assert "DC108" not in {f.code for f in before.findings}
    (project / "web.env").unlink()
    if not replayed:
        touch_other_file(project)
    after = same_as_without_cache(["."])
    assert "DC108" in {f.code for f in after.findings}


@pytest.mark.parametrize("replayed", [True, False])
def test_a_deleted_build_folder_is_noticed(project: Path, replayed: bool) -> None:
    before = same_as_without_cache(["compose.yaml"])
    (project / "api" / "Dockerfile").unlink()
    (project / "api").rmdir()
    if not replayed:
        (project / "compose.yaml").write_text((project / "compose.yaml").read_text() + "# edited\n")
        lint(["."], Config())  # compose.yaml's model is now in the parse cache...
        (project / "api").mkdir()  # ... with the build folder missing; it comes back
        (project / "api" / "Dockerfile").write_text("FROM python:3.12\n")
        touch_other_file(project)
        assert summary(same_as_without_cache(["."])) != summary(lint(["."], Config(select=("DC",))))
        return
    after = same_as_without_cache(["compose.yaml"])
    assert summary(after) != summary(before)


def test_a_secret_file_appearing_in_a_compose_build_context_is_noticed(project: Path) -> None:
    # XF107 reads the build context folder (ctx/) of a Dockerfile kept elsewhere (docker/).
    (project / "docker").mkdir()
    (project / "docker" / "Dockerfile").write_text("FROM python:3.12\nCOPY . /app\nUSER app\n")
    (project / "ctx").mkdir()
    (project / "ctx" / "app.py").write_text("print(1)\n")
    (project / "compose.yaml").write_text(
        "services:\n  api:\n    build:\n      context: ctx\n      dockerfile: ../docker/Dockerfile\n")
    before = same_as_without_cache(["."])
    assert "XF107" not in {f.code for f in before.findings}
    (project / "ctx" / ".env").write_text("PASSWORD=x\n")
    after = same_as_without_cache(["."])
    assert "XF107" in {f.code for f in after.findings}


def test_a_changed_baseline_outside_the_linted_paths_is_noticed(project: Path, tmp_path: Path) -> None:
    from kubelint_py.results.baseline import write_baseline

    report = lint(["."], Config(use_cache=False))
    assert report.active
    baseline = tmp_path / "baseline.json"
    write_baseline(report.findings, report.files, str(baseline))
    assert not same_as_without_cache(["."], Config(baseline=str(baseline))).active
    write_baseline([], [], str(baseline))
    assert same_as_without_cache(["."], Config(baseline=str(baseline))).active


POLICY = """\
code: XP001
name: needs-{label}
summary: Deployments carry a {label} label
match: {{format: kubernetes, kinds: [Deployment]}}
target: object
schema:
  properties:
    metadata:
      required: [labels]
      properties:
        labels: {{required: [{label}]}}
"""


def test_a_policy_file_changed_with_the_same_size_and_mtime_is_noticed(project: Path) -> None:
    # Through the command line: each run is a new process, as for users. The policy file is not linted
    # (excluded), so only its own key input can tell that it changed.
    policy = project / "policies" / "labels.yaml"
    policy.parent.mkdir()
    policy.write_text(POLICY.format(label="team"))
    stamp = policy.stat()
    (project / ".kubelint.yaml").write_text("policies: [policies/labels.yaml]\nexclude: ['policies/']\n")

    def run(*extra: str) -> str:
        env = {**os.environ, "NO_COLOR": "1"}
        result = subprocess.run([sys.executable, "-m", "kubelint_py", "check", "--format", "json", *extra, "."],
                                cwd=project, env=env, capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode in (0, 1), result.stderr
        return result.stdout.split('"summary"')[0]

    first = run()
    assert "needs-team" in first and "policies/labels.yaml" not in first
    policy.write_text(POLICY.format(label="tier"))
    os.utime(policy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert policy.stat().st_size == stamp.st_size
    after = run()
    assert after == run("--no-cache") and "needs-tier" in after


def _age(root: Path) -> None:
    """Make every file look old: the pre-commit store only keeps files not modified in the last seconds."""
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (path.stat().st_atime - 3600, path.stat().st_mtime - 3600))


def test_no_phantom_findings_from_exists_policies_in_a_pre_commit_run(project: Path) -> None:
    (project / "k8s" / "pdb.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: budget, namespace: shop}\n"
        "spec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n")
    (project / "k8s" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    (project / "k8s" / "deny.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n")
    _age(project)
    config = Config(project_root=str(project), extend_select=("KS705", "KS706"))
    for round_ in range(3):  # the first run summarises the project; later ones could load context lazily
        for path in ("k8s/app.yaml", "k8s/ns.yaml"):
            target = project / path
            target.write_text(target.read_text() + f"# round {round_}\n")  # never replayed
            report = same_as_without_cache([path], config)
            assert not {"KS705", "KS706"} & {f.code for f in report.findings}


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the file system takes only Unicode names")
def test_a_file_name_that_is_not_utf8_is_cached_and_replayed(project: Path) -> None:
    with open(os.fsencode(project / "k8s") + b"/\xffbad.yaml", "wb") as handle:
        handle.write(DEPLOYMENT.replace("name: web", "name: odd").encode())
    first = same_as_without_cache(["."])
    assert any("\udcff" in f.location.path for f in first.findings)
    again = lint(["."], Config())
    assert again.replayed and summary(again) == summary(first)


def test_every_fixture_model_loads_through_the_allow_list() -> None:
    """safe_pickle.ALLOWED names every class a model holds: a class missing there would make every
    entry holding it a miss (slow, never wrong), so the fixtures' models must all load."""
    from kubelint_py.cache.safe_pickle import loads
    from kubelint_py.discovery.walk import discover
    from kubelint_py.loading.source_file import load_source

    count = 0
    for candidate in discover([str(ROOT / "fixtures")]):
        source = load_source(candidate, 10 * 1024 * 1024)
        copy = loads(pickle.dumps(source, protocol=5))
        assert (copy.path, copy.kind, copy.text, copy.findings) == (source.path, source.kind, source.text,
                                                                    source.findings)
        count += 1
    assert count > 300


def test_a_replay_entry_of_every_fixture_finding_loads_through_the_allow_list(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.cache.safe_pickle import loads

    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    report = lint([str(ROOT / "fixtures")], Config())
    assert any(f.fix is not None for f in report.findings)  # findings carry their fixes
    (entry,) = (tmp_path / "cache").glob("*/runs/*")
    assert len(loads(entry.read_bytes())["findings"]) == len(report.findings)


def test_the_allow_list_refuses_anything_else() -> None:
    from kubelint_py.cache.safe_pickle import UnsafeEntry, loads

    for payload in (pickle.dumps(os.system), pickle.dumps(Path("x")), pickle.dumps(subprocess.run),
                    b"\x80\x05cbuiltins\ngetattr\n(cbuiltins\ntuple\nV__subclasses__\ntR."):
        with pytest.raises(UnsafeEntry):
            loads(payload)
