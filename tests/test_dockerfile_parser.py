from __future__ import annotations

import random
import time

import pytest

from kubelint_py.core.source import Span
from kubelint_py.models.dockerfile import Dockerfile, Instruction
from kubelint_py.parsing.dockerfile import expand_variables, parse_dockerfile


def parse(text: str) -> Dockerfile:
    return parse_dockerfile("Dockerfile", text)


def kw_lines(df: Dockerfile) -> list[tuple[str, int, int]]:
    return [(i.keyword, i.span.line, i.span.end_line) for i in df.instructions]


def messages(df: Dockerfile) -> list[tuple[str, int]]:
    return [(p.message, p.span.line) for p in df.problems]


# --------------------------------------------------------------------------- basics


def test_simple_instructions_and_spans() -> None:
    df = parse("FROM alpine:3.19\nRUN echo hi\nCMD echo bye\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 2), ("CMD", 3, 3)]
    run = df.instructions[1]
    assert run.arguments == "echo hi"
    assert run.span == Span(2, 1, 2, 12)
    assert run.keyword_span == Span(2, 1, 2, 4)
    assert run.arguments_line == 2
    assert run.stage_index == 0
    assert run.raw == "RUN echo hi"
    assert df.line_count == 3
    assert df.problems == ()


def test_lowercase_keywords_and_indentation() -> None:
    df = parse("from alpine\n  run echo hi\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 2)]
    assert df.instructions[1].keyword_span == Span(2, 3, 2, 6)
    assert df.stages[0].base_image == "alpine"


def test_last_line_without_newline() -> None:
    df = parse("FROM alpine\nRUN echo hi")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 2)]
    assert df.instructions[1].arguments == "echo hi"
    assert df.line_count == 2


def test_crlf_line_endings() -> None:
    df = parse('FROM alpine\r\nRUN apt-get update \\\r\n  && echo ok\r\nCMD ["sh"]\r\n')
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 3), ("CMD", 4, 4)]
    assert df.instructions[1].arguments == "apt-get update   && echo ok"
    assert df.instructions[2].json_args == ("sh",)
    assert "\r" not in df.instructions[1].raw


def test_utf8_bom() -> None:
    df = parse("\ufeff# syntax=docker/dockerfile:1\nFROM alpine\n")
    assert df.directives == {"syntax": "docker/dockerfile:1"}
    assert kw_lines(df) == [("FROM", 2, 2)]


def test_bom_before_instruction() -> None:
    df = parse("\ufeffFROM alpine\n")
    assert kw_lines(df) == [("FROM", 1, 1)]
    assert df.problems == ()


# --------------------------------------------------------------------------- continuations


def test_continuation_joins_without_backslash() -> None:
    df = parse("FROM a\nRUN apt-get update && \\\n    apt-get install -y curl\n")
    run = df.instructions[1]
    assert run.span == Span(2, 1, 3, 28)
    assert run.arguments == "apt-get update &&     apt-get install -y curl"
    assert run.raw == "RUN apt-get update && \\\n    apt-get install -y curl"


def test_empty_line_inside_continuation_is_ignored() -> None:
    df = parse("FROM a\nRUN echo a \\\n\n    echo b\nRUN echo c\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 4), ("RUN", 5, 5)]
    assert df.instructions[1].arguments == "echo a     echo b"


def test_comment_inside_continuation_is_dropped() -> None:
    df = parse("FROM a\nRUN apt-get install -y \\\n  # the web client\n  curl \\\n    # ok\n  wget\n")
    run = df.instructions[1]
    assert (run.span.line, run.span.end_line) == (2, 6)
    assert run.arguments == "apt-get install -y   curl   wget"
    assert [(c.line, c.text) for c in df.comments] == [(3, "the web client"), (5, "ok")]


def test_trailing_backslash_at_eof() -> None:
    df = parse("FROM a\nRUN echo hi \\\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 2)]
    assert df.instructions[1].arguments == "echo hi"
    assert messages(df) == [("line continuation at end of file", 2)]


def test_trailing_backslash_then_blank_lines_at_eof() -> None:
    df = parse("FROM a\nRUN echo hi \\\n\n\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 2)]
    assert messages(df) == [("line continuation at end of file", 2)]


def test_keyword_alone_on_first_line() -> None:
    df = parse("FROM a\nRUN \\\n  echo hi\n")
    run = df.instructions[1]
    assert run.arguments == "echo hi"
    assert run.arguments_line == 3


# --------------------------------------------------------------------------- directives and comments


def test_escape_directive_backtick() -> None:
    text = (
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore\n"
        "RUN dir c:\\ `\n    && echo done\nCOPY a c:\\app\\\n"
    )
    df = parse(text)
    assert df.escape == "`"
    assert df.directives == {"escape": "`"}
    assert kw_lines(df) == [("FROM", 2, 2), ("RUN", 3, 4), ("COPY", 5, 5)]
    assert df.instructions[1].arguments == "dir c:\\     && echo done"
    assert df.instructions[2].arguments == "a c:\\app\\"


def test_directives_only_at_the_very_top() -> None:
    df = parse("FROM a\n# escape=`\nRUN echo \\\n  hi\n")
    assert df.directives == {}
    assert df.escape == "\\"
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 3, 4)]
    assert [(c.line, c.text) for c in df.comments] == [(2, "escape=`")]


def test_directive_after_plain_comment_is_a_comment() -> None:
    df = parse("# hello\n# syntax=docker/dockerfile:1\nFROM a\n")
    assert df.directives == {}
    assert [c.line for c in df.comments] == [1, 2]


def test_directive_after_blank_line_is_a_comment() -> None:
    df = parse("\n# escape=`\nFROM a\n")
    assert df.directives == {}


def test_several_directives() -> None:
    df = parse("# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\n#escape=\\\nFROM a\n")
    assert df.directives == {
        "syntax": "docker/dockerfile:1.7",
        "check": "skip=JSONArgsRecommended",
        "escape": "\\",
    }


def test_invalid_escape_directive() -> None:
    df = parse("# escape=x\nFROM a\n")
    assert df.escape == "\\"
    assert messages(df) == [("invalid escape token 'x': must be '\\' or '`'", 1)]


def test_comments_for_pragmas() -> None:
    df = parse("FROM a\n# hadolint ignore=DL3008\nRUN apt-get install curl\n   #indented\n")
    assert [(c.line, c.text) for c in df.comments] == [(2, "hadolint ignore=DL3008"), (4, "indented")]


def test_hash_in_arguments_is_not_a_comment() -> None:
    df = parse("FROM a\nRUN echo hi # not a comment\n")
    assert df.instructions[1].arguments == "echo hi # not a comment"
    assert df.comments == ()


# --------------------------------------------------------------------------- heredocs


def test_run_heredoc() -> None:
    df = parse("FROM a\nRUN <<EOF\napt-get update\nFROM evil\nEOF\nRUN echo after\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 5), ("RUN", 6, 6)]
    assert len(df.stages) == 1
    run = df.instructions[1]
    assert run.arguments == "<<EOF"
    (doc,) = run.heredocs
    assert doc.delimiter == "EOF"
    assert doc.body == "apt-get update\nFROM evil\n"
    assert doc.span == Span(3, 1, 5, 4)
    assert not doc.quoted and not doc.strip_tabs
    assert run.shell_script == "apt-get update\nFROM evil\n"
    assert run.raw == "RUN <<EOF\napt-get update\nFROM evil\nEOF"


def test_heredoc_with_command() -> None:
    df = parse("FROM a\nRUN python3 <<'PY'\nprint('$HOME')\nPY\n")
    run = df.instructions[1]
    (doc,) = run.heredocs
    assert (doc.delimiter, doc.quoted) == ("PY", True)
    assert run.shell_script == "python3 <<'PY'\nprint('$HOME')\nPY\n"


def test_multiple_heredocs_on_one_line() -> None:
    df = parse('FROM a\nRUN <<A <<"B"\necho a\nA\necho b\nB\nCMD x\n')
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 6), ("CMD", 7, 7)]
    a, b = df.instructions[1].heredocs
    assert (a.delimiter, a.body, a.span, a.quoted) == ("A", "echo a\n", Span(3, 1, 4, 2), False)
    assert (b.delimiter, b.body, b.span, b.quoted) == ("B", "echo b\n", Span(5, 1, 6, 2), True)


def test_heredoc_strip_tabs() -> None:
    df = parse("FROM a\nRUN <<-EOT\n\techo x\n\tEOT\n")
    (doc,) = df.instructions[1].heredocs
    assert doc.strip_tabs
    assert doc.body == "echo x\n"
    assert df.instructions[1].span.end_line == 4


def test_copy_heredoc() -> None:
    df = parse("FROM a\nCOPY --chmod=755 <<EOF /usr/local/bin/run\n#!/bin/sh\nexec app\nEOF\nUSER app\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("COPY", 2, 5), ("USER", 6, 6)]
    copy = df.instructions[1]
    assert copy.arguments == "<<EOF /usr/local/bin/run"
    assert copy.flag("chmod") == "755"
    assert copy.heredocs[0].body == "#!/bin/sh\nexec app\n"
    # Body lines starting with '#' are not Dockerfile comments.
    assert df.comments == ()


def test_unterminated_heredoc() -> None:
    df = parse("FROM a\nRUN <<EOF\necho a\necho b\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 4)]
    assert messages(df) == [("unterminated heredoc '<<EOF'", 2)]
    assert df.instructions[1].heredocs[0].body == "echo a\necho b\n"


def test_not_heredocs() -> None:
    df = parse('FROM a\nRUN echo "<<EOF" && echo $((1<<2))\nCMD cat <<EOF\nRUN x\n')
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 2), ("CMD", 3, 3), ("RUN", 4, 4)]
    assert all(i.heredocs == () for i in df.instructions)


def test_heredoc_after_continuation() -> None:
    df = parse("FROM a\nRUN --mount=type=cache,target=/var/cache/apt \\\n  <<EOF\napt-get update\nEOF\n")
    run = df.instructions[1]
    assert (run.span.line, run.span.end_line) == (2, 5)
    assert run.heredocs[0].span == Span(4, 1, 5, 4)


def test_heredoc_crlf() -> None:
    df = parse("FROM a\r\nRUN <<EOF\r\necho a\r\nEOF\r\nRUN b\r\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("RUN", 2, 4), ("RUN", 5, 5)]
    assert df.instructions[1].heredocs[0].body == "echo a\n"


# --------------------------------------------------------------------------- flags and forms


def test_flags() -> None:
    df = parse(
        "FROM a AS builder\nFROM b\n"
        "COPY --from=builder --chown=app:app --link /src /dst\n"
        "RUN --mount=type=cache,target=/root/.cache,sharing=locked"
        " --mount=type=secret,id=npm,required pip i\n"
    )
    copy = df.instructions[2]
    assert [(f.name, f.value) for f in copy.flags] == [
        ("from", "builder"),
        ("chown", "app:app"),
        ("link", None),
    ]
    assert copy.flags[0].span == Span(3, 6, 3, 20)
    assert copy.flag("from") == "builder"
    assert copy.flag("link") == ""
    assert copy.flag("chmod") is None
    assert copy.has_flag("link")
    assert copy.arguments == "/src /dst"
    run = df.instructions[3]
    assert run.arguments == "pip i"
    assert run.mounts == (
        {"type": "cache", "target": "/root/.cache", "sharing": "locked"},
        {"type": "secret", "id": "npm", "required": "true"},
    )


def test_json_forms() -> None:
    df = parse(
        'FROM a\nCMD ["nginx", "-g", "daemon off;"]\nENTRYPOINT ["/entry.sh"]\n'
        'RUN ["apt-get", "install", "-y", "x y"]\nCMD [not json]\nENTRYPOINT exec app\n'
    )
    cmd, entry, run, bad, shell = df.instructions[1:]
    assert cmd.json_args == ("nginx", "-g", "daemon off;")
    assert cmd.is_exec_form
    assert entry.json_args == ("/entry.sh",)
    assert run.json_args == ("apt-get", "install", "-y", "x y")
    assert run.shell_script == "apt-get install -y 'x y'"
    assert bad.json_args is None and not bad.is_exec_form
    assert shell.json_args is None
    assert shell.shell_script == "exec app"


def test_json_array_with_non_strings_is_shell_form() -> None:
    df = parse("FROM a\nCMD [1, 2]\n")
    assert df.instructions[1].json_args is None


# --------------------------------------------------------------------------- stages, ARG, ENV


def test_from_as_name_any_case() -> None:
    df = parse("FROM golang:1.22 AS Build\nFROM alpine as final\nFROM scratch aS x\n")
    assert [(s.index, s.name, s.base_image) for s in df.stages] == [
        (0, "Build", "golang:1.22"),
        (1, "final", "alpine"),
        (2, "x", "scratch"),
    ]
    assert df.stage_by_name("build") is df.stages[0]
    assert df.stage_by_name("FINAL") is df.stages[1]
    assert df.stage_by_name("nope") is None
    assert df.final_stage is df.stages[2]


def test_from_platform() -> None:
    df = parse("FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n")
    stage = df.stages[0]
    assert stage.platform == "$BUILDPLATFORM"
    assert stage.base_image == "golang:1.22"
    assert stage.base_image_resolved == "golang:1.22"
    assert stage.name == "build"


def test_from_bad_shape() -> None:
    df = parse("FROM a b\n")
    assert messages(df) == [("FROM requires either one or three arguments: FROM image [AS name]", 1)]
    assert len(df.stages) == 1


def test_from_arg_expansion() -> None:
    df = parse(
        "ARG REGISTRY=docker.io\nARG TAG\nARG VARIANT\n"
        "FROM ${REGISTRY}/library/python:${TAG:-3.12}-slim\n"
        "FROM $REGISTRY/x:$TAG\n"
        "FROM python${VARIANT:+-$VARIANT}\n"
    )
    assert df.global_args == {"REGISTRY": "docker.io", "TAG": None, "VARIANT": None}
    first, second, third = df.stages
    assert first.base_image == "${REGISTRY}/library/python:${TAG:-3.12}-slim"
    assert first.base_image_resolved == "docker.io/library/python:3.12-slim"
    assert second.base_image_resolved is None
    assert third.base_image_resolved == "python"
    assert [i.stage_index for i in df.instructions] == [-1, -1, -1, 0, 1, 2]


def test_parent_stage_and_env_inheritance() -> None:
    df = parse(
        "ARG VERSION=1.0\n"
        "FROM alpine AS base\n"
        "ENV APP_HOME=/app PATH=/usr/bin\n"
        "ARG LOCAL=x\n"
        "FROM base AS dev\n"
        "ENV DEBUG=1\n"
        "FROM alpine\n"
    )
    base, dev, plain = df.stages
    assert base.env == {"APP_HOME": "/app", "PATH": "/usr/bin"}
    assert base.args == {"LOCAL": "x"}
    assert dev.parent_stage == 0
    assert dev.env == {"APP_HOME": "/app", "PATH": "/usr/bin", "DEBUG": "1"}
    assert dev.args == {}
    assert plain.parent_stage is None
    assert plain.env == {}
    assert [i.keyword for i in base.instructions] == ["ENV", "ARG"]
    assert base.from_instruction.keyword == "FROM"


def test_global_arg_redeclared_in_stage() -> None:
    df = parse("ARG VERSION=1.0\nARG OTHER\nFROM alpine\nARG VERSION\nARG OTHER\nARG NEW\nARG D=$VERSION-x\n")
    assert df.stages[0].args == {"VERSION": "1.0", "OTHER": None, "NEW": None, "D": "1.0-x"}


def test_global_args_not_visible_without_redeclaration() -> None:
    df = parse("ARG VERSION=1.0\nFROM alpine\nENV V=$VERSION\n")
    assert df.stages[0].args == {}
    assert df.stages[0].env == {"V": ""}


def test_env_forms() -> None:
    df = parse(
        "FROM a\n"
        "ENV A=1 B=\"quoted value\" C='single $A' D=x\\ y\n"
        "ENV LEGACY value with  spaces\n"
        "ENV E=$A-${B} F=${MISSING:-dflt}\n"
    )
    env1, env2, env3 = df.instructions[1:]
    assert env1.pairs == (("A", "1"), ("B", "quoted value"), ("C", "single $A"), ("D", "x y"))
    assert env2.pairs == (("LEGACY", "value with  spaces"),)
    assert df.stages[0].env == {
        "A": "1",
        "B": "quoted value",
        "C": "single $A",
        "D": "x y",
        "LEGACY": "value with  spaces",
        "E": "1-quoted value",
        "F": "dflt",
    }
    assert env3.pairs == (("E", "$A-${B}"), ("F", "${MISSING:-dflt}"))


def test_env_same_instruction_uses_previous_values() -> None:
    df = parse("FROM a\nENV A=1\nENV A=2 B=$A\n")
    assert df.stages[0].env == {"A": "2", "B": "1"}


def test_env_double_quote_escapes() -> None:
    df = parse('FROM a\nENV A="a\\\\b" B="c\\$d" C="e\\nf"\n')
    assert df.instructions[1].pairs == (("A", "a\\b"), ("B", "c$d"), ("C", "e\\nf"))


def test_label_forms() -> None:
    df = parse(
        'FROM a\nLABEL org.opencontainers.image.title="My App" version=1.0\nLABEL maintainer me@x.org\n'
    )
    assert df.instructions[1].pairs == (("org.opencontainers.image.title", "My App"), ("version", "1.0"))
    assert df.instructions[2].pairs == (("maintainer", "me@x.org"),)


def test_env_without_equals_in_later_word() -> None:
    df = parse("FROM a\nENV A=1 B\n")
    assert messages(df) == [("ENV: expected name=value, got 'B'", 2)]


def test_arg_pairs() -> None:
    df = parse('ARG A\nARG B=2 C="x y"\nFROM a\n')
    assert df.instructions[0].pairs == (("A", None),)
    assert df.instructions[1].pairs == (("B", "2"), ("C", "x y"))
    assert df.global_args == {"A": None, "B": "2", "C": "x y"}


# --------------------------------------------------------------------------- problems


def test_unknown_instruction() -> None:
    df = parse("FROM a\nFOO bar\nRUN x\n")
    assert kw_lines(df) == [("FROM", 1, 1), ("FOO", 2, 2), ("RUN", 3, 3)]
    assert messages(df) == [("unknown instruction 'FOO'", 2)]
    assert df.instructions[1].arguments == "bar"


def test_instruction_before_first_from() -> None:
    df = parse("ARG X=1\nRUN echo hi\nFROM a\n")
    assert messages(df) == [("instruction 'RUN' before the first FROM", 2)]
    assert df.instructions[1].stage_index == -1


def test_missing_arguments() -> None:
    df = parse("FROM a\nRUN\n")
    assert messages(df) == [("RUN requires at least one argument", 2)]


def test_empty_and_comment_only() -> None:
    assert parse("").instructions == ()
    assert parse("").line_count == 0
    df = parse("# just a comment\n\n")
    assert df.stages == () and df.final_stage is None
    assert df.line_count == 2


# --------------------------------------------------------------------------- expand_variables


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$A", "1"),
        ("${A}", "1"),
        ("x${A}y", "x1y"),
        ("$UNKNOWN", ""),
        ("$NONE", ""),
        ("${UNKNOWN:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNKNOWN-d}", "d"),
        ("${A:-d}", "1"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNKNOWN+alt}", ""),
        ("${UNKNOWN:-${A}}", "1"),
        ("\\$A", "$A"),
        ("a\\b", "a\\b"),
        ("$", "$"),
        ("$-", "$-"),
        ("${A", "${A"),
        ("${A:-unterminated", "${A:-unterminated"),
        ("${A#pattern}", "${A#pattern}"),
        ("'$A'", "'1'"),
    ],
)
def test_expand_variables(text: str, expected: str) -> None:
    variables = {"A": "1", "EMPTY": "", "NONE": None}
    assert expand_variables(text, variables) == expected


def test_expand_variables_backtick_escape() -> None:
    assert expand_variables("`$A $A", {"A": "1"}, escape="`") == "$A 1"


# --------------------------------------------------------------------------- robustness


def test_garbage_never_raises() -> None:
    rng = random.Random(1234)
    alphabet = "FROM RUN COPY ENV ARG <<EOF EOF \\ ` $ { } : - + \" ' # = [ ] \n \r\n \t \ufeff x"
    tokens = [*alphabet.split(" "), "\n", " ", "\\\n", "<<-X\n", "${", "--mount=", "AS"]
    for _ in range(400):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 60)))
        df = parse(text)
        assert isinstance(df, Dockerfile)
        assert not any(p.message.startswith("internal parser error") for p in df.problems)
        for ins in df.instructions:
            assert isinstance(ins, Instruction)
            assert 1 <= ins.span.line <= ins.span.end_line
            _ = ins.shell_script, ins.mounts
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        for decoded in (data.decode("utf-8", errors="replace"), data.decode("latin-1")):
            problems = parse(decoded).problems
            assert not any(p.message.startswith("internal parser error") for p in problems)


def test_deep_nesting_does_not_recurse_forever() -> None:
    text = "ARG A\nFROM " + "${A:-" * 500 + "x" + "}" * 500 + "\n"
    df = parse(text)
    assert len(df.stages) == 1


def test_speed() -> None:
    body = "".join(
        f"RUN apt-get update && apt-get install -y pkg{i} \\\n    && rm -rf /var/lib/apt/lists/*\n"
        for i in range(50)
    )
    text = "FROM debian:12\n" + body
    start = time.perf_counter()
    for _ in range(20):
        df = parse(text)
    elapsed = (time.perf_counter() - start) / 20
    assert len(df.instructions) == 51
    assert elapsed < 0.02
