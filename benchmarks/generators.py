"""Cold-run cost on two generators' corpora, against the YAML parse floor (issue 24).

    python benchmarks/generators.py                          # both generators, 1k and 10k (about 10 minutes)
    python benchmarks/generators.py --sizes 1k --runs 3      # a quick look

Corpora: `own` is benchmarks/corpus.py (the 1k/10k sizes of benchmarks/run.py); `shared-s1` and
`shared-s5` are benchmarks/gen_scale_corpus.py (a copy of the workspace's shared generator) with seeds 1
and 5, `--files 1000 / 10000`.

For each corpus: a cold run (`kubelint-py check DIR --no-cache -q --no-config`, the console script or
`python -m kubelint_py`), median over --runs runs of
- CPU: user+sys of the whole process tree (os.wait4: the run and the parse/rule workers it waited for).
  The headline: the machine is shared by several sessions, and wall time follows their load;
- wall: from start to exit;
then the parse floor: CPU of parsing the same YAML files (*.yaml, *.yml) with ruamel's C event parser
alone (`CParser`, `check_event/get_event` over each file), in a separate process, timed around the
parse loop only (reading the files included; interpreter start-up excluded), min over --runs runs.
floor ratio = run CPU / floor CPU; growth = 10k / 1k, per column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
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


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall, CPU incl. children) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", default="own,shared-s1,shared-s5")
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "kubelint-generators")
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; "
          f"{' '.join(command())}", flush=True)
    print(f"{'corpus':18} {'files':>6} {'CPU s':>7} {'wall s':>7} {'floor s':>8} {'floor x':>8}", flush=True)
    results: dict[tuple[str, str], tuple[float, float, float]] = {}
    for generator in args.generators.split(","):
        for size in args.sizes.split(","):
            corpus = make(args.workdir, generator, size)
            measured = [run_once([*command(), "check", str(corpus), "--no-cache", "-q", "--no-config"])
                        for _ in range(args.runs)]
            wall = statistics.median(m[0] for m in measured)
            cpu = statistics.median(m[1] for m in measured)
            parse, files = floor(corpus, args.runs)
            results[(generator, size)] = (cpu, wall, parse)
            print(f"{generator + ' ' + size:18} {files:6d} {cpu:7.2f} {wall:7.2f} {parse:8.2f} {cpu / parse:8.2f}",
                  flush=True)
        if all((generator, s) in results for s in ("1k", "10k")):
            small, large = results[(generator, "1k")], results[(generator, "10k")]
            print(f"{generator + ' growth':18} {'':6} {large[0] / small[0]:7.2f} {large[1] / small[1]:7.2f} "
                  f"{large[2] / small[2]:8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
