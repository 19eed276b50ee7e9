"""A stand-in for the `helm` binary in tests (CI has no helm): replays what the real `helm template`
(Helm v4.3.1, the official linux-amd64 release binary) printed for fixtures/helm/shop, with the markers
of nonce 000000000000. With a file `real` beside the copy naming a real helm, it runs that and records
(how the recordings were made). Every call is logged to `calls.jsonl` beside the copy, for the tests.

Which recording: the chart folder's name (shop, or another's as a prefix), plain or marked chart (a
marked copy lives in a `kubelint-helm-` scratch folder), the default or prod render (a values file
given), the shop chart as shipped, with a template that fails, or without its dependency.
"""

import json
import os
import subprocess
import sys

# The test's folder (where the wrapper named `helm` that runs this file sits), else this file's.
HERE = str(globals().get("LOG_DIR") or os.path.dirname(os.path.abspath(__file__)))
RECORDED = os.path.dirname(os.path.realpath(__file__))


def key(arguments: list[str]) -> str:
    chart = arguments[-1]
    marked = "kubelint-helm-" in chart
    prod = any(a.startswith("--values=") for a in arguments)
    try:
        with open(os.path.join(chart, "templates", "deployment.yaml"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        text = ""
    broken = "-nosuch" if "nosuch" in text else ""
    missing = "" if os.path.basename(os.path.normpath(chart)) != "shop" or os.path.isdir(
        os.path.join(chart, "charts", "cache")) else "-missing"
    chart_name = os.path.basename(os.path.normpath(chart))
    prefix = "" if chart_name == "shop" else f"{chart_name}-"  # another chart: recorded under its folder's name
    return f"{prefix}{'marked' if marked else 'plain'}-{'prod' if prod else 'default'}{broken}{missing}"


def main() -> int:
    arguments = sys.argv[1:]
    with open(os.path.join(HERE, "calls.jsonl"), "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": arguments, "env": dict(os.environ), "cwd": os.getcwd()}) + "\n")
    name = key(arguments)
    real = os.path.join(HERE, "real")
    if os.path.isfile(real):
        with open(real, encoding="utf-8") as handle:
            helm = handle.read().strip()
        done = subprocess.run([helm, *arguments], capture_output=True, check=False)
        # Without the debug log lines: they name this machine's scratch folders.
        stderr = b"".join(line for line in done.stderr.splitlines(keepends=True) if not line.startswith(b"level="))
        for suffix, data in (("out", done.stdout), ("err", stderr), ("rc", str(done.returncode).encode())):
            with open(os.path.join(RECORDED, f"{name}.{suffix}"), "wb") as handle:
                handle.write(data)
    for suffix, stream in (("out", sys.stdout.buffer), ("err", sys.stderr.buffer)):
        with open(os.path.join(RECORDED, f"{name}.{suffix}"), "rb") as handle:
            stream.write(handle.read())
    with open(os.path.join(RECORDED, f"{name}.rc"), encoding="utf-8") as handle:
        return int(handle.read())


if __name__ == "__main__":
    sys.exit(main())
