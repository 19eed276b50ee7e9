"""Rule documentation from the rules' own metadata and fixtures: `explain` and the README table."""

from __future__ import annotations

from pathlib import Path

from kubelint_py.engine import Rule, all_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_examples(rule: Rule) -> tuple[str | None, str | None]:
    """The first bad and good fixture of a rule, when the fixtures folder is present (a source checkout)."""
    folder = FIXTURES / rule.format / rule.code
    if not folder.is_dir():
        return None, None

    def first(prefix: str) -> str | None:
        for path in sorted(folder.glob(f"{prefix}*")):
            if path.is_file():
                return path.read_text(encoding="utf-8", errors="replace").rstrip()
        return None

    return first("bad"), first("good")


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
        lines += ["", "Options"]
        lines += [f"  {name} (default {param.default!r}): {param.help}" for name, param in rule.parameters.items()]
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


if __name__ == "__main__":
    import sys

    changed = update_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README rule table updated" if changed else "README rule table up to date")
