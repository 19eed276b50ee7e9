"""What rendering a Helm chart adds to a run (issue 17: a 50-template chart adds under 0.5 s warm).

    python benchmarks/helm_chart.py                 # 50 templates, 5 runs each
    python benchmarks/helm_chart.py --templates 200 --runs 7
    /path/to/venv-without-the-helm-extra/bin/python benchmarks/helm_chart.py   # the `helm` binary on PATH

Generates, in a work folder, a chart of N templates (a Deployment and a Service each, through shared
helpers, values and conditionals) and a plain twin: the same objects as `helm template` renders them,
written as ordinary manifests. Each sits in a folder beside one other manifest; both are linted by the real command
line (`python -m kubelint_py check`, output discarded): cold (--no-cache), warm (cache primed by one
untimed run: an unchanged tree is replayed whole) and warm with the other manifest changed before each
run (no replay: files come from the parse cache, renders and their findings from the render store).
The cache lives in the work folder. The figure that matters is chart minus twin: the cost of rendering and mapping back,
since the rules run on the same objects either way. Median CPU time of the runs (user + system of the
run and its render process; wall time on a shared machine mostly measures the neighbours).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELPERS = """\
{{- define "bench.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
"""

TEMPLATE = """\
{{- $svc := .Values.services.s%(n)d }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "bench.fullname" . }}-s%(n)d
  labels:
    {{- include "bench.labels" . | nindent 4 }}
    component: s%(n)d
spec:
  replicas: {{ $svc.replicas }}
  selector:
    matchLabels:
      component: s%(n)d
  template:
    metadata:
      labels:
        {{- include "bench.labels" . | nindent 8 }}
        component: s%(n)d
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ $svc.tag | default .Chart.AppVersion }}"
          ports:
            - name: http
              containerPort: 8080
          {{- if $svc.probes }}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
          readinessProbe:
            httpGet: {path: /ready, port: http}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "bench.fullname" . }}-s%(n)d
spec:
  selector:
    component: s%(n)d
  ports:
    {{- range $svc.ports }}
    - name: p{{ . }}
      port: {{ . }}
      targetPort: http
    {{- end }}
"""


def make_chart(folder: Path, count: int) -> None:
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 1.0.0\nappVersion: \"2.3.4\"\n")
    (folder / "templates" / "_helpers.tpl").write_text(HELPERS)
    values = ["image:\n  repository: registry.example.com/bench/app\n",
              "resources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {memory: 256Mi}\n", "services:\n"]
    for n in range(count):
        (folder / "templates" / f"s{n}.yaml").write_text(TEMPLATE % {"n": n})
        values.append(f"  s{n}:\n    replicas: {1 + n % 3}\n    probes: {str(n % 5 != 0).lower()}\n"
                      f"    ports: [80, {9000 + n}]\n")
    (folder / "values.yaml").write_text("".join(values))


def make_twin(chart: Path, twin: Path) -> None:
    """The chart's render written as plain manifests (rendered once, here, by the same engine)."""
    from kubelint_py.building.helm.binary import BinaryRenderer, find_helm
    from kubelint_py.building.helm.renderer import Renderer, RenderRequest, sdk_available

    helm = None if sdk_available() else find_helm()
    renderer: Renderer | BinaryRenderer = BinaryRenderer(helm) if helm is not None else Renderer()
    try:
        answer = renderer.render(RenderRequest(str(chart), [], [], "bench", "default", "x"))
    finally:
        renderer.close()
    if not answer.get("ok"):
        raise SystemExit(f"the benchmark chart does not render: {answer.get('error')}")
    twin.mkdir(parents=True)
    for output in answer["outputs"]:
        if output["text"].strip():
            (twin / os.path.basename(output["name"])).write_text(output["text"])


OTHER = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  run: \"%d\"\n"


def timed(arguments: list[str], env: dict[str, str], runs: int, change: Path | None = None) -> float:
    """Median CPU seconds (user + system, the process and its render child): on a shared 2-core machine
    wall time mostly measures the neighbours."""
    times = []
    for run in range(runs):
        if change is not None:  # a changed file elsewhere: no whole-run replay, renders still cached
            change.write_text(OTHER % (time.time_ns() + run))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "kubelint_py", *arguments], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--templates", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    options = parser.parse_args()
    work = options.workdir or Path(tempfile.mkdtemp(prefix="kubelint-helm-bench-"))
    chart, twin = work / "chart", work / "twin"
    for folder in (chart, twin, work / "chart-tree", work / "twin-tree"):
        shutil.rmtree(folder, ignore_errors=True)
    make_chart(chart, options.templates)
    make_twin(chart, twin)
    env = {**os.environ, "KUBELINT_CACHE_DIR": str(work / "cache")}
    print(f"load average {os.getloadavg()[0]:.2f}; {options.templates} templates; "
          f"median CPU time of {options.runs} runs")
    rows = []
    for label, folder in (("chart", chart), ("plain twin", twin)):
        tree = folder.parent / f"{folder.name}-tree"
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir()
        shutil.move(str(folder), tree / folder.name)
        other = tree / "other.yaml"
        other.write_text(OTHER % 0)
        cold = timed(["check", str(tree), "--no-cache"], env, options.runs)
        timed(["check", str(tree)], env, 1)  # prime the cache
        warm = timed(["check", str(tree)], env, options.runs)
        changed = timed(["check", str(tree)], env, options.runs, change=other)
        rows.append((label, cold, warm, changed))
        print(f"{label:12} cold {cold:6.3f} s   warm {warm:6.3f} s   warm, another file changed {changed:6.3f} s")
    print(f"{'added':12} cold {rows[0][1] - rows[1][1]:6.3f} s   warm {rows[0][2] - rows[1][2]:6.3f} s   "
          f"warm, another file changed {rows[0][3] - rows[1][3]:6.3f} s")
    if options.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
