"""The parse-floor ratio in instructions (callgrind), which do not drift with the machine's load.

    python benchmarks/instructions.py                              # shared-s1 1k in /tmp/kubelint-generators
    python benchmarks/instructions.py --corpus DIR
    python benchmarks/instructions.py --against /path/to/other/checkout   # A/B: the same for another tree

CPU time on a shared VM moves by a third within the hour (benchmarks/README.md, "The parse floor, third
session"); instruction counts move by well under 1% between identical runs. This runs, each under
`valgrind --tool=callgrind` in a fresh interpreter:
- the parse floor (generators.FLOOR: ruamel's C event parser over every *.yaml/*.yml file), and the same
  script with the loop skipped, whose difference is the floor's parse loop alone;
- one whole run in one process: `lint([corpus], Config(use_cache=False), workers=1)`, interpreter start-up
  and imports included (so the ratio errs on the high side).
With --against, the whole run is measured again with that tree's `kubelint_py` first on PYTHONPATH.
Needs valgrind; a few minutes for 1,000 files (callgrind runs code about 50x slower). A benchmark, not a
test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generators import FLOOR, make  # noqa: E402

SKIP_LOOP = "\nif SKIP: paths = []\n"
"""Inserted before the floor's loop: the same script, start-up and file walk included, minus the parse."""

WHOLE = r"""
import os, sys
from kubelint_py.api import lint
from kubelint_py.engine.config import Config
lint([sys.argv[1]], Config(use_cache=False), workers=1)
os._exit(0)  # as the console script: the teardown of the models is not part of a run
"""

_REFS = re.compile(r"refs:\s+([\d,]+)")


def instructions(script: str, corpus: Path, env: dict[str, str] | None = None) -> int:
    """Instructions of `python -c script corpus` under callgrind."""
    # A neutral working folder: `python -c` puts it first on sys.path, before PYTHONPATH (--against).
    # A fixed hash seed: set and dict layouts, and so the counts, repeat from run to run.
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
                           script, str(corpus.resolve())], capture_output=True, text=True, check=False,
                          cwd=tempfile.gettempdir(), env={**(env or os.environ), "PYTHONHASHSEED": "0"})
    found = _REFS.search(done.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def floor_script(skip: bool) -> str:
    marker = "start = time.process_time()"
    assert marker in FLOOR
    return FLOOR.replace(marker, f"SKIP = {skip}{SKIP_LOOP}{marker}", 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="a folder to measure (default: shared-s1 1k, generated)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kubelint-generators")
    parser.add_argument("--against", type=Path, help="another checkout: its whole run is measured too")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to measure", file=sys.stderr)
        return 2
    corpus = args.corpus or make(args.workdir, "shared-s1", "1k")
    # Compiled bytecode, as an installed copy has it: a module compiled from source in the run is counted.
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("kubelint_py")
    packages = [Path(spec.origin).parent] if spec is not None and spec.origin is not None else []
    packages += [args.against / "kubelint_py"] if args.against is not None else []
    for package in packages:
        compileall.compile_dir(str(package), quiet=1)
    with_loop, without_loop = instructions(floor_script(False), corpus), instructions(floor_script(True), corpus)
    floor = with_loop - without_loop
    print(f"corpus {corpus}")
    print(f"floor: {with_loop:,} with the parse loop, {without_loop:,} without: {floor:,} for the loop")
    trees: list[tuple[str, dict[str, str] | None]] = [("this tree", None)]
    if args.against is not None:
        trees.append((str(args.against), {**os.environ, "PYTHONPATH": str(args.against)}))
    for name, env in trees:
        whole = instructions(WHOLE, corpus, env)
        print(f"whole run ({name}): {whole:,} instructions, {whole / floor:.2f}x the floor's parse loop")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
