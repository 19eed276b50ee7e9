"""Kustomize roots in a lint run: findings about what the overlays deploy, at the source lines, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Severity
from tests.kustomize_support import KUSTOMIZE_FIXTURES

EXAMPLE = KUSTOMIZE_FIXTURES / "example"


def _run(path: Path | str, **settings: object) -> list[tuple[str, int, str]]:
    report = lint([str(path)], Config(fail_on=None, use_cache=False, **settings))  # type: ignore[arg-type]
    return sorted((Path(f.location.path).resolve().relative_to(Path(path).resolve()).as_posix(),
                   f.location.line, f.code) for f in report.active)


def test_overlays_are_linted_as_built() -> None:
    report = lint([str(EXAMPLE)], Config(fail_on=None, use_cache=False))
    active = [f for f in report.active if f.severity > Severity.INFO]  # (hardening advice is info)
    codes = [f.code for f in active]
    # Generated ConfigMap/Secret, the selector from labels and the namespace are all seen as built:
    # only a real finding about the base remains, reported once for both overlays.
    assert codes == ["KS104"]
    finding = active[0]
    assert finding.location.path.endswith("base/deployment.yaml")
    overlays = sorted(r.location.path for r in finding.related if r.message.startswith("as built by"))
    assert [Path(p).parent.name for p in overlays] == ["production", "staging"]


def test_without_kustomize_every_file_is_linted_alone(tmp_path: Path) -> None:
    report = lint([str(EXAMPLE)], Config(fail_on=None, use_cache=False, kustomize=False))
    assert report.active and not any(r.message.startswith("as built by") for f in report.active for r in f.related)
    # What only the build knows: the overlay's `images:` pins the base's tag.
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - pod.yaml\nimages:\n  - name: nginx\n"
                                                 "    newTag: 1.27.2\n")
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                                       "    - name: c\n      image: nginx:latest\n")
    assert ("pod.yaml", 8, "KS201") in _run(tmp_path, kustomize=False, select=("KS201",))
    assert _run(tmp_path, select=("KS201",)) == []


def test_a_value_set_by_the_overlay_is_reported_at_the_overlay(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - pod.yaml\n")
    (tmp_path / "base" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:1.27\n")
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../base\nimages:\n  - name: nginx\n    newTag: latest\n")
    report = lint([str(tmp_path)], Config(fail_on=None, use_cache=False, select=("KS201",)))
    [finding] = report.active
    assert finding.location.path.endswith("prod/kustomization.yaml") and finding.location.line == 5


def test_broken_root_is_an_error_and_its_files_are_linted_alone(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n  - missing.yaml\n")
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:latest\n")
    found = _run(tmp_path, select=("KL008", "KS201"))
    assert ("kustomization.yaml", 3, "KL008") in found
    assert ("cm.yaml", 8, "KS201") in found  # linted as a loose file


def test_unsupported_root_is_info_and_linted_alone(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - pod.yaml\nhelmCharts:\n  - name: redis\n    repo: https://example.com\n")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:latest\n")
    report = lint([str(tmp_path)], Config(fail_on=None, use_cache=False, select=("KL009", "KS201")))
    by_code = {f.code: f for f in report.active}
    assert by_code["KL009"].location.line == 3 and "helmCharts" in by_code["KL009"].message
    assert by_code["KL009"].severity.name == "INFO"
    assert "KS201" in by_code


def test_builtin_transformer_configs_are_not_cluster_objects(tmp_path: Path) -> None:
    (tmp_path / "prefix.yaml").write_text(
        "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: x\nprefix: a-\n")
    assert _run(tmp_path) == []


def test_each_root_is_its_own_project(tmp_path: Path) -> None:
    """Two overlays building the same base with different prefixes are not duplicates of each other, and
    a reference resolves only inside its own build."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n")
    (tmp_path / "base" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text("resources:\n  - ../base\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "kustomization.yaml").write_text("resources:\n  - pod.yaml\n")
    (tmp_path / "other" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n"
        "      image: nginx:1.27\n      envFrom:\n        - configMapRef:\n            name: c\n")
    found = _run(tmp_path, select=("KS612", "KS602"))
    assert found == [("other/pod.yaml", 11, "KS602")]


def test_no_kustomize_flag_and_config_key(tmp_path: Path) -> None:
    from tests.cli_support import invoke

    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - pod.yaml\nimages:\n  - name: nginx\n    newTag: 1.27.2\n")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n"
        "      image: nginx:latest\n")
    built = invoke(["check", "--no-cache", "--select", "KS201", str(tmp_path)])
    assert built.exit_code == 0, built.output
    loose = invoke(["check", "--no-cache", "--no-kustomize", "--select", "KS201", str(tmp_path)])
    assert loose.exit_code == 1 and "KS201" in loose.output
    (tmp_path / ".kubelint.yaml").write_text("kustomize: false\n")
    configured = invoke(["check", "--no-cache", "--select", "KS201", str(tmp_path)])
    assert configured.exit_code == 1 and "KS201" in configured.output


def test_a_broken_base_is_one_finding_for_all_its_overlays(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - gone.yaml\n")
    for name in ("dev", "prod"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text("resources:\n  - ../base\n")
    report = lint([str(tmp_path)], Config(fail_on=None, use_cache=False, select=("KL008",)))
    [finding] = report.active
    assert finding.location.path.endswith("base/kustomization.yaml") and finding.location.line == 2
    assert len(finding.related) == 1 and "also the root" in finding.related[0].message


def test_unsaved_text_of_a_kustomization_is_what_is_built(tmp_path: Path) -> None:
    """The builder reads the run's own copy of each file (an editor's unsaved text), not the disk."""
    from kubelint_py.api import check_sources
    from kubelint_py.discovery.walk import discover
    from kubelint_py.loading.source_file import load_source

    (tmp_path / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    files = [load_source(c, 10 * 1024 * 1024) for c in discover([str(tmp_path)], ())]
    for source in files:
        if source.path.endswith("kustomization.yaml"):
            source.text = "resources:\n  - cm.yaml\n"
    report = check_sources(files, Config(fail_on=None, use_cache=False, select=("KL008",)))
    assert report.active == []


def test_a_field_a_patch_adds_for_the_build_consumer_is_not_a_schema_error(tmp_path: Path) -> None:
    """A patch may add a field no API schema knows, for the tool that reads the build (OLM's containerPort on
    webhooks): in the built object it is not KS901, as in the patch file alone; a misspelt field still is."""
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - deployment.yaml\npatches:\n  - path: patch.yaml\n")
    (tmp_path / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n"
        "    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27.2\n")
    (tmp_path / "patch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  consumerOnlySetting: 1\n  replcas: 2\n")
    found = _run(tmp_path, select=("KS901",))
    assert found == [("patch.yaml", 7, "KS901")], found  # `replcas` (did you mean replicas?), not line 6


def _missing_input_finding(tmp_path: Path) -> tuple[str, str, str]:
    report = lint([str(tmp_path)], Config(fail_on=None, use_cache=False, select=("KL008",)))
    [finding] = report.active
    return finding.severity.name, finding.message, " ".join(r.message for r in finding.related)


def test_a_missing_input_a_script_writes_is_a_warning(tmp_path: Path) -> None:
    """Some repositories render an input before `kustomize build` (a script, a Makefile): as the repository
    stands the build fails, but that is not certainly a mistake; the warning names the script."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "gen.sh").write_text("#!/bin/sh\nrender > deploy/overlay/generated.yaml\n")
    (tmp_path / "deploy" / "overlay").mkdir(parents=True)
    (tmp_path / "deploy" / "overlay" / "kustomization.yaml").write_text("resources:\n  - generated.yaml\n")
    severity, message, related = _missing_input_finding(tmp_path)
    assert severity == "WARNING" and "may be generated" in message and "tools/gen.sh" in message
    assert related == "names 'overlay/generated.yaml'"


def test_a_missing_input_git_ignores_or_a_readme_creates_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("# build outputs\n/app/out/\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text("resources:\n  - out/all.yaml\n")
    severity, message, related = _missing_input_finding(tmp_path)
    assert severity == "WARNING" and "ignored by" in message and related == "names '/app/out/'"
    (tmp_path / ".gitignore").unlink()
    (tmp_path / "app" / "README.md").write_text("Write the file first:\n\n    cat > out/all.yaml <<EOF\n")
    severity, message, related = _missing_input_finding(tmp_path)
    assert severity == "WARNING" and "walk-through" in message and related == "names 'out/all.yaml'"


def test_a_missing_input_nothing_makes_stays_an_error(tmp_path: Path) -> None:
    """A script elsewhere that mentions a file of the same name, but not in that folder, is no evidence; a
    README in another folder is none either."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Makefile").write_text("lint:\n\tkubeval other/deployment.yaml\n")
    (tmp_path / "README.md").write_text("Edit app/deployment.yaml\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    severity, message, _ = _missing_input_finding(tmp_path)
    assert severity == "ERROR" and "not found" in message


def test_a_configured_severity_still_applies_to_a_warning_kl008(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "make.sh").write_text("render > generated.yaml\n")
    (tmp_path / "app" / "kustomization.yaml").write_text("resources:\n  - generated.yaml\n")
    config = Config(fail_on=None, use_cache=False, select=("KL008",), severity_overrides={"KL008": Severity.ERROR})
    [finding] = lint([str(tmp_path)], config).active
    assert finding.severity is Severity.ERROR


def test_a_readme_that_only_mentions_the_missing_input_is_no_evidence(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "README.md").write_text("Edit deployment.yaml to change the image.\n")
    (tmp_path / "app" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    severity, _, _ = _missing_input_finding(tmp_path)
    assert severity == "ERROR"


def test_walk_through_evidence_is_matched_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README that writes a missing input is searched with RE2: Python's `re` backtracked over
    `(?:\\S*/)?` at every `>` (a README of a megabyte of `>` cost hours)."""
    from kubelint_py.building.kustomize import generated

    asked: list[str] = []
    real = generated.compile_linear

    def spy(pattern: str) -> object:
        asked.append(pattern)
        return real(pattern)

    monkeypatch.setattr(generated, "compile_linear", spy)
    assert generated._written("intro\n\ncat > deploy/manifest.yaml <<EOF\n", "manifest.yaml") == 3
    assert generated._written("tee -a manifest.yaml\n", "manifest.yaml") == 1
    assert generated._written("helm template x -o manifest.yaml", "manifest.yaml") == 1
    assert generated._written("see manifest.yaml for details", "manifest.yaml") == 0  # named, not written
    assert generated._written("cat > manifest.yaml-old", "manifest.yaml") == 0
    assert generated._written(">" * 200_000, "manifest.yaml") == 0
    assert asked and real(asked[0]) is not None  # RE2 expresses the pattern: no backtracking fallback


def test_evidence_is_not_read_through_links(tmp_path: Path) -> None:
    """A script that is a link may point anywhere on the machine: it is not read as evidence."""
    from kubelint_py.building.kustomize import generated

    outside = tmp_path / "outside.sh"
    outside.write_text("render > generated.yaml\n")
    app = tmp_path / "repo" / "app"
    app.mkdir(parents=True)
    (app / "make.sh").symlink_to(outside)
    assert generated.find(str(app), "generated.yaml", str(tmp_path / "repo")) is None
    (app / "make.sh").unlink()
    (app / "make.sh").write_text("render > generated.yaml\n")
    assert generated.find(str(app), "generated.yaml", str(tmp_path / "repo")) is not None


def test_a_file_outside_the_kustomization_folder_is_built_as_the_flag_allows(tmp_path: Path) -> None:
    """kustomize refuses `resources: [../base/x.yaml]` by default, `--load-restrictor LoadRestrictionsNone`
    allows it, and the flag is not in the files: a warning that says so, and the root is linted as built
    with the flag (the finding is the built object's, reported at the base's line)."""
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n"
        "    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n")
    (tmp_path / "overlay" / "kustomization.yaml").write_text("resources:\n  - ../base/deploy.yaml\nnamePrefix: prod-\n")
    report = lint([str(tmp_path)], Config(fail_on=None, use_cache=False, select=("KL008", "KS201")))
    restricted = [f for f in report.active if f.code == "KL008"]
    assert [(f.severity, f.location.line) for f in restricted] == [(Severity.WARNING, 2)]
    assert "--load-restrictor LoadRestrictionsNone" in restricted[0].message
    built = [f for f in report.active if f.code == "KS201" and any("as built by" in r.message for r in f.related)]
    assert [(Path(f.location.path).name, f.location.line) for f in built] == [("deploy.yaml", 14)]
