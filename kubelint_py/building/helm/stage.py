"""Helm charts in the linted tree: render each (once per configured render), lint what Helm produced as a
project of its own, and report at the template line (with the helper and values lines that took part).

api.lint calls apply_helm after the files are checked, handing down the function that runs the rules
(this stage sits below the pipeline): the templates were loaded as KL002 stubs; those of the charts
that render lose their KL002 and gain the findings of their renders.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubelint_py.building.helm import values as values_mod
from kubelint_py.building.helm.binary import BinaryRenderer, find_helm, identity
from kubelint_py.building.helm.charts import chart_of_template, chart_of_values, configured_values, top_chart
from kubelint_py.building.helm.mapping import LineTable, align, output_lines_for, remap
from kubelint_py.building.helm.renderer import EXTRA_HINT, Renderer, RenderRequest, sdk_available
from kubelint_py.building.helm.template_text import Action, scan_actions, structure
from kubelint_py.core.findings import Finding, Related, Severity
from kubelint_py.core.source import Location
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.config import HelmEntry

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate
    from kubelint_py.engine.config import Config
    from kubelint_py.loading.source_file import SourceFile

MAX_CHARTS = 500
MAX_RENDERS = 1000
MAX_VALUES_BYTES = 10 * 1024**2


@dataclass(frozen=True)
class RenderSpec:
    chart: str
    """Absolute folder of the chart."""
    display: str
    """The chart folder as paths are displayed in this run."""
    release: str
    namespace: str
    values: tuple[str, ...] = ()
    """Values files (absolute), applied after the chart's values.yaml, later ones winning."""
    set: tuple[str, ...] = ()
    """`dotted.key=value`, applied last."""
    name: str = ""

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        extras = [os.path.basename(v) for v in self.values] + list(self.set)
        return f"{self.release} [{', '.join(extras)}]" if extras else self.release


def chart_name(chart: str) -> str:
    """`name:` of Chart.yaml (read by line: it is only a label), else the folder's name."""
    try:
        with open(os.path.join(chart, "Chart.yaml"), encoding="utf-8", errors="replace") as handle:
            for line in handle.read(65536).splitlines():
                match = re.match(r"name:\s*['\"]?([A-Za-z0-9][A-Za-z0-9_.-]*)", line)
                if match:
                    return match.group(1)
    except OSError:
        pass
    return os.path.basename(os.path.normpath(chart)) or "chart"


def _shown_folder(display: str, real: str, chart: str) -> str:
    """The displayed form of `chart`, from a file's displayed and real paths under it."""
    inside = os.path.relpath(real, chart)
    depth = len(inside.split(os.sep))
    shown = display
    for _ in range(depth):
        shown = os.path.dirname(shown)
    return shown


def find_charts(files: Iterable[SourceFile]) -> dict[str, str]:
    """Real chart folder -> displayed folder, for every chart whose Chart.yaml is among the files (a
    subchart's renders with its parent)."""
    found: dict[str, str] = {}
    for source in files:
        if os.path.basename(source.path) != "Chart.yaml":
            continue
        real = os.path.realpath(source.fs_path or source.path)
        chart = top_chart(os.path.dirname(real))
        found.setdefault(chart, _shown_folder(source.path, real, chart))
        if len(found) >= MAX_CHARTS:
            break
    return found


def render_specs(charts: dict[str, str], config: Config) -> list[RenderSpec]:
    entries: list[HelmEntry] = list(config.helm_renders)
    by_chart: dict[str, list[HelmEntry]] = {}
    for entry in entries:
        by_chart.setdefault(os.path.realpath(entry.chart), []).append(entry)
    specs: list[RenderSpec] = []
    extra_values = tuple(os.path.abspath(v) for v in config.helm_values)
    extra_set = tuple(config.helm_set)
    for chart, shown in sorted(charts.items()):
        name = chart_name(chart)
        configured = by_chart.get(chart)
        if configured:
            for entry in configured:
                specs.append(RenderSpec(chart, shown, entry.release or name,
                                        entry.namespace or config.default_namespace, entry.values, entry.set,
                                        entry.name))
        else:
            specs.append(RenderSpec(chart, shown, name, config.default_namespace, extra_values, extra_set))
        if len(specs) >= MAX_RENDERS:
            break
    return specs


def escaping_link(chart: str) -> str | None:
    """A link in the chart folder that points outside it (the first found, relative to the chart), else
    None. Helm follows links; a chart in a pull request must not make the run read /etc/shadow."""
    root = os.path.realpath(chart)
    count = 0
    for folder, dirnames, filenames in os.walk(chart, followlinks=False):
        for name in [*dirnames, *filenames]:
            count += 1
            if count > 50_000:
                return None
            path = os.path.join(folder, name)
            if os.path.islink(path):
                target = os.path.realpath(path)
                if target != root and not target.startswith(root + os.sep):
                    return os.path.relpath(path, chart)
    return None


def _display(spec: RenderSpec, relative: str) -> str:
    return os.path.normpath(os.path.join(spec.display, relative)) if spec.display else os.path.normpath(relative)


Overlay = Mapping[str, str]
"""Text held in memory (an editor's buffer, standard input) in place of the file at a real absolute path."""


def _read(path: str, overlay: Overlay | None = None) -> str | None:
    if overlay:
        given = overlay.get(os.path.realpath(path))
        if given is not None:
            return given if len(given) <= MAX_VALUES_BYTES else None
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_VALUES_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_VALUES_BYTES:
        return None
    return data.decode("utf-8", errors="replace")


_ERROR_AT = re.compile(r"(?:execution|parse) error at \((?P<name>[^:()]+):(?P<line>\d+)(?::(?P<column>\d+))?\):\s*"
                       r"(?P<message>.*)", re.S)


# `chart/templates/x.yaml:43:55\n  executing "chart/templates/x.yaml" at <...>:\n    what went wrong`
_EXECUTING_AT = re.compile(r"(?P<name>[^\s:()\"]+/templates/[^\s:()\"]+):(?P<line>\d+)(?::(?P<column>\d+))?\s+"
                           r"(?P<message>executing .*)", re.S)


@dataclass
class RenderResult:
    spec: RenderSpec
    findings: list[Finding] = field(default_factory=list)
    rendered: set[str] = field(default_factory=set)
    """Displayed paths of the templates this render produced objects for (or reported on)."""
    ok: bool = False
    """Worth storing: rendered, or failed by Helm's own error (a time limit hit on a busy machine, or a
    renderer that does not load, must not stick)."""


@dataclass
class _Template:
    display: str
    absolute: str
    text: str
    lines: list[str]
    actions: list[Action] | None = None
    """Its `{{ }}` actions, scanned when first needed."""


class ChartRenders:
    """Everything known about one chart while its renders are linted."""

    def __init__(self, chart: str, display: str, overlay: Overlay | None = None) -> None:
        self.chart = chart
        self.display = display
        self.overlay = overlay
        self.templates: dict[str, _Template] = {}
        self.helm_names: dict[str, str] = {}
        """Chart-relative template file -> the name Helm rendered it under (aliases show there)."""
        self.helpers: dict[str, tuple[str, int]] = {}
        """Helper name -> (displayed file, line of its `define`)."""
        self.helper_files: dict[str, str] = {}
        """Displayed file of a helper -> its absolute path (displayed paths are relative to the run's folder)."""
        self._helpers_read = False

    def template(self, spec: RenderSpec, relative: str) -> _Template | None:
        found = self.templates.get(relative)
        if found is None:
            absolute = os.path.join(self.chart, relative)
            text = _read(absolute, self.overlay)
            if text is None:
                return None
            found = self.templates[relative] = _Template(_display(spec, relative), absolute, text, text.split("\n"))
        return found

    def read_helpers(self, spec: RenderSpec) -> None:
        """Where each `define` is, in every template file of the chart and its unpacked subcharts."""
        if self._helpers_read:
            return
        self._helpers_read = True
        count = 0
        for folder, dirnames, filenames in os.walk(self.chart):
            dirnames.sort()
            if os.path.basename(folder) != "templates" and "/templates/" not in folder + "/":
                continue
            for name in sorted(filenames):
                count += 1
                if count > 2000:
                    return
                absolute = os.path.join(folder, name)
                text = _read(absolute, self.overlay)
                if text is None or "define" not in text:
                    continue
                actions = scan_actions(text)
                shape = structure(actions) if actions is not None else None
                if shape is None:
                    continue
                relative = os.path.relpath(absolute, self.chart)
                self.helper_files[_display(spec, relative)] = absolute
                for helper, offset in shape.defines.items():
                    self.helpers.setdefault(helper, (_display(spec, relative), text.count("\n", 0, offset) + 1))


_CONTROL = frozenset({"if", "else", "end", "range", "with", "define", "block", "/*", "break", "continue"})


def _helper_line(body: str, first: int, outputs: list[str], message: str) -> int | None:
    """The line of a helper's body that wrote the output line a finding is about: the one output line
    (of those the calling line produced) whose value the message quotes, matched to the body line that
    starts with the same text, or to the only body line that writes anything. None when unclear."""
    quoted = set()
    for text in outputs:
        value = text.split(":", 1)[1] if ":" in text else text
        value = value.strip().strip("'\"")
        if len(value) >= 3 and value in message:
            quoted.add(text.strip())
    if len(quoted) != 1:
        return None
    target = quoted.pop()
    lines = body.split("\n")
    writers: list[int] = []
    for offset in range(1, len(lines)):
        if _closes_define(lines, offset):
            break
        written = lines[offset]
        actions = scan_actions(written) or []
        literal = re.sub(r"\{\{.*?\}\}", "", written).strip()
        if literal and target.startswith(written.split("{{", 1)[0].strip() or "\0"):
            return first + offset
        control = all(a.keyword in _CONTROL or re.match(r"\$\w+\s*:?=", a.body) for a in actions)
        if literal or (actions and not control):
            writers.append(offset)
    return first + writers[0] if len(writers) == 1 else None


def _closes_define(lines: list[str], offset: int) -> bool:
    """Whether line `offset` of a helper's text (line 0: its `define`) closes the define."""
    actions = scan_actions("\n".join(lines[:offset + 1]))
    if actions is None:
        return False
    depth = 0
    for action in actions:
        if action.keyword in ("if", "range", "with", "define", "block"):
            depth += 1
        elif action.keyword == "end":
            depth -= 1
    return depth <= 0 and any(a.keyword == "end" for a in scan_actions(lines[offset]) or [])


def _chart_folder(relative: str) -> str:
    """The chart folder (relative to the top chart) of a template file: what lies before its templates/."""
    parts = relative.split(os.sep)
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] == "templates":
            return os.sep.join(parts[:index])
    return ""


def iter_bounded(items: list[tuple[str, ...]], limit: int) -> Iterable[tuple[str, ...]]:
    """The items of a list that may grow while it is walked, at most `limit` of them."""
    index = 0
    while index < len(items) and index < limit:
        yield items[index]
        index += 1


_TPL = re.compile(r"\btpl\b")
MAX_VALUE_PATHS = 40
BLOCK_LINES = 3
"""Output lines of one template line above which it writes a block (see the value tracing in lint)."""
_INCLUDE = re.compile(r"\b(?:include|template)\s+\"([^\"]+)\"")
_BODY_KEY = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*:")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _values_sources(spec: RenderSpec, relative_dir: str, helm_name: str, chart_values: dict[str, ValuesCache],
                    overlay: Overlay | None = None) -> list[values_mod.ValuesSource]:
    """Values files that set `.Values` for templates of the chart folder `relative_dir` (the chart itself
    or a subchart, named `helm_name` by Helm: its aliases are in that name), lowest precedence first."""
    sources: list[values_mod.ValuesSource] = []
    parts = helm_name.split("/")
    scope: list[str] = [parts[i + 1] for i in range(1, len(parts) - 1) if parts[i] == "charts"
                        and "templates" in parts[i + 2:]]
    folder = relative_dir
    chain = []
    while folder not in ("", "."):
        parts = folder.split(os.sep)
        if len(parts) >= 2 and parts[-2] == "charts":
            chain.append(os.path.join(spec.chart, folder))
            folder = os.sep.join(parts[:-2])
        else:
            break
    # The innermost chart's own values.yaml is weakest; each parent's values override it under its key.
    if len(scope) != len(chain):  # not the name Helm gave: the folders' chart names
        scope = [chart_name(sub) for sub in reversed(chain)]
    for depth in range(len(chain), -1, -1):
        chart = chain[depth - 1] if depth > 0 else spec.chart
        prefix = tuple(scope[depth:])
        loaded = _load_values(os.path.join(chart, "values.yaml"), chart_values, spec, overlay)
        if loaded is not None:
            sources.append(values_mod.ValuesSource(loaded[0], loaded[1], prefix))
    for path in spec.values:
        loaded = _load_values(path, chart_values, spec, overlay)
        if loaded is not None:
            sources.append(values_mod.ValuesSource(loaded[0], loaded[1], tuple(scope)))
    return sources


ValuesCache = tuple[str, Any] | None


def _load_values(path: str, cache: dict[str, ValuesCache], spec: RenderSpec,
                 overlay: Overlay | None = None) -> ValuesCache:
    if path in cache:
        return cache[path]
    from kubelint_py.models.located import YMap
    from kubelint_py.parsing.yaml import load_yaml

    text = _read(path, overlay)
    found: ValuesCache = None
    if text is not None:
        stream = load_yaml(text)
        if stream.documents and isinstance(stream.documents[0].value, YMap):
            inside = os.path.relpath(os.path.realpath(path), spec.chart)
            shown = _display(spec, inside) if not inside.startswith("..") else path
            found = (shown, stream.documents[0].value)
    cache[path] = found
    return found


CheckFiles = Callable[[list["SourceFile"], Collection[str]], list[Finding]]
"""Runs the rules over built files, reporting only those at the given paths (api.check_sources, handed
down by the pipeline: this stage sits below it)."""


class _RenderLinter:
    def __init__(self, config: Config, renderer: Renderer | BinaryRenderer, cache_dir: str | None, check: CheckFiles,
                 tool: str = "", overlay: Overlay | None = None) -> None:
        self.config = config
        self.overlay = overlay
        self.renderer = renderer
        self.cache_dir = cache_dir
        self.check = check
        self.tool = tool
        self.values_cache: dict[str, ValuesCache] = {}
        self.digests: dict[str, str | None] = {}

    def request(self, spec: RenderSpec) -> RenderRequest | str:
        texts = []
        for path in spec.values:
            text = _read(path, self.overlay)
            if text is None:
                return f"values file {path} cannot be read"
            texts.append(text)
        return RenderRequest(spec.chart, texts, list(spec.set), spec.release, spec.namespace,
                             secrets.token_hex(6), chart_overlay(spec.chart, self.overlay))

    def render_key(self, request: RenderRequest) -> str | None:
        from kubelint_py.building.helm import store

        if not self.cache_dir:
            return None
        if request.chart not in self.digests:
            self.digests[request.chart] = store.chart_digest(request.chart)
        content = self.digests[request.chart]
        return store.render_key(request, self.tool, content) if content is not None else None

    def answer(self, spec: RenderSpec, request: RenderRequest) -> dict[str, Any]:
        from kubelint_py.building.helm import store

        key = self.render_key(request)
        if key is not None and self.cache_dir:
            cached = store.load(self.cache_dir, key)
            if cached is not None:
                return cached
        answer = self._render(request)
        if key is not None and self.cache_dir and answer.get("ok"):
            store.save(self.cache_dir, key, answer)
        return answer

    def _render(self, request: RenderRequest) -> dict[str, Any]:
        """The renderer's answer; with files held in memory, for a copy of the chart with them written in."""
        if not request.files:
            return self.renderer.render(request)
        from kubelint_py.building.helm.marking import overlaid_copy

        overlaid = overlaid_copy(request.chart, request.files)
        if overlaid is None:
            return {"ok": False, "error": "the chart cannot be rendered with the text held in memory: it is too large "
                    "to copy, or a file given is a link in it"}
        try:
            return self.renderer.render(dataclasses.replace(request, chart=overlaid[1], files={}))
        finally:
            shutil.rmtree(overlaid[0], ignore_errors=True)

    def lint(self, spec: RenderSpec, chart: ChartRenders) -> RenderResult:
        """The findings of one render: from the store when this render was linted before with the same
        chart, values, rules and settings, else rendered (or its render read back) and linted."""
        from kubelint_py.building.helm import store

        leaving = escaping_link(spec.chart)
        if leaving is not None:
            # Not the chart's error (Helm follows the link; nginx-ingress's chart links crds/ to the repository's
            # CRDs): what this run would not do, said as check-incomplete, a warning.
            return RenderResult(spec, [_tool_finding(
                diag.CHECK_INCOMPLETE, "a link in the chart points outside it; the chart was not rendered, so its "
                "templates were not checked as deployed (Helm would read what the link points to into the render, "
                "and kubelint-py never reads outside a chart)", Location(_display(spec, leaving), 1))])
        request = self.request(spec)
        key = self.render_key(request) if not isinstance(request, str) else None
        result_key = store.result_key(key, self.config, spec.label, spec.display) if key is not None else None
        if result_key is not None and self.cache_dir:
            entry = store.load(self.cache_dir, result_key)
            loaded = store.load_findings(entry) if entry is not None else None
            if loaded is not None:
                return RenderResult(spec, loaded[0], loaded[1])
        result = self._lint(spec, chart, request)
        if result_key is not None and self.cache_dir and result.ok:
            store.save(self.cache_dir, result_key, store.dump_findings(result.findings, result.rendered))
        return result

    def _lint(self, spec: RenderSpec, chart: ChartRenders, request: RenderRequest | str) -> RenderResult:
        from kubelint_py.loading.source_file import SourceFile, _add_resources
        from kubelint_py.models.located import YMap
        from kubelint_py.parsing.yaml import load_yaml

        result = RenderResult(spec)
        if isinstance(request, str):
            result.findings.append(_tool_finding(diag.HELM_RENDER_FAILED, request,
                                                 Location(os.path.join(spec.display, "Chart.yaml"), 1)))
            return result
        answer = self.answer(spec, request)
        missing = [self.missing_dependency(spec, str(name)) for name in answer.get("missing", [])]
        if not answer.get("ok"):
            failure = self.failure(spec, chart, str(answer.get("error", "render failed")))
            if missing:
                # Without its dependencies the chart cannot be judged: the failure (often a call of the
                # subchart's helpers) is part of the missing-dependency finding, not an error of its own.
                missing = [m._replace(message=f"{m.message}; the chart does not render without it",
                                      related=(*m.related, Related(failure.location, failure.message)))
                           for m in missing]
            else:
                result.findings.append(failure)
        result.findings[:0] = missing
        if not answer.get("ok"):
            result.ok = not answer.get("limit") and not answer.get("fatal")  # Helm's own error: the same next time
            return result
        result.ok = True
        files: dict[str, SourceFile] = {}
        packed: list[SourceFile] = []
        tables: dict[str, list[tuple[LineTable, int]]] = {}
        for output in answer.get("outputs", []):
            relative = output.get("file")
            name = str(output.get("name", ""))
            text = str(output.get("text", ""))
            if not text.strip() or name.endswith("NOTES.txt"):
                continue
            if relative is None:  # a template of a packed subchart (charts/x.tgz): context, not reported
                packed.append(self._packed(spec, name, text))
                continue
            template = chart.template(spec, relative)
            if template is None:
                continue
            chart.helm_names.setdefault(relative, name)
            out_lines = text.split("\n")
            owners = list(output.get("lines") or []) if output.get("exact") else align(out_lines, template.lines)
            table = LineTable(owners, out_lines, template.lines, [tuple(s) for s in output.get("skipped", [])])
            source = files.get(relative)
            if source is None:
                source = files[relative] = SourceFile(template.display, "kubernetes", template.text,
                                                      fs_path=template.absolute)
            stream = load_yaml(text, "yaml11")
            for problem in stream.problems:
                span = table.span(problem.span)
                result.findings.append(_tool_finding(
                    diag.PARSE_ERROR, f"rendered output is not valid YAML: {problem.message}",
                    Location.of(template.display, span)))
            first = len(source.resources)
            for document in stream.documents:
                remap(document.value, table)
                document_span = table.span(document.span)
                if isinstance(document.value, YMap):
                    _add_resources(source, document.value, document.index, document_span)
            tables.setdefault(relative, []).append((table, first))
        if not files:
            return result
        sources = list(files.values())
        checked = self.check([*sources, *packed], {s.path for s in sources})
        result.rendered.update(s.path for s in sources)
        relatives = {files[r].path: r for r in files}
        chart.read_helpers(spec)
        for finding in checked:
            if finding.fix is not None:  # its edits were worked out on the rendered text, not the template's
                finding = finding._replace(fix=None)
            relative = relatives.get(finding.location.path)
            if relative is None:
                result.findings.append(finding)
                continue
            template = chart.template(spec, relative)
            assert template is not None
            extra = self.related(spec, chart, template, relative, finding, [t for t, _ in tables.get(relative, [])])
            result.findings.append(finding._replace(related=(*finding.related, *extra)) if extra else finding)
        return result

    def _packed(self, spec: RenderSpec, name: str, text: str) -> SourceFile:
        """Objects of a packed subchart's template, for the cross-object rules (located in the render,
        under a path that names the template inside the archive)."""
        from kubelint_py.loading.source_file import SourceFile, _add_resources
        from kubelint_py.models.located import YMap
        from kubelint_py.parsing.yaml import load_yaml

        path = _display(spec, name.partition("/")[2] or name)
        source = SourceFile(path, "kubernetes", text)
        for document in load_yaml(text, "yaml11").documents:
            if isinstance(document.value, YMap):
                _add_resources(source, document.value, document.index, document.span)
        return source

    def related(self, spec: RenderSpec, chart: ChartRenders, template: _Template, relative: str, finding: Finding,
                tables: list[LineTable]) -> list[Related]:
        """The helper that wrote the line, the values file line that set the value, and the values line
        that switched off a block the finding is about."""
        line = finding.location.line
        written = template.lines[line - 1] if 0 < line <= len(template.lines) else ""
        related: list[Related] = []
        helper_texts: list[str] = []
        output_texts = [table.output[n - 1] for table in tables for n in output_lines_for(table, line)][:50]
        for name in _INCLUDE.findall(written)[:3]:
            where = chart.helpers.get(name)
            if where is not None:
                text = self._helper_text(chart, spec, where)
                helper_texts.append(text)
                exact = _helper_line(text, where[1], output_texts, finding.message)
                if exact is not None:
                    related.append(Related(Location(where[0], exact), f"written by helper `{name}`"))
                else:
                    related.append(Related(Location(where[0], where[1]), f"helper `{name}` defined here"))
        sources = _values_sources(spec, _chart_folder(relative), chart.helm_names.get(relative, ""),
                                  self.values_cache, self.overlay)
        seen: set[Location] = set()
        before = "\n".join(template.lines[:line - 1])
        variables = values_mod.assignments("\n".join(template.lines[:line]))
        dot = None
        if "with" in before:
            if template.actions is None:
                template.actions = scan_actions(template.text) or []
            dot = values_mod.dot_path(before, len(before), variables, template.actions)
        paths = [*values_mod.references(written, variables),
                 *(values_mod.dot_references(written, dot) if dot is not None else ()),
                 *(p for t in helper_texts for p in values_mod.references(t, values_mod.assignments(t)))]
        through_tpl = bool(_TPL.search(written)) or any(_TPL.search(t) for t in helper_texts)
        for path in iter_bounded(paths, MAX_VALUE_PATHS):
            for setting in values_mod.winners(sources, path):
                shown = values_mod.text_of(setting.value)
                if not shown or setting.location in seen:
                    continue
                # A value that is a template itself (`tpl .Values.x .`): what it wrote is not its text, and
                # the values it names are followed in turn.
                templated = through_tpl and "{{" in shown
                if not templated and not any(shown in text for text in output_texts):
                    continue
                # A line that writes a block (`include "x.podTemplate" . | nindent 4`) has many output lines, and
                # a short value ("metrics") is in one of them by chance: there the finding must quote it.
                if not templated and len(output_texts) > BLOCK_LINES and shown not in finding.message:
                    continue
                seen.add(setting.location)
                how = "rendered by tpl, " if templated else ""
                related.append(Related(setting.location, f".Values.{'.'.join(setting.path)} = "
                                       f"{values_mod.shown(setting.value)} ({how}render {spec.label})"))
                if templated and len(paths) < MAX_VALUE_PATHS:
                    paths.extend(p for p in values_mod.references(shown) if p not in paths)
                if len(seen) >= 4:
                    break
        # A values file of this render's own (values-prod.yaml) before the chart's defaults: the override
        # is what made this render differ.
        helpers = [r for r in related if not r.message.startswith(".Values.")]
        settings = sorted((r for r in related if r.message.startswith(".Values.")),
                          key=lambda r: os.path.basename(r.location.path) == "values.yaml")
        related = [*helpers, *settings, *self._skipped(spec, template, finding, tables, sources, line)]
        return related

    def _helper_text(self, chart: ChartRenders, spec: RenderSpec, where: tuple[str, int]) -> str:
        text = _read(chart.helper_files.get(where[0], where[0]), self.overlay) or ""
        lines = text.split("\n")
        return "\n".join(lines[where[1] - 1:where[1] + 30])

    def _skipped(self, spec: RenderSpec, template: _Template, finding: Finding, tables: list[LineTable],
                 sources: list[values_mod.ValuesSource], line: int) -> list[Related]:
        wanted = _norm(finding.message) + _norm(finding.name)
        found: list[Related] = []
        for table in tables:
            if not table.skipped:
                continue
            for start in output_lines_for(table, line):
                text = table.output[start - 1]
                indent = len(text) - len(text.lstrip(" "))
                end = start
                while end < len(table.output):
                    following = table.output[end]
                    if following.strip() and len(following) - len(following.lstrip(" ")) <= indent:
                        break
                    end += 1
                for output_line, if_line in table.skipped:
                    if not start - 1 <= output_line < end + 1:
                        continue
                    key = self._block_key(template, if_line)
                    if not key or _norm(key) not in wanted:
                        continue
                    condition = template.lines[if_line - 1] if 0 < if_line <= len(template.lines) else ""
                    why = Related(Location(template.display, if_line),
                                  f"`{key}` is not rendered: this condition is false in render {spec.label}")
                    if why not in found:
                        found.append(why)
                    for path in values_mod.references(condition):
                        for setting in values_mod.winners(sources, path)[:2]:
                            item = Related(setting.location, f".Values.{'.'.join(setting.path)} = "
                                           f"{values_mod.shown(setting.value) or 'null'} switches off `{key}` "
                                           f"(render {spec.label})")
                            if item not in found:
                                found.append(item)
        return found[:6]

    def _block_key(self, template: _Template, if_line: int) -> str | None:
        """The first key a switched-off block would have written; None for a condition inside a line (it
        changes a value, not whether a field is there)."""
        opening = template.lines[if_line - 1] if 0 < if_line <= len(template.lines) else ""
        if re.sub(r"\{\{.*?\}\}", "", opening).strip():
            return None
        for text in template.lines[if_line - 1:if_line + 4]:
            stripped = re.sub(r"\{\{.*?\}\}", "", text)
            match = _BODY_KEY.match(stripped)
            if match:
                return match.group(1)
        return None

    def failure(self, spec: RenderSpec, chart: ChartRenders, error: str) -> Finding:
        match = _ERROR_AT.search(error) or _EXECUTING_AT.search(error)
        location = Location(os.path.join(spec.display, "Chart.yaml"), 1)
        message = " ".join(error.split())
        if match is not None:
            name = match.group("name")
            relative = self._relative(spec, name)
            if relative is not None:
                line = int(match.group("line"))
                location = Location(_display(spec, relative), line,
                                    _column(os.path.join(spec.chart, relative), line, match.group("column"),
                                            self.overlay))
            message = " ".join(match.group("message").split())
            if error.lstrip().startswith("execution error") and relative is not None \
                    and _asks_for_values(_read(os.path.join(spec.chart, relative), self.overlay), line):
                # A `required` or `fail` call: the chart asks the installer for values on purpose (the
                # OpenTelemetry collector's image.repository), which is not certainly a mistake.
                return _tool_finding(
                    diag.HELM_RENDER_FAILED, f"Helm cannot render this chart with the values given: {_escape(message)} "
                    "(the chart asks for this value with `required` or `fail`; give it in the `helm:` entry of "
                    ".kubelint.yaml or with --helm-values/--helm-set to lint what it deploys)",
                    location)._replace(severity=Severity.WARNING)
        return _tool_finding(diag.HELM_RENDER_FAILED, f"Helm cannot render this chart: {_escape(message)}", location)

    def _relative(self, spec: RenderSpec, helm_name: str) -> str | None:
        """Chart-relative file of a Helm template name (`chart/charts/sub/templates/x.yaml`)."""
        parts = helm_name.split("/")
        if len(parts) < 2:
            return None
        rest = parts[1:]
        folder = spec.chart
        relative: list[str] = []
        while len(rest) >= 2 and rest[0] == "charts":
            sub = rest[1]
            match = None
            charts = os.path.join(folder, "charts")
            if os.path.isdir(charts):
                for entry in sorted(os.listdir(charts)):
                    candidate = os.path.join(charts, entry)
                    if os.path.isdir(candidate) and chart_name(candidate) == sub:
                        match = entry
                        break
            if match is None:
                return None
            relative += ["charts", match]
            folder = os.path.join(folder, "charts", match)
            rest = rest[2:]
        path = os.path.join(*relative, *rest) if relative else os.path.join(*rest)
        absolute = os.path.join(spec.chart, path)
        return path if os.path.isfile(absolute) or (self.overlay and os.path.realpath(absolute) in self.overlay) \
            else None

    def missing_dependency(self, spec: RenderSpec, name: str) -> Finding:
        chart_file = os.path.join(spec.chart, "Chart.yaml")
        line = 1
        text = _read(chart_file, self.overlay) or ""
        for number, written in enumerate(text.split("\n"), 1):
            if re.match(rf"\s*-?\s*name:\s*['\"]?{re.escape(name)}['\"]?\s*(?:#.*)?$", written):
                line = number
                break
        return _tool_finding(diag.HELM_DEPENDENCY_MISSING,
                             f"dependency '{_escape(name)}' is listed in Chart.yaml but missing from charts/: "
                             "`helm template` and `helm install` fail until `helm dependency build` fetches it, "
                             "and its objects are not linted",
                             Location(os.path.join(spec.display, "Chart.yaml"), line))


def _column(path: str, line: int, offset: str | None, overlay: Overlay | None = None) -> int:
    """Go reports a 0-based byte offset in the line: the 1-based character column."""
    if offset is None:
        return 1
    lines = (_read(path, overlay) or "").split("\n")
    written = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(written.encode("utf-8")[:int(offset)].decode("utf-8", errors="ignore")) + 1


def chart_overlay(chart: str, overlay: Overlay | None) -> dict[str, str]:
    """Chart-relative path -> text of the files of `chart` held in memory."""
    if not overlay:
        return {}
    root = os.path.realpath(chart)
    return {os.path.relpath(path, root): text for path, text in sorted(overlay.items())
            if path.startswith(root + os.sep)}


def _escape(text: str) -> str:
    text = text[:2000]
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)


_VALUE_DEMAND = re.compile(r"\b(?:required|fail)\b")


def _asks_for_values(text: str | None, line: int) -> bool:
    """Whether the template's failing line (or the one above, for a call split over lines) calls `required`
    or `fail`."""
    if text is None:
        return False
    lines = text.split("\n")
    return any(_VALUE_DEMAND.search(lines[n - 1]) for n in (line, line - 1) if 0 < n <= len(lines))


def _tool_finding(rule: Any, message: str, location: Location) -> Finding:
    return Finding(rule.code, rule.name, rule.severity, message, location)


def merge_renders(results: Sequence[RenderResult]) -> list[Finding]:
    """One finding per code and template line across the renders of a chart, naming the renders when
    there are several; an unused suppression only when no render used it."""
    renders_of_chart: dict[str, int] = {}
    for result in results:
        renders_of_chart[result.spec.chart] = renders_of_chart.get(result.spec.chart, 0) + 1
    merged: dict[tuple[str, str, int, str], tuple[Finding, list[str], int]] = {}
    order: list[tuple[str, str, int, str]] = []
    for result in results:
        for finding in result.findings:
            key = (finding.code, finding.location.path, finding.location.line,
                   finding.message if finding.code == diag.UNUSED_SUPPRESSION.code else "")
            found = merged.get(key)
            if found is None:
                merged[key] = (finding, [result.spec.label], renders_of_chart[result.spec.chart])
                order.append(key)
            else:
                first, labels, total = found
                related = tuple(dict.fromkeys((*first.related, *finding.related)))
                if result.spec.label not in labels:
                    labels.append(result.spec.label)
                merged[key] = (first._replace(related=related), labels, total)
    findings: list[Finding] = []
    for key in order:
        finding, labels, total = merged[key]
        if finding.code == diag.UNUSED_SUPPRESSION.code and len(labels) < total:
            continue  # another render used it
        if total > 1 and "(render " not in finding.message:
            finding = finding._replace(message=f"{finding.message} (render{'s' if len(labels) > 1 else ''} "
                                       f"{', '.join(labels)})")
        findings.append(finding)
    return findings


def input_digest(candidates: Sequence[Candidate], config: Config) -> str | None:
    """Digest of what the renders read besides the candidates: every file of each chart (helpers,
    packed subcharts, .helmignore) and the values files of the configured renders. None: no replay."""
    from kubelint_py.building.helm import store

    charts: set[str] = set()
    configured = configured_values(config)
    for candidate in candidates:
        if os.path.basename(candidate.path) == "Chart.yaml":
            charts.add(top_chart(os.path.dirname(os.path.realpath(candidate.read_path))))
        elif "templates" in candidate.path:
            found = chart_of_template(candidate.read_path)
            if found is not None:
                charts.add(found)
        elif candidate.explicit:  # a values file named alone renders its chart
            found = chart_of_values(candidate.read_path, configured)
            if found is not None:
                charts.add(found)
    parts = [_renderer_identity() or "none"]
    for chart in sorted(charts):
        digest = store.chart_digest(chart)
        if digest is None:
            return None
        parts.append(f"{chart}:{digest}")
    extra_files = [*config.helm_values, *(v for entry in config.helm_renders for v in entry.values)]
    for path in extra_files:
        text = _read(path)
        parts.append(f"{path}:{store.text_digest(text) if text is not None else '-'}")
    return "|".join(parts)


def _template_files(files: list[SourceFile]) -> dict[str, str]:
    """Displayed path -> real chart folder of every file under a chart's templates/ (whatever the
    loader made of it: a KL002 stub, or a template named on the command line and parsed as YAML)."""
    found: dict[str, str] = {}
    for source in files:
        if source.kind not in ("template", "kubernetes", "other", "unreadable") or "templates" not in source.path:
            continue
        chart = chart_of_template(source.fs_path or source.path)
        if chart is not None:
            found[source.path] = chart
    return found


def values_files(files: Iterable[SourceFile], config: Config) -> dict[str, tuple[str, str]]:
    """Displayed path -> (real chart folder, real path) of each file among `files` that is a values file of
    a chart: a YAML file in a chart's folder (not Chart.yaml), or one that a configured render names."""
    configured = configured_values(config)
    found: dict[str, tuple[str, str]] = {}
    for source in files:
        real = os.path.realpath(source.fs_path or source.path)
        chart = chart_of_values(real, configured)
        if chart is not None:
            found[source.path] = (chart, real)
    return found


def apply_helm(findings: list[Finding], files: list[SourceFile], config: Config, check: CheckFiles, *,
               cache_dir: str | None = None, tool: str = "",
               report_paths: Collection[str] | None = None, overlay: Overlay | None = None,
               renderer: Renderer | BinaryRenderer | None = None) -> list[Finding]:
    """The run's findings with the charts among `files` rendered: their findings added, the KL002 of the
    templates that rendered dropped; without a renderer, KL002 says how to get one.
    check: the rules over built files (api.check_sources); tool: the package fingerprint, for the store.

    A chart whose Chart.yaml is among the files is reported whole; a chart of which only some templates
    were named (a pre-commit run over changed files) is rendered whole but reported for those only. A
    values file named without its chart renders the chart (with it, when no render uses it yet) and is
    reported for the findings whose value it set, at the line that set it.
    report_paths: with a project as context, only the charts with a file among these are rendered, and
    only findings in these files are reported.
    overlay: real path -> text held in memory (an editor's buffers, standard input) for files of the
    charts: rendered in place of what the disk holds.
    renderer: a render process kept by the caller between runs (the language server's), else one for this run."""
    templates = _template_files(files)
    charts = find_charts(files)
    whole = set(charts)
    values_named = {path: found for path, found in values_files(files, config).items()
                    if (path in report_paths if report_paths is not None else found[0] not in whole)}
    if not templates and not values_named:
        return findings
    if report_paths is not None:
        wanted = set(report_paths)
        touched = {folder for path, folder in templates.items() if path in wanted}
        touched |= {found[0] for found in values_named.values()}
        fs_paths = [os.path.realpath(f.fs_path or f.path) for f in files if f.path in wanted]
        touched |= {chart for chart in charts if any(p == chart or p.startswith(chart + os.sep) for p in fs_paths)}
        charts = {chart: shown for chart, shown in charts.items() if chart in touched}
        templates = {path: folder for path, folder in templates.items() if folder in touched or path in wanted}
        whole = set(charts)
        if not templates and not values_named:
            return findings
    by_path = {f.path: f for f in files}
    for path, folder in templates.items():
        if folder not in charts:
            source = by_path[path]
            charts[folder] = _shown_folder(path, os.path.realpath(source.fs_path or source.path), folder)
    for path, (folder, real) in values_named.items():
        if folder not in charts and (real == folder or real.startswith(folder + os.sep)):
            charts[folder] = _shown_folder(path, real, folder)
    which = _renderer_identity()
    if which is None:
        return [f._replace(message=f"{f.message}; {EXTRA_HINT}")
                if f.code == diag.TEMPLATE_SKIPPED.code and f.location.path in templates
                and EXTRA_HINT not in f.message else f for f in findings]
    own = renderer is None
    if renderer is None:
        helm = None if which == "sdk" else find_helm()
        renderer = Renderer() if helm is None else BinaryRenderer(helm)
    linter = _RenderLinter(config, renderer, cache_dir, check, f"{tool}|{which}", overlay)
    results: list[RenderResult] = []
    per_chart: dict[str, ChartRenders] = {}
    try:
        for spec in _with_named_values(render_specs(charts, config), values_named):
            chart = per_chart.setdefault(spec.chart, ChartRenders(spec.chart, spec.display, overlay))
            results.append(linter.lint(spec, chart))
    finally:
        if own:
            renderer.close()
    handled = {path for path, folder in templates.items() if folder in per_chart}
    # What the loader said about a rendered template (KL002, or findings on the raw template parsed as
    # YAML when it was named alone) gives way to what its renders say.
    kept = [f for f in findings if f.location.path not in handled]
    from kubelint_py.engine.catalogue import find_rule

    named = {path for path, folder in templates.items() if folder not in whole}
    merged = [f for f in merge_renders(results) if (rule := find_rule(f.code)) is None or config.is_enabled(rule)]
    added = [f for f in merged
             if templates.get(f.location.path) in whole or f.location.path in named
             or (f.location.path not in templates and _chart_of_path(f.location.path, per_chart) in whole)]
    added += at_values_lines(merged, {path: real for path, (_, real) in values_named.items()})
    if report_paths is not None:
        added = [f for f in added if f.location.path in report_paths]
    rendered = {path for result in results for path in result.rendered}
    for path in handled:
        source = by_path[path]
        source.kind = "kubernetes" if path in rendered else "template"
        source.findings = []
    return sorted([*kept, *added], key=Finding.sort_key)


def _with_named_values(specs: list[RenderSpec], named: Mapping[str, tuple[str, str]]) -> list[RenderSpec]:
    """The renders, plus one with each named values file that no render of its chart reads (the
    chart's own values.yaml and its subcharts' are read by every render)."""
    extra: list[RenderSpec] = []
    for chart, real in sorted(named.values()):
        mine = [spec for spec in specs if spec.chart == chart]
        if not mine or any(real in {os.path.realpath(v) for v in spec.values} for spec in mine):
            continue
        if os.path.basename(real) == "values.yaml" and (os.path.dirname(real) == chart
                                                          or os.path.basename(os.path.dirname(os.path.dirname(real)))
                                                          == "charts"):
            continue
        base = mine[0]
        extra.append(RenderSpec(chart, base.display, base.release, base.namespace, (*base.values, real), base.set))
    return [*specs, *extra]


def at_values_lines(findings: Iterable[Finding], named: Mapping[str, str]) -> list[Finding]:
    """The findings whose value a named values file set (a related location in it), reported at that
    values line, the template line they were found at as a related location."""
    if not named:
        return []
    reals = {real: path for path, real in named.items()}
    moved: dict[tuple[str, str, int], Finding] = {}
    for finding in findings:
        for related in finding.related:
            where = related.location
            path = where.path if where.path in named else reals.get(os.path.realpath(where.path))
            if path is None or not related.message.startswith(".Values."):
                continue
            key = (finding.code, path, where.line)
            if key in moved:
                continue
            others = tuple(r for r in finding.related if r is not related)
            moved[key] = finding._replace(
                message=f"{finding.message} (the value set here: {related.message})",
                location=where._replace(path=path),
                related=(Related(finding.location, "found in the rendered template here"), *others))
    return list(moved.values())


def _renderer_identity() -> str | None:
    """Which renderer this run has: "sdk" (helm-python-sdk), the `helm` binary on PATH (its path, size
    and time), or None."""
    if sdk_available():
        return "sdk"
    helm = find_helm()
    return identity(helm) if helm is not None else None


def _chart_of_path(path: str, charts: Mapping[str, object]) -> str | None:
    """The chart a finding outside the templates (Chart.yaml, a values file) belongs to."""
    real = os.path.join(os.path.realpath(os.path.dirname(path) or "."), os.path.basename(path))  # a link itself
    for chart in charts:
        if real == chart or real.startswith(chart + os.sep):
            return chart
    return None
