"""Findings with and without the kustomize builds, per code, on real trees (issue 16's before/after).

    python benchmarks/kustomize_findings.py /work/shared/corpora/microservices-demo ...

Prints, per tree, the active findings by code file by file (--no-kustomize) and as built, the changes,
and the build problems (KL008/KL009). Cache off; every rule on by default.
"""

from __future__ import annotations

import sys
from collections import Counter

from kubelint_py.api import lint
from kubelint_py.engine.config import Config


def counts(path: str, kustomize: bool) -> Counter[str]:
    report = lint([path], Config(fail_on=None, use_cache=False, kustomize=kustomize))
    return Counter(f.code for f in report.active)


def main() -> None:
    for path in sys.argv[1:]:
        before, after = counts(path, False), counts(path, True)
        print(f"== {path}: {sum(before.values())} findings file by file, {sum(after.values())} as built")
        for code in sorted(set(before) | set(after)):
            if before[code] != after[code]:
                print(f"   {code}: {before[code]} -> {after[code]}")


if __name__ == "__main__":
    main()
