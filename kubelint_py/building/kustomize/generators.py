"""configMapGenerator / secretGenerator: the objects kustomize generates, and its content-hash suffix."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from typing import Any, Protocol

from kubelint_py.building.kustomize.nodes import BuildError, ensure_map, plain, set_value
from kubelint_py.building.kustomize.transforms import Obj
from kubelint_py.core.source import FileSpan, Span
from kubelint_py.models.located import YList, YMap

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_KEY_NAME = re.compile(r"[-._a-zA-Z0-9]+")


class FileSource(Protocol):
    def read_bytes(self, folder: str, relative: str, span: Span) -> tuple[bytes, str]:
        """The bytes of a file the kustomization names, and its display path (BuildError when missing)."""
        ...


def _remove_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _pairs(entry: YMap, folder: str, files: FileSource, span: Span) -> list[tuple[str, bytes | str, Span, Span]]:
    """(key, value, key span, value span) of one generator entry: envs, then files, then literals."""
    found: list[tuple[str, bytes | str, Span, Span]] = []
    envs: list[tuple[Any, Span]] = []
    env_list = entry.get_list("envs")
    if env_list is not None:
        envs.extend((item, env_list.item_span(i)) for i, item in enumerate(env_list))
    if isinstance(entry.get("env"), str):
        envs.append((entry["env"], entry.value_span("env")))
    for item, item_span in envs:
        if not isinstance(item, str):
            raise BuildError("an env file entry must be a path", item_span)
        data, shown = files.read_bytes(folder, item, item_span)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BuildError(f"env file '{item}' is not UTF-8", item_span) from None
        for number, raw in enumerate(text.split("\n"), 1):
            line = raw.removesuffix("\r")
            if number == 1:
                line = line.removeprefix("\ufeff")
            line = line.lstrip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not _ENV_NAME.fullmatch(key):
                raise BuildError(f"env file '{item}' line {number}: '{key}' is not a valid variable name", item_span)
            where = FileSpan(shown, Span(number, 1, number, len(raw) + 1))
            found.append((key, value if sep else "", where, where))
    file_list = entry.get_list("files")
    for index, item in enumerate(file_list or ()):
        item_span = file_list.item_span(index) if file_list is not None else span
        if not isinstance(item, str):
            raise BuildError("a files entry must be a path or key=path", item_span)
        key, sep, path = item.partition("=")
        if not sep:
            key, path = os.path.basename(item), item
        if not key or not path:
            raise BuildError(f"files entry '{item}' is not a path or key=path", item_span)
        data, _ = files.read_bytes(folder, path, item_span)
        found.append((key, data, item_span, item_span))
    literals = entry.get_list("literals")
    for index, item in enumerate(literals or ()):
        item_span = literals.item_span(index) if literals is not None else span
        text = "" if item is None else str(item)
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise BuildError(f"literal '{text}' is not key=value", item_span)
        found.append((key, _remove_quotes(value), item_span, item_span))
    return found


def _base64(data: bytes) -> str:
    """Base64 as kustomize writes generated values: lines of 70 characters, each ending in a newline,
    once the text is 70 characters or longer."""
    text = base64.b64encode(data).decode("ascii")
    if len(text) < 70:
        return text
    return "".join(text[i:i + 70] + "\n" for i in range(0, len(text), 70))


def _options(kustomization: YMap, entry: YMap) -> dict[str, Any]:
    merged: dict[str, Any] = {"labels": {}, "annotations": {}, "hash": True, "immutable": None,
                              "label_node": [], "annotation_node": []}
    for node in (kustomization.get_map("generatorOptions"), entry.get_map("options")):
        if node is None:
            continue
        for key, target in (("labels", "label_node"), ("annotations", "annotation_node")):
            found = node.get_map(key)
            if found is not None:
                merged[key].update({str(k): found for k in found})
                merged[target].append(found)
        if "disableNameSuffixHash" in node:
            merged["hash"] = node.get("disableNameSuffixHash") is not True
        if "immutable" in node:
            merged["immutable"] = node.get("immutable") is True
    return merged


def generate(kustomization: YMap, folder: str, files: FileSource, objs: list[Obj], display: str) -> None:
    """Run configMapGenerator and secretGenerator of one kustomization into objs."""
    for field_name, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        entries = kustomization.get_list(field_name)
        if entries is None:
            continue
        for index, entry in entries.maps():
            _generate_one(kustomization, entry, entries.item_span(index), kind, folder, files, objs, display)


def _generate_one(kustomization: YMap, entry: YMap, span: Span, kind: str, folder: str, files: FileSource,
                  objs: list[Obj], display: str) -> None:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise BuildError(f"a {kind} generator needs a name", span)
    name_span = entry.value_span("name")
    behavior = entry.get("behavior")
    if behavior not in ("merge", "replace"):  # kustomize reads any other value as create
        behavior = "create"
    options = _options(kustomization, entry)
    pairs = _pairs(entry, folder, files, span)
    namespace = entry.get("namespace") if isinstance(entry.get("namespace"), str) else None
    body = YMap(span)
    set_value(body, "apiVersion", "v1", name_span)
    set_value(body, "kind", kind, name_span)
    meta = ensure_map(body, "metadata", name_span)
    set_value(meta, "name", name, name_span)
    if namespace:
        set_value(meta, "namespace", namespace, entry.value_span("namespace"))
    for key, nodes in (("labels", options["label_node"]), ("annotations", options["annotation_node"])):
        for node in nodes:
            target = ensure_map(meta, key, node.span)
            for k in node:
                value = node[k]
                set_value(target, str(k), "" if value is None else str(value), node.value_span(k),
                          key_span=node.key_span(k))
    if kind == "Secret":
        secret_type = entry.get("type")
        set_value(body, "type", secret_type if isinstance(secret_type, str) and secret_type else "Opaque",
                  entry.value_span("type") if "type" in entry else name_span)
    for key, value, key_span, value_span in pairs:
        if not _KEY_NAME.fullmatch(key):
            raise BuildError(f"'{key}' is not a valid {kind} key", key_span)
        if kind == "Secret":
            raw = value if isinstance(value, bytes) else value.encode("utf-8")
            section, stored = "data", _base64(raw)
        elif isinstance(value, bytes):
            try:
                section, stored = "data", value.decode("utf-8")
            except UnicodeDecodeError:
                section, stored = "binaryData", _base64(value)
        else:
            section, stored = "data", value
        target = ensure_map(body, section, span)
        if key in target:
            raise BuildError(f"key '{key}' is defined twice in {kind} generator '{name}'", key_span)
        set_value(target, key, stored, value_span, key_span=key_span)
    if options["immutable"]:
        set_value(body, "immutable", True, span)
    if kind == "Secret":
        ensure_map(body, "data", span)  # kustomize writes `data: {}` for an empty Secret
    made = Obj(body, display, 0, span, hash_suffix=options["hash"], generator_span=name_span)
    if behavior == "create":
        for other in objs:
            if other.kind == kind and name in other.names() and other.namespace == made.namespace:
                raise BuildError(f"{kind} '{name}' is generated twice (use behavior: merge or replace)", name_span)
        objs.append(made)
        return
    existing = [o for o in objs if o.kind == kind and name in o.names()
                and (namespace is None or o.namespace == namespace)]
    if len(existing) != 1:
        raise BuildError(f"{kind} '{name}' to {behavior} is not in the base", entry.value_span("behavior"))
    old = existing[0]
    if behavior == "replace":
        for section in ("data", "binaryData"):
            old.body.pop(section, None)
    for section in ("data", "binaryData"):
        new = body.get_map(section)
        if new is not None:
            target = ensure_map(old.body, section, new.span)
            for key in new:
                set_value(target, key, new[key], new.value_span(key), key_span=new.key_span(key))
    for section in ("labels", "annotations"):
        new = meta.get_map(section)
        if new is not None:
            target = ensure_map(old.meta, section, new.span)
            for key in new:
                set_value(target, key, new[key], new.value_span(key), key_span=new.key_span(key))
    if options["immutable"]:
        set_value(old.body, "immutable", True, span)
    if entry.get_map("options") is not None and "disableNameSuffixHash" in entry.get_map("options"):  # type: ignore[operator]
        old.hash_suffix = options["hash"]


# --- the content hash ---------------------------------------------------------------------------------


def _go_json(value: Any) -> str:
    """json.Marshal's output: sorted keys, no spaces, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _field(body: YMap, key: str) -> Any:
    value = body.get(key)
    if value is None:
        return ""
    if isinstance(value, YMap | YList):
        return plain(value)
    return str(value)


def content_hash(body: YMap) -> str:
    """The suffix kustomize appends to a generated name (api/hasher). Its name lookup asks for a field
    literally called "metadata/name", so the name is always "": a prefix does not change the hash."""
    kind = body.get("kind")
    encoded: dict[str, Any]
    if kind == "ConfigMap":
        encoded = {"kind": "ConfigMap", "name": "", "data": _field(body, "data")}
        if isinstance(body.get("binaryData"), YMap):
            encoded["binaryData"] = _field(body, "binaryData")
    elif kind == "Secret":
        encoded = {"kind": "Secret", "name": "", "data": _field(body, "data"), "type": _field(body, "type")}
        if isinstance(body.get("stringData"), YMap):
            encoded["stringData"] = _field(body, "stringData")
    else:
        encoded = plain(body)
    digest = hashlib.sha256(_go_json(encoded).encode("utf-8")).hexdigest()[:10]
    return digest.translate(_HASH_LETTERS)


_HASH_LETTERS = str.maketrans("013ae", "ghkmt")
