"""Run configuration. The CLI and config files fill it; the pipeline only reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.core.findings import Severity
from kubelint_py.core.rules import Rule, rule_matches

DEFAULT_K8S_VERSION = "1.34"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def parse_size(text: str | int) -> int:
    """`10MB`, `512k`, `1048576` -> bytes (binary units: 1 MB = 1 MiB, as the file-size limit is reported)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        raw = str(text).strip().lower().replace(" ", "").replace("_", "")
        number = raw.rstrip("kmgib")
        value_text, unit = number, raw[len(number):]
        try:
            value = float(value_text)
        except ValueError:
            raise ValueError(f"'{text}' is not a size (e.g. 10MB, 512KB, 1048576)") from None
    if unit not in _SIZE_UNITS or not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"'{text}' is not a size (e.g. 10MB, 512KB, 1048576)")
    return int(value * _SIZE_UNITS[unit])


@dataclass
class HelmEntry:
    """One `helm:` entry of the configuration (paths already absolute)."""

    chart: str
    release: str | None = None
    namespace: str | None = None
    values: tuple[str, ...] = ()
    set: tuple[str, ...] = ()
    name: str = ""


class ConfigError(Exception):
    """A usage or configuration error: the CLI prints it and exits with code 2."""


@dataclass
class Config:
    select: tuple[str, ...] = ()
    """Empty: every rule enabled by default. Otherwise only rules matching an entry."""
    extend_select: tuple[str, ...] = ()
    """Added to the default set (to turn on rules that are off by default)."""
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: Severity | None = Severity.WARNING
    """None means never fail on findings."""
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    rule_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_namespace: str = "default"
    k8s_version: str = DEFAULT_K8S_VERSION
    external_objects: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    per_path_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    policies: tuple[str, ...] = ()
    """Folders or files of declarative policies (YAML) to load besides the built-in rules/."""
    project_root: str | None = None
    """Where cross-file references are resolved; None: found from the linted paths."""
    use_cache: bool = True
    respect_gitignore: bool = True
    """Skip what git ignores (.gitignore, .git/info/exclude) when walking folders inside a git work tree."""
    kustomize: bool = True
    """Build kustomize overlays in-process and lint what they deploy (see kubelint_py.building.kustomize)."""
    baseline: str | None = None
    config_path: str | None = None
    """The configuration file in use, if any; per-path ignores are relative to its folder."""
    helm_renders: tuple[HelmEntry, ...] = ()
    """Helm renders from the `helm:` key (paths absolute)."""
    helm_values: tuple[str, ...] = ()
    """Values files added to the default render of each chart (--helm-values)."""
    helm_set: tuple[str, ...] = ()
    """`dotted.key=value` added to the default render of each chart (--helm-set)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Where each setting came from (for --show-config)."""

    def is_enabled(self, rule: Rule) -> bool:
        if any(rule_matches(rule, entry) for entry in self.ignore):
            return False
        if self.select:
            return any(rule_matches(rule, entry) for entry in self.select)
        if any(rule_matches(rule, entry) for entry in self.extend_select):
            return True
        return rule.enabled_by_default

    def severity_of(self, rule: Rule) -> Severity:
        found = self.severity_override(rule)
        return rule.severity if found is None else found

    def severity_override(self, rule: Rule) -> Severity | None:
        """The severity the configuration sets for this rule, None when it sets none."""
        for key, severity in self.severity_overrides.items():
            if rule_matches(rule, key):
                return severity
        return None

    def params_for(self, rule: Rule) -> Mapping[str, Any]:
        values = {name: param.default for name, param in rule.parameters.items()}
        for key in (rule.code, rule.name):
            values.update(self.rule_params.get(key, {}))
        return values
