"""Time SARIF output for a synthetic report: building the log (plain dicts), json.dumps, and both.

    python benchmarks/sarif_serialise.py [FINDINGS] [REPEATS]

No linting happens: the report is generated (FINDINGS findings over FINDINGS/50 files, one in ten with
a related location, every rule a different code), so only the output stage is measured.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubelint_py.api import Report
from kubelint_py.core.source import Location
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding, Related, Rule, Severity, Target
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.report import sarif


def synthetic_report(count: int) -> Report:
    rules = [Rule(code=f"ZZ{100 + i}", name=f"synthetic-rule-{i}", format="kubernetes", target=Target.K8S_OBJECT,
                  severity=Severity(1 + i % 3), summary=f"Synthetic rule {i}", rationale="Why it matters.",
                  fix="How to fix it.", tags=("security",) if i % 4 == 0 else ("reliability",))
             for i in range(40)]
    per_file = 50
    files = []
    findings = []
    for f in range(max(1, count // per_file)):
        path = f"deploy/app-{f}/manifest.yaml"
        lines = [f"  key{n}: value {n} of file {f}" for n in range(per_file * 2)]
        files.append(SourceFile(path, "kubernetes", text="\n".join(lines) + "\n"))
        for n in range(per_file):
            if len(findings) == count:
                break
            rule = rules[(f + n) % len(rules)]
            related = (Related(Location(path, n + 2, 3, n + 2, 9), "related object"),) if n % 10 == 0 else ()
            findings.append(Finding(rule.code, rule.name, rule.severity, f"problem {n} in object {f}: fix it",
                                    Location(path, n + 1, 3, n + 1, 12), related))
    return Report(findings, files, 0.0, Config(), rules)


def best_of(repeats: int, func: Callable[[], Any]) -> tuple[float, Any]:
    times = []
    value = None
    for _ in range(repeats):
        started = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - started)
    return min(times), value


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    report = synthetic_report(count)
    build_time, log = best_of(repeats, lambda: sarif.build_log(report, cwd=Path.cwd()))
    dumps_time, text = best_of(repeats, lambda: json.dumps(log, ensure_ascii=False))
    render_time, _ = best_of(repeats, lambda: sarif.render(report, cwd=Path.cwd()))
    print(f"{len(report.findings)} findings, {len(report.files)} files (best of {repeats})")
    print(f"  build the log (dicts)            {build_time:7.3f} s")
    print(f"  json.dumps                       {dumps_time:7.3f} s  ({len(text) / 1e6:.1f} MB)")
    print(f"  whole render (build + serialise) {render_time:7.3f} s")


if __name__ == "__main__":
    main()
