"""Does any rule's cost grow with the product of two object counts? Grow one kind 10x at a time, read
the per-rule timer (`check --statistics`), and flag rules that grow more than --limit (12x) for 10x input.

    python benchmarks/scaling.py                       # base 300 objects per kind (a few minutes on 2 cores)
    python benchmarks/scaling.py --base 100 --runs 1   # a quick look
    python benchmarks/scaling.py --only services,hpa

The base corpus holds --base objects of each kind that a project-level rule joins: workloads
(Deployments with pod labels, a ServiceAccount, a ConfigMap and a Secret each), Services, PodDisruption-
Budgets with minAvailable and with maxUnavailable, HorizontalPodAutoscalers, NetworkPolicies, Ingresses and
RoleBindings. Each scenario multiplies one kind by 10 and keeps the others; `all` multiplies every kind
(the only scenario where a join of two different kinds shows up as 100x: growing one side of a product
is 10x, like a linear cost). Selectors start with a label every workload shares
(app.kubernetes.io/part-of), as Helm charts write them, so an index lookup keyed on the first label
alone is caught.

Per-rule time is the CPU estimate of --statistics (min over --runs runs, each a fresh process with
--no-cache -j 1: in one process, a rule's time is its own, not an estimate shared with forked workers);
growth = time(scenario) / time(base). Rules that take under --floor seconds in the scenario, or under
--floor / --factor in the base, are not judged (timer noise: the base of a 12x growth from 1 ms
is a few clock ticks). This is a benchmark, not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

KINDS = ("workloads", "configmaps-secrets", "services", "pdb-min", "pdb-max", "hpa", "netpol", "ingress",
         "rolebinding")
PER_FILE = 20
"""Objects per file."""


def _workload(i: int, uses: int) -> str:
    name = f"app-{i:05d}"
    ns = f"team-{i % 7}"
    cm, secret = f"cfg-{uses:05d}", f"sec-{uses:05d}"
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app.kubernetes.io/part-of: shop, app.kubernetes.io/name: {name}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/part-of: shop, app.kubernetes.io/name: {name}, tier: backend}}
    spec:
      serviceAccountName: sa-{i:05d}
      containers:
        - name: app
          image: registry.example.com/shop/{name}:1.0.{i % 10}
          ports: [{{name: http, containerPort: 8080}}]
          envFrom: [{{configMapRef: {{name: {cm}}}}}]
          env:
            - name: DB_PASSWORD
              valueFrom: {{secretKeyRef: {{name: {secret}, key: password}}}}
          volumeMounts: [{{name: conf, mountPath: /etc/app, readOnly: true}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
      volumes: [{{name: conf, configMap: {{name: {cm}}}}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: sa-{i:05d}, namespace: {ns}}}
"""


def _config(i: int) -> str:
    ns = f"team-{i % 7}"
    return f"""apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg-{i:05d}, namespace: {ns}}}
data: {{log_level: info}}
---
apiVersion: v1
kind: Secret
metadata: {{name: sec-{i:05d}, namespace: {ns}}}
type: Opaque
data: {{password: cGxhY2Vob2xkZXI=}}
"""


def _selector(target: int) -> str:
    return f"{{app.kubernetes.io/part-of: shop, app.kubernetes.io/name: app-{target:05d}}}"


def _joined(kind: str, i: int, target: int) -> str:
    """Object i of `kind`, pointing at workload `target` (so every reference resolves)."""
    ns = f"team-{target % 7}"
    meta = f"metadata: {{name: {kind}-{i:05d}, namespace: {ns}}}"
    if kind == "services":
        return f"""apiVersion: v1
kind: Service
{meta}
spec:
  selector: {_selector(target)}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""
    if kind in ("pdb-min", "pdb-max"):
        budget = "minAvailable: 1" if kind == "pdb-min" else "maxUnavailable: 1"
        return f"""apiVersion: policy/v1
kind: PodDisruptionBudget
{meta}
spec:
  {budget}
  selector:
    matchLabels: {_selector(target)}
"""
    if kind == "hpa":
        return f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
{meta}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app-{target:05d}}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
"""
    if kind == "netpol":
        return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
{meta}
spec:
  podSelector:
    matchLabels: {_selector(target)}
  policyTypes: [Ingress]
  ingress:
    - from: [{{podSelector: {{matchLabels: {{tier: frontend}}}}}}]
"""
    if kind == "ingress":
        return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
{meta}
spec:
  rules:
    - host: h{i}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {{name: services-{target:05d}, port: {{number: 80}}}}
"""
    if kind == "rolebinding":
        return f"""apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
{meta}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}
subjects:
  - {{kind: ServiceAccount, name: sa-{target:05d}, namespace: {ns}}}
"""
    raise ValueError(kind)


def generate(out: Path, counts: dict[str, int]) -> int:
    """Write a corpus with counts[kind] objects of each kind under `out`; the number of documents."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    docs: list[str] = []
    workloads = counts["workloads"]
    configs = counts["configmaps-secrets"]
    # Workloads use ConfigMaps and Secrets round-robin; when those grow, more workloads come with them
    # (their users), so the scenario grows both sides of the reference.
    users = max(workloads, configs)
    docs.extend(_workload(i, i % configs) for i in range(users))
    docs.extend(_config(i) for i in range(configs))
    docs.extend("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
                f"metadata: {{name: reader, namespace: team-{n}}}\n"
                "rules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]\n" for n in range(7))
    for kind in KINDS[2:]:
        # Services first: Ingresses point at services-<target>, which exist for target < counts[services].
        limit = min(users, counts["services"]) if kind == "ingress" else users
        docs.extend(_joined(kind, i, i % limit) for i in range(counts[kind]))
    for start in range(0, len(docs), PER_FILE):
        (out / f"m{start // PER_FILE:05d}.yaml").write_text("---\n".join(docs[start:start + PER_FILE]))
    return len(docs)


ROW = re.compile(r"^\s*(\d+\.\d+)\s+\d+\.\d+%\s+(\d+)\s+(\d+)\s+([A-Z]+\d+)\b")


def rule_times(corpus: Path, runs: int) -> dict[str, float]:
    """Per-rule CPU seconds from --statistics, min over runs."""
    best: dict[str, float] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-m", "kubelint_py", "check", str(corpus), "--no-cache", "--no-config",
                               "-q", "--statistics", "-j", "1"], capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"kubelint-py failed on {corpus}:\n{done.stderr}")
        for line in done.stderr.splitlines():
            match = ROW.match(line)
            if match:
                code, seconds = match.group(4), float(match.group(1))
                best[code] = min(seconds, best.get(code, seconds))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=300, help="objects of each kind in the base corpus")
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2, help="runs per corpus (the minimum is kept)")
    parser.add_argument("--limit", type=float, default=12.0, help="flag rules growing more than this")
    parser.add_argument("--floor", type=float, default=0.05, help="seconds below which a rule is not judged")
    parser.add_argument("--only", default="", help="comma-separated scenarios (default: every kind, then all)")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "kubelint-scaling")
    args = parser.parse_args(argv)
    scenarios = [s for s in args.only.split(",") if s] or [*KINDS, "all"]
    base_counts = dict.fromkeys(KINDS, args.base)
    base_dir = args.workdir / "base"
    generate(base_dir, base_counts)
    base = rule_times(base_dir, args.runs)
    flagged: list[str] = []
    print(f"base: {args.base} of each kind; growth per rule for {args.factor}x (flag > {args.limit}x, "
          f"rules under {args.floor}s, or {args.floor / args.factor}s in the base, not judged)")
    for scenario in scenarios:
        counts = {k: args.base * args.factor if scenario in (k, "all") else args.base for k in KINDS}
        where = args.workdir / scenario
        docs = generate(where, counts)
        grown = rule_times(where, args.runs)
        rows = []
        for code, seconds in grown.items():
            before = base.get(code, 0.0)
            ratio = seconds / before if before > 0 else float("inf")
            rows.append((ratio, code, before, seconds))
        rows.sort(reverse=True)
        judged = [r for r in rows if r[3] >= args.floor and r[2] >= args.floor / args.factor]
        bad = [r for r in judged if r[0] > args.limit]
        top = ", ".join(f"{code} {ratio:.1f}x ({before:.3f}->{after:.3f}s)"
                        for ratio, code, before, after in judged[:4])
        print(f"{scenario:>20} ({docs} docs): {'FLAG ' if bad else 'ok   '}top: {top}")
        flagged.extend(f"{scenario}: {code} {ratio:.1f}x" for ratio, code, _, _ in bad)
        shutil.rmtree(where, ignore_errors=True)
    print("flagged: " + ("; ".join(flagged) if flagged else "none"))
    return 1 if flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
