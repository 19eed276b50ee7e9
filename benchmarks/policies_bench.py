"""Cost of declarative policies: loading the built-in catalogue, and evaluating policies on a corpus.

    python benchmarks/policies_bench.py [CORPUS ...]

Prints: (1) reading rules/*.yaml into Rules in-process (what the first run of a format pays;
jsonschema is not imported for it), median; (2) the same with validation against
kubelint_py/schemas/policy.json (what user policies pay), median; (3) the rule stage (check_sources, files
already loaded) on each corpus with the default rules, with `--ignore KS7` and with every policy on,
best of 7; (4) `kubelint-py check` end to end, the same three ways, interleaved, best of 5 (best-of
because shared CI machines add noise that only ever slows a run down).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def _median_ms(func: object, repeat: int = 15) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _cli_ms(variants: list[list[str]], repeat: int = 5) -> list[float]:
    best = [float("inf")] * len(variants)
    for _ in range(repeat):
        for position, args in enumerate(variants):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "kubelint_py", "check", "--fail-on", "none", "-q", *args],
                           check=True, stdout=subprocess.DEVNULL)
            best[position] = min(best[position], (time.perf_counter() - started) * 1000)
    return best


def _rules_ms(corpus: str, configs: list[object], repeat: int = 7) -> list[float]:
    from kubelint_py.api import check_sources
    from kubelint_py.discovery.walk import discover
    from kubelint_py.loading.source_file import load_source

    files = [load_source(c, 10 * 1024 * 1024) for c in discover([corpus], ())]
    best = [float("inf")] * len(configs)
    for _ in range(repeat):
        for position, config in enumerate(configs):
            started = time.perf_counter()
            check_sources(files, config)  # type: ignore[arg-type]
            best[position] = min(best[position], (time.perf_counter() - started) * 1000)
    return best


def main(corpora: list[str]) -> None:
    from kubelint_py.engine import policies

    policies.builtin_policies(validate=True)  # warm imports (jsonschema) so only the work is timed
    count = len(policies.builtin_policies())
    plain = _median_ms(lambda: [policies.to_rule(p) for p in policies.builtin_policies()])
    checked = _median_ms(lambda: [policies.to_rule(p) for p in policies.builtin_policies(validate=True)])
    print(f"built-in catalogue ({count} policies): load {plain:.1f} ms, load + validate {checked:.1f} ms")
    from kubelint_py.engine.config import Config

    for corpus in corpora:
        if not Path(corpus).exists():
            continue
        default, without, every = _rules_ms(corpus, [
            Config(), Config(ignore=("KS7",)), Config(extend_select=("KS7", "DC7", "DF7"))])
        print(f"{corpus}: rule stage: default {default:.0f} ms, --ignore KS7 {without:.0f} ms, "
              f"all policies on {every:.0f} ms")
        default, without, every = _cli_ms([[corpus], [corpus, "--ignore", "KS7"],
                                           [corpus, "--extend-select", "KS7", "--extend-select", "DC7",
                                            "--extend-select", "DF7"]])
        print(f"{corpus}: whole CLI: default {default:.0f} ms, --ignore KS7 {without:.0f} ms, "
              f"all policies on {every:.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
