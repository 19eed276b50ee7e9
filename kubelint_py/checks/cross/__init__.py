"""Built-in cross rules: one module per rule family; modules are found automatically."""
