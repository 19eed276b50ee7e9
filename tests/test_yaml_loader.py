"""The YAML loader: values, positions, YAML 1.1/1.2 resolution, bounds; both parser paths agree."""

from __future__ import annotations

import pickle

import pytest

from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap, span_at
from kubelint_py.parsing import yaml as yaml_parser
from kubelint_py.parsing.yaml import load_yaml, resolve_plain

DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: "nginx:1.27"
          env:
            - {name: A, value: x}
"""


def test_positions_of_keys_values_and_items() -> None:
    root = load_yaml(DOC).documents[0].value
    assert isinstance(root, YMap)
    assert root.key_span("kind") == Span(2, 1, 2, 5)
    assert root.value_span("kind") == Span(2, 7, 2, 17)
    containers = root["spec"]["template"]["spec"]["containers"]
    assert isinstance(containers, YList)
    assert containers.item_span(0).line == 9
    assert containers[0].value_span("image") == Span(10, 18, 10, 30)
    assert span_at(root, ("spec", "template", "spec", "containers", 0, "env", 0, "value")) == Span(12, 32, 12, 33)
    assert span_at(root, ("spec", "missing", "deeper"), key=True) == root.value_span("spec")


@pytest.mark.parametrize(("text", "yaml11", "yaml12"), [
    ("yes", True, "yes"), ("on", True, "on"), ("N", False, "N"), ("0644", 420, 644), ("0x1F", 31, 31),
    ("1_000", 1000, "1_000"), ("1e3", 1000.0, 1000.0), ("~", None, None), ("true", True, True),
    ("0.5", 0.5, 0.5), ("web", "web", "web"), ("22:22", "22:22", "22:22"), ("-1", -1, -1),
])
def test_scalar_resolution(text: str, yaml11: object, yaml12: object) -> None:
    assert resolve_plain(text, "yaml11") == yaml11
    assert resolve_plain(text, "yaml12") == yaml12


def test_quoted_scalars_stay_strings_and_keys_keep_their_text() -> None:
    root = load_yaml('a: "yes"\nb: \'0644\'\ny: 1\n80: http\n').documents[0].value
    assert root == {"a": "yes", "b": "0644", "y": 1, "80": "http"}


def test_ambiguities_are_recorded_and_can_be_reread() -> None:
    doc = load_yaml("env: no\nmode: 0755\nname: web\n").documents[0]
    assert doc.value == {"env": False, "mode": 493, "name": "web"}
    assert [(a.raw, a.span.line) for a in doc.ambiguities] == [("no", 1), ("0755", 2)]
    doc.use_schema("yaml12")
    assert doc.value == {"env": "no", "mode": 755, "name": "web"}


def test_multi_document_stream_and_empty_documents() -> None:
    stream = load_yaml("---\na: 1\n---\n# only a comment\n---\n- x\n")
    assert [d.value for d in stream.documents] == [{"a": 1}, None, ["x"]]
    assert stream.documents[2].span.line == 5


def test_duplicate_keys_report_both_lines() -> None:
    stream = load_yaml("a: 1\nb: 2\na: 3\n")
    assert stream.documents[0].value == {"a": 3, "b": 2}
    [problem] = stream.problems
    assert problem.kind == "duplicate-key"
    assert problem.span.line == 3
    assert problem.related is not None and problem.related.line == 1


def test_merge_keys_and_aliases() -> None:
    text = "base: &b {image: x, restart: always}\nweb:\n  <<: *b\n  image: y\n"
    root = load_yaml(text, "yaml12").documents[0].value
    assert root["web"] == {"image": "y", "restart": "always"}
    assert root["web"].value_span("restart").line == 1  # points at the anchored definition


def test_syntax_error_keeps_earlier_documents() -> None:
    stream = load_yaml("a: 1\n---\nb: [1,\nc: 2\n")
    assert [d.value for d in stream.documents] == [{"a": 1}]
    [problem] = stream.problems
    assert problem.kind == "syntax" and problem.span.line == 5  # where the parser noticed; the message names line 3


def test_alias_bomb_is_bounded() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    stream = load_yaml("\n".join(lines) + "\n")
    assert [p.kind for p in stream.problems] == ["alias-bomb"]
    assert stream.documents[0].value is None


def test_deep_nesting_is_bounded_without_recursion_error() -> None:
    stream = load_yaml("[" * 20000 + "]" * 20000)
    assert [p.kind for p in stream.problems] == ["too-deep"]
    stream = load_yaml("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 100)) + "  " * 100 + "v: 1\n")
    assert stream.problems == []


def test_custom_tags_are_never_constructed() -> None:
    root = load_yaml("a: !!python/object:os.system echo\nb: !Ref Thing\n").documents[0].value
    assert root == {"a": "echo", "b": "Thing"}


def test_bom_and_crlf_keep_lines_right() -> None:
    root = load_yaml("\ufeffa: 1\r\nb: 2\r\n").documents[0].value
    assert root.key_span("b").line == 2


def test_values_pickle_with_their_positions() -> None:
    root = load_yaml(DOC).documents[0].value
    copy = pickle.loads(pickle.dumps(root))
    assert copy == root and copy.value_spans == root.value_spans
    assert copy["spec"]["template"]["spec"]["containers"].item_spans == \
        root["spec"]["template"]["spec"]["containers"].item_spans


@pytest.mark.skipif(not yaml_parser.HAVE_C_PARSER, reason="the C parser is not installed")
@pytest.mark.parametrize("text", [
    DOC, "a: &x [1, {b: c}]\nd: *x\ne: |\n  text\n  more\n", "- yes\n- '1'\n- 0o17\n",
    # the builder's slower paths: duplicate keys (scalar and container values), merge keys, anchors on
    # keys and scalars, tags, complex keys, ambiguous scalars, an undefined alias, a broken document
    "a: 1\na: {b: 2}\nc: [x]\nc: y\n",
    "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nn: {<<: [*b, {z: 4}]}\n",
    "&k key: &v value\nother: *v\nt: !!int '7'\nu: !custom text\n? {complex: key}\n: value\n",
    "on: yes\nlist: [no, 0x1F, 1_000, ~, 3.5e3]\n---\n- *missing\n---\nok: true\n",
    "a: [1, 2\nb: 3\n---\nc: d\n",
])
@pytest.mark.parametrize("tuple_events", [True, False], ids=["tuple-events", "event-objects"])
def test_c_and_pure_parsers_give_the_same_model(text: str, tuple_events: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not tuple_events:  # the fallback for a ruamel.yaml.clib whose events the tuple factories do not fit
        monkeypatch.setattr(yaml_parser, "tuple_events_work", lambda: False)
    fast, pure = load_yaml(text), load_yaml(text, pure=True)
    assert [d.value for d in fast.documents] == [d.value for d in pure.documents]
    assert [d.span for d in fast.documents] == [d.span for d in pure.documents]
    assert [(p.kind, p.span, p.related) for p in fast.problems] == \
        [(p.kind, p.span, p.related) for p in pure.problems]
    assert [[(a.key, a.raw, a.span) for a in d.ambiguities] for d in fast.documents] == \
        [[(a.key, a.raw, a.span) for a in d.ambiguities] for d in pure.documents]
    assert fast.complex_keys == pure.complex_keys

    def spans(node: object) -> list[object]:
        if isinstance(node, YMap):
            return [node.key_spans, node.value_spans] + [s for v in node.values() for s in spans(v)]
        if isinstance(node, YList):
            return [node.item_spans] + [s for v in node for s in spans(v)]
        return []

    assert [spans(d.value) for d in fast.documents] == [spans(d.value) for d in pure.documents]


@pytest.mark.skipif(not yaml_parser.HAVE_C_PARSER, reason="the C parser is not installed")
def test_the_installed_c_parser_takes_the_tuple_event_path() -> None:
    assert yaml_parser.tuple_events_work()


@pytest.mark.skipif(not yaml_parser.HAVE_C_PARSER, reason="the C parser is not installed")
@pytest.mark.parametrize("text", ["a: b\n", "a: [1, 2\n", "- *missing\n"])
def test_the_c_parsers_event_classes_are_restored_after_a_parse(text: str) -> None:
    import _ruamel_yaml
    from ruamel.yaml import events

    load_yaml(text)
    assert _ruamel_yaml.ScalarEvent is events.ScalarEvent
    assert _ruamel_yaml.MappingEndEvent is events.MappingEndEvent
    assert _ruamel_yaml.StreamEndEvent is events.StreamEndEvent
