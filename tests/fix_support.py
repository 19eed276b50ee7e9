"""Fixture pairs for fixes: fixtures/<format>/<CODE>/fix-<name>.before.<ext> and fix-<name>.after.<ext>.

The before file is linted alone (copied under a name kubelint-py classifies as its format: Dockerfile,
compose.yaml or manifest.yaml) with only that rule selected, plus any codes on a `# fixture-select:` line,
and fixed; the result must equal the after file. Names starting with `fix-unsafe-` are fixed with
--unsafe-fixes. `python -m tests.fix_support` writes the after files (review them before committing).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kubelint_py.api import fix_paths
from kubelint_py.engine.config import Config
from kubelint_py.results.fixes import FixRun
from tests.fixture_support import FIXTURES, FORMATS

_SELECT = re.compile(r"#\s*fixture-select:\s*(?P<codes>[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")
_K8S_VERSION = re.compile(r"#\s*fixture-k8s-version:\s*(?P<version>[0-9.]+)")


@dataclass(frozen=True)
class FixPair:
    code: str
    format: str
    before: Path

    @property
    def id(self) -> str:
        return f"{self.code}/{self.before.name}"

    @property
    def after(self) -> Path:
        return self.before.with_name(self.before.name.replace(".before.", ".after.", 1))

    @property
    def unsafe(self) -> bool:
        return self.before.name.startswith("fix-unsafe-")

    @property
    def target_name(self) -> str:
        if self.before.name.endswith(".Dockerfile"):
            return "Dockerfile"
        return "compose.yaml" if self.format == "compose" else "manifest.yaml"

    def config(self) -> Config:
        text = self.before.read_text(encoding="utf-8")
        codes = [self.code]
        match = _SELECT.search(text)
        if match:
            codes += [c.strip() for c in match.group("codes").split(",")]
        version = _K8S_VERSION.search(text)
        config = Config(select=tuple(dict.fromkeys(codes)), fail_on=None, use_cache=False)
        if version:
            config.k8s_version = version.group("version")
        return config

    def run(self, folder: Path) -> tuple[Path, FixRun]:
        """Copy the before file into `folder` and fix it there."""
        target = folder / self.target_name
        shutil.copyfile(self.before, target)
        return target, fix_paths([str(folder)], self.config(), unsafe=self.unsafe, workers=1)


def all_pairs() -> list[FixPair]:
    found: list[FixPair] = []
    for fmt in FORMATS:
        for before in sorted((FIXTURES / fmt).glob("*/fix-*.before.*")):
            found.append(FixPair(before.parent.name, fmt, before))
    return found


if __name__ == "__main__":
    import tempfile

    for pair in all_pairs():
        with tempfile.TemporaryDirectory() as temp:
            target, _ = pair.run(Path(temp))
            pair.after.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
            print(f"wrote {pair.after.relative_to(FIXTURES)}")
