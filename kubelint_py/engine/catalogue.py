"""Every rule a run may know: the tool's own (engine.diagnostics, KL codes), the rule modules under
kubelint_py/checks/<format>/, and the declarative policies (engine.policies: the shipped rules/*.yaml and
the configured user policy files).

Rule modules are plugins: they import the engine (the registry, the index), never the other way round.
They are found by walking the `kubelint_py.checks.<format>` packages, and only the formats a run needs
are imported; a new rule is one new module there and nothing here changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Sequence

from kubelint_py.engine import diagnostics  # noqa: F401  (registers the KL rules)
from kubelint_py.engine.registry import FORMATS, Rule, loaded_rules, registered

RULE_PACKAGES = "kubelint_py.checks"
"""Where the rule modules are: one package per format, one or more rules per module."""

_LOADED_FORMATS: set[str] = set()


def load_rules(formats: Iterable[str] = FORMATS, *, builtin_policies: bool = True) -> None:
    """Import the rule modules of the given formats (once each) and, unless told not to, register the
    shipped declarative policies (rules/*.yaml) of those formats."""
    for fmt in formats:
        if fmt == "general":
            continue
        if fmt not in _LOADED_FORMATS:
            _LOADED_FORMATS.add(fmt)
            package_name = f"{RULE_PACKAGES}.{fmt}"
            package = importlib.import_module(package_name)
            for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if not module.name.startswith("_"):
                    importlib.import_module(f"{package_name}.{module.name}")
        if builtin_policies and fmt in ("kubernetes", "compose", "dockerfile"):
            from kubelint_py.engine.policies import register_builtin  # jsonschema and YAML: only when wanted

            register_builtin(fmt)  # once per format


def all_rules() -> list[Rule]:
    """Every rule of every format, by code."""
    load_rules()
    return loaded_rules()


def find_rule(code_or_name: str) -> Rule | None:
    """Any rule by code, name or alias (hadolint's DL3007, retired codes)."""
    load_rules()
    return registered(code_or_name)


def use_user_policies(paths: Sequence[str]) -> list[Rule]:
    """Make the policy files in `paths` (and only those) the registered user policies; returns their rules.
    A clash with any built-in rule is a ConfigError, so every built-in rule is loaded first when needed."""
    from kubelint_py.engine.policies import activate_user_policies

    return activate_user_policies(paths, load_builtin=load_rules)
