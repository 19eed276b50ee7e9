"""Language-server latency: how long after an edit the editor gets new diagnostics.

    python benchmarks/lsp_latency.py                 # 2,000-file workspace, 20 edits
    python benchmarks/lsp_latency.py --files 500 --edits 10 --workdir /tmp/lspb

A scripted client (pygls) starts `kubelint-py lsp` the way an editor does, opens a workspace generated
by benchmarks/corpus.py, opens a manifest of about 200 lines and changes it again and again (each edit
flips an image tag, so the findings change). For each edit it measures the time from sending didChange
to receiving the diagnostics of that buffer, and subtracts the server's debounce (the pause it waits for
more typing): what is left is the work done for the edit. Also printed: the time to the first
diagnostics after didOpen (the buffer alone) and to those with the workspace loaded (in the background).
Run it on a quiet machine: the figures are wall times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from kubelint_py.lsp.server import DEBOUNCE_SECONDS


def manifest(lines: int, tag: str) -> str:
    """A Deployment padded with labelled env vars to about `lines` lines."""
    head = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: edited
  labels: {{app: edited}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: edited}}
  template:
    metadata:
      labels: {{app: edited}}
    spec:
      containers:
        - name: app
          image: registry.example.com/edited:{tag}
          env:
"""
    body = [f"            - name: SETTING_{i}\n              value: \"{i}\"\n" for i in range((lines - 17) // 2)]
    return head + "".join(body)


async def measure(root: Path, edits: int) -> None:
    client = LanguageClient("lsp-latency", "1")
    arrived: dict[str, asyncio.Event] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(_: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        arrived.setdefault(params.uri, asyncio.Event()).set()

    await client.start_io(sys.executable, "-m", "kubelint_py", "lsp")
    folder = types.WorkspaceFolder(uri=root.as_uri(), name="bench")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         workspace_folders=[folder]))
    client.initialized(types.InitializedParams())
    path = root / "edited" / "deployment.yaml"
    path.parent.mkdir(exist_ok=True)
    text = manifest(200, "1.0.0")
    path.write_text(text)
    uri = path.as_uri()
    event = arrived.setdefault(uri, asyncio.Event())
    started = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    await asyncio.wait_for(event.wait(), 600)
    print(f"first diagnostics after didOpen (the buffer alone): {time.perf_counter() - started:.3f} s")
    event.clear()
    await asyncio.wait_for(event.wait(), 600)
    print(f"diagnostics with the workspace loaded as context: {time.perf_counter() - started:.3f} s")
    samples = []
    for version in range(2, edits + 2):
        event.clear()
        tag = "latest" if version % 2 else f"1.0.{version}"
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=manifest(200, tag))]))
        await asyncio.wait_for(event.wait(), 60)
        samples.append(time.perf_counter() - sent - DEBOUNCE_SECONDS)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    samples.sort()
    print(f"edit -> diagnostics, beyond the {DEBOUNCE_SECONDS * 1000:.0f} ms debounce, {len(samples)} edits: "
          f"median {statistics.median(samples) * 1000:.0f} ms, "
          f"p90 {samples[int(len(samples) * 0.9) - 1] * 1000:.0f} ms, max {samples[-1] * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="Kubernetes files in the workspace")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kubelint-lsp-bench"))
    args = parser.parse_args()
    root = args.workdir / f"ws{args.files}"
    stats = generate(root, args.files * 2, k8s_files=args.files)
    print(f"workspace: {stats.files} files, {stats.objects} Kubernetes objects")
    asyncio.run(measure(root, args.edits))


if __name__ == "__main__":
    main()
