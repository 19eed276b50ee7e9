"""Regenerate kubelint_py/schemas/kubernetes.schemas.gz from the PyPI package kubernetes-validate.

kubernetes-validate ships, for every Kubernetes minor version it knows, the OpenAPI-derived JSON Schemas
(normal and "-strict") as ~730 files per version: a 22 MB wheel that unpacks to 110 MB. We only need the
strict `_definitions.json` of each version (the normal variant is the same minus
`additionalProperties: false`, which the validator can ignore at run time), with descriptions and
formats dropped, and most definitions are identical from one version to the next. So this script
writes one gzipped file: a line of JSON, the index,

    {"source": "kubernetes-validate X.Y.Z",
     "versions": ["1.25", ..., "1.37"],
     "defs": {name: [[version_mask, start, end], ...]},  # bit i of the mask = versions[i]
     "kinds": [[apiVersion, kind, def_name, version_mask], ...]}

then every definition's schema as compact JSON, one after another: bytes start..end after the index's
newline. A run decodes the index and only the definitions the linted kinds refer to (about 120 of
1,150 for a Deployment), not 600 KB of JSON it mostly does not need.

Usage (needs network access to PyPI once; nothing at lint time does):

    python tools/regenerate_k8s_schemas.py                 # pip download the latest kubernetes-validate
    python tools/regenerate_k8s_schemas.py path/to/kubernetes_validate-1.37.0-py3-none-any.whl
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "kubelint_py" / "schemas" / "kubernetes.schemas.gz"
FIRST_VERSION = (1, 25)
# Keywords that carry no validation we use (docs, merge hints, formats jsonschema ignores by default).
_DROP = {"description", "format", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
         "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-map-type",
         "x-kubernetes-unions", "x-kubernetes-group-version-kind", "$schema", "$id"}
_DIR = re.compile(r"kubernetes-json-schema/v(\d+)\.(\d+)\.\d+-local-strict/_definitions\.json$")


def _clean(node: Any, parent_key: str = "") -> Any:
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if parent_key == "properties":  # property names, not keywords: keep every one
            result[key] = _clean(value)
        elif key in _DROP:
            continue
        else:
            result[key] = _clean(value, key)
    # IntOrString and Quantity are `oneOf: [{type: [string, null]}, {type: [integer, null]}]`: a null
    # matches both branches and fails oneOf. anyOf is what is meant.
    if "oneOf" in result:
        result["anyOf"] = result.pop("oneOf")
    # The object's own apiVersion/kind enums: we pick the schema by apiVersion and kind already.
    props = result.get("properties")
    if isinstance(props, dict):
        for key in ("apiVersion", "kind"):
            if isinstance(props.get(key), dict):
                props[key].pop("enum", None)
    return result


def _gvks(schema: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for gvk in schema.get("x-kubernetes-group-version-kind", []):
        group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
        found.append((f"{group}/{version}" if group else version, kind))
    return found


def _wheel() -> Path:
    target = Path(tempfile.mkdtemp(prefix="kubernetes-validate-"))
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(target),
                    "kubernetes-validate"], check=True)
    return next(target.glob("kubernetes_validate-*.whl"))


def build(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        by_version: dict[tuple[int, int], str] = {}
        for name in archive.namelist():
            match = _DIR.search(name)
            if match:
                version = (int(match.group(1)), int(match.group(2)))
                if version >= FIRST_VERSION:
                    by_version[version] = name
        versions = sorted(by_version)
        defs: dict[str, list[list[Any]]] = {}
        kinds: dict[tuple[str, str, str], int] = {}
        for position, version in enumerate(versions):
            raw = json.loads(archive.read(by_version[version]))["$defs"]
            for def_name, schema in raw.items():
                for api_version, kind in _gvks(schema):
                    # Meta types listed under every group version are not objects one applies.
                    if kind in ("WatchEvent", "DeleteOptions", "Status", "APIGroup", "APIGroupList",
                                "APIResourceList", "APIVersions"):
                        continue
                    key = (api_version, kind, def_name)
                    kinds[key] = kinds.get(key, 0) | (1 << position)
                cleaned = _clean(schema)
                variants = defs.setdefault(def_name, [])
                for variant in variants:
                    if variant[1] == cleaned:
                        variant[0] |= 1 << position
                        break
                else:
                    variants.append([1 << position, cleaned])
    wheel_version = wheel.name.split("-")[1]
    return {
        "source": f"kubernetes-validate {wheel_version} (strict schemas; descriptions and formats removed)",
        "versions": [f"{major}.{minor}" for major, minor in versions],
        "defs": defs,
        "kinds": [[api_version, kind, def_name, mask]
                  for (api_version, kind, def_name), mask in sorted(kinds.items())],
    }


def pack(data: dict[str, Any]) -> bytes:
    """The index line and the concatenated definitions (the layout in this module's docstring)."""
    blob = bytearray()
    index_defs: dict[str, list[list[int]]] = {}
    for name in sorted(data["defs"]):
        for mask, schema in data["defs"][name]:
            text = json.dumps(schema, separators=(",", ":"), sort_keys=True).encode()
            index_defs.setdefault(name, []).append([mask, len(blob), len(blob) + len(text)])
            blob += text
    index = {**data, "defs": index_defs}
    return json.dumps(index, separators=(",", ":"), sort_keys=True).encode() + b"\n" + bytes(blob)


def main(argv: list[str]) -> int:
    wheel = Path(argv[1]) if len(argv) > 1 else _wheel()
    data = build(wheel)
    text = pack(data)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives byte-identical output.
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as handle:
        handle.write(text)
    print(f"{OUT}: {len(data['versions'])} versions ({data['versions'][0]}..{data['versions'][-1]}), "
          f"{len(data['defs'])} definitions, {len(data['kinds'])} kinds, {len(text):,} bytes, "
          f"{OUT.stat().st_size:,} bytes gzipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
