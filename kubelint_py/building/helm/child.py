"""The render process: `python -m kubelint_py.building.helm.child`, one JSON request per stdin line, one
JSON answer per stdout line.

It runs Helm's engine (the helm-python-sdk package, which embeds Helm v4) on charts of the linted
repository, so it runs apart from the linter: capped in memory, CPU time and file size, in an empty
network namespace where the kernel allows one (nothing in a render needs the network; the SDK's
offline render gives `lookup` nothing and `getHostByName` an empty string), and killed by the parent
when a render takes too long. It imports nothing of kubelint_py beyond the template marker.

Request: {"chart": dir, "values": [yaml text, ...], "set": ["a.b=c", ...], "release": str,
"namespace": str, "nonce": str, "marked": dir of the marked copy (made by the parent: this process
writes no file), "ids": {chart-relative template: marker id}}. Answer: {"ok": true, "outputs":
[{"name", "file", "text", "lines", "skipped", "exact"}], "missing": [dependency names]} or {"ok": false, "error": str}.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys
from typing import Any

MEMORY_LIMIT = 2 * 1024**3
CPU_SECONDS = 60
MAX_FILE_BYTES = 1024**2
MAX_CHART_FILES = 20_000
MAX_CHART_DEPTH = 6

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def confine() -> None:
    """Limits for this process, then (where unprivileged user namespaces exist) a network namespace of
    its own with no interface but a down loopback. Must run before the Go runtime starts threads."""
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT), (resource.RLIMIT_CPU, CPU_SECONDS),
                         (resource.RLIMIT_FSIZE, MAX_FILE_BYTES), (resource.RLIMIT_CORE, 0)):
        try:
            _soft, hard = resource.getrlimit(limit)
            wanted = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (wanted, hard))
        except (ValueError, OSError):
            pass
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
        except (OSError, AttributeError):
            pass


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of -f files and --set: maps merge key by key, anything else replaces."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _metadata(helm: Any, chart: str) -> dict[str, Any]:
    try:
        with open(os.path.join(chart, "Chart.yaml"), encoding="utf-8") as handle:
            found = helm.values_from_yaml(handle.read())
    except Exception:
        return {}
    return found if isinstance(found, dict) else {}


def _helm_names(helm: Any, root: str) -> dict[str, str]:
    """Helm's name of each unpacked chart folder (`parent/charts/sub`, or `parent/charts/<alias>` for an
    aliased dependency, once per alias) -> the folder relative to root."""
    names: dict[str, str] = {}
    stack: list[tuple[str, str, int, str | None]] = [(root, "", 0, None)]
    while stack and len(names) < MAX_CHART_FILES:
        chart, prefix, depth, alias = stack.pop()
        metadata = _metadata(helm, chart)
        name = alias or str(metadata.get("name") or os.path.basename(chart))
        helm_name = f"{prefix}/charts/{name}" if prefix else name
        names[helm_name] = os.path.relpath(chart, root)
        aliases: dict[str, list[str]] = {}
        for dependency in metadata.get("dependencies") or []:
            if isinstance(dependency, dict) and dependency.get("alias") and dependency.get("name"):
                aliases.setdefault(str(dependency["name"]), []).append(str(dependency["alias"]))
        charts = os.path.join(chart, "charts")
        if depth < MAX_CHART_DEPTH and os.path.isdir(charts):
            for entry in sorted(os.listdir(charts)):
                sub = os.path.join(charts, entry)
                if os.path.isfile(os.path.join(sub, "Chart.yaml")):
                    sub_name = str(_metadata(helm, sub).get("name") or entry)
                    stack.append((sub, helm_name, depth + 1, None))
                    for other in aliases.get(sub_name, []):
                        stack.append((sub, helm_name, depth + 1, other))
    return names


def _file_of(name: str, names: dict[str, str]) -> str | None:
    """The chart-relative file of a rendered template name, or None (a template of a packed subchart)."""
    best = ""
    for helm_name in names:
        if name.startswith(helm_name + "/templates/") and len(helm_name) > len(best):
            best = helm_name
    if not best:
        return None
    folder = names[best]
    rest = name[len(best) + 1:]
    return os.path.normpath(os.path.join(folder, rest))


def render(helm: Any, request: dict[str, Any]) -> dict[str, Any]:
    from kubelint_py.building.helm.template_text import unmark

    chart_dir = request["chart"]
    values: dict[str, Any] = {}
    for text in request.get("values", []):
        loaded = helm.values_from_yaml(text) if text.strip() else {}
        _merge(values, loaded if isinstance(loaded, dict) else {})
    for expression in request.get("set", []):
        _merge(values, helm.parse_set_string(expression))
    options = {"name": request["release"], "namespace": request["namespace"], "is_install": True}
    missing = [d.get("name", "") for d in helm.dependency_list(chart_dir) if d.get("status") == "missing"] \
        if os.path.isfile(os.path.join(chart_dir, "Chart.yaml")) else []
    try:
        with helm.Chart.load(chart_dir) as chart:
            plain: dict[str, str] = chart.render(values, **options)
    except helm.HelmError as error:  # a missing dependency is often why: say both
        return {"ok": False, "error": str(error), "type": type(error).__name__, "missing": missing}
    names = _helm_names(helm, chart_dir)
    nonce = request["nonce"]
    ids: dict[str, int] = {str(k): int(v) for k, v in (request.get("ids") or {}).items()}
    marked: dict[str, str] = {}
    if request.get("marked"):
        try:
            with helm.Chart.load(request["marked"]) as chart:
                marked = chart.render(values, **options)
        except Exception:  # the plain render stands; lines then map by text only
            marked = {}
    outputs = []
    for name, text in sorted(plain.items()):
        owner = _file_of(name, names)
        entry: dict[str, Any] = {"name": name, "file": owner, "text": text, "lines": [], "skipped": [],
                                 "exact": False}
        if owner is not None and owner in ids and name in marked:
            mapped = unmark(marked[name], nonce, ids[owner])
            if mapped.text == text:
                entry.update(lines=mapped.lines, skipped=mapped.skipped, exact=True)
            elif mapped.text.count("\n") == text.count("\n"):
                # Same lines, a few with other text: a value computed from an included template's text
                # (`include (print $.Template.BasePath "/configmap.yaml") . | sha256sum`) saw the markers.
                # Markers never add or remove a line, so the lines still correspond one to one.
                entry.update(lines=mapped.lines, skipped=mapped.skipped, exact=True)
        outputs.append(entry)
    return {"ok": True, "outputs": outputs, "missing": missing}


def exec_confined(arguments: list[str]) -> None:
    """`child --exec PROGRAM ARGS...`: confine this process, then become PROGRAM (the `helm` binary of
    binary.py), without the variables that only this Python needed. Confining here, not between fork and
    exec of the linter, keeps it out of a process that may have threads (the language server)."""
    confine()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    try:
        os.execve(arguments[0], arguments, env)
    except OSError as error:
        sys.stderr.write(f"Error: the helm binary cannot be started: {error.strerror or error}\n")
        sys.exit(127)


def main() -> None:
    if sys.argv[1:2] == ["--exec"] and len(sys.argv) > 2:
        exec_confined(sys.argv[2:])
        return
    confine()
    try:
        import helm_python as helm
    except Exception as error:  # not installed, or its native library does not load here
        sys.stdout.write(json.dumps({"ok": False, "fatal": True, "error": f"{type(error).__name__}: {error}"}))
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = render(helm, json.loads(line))
        except helm.HelmError as error:
            answer = {"ok": False, "error": str(error), "type": type(error).__name__}
        except Exception as error:
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}", "type": "internal"}
        sys.stdout.write(json.dumps(answer))
        sys.stdout.write("\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
