"""Pre-commit context loaded lazily (kubelint_py/cache/lazy_context.py) gives exactly the findings of the full context.

The reference is the run with the whole project loaded (`--no-cache`, which cannot use summaries); the lazy
run uses the per-project store of stat keys and summaries. Both report only the given file.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from kubelint_py.api import Report, lint
from kubelint_py.cache import lazy_context, replay
from kubelint_py.cache.parse_cache import ParseCache
from kubelint_py.discovery.walk import discover
from kubelint_py.engine.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate

# Objects whose findings depend on other files, one dependency of lazy_context's list each.
EXTRAS = {
    "shop/web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.org/shop/web:1.0
          ports: [{containerPort: 8080, name: http}]
          env:
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: web-creds, key: password}}
            - name: MODE
              valueFrom: {configMapKeyRef: {name: web-config, key: mode}}
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: web-token, key: token}}
          resources:
            requests: {cpu: 10m}
""",
    "shop/account.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n",
    "shop/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config, namespace: shop}\n"
                        "data: {other: x}\n",
    "shop/sealed.yaml": """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: sealed-web, namespace: shop}
spec:
  template: {metadata: {name: web-creds}}
  encryptedData: {password: AgB}
""",
    "shop/hpa.yaml": """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-hpa, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 4
  maxReplicas: 5
""",
    "shop/pdb.yaml": """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: shop}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db-pdb, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: db}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ghost-pdb, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchExpressions: [{key: app, operator: In, values: [nothing]}]}
""",
    "shop/limits.yaml": """\
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
    - type: Container
      default: {memory: 256Mi}
""",
    "shop/svc.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}, {port: 81, targetPort: metrics}]
---
apiVersion: v1
kind: Service
metadata: {name: ghost, namespace: shop}
spec:
  selector: {app: ghost}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: by-hash, namespace: shop}
spec:
  selector: {pod-template-hash: "123"}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: widgets, namespace: shop}
spec:
  selector: {app: widgety}
  ports: [{port: 80}]
""",
    "shop/ingress.yaml": """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  tls: [{hosts: [shop.example.org], secretName: web-tls}]
  rules:
    - host: shop.example.org
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 82}}}}
          - {path: /g, pathType: Prefix, backend: {service: {name: ghost, port: {number: 80}}}}
          - {path: /m, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
""",
    "shop/db.yaml": """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db-headless
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres:16.4
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: db-data}}]
""",
    "shop/db-svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: db-headless, namespace: shop}\n"
                        "spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}\n",
    "shop/pragma.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: quiet, namespace: shop}
data:
  a: b  # kubelint: ignore=DF302
""",
    "other/api.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: other}
spec:
  selector: {matchLabels: {app: ghost}}
  template:
    metadata: {labels: {app: ghost}}
    spec:
      containers: [{name: api, image: "registry.example.org/api:2.1"}]
""",
    "rbac/binding.yaml": """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: writers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: writer}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
""",
    "rbac/role.yaml": """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
""",
    "crd/widgets.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.org}
spec:
  group: example.org
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
""",
    "crd/widget.yaml": """\
apiVersion: example.org/v1
kind: Widget
metadata: {name: w1, namespace: shop, labels: {app: widgety}}
spec: {size: big}
---
apiVersion: example.org/v2
kind: Widget
metadata: {name: w2}
spec: {size: 1}
---
apiVersion: example.org/v1
kind: Gadget
metadata: {name: g1}
""",
    # A cluster-scoped custom kind: its objects have no namespace, so this one is no operator for "shop"
    # (known only from the CRD, which the Service's file neither names nor selects).
    "crd/gizmos.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.example.org}
spec:
  group: example.org
  scope: Cluster
  names: {kind: Gizmo, plural: gizmos}
  versions: [{name: v1, served: true, storage: true}]
""",
    "gizmo/gizmo.yaml": """\
apiVersion: example.org/v1
kind: Gizmo
metadata: {name: g, namespace: shop, labels: {app: gizmo}}
""",
    "gizmo/svc.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: gizmo, namespace: shop}
spec:
  selector: {app: gizmo}
  ports: [{port: 80}]
""",
    "dup/a.yaml": "---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\ndata: {{v: a}}\n"
        for name in ("dup", "a1", "a2", "a3", "a4")),
    "dup/b.yaml": "---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\ndata: {{v: b}}\n"
        for name in ("dup", "b1", "b2", "b3", "b4")),
    "kust/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n  - path: replicas.yaml\n",
    "kust/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: k}
spec:
  selector: {matchLabels: {app: k}}
  template:
    metadata: {labels: {app: k}}
    spec:
      containers: [{name: k, image: "nginx:1.27.2"}]
""",
    "kust/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: k}\nspec:\n  replicas: 2\n",
    "app/compose.yaml": """\
services:
  web:
    build: .
    image: registry.example.org/shop/web:2.0
    ports: ["8080:8080"]
""",
    "app/Dockerfile": "FROM nginx:1.27.2\nEXPOSE 9090\nCOPY . /usr/share/nginx/html\n",
    # Shapes no rule expects: summaries and plans must not crash on them either.
    "weird/odd.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: 12345, namespace: shop, labels: [a, b]}
spec:
  selector: [app, web]
  ports: 80
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: odd-pdb, namespace: shop}
spec: {selector: "app=web", minAvailable: 1}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: odd-hpa, namespace: shop}
spec: {scaleTargetRef: [web]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: true, namespace: shop}
spec:
  template: {metadata: {labels: {1: 2, app: null}}, spec: {containers: [{name: x, image: [a]}]}}
---
just a string
---
- a
- list
""",
    "weird/refs.yaml": """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  serviceAccountName: 12345
  containers: [{name: c, image: "nginx:1.27.2", envFrom: [{configMapRef: {name: true}}]}]
""",
    "weird/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    generate(root / "generated", 12, seed=11)  # with two compose files and Dockerfiles
    for name, text in EXTRAS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".kubelint.yaml").write_text("# project marker\n")
    (root / "weird" / "binary.yaml").write_bytes(b"\xff\xfe\x00kind: \x80\x81")
    settle(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    # Every lazy run below must really run: a replayed report would not test anything.
    monkeypatch.setattr(replay, "load", lambda *args: None)
    return root


def settle(root: Path) -> None:
    """Date every file back: files modified within the last seconds are not given stat keys."""
    past = time.time() - 600
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(folder, name), (past, past))


def files_of(root: Path) -> list[str]:
    return sorted(c.path for c in discover(["."], cwd=root))


def lazy_run(path: str, root: Path) -> Report:
    return lint([path], Config(project_root=str(root)))


def full_run(path: str, root: Path) -> Report:
    return lint([path], Config(project_root=str(root), use_cache=False))


def skipped(report: Report) -> int:
    """Context files left unloaded (stubs: no models and no path on disk)."""
    return sum(1 for f in report.context if not f.fs_path)


def test_every_file_alone_gets_the_findings_of_the_full_context(project: Path) -> None:
    files = files_of(project)
    assert len(files) > 40
    lazy_run(files[0], project)  # the first run summarises every file
    skipped_any = 0
    for path in files:
        lazy, full = lazy_run(path, project), full_run(path, project)
        assert lazy.findings == full.findings, path
        assert lazy.internal_errors == full.internal_errors == [], path
        assert {f.path for f in lazy.context} == {f.path for f in full.context}, path
        skipped_any += skipped(lazy) > 0
    assert skipped_any == len(files)  # and every run left most of the project unloaded


def test_the_scenarios_really_depend_on_other_files(project: Path) -> None:
    """The property test above is only as good as its cases: these findings appear or vanish with context."""
    lazy_run("shop/account.yaml", project)  # summarises every file

    def codes(path: str, scoped: bool = True) -> set[str]:
        report = lazy_run(path, project) if scoped else lint([path], Config(use_cache=False))
        if scoped:
            assert skipped(report) > 0
        return {f.code for f in report.findings}

    web = lazy_run("shop/web.yaml", project)
    # ServiceAccount, ConfigMap and LimitRange found elsewhere; the sealed Secret too.
    assert {"KS601", "KS602", "KS111"} <= codes("shop/web.yaml", scoped=False) - {f.code for f in web.findings}
    assert not any("web-creds" in f.message for f in web.findings)
    # A key missing in another file, an autoscaler in another, an image compose builds.
    assert {"KS604", "KS507", "XF103", "XF104"} <= {f.code for f in web.findings}
    blocking = [f.message for f in lazy_run("shop/pdb.yaml", project).findings if f.code == "KS506"]
    # The HPA of the selected Deployment keeps at least 4 pods: minAvailable 3 then allows an eviction.
    assert blocking and not any("web-pdb" in m for m in blocking)
    services = [f for f in lazy_run("shop/svc.yaml", project).findings if f.code == "KS501"]
    assert [f.message.split("'")[1] for f in services] == ["ghost"] and services[0].related
    assert "KS503" in codes("shop/ingress.yaml")
    assert "KS501" in codes("gizmo/svc.yaml")  # the Gizmo's CRD says it has no namespace
    assert {"KS901", "KS902"} <= codes("crd/widget.yaml")  # validated against the CRD in another file
    # A patch only its kustomization says is one (a file named *patch* is taken as one by its name alone).
    assert "KS901" in codes("kust/replicas.yaml", scoped=False) - codes("kust/replicas.yaml")
    assert "KS608" in codes("shop/db.yaml", scoped=False) - codes("shop/db.yaml")
    assert "KL007" in codes("shop/pragma.yaml")  # Dockerfile rules count as run, as with the whole project


def test_new_and_changed_context_files_are_read(project: Path) -> None:
    lazy_run("shop/web.yaml", project)
    (project / "shop" / "token.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: web-token, namespace: shop}\nstringData: {token: x}\n")
    (project / "shop" / "config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config, namespace: shop}\ndata: {mode: x}\n")
    lazy = lazy_run("shop/web.yaml", project)
    assert lazy.findings == full_run("shop/web.yaml", project).findings
    assert not {"KS603", "KS604"} & {f.code for f in lazy.findings}


def test_unchanged_files_are_not_read_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lazy_run("shop/web.yaml", project)
    read: list[str] = []
    original = ParseCache.read

    def counting(self: ParseCache, candidate: object) -> object:
        read.append(candidate.path)  # type: ignore[attr-defined]
        return original(self, candidate)  # type: ignore[arg-type]

    monkeypatch.setattr(ParseCache, "read", counting)
    (project / "shop" / "web.yaml").write_text(EXTRAS["shop/web.yaml"].replace("replicas: 3", "replicas: 4"))
    lazy_run("shop/web.yaml", project)
    assert read == ["shop/web.yaml"]
    read.clear()
    # The file given (keyed as named on the command line) and web.yaml, modified a moment ago: the same
    # mtime tick could hold a second change, so it is hashed again until it is older.
    lazy_run("shop/svc.yaml", project)
    assert read == ["shop/svc.yaml", "shop/web.yaml"]


def test_a_corrupt_store_is_ignored(project: Path, tmp_path: Path) -> None:
    expected = full_run("shop/web.yaml", project).findings
    lazy_run("shop/svc.yaml", project)
    stores = list((tmp_path / "cache").glob("*/projects/*"))
    assert len(stores) == 1
    stores[0].write_bytes(b"\x00garbage" * 10)
    assert lazy_run("shop/web.yaml", project).findings == expected
    stores[0].write_bytes(stores[0].read_bytes()[:100])  # truncated
    assert lazy_run("shop/web.yaml", project).findings == expected


def test_the_switch_loads_the_whole_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lazy_run("shop/svc.yaml", project)
    monkeypatch.setattr(lazy_context, "ENABLED", False)
    report = lazy_run("shop/web.yaml", project)
    assert skipped(report) == 0
    assert report.findings == full_run("shop/web.yaml", project).findings


def test_a_fresh_process_counts_the_rules_of_files_it_did_not_load(project: Path, tmp_path: Path) -> None:
    """Rules stay registered within a process, so only a new one shows which rule families a run enables:
    a suppression of a Dockerfile rule is judged (KL007) only when Dockerfile rules ran, as with the whole
    project loaded, although no Dockerfile is loaded for this file."""
    import subprocess

    env = {**os.environ, "KUBELINT_CACHE_DIR": str(tmp_path / "cache")}
    script = ("import sys\nfrom kubelint_py.api import lint\nfrom kubelint_py.engine.config import Config\n"
              "report = lint([sys.argv[1]], Config(project_root='.'))\n"
              "print(sorted(f.code for f in report.findings), sum(not f.fs_path for f in report.context))\n")
    for path in ("shop/account.yaml", "shop/pragma.yaml"):  # the first run summarises every file
        done = subprocess.run([sys.executable, "-c", script, path], cwd=project, env=env, capture_output=True,
                              text=True, check=False)
    codes, skipped_files = done.stdout.rsplit(" ", 1)
    assert codes == "['KL007']" and int(skipped_files) > 0, done.stdout + done.stderr


def test_fixture_files_get_the_findings_of_the_full_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule fixtures (every tricky shape the rules know of) as one project: a seeded sample of single
    files and of pairs, lazy against the whole project loaded (the switch; the parse cache keeps it quick)."""
    import random
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures", root, symlinks=True)
    (root / ".kubelint.yaml").write_text("# project marker\n")
    settle(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(replay, "load", lambda *args: None)
    files = files_of(root)
    rnd = random.Random(20261124)
    choices = [[path] for path in rnd.sample(files, 24)] + [rnd.sample(files, 2) for _ in range(6)]
    config = Config(project_root=str(root))
    lint(choices[0], config)  # summarises every file
    for paths in choices:
        lazy = lint(paths, config)
        monkeypatch.setattr(lazy_context, "ENABLED", False)
        full = lint(paths, config)
        monkeypatch.setattr(lazy_context, "ENABLED", True)
        assert skipped(lazy) > 0 and skipped(full) == 0, paths
        assert lazy.findings == full.findings, paths
        assert lazy.internal_errors == full.internal_errors, paths


def test_a_store_of_the_wrong_shape_is_ignored(project: Path, tmp_path: Path) -> None:
    import marshal

    expected = full_run("shop/web.yaml", project).findings
    lazy_run("shop/svc.yaml", project)
    store = next((tmp_path / "cache").glob("*/projects/*"))
    stamp, entries = marshal.loads(store.read_bytes())
    mangled = {path: ((*entry[:3], "x", *entry[4:]) if n % 3 == 0 else (*entry[:9], (1, 2)) if n % 3 == 1
                      else entry[:5]) for n, (path, entry) in enumerate(entries.items())}
    store.write_bytes(marshal.dumps((stamp, mangled)))
    assert lazy_run("shop/web.yaml", project).findings == expected
    store.write_bytes(marshal.dumps((stamp, {"a": 1, "b": None, "c": "d"})))
    assert lazy_run("shop/web.yaml", project).findings == expected


def test_files_left_out_still_mark_project_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compose file makes its folder a project of its own; a lazy run that does not load it (nothing in
    the Service needs compose) must still see that boundary, or the other sample's pods would count."""
    root = tmp_path / "repo"
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
                  "  selector: {{matchLabels: {{app: shop}}}}\n  template:\n    metadata: {{labels: {{app: shop}}}}\n"
                  "    spec:\n      containers: [{{name: c, image: 'shop:1.0', ports: [{{name: {port}, "
                  "containerPort: 80}}]}}]\n")
    files = {
        "store/compose.yaml": "services:\n  cache: {image: 'redis:7.2.5'}\n",
        "store/deploy.yaml": deployment.format(name="shop", port="web"),
        "store/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec:\n"
                          "  selector: {app: shop}\n  ports: [{port: 80, targetPort: http}]\n",
        "demo/compose.yaml": "services:\n  shop: {image: 'shop:0.1'}\n",
        "demo/deploy.yaml": deployment.format(name="shop-demo", port="http"),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".kubelint.yaml").write_text("# project marker\n")
    settle(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(replay, "load", lambda *args: None)
    lazy_run("store/deploy.yaml", root)  # summarises every file
    lazy, full = lazy_run("store/svc.yaml", root), full_run("store/svc.yaml", root)
    assert skipped(lazy) > 0 and any(not f.fs_path and f.path.endswith("compose.yaml") for f in lazy.context)
    assert lazy.findings == full.findings
    assert "KS502" in {f.code for f in full.findings}
