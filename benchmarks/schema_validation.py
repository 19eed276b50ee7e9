"""Time schema validation: loading the Kubernetes schemas, building one validator, validating 2,000
objects (fast compiled check, and jsonschema alone for comparison), and a whole `lint()` run.

    python benchmarks/schema_validation.py [N]

Times are CPU seconds of this process (time.process_time), so other load on the machine matters less.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels: {{app: app-{i}, tier: web}}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: app-{i}}}
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}}}
  template:
    metadata:
      labels: {{app: app-{i}, tier: web}}
    spec:
      securityContext: {{runAsNonRoot: true, fsGroup: 1000}}
      containers:
        - name: app
          image: registry.example.com/app:{i}.0.1
          ports: [{{containerPort: 8080, name: http}}]
          env:
            - {{name: MODE, value: production}}
            - name: PASSWORD
              valueFrom: {{secretKeyRef: {{name: app-{i}, key: password}}}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 1, memory: 0.5Gi}}
          readinessProbe: {{httpGet: {{path: /ready, port: http}}, periodSeconds: 5}}
          livenessProbe: {{tcpSocket: {{port: 8080}}}}
          volumeMounts: [{{name: config, mountPath: /etc/app, readOnly: true}}]
      volumes:
        - name: config
          configMap: {{name: app-{i}, defaultMode: 0644}}
---
apiVersion: v1
kind: Service
metadata: {{name: app-{i}, namespace: team-{ns}}}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: http}}]
"""


def main(argv: list[str]) -> None:
    count = int(argv[1]) if len(argv) > 1 else 2000
    started = time.process_time()
    from kubelint_py.schemas import kubernetes as k8s_schemas

    k8s_schemas.definitions("1.34")
    print(f"load and unpack the schemas of 13 versions, select 1.34: {time.process_time() - started:.3f}s")
    from kubelint_py.parsing.yaml import load_yaml

    text = "---\n".join(DEPLOYMENT.format(i=i, ns=i % 7) for i in range(count // 2))
    objects = [doc.value for doc in load_yaml(text).documents]
    started = time.process_time()
    deployment = k8s_schemas.builtin_validator("1.34", "io.k8s.api.apps.v1.Deployment", True)
    service = k8s_schemas.builtin_validator("1.34", "io.k8s.api.core.v1.Service", True)
    assert deployment.is_valid(objects[0]) and service.is_valid(objects[1])
    print(f"build the two validators and check one object each: {time.process_time() - started:.3f}s")
    started = time.process_time()
    for body in objects:
        (deployment if body["kind"] == "Deployment" else service).is_valid(body)
    print(f"validate {len(objects)} objects (compiled check): {time.process_time() - started:.3f}s")
    started = time.process_time()
    import jsonschema  # noqa: F401

    print(f"import jsonschema: {time.process_time() - started:.3f}s")
    started = time.process_time()
    full_d, full_s = deployment._validator(), service._validator()
    for body in objects:
        list((full_d if body["kind"] == "Deployment" else full_s).iter_errors(body))
    print(f"validate {len(objects)} objects (jsonschema alone, for comparison): {time.process_time() - started:.3f}s")
    from kubelint_py.api import lint
    from kubelint_py.engine.config import Config

    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "all.yaml").write_text(text)
        for select in (("KL001",), ("KS901", "KS902", "KS903")):
            started = time.process_time()
            report = lint([folder], Config(select=select))
            print(f"lint() of {len(objects)} objects with {', '.join(select)}: {time.process_time() - started:.3f}s "
                  f"({len(report.active)} findings)")


if __name__ == "__main__":
    main(sys.argv)
