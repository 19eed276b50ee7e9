"""Built-in dockerfile rules: one module per rule family; modules are found automatically."""
