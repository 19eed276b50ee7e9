"""What `check --fix` costs, on the generated corpus (benchmarks/corpus.py, 834 services: 1,002 files).

    python benchmarks/fix_bench.py [--services 834] [--workdir /tmp/kb-fix]

For the safe fixes, then with --unsafe-fixes, on a fresh copy: a plain lint, the fix run (one lint, then
one more per round that changed something) and a second fix run (a no-op: one lint). Serial (workers=1),
no cache; wall and CPU time of this process.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from corpus import generate

from kubelint_py.api import fix_paths, lint
from kubelint_py.engine.config import Config

T = TypeVar("T")


def timed(label: str, action: Callable[[], T]) -> T:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    print(f"{label}: wall {time.perf_counter() - wall:.2f} s, CPU {time.process_time() - cpu:.2f} s")
    return result


def bench(source: Path, copy: Path, unsafe: bool) -> None:
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(source, copy)
    paths = [str(copy)]

    def config() -> Config:
        return Config(fail_on=None, use_cache=False)

    timed("lint", lambda: lint(paths, config(), workers=1))
    name = "--fix --unsafe-fixes" if unsafe else "--fix"
    run = timed(name, lambda: fix_paths(paths, config(), unsafe=unsafe, workers=1))
    fixed = Counter(f.code for f in run.fixed)
    print(f"  {sum(fixed.values())} fixed {dict(sorted(fixed.items()))} in {len(run.changed)} files, "
          f"{run.passes} rounds")
    again = timed(f"{name} again", lambda: fix_paths(paths, config(), unsafe=unsafe, workers=1))
    assert not again.fixed, "a second --fix changed something"


def main() -> None:
    parser = argparse.ArgumentParser(description="Time check --fix on a generated corpus.")
    parser.add_argument("--services", type=int, default=834)
    parser.add_argument("--workdir", default="/tmp/kb-fix")
    args = parser.parse_args()
    work = Path(args.workdir)
    source = work / "corpus"
    generate(source, args.services)
    for unsafe in (False, True):
        bench(source, work / "copy", unsafe)


if __name__ == "__main__":
    main()
