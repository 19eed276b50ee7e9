"""Run configuration. The CLI and config files fill it; the pipeline only reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.engine import Rule, Severity, rule_matches

DEFAULT_K8S_VERSION = "1.34"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


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
    baseline: str | None = None
    config_path: str | None = None
    """The configuration file in use, if any; per-path ignores are relative to its folder."""
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
        for key, severity in self.severity_overrides.items():
            if rule_matches(rule, key):
                return severity
        return rule.severity

    def params_for(self, rule: Rule) -> Mapping[str, Any]:
        values = {name: param.default for name, param in rule.parameters.items()}
        for key in (rule.code, rule.name):
            values.update(self.rule_params.get(key, {}))
        return values
