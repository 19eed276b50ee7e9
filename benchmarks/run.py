"""Time the kubelint-py command line as a user runs it, on generated corpora.

    python benchmarks/run.py                      # everything (a few minutes on 2 cores)
    python benchmarks/run.py --only one,100,1k    # a quick subset
    python benchmarks/run.py --runs 5 --workdir /tmp/kb

Each figure is the median wall time from process start to exit over several runs of the real console
script (`kubelint-py`, else `python -m kubelint_py`), with its output discarded. Peak RSS is the
largest resident set of the run's process tree (os.wait4's ru_maxrss: the largest single process, so
parse workers are counted one at a time, not summed). CPU is user + system time of the whole tree, a
steadier figure than wall time when the machine is busy (the load average is printed first). Cold runs
pass --no-cache; warm runs use a cache primed by one untimed run. The cache lives in the work folder
(KUBELINT_CACHE_DIR), never the user's.

Scenarios:
  one        one small Kubernetes file (start-up is the whole cost: the pre-commit case)
  100        100 files holding about 2,000 Kubernetes objects
  1k, 10k    about 1,000 / 10,000 files (about 5,000 / 50,000 objects, plus Dockerfiles and compose
             files), cold, with an empty cache (what a CI job's first run pays for writing it) and warm;
             the ratio time(10k) / time(1k) shows whether time grows linearly
  precommit  a 5,000-file git repository where one manifest changes between runs; kubelint-py is
             given only that file and resolves references against the whole repository (warm cache)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import CorpusStats, generate

SMALL_FILE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.2
          ports: [{containerPort: 80}]
          readinessProbe: {httpGet: {path: /, port: 80}}
          resources:
            requests: {cpu: 50m, memory: 64Mi}
            limits: {memory: 128Mi}
"""

# name: (services, Kubernetes manifests or None for one per service, Dockerfiles and compose files?)
SIZES: dict[str, tuple[int, int | None, bool]] = {
    "100": (334, 100, False),
    "1k": (834, None, True),
    "5k": (4167, None, True),
    "10k": (8334, None, True),
}


CLI: list[str] = []
"""--cli: the console script to time (e.g. one pip-installed into a fresh venv, as users have it)."""


def command() -> list[str]:
    if CLI:
        return CLI
    script = Path(sys.executable).with_name("kubelint-py")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "kubelint_py"]


def run_once(args: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, float]:
    """(seconds, peak RSS in KiB, CPU seconds of the process tree) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen([*command(), *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    # exit 1 is "findings", but also what an uncaught exception gives: a traceback is never a timing
    if process.returncode not in (0, 1) or "Traceback (most recent call last)" in error \
            or "internal error" in error:
        raise SystemExit(f"kubelint-py {' '.join(args)} exited {process.returncode}:\n{error}")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def timed(label: str, args: Sequence[str], cwd: Path, env: dict[str, str], runs: int,
          before_each: object = None) -> float:
    times: list[float] = []
    cpu: list[float] = []
    peak = 0
    for _ in range(runs):
        if callable(before_each):
            before_each()
        elapsed, rss, used = run_once(args, cwd, env)
        times.append(elapsed)
        cpu.append(used)
        peak = max(peak, rss)
    median = statistics.median(times)
    spread = f"{min(times):.3f}-{max(times):.3f}"
    print(f"{label:44} {median:7.3f} s  (runs {runs}: {spread}; CPU {statistics.median(cpu):6.2f} s)  "
          f"peak RSS {peak / 1024:6.1f} MiB", flush=True)
    CPU[label] = statistics.median(cpu)
    return median


CPU: dict[str, float] = {}
"""Median CPU seconds (user + system of the process tree) of each figure printed, by label."""


def describe(stats: CorpusStats) -> str:
    return (f"{stats.files} files: {stats.k8s_files} manifests, {stats.objects} objects, {stats.dockerfiles} "
            f"Dockerfiles, {stats.compose_files} compose files, {stats.bytes / 1e6:.1f} MB")


def corpus(workdir: Path, size: str) -> tuple[Path, CorpusStats]:
    services, manifests, extras = SIZES[size]
    out = workdir / f"corpus-{size}"
    stats = generate(out, services, k8s_files=manifests, extras=extras)
    return out, stats


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_precommit(workdir: Path, env: dict[str, str], runs: int) -> None:
    repo, stats = corpus(workdir, "5k")
    print(f"  precommit repository: {describe(stats)}")
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
        git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.org", "add", "-A")
        git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.org", "commit", "-q", "-m", "corpus")
    changed = repo / "team-03" / "app-00032" / "k8s.yaml"
    original = changed.read_text()
    counter = iter(range(10**6))

    def edit() -> None:  # a new content each run, so the changed file itself is never a cache hit
        changed.write_text(original.replace("replicas: 1", f"replicas: {2 + next(counter)}", 1)
                           .replace("replicas: 2\n", f"replicas: {3 + next(counter)}\n", 1))

    relative = str(changed.relative_to(repo))
    run_once(["check", relative], repo, env)  # prime the cache with the whole repository
    try:
        timed("precommit: 1 changed file, 5k-file repo (warm)", ["check", relative], repo, env, runs, edit)
        timed("precommit: same, --no-cache (cold context)", ["check", "--no-cache", relative], repo, env,
              max(1, runs // 3), edit)
    finally:
        changed.write_text(original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default="one,100,1k,10k,precommit",
                        help="comma-separated scenarios: one, 100, 1k, 10k, precommit")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (10k cold uses max(1, runs // 2))")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "kubelint-py-bench")
    parser.add_argument("--cli", help="the kubelint-py executable to time (default: the one beside this Python; "
                        "a regular install skips the editable finder's start-up)")
    args = parser.parse_args()
    if args.cli:
        CLI[:] = [args.cli]
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    cache = workdir / "cache"
    env = {**os.environ, "KUBELINT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    # An installed copy runs from compiled bytecode (pip compiles it); an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module in every run (~70 ms).
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("kubelint_py")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)
    print(f"kubelint-py benchmark: {' '.join(command())}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")

    if "one" in wanted:
        single = workdir / "one"
        single.mkdir(exist_ok=True)
        (single / "deployment.yaml").write_text(SMALL_FILE)
        timed("one small file (--no-cache)", ["check", "--no-cache", "deployment.yaml"], single, env,
              max(args.runs, 15))
        timed("one small file (cache)", ["check", "deployment.yaml"], single, env, max(args.runs, 15))
    if "100" in wanted:
        folder, stats = corpus(workdir, "100")
        print(f"  100: {describe(stats)}")
        timed("100 files / 2k objects (--no-cache)", ["check", "--no-cache", "."], folder, env, args.runs)
    cold: dict[str, float] = {}
    for size in ("1k", "10k"):
        if size not in wanted:
            continue
        folder, stats = corpus(workdir, size)
        print(f"  {size}: {describe(stats)}")
        runs = args.runs if size == "1k" else max(1, args.runs // 2)
        cold_label, empty_label = f"{size} files cold (--no-cache)", f"{size} files, empty cache (a CI job's first run)"
        cold[size] = timed(cold_label, ["check", "--no-cache", "."], folder, env, runs)
        empty = timed(empty_label, ["check", "."], folder, env, runs, lambda: shutil.rmtree(cache, ignore_errors=True))
        print(f"{'empty cache / --no-cache, ' + size:42} {empty / cold[size]:8.2f} wall, "
              f"{CPU[empty_label] / CPU[cold_label]:.2f} CPU (target <= 1.2)")
        shutil.rmtree(cache, ignore_errors=True)
        run_once(["check", "."], folder, env)  # prime
        timed(f"{size} files warm (unchanged, cache)", ["check", "."], folder, env, args.runs)
    if "1k" in cold and "10k" in cold:
        print(f"{'time(10k) / time(1k), cold':42} {cold['10k'] / cold['1k']:8.2f}")
    if "precommit" in wanted:
        bench_precommit(workdir, env, args.runs)


if __name__ == "__main__":
    main()
