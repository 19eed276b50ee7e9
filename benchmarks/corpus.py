"""Deterministic synthetic repositories for the benchmarks (written for kubelint-py; no third-party code).

A corpus is a tree of "services". Each service has one Kubernetes manifest holding a workload and the
objects around it (Service, ConfigMap, Secret, ServiceAccount, sometimes an Ingress, an HPA, a PDB, a
NetworkPolicy or a CronJob), about five objects on average. One service in ten also has a Dockerfile and a
compose file. Roughly one service in six carries a deliberate mistake (a selector that matches nothing, a
reference to a missing Secret or ServiceAccount, no probe, no memory limit, a literal password), so the
rules have real work to do.

Manifests can bundle several services per file (`k8s_files` below the number of services) to reach
object counts such as "100 files, 2,000 objects". The same arguments always give byte-identical files:
the random generator is seeded and nothing depends on time or the environment.
Files are only rewritten when their content
changes, so a generated corpus can be reused between benchmark runs (and the cache stays warm).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

BASES = (
    ("python:3.12-slim", "requirements.txt", "pip install --no-cache-dir -r requirements.txt", "python -m app"),
    ("node:22-alpine", "package.json package-lock.json", "npm ci --omit=dev", "node server.js"),
    ("golang:1.23-alpine", "go.mod go.sum", "go mod download", "/usr/local/bin/app"),
    ("eclipse-temurin:21-jre", "build.gradle", "gradle --no-daemon dependencies", "java -jar app.jar"),
)
MISTAKES = ("selector", "secret", "account", "probe", "memory", "password")


@dataclass(frozen=True)
class CorpusStats:
    files: int
    k8s_files: int
    objects: int
    dockerfiles: int
    compose_files: int
    bytes: int


def _workload(i: int, rnd: random.Random, mistake: str) -> list[str]:
    name = f"app-{i:05d}"
    team = f"team-{i % 29:02d}"
    stateful = i % 9 == 0
    kind = "StatefulSet" if stateful else "Deployment"
    selector_value = f"{name}-typo" if mistake == "selector" else name
    secret = f"{name}-creds-old" if mistake == "secret" else f"{name}-creds"
    account = f"{name}-runner" if mistake == "account" else name
    probes = "" if mistake == "probe" else (
        "\n          readinessProbe:\n            httpGet: {path: /healthz/ready, port: web}"
        "\n          livenessProbe:\n            tcpSocket: {port: web}\n            periodSeconds: 20")
    memory = rnd.choice((256, 384, 512))
    memory_limit = "" if mistake == "memory" else f"\n            limits:\n              memory: {memory}Mi"
    literal = (f"\n            - name: ADMIN_PASSWORD\n              value: \"S3cr3t-{rnd.randrange(10**6):06d}\""
               if mistake == "password" else "")
    service_name = f"\n  serviceName: {name}" if stateful else ""
    objects = [f"""apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {team}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {team}
spec:{service_name}
  replicas: {1 + i % 4}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
        app.kubernetes.io/part-of: {team}
      annotations:
        prometheus.io/scrape: "true"
    spec:
      serviceAccountName: {account}
      securityContext:
        runAsNonRoot: true
        runAsUser: {20000 + i % 500}
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: main
          image: ghcr.io/example/{team}/{name}:2.{i % 40}.{rnd.randrange(20)}
          imagePullPolicy: IfNotPresent
          ports:
            - name: web
              containerPort: {8000 + i % 100}
              protocol: TCP
          env:
            - name: MODE
              value: production
            - name: FEATURES
              valueFrom:
                configMapKeyRef: {{name: {name}-settings, key: features}}
            - name: DATABASE_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {secret}
                  key: password{literal}
          resources:
            requests:
              cpu: {rnd.choice(("25m", "100m", "200m", "500m"))}
              memory: 128Mi{memory_limit}{probes}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
""", f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {team}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {selector_value}
  ports:
    - name: http
      port: 80
      targetPort: web
""", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-settings
  namespace: {team}
data:
  features: "search,export,{rnd.choice(("beta", "stable"))}"
  log-format: json
""", f"""apiVersion: v1
kind: Secret
metadata:
  name: {name}-creds
  namespace: {team}
type: Opaque
stringData:
  password: ${{DATABASE_PASSWORD}}
""", f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: {team}
automountServiceAccountToken: false
"""]
    if i % 3 == 1:
        objects.append(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {team}
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  ingressClassName: nginx
  tls:
    - hosts: [{name}.apps.example.org]
      secretName: {name}-tls
  rules:
    - host: {name}.apps.example.org
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {name}
                port: {{name: http}}
""")
    if i % 4 == 2:
        objects.append(f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {team}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {kind}
    name: {name}
  minReplicas: 2
  maxReplicas: {4 + i % 8}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {{type: Utilization, averageUtilization: {60 + i % 30}}}
""")
    if i % 5 == 3:
        objects.append(f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: {team}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
""")
    if i % 6 == 4:
        objects.append(f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}-ingress
  namespace: {team}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {name}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
""")
    if i % 10 == 5:
        objects.append(f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}-nightly
  namespace: {team}
spec:
  schedule: "{i % 60} 2 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: task
              image: ghcr.io/example/tools/maintenance:1.{i % 7}.0
              args: ["--prune", "--older-than=14d"]
              resources:
                requests: {{cpu: 50m, memory: 64Mi}}
                limits: {{memory: 128Mi}}
""")
    return objects


def _dockerfile(i: int, rnd: random.Random) -> str:
    base, manifests, install, command = BASES[rnd.randrange(len(BASES))]
    # One in four has the cache-unfriendly order: the whole context before installing.
    unfriendly = rnd.random() < 0.25
    steps = f"COPY . .\nRUN {install}\n" if unfriendly else f"COPY {manifests} ./\nRUN {install}\nCOPY . .\n"
    healthcheck = "" if i % 3 else "HEALTHCHECK --interval=30s CMD wget -qO- http://localhost:8080/ || exit 1\n"
    return (f"# service app-{i:05d}\nFROM {base}\nLABEL org.opencontainers.image.source=https://example.org/app\n"
            f"WORKDIR /srv\n{steps}ENV PORT=8080\nUSER 10001:10001\nEXPOSE 8080\n{healthcheck}"
            f"CMD {command}\n")


def _compose(i: int, rnd: random.Random) -> str:
    database = "db" if rnd.random() < 0.85 else "postgres"  # sometimes a dangling depends_on
    return f"""services:
  web:
    build: .
    image: ghcr.io/example/app-{i:05d}:dev
    ports:
      - "127.0.0.1:{9000 + i % 900}:8080"
    environment:
      DATABASE_URL: postgres://app@db:5432/app
      LOG_LEVEL: debug
    depends_on:
      - {database}
  db:
    image: postgres:16.4-alpine
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    volumes:
      - pgdata:/var/lib/postgresql/data
    secrets: [db_password]
volumes:
  pgdata: {{}}
secrets:
  db_password:
    file: ./db_password.txt
"""


def _write(path: Path, text: str) -> int:
    data = text.encode()
    try:
        if path.read_bytes() == data:
            return len(data)
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def generate(out: Path, services: int, *, k8s_files: int | None = None, extras: bool = True,
             seed: int = 7) -> CorpusStats:
    """Write the corpus under `out` and return what it holds. Stale files from a bigger run are removed."""
    rnd = random.Random(seed)
    wanted: set[Path] = set()
    objects = manifests = dockerfiles = compose_files = size = 0
    bundle: list[str] = []
    files = min(k8s_files or services, services)
    for i in range(services):
        slot = i * files // services
        mistake = MISTAKES[rnd.randrange(len(MISTAKES))] if rnd.random() < 0.17 else ""
        docs = _workload(i, rnd, mistake)
        objects += len(docs)
        bundle.extend(docs)
        folder = out / f"team-{slot % 29:02d}" / f"app-{slot:05d}"
        if i == services - 1 or (i + 1) * files // services != slot:
            target = folder / "k8s.yaml"
            size += _write(target, "---\n".join(bundle))
            wanted.add(target)
            manifests += 1
            bundle = []
        if extras and i % 10 == 0:
            size += _write(folder / "Dockerfile", _dockerfile(i, rnd))
            size += _write(folder / "compose.yaml", _compose(i, rnd))
            wanted.update((folder / "Dockerfile", folder / "compose.yaml"))
            dockerfiles += 1
            compose_files += 1
    if out.exists():
        for path in list(out.rglob("*")):
            if path.is_file() and path not in wanted and ".kubelint_cache" not in path.parts \
                    and ".git" not in path.parts:
                path.unlink()
    return CorpusStats(len(wanted), manifests, objects, dockerfiles, compose_files, size)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a synthetic corpus (see the module docstring).")
    parser.add_argument("out", type=Path)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--k8s-files", type=int, default=None, help="bundle the services into this many manifests")
    parser.add_argument("--no-extras", action="store_true", help="no Dockerfiles or compose files")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(generate(args.out, args.services, k8s_files=args.k8s_files,
                   extras=not args.no_extras, seed=args.seed))
