"""`kubelint-py completion bash|zsh|fish`: scripts generated from the parsers, tried in a real bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import invoke


def _complete(tmp_path: Path, words: list[str]) -> list[str]:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    (tmp_path / "completion.bash").write_text(invoke(["completion", "bash"]).stdout)
    (tmp_path / "deploy.yaml").write_text("x: 1\n")
    quoted = " ".join(f"'{w}'" for w in words)
    program = (f"source completion.bash; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
               "_kubelint_py; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run([bash, "--norc", "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_options_values_and_files(tmp_path: Path) -> None:
    assert _complete(tmp_path, ["kubelint-py", "ex"]) == ["explain"]
    assert "--stdin-filename" in _complete(tmp_path, ["kubelint-py", "check", "--std"])
    assert _complete(tmp_path, ["kubelint-py", "check", "--format", "g"]) == ["github", "gitlab"]
    assert _complete(tmp_path, ["kubelint-py", "rules", "-f", ""]) == ["text", "json"]
    assert _complete(tmp_path, ["kubelint-py", "check", "--select", "KS10"])[:2] == ["KS101", "KS102"]
    assert "KS102" in _complete(tmp_path, ["kubelint-py", "explain", "KS1"])
    assert _complete(tmp_path, ["kubelint-py", "check", "dep"]) == ["deploy.yaml"]


def test_every_shell_and_the_command(tmp_path: Path) -> None:
    result = invoke(["completion", "bash"])
    assert result.exit_code == 0 and "complete -o filenames -F _kubelint_py kubelint-py" in result.stdout
    zsh = invoke(["completion", "zsh"]).stdout
    assert zsh.startswith("#compdef kubelint-py\n") and "bashcompinit" in zsh
    fish = invoke(["completion", "fish"]).stdout
    assert "complete -c kubelint-py -n '__fish_seen_subcommand_from check' -l no-respect-gitignore" in fish
    assert invoke(["completion", "tcsh"]).exit_code == 2
