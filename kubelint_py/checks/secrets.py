"""Secret detection shared by the Kubernetes, Compose and Dockerfile rules: one set of patterns.

Names say a value is meant to be secret; values say a string *is* a credential whatever its name.
References and fill-in markers (`${VAR}`, `<password>`; `changeme` or `example` is NOT a placeholder: it
is a real, weak secret) are told apart so a name like DB_PASSWORD_FILE or a value like
`$(cat /run/secrets/x)` does not fire.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Words that mark a variable as holding a secret, matched as whole segments of the name.
SECRET_NAME_WORDS = ("PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "APIKEY", "API_KEY",
                     "PRIVATE_KEY", "PRIVATEKEY", "ACCESS_KEY", "ACCESSKEY", "SECRET_KEY", "CREDENTIALS",
                     "CREDENTIAL", "AUTH_KEY", "CLIENT_SECRET", "SIGNING_KEY", "ENCRYPTION_KEY", "SESSION_KEY",
                     # cloud storage account keys and key material pasted inline (AZURE_STORAGE_KEY, SSH_KEY_CONTENT)
                     "STORAGE_KEY", "ACCOUNT_KEY", "KEY_CONTENT", "KEY_CONTENTS", "MASTER_KEY")
_NAME = re.compile(
    r"(?:^|[_\-.])(?:" + "|".join(re.escape(w) for w in sorted(SECRET_NAME_WORDS, key=len, reverse=True))
    + r")(?:$|[_\-.])", re.IGNORECASE)
# Names that contain a secret word but hold a reference to one, or a non-secret setting about it.
_NOT_SECRET_NAME = re.compile(
    r"(?:_FILE|_PATH|_DIR|_LOCATION|_REF|_NAME|_KEY_ID|_ID|_USER|_USERNAME|_LENGTH|_TTL|_EXPIRY|_EXPIRES"
    r"|_POLICY|_HEADER|_ENDPOINT|_URL_TEMPLATE|_ENABLED|_REQUIRED|_MIN|_MAX|_TYPE|_MODE|_FORMAT|_ALGORITHM"
    r"|_HASH_ALGORITHM|_ROTATION|_PROVIDER|_SECRET_NAME|_SECRETS_DIR)$"
    r"|^(?:PASSWORD|SECRET|TOKEN)_(?:FILE|PATH|NAME)$|^PWD$"
    # Switches about a secret (ALLOW_EMPTY_PASSWORD=yes), not the secret itself.
    r"|(?:^|_)(?:ALLOW|ENABLE|DISABLE|REQUIRE|USE|SKIP|FORCE|NO|RANDOM|EMPTY|GENERATE)_",
    re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True for FOO_PASSWORD, apiToken-like names; false for FOO_PASSWORD_FILE or PASSWORD_LENGTH."""
    normalised = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # camelCase -> camel_Case
    return bool(_NAME.search(normalised)) and not _NOT_SECRET_NAME.search(normalised)


# Values that are not literal secrets: empty, references, interpolation, fill-in markers. A word that
# merely looks like a placeholder (`example`, `changeme`, `dummy`) is still a committed credential: the
# official images' own compose examples run with POSTGRES_PASSWORD=example.
_REFERENCE = re.compile(r"^\s*(?:\$\{?[A-Za-z_][A-Za-z0-9_]*|\$\(|`|<[^>]*>$|\{\{)")
_PLACEHOLDERS = frozenset({"", "none", "null", "nil", "~", "-", "<redacted>", "***", "******",
                           # switches under a secret-sounding name (REDIS_PASSWORD_AUTH=yes), not secrets
                           "true", "false", "yes", "no", "on", "off", "enabled", "disabled", "0", "1"})
# Fill-in-the-blank markers: INSERT_ETCD_TOKEN, YOUR_API_KEY, <your-key>, REPLACE_WITH_...
_FILL_IN = re.compile(r"^(?:INSERT|REPLACE|YOUR|ENTER|PUT|ADD)[_\-]|^\.\.\.$", re.IGNORECASE)
# A value spelled like a constant's name (GOOGLE_API_KEY_VAL) stands for a value to be filled in.
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def is_literal_secret_value(value: str | None) -> bool:
    """True when a value under a secret-looking name is a literal (not a reference or placeholder)."""
    if value is None:
        return False
    text = value.strip()
    if text.lower() in _PLACEHOLDERS or _REFERENCE.match(text) or _FILL_IN.match(text) \
            or _CONSTANT_NAME.match(text):
        return False
    return not (text.startswith("/") and " " not in text)  # a path to a mounted secret file


class SecretMatch(NamedTuple):
    kind: str
    start: int
    end: int


_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    # Formats as the providers document them: OpenAI project/service-account/admin keys (sk-proj-, ...) and
    # legacy user keys (the base64 of "OpenAI" in the middle); PyPI API tokens are macaroons whose base64
    # starts with the issuing host; Docker Hub personal access tokens; Vault service/batch/recovery tokens.
    ("OpenAI API key", re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}+|\bsk-[A-Za-z0-9]{20}T3BlbkFJ"
                                  r"[A-Za-z0-9]{20}\b")),
    ("PyPI API token", re.compile(r"\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}+")),
    ("Docker Hub access token", re.compile(r"\bdckr_pat_[A-Za-z0-9_-]{27,}+")),
    ("Vault token", re.compile(r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}+")),
    ("GCP service-account key", re.compile(r'"private_key_id"\s*:\s*"[0-9a-f]{40}"')),
    ("Azure connection string with a key", re.compile(
        r"(?:AccountKey=[A-Za-z0-9+/]{86}==|SharedAccessKey=[A-Za-z0-9+/]{43}=)")),
    # The two patterns below start only where a run of their characters starts and never give back what
    # a run matched (possessive): `eyJ-eyJ-...` or `a.a.a...` 300 KB long is one linear scan, not one scan
    # per position (quadratic: 16 s for the JWT pattern). A token may follow a `-` inside the run
    # (`--token=-eyJ...`, `jwt-eyJ...`): the atomic group skips to the run's first `eyJ` at its start or
    # after a `-`, once (a later one has a shorter first part and fails where it failed); the token is the
    # `secret` group.
    ("JSON web token", re.compile(r"(?<![A-Za-z0-9_-])(?>(?:[A-Za-z0-9_]*+-)*?(?=eyJ))"
                                  r"(?P<secret>eyJ[A-Za-z0-9_-]{10,}+\.eyJ[A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{10,}+)")),
    ("password in URL", re.compile(r"(?<![a-z0-9+.\-])\b[a-z][a-z0-9+.\-]*+://[^\s:/@'\"]++:(?!\$|\{)"
                                   r"[^\s@/'\"]{3,}+@[^\s'\"]+")),
)
_URL_PASSWORD_PLACEHOLDERS = re.compile(r"://[^:/@]+:(?:password|pass|secret|xxx+|\*+|changeme|<[^>]+>)@",
                                        re.IGNORECASE)


# Literal text each pattern needs: a substring test skips most patterns on most values, which keeps
# scanning large ConfigMaps (dashboards, bundled configs) cheap.
_HINTS: dict[str, tuple[str, ...]] = {
    "private key": ("PRIVATE KEY",),
    "AWS access key id": ("AKIA", "ASIA", "ABIA", "ACCA"),
    "GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "GitLab token": ("glpat-",),
    "Slack token": ("xox",),
    "Slack webhook": ("hooks.slack.com",),
    "Stripe key": ("_live_",),
    "Google API key": ("AIza",),
    "npm token": ("npm_",),
    "JSON web token": ("eyJ",),
    "OpenAI API key": ("sk-",),
    "PyPI API token": ("pypi-",),
    "Docker Hub access token": ("dckr_pat_",),
    "Vault token": ("hvs.", "hvb.", "hvr."),
    "GCP service-account key": ("private_key_id",),
    "Azure connection string with a key": ("AccountKey=", "SharedAccessKey="),
    "password in URL": ("://",),
}


def find_secret_values(text: str) -> list[SecretMatch]:
    """Credentials recognisable by their shape, wherever they appear in a string."""
    if not text or len(text) < 16:
        return []
    found: list[SecretMatch] = []
    for kind, pattern in _VALUE_PATTERNS:
        if not any(hint in text for hint in _HINTS.get(kind, ("",))):
            continue
        if kind == "password in URL" and "@" not in text:
            continue
        for match in pattern.finditer(text):
            if kind == "password in URL" and _URL_PASSWORD_PLACEHOLDERS.search(match.group()):
                continue
            group = "secret" if "secret" in pattern.groupindex else 0
            found.append(SecretMatch(kind, match.start(group), match.end(group)))
    return found
