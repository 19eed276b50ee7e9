"""A small, forgiving POSIX-shell analyser for Dockerfile RUN/CMD text.

It is not a shell parser: it finds the simple commands in a script well enough for lint rules
("is apt-get run with -y?", "is there a pipe?") and never raises. What it does:

* splits on ``&&``, ``||``, ``;``, ``;;``, ``|``, ``|&``, ``&``, newlines and ``(``/``)``;
* removes quotes and backslash-newline continuations, drops ``# comments``;
* keeps ``$(...)``, ``${...}`` and backticks inside the word, unexpanded;
* drops redirections with their targets (``> /dev/null``, ``2>&1``) and skips heredoc bodies;
* moves leading ``NAME=value`` words into ``assignments``;
* skips control-flow reserved words at the start of a command (``if``, ``then``, ``do``, ``fi`` ...)
  and the pattern lists of ``case`` (``amd64 | arm64)`` is no pipe);
* appends the commands of ``sh -c '...'`` / ``bash -c "..."`` bodies after the ``sh`` command,
  with ``depth`` one higher.

Wrappers such as ``sudo`` stay in ``words``; use :func:`command_name` / :func:`unwrap` to see past them.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

__all__ = [
    "SHELLS",
    "SimpleCommand",
    "command_args",
    "command_name",
    "has_pipe",
    "split_commands",
    "unwrap",
]


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    """One simple command.

    ``operator_before`` is the operator separating it from the previous command ("&&", "||",
    ";", ";;", "|", "|&", "&" or "\\n"); None for the first command of a script or ``-c`` body.
    """

    words: tuple[str, ...]
    operator_before: str | None
    assignments: tuple[str, ...] = ()
    depth: int = 0


SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox-sh"})

# Wrapper -> its options that take a separate argument. ``command`` is not a wrapper on purpose:
# ``command -v foo`` asks about foo rather than running it.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "exec": frozenset({"-a"}),
    "nohup": frozenset(),
    "xargs": frozenset({"-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"}),
}

_OPEN_RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})
_CLOSE_RESERVED = frozenset({"fi", "done", "esac", "}"})
_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_METACHARS = frozenset(" \t\r\n;&|()<>")
_MAX_DEPTH = 8
MAX_COMMANDS = 10_000
"""Commands analysed per script: real RUN scripts have dozens; a hostile 5 MB `a && a && ...` line has
half a million, which every Dockerfile rule would then walk."""
# Characters with no special meaning inside an unquoted word (see _Lexer.word).
_PLAIN_RUN = re.compile(r"[^ \t\r\n;&|()<>\\'\"$`]+")


class _Word:
    __slots__ = ("assign_limit", "quoted", "text")

    def __init__(self, text: str, quoted: bool, assign_limit: int) -> None:
        self.text = text
        self.quoted = quoted
        # Characters before this index were unquoted: an assignment's "=" must lie there.
        self.assign_limit = assign_limit

    def is_assignment(self) -> bool:
        text = self.text
        eq = text.find("=")
        if eq <= 0 or eq >= self.assign_limit or text[0] not in _NAME_START:
            return False
        return all(c in _NAME_CHARS for c in text[1:eq])


class _Lexer:
    def __init__(self, script: str) -> None:
        self.s = script
        self.n = len(script)
        self.i = 0
        self.heredocs: list[tuple[str, bool]] = []

    # Tokens: ("word", _Word) or ("op", str); None at the end.
    def next_token(self) -> tuple[str, _Word | str] | None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
            elif c == "#":
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
            elif c == "\n":
                self.i += 1
                self.skip_heredoc_bodies()
                return ("op", "\n")
            elif c in ";&|()":
                return self.operator()
            elif c in "<>" or (c.isdigit() and self.fd_redirect()):
                self.redirect()
            else:
                return ("word", self.word())
        return None

    def fd_redirect(self) -> bool:
        j = self.i
        while j < self.n and self.s[j].isdigit():
            j += 1
        if j < self.n and self.s[j] in "<>":
            self.i = j
            return True
        return False

    def operator(self) -> tuple[str, _Word | str] | None:
        s, i = self.s, self.i
        for op in ("&&", "||", ";;", "|&", "&>>", "&>"):
            if s.startswith(op, i):
                if op.startswith("&>"):
                    self.redirect()
                    return self.next_token()
                self.i += len(op)
                return ("op", op)
        self.i += 1
        return ("op", s[i])

    def redirect(self) -> None:
        s = self.s
        for op in ("<<<", "<<-", "<<", "<>", "<&", ">>", ">|", ">&", "&>>", "&>", "<", ">"):
            if s.startswith(op, self.i):
                self.i += len(op)
                break
        else:
            self.i += 1
            return
        while self.i < self.n and s[self.i] in " \t":
            self.i += 1
        if self.i >= self.n or s[self.i] in _METACHARS:
            return
        target = self.word()
        if op in ("<<", "<<-"):
            self.heredocs.append((target.text, op == "<<-"))

    def skip_heredoc_bodies(self) -> None:
        s = self.s
        for delim, strip_tabs in self.heredocs:
            while self.i < self.n:
                end = s.find("\n", self.i)
                end = self.n if end < 0 else end
                line = s[self.i : end]
                self.i = min(end + 1, self.n)
                if (line.lstrip("\t") if strip_tabs else line) == delim:
                    break
        self.heredocs.clear()

    def word(self) -> _Word:
        s, n = self.s, self.n
        out: list[str] = []
        quoted = False
        assign_limit = -1
        while self.i < n:
            c = s[self.i]
            if c in _METACHARS:
                break
            if c in "\\'\"" and assign_limit < 0:
                assign_limit = len("".join(out))
            if c == "\\":
                nxt = s[self.i + 1 : self.i + 2]
                if nxt != "\n":
                    out.append(nxt)
                    quoted = True
                self.i += 2
            elif c == "'":
                end = s.find("'", self.i + 1)
                end = n if end < 0 else end
                out.append(s[self.i + 1 : end])
                quoted = True
                self.i = end + 1
            elif c == '"':
                out.append(self.double_quoted())
                quoted = True
            elif c == "$" and s.startswith("$'", self.i):
                out.append(self.ansi_c())
                quoted = True
            elif c == "$" and s.startswith("$(", self.i):
                out.append(self.balanced("(", ")"))
            elif c == "$" and s.startswith("${", self.i):
                out.append(self.balanced("{", "}"))
            elif c == "`":
                out.append(self.backtick())
            else:
                # A run of plain characters in one step: a multi-megabyte word stays cheap.
                match = _PLAIN_RUN.match(s, self.i)
                end = match.end() if match is not None and match.end() > self.i else self.i + 1
                out.append(s[self.i : end])
                self.i = end
        text = "".join(out)
        return _Word(text, quoted, len(text) if assign_limit < 0 else assign_limit)

    def double_quoted(self) -> str:
        s, n = self.s, self.n
        self.i += 1
        out: list[str] = []
        while self.i < n:
            c = s[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\" and self.i + 1 < n:
                nxt = s[self.i + 1]
                if nxt in '$`"\\':
                    out.append(nxt)
                elif nxt != "\n":
                    out.append(c + nxt)
                self.i += 2
            elif c == "$" and s.startswith("$(", self.i):
                out.append(self.balanced("(", ")"))
            elif c == "$" and s.startswith("${", self.i):
                out.append(self.balanced("{", "}"))
            elif c == "`":
                out.append(self.backtick())
            else:
                out.append(c)
                self.i += 1
        return "".join(out)

    def ansi_c(self) -> str:
        s, n = self.s, self.n
        self.i += 2
        out: list[str] = []
        escapes = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
        while self.i < n:
            c = s[self.i]
            if c == "'":
                self.i += 1
                break
            if c == "\\" and self.i + 1 < n:
                nxt = s[self.i + 1]
                out.append(escapes.get(nxt, c + nxt))
                self.i += 2
                continue
            out.append(c)
            self.i += 1
        return "".join(out)

    def balanced(self, open_: str, close: str) -> str:
        """Copy ``$(...)`` / ``${...}`` verbatim, honouring nesting and quotes inside."""
        s, n = self.s, self.n
        start = self.i
        self.i += 2
        depth = 1
        while self.i < n and depth:
            c = s[self.i]
            if c == "\\":
                self.i += 2
                continue
            if c == "'" and open_ == "(":
                end = s.find("'", self.i + 1)
                self.i = n if end < 0 else end + 1
                continue
            if c == '"':
                end = self.i + 1
                while end < n and s[end] != '"':
                    end += 2 if s[end] == "\\" else 1
                self.i = min(end + 1, n)
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
            self.i += 1
        self.i = min(self.i, n)
        return s[start : self.i]

    def backtick(self) -> str:
        s, n = self.s, self.n
        start = self.i
        self.i += 1
        while self.i < n and s[self.i] != "`":
            self.i += 2 if s[self.i] == "\\" else 1
        self.i = min(self.i + 1, n)
        return s[start : self.i]


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _split(script: str, depth: int) -> list[SimpleCommand]:
    lexer = _Lexer(script)
    commands: list[SimpleCommand] = []
    words: list[str] = []
    assignments: list[str] = []
    op_before: str | None = None
    pending: str | None = None

    def finish() -> None:
        nonlocal op_before, pending
        if words or assignments:
            command = SimpleCommand(tuple(words), op_before, tuple(assignments), depth)
            commands.append(command)
            if depth < _MAX_DEPTH:
                inner = _shell_c_body(command)
                if inner is not None:
                    commands.extend(_split(inner, depth + 1))
            words.clear()
            assignments.clear()
            op_before = None
            pending = None

    # `case WORD in pat1 | pat2) ...;; esac`: pattern lists are not commands and their `|` is no pipe.
    in_patterns = False
    open_cases = 0
    while len(commands) < MAX_COMMANDS:
        token = lexer.next_token()
        if token is None:
            break
        value = token[1]
        if in_patterns:
            if value == ")":
                in_patterns = False
                pending = None
            elif isinstance(value, _Word) and not value.quoted and value.text == "esac":
                in_patterns = False
                open_cases -= 1
            continue
        if isinstance(value, str):
            if value == ";;" and open_cases:
                finish()
                in_patterns = True
                continue
            if words or assignments:
                finish()
                if value not in "()":
                    pending = value
            elif value not in "()" and commands and not (value == "\n" and pending is not None):
                # "a &&\n b": the newline does not replace the operator that is still open.
                pending = value
            continue
        if len(words) == 2 and words[0] == "case" and not value.quoted and value.text == "in":
            words.append("in")
            finish()
            in_patterns = True
            open_cases += 1
            continue
        if not words:
            if not value.quoted and (value.text in _OPEN_RESERVED or value.text in _CLOSE_RESERVED):
                if value.text == "esac" and open_cases:
                    open_cases -= 1
                continue
            if not assignments:
                op_before = pending
            if value.is_assignment():
                assignments.append(value.text)
                continue
        words.append(value.text)
    finish()
    return commands


def split_commands(script: str) -> list[SimpleCommand]:
    """The simple commands of ``script``, in order; never raises."""
    try:
        return _split(script, 0)
    except Exception:  # a safety net: a lint rule should see "no commands", not a crash
        return []


def unwrap(command: SimpleCommand) -> tuple[str, ...]:
    """``command.words`` from the real command on: skips sudo, env, nice, time, exec, nohup, xargs
    (with their options, and ``NAME=value`` after ``env``). Empty when only a wrapper is left."""
    words = command.words
    i = 0
    while i < len(words):
        name = _basename(words[i])
        options = _WRAPPERS.get(name)
        if options is None:
            return words[i:]
        i += 1
        while i < len(words):
            w = words[i]
            if w == "--":
                i += 1
                break
            if name == "env" and "=" in w and not w.startswith("-"):
                i += 1
            elif w.startswith("-") and len(w) > 1:
                i += 2 if w in options else 1
            else:
                break
    return ()


def command_name(command: SimpleCommand) -> str | None:
    """Basename of the command actually run (``sudo /usr/bin/apt-get`` -> ``apt-get``)."""
    words = unwrap(command)
    return _basename(words[0]) if words else None


def command_args(command: SimpleCommand) -> tuple[str, ...]:
    """Arguments of the command actually run, wrappers skipped."""
    return unwrap(command)[1:]


def _shell_c_body(command: SimpleCommand) -> str | None:
    words = unwrap(command)
    if not words or _basename(words[0]) not in SHELLS:
        return None
    args = words[1:]
    j = 0
    while j < len(args):
        w = args[j]
        if w in ("-o", "+o"):
            j += 2
            continue
        if not w.startswith(("-", "+")) or w == "--" or w.startswith("--"):
            return None
        if "c" in w[1:]:
            return args[j + 1] if j + 1 < len(args) else None
        j += 1
    return None


def has_pipe(script: str) -> bool:
    """True when some command's output is piped into another (``|`` or ``|&``)."""
    return any(c.operator_before in ("|", "|&") for c in split_commands(script))
