# Copied unchanged (but for this note) from /work/shared/tools/gen_scale_corpus.py, the generator shared
# by the projects of this workspace (issue 24: "another generator's corpus"), on 2026-12-03, so that
# benchmarks/generators.py needs nothing outside the repository. Not written for kubelint-py; no licence
# was stated with it.
# ruff: noqa  (kept as it was written)
#!/usr/bin/env python3
"""Generate a large, deterministic, realistic repository of manifests for scale benchmarks.

Each "app" gets one Kubernetes file (Deployment or StatefulSet, Service, ConfigMap, Secret,
ServiceAccount, and sometimes Ingress, HPA, PDB, NetworkPolicy, CronJob), and every tenth app also a
Dockerfile and a compose file. About one app in five carries a deliberate problem: a selector typo,
a dangling reference, a missing probe or limit, a literal secret, a cache-unfriendly Dockerfile.

    gen_scale_corpus.py --files 10000 --out corpus --seed 1

--files counts Kubernetes files; objects per file average about 5.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

LANGS = {
    "python": ("python:3.12-slim", "requirements.txt", "pip install --no-cache-dir -r requirements.txt", '["python", "-m", "app"]'),
    "node": ("node:22-alpine", "package.json package-lock.json", "npm ci --omit=dev", '["node", "server.js"]'),
    "go": ("golang:1.23", "go.mod go.sum", "go mod download", '["/app"]'),
}


def k8s_app(i: int, rnd: random.Random) -> str:
    name = f"svc-{i:05d}"
    ns = f"team-{i % 37:02d}"
    broken = rnd.random() < 0.2
    flaw = rnd.choice(["selector", "secret-ref", "probe", "limits", "env-secret", "sa"]) if broken else ""
    kind = "StatefulSet" if i % 11 == 0 else "Deployment"
    sel = name + ("x" if flaw == "selector" else "")
    secret_ref = f"{name}-secret" + ("-missing" if flaw == "secret-ref" else "")
    sa = f"{name}-sa" + ("-missing" if flaw == "sa" else "")
    probes = "" if flaw == "probe" else f"""
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
          livenessProbe:
            httpGet: {{path: /healthz, port: http}}"""
    limits = "" if flaw == "limits" else """
            limits:
              memory: 256Mi"""
    env_secret = f"""
            - name: API_PASSWORD
              value: "p4ss-{rnd.randrange(10**8):08d}" """ if flaw == "env-secret" else ""
    extra_sts = f"\n  serviceName: {name}" if kind == "StatefulSet" else ""
    docs = [
        f"""apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, tier: backend}}
spec:{extra_sts}
  replicas: {rnd.choice([2, 3, 4])}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
        tier: backend
    spec:
      serviceAccountName: {sa}
      securityContext:
        runAsNonRoot: true
        runAsUser: {10000 + i % 1000}
      containers:
        - name: app
          image: registry.example.com/{ns}/{name}:1.{i % 50}.{rnd.randrange(10)}
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: LOG_LEVEL
              valueFrom:
                configMapKeyRef: {{name: {name}-config, key: log_level}}
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {{name: {secret_ref}, key: db_password}}{env_secret}
          resources:
            requests:
              cpu: {rnd.choice(['50m', '100m', '250m'])}
              memory: 128Mi{limits}{probes}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
""",
        f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    app: {sel}
  ports:
    - port: 80
      targetPort: http
""",
        f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {ns}
data:
  log_level: info
  feature_flags: "a,b,c"
""",
        f"""apiVersion: v1
kind: Secret
metadata:
  name: {name}-secret
  namespace: {ns}
type: Opaque
data:
  db_password: cGxhY2Vob2xkZXI=
""",
        f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}-sa
  namespace: {ns}
automountServiceAccountToken: false
""",
    ]
    if i % 3 == 0:
        docs.append(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
spec:
  rules:
    - host: {name}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {name}
                port: {{number: 80}}
""")
    if i % 4 == 0:
        docs.append(f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {ns}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
""")
    if i % 5 == 0:
        docs.append(f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: {ns}
spec:
  minAvailable: 1
  selector:
    matchLabels: {{app: {name}}}
""")
    if i % 7 == 0:
        docs.append(f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: {ns}
spec:
  podSelector:
    matchLabels: {{app: {name}}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {{matchLabels: {{tier: frontend}}}}
""")
    if i % 13 == 0:
        docs.append(f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}-cleanup
  namespace: {ns}
spec:
  schedule: "{i % 60} 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: registry.example.com/tools/cleanup:2.1.0
              args: ["--older-than", "7d"]
""")
    return "---\n".join(docs)


def dockerfile(i: int, rnd: random.Random) -> str:
    lang = rnd.choice(sorted(LANGS))
    base, manifests, install, cmd = LANGS[lang]
    if rnd.random() < 0.3:  # cache-unfriendly: whole context before the install
        body = f"COPY . .\nRUN {install}\n"
    else:
        body = f"COPY {manifests} ./\nRUN {install}\nCOPY . .\n"
    secret = "ARG NPM_TOKEN\n" if rnd.random() < 0.1 else ""
    return f"FROM {base}\n{secret}WORKDIR /app\n{body}USER 10001\nEXPOSE 8080\nCMD {cmd}\n"


def compose(i: int, rnd: random.Random) -> str:
    dep = "db" if rnd.random() > 0.15 else "database"
    return f"""services:
  app:
    build: .
    image: registry.example.com/app-{i:05d}:1.0.0
    ports:
      - "{8000 + i % 1000}:8080"
    depends_on:
      - {dep}
    environment:
      DATABASE_URL: postgres://app@db:5432/app
  db:
    image: postgres:16.4
    volumes:
      - db-data:/var/lib/postgresql/data
volumes:
  db-data:
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000, help="number of Kubernetes files")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    for i in range(a.files):
        d = a.out / f"team-{i % 37:02d}" / f"svc-{i:05d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "k8s.yaml").write_text(k8s_app(i, rnd))
        if i % 10 == 0:
            (d / "Dockerfile").write_text(dockerfile(i, rnd))
            (d / "compose.yaml").write_text(compose(i, rnd))


if __name__ == "__main__":
    main()
