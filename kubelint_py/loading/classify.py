"""What a file is, judged from its name and content: templates, Compose files, manifests.

The loader asks these questions before any rule runs, so a wrong answer becomes a false error
(a Jinja template reported as broken YAML, another tool's `services:` list judged against the Compose
schema). Each answer errs on the side of "not ours to judge".
"""

from __future__ import annotations

import re
from typing import Any

from kubelint_py.models.located import YMap

TEMPLATE_SUFFIXES = frozenset({"j2", "jinja", "jinja2", "tmpl", "tpl", "template", "gotmpl", "mustache", "hbs",
                               "erb", "njk", "liquid"})
"""Name parts that say a file is rendered before use (`Dockerfile.template`, `deploy.tmpl.yaml`, `x.yaml.j2`)."""

TEMPLATE_MARKERS = ("{{", "{%")

_API_VERSION_LINE = re.compile(r"^[ \t-]*apiVersion[ \t]*:", re.MULTILINE)
_KIND_LINE = re.compile(r"^[ \t-]*kind[ \t]*:", re.MULTILINE)

COMPOSE_TOP_LEVEL = frozenset({"version", "name", "services", "networks", "volumes", "secrets", "configs",
                               "include", "models"})
COMPOSE_SERVICE_KEYS = frozenset({
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes",
    "depends_on", "extends", "networks", "network_mode", "restart", "healthcheck", "container_name", "labels",
    "deploy", "profiles", "secrets", "configs", "working_dir", "user", "cap_add", "cap_drop", "privileged",
    "logging", "links", "tmpfs", "ulimits", "stdin_open", "tty", "hostname", "dns", "devices", "pid", "ipc",
    "extra_hosts", "init", "platform", "pull_policy", "scale", "shm_size", "sysctls", "security_opt",
    "stop_signal", "stop_grace_period", "volumes_from", "develop", "provider", "attach", "annotations",
    "runtime", "mem_limit", "cpus", "read_only", "userns_mode", "external_links", "post_start", "pre_stop",
})


def is_template_name(name: str) -> bool:
    """`Dockerfile.template`, `deployment.tmpl.yaml`, `compose.yaml.j2`: any dotted part after the first
    one names a template language (`template.yaml` itself is an ordinary name)."""
    parts = name.lower().split(".")
    return any(part in TEMPLATE_SUFFIXES for part in parts[1:])


def has_template_markers(text: str) -> bool:
    return any(marker in text for marker in TEMPLATE_MARKERS)


def first_marker(text: str) -> int:
    found = [i for i in (text.find(m) for m in TEMPLATE_MARKERS) if i >= 0]
    return min(found) if found else 0


def looks_like_manifest(text: str) -> bool:
    """Broken YAML is only reported for files that look like Kubernetes manifests (apiVersion and kind):
    a lockfile or another tool's configuration is not ours to judge."""
    return bool(_API_VERSION_LINE.search(text) and _KIND_LINE.search(text))


def is_compose_document(root: Any) -> bool:
    """A Compose file, judged by its keys: `services:` alone is not enough (Azure's azure.yaml, CI and
    deployment tools have service lists of their own). The services' keys must be mostly Compose's own
    (a typo or two still leaves a Compose file, which the schema rule then reports); with no service
    bodies to judge, every top-level key must be one Compose knows (or an `x-` extension)."""
    if not isinstance(root, YMap):
        return False
    services = root.get("services")
    if not isinstance(services, YMap):
        return False
    known = unknown = 0
    for body in services.values():
        if isinstance(body, YMap):
            for key in body:
                if isinstance(key, str) and (key in COMPOSE_SERVICE_KEYS or key.startswith("x-")):
                    known += 1
                else:
                    unknown += 1
    if known or unknown:
        return known > 0 and known >= unknown
    return all(isinstance(key, str) and (key in COMPOSE_TOP_LEVEL or key.startswith("x-")) for key in root)
