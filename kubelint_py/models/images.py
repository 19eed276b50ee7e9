"""Container image references (`registry:5000/team/app:1.2@sha256:...`): one place for every format."""

from __future__ import annotations


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference; tag and digest None when absent."""
    digest: str | None = None
    if "@" in image:
        image, digest = image.split("@", 1)
    name, tag = image, None
    last_colon = image.rfind(":")
    if last_colon > image.rfind("/"):  # a colon before the last slash is a registry port
        name, tag = image[:last_colon], image[last_colon + 1:]
    return name, tag, digest


def image_tag(image: str) -> str | None:
    """The tag of an image reference; None without one; a digest counts as pinned ("@...")."""
    if "@" in image:
        return "@" + image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def image_repository(image: str) -> str:
    """The reference without tag or digest, as written."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def canonical_repository(image: str) -> str:
    """`nginx:1.25` -> `docker.io/library/nginx`; `ghcr.io/org/app@sha256:..` -> `ghcr.io/org/app`."""
    name = image.split("@", 1)[0]
    last_slash = name.rfind("/")
    if ":" in name[last_slash + 1:]:
        name = name[:name.rfind(":")]
    first, _, rest = name.partition("/")
    if not rest:
        return f"docker.io/library/{first}"
    if "." in first or ":" in first or first == "localhost":
        return name
    return f"docker.io/{name}"
