"""Compose port mappings, short (`[IP:][HOST[-END]:]CONTAINER[-END][/PROTO]`) and long syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kubelint_py.models.compose import is_interpolated
from kubelint_py.models.located import YMap

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")
ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")


@dataclass(frozen=True, slots=True)
class PortMapping:
    host_ip: str
    """"" when not given (all interfaces)."""
    published: tuple[int, int] | None
    """Host port range (first, last); None when not published on a fixed host port."""
    target: tuple[int, int]
    protocol: str

    @property
    def all_interfaces(self) -> bool:
        return self.host_ip in ALL_INTERFACES

    def overlaps(self, other: PortMapping) -> bool:
        """Both bind the same host port, protocol and address (all interfaces overlaps every address)."""
        if self.published is None or other.published is None or self.protocol != other.protocol:
            return False
        if not (self.all_interfaces or other.all_interfaces or self.host_ip == other.host_ip):
            return False
        return self.published[0] <= other.published[1] and other.published[0] <= self.published[1]

    def describe(self) -> str:
        if self.published is None:
            return f"{_show(self.target)}/{self.protocol}"
        address = self.host_ip or "0.0.0.0"
        return f"{address}:{_show(self.published)}/{self.protocol}"


def _show(ports: tuple[int, int]) -> str:
    return str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"


def _range(text: str) -> tuple[int, int] | None:
    match = _RANGE.match(text.strip())
    if match is None:
        return None
    first = int(match.group(1))
    return first, int(match.group(2)) if match.group(2) else first


def parse_port(item: Any) -> PortMapping | None:
    """One `ports:` entry; None when it is interpolated or malformed (other rules report that)."""
    if isinstance(item, YMap):
        return _parse_long(item)
    if isinstance(item, bool) or item is None:
        return None
    text = str(item)
    if is_interpolated(text):
        return None
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
    host_ip = ""
    if text.startswith("["):  # [::1]:8080:80
        end = text.find("]")
        if end < 0:
            return None
        host_ip, text = text[1:end], text[end + 1:].lstrip(":")
    parts = text.split(":")
    if len(parts) == 3:
        host_ip, host, container = parts
    elif len(parts) == 2:
        host, container = parts
    elif len(parts) == 1:
        host, container = "", parts[0]
    else:
        # An IPv6 address without brackets: the last two parts are the ports.
        host_ip, host, container = ":".join(parts[:-2]), parts[-2], parts[-1]
    target = _range(container)
    if target is None:
        return None
    published = _range(host) if host else None
    if host and published is None:
        return None
    return PortMapping(host_ip, published, target, protocol.lower())


def _parse_long(item: YMap) -> PortMapping | None:
    values = [item.get(k) for k in ("target", "published", "host_ip", "protocol")]
    if any(is_interpolated(v) for v in values):
        return None
    target = _range(str(item.get("target", "")))
    if target is None:
        return None
    published_raw = item.get("published")
    published = _range(str(published_raw)) if published_raw not in (None, "") else None
    host_ip = str(item.get("host_ip") or "")
    if host_ip.startswith("["):
        host_ip = host_ip.strip("[]")
    return PortMapping(host_ip, published, target, str(item.get("protocol") or "tcp").lower())
