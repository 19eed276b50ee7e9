"""The shared vocabulary of every stage: positions, findings, rule metadata. Imports nothing else of kubelint_py."""
