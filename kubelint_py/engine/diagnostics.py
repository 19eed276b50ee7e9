"""The tool's own findings (KL codes): files that could not be read or parsed, internal errors.

They have no check function: the loader and the engine emit them. Declaring them here gives them the
same metadata as every other rule, so they can be listed, explained, selected and put in SARIF.
"""

from __future__ import annotations

from kubelint_py.engine.registry import Rule, Severity, Target, register


def _tool_rule(code: str, name: str, severity: Severity, summary: str, rationale: str, fix: str,
               autofix: str = "") -> Rule:
    return register(Rule(code=code, name=name, format="general", target=Target.NONE, severity=severity,
                         summary=summary, rationale=rationale, fix=fix, tags=("tool",), autofix=autofix))


PARSE_ERROR = _tool_rule(
    "KL001", "parse-error", Severity.ERROR,
    "File could not be parsed",
    "A file that does not parse is rejected by kubectl, docker compose or docker build, and nothing in it "
    "can be checked.",
    "Fix the syntax error at the reported line; the message says what the parser expected.")
TEMPLATE_SKIPPED = _tool_rule(
    "KL002", "template-skipped", Severity.INFO,
    "Helm or Go template skipped",
    "Template files only become manifests after rendering; linting the raw template would report "
    "nonsense.",
    "Lint the chart folder (with its Chart.yaml) with the renderer installed (`pip install "
    "'kubelint-py[helm]'`, or a `helm` binary on PATH): its templates are then rendered and reported at "
    "their lines. A template outside any chart stays skipped.")
UNREADABLE = _tool_rule(
    "KL003", "unreadable-file", Severity.ERROR,
    "File could not be read",
    "A file the linter cannot read (permissions, a broken link, binary content, too large) is not checked, "
    "and a CI run that skips it silently gives false confidence.",
    "Fix the file or its permissions, or exclude it with --exclude.")
DUPLICATE_KEY = _tool_rule(
    "KL004", "duplicate-key", Severity.ERROR,
    "Duplicate key in a YAML mapping",
    "kubectl and docker compose reject duplicate keys; other tools silently keep one of the values, so what "
    "is deployed depends on the tool.",
    "Remove one of the two keys (both lines are reported).")
INTERNAL_ERROR = _tool_rule(
    "KL005", "internal-error", Severity.ERROR,
    "A rule failed on this file",
    "A bug in kubelint-py stopped one rule on one file; the other rules and files were still checked.",
    "Report it with the file (or a reduced copy) and the output of --debug.")
ENCODING = _tool_rule(
    "KL006", "encoding-problem", Severity.WARNING,
    "File is not valid UTF-8",
    "Kubernetes, Compose and BuildKit read files as UTF-8; other bytes are replaced or rejected.",
    "Save the file as UTF-8.")
UNUSED_SUPPRESSION = _tool_rule(
    "KL007", "unused-suppression", Severity.INFO,
    "A suppression comment or annotation suppresses nothing",
    "Stale suppressions hide future problems on that line and make reviewers think something is wrong.",
    "Remove the suppression, or the codes in it that no longer fire.", autofix="safe")
FINDINGS_CAPPED = _tool_rule(
    "KL012", "findings-capped", Severity.WARNING,
    "Too many findings: some were dropped",
    "A file (or a run) with thousands of findings of one kind is generated or hostile; reporting them all "
    "would cost gigabytes and hide everything else. At most 500 findings of one rule are reported per "
    "file, 1,000 findings per file and 10,000 findings of one rule per run; this finding says what was "
    "dropped and where.",
    "Fix the repeated problem (or disable or ignore that rule for the file), then run again to see the rest.")
CHECK_INCOMPLETE = _tool_rule(
    "KL013", "check-incomplete", Severity.WARNING,
    "A rule could not check everything here",
    "Some input cannot be checked, or only at a cost no real repository needs: a CRD `pattern:` that RE2 "
    "cannot express (lookaround, backreferences; patterns from a pull request are matched by RE2, in linear "
    "time), a Dockerfile FROM chain longer than 64 stages, compose services whose `extends` and override "
    "merges would copy more than 10,000,000 inherited entries, a Helm chart holding a link that points out of "
    "it (Helm would read the target into the render; the chart is not rendered). The rule stops there rather "
    "than spend unbounded time or memory or read outside a chart; this finding says what was not checked, so "
    "a cut is never silent.",
    "Simplify what the message names (a pattern RE2 supports, a shorter chain, fewer inherited entries), "
    "or review that part by hand.")
KUSTOMIZE_FAILED = _tool_rule(
    "KL008", "kustomize-build-failed", Severity.ERROR,
    "A kustomization cannot be built",
    "kustomize (and `kubectl apply -k`) fails on a missing resource or patch file, a patch whose target is "
    "not in the build, a cycle of kustomizations or a resource added twice: nothing of that overlay deploys. "
    "Its files are then linted one by one. A missing input that the repository itself makes is a warning, "
    "not an error: a script or Makefile (beside the kustomization, in a folder above it or in their hack/, "
    "scripts/, tools/ or build/ folder) names it, a .gitignore ignores it, or the folder's README writes it "
    "(`cat > path`); the message names that file.",
    "Fix the kustomization line reported (the message says what kustomize would complain about).")
KUSTOMIZE_NOT_BUILT = _tool_rule(
    "KL009", "kustomize-not-built", Severity.INFO,
    "A kustomization uses what kubelint-py does not build offline",
    "Remote bases, helmCharts and transformer, generator or validator plugins are not built "
    "in-process (no network, nothing executed); that root's files are linted one by one, as without "
    "kustomize support.",
    "Nothing to fix; render it (`kubectl kustomize DIR | kubelint-py check -`) to lint what it deploys.")
HELM_RENDER_FAILED = _tool_rule(
    "KL010", "helm-render-failed", Severity.ERROR,
    "Helm chart does not render",
    "`helm install` and `helm template` stop at the same error (a template syntax error, a function that "
    "does not exist, a `required` value missing, a `fail` call), so nothing of the chart is deployed or "
    "checked. A warning when the failing line calls `required` or `fail`: the chart asks for that value on "
    "purpose, and the values a release gives are not in the repository.",
    "Fix the template at the reported line, or give the render the values it requires (a values file in "
    "the `helm:` entry of .kubelint.yaml, or --helm-values / --helm-set).")
HELM_DEPENDENCY_MISSING = _tool_rule(
    "KL011", "helm-dependency-missing", Severity.WARNING,
    "Chart dependency missing from charts/",
    "A dependency listed in Chart.yaml but absent from charts/ makes `helm template` and `helm install` "
    "fail; Helm's library drops it silently, so its objects are neither deployed nor linted. A warning, not "
    "an error: most repositories do not commit charts/ and run `helm dependency build` before installing. "
    "When the chart does not render without the dependency (a template calls the subchart's helpers), that "
    "failure is part of this finding (its related location), not a KL010 of its own.",
    "Run `helm dependency build` (and commit charts/ or build it in CI before linting), or remove the "
    "entry from Chart.yaml.")
