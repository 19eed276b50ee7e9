"""Typed, read-only views over parsed input. Nothing here imports a parser library."""
