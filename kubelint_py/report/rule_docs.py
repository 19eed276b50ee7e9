"""Rule documentation from the rules' own metadata and fixtures: `explain`, the README table and
docs/rules.md (`python -m kubelint_py.report.rule_docs` regenerates both; tests fail when either is stale)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kubelint_py.engine.catalogue import all_rules
from kubelint_py.engine.registry import FORMATS, Rule

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
PACKAGED_EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
"""The first bad and good fixture of each rule, copied into wheels by setup.py (no fixtures/ there)."""

FORMAT_TITLES = {
    "kubernetes": "Kubernetes",
    "compose": "Docker Compose",
    "dockerfile": "Dockerfile",
    "cross": "Cross-format (checks files against each other)",
    "general": "The tool itself (parse errors, unused suppressions)",
}

# Fixture markers are for the test harness; in documentation they become a plain pointer.
_EXPECT_NEXT = re.compile(r"^\s*#\s*expect-next-line:\s*[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*\s*$")
_EXPECT = re.compile(r"\s*#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")


def _clean_example(text: str) -> str:
    lines: list[str] = []
    for line in text.splitlines():
        if _EXPECT_NEXT.match(line):
            continue
        lines.append(_EXPECT.sub(lambda m: f"  # <-- {m.group(1)}", line))
    return "\n".join(lines).rstrip()


def fixture_examples(rule: Rule) -> tuple[str | None, str | None]:
    """The first bad and good fixture file of a rule (from the fixtures folder in a source checkout, else
    from the copies an installed wheel carries), with the test markers turned into plain pointers."""
    root = FIXTURES if FIXTURES.is_dir() else PACKAGED_EXAMPLES
    folder = root / rule.format / rule.code
    if not folder.is_dir():
        return None, None

    def first(prefix: str) -> str | None:
        for path in sorted(folder.glob(f"{prefix}*")):
            if path.is_file():
                return _clean_example(path.read_text(encoding="utf-8", errors="replace"))
        return None

    return first("bad"), first("good")


def fix_example(rule: Rule) -> tuple[str, str] | None:
    """The first before/after fixture pair of a rule's fix (fixtures/<format>/<CODE>/fix-*.before.*), as a
    unified diff body: (file name shown, diff lines)."""
    folder = FIXTURES / rule.format / rule.code
    if not folder.is_dir():
        return None
    for before in sorted(folder.glob("fix-*.before.*")):
        after = before.with_name(before.name.replace(".before.", ".after.", 1))
        if not after.is_file():
            continue
        import difflib

        old = before.read_text(encoding="utf-8", errors="replace").splitlines()
        new = after.read_text(encoding="utf-8", errors="replace").splitlines()
        lines = [line for line in difflib.unified_diff(old, new, lineterm="", n=1)][2:]
        if lines:
            return before.name.replace(".before.", "."), "\n".join(lines)
    return None


_AUTOFIX = {"safe": "safe: `kubelint-py check --fix` applies it (the meaning for the platform is unchanged)",
            "unsafe": "unsafe: applied only with `kubelint-py check --fix --unsafe-fixes` (it changes behaviour; "
                      "review the diff, `--diff` shows it first)"}


def _default(value: Any) -> str:
    return json.dumps(value, default=str)


def _suppress_hint(rule: Rule) -> str:
    if rule.format == "dockerfile":
        return f"`# kubelint: ignore={rule.code}` on the line above the instruction"
    if rule.format in ("kubernetes", "cross"):
        return (f"`# kubelint: ignore={rule.code}` on or above the line, or the annotation "
                f"`kubelint.io/ignore: \"{rule.code}\"` on the object")
    return f"`# kubelint: ignore={rule.code}` on or above the line"


def explain_text(rule: Rule) -> str:
    state = "on" if rule.enabled_by_default else "off (enable with --extend-select)"
    lines = [
        f"{rule.code} {rule.name}  [{rule.format}, {rule.severity.label}, {state}]",
        "",
        rule.summary,
        "",
        "Why is this bad?",
        f"  {rule.rationale}",
        "",
        "How to fix",
        f"  {rule.fix}",
    ]
    if rule.tags:
        lines += ["", f"Tags: {', '.join(rule.tags)}"]
    if rule.aliases:
        lines += [f"Also known as: {', '.join(rule.aliases)}"]
    if rule.parameters:
        lines += ["", "Options (in .kubelint.yaml under `parameters:` > `" + rule.name + "`)"]
        lines += [f"  {name} (default {_default(param.default)}): {param.help}"
                  for name, param in rule.parameters.items()]
    if rule.autofix:
        lines += ["", f"Autofix: {_AUTOFIX.get(rule.autofix, rule.autofix)}. Findings it can fix are marked [*]."]
        example = fix_example(rule)
        if example is not None:
            lines += ["", f"Fix example ({example[0]})", *("  " + row for row in example[1].splitlines())]
    if rule.format != "general" or rule.code == "KL004":
        lines += ["", f"Suppress with {_suppress_hint(rule)}."]
    bad, good = fixture_examples(rule)
    if bad:
        lines += ["", "Example (bad)", *("  " + row for row in bad.splitlines())]
    if good:
        lines += ["", "Use instead (good)", *("  " + row for row in good.splitlines())]
    return "\n".join(lines)


def rule_table() -> str:
    """The Markdown table in README.md between the rule-table markers."""
    rows = ["| Code | Name | Format | Severity | Default | Summary |", "|---|---|---|---|---|---|"]
    for rule in all_rules():
        rows.append(f"| {rule.code} | {rule.name} | {rule.format} | {rule.severity.label} | "
                    f"{'on' if rule.enabled_by_default else 'off'} | {rule.summary} |")
    return "\n".join(rows)


BEGIN, END = "<!-- rule-table:begin -->", "<!-- rule-table:end -->"


def update_readme(readme: Path) -> bool:
    """Rewrite the rule table in the README; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    updated = f"{head}{BEGIN}\n{rule_table()}\n{END}{tail}"
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        return True
    return False


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rule_section(rule: Rule) -> list[str]:
    state = "on by default" if rule.enabled_by_default else "off by default (enable with `extend-select`)"
    facts = [f"severity **{rule.severity.label}**", state]
    if rule.tags:
        facts.append("tags: " + ", ".join(f"`{tag}`" for tag in rule.tags))
    if rule.aliases:
        facts.append("also known as: " + ", ".join(f"`{alias}`" for alias in rule.aliases))
    lines = [f"### {rule.code} `{rule.name}`", "", f"{rule.summary}.".replace("..", "."), "",
             " · ".join(facts), "", f"**Why is this bad?** {rule.rationale}", "", f"**How to fix:** {rule.fix}", ""]
    if rule.parameters:
        lines += ["**Options** (`parameters:` > `" + rule.name + "` in `.kubelint.yaml`):", "",
                  "| Option | Default | Description |", "|---|---|---|"]
        lines += [f"| `{name}` | `{_escape_cell(_default(param.default))}` | {_escape_cell(param.help)} |"
                  for name, param in rule.parameters.items()]
        lines.append("")
    if rule.autofix:
        lines += [f"**Autofix:** {_AUTOFIX.get(rule.autofix, rule.autofix)}.", ""]
        example = fix_example(rule)
        if example is not None:
            lines += [f"Fix example (`{example[0]}`):", "", "```diff", example[1], "```", ""]
    if rule.format != "general" or rule.code == "KL004":
        lines += [f"**Suppress:** {_suppress_hint(rule)}.", ""]
    bad, good = fixture_examples(rule)
    fence = "dockerfile" if rule.format == "dockerfile" else "yaml"
    if bad:
        lines += ["Example:", "", f"```{fence}", bad, "```", ""]
    if good:
        lines += ["Use instead:", "", f"```{fence}", good, "```", ""]
    return lines


def rules_markdown() -> str:
    """docs/rules.md: every rule, grouped by format."""
    rules = all_rules()
    lines = ["# kubelint-py rules", "",
             "<!-- Generated by `python -m kubelint_py.report.rule_docs` from the rules' metadata and fixtures; "
             "do not edit by hand. -->", "",
             f"{len(rules)} rules. Refer to a rule by code or name in `select`, `ignore`, `severity`, "
             "`per-path-ignores` and suppression comments; `kubelint-py explain CODE` prints the same text.", ""]
    groups = [(fmt, [r for r in rules if r.format == fmt]) for fmt in FORMATS]
    for fmt, members in groups:
        if members:
            lines.append(f"- [{FORMAT_TITLES.get(fmt, fmt)}](#{_anchor(FORMAT_TITLES.get(fmt, fmt))}): "
                         + ", ".join(f"[{r.code}](#{_anchor(f'{r.code} {r.name}')})" for r in members))
    lines.append("")
    for fmt, members in groups:
        if not members:
            continue
        lines += [f"## {FORMAT_TITLES.get(fmt, fmt)}", ""]
        for rule in members:
            lines += _rule_section(rule)
    return "\n".join(lines).rstrip() + "\n"


def _anchor(title: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def update_rules_doc(target: Path) -> bool:
    """Rewrite docs/rules.md; True when it changed."""
    content = rules_markdown()
    if target.is_file() and target.read_text(encoding="utf-8") == content:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")
    return True


if __name__ == "__main__":
    import sys

    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    changed = update_readme(readme)
    print("README rule table updated" if changed else "README rule table up to date")
    docs = readme.resolve().parent / "docs" / "rules.md"
    print(f"{docs} updated" if update_rules_doc(docs) else f"{docs} up to date")
