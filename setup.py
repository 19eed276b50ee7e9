"""Build hook: ship the built-in policy catalogue (rules/*.yaml) and the rules' examples inside the package.

rules/ stays at the top of the repository (where users look for the shipped policies and copy them);
a wheel carries it as kubelint_py/data/rules/, where kubelint_py.engine.policies.builtin_catalogue() finds it.
The first bad and good fixture of each rule (fixtures/<format>/<CODE>/bad-*, good-*) are what
`kubelint-py explain` and SARIF's rule help show as examples; a wheel carries them as
kubelint_py/data/examples/<format>/<CODE>/ (kubelint_py.report.rule_docs reads them when there is no
fixtures/ folder beside the package). Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithPolicies(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "kubelint_py" / "data" / "rules"
        target.mkdir(parents=True, exist_ok=True)
        for policy in sorted((ROOT / "rules").glob("*.yaml")):
            shutil.copyfile(policy, target / policy.name)
        examples = Path(self.build_lib) / "kubelint_py" / "data" / "examples"
        for folder in sorted((ROOT / "fixtures").glob("*/*")):
            if not folder.is_dir():
                continue
            for prefix in ("bad", "good"):
                first = next((p for p in sorted(folder.glob(f"{prefix}*")) if p.is_file()), None)
                if first is not None:
                    destination = examples / folder.parent.name / folder.name
                    destination.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(first, destination / first.name)


setup(cmdclass={"build_py": BuildPyWithPolicies})
