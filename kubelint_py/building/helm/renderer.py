"""Talking to the render process (child.py): start it once per run, one request per render, a time limit
per render (a render over it kills the process; the next render starts a new one)."""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

RENDER_SECONDS = 30.0
MAX_ANSWER_BYTES = 64 * 1024**2
EXTRA_HINT = ("install the renderer with `pip install 'kubelint-py[helm]'`, or put a `helm` binary on PATH, "
              "to lint charts")


def sdk_available() -> bool:
    """Whether helm-python-sdk is installed (found, not imported: importing it loads Helm into this
    process, which only the child may do)."""
    try:
        return importlib.util.find_spec("helm_python") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class RenderRequest:
    chart: str
    values: list[str]
    """Texts of the values files, in order (later ones win)."""
    set: list[str]
    release: str
    namespace: str
    nonce: str
    files: dict[str, str] = field(default_factory=dict)
    """Chart-relative path -> text held in memory (an editor's buffer), in place of that file: part of
    the render's identity; the stage renders a copy of the chart with them written in (chart: the copy,
    files: empty), so every renderer sees an ordinary folder."""

    def payload(self) -> dict[str, Any]:
        """What identifies the render (the cache key is made of it)."""
        found: dict[str, Any] = {"chart": self.chart, "values": self.values, "set": self.set,
                                 "release": self.release, "namespace": self.namespace, "nonce": self.nonce}
        if self.files:
            found["files"] = self.files
        return found


@dataclass
class Renderer:
    """One render process, started on first use, ended by close()."""

    timeout: float = RENDER_SECONDS
    process: subprocess.Popen[bytes] | None = None
    broken: str | None = None
    """Why the renderer cannot work at all (the SDK does not load): every render then fails with it."""

    def _start(self) -> subprocess.Popen[bytes]:
        env = {key: value for key, value in os.environ.items()
               if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "HELM_C_LIB")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # This package's own location, however it was installed; no PYTHONPATH or folder of the linted tree.
        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.path.dirname(package)
        return subprocess.Popen([sys.executable, "-m", "kubelint_py.building.helm.child"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=env, cwd=tempfile.gettempdir(), close_fds=True)

    def render(self, request: RenderRequest) -> dict[str, Any]:
        if self.broken is not None:
            return {"ok": False, "error": self.broken, "fatal": True}
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        from kubelint_py.building.helm.marking import marked_copy

        payload = request.payload()
        copy = marked_copy(request.chart, request.nonce)
        try:
            if copy is not None:
                payload.update(marked=copy[1], ids=copy[2])
            return self._exchange(process, payload)
        finally:
            if copy is not None:
                shutil.rmtree(copy[0], ignore_errors=True)

    def _exchange(self, process: subprocess.Popen[bytes], payload: dict[str, Any]) -> dict[str, Any]:
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(payload).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            pass  # it died (the SDK failed to load): its answer, if any, is on stdout
        answer = self._read_line(process)
        if answer is None:
            self.close()
            return {"ok": False, "error": f"the render took longer than {self.timeout:g} s, ran out of memory or "
                    f"wrote more than {MAX_ANSWER_BYTES // 1024**2} MiB, and was stopped", "limit": True}
        try:
            decoded: dict[str, Any] = json.loads(answer)
        except ValueError:
            self.close()
            return {"ok": False, "error": "the render process answered nonsense"}
        if decoded.get("fatal"):
            self.broken = str(decoded.get("error"))
            self.close()
        return decoded

    def _read_line(self, process: subprocess.Popen[bytes]) -> bytes | None:
        assert process.stdout is not None
        deadline = time.monotonic() + self.timeout
        descriptor = process.stdout.fileno()
        chunks: list[bytes] = []
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([descriptor], [], [], left)
            if not ready:
                return None
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                return None
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                return None
            if chunk.endswith(b"\n"):
                return b"".join(chunks)

    def close(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()
