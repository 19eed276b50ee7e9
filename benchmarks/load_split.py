"""Where the load phase's time goes, in one process: the issue's parse floor, the C parser alone with the
tuple events kubelint-py uses, load_yaml (the C parser plus the Python value builder) and every file
loaded as a run loads it (models, Dockerfiles, compose), kept or dropped.

    python benchmarks/load_split.py CORPUS [--runs N]

CPU seconds (process time), the best of N runs each; the cyclic GC is off, as in a run's load phase.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import CParser

from kubelint_py.discovery.walk import discover
from kubelint_py.loading.source_file import load_source
from kubelint_py.parsing import yaml as kubelint_yaml

MAX_FILE_SIZE = 10_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    gc.disable()
    candidates = list(discover([args.corpus], cwd=Path.cwd()))
    yaml_texts = [Path(c.fs_path or c.path).read_text(encoding="utf-8")
                  for c in candidates if c.kind != "dockerfile"]
    kubelint_yaml.tuple_events_work()

    def floor() -> None:  # as benchmarks/generators.py FLOOR: ruamel's own event objects
        for text in yaml_texts:
            events = CParser(text)
            while events.check_event():
                events.get_event()
            events.dispose()

    def tuple_events() -> None:
        with kubelint_yaml._tuple_events():
            for text in yaml_texts:
                for _ in kubelint_yaml._events(text, pure=False):
                    pass

    def load_yaml() -> None:
        for text in yaml_texts:
            kubelint_yaml.load_yaml(text)

    def load_files() -> None:
        for candidate in candidates:
            load_source(candidate, MAX_FILE_SIZE)

    kept: list[object] = []

    def load_files_kept() -> None:
        kept.clear()
        kept.extend(load_source(candidate, MAX_FILE_SIZE) for candidate in candidates)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("floor (ruamel CParser, its event objects)", floor), ("C parser, tuple events", tuple_events),
        ("load_yaml", load_yaml), ("every file loaded", load_files), ("every file loaded, kept", load_files_kept)]
    print(f"{len(candidates)} files, {len(yaml_texts)} YAML")
    for name, step in steps:
        best = float("inf")
        for _ in range(args.runs):
            started = time.process_time()
            step()
            best = min(best, time.process_time() - started)
        print(f"{best:8.3f} s  {name}")


if __name__ == "__main__":
    main()
