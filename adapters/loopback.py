"""What counts as this machine only: one definition for the web chat's Host and Origin checks, the Teams
emulator's service URLs and `serve`'s refusal of unauthenticated modes on a public interface."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """Whether `host` (a name or an IP address, IPv6 with or without brackets) is this machine only:
    localhost, 127.0.0.0/8 or ::1. Anything that needs resolving or parsing leniently (0x7f000001, 127.1,
    localhost.example.com) is not."""
    host = (host or "").strip().lower().removeprefix("[").removesuffix("]")
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: object) -> bool:
    """Whether `url` is an http(s) URL on a loopback host, with no user info that could hide another host."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "@" not in parts.netloc and is_loopback_host(parts.hostname or "")
