"""The console script (`kubelint-py`, `python -m kubelint_py`): run one command line, then end the process.

The parsing and the commands are in cli.app (one argparse parser); this module only owns the process:
after a large run, tearing down millions of model objects one by one takes longer than writing the
report, so once the output is flushed the process ends at once (os._exit). Under a profiler or a tracer
(`python -m cProfile -m kubelint_py ...`, coverage, a debugger) it exits normally instead, so they can
write what they collected.
"""

from __future__ import annotations

import os
import sys

from kubelint_py.cli.app import run
from kubelint_py.cli.check import KEEP_ALIVE


def main() -> None:
    """Run `sys.argv` and exit with its code without freeing the report (see cli.check.KEEP_ALIVE)."""
    KEEP_ALIVE[:] = [None]
    code = run(sys.argv[1:])
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (`>&-`)
            continue
        try:
            stream.flush()
        except OSError:  # a closed pipe (`kubelint-py check | head`), a full disk
            code = code or 1
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    os._exit(code)
