"""Built-in compose rules: one module per rule family; modules are found automatically."""
