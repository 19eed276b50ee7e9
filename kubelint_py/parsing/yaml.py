"""YAML text -> located plain values (YMap / YList / scalars), one document at a time.

Built from the parser's event stream rather than ruamel's round-trip loader: the C event parser is
about ten times faster, and building values in one loop with an explicit stack means no recursion
(20,000 levels of nesting cannot raise RecursionError) and full control over aliases, merge keys,
duplicate keys and scalar resolution. Nothing is ever constructed from a tag: custom tags keep their
text, so loading is safe by construction.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap

try:  # the C parser ships in ruamel.yaml.clib; the pure parser is the fallback and gives the same events
    from _ruamel_yaml import CParser as _CParser

    HAVE_C_PARSER = True
except ImportError:  # pragma: no cover - depends on the platform
    _CParser = None
    HAVE_C_PARSER = False

Schema = Literal["yaml11", "yaml12"]

MAX_DEPTH = 400
"""Deeper documents are refused: every later stage walks the data, and real manifests stay under 60."""

MAX_NODES = 1_000_000
"""Default limit on parser events per file (about 2 KB of YAML each): real manifests have 20,000-40,000
per MB, a hostile 10 MB `[a,a,a,...]` has 5 million, which would take half a minute and a gigabyte."""

MIN_EXPANSION_BUDGET = 250_000
"""Aliases may expand a document to this many nodes, or four times its event count if larger."""

BYTES_PER_NODE = 64
"""A scalar value counts one node more per this many characters (a shift by 6): aliases are counted by
what they expand to, bytes included (a 1 MB anchored string aliased 3,000 times was 3,000 nodes, and
3 GB for every later stage that copies or quotes values: schema messages, reports). The file's own
text is allowed on top of the node budget, so only expansion can exceed it."""


class YamlProblem(NamedTuple):
    kind: Literal["syntax", "duplicate-key", "alias-bomb", "too-deep", "too-large"]
    message: str
    span: Span
    related: Span | None = None


@dataclass(slots=True)
class Ambiguity:
    """A plain scalar that YAML 1.1 (Kubernetes' reader) and YAML 1.2 read differently."""

    container: YMap | YList
    key: Any
    raw: str
    yaml11: Any
    yaml12: Any
    span: Span


@dataclass(slots=True)
class YamlDocument:
    index: int
    value: Any
    span: Span
    ambiguities: list[Ambiguity] = field(default_factory=list)

    def use_schema(self, schema: Schema) -> None:
        """Re-read the ambiguous plain scalars under another schema (e.g. a file found to be Compose)."""
        for item in self.ambiguities:
            item.container[item.key] = item.yaml11 if schema == "yaml11" else item.yaml12


@dataclass(slots=True)
class YamlStream:
    documents: list[YamlDocument]
    problems: list[YamlProblem]
    complex_keys: int = 0
    """Mappings used as keys: legal YAML, but in practice the sign of an unrendered `{{ }}` template."""
    complex_key_lines: list[int] = field(default_factory=list)
    """Where the first of them are (at most 1,000), so that each document is judged on its own."""


# --- scalar resolution -------------------------------------------------------------------------

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE_12 = frozenset({"true", "True", "TRUE"})
_FALSE_12 = frozenset({"false", "False", "FALSE"})
# go-yaml v2, which Kubernetes' sigs.k8s.io/yaml uses, reads these YAML 1.1 booleans.
_TRUE_11 = _TRUE_12 | {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_FALSE_11 = _FALSE_12 | {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_INT_12 = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_INT_11 = re.compile(r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|[1-9][0-9_]*|0)")
_FLOAT_12 = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_FLOAT_11 = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = frozenset({".nan", ".NaN", ".NAN"})
# A plain scalar starting with none of these characters is always a string: the fast path.
_MAYBE_NOT_STRING = frozenset("0123456789-+.~nNtTfFyYoO")


def _resolve_int(text: str, yaml11: bool) -> int:
    cleaned = text.replace("_", "") if yaml11 else text
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned.lstrip("+-")
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0b"):
        return sign * int(digits[2:], 2)
    if yaml11 and len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def resolve_plain(text: str, schema: Schema) -> Any:
    """The value a plain (unquoted, untagged) scalar has under the given schema."""
    if not text:
        return None
    if text[0] not in _MAYBE_NOT_STRING:
        return text
    yaml11 = schema == "yaml11"
    if text in _NULLS:
        return None
    if text in (_TRUE_11 if yaml11 else _TRUE_12):
        return True
    if text in (_FALSE_11 if yaml11 else _FALSE_12):
        return False
    if (_INT_11 if yaml11 else _INT_12).fullmatch(text):
        try:
            return _resolve_int(text, yaml11)
        except ValueError:
            return text
    if (_FLOAT_11 if yaml11 else _FLOAT_12).fullmatch(text) and any(ch.isdigit() for ch in text):
        try:
            return float(text.replace("_", "") if yaml11 else text)
        except ValueError:
            return text
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if text in _NAN:
        return math.nan
    return text


def _tagged_scalar(text: str, tag: str) -> Any:
    """Standard tags are honoured; any other tag keeps the text (nothing is ever constructed)."""
    if tag == "tag:yaml.org,2002:int":
        try:
            return _resolve_int(text, True)
        except ValueError:
            return text
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(text)
        except ValueError:
            return text
    if tag == "tag:yaml.org,2002:bool":
        return text in _TRUE_11
    if tag == "tag:yaml.org,2002:null":
        return None
    return text


def _resolve_scalar(text: str, tag: str | None, style: Any, schema: Schema) -> tuple[Any, tuple[Any, Any] | None]:
    """The value of a scalar event, and its (YAML 1.1, YAML 1.2) readings when they differ."""
    if tag is not None and tag != "!":
        return _tagged_scalar(text, tag), None
    if style:  # quoted or block scalars are always strings
        return text, None
    if text and text[0] in _MAYBE_NOT_STRING:
        key = (text, schema)
        found = _PLAIN_MEMO.get(key)
        if found is None:
            if len(_PLAIN_MEMO) >= _PLAIN_MEMO_SIZE:
                _PLAIN_MEMO.clear()
            found = _PLAIN_MEMO[key] = _resolve_plain_pair(text, schema)
        return found
    return text or None, None


def _resolve_plain_pair(text: str, schema: Schema) -> tuple[Any, tuple[Any, Any] | None]:
    as11, as12 = resolve_plain(text, "yaml11"), resolve_plain(text, "yaml12")
    value = as11 if schema == "yaml11" else as12
    if type(as11) is not type(as12) or repr(as11) != repr(as12):
        return value, (as11, as12)
    return value, None


# Plain scalars repeat a lot across manifests (numbers, `true`, `name`-like words): resolve each once.
# The results are immutable (str, int, float, bool, None), so sharing them is safe.
_PLAIN_MEMO: dict[tuple[str, Schema], tuple[Any, tuple[Any, Any] | None]] = {}
_PLAIN_MEMO_SIZE = 65_536


# --- the builder -------------------------------------------------------------------------------


# Line breaks as YAML readers count them (libyaml and ruamel's reader agree).
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# A document start marker: `---` at the start of a line, followed by a blank or the end.
_DOC_START = re.compile(r"(?:\A|(?<=[\r\n\x85\u2028\u2029]))---(?=[ \t\r\n\x85\u2028\u2029]|\Z)")


class _TooLarge(Exception):
    """The file has more nodes than the budget: stop reading it altogether."""


class _Stop(Exception):
    """Reading on in this document is pointless (too deep, alias bomb): stop the parser here."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Frame:
    __slots__ = ("anchor", "container", "end", "merges", "pending_key", "pending_key_span", "size")

    def __init__(self, container: YMap | YList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.pending_key: Any = _NO_KEY
        self.pending_key_span: Span | None = None
        self.size = 1
        self.end: Span = container.span
        self.merges: list[YMap] = []


_NO_KEY: Any = object()


class _Builder:
    def __init__(self, schema: Schema) -> None:
        self.schema: Schema = schema
        self.problems: list[YamlProblem] = []
        self.documents: list[YamlDocument] = []
        self.anchors: dict[str, tuple[Any, int, Span]] = {}
        self.stack: list[_Frame] = []
        self.doc_value: Any = None
        self.doc_start: Span | None = None
        self.doc_ambiguities: list[Ambiguity] = []
        self.doc_has_value = False
        self.failed_document = False
        self.complex_keys = 0
        self.complex_key_lines: list[int] = []
        self.line_offset = 0
        """Lines before the text being parsed (when reading on after a fatal error, chunk by chunk)."""
        self.max_events = MAX_NODES
        self.text_allowance = 0
        """The file's length in nodes of BYTES_PER_NODE characters (see _add)."""
        self.events_seen = 0
        self.doc_first_event = 0

    def _span(self, start: Any, end: Any) -> Span:
        offset = self.line_offset + 1
        return Span(start.line + offset, start.column + 1, end.line + offset, end.column + 1)

    def feed(self, events: Iterator[tuple[Any, ...]]) -> None:
        # The hot loop of every run. Events are flat tuples led by a code (see _EVENT_FACTORIES), the
        # common cases (a key, a plain scalar value, a container opening or closing inside another) are
        # handled inline, and spans are built in C (tuple.__new__ skips the named tuple's __new__).
        new, span_type = tuple.__new__, Span
        resolve, maybe, schema = _resolve_scalar, _MAYBE_NOT_STRING, self.schema
        no_key, ymap, ylist, frame_type, intern = _NO_KEY, YMap, YList, _Frame, sys.intern
        budget = MIN_EXPANSION_BUDGET
        offset = self.line_offset + 1  # lines before this chunk when reading on after a fatal error
        seen, limit = self.events_seen, self.max_events
        # Locals for what every event reads: the stack is one list for the builder's life (cleared, never
        # replaced), and `failed` is read again after each call that can fail a document.
        stack, failed = self.stack, self.failed_document
        try:
            for event in events:
                code = event[0]
                seen += 1
                if seen > limit:
                    raise _TooLarge
                if failed and code < _DOC_START_EVENT:
                    continue
                if code == _SCALAR_EVENT:
                    _, text, start, end, anchor, tag, style = event
                    span = new(span_type, (start.line + offset, start.column + 1, end.line + offset, end.column + 1))
                    if stack and anchor is None:
                        frame = stack[-1]
                        if frame.size < budget:
                            container: Any = frame.container  # YMap | YList, told apart by type()
                            if type(container) is ymap and frame.pending_key is no_key:
                                # A mapping key: keys keep their text (see _add), nothing to resolve. Its
                                # value always follows and sets frame.end, so the key does not.
                                frame.size += 1
                                frame.pending_key = intern(text)  # one string per distinct key: less
                                frame.pending_key_span = span      # memory, and pickles share them
                                continue
                            if tag is None and not style and (not text or text[0] not in maybe):
                                value, ambiguity = text or None, None  # the common case: a plain string
                            else:
                                value, ambiguity = resolve(text, tag, style, schema)
                            if ambiguity is None:
                                if type(container) is ylist:
                                    frame.size += 1 + (len(text) >> 6)
                                    frame.end = span
                                    container.append(value)
                                    container.item_spans.append(span)
                                    continue
                                key = frame.pending_key
                                key_spans = container.key_spans
                                if key not in key_spans:  # a duplicate key is reported by _add
                                    frame.size += 1 + (len(text) >> 6)
                                    frame.end = span
                                    frame.pending_key = no_key
                                    container[key] = value
                                    key_spans[key] = frame.pending_key_span or span
                                    container.value_spans[key] = span
                                    continue
                            self.events_seen = seen
                            self._add(value, span, 1 + (len(text) >> 6), None, ambiguity, text)
                            failed = self.failed_document
                            continue
                    if tag is None and not style and (not text or text[0] not in maybe):
                        value, ambiguity = text or None, None
                    else:
                        value, ambiguity = resolve(text, tag, style, schema)
                    self.events_seen = seen
                    self._add(value, span, 1 + (len(text) >> 6), anchor, ambiguity, text)
                    failed = self.failed_document
                elif code == _END_EVENT:
                    frame = stack.pop()
                    container = frame.container
                    if frame.merges and type(container) is ymap:
                        self._apply_merges(container, frame.merges)
                    start, last = container.span, frame.end
                    span = container.span = new(span_type, (start[0], start[1], last[2], last[3]))
                    if stack and frame.anchor is None:
                        parent = stack[-1]
                        size = parent.size + frame.size
                        if size <= budget:
                            into: Any = parent.container
                            if type(into) is ylist:
                                parent.size = size
                                parent.end = span
                                into.append(container)
                                into.item_spans.append(span)
                                continue
                            key = parent.pending_key
                            key_spans = into.key_spans
                            if key is not no_key and key != "<<" and key not in key_spans:
                                parent.size = size
                                parent.end = span
                                parent.pending_key = no_key
                                into[key] = container
                                key_spans[key] = parent.pending_key_span or span
                                into.value_spans[key] = span
                                continue
                    self.events_seen = seen
                    self._add(container, span, frame.size, frame.anchor, None, None)
                    failed = self.failed_document
                elif code in (_MAP_START_EVENT, _SEQ_START_EVENT):
                    _, anchor, start, end = event
                    span = new(span_type, (start.line + offset, start.column + 1, end.line + offset, end.column + 1))
                    opened = ymap(span) if code == _MAP_START_EVENT else ylist(span)
                    if len(stack) >= MAX_DEPTH:
                        self.events_seen = seen
                        self._open(anchor, opened)
                        failed = self.failed_document
                    else:
                        stack.append(frame_type(opened, anchor))
                elif code == _ALIAS_EVENT:
                    self.events_seen = seen
                    self._alias(event[1], event[2], event[3])
                    failed = self.failed_document
                elif code == _DOC_START_EVENT:
                    self.events_seen = seen
                    self._start_document(event[1])
                    failed = self.failed_document
                elif code == _DOC_END_EVENT:
                    self.events_seen = seen
                    self._end_document(event[1], event[2])
                    failed = self.failed_document
                elif code == _STREAM_END_EVENT:
                    return
        finally:
            self.events_seen = seen

    @property
    def doc_events(self) -> int:
        """Events read since the current document started."""
        return self.events_seen - self.doc_first_event

    # documents

    def _start_document(self, mark: Any) -> None:
        self.anchors = {}
        self.stack.clear()
        self.doc_value = None
        self.doc_has_value = False
        self.doc_start = self._span(mark, mark)
        self.doc_ambiguities = []
        self.doc_first_event = self.events_seen
        self.failed_document = False

    def _end_document(self, first: Any, end: Any) -> None:
        start = self.doc_start or self._span(first, first)
        span = Span(start.line, start.column, end.line + 1 + self.line_offset, end.column + 1)
        value = None if self.failed_document else self.doc_value
        self.documents.append(YamlDocument(len(self.documents), value, span, self.doc_ambiguities))
        self.stack.clear()
        self.anchors = {}

    def _fail_document(self, problem: YamlProblem, *, stop: bool = False) -> None:
        self.problems.append(problem)
        self.failed_document = True
        self.stack.clear()
        self.anchors = {}
        if stop:
            # Keep the document's place (later documents keep their index) and stop reading: the
            # parser's own cost grows with the nesting it still has to go through.
            start = self.doc_start or problem.span
            self.documents.append(YamlDocument(len(self.documents), None, Span(
                start.line, start.column, problem.span.end_line, problem.span.end_column)))
            raise _Stop(problem.span.line)

    # values

    def _alias(self, anchor: str, start: Any, end: Any) -> None:
        span = self._span(start, end)
        found = self.anchors.get(anchor)
        if found is None:
            self._fail_document(YamlProblem("syntax", f"found undefined alias '*{anchor}'", span))
            return
        value, size, _ = found
        self._add(value, span, size, None, None, None)

    def _open(self, anchor: str | None, container: YMap | YList) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self._fail_document(YamlProblem(
                "too-deep", f"nesting deeper than {MAX_DEPTH} levels; the document is not linted",
                container.span), stop=True)
            return
        self.stack.append(_Frame(container, anchor))

    def _apply_merges(self, target: YMap, sources: list[YMap]) -> None:
        # Explicit keys win over merged ones; earlier merge sources win over later ones (YAML 1.1 merge).
        for source in sources:
            for key, value in source.items():
                if key not in target:
                    target[key] = value
                    target.key_spans[key] = source.key_span(key)
                    target.value_spans[key] = source.value_span(key)

    def _add(self, value: Any, span: Span, size: int, anchor: str | None,
             ambiguity: tuple[Any, Any] | None, raw: str | None) -> None:
        if anchor:
            self.anchors[anchor] = (value, size, span)
        if not self.stack:
            self.doc_value = value
            self.doc_has_value = True
            return
        frame = self.stack[-1]
        frame.size += size
        frame.end = span
        if frame.size > max(MIN_EXPANSION_BUDGET, 4 * self.doc_events) + self.text_allowance:
            self._fail_document(YamlProblem(
                "alias-bomb",
                f"aliases expand this document to more than {frame.size:,} nodes, counting "
                f"{BYTES_PER_NODE} characters of text as one (a 'billion laughs' pattern); "
                "the document is not linted", span), stop=True)
            return
        container = frame.container
        if isinstance(container, YList):
            index = len(container)
            container.append(value)
            container.item_spans.append(span)
            if ambiguity is not None and raw is not None:
                self.doc_ambiguities.append(Ambiguity(container, index, raw, ambiguity[0], ambiguity[1], span))
            return
        if frame.pending_key is _NO_KEY:
            # Keys keep their text: manifests are JSON objects whose keys are strings, and rules look
            # fields up by the name written (`y:` and `80:` stay "y" and "80").
            if raw is not None:
                key: Any = sys.intern(raw)
            elif isinstance(value, str):
                key = value
            else:
                self.complex_keys += 1
                if len(self.complex_key_lines) < 1_000:
                    self.complex_key_lines.append(span.line)
                key = str(dict(value) if isinstance(value, YMap) else value)
            frame.pending_key = key
            frame.pending_key_span = span
            return
        key, key_span = frame.pending_key, frame.pending_key_span or span
        frame.pending_key = _NO_KEY
        if key == "<<" and raw is None and isinstance(value, YMap | YList):
            frame.merges.extend(item for item in ([value] if isinstance(value, YMap) else value)
                                if isinstance(item, YMap))
            return
        if key in container.key_spans:
            first = container.key_spans[key]
            self.problems.append(YamlProblem(
                "duplicate-key",
                f"duplicate key '{key}': first defined on line {first.line}, the later value wins here "
                "but the API server and docker compose reject the file",
                key_span, first))
        container[key] = value
        container.key_spans[key] = key_span
        container.value_spans[key] = span
        if ambiguity is not None and raw is not None:
            self.doc_ambiguities.append(Ambiguity(container, key, raw, ambiguity[0], ambiguity[1], span))


# Events as the builder reads them: flat tuples led by one of these codes. The C parser builds its event
# objects by calling the event classes it finds in its module; while we parse, those names point at the
# factories below, so no ruamel Event object (three Python __init__ calls each) is ever made.
_SCALAR_EVENT, _END_EVENT, _MAP_START_EVENT, _SEQ_START_EVENT, _ALIAS_EVENT = 0, 1, 2, 3, 4
_STREAM_END_EVENT, _STREAM_START_EVENT, _DOC_START_EVENT, _DOC_END_EVENT = 5, 6, 7, 8
"""Codes below _DOC_START_EVENT are skipped inside a document that failed."""

_EVENT_FACTORIES: dict[str, Any] = {
    "ScalarEvent": lambda anchor, tag, implicit, value, start, end, style: (
        _SCALAR_EVENT, value, start, end, anchor, tag, style),
    "MappingStartEvent": lambda anchor, tag, implicit, start, end, flow: (_MAP_START_EVENT, anchor, start, end),
    "SequenceStartEvent": lambda anchor, tag, implicit, start, end, flow: (_SEQ_START_EVENT, anchor, start, end),
    "MappingEndEvent": lambda start, end: (_END_EVENT, start, end),
    "SequenceEndEvent": lambda start, end: (_END_EVENT, start, end),
    "AliasEvent": lambda anchor, start, end: (_ALIAS_EVENT, anchor, start, end),
    "DocumentStartEvent": lambda start, end, explicit, version, tags: (_DOC_START_EVENT, start, end),
    "DocumentEndEvent": lambda start, end, explicit: (_DOC_END_EVENT, start, end),
    "StreamStartEvent": lambda start, end, encoding: (_STREAM_START_EVENT,),
    "StreamEndEvent": lambda start, end: (_STREAM_END_EVENT,),
}


@contextmanager
def _tuple_events() -> Iterator[None]:
    """Point the C parser's event classes at the tuple factories for the duration of one parse."""
    import _ruamel_yaml

    saved = {name: getattr(_ruamel_yaml, name) for name in _EVENT_FACTORIES}
    for name, factory in _EVENT_FACTORIES.items():
        setattr(_ruamel_yaml, name, factory)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(_ruamel_yaml, name, original)


@lru_cache(maxsize=1)
def tuple_events_work() -> bool:
    """Whether this ruamel.yaml.clib builds its events as _EVENT_FACTORIES expect (the argument order of
    its event classes is its own business): checked once per process on a probe document against its
    real event objects. When not, the C parser's events are converted one by one (slower, same model)."""
    if _CParser is None:
        return False
    probe = "a: &x [1, 'two', ~]\nb: *x\n? [c]\n: {d: !t e}\n---\n- |\n  f\n...\n"

    def comparable(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple((item.line, item.column) if hasattr(item, "line") else item for item in event)
                for event in events]

    try:
        with _tuple_events():
            fast = list(iter(_CParser(probe).get_event, None))
        slow = [_as_tuple(event) for event in iter(_CParser(probe).get_event, None)]
    except Exception:
        return False
    return comparable(fast) == comparable(slow)


def _as_tuple(event: Any) -> tuple[Any, ...]:
    """A pure-Python parser event in the tuple form the C parser gives (see _EVENT_FACTORIES)."""
    cls = type(event)
    if cls is ev.ScalarEvent:
        return (_SCALAR_EVENT, event.value, event.start_mark, event.end_mark, event.anchor,
                None if event.ctag is None else str(event.ctag), event.style)
    if cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
        code = _MAP_START_EVENT if cls is ev.MappingStartEvent else _SEQ_START_EVENT
        return (code, event.anchor, event.start_mark, event.end_mark)
    if cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
        return (_END_EVENT, event.start_mark, event.end_mark)
    if cls is ev.AliasEvent:
        return (_ALIAS_EVENT, event.anchor, event.start_mark, event.end_mark)
    if cls is ev.DocumentStartEvent:
        return (_DOC_START_EVENT, event.start_mark, event.end_mark)
    if cls is ev.DocumentEndEvent:
        return (_DOC_END_EVENT, event.start_mark, event.end_mark)
    if cls is ev.StreamEndEvent:
        return (_STREAM_END_EVENT,)
    return (_STREAM_START_EVENT,)


def _events(text: str, *, pure: bool) -> Iterator[tuple[Any, ...]]:
    if HAVE_C_PARSER and not pure:
        # A C-level iterator, no generator frame per event; feed() stops at the stream end. The caller
        # holds _tuple_events() around the iteration.
        return iter(_CParser(text).get_event, None)
    from ruamel.yaml import YAML

    return map(_as_tuple, YAML(typ="safe", pure=True).parse(text))


def _count_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    return len(_BREAKS.findall(text, start, len(text) if end is None else end))


def line_at(text: str, offset: int) -> int:
    """The 1-based line of a character offset, counting line breaks as the YAML parser does."""
    return _count_breaks(text, 0, max(offset, 0)) + 1


def _parse(builder: _Builder, text: str, pure: bool, line_offset: int) -> int | None:
    """Feed one text (the whole stream, or a chunk of it) to the builder.

    Returns None when it parsed to the end, else the (absolute, 1-based) line where parsing stopped.
    """
    builder.line_offset = line_offset
    try:
        if HAVE_C_PARSER and not pure and tuple_events_work():
            with _tuple_events():
                builder.feed(_events(text, pure=False))
        elif HAVE_C_PARSER and not pure:
            builder.feed(map(_as_tuple, _events(text, pure=False)))
        else:
            builder.feed(_events(text, pure=True))
    except _Stop as stop:
        return stop.line
    except _TooLarge:
        raise
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = error.problem or "invalid YAML"
        if error.context:
            reason = f"{reason} ({error.context}"
            if error.context_mark is not None and error.context_mark is not mark:
                reason += f" started on line {error.context_mark.line + 1 + line_offset}"
            reason += ")"
        line += line_offset
        builder.problems.append(YamlProblem("syntax", f"invalid YAML: {reason}", Span.point(line, column)))
        return line
    except ReaderError as error:
        # A character YAML forbids anywhere (a control character, say): point at it.
        char = error.character if isinstance(error.character, str) else chr(error.character)
        where = text.find(char) if char else -1
        if where < 0:
            where = min(max(error.position, 0), len(text))
        line = _count_breaks(text, 0, where) + 1
        last_break = max(text.rfind(c, 0, where) for c in "\r\n\x85\u2028\u2029")
        column = where - last_break
        line += line_offset
        builder.problems.append(YamlProblem(
            "syntax", f"invalid YAML: character U+{ord(char or ' '):04X} is not allowed in YAML "
            f"({error.reason})", Span.point(line, column)))
        return line
    except (YAMLError, ValueError, UnicodeError) as error:
        builder.problems.append(YamlProblem("syntax", f"invalid YAML: {error}", Span.point(1 + line_offset, 1)))
        return 1 + line_offset
    return None


def load_yaml(text: str, schema: Schema = "yaml11", *, pure: bool = False,
              max_nodes: int = MAX_NODES) -> YamlStream:
    """Parse every document of a YAML stream. Never raises on bad input: problems are returned.

    Documents that parsed before a syntax error are kept, and reading goes on at the next `---` after
    it, so one broken document does not hide the others.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    builder = _Builder(schema)
    builder.max_events = max_nodes
    builder.text_allowance = len(text) // BYTES_PER_NODE
    try:
        return _load(builder, text, pure)
    except _TooLarge:
        # Not linted at all rather than half: a partial file would mislead cross-file checks.
        return YamlStream([], [YamlProblem(
            "too-large", f"more than {max_nodes:,} YAML nodes; the file was not linted (the limit grows "
            "with max-file-size)", Span.point(1))])


def _load(builder: _Builder, text: str, pure: bool) -> YamlStream:
    failed_line = _parse(builder, text, pure, 0)
    if failed_line is not None:
        # Each later document is parsed on its own (from its `---` to the next), so the work stays
        # linear however many documents fail.
        starts: list[tuple[int, int]] = []
        line, previous = 1, 0
        for match in _DOC_START.finditer(text):
            line += _count_breaks(text, previous, match.start())
            previous = match.start()
            # A parser usually notices an unclosed document at the next `---`: read on from there.
            if line >= failed_line and match.start() > 0:
                starts.append((match.start(), line))
        for number, (offset, first_line) in enumerate(starts):
            end = starts[number + 1][0] if number + 1 < len(starts) else len(text)
            builder.stack.clear()
            builder.failed_document = False
            _parse(builder, text[offset:end], pure, first_line - 1)
        # A document that failed on its own `---` line fails again when re-read from there.
        unique: dict[tuple[str, int], YamlProblem] = {}
        for problem in builder.problems:
            unique.setdefault((problem.kind, problem.span.line), problem)
        builder.problems = list(unique.values())
    return YamlStream(builder.documents, builder.problems, builder.complex_keys, builder.complex_key_lines)
