"""Who is using the web chat (and every page for people): one identity source for every route.

- With SMPOLICY_WEB_USER_HEADER set (say `X-Forwarded-Email` from oauth2-proxy), identity comes only from that
  header, on any host, and only from peers in SMPOLICY_TRUSTED_PROXIES; a `user_id` in the body is ignored.
- Without it, only when the server listens on a loopback host: the id the page sends (only local processes can
  reach the port), with `Host` and `Origin` checked against loopback so that no other site (CSRF) and no
  rebound DNS name can talk to it.
- On a non-loopback host without the header, no web chat is served at all.

In both modes POST bodies must be JSON: a cross-site form cannot send it without a CORS preflight we never answer.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

from adapters.loopback import is_loopback_host


def _host_of(value: str) -> str:
    """The host name of a Host header value (`name:port`, `[::1]:port`)."""
    return urlsplit("//" + value).hostname or ""


class WebIdentity:
    """Decides, per request, whose request it is, or refuses it."""

    def __init__(self, header: str, trusted_proxies: tuple[str, ...], bind_host: str):
        self.header = header
        self.proxies = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]
        self.loopback = is_loopback_host(bind_host)

    @property
    def enabled(self) -> bool:
        """Whether the web chat and the consoles are served at all."""
        return bool(self.header) or self.loopback

    def describe(self) -> str:
        """One line for start-up: where web identity comes from."""
        if self.header:
            return f"web chat: identity from the {self.header} header of {', '.join(map(str, self.proxies))}"
        if self.loopback:
            return "web chat: loopback only, for the people on this machine"
        return "web chat: off (listening beyond loopback without SMPOLICY_WEB_USER_HEADER)"

    def _trusted_peer(self, request: web.Request) -> bool:
        try:
            peer = ipaddress.ip_address((request.remote or "").split("%")[0])
        except ValueError:
            return False
        return any(peer in net for net in self.proxies)

    def check_request(self, request: web.Request, forms: bool = False) -> None:
        """Refuse what no page of ours would send: foreign Host or Origin on loopback, non-JSON POSTs (`forms`:
        the caller takes form posts and checks their CSRF token itself, as the owners' console does)."""
        origin = request.headers.get("Origin")
        if self.header:
            if origin and urlsplit(origin).netloc.lower() != request.host.lower():
                raise web.HTTPForbidden(text='{"error": "origin: not this site"}', content_type="application/json")
        else:
            if not is_loopback_host(_host_of(request.host)):
                raise web.HTTPForbidden(text='{"error": "host: not a loopback name"}', content_type="application/json")
            if origin is not None and not is_loopback_host(urlsplit(origin).hostname or ""):
                raise web.HTTPForbidden(text='{"error": "origin: not this machine"}', content_type="application/json")
        if request.method == "POST" and request.content_type != "application/json" and not forms:
            raise web.HTTPUnsupportedMediaType(text='{"error": "body: must be application/json"}', content_type="application/json")

    def user(self, request: web.Request, claimed: str) -> str:
        """The verified user id: the SSO header's value, or on loopback the id the page sent (`claimed`)."""
        if not self.header:
            return claimed
        if not self._trusted_peer(request):
            raise web.HTTPForbidden(text='{"error": "not from a trusted proxy"}', content_type="application/json")
        value = request.headers.get(self.header, "").strip()
        if not value or len(value) > 200:
            raise web.HTTPUnauthorized(text=f'{{"error": "no {self.header} header: sign in through the proxy"}}',
                                       content_type="application/json")
        return value
