"""Build hook: ship the built-in policy catalogue (rules/*.yaml) inside the package.

rules/ stays at the top of the repository (where users look for the shipped policies and copy them);
a wheel carries it as kubelint_py/data/rules/, where kubelint_py.engine.policies.builtin_catalogue() finds it.
Everything else is configured in pyproject.toml.
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


setup(cmdclass={"build_py": BuildPyWithPolicies})
