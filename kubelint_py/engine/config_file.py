"""Configuration files: `.kubelint.yaml` or `[tool.kubelint]` in pyproject.toml, merged with CLI options.

The file is found by walking up from the linted paths (or named with --config), validated against
schemas/config.json, then checked against the rules themselves (selectors and parameters must name
something real). Every problem is a ConfigError naming the file and line, with a suggestion for typos.
Command-line options override the file; `Config.sources` records where each value came from.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kubelint_py.engine.catalogue import all_rules, find_rule
from kubelint_py.engine.config import Config, ConfigError, HelmEntry
from kubelint_py.engine.registry import Rule, Severity, rule_matches

CONFIG_NAMES = (".kubelint.yaml", ".kubelint.yml")
PYPROJECT = "pyproject.toml"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "config.json"

# Config field -> key in the file (kebab-case, like the command-line options).
FILE_KEYS: dict[str, str] = {
    "select": "select",
    "extend_select": "extend-select",
    "ignore": "ignore",
    "exclude": "exclude",
    "fail_on": "fail-on",
    "severity_overrides": "severity",
    "rule_params": "parameters",
    "per_path_ignores": "per-path-ignores",
    "default_namespace": "default-namespace",
    "k8s_version": "kubernetes-version",
    "external_objects": "external-objects",
    "max_file_size": "max-file-size",
    "policies": "policies",
    "project_root": "project-root",
    "baseline": "baseline",
    "use_cache": "cache",
    "respect_gitignore": "respect-gitignore",
    "kustomize": "kustomize",
    "helm_renders": "helm",
}
# Lists that the command line extends rather than replaces (like ruff's --extend-select).
EXTENDED_BY_CLI = frozenset({"extend_select", "ignore", "exclude"})

STARTER = """\
# kubelint-py configuration. Every key is optional; `kubelint-py check --show-config` prints the
# merged settings and where each came from. Rules may be named by code (KS102), name
# (missing-readiness-probe), code prefix (KS), tag (security), format (dockerfile) or `all`.

# Only run these rules (empty: every rule that is on by default).
# select: [KS, DF]

# Also run rules that are off by default.
# extend-select: []

# Never run these rules.
ignore: []

# Paths not to lint (globs).
exclude: []

# Exit 1 when a finding is at or above this severity: error, warning, info or none.
fail-on: warning

# Severity per rule.
# severity:
#   missing-readiness-probe: error

# Rule parameters, by rule code or name (`kubelint-py explain RULE` lists a rule's options).
# parameters:
#   RULE: {option: value}

# Rules ignored under some paths (globs relative to this file's folder).
# per-path-ignores:
#   charts/vendor/**: [all]
#   k8s/dev/*.yaml: [KS102]

# Namespace of objects that declare none, and the Kubernetes version you deploy to (quoted).
default-namespace: default
# kubernetes-version: "1.31"

# Objects that exist outside the linted files (Kind/namespace/name, or Kind/name; * is a wildcard),
# so that references to them are not reported.
# external-objects:
#   - Secret/prod/tls-cert
#   - ServiceAccount/*/default

# Build kustomize overlays and lint what they deploy (false: lint every file on its own).
# kustomize: true

# Report only findings that are not in this baseline (written by `check --write-baseline FILE`).
# baseline: .kubelint-baseline.json

# Helm charts (needs `pip install 'kubelint-py[helm]'`): each chart found is rendered once with its
# values.yaml; list renders here to render one several ways (paths relative to this file).
# helm:
#   - chart: charts/app
#     name: prod
#     namespace: prod
#     values: [charts/app/values-prod.yaml]
#     set: {image.tag: "1.4.2"}
"""


@dataclass
class ConfigFile:
    """A configuration file's settings (file keys) and where each key is written."""

    path: Path
    values: dict[str, Any]
    text: str
    yaml_root: Any = None
    """The located YAML mapping (None for pyproject.toml)."""
    lines: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)

    @property
    def display(self) -> str:
        """The path as shown in messages: relative to the working folder when inside it."""
        try:
            return self.path.resolve().relative_to(Path.cwd()).as_posix()
        except (ValueError, OSError):
            return str(self.path)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def position(self, path: Sequence[Any], *, key: bool = False) -> tuple[int, int]:
        """(line, column) of the value (or key) at `path`; the nearest existing parent otherwise."""
        if self.yaml_root is not None:
            from kubelint_py.models.located import span_at

            span = span_at(self.yaml_root, tuple(path), key=key)
            return (span.line, span.column) if span is not None else (1, 1)
        return _toml_position(self.text, tuple(path))

    def where(self, path: Sequence[Any], *, key: bool = False) -> str:
        line, column = self.position(path, key=key)
        return f"{self.display}:{line}:{column}"


def _toml_position(text: str, path: tuple[Any, ...]) -> tuple[int, int]:
    """Best-effort (line, column) of a key under [tool.kubelint]: tomllib keeps no positions, so the
    deepest key of `path` written as `key =` (or as a table header) in that section is searched for."""
    section_line = 1
    in_section = False
    found: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if header:
            parts = [p.strip().strip('"') for p in header.group(1).split(".")]
            in_section = parts[:2] == ["tool", "kubelint"]
            if parts == ["tool", "kubelint"]:
                section_line = number
            elif in_section:
                found.setdefault(parts[-1], (number, 1))
            continue
        if in_section:
            match = re.match(r'\s*("[^"]*"|\'[^\']*\'|[\w.-]+)\s*=', line)
            if match:
                found.setdefault(match.group(1).strip("\"'"), (number, match.start(1) + 1))
    for key in reversed(path):
        if str(key) in found:
            return found[str(key)]
    return (section_line, 1)


# --- finding and reading the file --------------------------------------------------------------


def _has_tool_section(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*kubelint\s*[\].]", text, re.MULTILINE) is not None


def find_config_file(paths: Sequence[str], cwd: Path | None = None) -> Path | None:
    """The nearest `.kubelint.yaml`, `.kubelint.yml` or pyproject.toml with [tool.kubelint], walking up
    from the folder that holds all the linted paths."""
    cwd = cwd or Path.cwd()
    starts: list[Path] = []
    for raw in paths or ["."]:
        if raw == "-":
            starts.append(cwd)
            continue
        path = Path(raw)
        # realpath, not resolve(): a path that is a link loop must not raise
        path = Path(os.path.realpath(path if path.is_absolute() else cwd / path))
        starts.append(path if path.is_dir() else path.parent)
    folder = starts[0]
    for other in starts[1:]:
        while folder != folder.parent and folder not in (other, *other.parents):
            folder = folder.parent
    for candidate_folder in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_folder / name
            if candidate.is_file():
                return candidate
        pyproject = candidate_folder / PYPROJECT
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


def read_config_file(path: Path) -> ConfigFile:
    from kubelint_py.engine.reading import read_text

    try:
        text = read_text(path, "configuration file")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    if path.name == PYPROJECT or path.suffix == ".toml":
        return _read_toml(path, text)
    return _read_yaml(path, text)


def _read_yaml(path: Path, text: str) -> ConfigFile:
    from kubelint_py.models.located import YMap
    from kubelint_py.parsing.yaml import load_yaml

    stream = load_yaml(text, "yaml12")
    if stream.problems:
        first = stream.problems[0]
        raise ConfigError(f"{path}:{first.span.line}:{first.span.column}: {first.message}")
    documents = [doc for doc in stream.documents if doc.value is not None]
    if len(documents) > 1:
        raise ConfigError(f"{path}:{documents[1].span.line}: a configuration file holds one YAML document")
    if not documents:
        return ConfigFile(path, {}, text, YMap())
    root = documents[0].value
    if not isinstance(root, YMap):
        raise ConfigError(f"{path}:{documents[0].span.line}:1: the configuration must be a mapping of settings "
                          "(key: value)")
    return ConfigFile(path, root, text, root)


def _read_toml(path: Path, text: str) -> ConfigFile:
    import tomllib

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:  # tomllib recurses per level of nesting: `a=[[[[...` ten thousand deep
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    tool = document.get("tool", {})
    section = tool.get("kubelint", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.kubelint] must be a table")
    return ConfigFile(path, section, text)


# --- validation --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _suggest(word: str, choices: Sequence[str]) -> str:
    import difflib  # only when a key is misspelt

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower().replace("_", "-"), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _rule_hint(word: str, rules: list[Rule], vocabulary: Sequence[str]) -> str:
    """` (did you mean 'KS102'?)` for a misspelt rule code or name: by edit distance, else as for keys."""
    from kubelint_py.engine.suggest import closest_rule

    found = closest_rule(word, rules)
    return f" (did you mean '{found}'?)" if found is not None else _suggest(word, vocabulary)


def _schema_errors(config_file: ConfigFile) -> list[tuple[tuple[int, int], str]]:
    from jsonschema import Draft202012Validator

    schema = config_schema()
    validator = Draft202012Validator(schema)
    problems: list[tuple[tuple[int, int], str]] = []
    for error in validator.iter_errors(config_file.values):
        path = tuple(error.absolute_path)
        field_name = ".".join(str(p) for p in path) or "the configuration"
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    where = config_file.position((*path, key), key=True)
                    scope = f" in {field_name}" if path else ""
                    allowed = "" if _suggest(key, known) else f"; allowed keys: {', '.join(sorted(known))}"
                    problems.append((where, f"unknown key '{key}'{scope}{_suggest(str(key), known)}{allowed}"))
            continue
        where = config_file.position(path)
        if error.validator == "enum":
            choices = [str(c) for c in error.validator_value]
            message = (f"{field_name}: {json.dumps(error.instance)} is not one of {', '.join(choices)}"
                       f"{_suggest(str(error.instance), choices)}")
        elif error.validator == "type" and path and path[0] == "kubernetes-version" and isinstance(
                error.instance, int | float):
            written = _raw_token(config_file.text, where) or str(error.instance)
            message = (f"kubernetes-version: write the version as a quoted string, \"{written}\" "
                       f"(unquoted, YAML reads {written} as the number {error.instance})")
        elif error.validator == "pattern":
            message = f"{field_name}: {json.dumps(error.instance)} is not valid ({_pattern_hint(path)})"
        else:
            message = f"{field_name}: {error.message}"
        problems.append((where, message))
    return problems


def _raw_token(text: str, where: tuple[int, int]) -> str:
    lines = text.splitlines()
    line, column = where
    if not 1 <= line <= len(lines):
        return ""
    match = re.match(r"[^\s#,}\]]+", lines[line - 1][column - 1:])
    return match.group() if match else ""


def _pattern_hint(path: tuple[Any, ...]) -> str:
    hints = {
        "kubernetes-version": "expected a version such as \"1.31\"",
        "default-namespace": "expected a Kubernetes namespace name: lower-case letters, digits and '-'",
        "external-objects": "expected Kind/namespace/name or Kind/name, e.g. Secret/prod/tls-cert",
    }
    return hints.get(str(path[0]) if path else "", "see schemas/config.json")


def _rule_errors(config_file: ConfigFile, rules: list[Rule]) -> list[tuple[tuple[int, int], str]]:
    """Selectors, severity keys and parameters must name real rules and options."""
    values = config_file.values
    problems: list[tuple[tuple[int, int], str]] = []
    vocabulary = sorted({r.code for r in rules} | {r.name for r in rules})

    def check_selector(entry: str, path: tuple[Any, ...], *, key: bool = False) -> None:
        if not any(rule_matches(r, entry) for r in rules):
            problems.append((config_file.position(path, key=key),
                             f"no rule matches '{entry}'{_rule_hint(entry, rules, vocabulary)} "
                             "(see `kubelint-py rules`)"))

    # The schema has already reported values of the wrong type: skip them here.
    for file_key in ("select", "extend-select", "ignore"):
        for index, entry in enumerate(_list(values.get(file_key))):
            check_selector(entry, (file_key, index))
    for glob, entries in _dict(values.get("per-path-ignores")).items():
        for index, entry in enumerate(_list(entries)):
            check_selector(entry, ("per-path-ignores", glob, index))
    for selector in _dict(values.get("severity")):
        check_selector(str(selector), ("severity", selector), key=True)
    for rule_key, params in _dict(values.get("parameters")).items():
        found = find_rule(str(rule_key))
        if found is None:
            problems.append((config_file.position(("parameters", rule_key), key=True),
                             f"parameters: no rule named '{rule_key}'{_rule_hint(str(rule_key), rules, vocabulary)}"))
            continue
        for name, value in _dict(params).items():
            declared = found.parameters.get(name)
            where = config_file.position(("parameters", rule_key, name), key=True)
            if declared is None:
                options = list(found.parameters)
                listing = f"; its options: {', '.join(options)}" if options else "; it has no options"
                problems.append((where, f"rule {found.code} ({found.name}) has no option '{name}'"
                                        f"{_suggest(str(name), options)}{listing}"))
                continue
            expected = _type_name(declared.default)
            if expected is not None and _type_name(value) != expected and not (
                    expected == "number" and _type_name(value) == "integer"):
                problems.append((config_file.position(("parameters", rule_key, name)),
                                 f"option '{name}' of {found.code} ({found.name}) takes {_article(expected)} "
                                 f"{expected}, not {json.dumps(value, default=str)}"))
    return problems


def _list(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _type_name(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple | frozenset | set):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return None


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def validate(config_file: ConfigFile) -> None:
    """Raise ConfigError listing every problem, each with its line."""
    problems = _schema_errors(config_file)
    _register_policies(config_file)
    problems += _rule_errors(config_file, all_rules())
    if problems:
        problems.sort()
        raise ConfigError("invalid configuration:\n" + "\n".join(
            f"  {config_file.display}:{line}:{column}: {message}" for (line, column), message in problems))


def _register_policies(config_file: ConfigFile) -> None:
    """The file's own policies are rules too: its selectors, severities and parameters may name them."""
    paths = _list(config_file.values.get("policies"))
    if paths:
        from kubelint_py.engine.catalogue import use_user_policies

        use_user_policies([_resolve_inside(config_file, path, "policies") for path in paths])


# --- merging -----------------------------------------------------------------------------------


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _resolve_inside(config_file: ConfigFile, value: str, key: str) -> str:
    """A path the configuration names, which must lie in its repository (the git top level above the
    configuration file, else its folder): a configuration sent in a pull request must not make the run
    read `/` as project context, `/dev/zero` as a baseline or policies from elsewhere."""
    from kubelint_py.discovery.project_root import git_toplevel
    from kubelint_py.engine.reading import inside

    resolved = str((config_file.folder / value).resolve())
    folder = str(config_file.folder.resolve())
    boundary = git_toplevel(folder) or folder
    if not inside(resolved, boundary):
        raise ConfigError(f"{config_file.path}: {key}: '{value}' is outside the repository ({boundary}); a "
                          "configuration file may only name paths inside it (give it on the command line)")
    return resolved


def _anchor_exclude(pattern: str, config_file: ConfigFile) -> tuple[str, ...]:
    """Exclude globs with a slash are written relative to the config file's folder; discovery matches
    them relative to the linted folder and the working folder, so add the working-folder form."""
    if "/" not in pattern.strip("/") or pattern.startswith(("**", "/")):
        return (pattern,)
    folder, cwd = config_file.folder.resolve(), Path.cwd().resolve()
    anchored = pattern.removeprefix("./")
    if folder != cwd:
        if folder.is_relative_to(cwd):
            anchored = f"{folder.relative_to(cwd).as_posix()}/{anchored}"
        elif cwd.is_relative_to(folder):
            inside = cwd.relative_to(folder).as_posix() + "/"
            if not anchored.startswith(inside):
                return (pattern,)
            anchored = anchored[len(inside):]
    return (pattern,) if anchored == pattern else (pattern, anchored)


def _helm_entry(config_file: ConfigFile, index: int, entry: Any) -> HelmEntry:
    def text(value: Any) -> str:
        return "true" if value is True else "false" if value is False else "null" if value is None else str(value)

    # Inside the repository, as every path a configuration names: a values file elsewhere would be read
    # into the render (and its values quoted in findings).
    chart = _resolve_inside(config_file, str(entry["chart"]), f"helm[{index}].chart")
    if not os.path.isfile(os.path.join(chart, "Chart.yaml")):
        line, column = config_file.position(("helm", index, "chart"))
        raise ConfigError(f"{config_file.display}:{line}:{column}: helm: no Chart.yaml in {chart}")
    return HelmEntry(chart, entry.get("release"), entry.get("namespace"),
                     tuple(_resolve_inside(config_file, str(v), f"helm[{index}].values")
                           for v in entry.get("values") or ()),
                     tuple(f"{k}={text(v)}" for k, v in (entry.get("set") or {}).items()), str(entry.get("name") or ""))


def _apply_file(config: Config, config_file: ConfigFile) -> None:
    values = config_file.values
    for field_name, file_key in FILE_KEYS.items():
        if file_key not in values:
            continue
        value = values[file_key]
        if field_name == "exclude":
            config.exclude = tuple(p for pattern in _as_tuple(value) for p in _anchor_exclude(pattern, config_file))
        elif field_name in ("select", "extend_select", "ignore", "external_objects"):
            setattr(config, field_name, _as_tuple(value))
        elif field_name == "policies":
            config.policies = tuple(_resolve_inside(config_file, str(v), file_key) for v in value or ())
        elif field_name == "fail_on":
            config.fail_on = None if value == "none" else Severity.parse(value)
        elif field_name == "severity_overrides":
            config.severity_overrides = {str(k): Severity.parse(v) for k, v in (value or {}).items()}
        elif field_name == "rule_params":
            config.rule_params = {}
            for rule_key, params in (value or {}).items():
                found = find_rule(str(rule_key))
                key = found.code if found is not None else str(rule_key)
                config.rule_params.setdefault(key, {}).update(dict(params or {}))
        elif field_name == "per_path_ignores":
            config.per_path_ignores = {str(k): _as_tuple(v) for k, v in (value or {}).items()}
        elif field_name in ("project_root", "baseline"):
            setattr(config, field_name, _resolve_inside(config_file, str(value), file_key))
        elif field_name == "helm_renders":
            config.helm_renders = tuple(_helm_entry(config_file, index, entry)
                                        for index, entry in enumerate(value or ()))
        elif field_name == "k8s_version":
            config.k8s_version = str(value).lstrip("v")
        else:
            setattr(config, field_name, value)
        config.sources[field_name] = config_file.where((file_key,), key=True)


def build_config(paths: Sequence[str], *, config_path: str | None = None, isolated: bool = False,
                 overrides: Mapping[str, Any] | None = None, cwd: Path | None = None) -> Config:
    """The run's Config: defaults, then the configuration file, then command-line overrides.

    overrides maps Config field names to the values given on the command line (absent: not given);
    lists in EXTENDED_BY_CLI are added to the file's, everything else replaces it.
    """
    config = Config()
    found: Path | None = None
    if config_path is not None:
        found = Path(config_path)
        if not found.is_file():
            raise ConfigError(f"configuration file {config_path} does not exist")
    elif not isolated:
        found = find_config_file(paths, cwd)
    if found is not None:
        config_file = read_config_file(found)
        validate(config_file)
        _apply_file(config, config_file)
        config.config_path = str(found.resolve())
    for field_name, value in (overrides or {}).items():
        origin = "command line"
        if field_name in EXTENDED_BY_CLI:
            value = (*getattr(config, field_name), *value)
            if field_name in config.sources:
                origin = f"{config.sources[field_name]} + command line"
        setattr(config, field_name, value)
        config.sources[field_name] = origin
    return config


def show_config(config: Config) -> str:
    """The merged settings, one per line, with where each came from (`check --show-config`)."""
    rows: list[tuple[str, str, str]] = []
    defaults = Config()
    for field_name, file_key in FILE_KEYS.items():
        value = getattr(config, field_name)
        rendered = _render(value)
        origin = config.sources.get(field_name, "default" if value == getattr(defaults, field_name) else "")
        rows.append((file_key, rendered, origin or "default"))
    width = max(len(key) + len(value) for key, value, _ in rows) + 2
    lines = [f"# configuration file: {config.config_path or 'none'}"]
    lines += [f"{f'{key}: {value}':{width}}  # {origin}" for key, value, origin in rows]
    return "\n".join(lines) + "\n"


def _render(value: Any) -> str:
    if isinstance(value, Severity):
        return value.label
    if value is None:
        return "none"
    if isinstance(value, dict):
        return json.dumps({str(k): _plain(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return json.dumps([_plain(v) for v in value])
    return json.dumps(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a Helm render entry
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items() if v not in ((), "", None)}
    return value


def write_starter(folder: Path) -> Path:
    """Write a commented starter `.kubelint.yaml`; never overwrites an existing file."""
    target = folder / CONFIG_NAMES[0]
    existing = [folder / name for name in CONFIG_NAMES if (folder / name).exists()]
    if existing:
        raise ConfigError(f"{existing[0]} already exists; edit it, or delete it first")
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(STARTER)
    except FileExistsError:
        raise ConfigError(f"{target} already exists; edit it, or delete it first") from None
    except OSError as error:
        raise ConfigError(f"cannot write {target}: {error}") from None
    return target
