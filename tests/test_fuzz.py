"""Property-based fuzzing: whatever the input, lint never raises, never hangs, every rule survives, and
every finding points inside its file.

Inputs: Kubernetes-, Compose- and Dockerfile-shaped text built from the fields rules look at (with
values of every type, so rules meet wrong types), YAML-ish token soup, and byte-level mutations of the
repo's fixtures. The default profile is quick; a longer run:

    python -m pytest tests/test_fuzz.py --hypothesis-profile long
"""

from __future__ import annotations

import json
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kubelint_py.api import Report, lint
from kubelint_py.report.json import render as render_json
from kubelint_py.report.text import render as render_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and p.suffix != ".py")

# Line breaks as a YAML reader counts them (a superset of what the Dockerfile parser counts).
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
HANG_SECONDS = 120
"""Not a speed check: a watchdog so a hang fails the test instead of stalling the run."""

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@contextmanager
def _watchdog() -> Iterator[None]:
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum: int, frame: object) -> None:
        raise AssertionError(f"lint did not finish within {HANG_SECONDS}s: it hangs on this input")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _tree(files: dict[str, bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kubelint-fuzz-") as name:
        root = Path(name)
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        yield root


def _line_count(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return len(_BREAKS.findall(text)) + 1


def check_tree(files: dict[str, bytes]) -> Report:
    """Lint the files as one project and check the invariants; return the report."""
    with _tree(files) as root, _watchdog():
        report = lint([str(root)])
        text_output = render_text(report)
        json.loads(render_json(report))
    assert report.internal_errors == [], report.internal_errors
    assert "\x1b" not in text_output
    lines = {str(root / rel): _line_count(data) for rel, data in files.items()}
    for finding in report.findings:
        assert finding.code != "KL005", finding.message
        for loc in (finding.location, *(r.location for r in finding.related)):
            if loc.path in lines:
                assert 1 <= loc.line <= lines[loc.path] + 1, (finding, lines[loc.path])
                assert loc.end_line <= lines[loc.path] + 1, finding
            else:  # a project-level finding, or a related location in another linted file
                assert loc.line >= 1
            assert loc.column >= 1 and loc.end_line >= loc.line, finding
            assert loc.end_line > loc.line or loc.end_column >= loc.column, finding
    return report


# --- building blocks -----------------------------------------------------------------------------------

_WORDS = st.sampled_from([
    "web", "db", "app", "nginx", "nginx:latest", "nginx:1.27", "registry.example.com/team/app@sha256:" + "a" * 64,
    "default", "kube-system", "80", "8080", "http", "TCP", "udp", "true", "false", "yes", "no", "on", "null",
    "~", "0", "-1", "0755", "1e3", "0x1F", ".inf", "100m", "1Gi", "512Mi", "0.5", "", " ", "*", "/", "..",
    "${HOME}", "$VAR", "{{ .Values.x }}", "ALL", "NET_ADMIN", "root", "0:0", "Always", "IfNotPresent",
    "/var/run/docker.sock", "/", "host", "password", "AKIAIOSFODNN7EXAMPLE", "app=web", "a\x1b[2Jb", "é中",
])
_KEYS = st.sampled_from([
    "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "selector",
    "matchLabels", "matchExpressions", "template", "containers", "initContainers", "ephemeralContainers",
    "image", "imagePullPolicy", "ports", "containerPort", "hostPort", "protocol", "env", "envFrom", "value",
    "valueFrom", "secretKeyRef", "configMapKeyRef", "key", "resources", "limits", "requests", "cpu",
    "memory", "readinessProbe", "livenessProbe", "startupProbe", "httpGet", "port", "path",
    "securityContext", "runAsUser", "runAsNonRoot", "privileged", "allowPrivilegeEscalation",
    "readOnlyRootFilesystem", "capabilities", "add", "drop", "volumes", "volumeMounts", "mountPath",
    "hostPath", "hostNetwork", "hostPID", "hostIPC", "serviceAccountName", "replicas", "type", "targetPort",
    "rules", "http", "paths", "backend", "service", "number", "tls", "secretName", "data", "stringData",
    "items", "jobTemplate", "schedule", "command", "args", "workingDir", "automountServiceAccountToken",
    "services", "build", "context", "dockerfile", "depends_on", "environment", "env_file", "volumes",
    "networks", "network_mode", "restart", "healthcheck", "test", "user", "cap_add", "privileged",
    "secrets", "configs", "profiles", "deploy", "extends", "links", "expose", "x-common", "<<",
])
_KINDS = st.sampled_from([
    "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Service", "Ingress",
    "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRoleBinding", "NetworkPolicy",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "PersistentVolumeClaim", "List", "Namespace", "Thing",
])
_API_VERSIONS = st.sampled_from(["v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "extensions/v1beta1",
                                 "rbac.authorization.k8s.io/v1", "policy/v1beta1", "example.com/v1", "", "v"])


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(_WORDS, st.integers(-(2**70), 2**70), st.booleans(), st.none(),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))


def _values() -> st.SearchStrategy[Any]:
    return st.recursive(
        _scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(_KEYS, _WORDS), children, max_size=5),
        ),
        max_leaves=25,
    )


def _container() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries({"name": _WORDS, "image": _WORDS}, optional={
            "ports": st.lists(st.one_of(st.fixed_dictionaries({"containerPort": _scalars()}), _values()),
                              max_size=3),
            "env": st.lists(st.one_of(st.fixed_dictionaries({"name": _WORDS, "value": _scalars()}), _values()),
                            max_size=3),
            "resources": _values(), "securityContext": _values(), "readinessProbe": _values(),
            "volumeMounts": _values(), "command": _values(), "args": _values(),
        }),
        _values(),
    )


def _pod_spec() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({"containers": st.one_of(st.lists(_container(), max_size=3), _values())},
                                 optional={"initContainers": st.lists(_container(), max_size=2),
                                           "volumes": _values(), "securityContext": _values(),
                                           "hostNetwork": _scalars(), "serviceAccountName": _scalars()})


def _resource() -> st.SearchStrategy[Any]:
    labels = st.dictionaries(_WORDS, _WORDS, max_size=3)
    return st.fixed_dictionaries(
        {"apiVersion": _API_VERSIONS, "kind": _KINDS},
        optional={
            "metadata": st.one_of(st.fixed_dictionaries({"name": _WORDS}, optional={
                "namespace": _WORDS, "labels": labels, "annotations": _values()}), _values()),
            "spec": st.one_of(
                st.fixed_dictionaries({}, optional={
                    "selector": st.one_of(st.fixed_dictionaries({"matchLabels": labels}), labels, _values()),
                    "template": st.one_of(st.fixed_dictionaries(
                        {"metadata": st.fixed_dictionaries({"labels": labels}), "spec": _pod_spec()}), _values()),
                    "containers": st.lists(_container(), max_size=2),
                    "ports": _values(), "rules": _values(), "replicas": _scalars(), "type": _WORDS,
                    "jobTemplate": _values(),
                }),
                _values()),
            "data": _values(), "items": _values(), "rules": _values(), "subjects": _values(), "roleRef": _values(),
        },
    )


def _compose() -> st.SearchStrategy[Any]:
    service = st.one_of(
        st.fixed_dictionaries({}, optional={
            "image": _WORDS, "build": st.one_of(_WORDS, _values()), "ports": _values(),
            "depends_on": st.one_of(st.lists(_WORDS, max_size=3), _values()), "environment": _values(),
            "volumes": _values(), "networks": _values(), "healthcheck": _values(), "user": _scalars(),
            "privileged": _scalars(), "cap_add": _values(), "restart": _scalars(), "secrets": _values(),
            "network_mode": _WORDS, "extends": _values(), "deploy": _values(), "command": _values(),
        }),
        _values())
    return st.fixed_dictionaries(
        {"services": st.one_of(st.dictionaries(_WORDS, service, max_size=4), _values())},
        optional={"volumes": _values(), "networks": _values(), "secrets": _values(), "configs": _values(),
                  "x-common": _values(), "version": _scalars(), "name": _scalars()})


def _dump_yaml(value: Any, style: str) -> str:
    if style == "json":
        return json.dumps(value, default=str)
    from io import StringIO

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = style == "flow"
    buffer = StringIO()
    yaml.dump(value, buffer)
    return buffer.getvalue()


_STYLES = st.sampled_from(["block", "flow", "json"])

_YAML_TOKENS = st.sampled_from([
    "\n", "\n", " ", "  ", "\t", "\r\n", "\r", "- ", ":", ": ", "key: ", "apiVersion: v1\n", "kind: Deployment\n",
    "kind: ConfigMap\n", "services:\n", "  web:\n", "    image: x\n", "containers:\n", "  - name: a\n", "[", "]",
    "{", "}", ",", "&a ", "*a", "&b [*a, *a]", "<<: *a\n", "? ", "!!python/object/apply:os.system ", "!Ref ",
    "!!binary ", "!!int ", "---\n", "...\n", "'", '"', "\\", "|\n", ">-\n", "#", "# kubelint: ignore=ALL\n",
    "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "{{ .Values.x }}", "\ufeff", "\x85", "\u2028", "\x00", "\x1b[2J",
    "é", "0755", "yes", "~", "null", "1e999", "-", "---", "@", "`", "%",
])


def _documents(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    one = st.tuples(strategy, _STYLES).map(lambda pair: _dump_yaml(pair[0], pair[1]))
    return st.lists(one, min_size=1, max_size=3).map(lambda docs: "---\n".join(
        doc if doc.endswith("\n") else doc + "\n" for doc in docs))


_DF_INSTRUCTIONS = st.sampled_from([
    "FROM", "from", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "ARG", "LABEL", "EXPOSE", "USER",
    "WORKDIR", "VOLUME", "HEALTHCHECK", "SHELL", "ONBUILD", "STOPSIGNAL", "MAINTAINER", "FROBNICATE", "#",
    "# syntax=docker/dockerfile:1", "# escape=`", "# escape=\\", "",
])
_DF_ARGS = st.sampled_from([
    "alpine", "alpine:3.20", "ubuntu:latest", "${BASE}", "${BASE:-debian}", "scratch", "build AS final",
    "--platform=$BUILDPLATFORM golang:1.22 AS build", "apt-get update && apt-get install -y curl",
    "apt-get install curl", "pip install flask", "curl -fsSL https://x.sh | sh", "sudo make install",
    "cd /app", "<<EOF", "<<-'EOF'", "EOF", "cat <<EOF > /x", "[\"sh\", \"-c\", \"echo $HOME\"]", "[\"a\"",
    "[[[[", "--from=build /a /b", "--chown=1000:1000 . /app", "--mount=type=secret,id=x cat /run/secrets/x",
    "A=1 B=\"two words\"", "A", "A=${A:-${B:-c}}", "KEY value", "80/tcp", "8080:80", "root", "0", "1000:1000",
    "CMD curl -f http://localhost/ || exit 1", "NONE", "/app", "'unterminated", "\"unterminated", "\\", "`",
    "$(", "${", "&& ||", "; ;", "| |", "sh -c 'apt-get install x'", "bash -c \"$(curl x)\"",
    "password=hunter2", "AWS_SECRET_ACCESS_KEY=abcd", "\x1b[31m", "é",
])


def _dockerfile() -> st.SearchStrategy[str]:
    line = st.one_of(
        st.tuples(_DF_INSTRUCTIONS, st.lists(_DF_ARGS, max_size=3)).map(lambda t: " ".join([t[0], *t[1]])),
        st.sampled_from(["", " \\", "\\", "  && true \\", "EOF", "\t\techo body", "FROM alpine:3.20 AS build"]),
        st.text(max_size=20),
    )
    return st.tuples(st.lists(line, max_size=14), st.sampled_from(["\n", "\r\n"]), st.booleans()).map(
        lambda t: t[1].join(t[0]) + (t[1] if t[2] else ""))


# --- the properties ----------------------------------------------------------------------------------


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


@given(_documents(_resource()))
def test_fuzz_kubernetes(text: str) -> None:
    check_tree({"deploy.yaml": _encode(text)})


@given(_documents(_compose()))
def test_fuzz_compose(text: str) -> None:
    check_tree({"compose.yaml": _encode(text)})


@given(_dockerfile())
def test_fuzz_dockerfile(text: str) -> None:
    check_tree({"Dockerfile": _encode(text)})


@given(st.lists(_YAML_TOKENS | st.text(max_size=4), max_size=40).map("".join),
       st.sampled_from(["x.yaml", "compose.yaml", "x.json"]))
@example("\x1e\x0c{{", "x.yaml")  # found by the long run: str.splitlines() counted \x1e and \x0c as lines
def test_fuzz_yaml_token_soup(text: str, name: str) -> None:
    check_tree({name: _encode(text)})


@given(_documents(_resource()), _documents(_compose()), _dockerfile())
def test_fuzz_project(k8s: str, compose: str, dockerfile: str) -> None:
    # Together, so the cross-format and project rules see all three.
    check_tree({"k8s/app.yaml": _encode(k8s), "compose.yaml": _encode(compose), "Dockerfile": _encode(dockerfile),
                "svc/Dockerfile": _encode(dockerfile)})


Mutation = Callable[[bytes], bytes]


def _mutations() -> st.SearchStrategy[Mutation]:
    def at(fraction: float, data: bytes) -> int:
        return int(fraction * len(data))

    fractions = st.floats(0, 1)
    junk = st.one_of(st.binary(max_size=8), _YAML_TOKENS.map(_encode), st.sampled_from(
        [b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"\r", b"\t", b"  ", b"\n---\n", b"{{", b"&a", b"*a"]))
    delete = st.tuples(fractions, fractions).map(
        lambda t: lambda d: d[:at(min(t), d)] + d[at(max(t), d):])
    insert = st.tuples(fractions, junk).map(lambda t: lambda d: d[:at(t[0], d)] + t[1] + d[at(t[0], d):])
    duplicate = st.tuples(fractions, fractions).map(
        lambda t: lambda d: d[:at(max(t), d)] + d[at(min(t), d):at(max(t), d)] + d[at(max(t), d):])
    truncate = fractions.map(lambda f: lambda d: d[:at(f, d)])
    swap_lines = st.tuples(st.integers(0, 200), st.integers(0, 200)).map(lambda t: _swap_lines(*t))
    indent = st.tuples(st.integers(0, 200), st.sampled_from([b" ", b"  ", b"\t", b""])).map(
        lambda t: _reindent(*t))
    return st.one_of(delete, insert, duplicate, truncate, swap_lines, indent)


def _swap_lines(i: int, j: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        lines = data.split(b"\n")
        a, b = i % len(lines), j % len(lines)
        lines[a], lines[b] = lines[b], lines[a]
        return b"\n".join(lines)
    return apply


def _reindent(i: int, prefix: bytes) -> Mutation:
    def apply(data: bytes) -> bytes:
        lines = data.split(b"\n")
        k = i % len(lines)
        lines[k] = prefix + lines[k].lstrip(b" \t")
        return b"\n".join(lines)
    return apply


@pytest.mark.skipif(not FIXTURE_FILES, reason="no fixtures")
@given(st.sampled_from(FIXTURE_FILES) if FIXTURE_FILES else st.nothing(), st.lists(_mutations(), min_size=1,
                                                                                    max_size=4))
def test_fuzz_mutated_fixtures(fixture: Path, mutations: list[Mutation]) -> None:
    data = fixture.read_bytes()
    for mutate in mutations:
        data = mutate(data)
    check_tree({fixture.name: data})


def test_invariant_checker_catches_a_location_outside_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # The property tests are only as good as check_tree: show it fails on a finding past the end.
    from kubelint_py.core.source import Span
    from kubelint_py.loading import source_file as load

    real = load._report_yaml_problems

    def bogus(source: Any, stream: Any) -> None:
        real(source, stream)
        source.report(load.diag.PARSE_ERROR, "bogus", Span.point(99))

    monkeypatch.setattr(load, "_report_yaml_problems", bogus)
    with pytest.raises(AssertionError):
        check_tree({"x.yaml": b"a: 1\n"})

