"""Cold-run cost on two generators' corpora, against the YAML parse floor (issue 24).

    python benchmarks/generators.py                          # both generators, 1k and 10k (about 15 minutes)
    python benchmarks/generators.py --sizes 1k --runs 3      # a quick look
    python benchmarks/generators.py --markdown               # also print the table as Markdown

Corpora: `own` is benchmarks/corpus.py (the 1k/10k sizes of benchmarks/run.py); `shared-s1` and
`shared-s5` are benchmarks/gen_scale_corpus.py (a copy of the workspace's shared generator) with seeds 1
and 5, `--files 1000 / 10000`.

For each corpus, median over --runs rounds of `kubelint-py check DIR -q --no-config` (the console script or
`python -m kubelint_py`), the three modes taking turns within each round:
- `--no-cache`: the default processes (parse and rule workers when CPUs are idle);
- `--no-cache -j 1`: one process, the least CPU in total;
- an empty cache (a new KUBELINT_CACHE_DIR for each run): what a CI job without a restored cache does;
each as CPU (user+sys of the whole process tree, os.wait4: the run and the workers it waited for; the
headline, since the machine is shared and wall time follows the neighbours' load) and wall;
then the parse floor: CPU of parsing the same YAML files (*.yaml, *.yml) with ruamel's C event parser
alone (`CParser`, `check_event/get_event` over each file), in a separate process, timed around the
parse loop only (reading the files included; interpreter start-up excluded), once per round (the
`floor s` column: the lowest). floor x = CPU / floor CPU and empty x = empty-cache / --no-cache, each
the median of the rounds' own ratios (the runs of one round are made side by side); growth = 10k / 1k,
per column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import generate  # noqa: E402

SIZES = {"1k": (834, 1000), "10k": (8334, 10000)}
"""size: (services of corpus.py, --files of gen_scale_corpus.py)"""

FLOOR = r"""
import os, sys, time
from ruamel.yaml import CParser
paths = []
for root, dirs, names in os.walk(sys.argv[1]):
    dirs.sort()
    paths.extend(os.path.join(root, n) for n in sorted(names) if n.endswith((".yaml", ".yml")))
start = time.process_time()
events = 0
for path in paths:
    with open(path, encoding="utf-8") as handle:
        parser = CParser(handle.read())
    try:
        while parser.check_event():
            parser.get_event()
            events += 1
    finally:
        parser.dispose()
print(time.process_time() - start, len(paths), events)
"""


def command() -> list[str]:
    script = Path(sys.executable).with_name("kubelint-py")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kubelint_py"]


def run_once(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU incl. children) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) or "Traceback" in error or "internal error" in error:
        raise SystemExit(f"{' '.join(args)} exited {code}:\n{error}")
    return wall, usage.ru_utime + usage.ru_stime


def floor(corpus: Path, runs: int) -> tuple[float, int]:
    best, files = float("inf"), 0
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", FLOOR, str(corpus)], capture_output=True, text=True, check=True)
        seconds, files_text, _ = done.stdout.split()
        best, files = min(best, float(seconds)), int(files_text)
    return best, files


def make(workdir: Path, generator: str, size: str) -> Path:
    out = workdir / f"{generator}-{size}"
    services, files = SIZES[size]
    if generator == "own":
        generate(out, services)
    elif not out.exists():
        seed = generator.removeprefix("shared-s")
        subprocess.run([sys.executable, str(HERE / "gen_scale_corpus.py"), "--files", str(files), "--out", str(out),
                        "--seed", seed], check=True)
    return out


def measure_rounds(modes: list[tuple[list[str], bool]], runs: int,
                   each_round: Callable[[], float]) -> list[list[tuple[float, float]]]:
    """Rounds of (wall, CPU) for each mode (arguments, empty cache?), the modes taking turns within each
    round, then each_round() (the parse floor: its CPU is the round's last item, as (0, CPU)). The
    machine's speed drifts over minutes: ratios between runs of one round move less than ratios between
    blocks of runs. An empty-cache run gets a new cache folder."""
    rounds: list[list[tuple[float, float]]] = []
    for _ in range(runs):
        measured: list[tuple[float, float]] = []
        for args, empty_cache in modes:
            if not empty_cache:
                measured.append(run_once(args))
                continue
            with tempfile.TemporaryDirectory(prefix="kubelint-bench-cache-") as cache:
                measured.append(run_once(args, {**os.environ, "KUBELINT_CACHE_DIR": cache}))
        measured.append((0.0, each_round()))
        rounds.append(measured)
    return rounds


COLUMNS = ("corpus", "files", "CPU s", "wall s", "-j1 CPU s", "-j1 wall s", "empty CPU s", "empty wall s",
           "floor s", "floor x", "-j1 floor x", "empty x CPU", "empty x wall")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", default="own,shared-s1,shared-s5")
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown at the end")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "kubelint-generators")
    args = parser.parse_args(argv)
    # As benchmarks/run.py: an installed copy runs from compiled bytecode (pip compiles it); an editable
    # checkout under PYTHONDONTWRITEBYTECODE=1 would recompile each changed module in every run.
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("kubelint_py")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; "
          f"{' '.join(command())}", flush=True)
    print("  ".join(COLUMNS), flush=True)
    rows: list[list[str]] = []
    results: dict[tuple[str, str], list[float]] = {}

    def emit(row: list[str]) -> None:
        rows.append(row)
        print("  ".join(row), flush=True)

    for generator in args.generators.split(","):
        for size in args.sizes.split(","):
            corpus = make(args.workdir, generator, size)
            base = [*command(), "check", str(corpus), "-q", "--no-config"]
            counted: list[int] = []

            def parse_floor() -> float:
                seconds, files = floor(corpus, 1)  # noqa: B023 (called within this iteration)
                counted.append(files)  # noqa: B023
                return seconds

            rounds = measure_rounds([([*base, "--no-cache"], False), ([*base, "--no-cache", "-j", "1"], False),
                                     (base, True)], args.runs, parse_floor)

            def median(pick: Callable[[list[tuple[float, float]]], float]) -> float:
                return statistics.median(pick(found) for found in rounds)  # noqa: B023

            # Columns: medians of each mode's CPU and wall, the floor's lowest CPU; the ratios are medians
            # of each round's own ratio (runs made side by side).
            values = [median(lambda r: r[0][1]), median(lambda r: r[0][0]), median(lambda r: r[1][1]),
                      median(lambda r: r[1][0]), median(lambda r: r[2][1]), median(lambda r: r[2][0]),
                      min(found[3][1] for found in rounds)]
            ratios = [median(lambda r: r[0][1] / r[3][1]), median(lambda r: r[1][1] / r[3][1]),
                      median(lambda r: r[2][1] / r[0][1]), median(lambda r: r[2][0] / r[0][0])]
            results[(generator, size)] = values
            emit([f"{generator} {size}", str(counted[0]), *(f"{v:.2f}" for v in values),
                  *(f"{v:.2f}" for v in ratios)])
        if all((generator, s) in results for s in ("1k", "10k")):
            small, large = results[(generator, "1k")], results[(generator, "10k")]
            emit([f"{generator} growth 10k/1k", "", *(f"{b / a:.2f}" for a, b in zip(small, large, strict=True)),
                  "", "", "", ""])
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end", flush=True)
    if args.markdown:
        print()
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
