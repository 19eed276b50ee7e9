"""Rules that declare the kinds they read (Rule.kinds) are not called for other objects: the runner's
shortcut must never change a finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py import api
from kubelint_py.core.rules import Rule, Target
from kubelint_py.engine.catalogue import load_rules
from kubelint_py.engine.config import Config
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import loaded_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _findings(monkeypatch: pytest.MonkeyPatch, *, honour_kinds: bool, tmp_path: Path) -> list[tuple[object, ...]]:
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[str] = []
    original = api._Runner._object_rules

    def every_rule(self: api._Runner, kind: str) -> list[Rule]:
        calls.append(kind)
        return list(self.by_target.get(Target.K8S_OBJECT, ()))

    with monkeypatch.context() as patch:
        if not honour_kinds:
            patch.setattr(api._Runner, "_object_rules", every_rule)
        report = api.lint([str(FIXTURES / "kubernetes"), str(FIXTURES / "kustomize")],
                          Config(use_cache=False, extend_select=("all",)), workers=1)
    assert honour_kinds or calls  # the patch took effect
    assert api._Runner._object_rules is original
    return sorted((f.code, tuple(f.location), f.message, f.severity.value) for f in report.findings)


def test_skipping_rules_by_kind_changes_no_finding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    load_rules()
    declared = [r for r in loaded_rules() if r.kinds is not None]
    assert len(declared) >= 15
    honoured = _findings(monkeypatch, honour_kinds=True, tmp_path=tmp_path)
    every = _findings(monkeypatch, honour_kinds=False, tmp_path=tmp_path)
    # Most of them report here (a cross-object rule may find its reference defined by another fixture).
    assert len({code for code, *_ in honoured} & {r.code for r in declared}) >= len(declared) - 3
    assert honoured == every


def test_only_object_rules_declare_kinds() -> None:
    load_rules()
    for rule_obj in loaded_rules():
        assert rule_obj.kinds is None or (rule_obj.target is Target.K8S_OBJECT and rule_obj.kinds), rule_obj.code


def test_the_runner_picks_the_rules_for_a_kind_once_and_in_code_order() -> None:
    load_rules()
    rules = loaded_rules()
    runner = api._Runner(rules, Config(), ProjectIndex.build([]), False)
    for_service, for_configmap = runner._object_rules("Service"), runner._object_rules("ConfigMap")
    assert "KS402" not in [r.code for r in for_service] and "KS402" in [r.code for r in for_configmap]
    assert "KS901" in [r.code for r in for_service]  # no kinds declared: every object
    assert [r.code for r in for_service] == sorted(r.code for r in for_service)
    assert runner._object_rules("Service") is for_service
