"""Dockerfile rules: command locations, the build-context hook in the loader, tricky cases, docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.checks.dockerfile._common import run_commands
from kubelint_py.discovery.walk import Candidate
from kubelint_py.engine.catalogue import all_rules
from kubelint_py.engine.config import Config
from kubelint_py.loading.source_file import load_source
from kubelint_py.parsing.dockerfile import parse_dockerfile

ROOT = Path(__file__).resolve().parent.parent


def lines_of(text: str) -> list[tuple[str | None, int]]:
    dockerfile = parse_dockerfile("Dockerfile", text)
    return [(c.name, c.line) for ins in dockerfile.instructions for c in run_commands(ins)]


def test_commands_in_continuations_get_their_own_line() -> None:
    text = "FROM a\nRUN apt-get update && \\\n    apt-get install -y x \\\n    && rm -rf /var/lib/apt/lists/*\n"
    assert lines_of(text) == [("apt-get", 2), ("apt-get", 3), ("rm", 4)]


def test_same_command_twice_on_one_line_then_on_the_next() -> None:
    text = "FROM a\nRUN apk add --no-cache git && \\\n    apk add gcc\n"
    assert lines_of(text) == [("apk", 2), ("apk", 3)]


def test_comment_lines_inside_a_continuation_are_skipped() -> None:
    text = "FROM a\nRUN set -e; \\\n# apt-get install in a comment\n    apt-get install -y x\n"
    assert lines_of(text) == [("set", 2), ("apt-get", 4)]


def test_heredoc_body_lines() -> None:
    text = "FROM a\nRUN <<EOT\nset -e\ncurl -fsSL x | tar -x\nEOT\n"
    assert lines_of(text) == [("set", 3), ("curl", 4), ("tar", 4)]


def test_quoted_command_text_is_not_a_command() -> None:
    assert lines_of('FROM a\nRUN echo "apt-get update"\n') == [("echo", 2)]


def _findings(tmp_path: Path, text: str, code: str, name: str = "Dockerfile") -> list[int]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = lint([str(path)], Config(select=(code,), fail_on=None))
    return sorted(f.location.line for f in report.active if f.code == code)


CASES = [
    # (code, Dockerfile, expected lines)
    ("DF101", "FROM python:3\nCOPY . .\nRUN pip install flask==3.0\n", []),  # named packages, not the manifest
    ("DF101", "FROM node:20\nCOPY . .\nRUN npm install -g pnpm@9\n", []),
    ("DF101", "FROM node:20\nCOPY . .\nRUN yarn\n", [3]),
    ("DF101", "FROM python:3\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\nCOPY . .\n"
              "RUN poetry install\n", []),
    ("DF101", "FROM rust:1\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\n", [4]),
    ("DF101", "FROM rust:1\nWORKDIR /src\nCOPY Cargo.toml Cargo.lock ./\nRUN cargo fetch\nCOPY . .\n"
              "RUN cargo build --release\n", []),
    ("DF101", "FROM maven:3\nCOPY . .\nRUN mvn -B package\n", [3]),
    ("DF102", "FROM debian:12\nRUN apt-get update && apt-get install -y x\n", []),
    ("DF102", "FROM debian:12\nRUN apt-get update; apt-cache policy x\n", [2]),
    ("DF103", "FROM debian:12\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists\n", []),
    ("DF104", "FROM python:3\nRUN pip download flask\n", []),
    ("DF104", "FROM python:3\nRUN python3 -m pip install x\n", [2]),
    ("DF201", "FROM a\nARG PASSWORD_FILE=/run/secrets/p\nENV SECRET_KEY_BASE_PATH=/x\n", []),
    ("DF201", "FROM a\nENV DJANGO_SECRET_KEY=abc123\n", [2]),
    ("DF203", "FROM a\nRUN curl -u \"$USER:$PASS\" https://x\n", []),
    ("DF203", "FROM a\nRUN curl --user admin:admin123 https://x\n", [2]),
    ("DF203", "FROM a\nRUN pip install --index-url https://user:pa55word@pypi.example.com/simple app\n", [2]),
    ("DF203", "FROM a\nRUN git clone https://x-access-token:${GH_TOKEN}@github.com/o/r\n", []),
    ("DF204", "FROM a\nCOPY ssh/id_rsa.pub /root/.ssh/authorized_keys\n", []),
    ("DF302", "FROM a\nUSER 0:0\n", [2]),
    ("DF302", "FROM a\nUSER ${APP_UID}\n", []),
    ("DF304", "FROM a\nRUN cd - && ls\n", []),
    ("DF306", "FROM a\nADD app.tar.gz /opt/\nADD app.zip /opt/\n", [3]),
    ("DF307", "FROM a\nRUN apt-get -o Dpkg::Options::=--force-confold install -y x\n", []),
    ("DF310", "FROM a\nRUN bash -c 'curl x | sh'\n", []),  # inside sh -c: the body decides, not us
    ("DF310", "FROM a\nRUN set -eo pipefail && curl x | sh\n", []),
    ("DF310", "FROM a\nRUN printf '%s\\n' x | tee /etc/x\n", []),
    ("DF313", "FROM a AS one\nRUN --mount=type=bind,from=two,target=/t ls\nFROM b AS two\n", [2]),
    ("DF315", "FROM a\nEXPOSE 65535 65536\n", [2]),
    ("DF318", "FROM a\nRUN curl -fsSL https://x -o /y\n", []),
    ("DF318", "FROM a\nRUN curl --insecure https://x -o /y\n", [2]),
]


@pytest.mark.parametrize(("code", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_case(tmp_path: Path, code: str, text: str, expected: list[int]) -> None:
    assert _findings(tmp_path, text, code) == expected


def test_loader_scans_the_context_only_for_whole_context_copies(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM a\nCOPY . /app\n", encoding="utf-8")
    (tmp_path / "Dockerfile.narrow").write_text("FROM a\nCOPY app.py /app/\n", encoding="utf-8")
    wide = load_source(Candidate(str(tmp_path / "Dockerfile"), "dockerfile", True), 1 << 20)
    narrow = load_source(Candidate(str(tmp_path / "Dockerfile.narrow"), "dockerfile", True), 1 << 20)
    assert wide.build_context is not None and wide.build_context.secret_candidates == (".env",)
    assert narrow.build_context is None


def test_hadolint_mapping_lists_every_alias() -> None:
    """docs/hadolint.md maps every hadolint code we alias to the rule that carries it."""
    doc = (ROOT / "docs" / "hadolint.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\|\s*(DL\d{4}|SC\d{4})\s*\|\s*([^|]*)\|", doc, re.M)}
    for rule in all_rules():
        for alias in rule.aliases:
            if alias.startswith("DL"):
                assert alias in rows, f"{alias} ({rule.code}) missing from docs/hadolint.md"
                assert rule.code in rows[alias], f"{alias} should map to {rule.code}"


MORE_CASES = [
    ("DF105", "FROM alpine:3\nRUN apk add --no-network --virtual .rundeps $runDeps\n", []),
    ("DF107", "FROM node:20\nRUN yarn --version\n", []),
    ("DF101", "FROM node:20\nCOPY . .\nRUN yarn --version\n", []),
    ("DF310", 'FROM a\nRUN case "$(uname -m)" in x86_64|amd64) A=x64 ;; *) exit 1 ;; esac\n', []),
]


@pytest.mark.parametrize(("code", "text", "expected"), MORE_CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                                        enumerate(MORE_CASES)])
def test_real_world_false_positives(tmp_path: Path, code: str, text: str, expected: list[int]) -> None:
    """Found on official-image and awesome-compose Dockerfiles."""
    assert _findings(tmp_path, text, code) == expected


def test_runs_as_root_without_user_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN true\nFROM debian:12 AS two\nUSER root\n", encoding="utf-8")
    strict = lint([str(path)], Config(select=("DF302",), fail_on=None))
    assert [f.location.line for f in strict.active] == [4]
    path.write_text("FROM debian:12\nRUN true\n", encoding="utf-8")
    assert [f.location.line for f in lint([str(path)], Config(select=("DF302",), fail_on=None)).active] == [1]
    relaxed = Config(select=("DF302",), fail_on=None, rule_params={"DF302": {"require_user": False}})
    assert lint([str(path)], relaxed).active == []


def test_secret_prefilter_keeps_up_with_the_shared_patterns() -> None:
    """DF202 skips instructions its prefilter rejects: a new pattern in secrets.py needs it updated."""
    from kubelint_py.checks import secrets
    from kubelint_py.checks.dockerfile.secret_rules import _MAY_HOLD_SECRET

    samples = {
        "private key": "-----BEGIN RSA PRIVATE KEY-----", "AWS access key id": "AKIAABCDEFGHIJKLMNOP",
        "GitHub token": "ghp_" + "a" * 36, "GitLab token": "glpat-" + "a" * 20, "Slack token": "xoxb-0123456789",
        "Slack webhook": "https://hooks.slack.com/services/T0/B0/x", "Stripe key": "sk_live_" + "a" * 24,
        "Google API key": "AIza" + "a" * 35, "npm token": "npm_" + "a" * 36,
        "JSON web token": "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.abcdefghijkl", "password in URL": "https://u:pw1@h",
        "OpenAI API key": "sk-proj-" + "a" * 40, "PyPI API token": "pypi-AgEIcHlwaS5vcmc" + "a" * 50,
        "Docker Hub access token": "dckr_pat_" + "a" * 27, "Vault token": "hvs." + "a" * 24,
        "GCP service-account key": '"private_key_id": "' + "a" * 40 + '"',
        "Azure connection string with a key": "AccountKey=" + "a" * 86 + "==",
    }
    assert {kind for kind, _ in secrets._VALUE_PATTERNS} == set(samples)
    for sample in samples.values():
        assert _MAY_HOLD_SECRET.search(sample)


def test_rules_survive_garbage(tmp_path: Path) -> None:
    """Shuffled fixture lines and broken fragments: the Dockerfile rules never raise (no KL005)."""
    import random

    lines: list[str] = []
    for path in sorted((ROOT / "fixtures" / "dockerfile").rglob("*Dockerfile*")):
        if path.is_file():
            lines += path.read_text(encoding="utf-8").splitlines()
    fragments = ["FROM", "RUN", "COPY --from=", "USER", "EXPOSE", "RUN <<EOF", "EOF", "RUN \\", "CMD [", "ARG =x",
                 "RUN case x in", "RUN ;;", "RUN esac )", "RUN | |", "COPY . .", "RUN curl -H", "RUN curl -u",
                 "SHELL []", 'RUN "unterminated', "RUN $(", "FROM a AS", "WORKDIR", "RUN rm", "ADD"]
    rng = random.Random(11)
    for n in range(120):
        text = "\n".join(rng.choice(lines + fragments * 4) for _ in range(rng.randint(0, 20)))
        (tmp_path / f"Dockerfile.{n}").write_text(text, encoding="utf-8")
    report = lint([str(tmp_path)], Config(select=("DF", "KL005"), fail_on=None))
    assert report.internal_errors == []
    assert not [f for f in report.findings if f.code == "KL005"]


def test_build_context_is_read_from_disk_when_lint_runs_elsewhere(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM a\nUSER app\nCOPY . /app\n", encoding="utf-8")
    (app / ".env").write_text("A=1\n", encoding="utf-8")
    report = lint(["app"], Config(select=("DF205",), fail_on=None), cwd=tmp_path)
    assert [(f.location.path, f.location.line) for f in report.active] == [("app/Dockerfile", 3)]


def test_hadolint_pragma_covers_commands_on_continuation_lines(tmp_path: Path) -> None:
    text = ("FROM debian:12\nUSER app\n# hadolint ignore=DL3015,DL3009\nRUN apt-get update && \\\n"
            "    apt-get install -y curl\n")
    (tmp_path / "Dockerfile").write_text(text, encoding="utf-8")
    report = lint([str(tmp_path / "Dockerfile")], Config(select=("DF103", "DF308"), fail_on=None))
    assert sorted((f.code, f.location.line) for f in report.findings) == [("DF103", 4), ("DF308", 5)]
    assert report.active == []
