"""Built-in kubernetes rules: one module per rule family; modules are found automatically."""
