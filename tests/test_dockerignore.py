""".dockerignore semantics (moby/patternmatcher), and the build-context scan built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py.discovery.dockerignore import DockerIgnore
from kubelint_py.loading.build_context import is_secret_file, scan_context, secret_files


def excluded(patterns: str, *paths: str) -> list[bool]:
    ignore = DockerIgnore.parse(patterns)
    return [ignore.is_excluded(p) for p in paths]


def test_patterns_are_anchored_at_the_context_root() -> None:
    # Unlike .gitignore, a bare name matches only at the root.
    assert excluded("*.md", "README.md", "docs/a.md") == [True, False]
    assert excluded(".env", ".env", "app/.env") == [True, False]
    assert excluded("*/.env", "a/.env", "a/b/.env", ".env") == [True, False, False]


def test_double_star_matches_any_number_of_directories() -> None:
    assert excluded("**/*.md", "README.md", "docs/a.md", "a/b/c/d.md", "x.txt") == [True, True, True, False]
    assert excluded("a/**/b", "a/b", "a/x/b", "a/x/y/b", "b", "c/a/b") == [True, True, True, False, False]
    assert excluded("**/.env", ".env", "svc/.env", "svc/.env.example") == [True, True, False]


def test_trailing_double_star_matches_below_but_not_the_folder_itself() -> None:
    assert excluded("foo/**", "foo/x", "foo/x/y", "foo", "foobar/x") == [True, True, False, False]


def test_double_star_alone_excludes_everything() -> None:
    assert excluded("**", "a", "a/b/c", ".env") == [True, True, True]


def test_a_pattern_matching_a_parent_folder_excludes_what_is_inside() -> None:
    assert excluded("node_modules", "node_modules/a/b.js", "src/node_modules/x") == [True, False]
    assert excluded("secrets/", "secrets/id_rsa", "secrets") == [True, True]


def test_leading_slash_and_dot_slash_are_cleaned() -> None:
    assert excluded("/secret.txt", "secret.txt") == [True]
    assert excluded("./build//out/", "build/out/x") == [True]
    assert excluded("a/../b", "b", "a/b") == [True, False]


def test_exceptions_reinclude_and_the_last_match_wins() -> None:
    assert excluded("*.md\n!README.md", "README.md", "CHANGELOG.md") == [False, True]
    assert excluded("!README.md\n*.md", "README.md") == [True]
    assert excluded("*.md\n!README.md\nREADME.md", "README.md") == [True]


def test_exception_inside_an_excluded_folder() -> None:
    ignore = DockerIgnore.parse("docs\n!docs/keep.md")
    assert not ignore.is_excluded("docs/keep.md")
    assert ignore.is_excluded("docs/other.md")
    assert not DockerIgnore.parse("**\n!src").is_excluded("src/app.py")


def test_exception_with_double_star() -> None:
    ignore = DockerIgnore.parse("**/*.pem\n!**/public/*.pem")
    assert ignore.is_excluded("certs/server.pem")
    assert not ignore.is_excluded("web/public/ca.pem")


def test_single_character_classes_and_escapes() -> None:
    assert excluded("file?.txt", "file1.txt", "file10.txt", "file/.txt") == [True, False, False]
    assert excluded("[ab].txt", "a.txt", "c.txt") == [True, False]
    assert excluded("[!a].txt", "a.txt", "c.txt") == [False, True]
    assert excluded("\\*.txt", "*.txt", "a.txt") == [True, False]
    # Regex metacharacters are literal.
    assert excluded("a+b(c).txt", "a+b(c).txt", "aab(c).txt") == [True, False]


def test_comments_blank_lines_and_whitespace() -> None:
    text = "# a comment\n\n   \n  .env  \n #not-a-comment\n!\n"
    ignore = DockerIgnore.parse(text)
    assert [p.text for p in ignore.patterns] == [".env", "#not-a-comment"]
    assert ignore.is_excluded(".env")
    assert ignore.is_excluded("#not-a-comment")
    assert not ignore.is_excluded("# a comment")


def test_crlf_and_bom() -> None:
    ignore = DockerIgnore.parse("\ufeff.env\r\n*.key\r\n")
    assert ignore.is_excluded(".env") and ignore.is_excluded("tls.key")


def test_star_does_not_cross_folders() -> None:
    assert excluded("*", "a", "a/b") == [True, True]  # a/b through its parent "a"
    assert excluded("src/*.py", "src/a.py", "src/sub/a.py") == [True, False]
    assert excluded("src/*", "src/sub/a.py") == [True]  # via its parent "src/sub"
    assert excluded("src/*.py", "src/sub.txt") == [False]


def test_is_excluded_accepts_dot_slash_and_backslashes() -> None:
    ignore = DockerIgnore.parse("secrets")
    assert ignore.is_excluded("./secrets/a")
    assert ignore.is_excluded("secrets\\a")


def test_empty_file_excludes_nothing() -> None:
    assert excluded("", ".env", "a/b") == [False, False]


@pytest.mark.parametrize("path", [
    ".env", "svc/.env", ".env.production", "prod.env", "id_rsa", "keys/id_ed25519", "server.key", "tls/cert.pem",
    ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".aws/credentials", "home/.docker/config.json",
    ".kube/config", "kubeconfig", ".ssh/deploy_key", "store.p12", ".ssh",
])
def test_secret_file_names(path: str) -> None:
    assert is_secret_file(path)


@pytest.mark.parametrize("path", [
    ".env.example", ".env.sample", "id_rsa.pub", ".ssh/known_hosts", ".ssh/config", "README.md", "app.py",
    "environment.yaml", "keys.txt", "docker/config.json", "package.json", ".", "*", "config/.envrc.md",
])
def test_not_secret_file_names(path: str) -> None:
    assert not is_secret_file(path)


def test_secret_files_applies_the_ignore_file() -> None:
    candidates = [".env", "certs/server.pem", "config/.npmrc", "README.md"]
    ignore = DockerIgnore.parse("**/*.pem\n.npmrc")
    assert secret_files(candidates, ignore) == [".env", "config/.npmrc"]
    assert secret_files(candidates, None) == [".env", "certs/server.pem", "config/.npmrc"]


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n", encoding="utf-8")


def test_scan_context_skips_vcs_and_dependency_folders(tmp_path: Path) -> None:
    _touch(tmp_path, "Dockerfile", ".env", "app/id_rsa", ".git/secret.key", "node_modules/x/.npmrc", "src/main.py")
    listing = scan_context(str(tmp_path), "Dockerfile")
    assert listing.secret_candidates == (".env", "app/id_rsa")
    assert listing.ignore_file is None and listing.ignore_text is None
    assert not listing.truncated


def test_scan_context_prefers_the_dockerfile_specific_ignore_file(tmp_path: Path) -> None:
    _touch(tmp_path, ".env")
    (tmp_path / ".dockerignore").write_text(".env\n", encoding="utf-8")
    (tmp_path / "api.Dockerfile.dockerignore").write_text("node_modules\n", encoding="utf-8")
    api = scan_context(str(tmp_path), "api.Dockerfile")
    assert api.ignore_file == "api.Dockerfile.dockerignore"
    assert secret_files(api.secret_candidates, api.ignore()) == [".env"]
    default = scan_context(str(tmp_path), "Dockerfile")
    assert default.ignore_file == ".dockerignore"
    assert secret_files(default.secret_candidates, default.ignore()) == []


def test_scan_context_is_bounded(tmp_path: Path) -> None:
    _touch(tmp_path, *(f"d{i}/f{j}.txt" for i in range(5) for j in range(10)), "z/.env")
    listing = scan_context(str(tmp_path), max_entries=20)
    assert listing.truncated
    assert listing.secret_candidates == ()


def test_scan_context_does_not_walk_excluded_folders(tmp_path: Path) -> None:
    _touch(tmp_path, *(f"data/f{j}.txt" for j in range(50)), ".env", "data/x/id_rsa")
    (tmp_path / ".dockerignore").write_text("data\n", encoding="utf-8")
    listing = scan_context(str(tmp_path), max_entries=20)
    assert not listing.truncated
    assert listing.secret_candidates == (".env",)


def test_scan_context_walks_everything_when_exceptions_exist(tmp_path: Path) -> None:
    _touch(tmp_path, "data/keep/id_rsa", "data/other.txt")
    (tmp_path / ".dockerignore").write_text("data\n!data/keep\n", encoding="utf-8")
    listing = scan_context(str(tmp_path))
    assert secret_files(listing.secret_candidates, listing.ignore()) == ["data/keep/id_rsa"]
