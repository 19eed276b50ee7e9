from __future__ import annotations

import random

import pytest

from kubelint_py.parsing.shell import (
    SimpleCommand,
    command_args,
    command_name,
    has_pipe,
    split_commands,
    unwrap,
)


def shape(script: str) -> list[tuple[tuple[str, ...], str | None]]:
    return [(c.words, c.operator_before) for c in split_commands(script)]


def test_operators() -> None:
    assert shape("a 1 && b 2 || c; d | e & f\ng") == [
        (("a", "1"), None),
        (("b", "2"), "&&"),
        (("c",), "||"),
        (("d",), ";"),
        (("e",), "|"),
        (("f",), "&"),
        (("g",), "\n"),
    ]


def test_quotes_do_not_split() -> None:
    assert shape("echo \"apt-get update && x\" 'a | b'") == [(("echo", "apt-get update && x", "a | b"), None)]


def test_echo_of_command_is_not_that_command() -> None:
    (cmd,) = split_commands('echo "apt-get update"')
    assert cmd.words == ("echo", "apt-get update")
    assert command_name(cmd) == "echo"


def test_backslash_newline_continuation() -> None:
    assert shape("apt-get update \\\n    && apt-get install -y \\\n      curl") == [
        (("apt-get", "update"), None),
        (("apt-get", "install", "-y", "curl"), "&&"),
    ]


def test_operator_then_newline_keeps_operator() -> None:
    assert shape("a &&\n  b") == [(("a",), None), (("b",), "&&")]


def test_comments_dropped() -> None:
    assert shape("# leading\na # trailing && b\nc#notcomment") == [
        (("a",), None),
        (("c#notcomment",), "\n"),
    ]


def test_escapes_and_double_quotes() -> None:
    (cmd,) = split_commands('printf "a\\"b\\$c\\n" a\\ b')
    assert cmd.words == ("printf", 'a"b$c\\n', "a b")


def test_ansi_c_quote() -> None:
    (cmd,) = split_commands("echo $'a\\tb'")
    assert cmd.words == ("echo", "a\tb")


def test_command_substitution_kept_in_word() -> None:
    (cmd,) = split_commands('echo "$(ls | wc -l)" $(a && b) `c; d` ${X:-y z}')
    assert cmd.words == ("echo", "$(ls | wc -l)", "$(a && b)", "`c; d`", "${X:-y z}")


def test_env_assignments() -> None:
    (cmd,) = split_commands('DEBIAN_FRONTEND=noninteractive X="a b" apt-get install -y a=1.0')
    assert cmd.assignments == ("DEBIAN_FRONTEND=noninteractive", "X=a b")
    assert cmd.words == ("apt-get", "install", "-y", "a=1.0")


def test_quoted_assignment_is_a_word() -> None:
    (cmd,) = split_commands('"A=b" cmd')
    assert cmd.words == ("A=b", "cmd")
    assert cmd.assignments == ()


def test_assignment_only() -> None:
    cmds = split_commands("A=1; b")
    assert [(c.words, c.assignments, c.operator_before) for c in cmds] == [
        ((), ("A=1",), None),
        (("b",), (), ";"),
    ]


def test_redirections_dropped() -> None:
    assert shape("apt-get update > /dev/null 2>&1 && curl -o x url 2> err < in >>log &>/dev/null") == [
        (("apt-get", "update"), None),
        (("curl", "-o", "x", "url"), "&&"),
    ]


def test_heredoc_body_skipped() -> None:
    assert shape("cat <<EOF > /etc/x\napt-get install y\nEOF\necho done") == [
        (("cat",), None),
        (("echo", "done"), "\n"),
    ]
    assert shape("cat <<-'E'\n\tbody\n\tE\nls") == [(("cat",), None), (("ls",), "\n")]


def test_subshell_and_control_flow() -> None:
    assert shape("(cd /src && make) && if [ -f x ]; then rm x; else echo no; fi") == [
        (("cd", "/src"), None),
        (("make",), "&&"),
        (("[", "-f", "x", "]"), "&&"),
        (("rm", "x"), ";"),
        (("echo", "no"), ";"),
    ]
    assert shape("for f in a b; do echo $f; done") == [
        (("for", "f", "in", "a", "b"), None),
        (("echo", "$f"), ";"),
    ]


def test_sh_c_descends() -> None:
    cmds = split_commands('sh -c "apt-get update && apt-get install -y x" && true')
    assert [(c.words, c.operator_before, c.depth) for c in cmds] == [
        (("sh", "-c", "apt-get update && apt-get install -y x"), None, 0),
        (("apt-get", "update"), None, 1),
        (("apt-get", "install", "-y", "x"), "&&", 1),
        (("true",), "&&", 0),
    ]


def test_bash_combined_flags_descend() -> None:
    cmds = split_commands("/bin/bash -o pipefail -eux -c 'curl -s x | tar xz'")
    assert [(c.words, c.depth) for c in cmds[1:]] == [(("curl", "-s", "x"), 1), (("tar", "xz"), 1)]
    assert has_pipe("/bin/bash -o pipefail -eux -c 'curl -s x | tar xz'")


def test_sh_script_file_not_descended() -> None:
    assert len(split_commands("sh ./install.sh -c x")) == 1


def test_sudo_and_wrappers() -> None:
    (cmd,) = split_commands("sudo -u root -E env FOO=1 nice -n 5 /usr/bin/apt-get install -y x")
    assert cmd.words[0] == "sudo"
    assert command_name(cmd) == "apt-get"
    assert command_args(cmd) == ("install", "-y", "x")
    assert unwrap(cmd) == ("/usr/bin/apt-get", "install", "-y", "x")


@pytest.mark.parametrize(
    ("script", "name"),
    [
        ("time make", "make"),
        ("exec gunicorn app", "gunicorn"),
        ("nohup ./run &", "run"),
        ("xargs -n 1 rm", "rm"),
        ("sudo -- ls", "ls"),
        ("command -v x", "command"),
        ("sudo", None),
    ],
)
def test_command_name(script: str, name: str | None) -> None:
    assert command_name(split_commands(script)[0]) == name


def test_has_pipe() -> None:
    assert has_pipe("curl x | sh")
    assert has_pipe("a |& b")
    assert not has_pipe("a || b")
    assert not has_pipe("echo 'a | b'")


@pytest.mark.parametrize(
    "script",
    [
        'echo "unterminated',
        "echo 'unterminated",
        "echo $(oops",
        "echo `x",
        "a \\",
        "<<",
        "2>",
        "${",
        "cat <<EOF\n",
    ],
)
def test_malformed_is_best_effort(script: str) -> None:
    result = split_commands(script)
    assert all(isinstance(c, SimpleCommand) for c in result)


def test_unterminated_quote_keeps_text() -> None:
    assert shape('echo "a b') == [(("echo", "a b"), None)]


def test_empty() -> None:
    assert split_commands("") == []
    assert split_commands("  \n ; \n") == []


def test_random_input_never_raises() -> None:
    rng = random.Random(99)
    pieces = [
        "a",
        " ",
        "\n",
        "&&",
        "||",
        ";",
        "|",
        "&",
        "'",
        '"',
        "\\",
        "$(",
        ")",
        "(",
        "`",
        "<<",
        ">",
        "#",
        "=",
        "sh -c ",
    ]
    for _ in range(500):
        script = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        split_commands(script)
        has_pipe(script)


def test_case_patterns_are_not_pipes() -> None:
    script = 'case "$a" in amd64 | arm64) X=1;; (i386|x32) echo b | tr a b ;; *) exit 1 ;; esac; echo after'
    assert shape(script) == [
        (("case", "$a", "in"), None),
        ((), None),
        (("echo", "b"), None),
        (("tr", "a", "b"), "|"),
        (("exit", "1"), None),
        (("echo", "after"), ";"),
    ]
    assert not has_pipe('case "$arch" in amd64|arm64) url=x ;; esac')
