"""Kustomize overlays at scale: a 5,000-file repository with 200 overlays, linted with and without the
in-process kustomize builds (issue 16's target: within 1.5x of linting it file by file).

    python benchmarks/kustomize_bench.py --workdir /tmp/kb-kustomize --runs 3
    python benchmarks/kustomize_bench.py --write-only OUT     # just write the repository

The repository is corpus.py's 5k corpus (one service per manifest, Dockerfiles and compose files), where
100 app folders become kustomize bases (a kustomization.yaml naming k8s.yaml) and each base gets two
overlays under overlays/ (namespace, namePrefix, labels, images, replicas, a configMapGenerator, a
strategic merge patch and a JSON 6902 patch): 200 roots. Times are the median wall and CPU (user + system
of the process tree) of `kubelint-py check --no-cache`, as in run.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate
from run import command, run_once

SERVICES = 4167
BASES = 100

_OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../{base}
namespace: {env}
namePrefix: {env}-
labels:
  - pairs:
      environment: {env}
images:
  - name: registry.example.com/{name}
    newTag: "2.{n}.0"
replicas:
  - name: {name}
    count: {count}
configMapGenerator:
  - name: {name}-overlay
    literals:
      - ENVIRONMENT={env}
      - FEATURE_FLAGS=a,b,c
patches:
  - path: history.yaml
  - target:
      name: {name}
    patch: |-
      - op: add
        path: /metadata/annotations
        value:
          overlay: {env}
"""

_PATCH = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {team}
spec:
  revisionHistoryLimit: 3
"""


def write(out: Path) -> tuple[int, int]:
    """Write the repository; (files, overlays)."""
    generate(out, SERVICES)
    overlays = 0
    for n in range(BASES):
        i = n * (SERVICES // BASES)
        name = f"app-{i:05d}"
        base = f"team-{i % 29:02d}/{name}"
        (out / base / "kustomization.yaml").write_text("resources:\n  - k8s.yaml\n")
        kind = "StatefulSet" if i % 9 == 0 else "Deployment"
        for env in ("staging", "production"):
            folder = out / "overlays" / f"{name}-{env}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "kustomization.yaml").write_text(_OVERLAY.format(
                base=base, env=env, name=name, n=n, count=2 if env == "staging" else 3))
            (folder / "history.yaml").write_text(_PATCH.format(kind=kind, name=name, team=f"team-{i % 29:02d}"))
            overlays += 1
    files = sum(1 for p in out.rglob("*") if p.is_file() and ".kubelint_cache" not in p.parts)
    return files, overlays


def timed(label: str, args: list[str], cwd: Path, env: dict[str, str], runs: int) -> None:
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        wall, _, cpu = run_once(args, cwd, env)
        walls.append(wall)
        cpus.append(cpu)
    print(f"{label:40} wall {statistics.median(walls):7.3f} s ({min(walls):.3f}-{max(walls):.3f})  "
          f"CPU {statistics.median(cpus):7.3f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "kb-kustomize")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-only", type=Path, help="write the repository there and stop")
    args = parser.parse_args()
    if args.write_only:
        files, overlays = write(args.write_only)
        print(f"{files} files, {overlays} overlays in {args.write_only}")
        return
    out = args.workdir / "repo"
    files, overlays = write(out)
    print(f"{files} files, {overlays} overlays; load average {os.getloadavg()[0]:.2f}", flush=True)
    env = {**os.environ, "KUBELINT_CACHE_DIR": str(args.workdir / "cache")}
    print(f"command: {' '.join(command())} check --no-cache [--no-kustomize] repo", flush=True)
    timed("file by file (--no-kustomize)", ["check", "--no-cache", "--no-kustomize", "repo"], args.workdir, env,
          args.runs)
    timed("overlays built (default)", ["check", "--no-cache", "repo"], args.workdir, env, args.runs)


if __name__ == "__main__":
    main()
