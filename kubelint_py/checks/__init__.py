"""Built-in rules, grouped by format."""
