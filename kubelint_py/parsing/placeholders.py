"""Values that are not values yet: placeholders a tool or a person fills in before the file is used.

`replicas: ${REPLICAS:-1}` (envsubst, Flux post-build substitution), `name: <KSA_NAME>` (a tutorial's
"replace this"), `secretName: __INGRESS_SECRET__` (sed-style tokens), `port: PORT`, `{{ .Values.x }}`.
Schema types, enums and patterns, and references to other objects by such a name, cannot be judged:
the real value is only known after substitution.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_ANGLE = re.compile(r"<[A-Za-z][\w .:/@-]{0,80}>")
_DUNDER = re.compile(r"__[A-Za-z][A-Za-z0-9_]{0,80}__")
_BARE_VAR = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]{0,80}")
_CAPS_WORD = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_EXPANSIONS = ("${", "{{", "%%", "@@", "$(", "$$")
_SHOUTED_TOKEN = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_NOT_PLACEHOLDERS = frozenset({
    # Upper-case words that are real values of Kubernetes fields: judged as usual.
    "TCP", "UDP", "SCTP", "HTTP", "HTTPS", "GRPC", "IPV4", "IPV6", "ALL", "NONE", "OK",
})


def is_placeholder(value: Any) -> bool:
    """True for a string that will be substituted before use."""
    if not isinstance(value, str) or not value or len(value) > 200:
        return False
    return _is_placeholder(value)


# Rules ask about the same few thousand names and values once per object: answers are memoised per
# string, in bounded caches (a hostile file cannot grow them without limit).
@lru_cache(maxsize=65_536)
def _is_placeholder(value: str) -> bool:
    if any(marker in value for marker in _EXPANSIONS):
        return True
    if _ANGLE.search(value) or _DUNDER.search(value):
        return True
    if _BARE_VAR.fullmatch(value):
        return True
    # `port: PORT`, `replicas: NUM_REPLICAS`: a shouted word where a number or a name belongs.
    return len(value) >= 3 and value not in _NOT_PLACEHOLDERS and bool(_CAPS_WORD.fullmatch(value))


def has_placeholder_name(name: Any) -> bool:
    """An object name that is (or holds) a placeholder: `ROLLOUT_NAME-active`, `REPLACEME-canary`,
    `$(NAMESPACE)`, `*` (a patch for every object). Kubernetes names are lower case, so a shouted word of
    three or more capitals inside one is a token someone replaces before use."""
    if not isinstance(name, str):
        return False
    return _has_placeholder_name(name)


@lru_cache(maxsize=65_536)
def _has_placeholder_name(name: str) -> bool:
    if is_placeholder(name) or name == "*":
        return True
    return any(len(token) >= 3 and sum(c.isupper() for c in token) >= 3 for token in _SHOUTED_TOKEN.findall(name))
