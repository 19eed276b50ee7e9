"""Compare the start-up of two kubelint-py installs (e.g. two dependency versions), runs interleaved.

    python benchmarks/startup_ab.py /venv-a/bin/kubelint-py /venv-b/bin/kubelint-py -- check one.yaml
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    if "--" not in sys.argv:
        raise SystemExit(__doc__)
    split = sys.argv.index("--")
    commands, args = sys.argv[1:split], sys.argv[split + 1:]
    runs = int(os.environ.get("RUNS", "20"))
    results: dict[str, tuple[list[float], list[float]]] = {c: ([], []) for c in commands}
    for _ in range(runs):
        for command in commands:
            started = time.perf_counter()
            process = subprocess.Popen([command, *args], stdout=subprocess.DEVNULL)
            _, _, usage = os.wait4(process.pid, 0)
            results[command][0].append(time.perf_counter() - started)
            results[command][1].append(usage.ru_utime + usage.ru_stime)
    for command, (wall, cpu) in results.items():
        print(f"{command}: wall median {statistics.median(wall) * 1000:.1f} ms, min {min(wall) * 1000:.1f} ms; "
              f"CPU median {statistics.median(cpu) * 1000:.1f} ms ({runs} runs)")


if __name__ == "__main__":
    main()
