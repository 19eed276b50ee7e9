"""kubelint-py: one linter for Dockerfiles, Compose files and Kubernetes YAML, checked against each other."""

__version__ = "0.1.0"
