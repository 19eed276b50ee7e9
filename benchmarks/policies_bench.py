"""Cost of declarative policies: loading the built-in catalogue, and evaluating policies on a corpus.

    python benchmarks/policies_bench.py [CORPUS ...]

Prints the median of several runs: (1) reading rules/*.yaml into Rules in-process (what the first run
of a format pays; jsonschema is not imported for it), (2) the same with validation against
schemas/policy.json (what user policies pay), (3) `kubelint-py check` on each corpus with the default
rules, with `--ignore KS7` and with every KS7 policy selected (`--extend-select KS7`).
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


def _cli_ms(args: list[str], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kubelint_py", "check", "--fail-on", "none", "-q", *args],
                       check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(corpora: list[str]) -> None:
    from kubelint_py import policies

    policies.builtin_policies(validate=True)  # warm imports (jsonschema) so only the work is timed
    count = len(policies.builtin_policies())
    plain = _median_ms(lambda: [policies.to_rule(p) for p in policies.builtin_policies()])
    checked = _median_ms(lambda: [policies.to_rule(p) for p in policies.builtin_policies(validate=True)])
    print(f"built-in catalogue ({count} policies): load {plain:.1f} ms, load + validate {checked:.1f} ms")
    for corpus in corpora:
        if not Path(corpus).exists():
            continue
        default = _cli_ms([corpus])
        without = _cli_ms([corpus, "--ignore", "KS7"])
        every = _cli_ms([corpus, "--extend-select", "KS7"])
        print(f"{corpus}: default {default:.0f} ms, --ignore KS7 {without:.0f} ms, "
              f"--extend-select KS7 {every:.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
