"""Read cache entries without letting their bytes run code.

A pickle names the callables it needs to rebuild its objects, and the standard unpickler imports and
calls whatever is named: whoever can write a cache entry (a cache restored from another CI job, a shared
folder) could run any code. `loads` resolves only the classes in ALLOWED, our own plain data classes,
and the one builtin helper their pickles use (`tuple.__new__`, which rebuilds a Span without running
Python code); any other name fails the load, which the caller treats as a cache miss. Nothing else is
needed: builtin containers, strings, numbers and sets have opcodes of their own.

This keeps the C unpickler's speed (each class is looked up once per entry): about the cost of plain
`pickle.loads` (benchmarks/README.md).
"""

from __future__ import annotations

import importlib
import io
import pickle
from typing import Any, TypeVar

_T = TypeVar("_T")

ALLOWED: dict[str, frozenset[str]] = {
    "kubelint_py.core.findings": frozenset({"Edit", "Finding", "Fix", "Related", "Severity", "Suppression"}),
    "kubelint_py.core.source": frozenset({"FileSpan", "Location", "Span"}),
    "kubelint_py.loading.build_context": frozenset({"ContextListing"}),
    "kubelint_py.loading.source_file": frozenset({"SourceFile"}),
    "kubelint_py.models.compose": frozenset({"ComposeFile", "ComposeService"}),
    "kubelint_py.models.dockerfile": frozenset({"Comment", "Dockerfile", "Flag", "Heredoc", "Instruction",
                                               "ParseProblem", "Stage"}),
    "kubelint_py.models.kubernetes": frozenset({"Resource"}),
    "kubelint_py.models.located": frozenset({"YList", "YMap"}),
    "kubelint_py.parsing.yaml": frozenset({"Ambiguity"}),
}
"""Module -> class names an entry may name. A class added to the models or to findings must be added
here (the cache tests load every fixture's model and a replay entry of the fixtures' findings through
this list, so a missing one fails them, not users' runs: for users it is a cache miss)."""


class UnsafeEntry(pickle.UnpicklingError):
    """The entry names something outside the allow-list."""


def _tuple_attribute(owner: Any, name: str) -> Any:
    """The `getattr` a protocol-5 pickle uses to name `tuple.__new__`, and nothing else."""
    if owner is tuple and name == "__new__":
        return tuple.__new__
    raise UnsafeEntry(f"attribute {name!r} is not allowed in a cache entry")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins":
            if name == "tuple":
                return tuple
            if name == "getattr":
                return _tuple_attribute
        elif name in ALLOWED.get(module, ()):
            return getattr(importlib.import_module(module), name)
        raise UnsafeEntry(f"{module}.{name} is not allowed in a cache entry")


def loads(blob: bytes) -> Any:
    """Unpickle `blob` using only the allowed classes (UnsafeEntry, or another UnpicklingError/ValueError
    for a corrupt entry, otherwise)."""
    return _Unpickler(io.BytesIO(blob)).load()


def loads_as(blob: bytes, expected: type[_T]) -> _T | None:
    """The entry when it unpickles safely to an `expected`; None for anything else (never raises)."""
    try:
        value = loads(blob)
    except Exception:  # unsafe, truncated or foreign: a miss, whatever the unpickler raises
        return None
    return value if isinstance(value, expected) else None
