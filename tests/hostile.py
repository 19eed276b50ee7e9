"""A tree of hostile and broken input files, generated in a temporary folder (nothing is copied in).

`build(root)` writes the files and returns what each one must produce. The robustness tests lint the
tree file by file and as a whole; `python tests/hostile.py DIR` writes it for runs by hand (e.g. next to
a corpus: `kubelint-py check CORPUS DIR`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

GOOD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web:1.0.0
          readinessProbe: {httpGet: {path: /, port: 80}}
"""

# A Deployment whose container lacks a readiness probe: KS102 on the `- name:` line (10).
NO_PROBE = GOOD_DEPLOYMENT.replace("          readinessProbe: {httpGet: {path: /, port: 80}}\n", "")
NO_PROBE_LINE = 10

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 10)]
) + "\n"


@dataclass(frozen=True)
class Expect:
    """What linting one hostile file alone must give: these (code, line) pairs, nothing else."""

    findings: frozenset[tuple[str, int]]
    linted: bool = False
    """The file still counts as linted (it has a model the rules ran on)."""


def _e(*pairs: tuple[str, int], linted: bool = False) -> Expect:
    return Expect(frozenset(pairs), linted)


def build(root: Path, *, scale: float = 1.0) -> dict[str, Expect]:
    """Write the hostile files under root; return {relative path: expectation}.

    scale shrinks the merely large files (long lines, many keys or documents) for quick runs; the
    nesting depths and the 50 MB file (sparse) stay as they are.
    """
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Expect] = {}

    def n(count: int) -> int:
        return max(1, int(count * scale))

    def put(name: str, content: str | bytes, expect: Expect) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
        expected[name] = expect
        return path

    put("invalid.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n", _e(("KL001", 4)))
    put("bad-indent.yaml", "apiVersion: v1\nkind: ConfigMap\n  data: x\n", _e(("KL001", 3)))
    put("list.yaml", "- a\n- b\n", _e())
    put("scalar.yaml", "just a string\n", _e())
    put("helm/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n", _e())
    put("helm/templates/deploy.yaml", "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: {{ .Release.Name }}\nspec: {}\n{{- end }}\n", _e())  # rendered (empty: not enabled)
    put("template-outside-chart.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
        "data:\n{{ toYaml .Values.data | indent 2 }}\n", _e(("KL002", 6)))
    put("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), _e(("KL003", 1)))
    put("latin1.yaml", NO_PROBE.replace("web:1.0.0", "web:1.0.0 # caf\xe9").encode("latin-1"),
        _e(("KL006", 11), ("KS102", NO_PROBE_LINE), linted=True))
    put("utf16.yaml", NO_PROBE.encode("utf-16"), _e(("KL006", 1), ("KS102", NO_PROBE_LINE), linted=True))
    put("bom.yaml", b"\xef\xbb\xbf" + NO_PROBE.encode(), _e(("KS102", NO_PROBE_LINE), linted=True))
    put("crlf.yaml", NO_PROBE.replace("\n", "\r\n"), _e(("KS102", NO_PROBE_LINE), linted=True))
    put("tabs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n", _e(("KL001", 4)))
    put("tab-in-value.yaml", NO_PROBE.replace("name: web\n", "name: web\t\n"),
        _e(("KS102", NO_PROBE_LINE), linted=True))
    put("empty.yaml", "", _e())
    put("comments.yaml", "# nothing here\n# at all\n", _e())
    put("separators.yaml", "---\n---\n...\n---\n", _e())
    put("dupkeys.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: '1'\n  a: '2'\n",
        _e(("KL004", 6), linted=True))
    put("laughs.yaml", BILLION_LAUGHS, _e(("KL001", 6)))
    put("deep-flow.yaml", "[" * 20000 + "]" * 20000 + "\n", _e(("KL001", 1)))
    put("deep-flow-map.yaml", "{a: " * 20000 + "1" + "}" * 20000 + "\n", _e(("KL001", 1)))
    put("deep-block-seq.yaml", "- " * 20000 + "x\n", _e(("KL001", 1)))
    # Block mappings by indentation, one space a level: deeper than the cap, as deep as stays small.
    put("deep-block-map.yaml", "".join(" " * i + f"k{i}:\n" for i in range(2000)) + " " * 2000 + "v: 1\n",
        _e(("KL001", 401)))
    put("long-line.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  big: "
        + "x" * n(5 * 1024 * 1024) + "\n", _e(linted=True))
    put("many-keys.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
        + "".join(f"  k{i}: v\n" for i in range(n(200_000))), _e(linted=True))
    put("many-docs.yaml", "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"
                                  for i in range(n(20_000))), _e(linted=True))
    put("python-tag.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
        "  a: !!python/object/apply:os.system ['touch pwned']\n  b: !!python/name:os.system ''\n",
        _e(linted=True))
    put("ansi.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 1\n"
        "# \x1b[2J\x1b]0;owned\x07\n", _e(("KL001", 5)))
    put("unknown/Dockerfile", "FROM alpine:3.20\nFROBNICATE now\nUSER app\n", _e(("KL001", 2), linted=True))
    put("heredoc/Dockerfile", "FROM alpine:3.20\nUSER app\nRUN <<EOF\necho hi\n", _e(("KL001", 3), linted=True))
    put("backslash/Dockerfile", "FROM alpine:3.20\nUSER app\nRUN echo hi \\\n", _e(("KL001", 3), linted=True))
    put("deep-json/Dockerfile", "FROM alpine:3.20\nUSER app\nCMD " + "[" * 20000 + "]" * 20000 + "\n",
        _e(linted=True))
    put("long-run/Dockerfile", "FROM alpine:3.20\nUSER app\nRUN " + "echo a && " * n(500_000) + "true\n",
        _e(linted=True))
    put("long-word/Dockerfile", "FROM alpine:3.20\nUSER app\nRUN " + "a" * n(5 * 1024 * 1024) + "\n",
        _e(linted=True))
    put("quotes/Dockerfile", "FROM alpine:3.20\nUSER app\nRUN " + "'\"" * n(500_000) + "\n", _e(linted=True))
    put("dollar/Dockerfile", "FROM alpine:3.20\nARG A=" + "${A:-" * 50_000 + "x" + "}" * 50_000
        + "\nUSER app\nRUN " + "$(" * 50_000 + "\n", _e(linted=True))
    put("continuations/Dockerfile", "FROM alpine:3.20\nUSER app\nRUN true" + " \\\n  && true" * n(50_000) + "\n",
        _e(linted=True))
    # 50 MB, sparse: the size cap refuses it before reading a byte.
    with (root / "huge.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    expected["huge.yaml"] = _e(("KL003", 1))

    # Things that are not regular readable files.
    (root / "folder.yaml").mkdir()  # a folder with a YAML name is skipped inside a walk, reported if named
    if hasattr(os, "symlink"):
        os.symlink(root / "missing-target.yaml", root / "broken-link.yaml")
        expected["broken-link.yaml"] = _e(("KL003", 1))
        os.symlink(root / "loop-b.yaml", root / "loop-a.yaml")
        os.symlink(root / "loop-a.yaml", root / "loop-b.yaml")
        expected["loop-a.yaml"] = _e(("KL003", 1))
        expected["loop-b.yaml"] = _e(("KL003", 1))
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo.yaml")  # opening it for reading would block forever
        expected["fifo.yaml"] = _e(("KL003", 1))
    put("good/deploy.yaml", GOOD_DEPLOYMENT, _e(linted=True))
    put("good/noprobe.yaml", NO_PROBE, _e(("KS102", NO_PROBE_LINE), linted=True))
    return expected


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    for name in sorted(build(target)):
        print(target / name)
