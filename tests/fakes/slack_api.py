"""A stand-in Slack Web API on loopback: records every call, checks Block Kit limits, can answer 429s."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    method: str
    args: dict
    at: float = field(default_factory=time.monotonic)


def block_problems(blocks: list) -> list[str]:
    """What Slack would reject in a message's blocks (the limits the bot promises to keep)."""
    problems = []
    if len(blocks) > 50:
        problems.append("more than 50 blocks")
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > 3000:
            problems.append("section text over 3000")
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                if len(element["text"]["text"]) > 75:
                    problems.append("button label over 75")
                if len(element.get("value", "")) > 2000:
                    problems.append("button value over 2000")
        ids = [e.get("action_id") for e in block.get("elements") or [] if e.get("action_id")]
        if len(ids) != len(set(ids)):
            problems.append("duplicate action_id in a block")
    return problems


class FakeSlack:
    def __init__(self, record: bool = True) -> None:
        self.record = record  # False: count calls instead of keeping them (long benchmarks)
        self.counts: dict[str, int] = {}
        self.calls: list[Call] = []
        self.channel_members: dict[str, list[str]] = {}
        self.users: list[dict] = []
        self.profiles: dict[str, dict] = {}  # user id -> users.info `user` (others: a user with no names)
        self.per_second: dict[str, int] = {}  # method -> calls accepted per second; 429 with Retry-After above
        self._window: dict[str, list[float]] = {}
        self.messages: dict[str, list[dict]] = {}  # DM channel -> messages posted there
        self.rate_limited: dict[str, int] = {}  # method -> how many more calls answer 429
        self.delay: dict[str, float] = {}
        self.fail: dict[str, int] = {}  # method -> how many more calls answer 500
        self.fail_status = 500
        self.slow: dict[str, int] = {}  # method -> how many more calls wait `slow_seconds` before answering
        self.slow_seconds = 2.0
        self.reset: dict[str, int] = {}  # method -> how many more calls get the connection dropped, no answer
        self.ts = itertools.count(1)
        app = web.Application()
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)
        app.router.add_post("/response/{id}", self.response_url_post)
        app.router.add_get("/socket", self.socket)
        app.router.add_get("/_stats", self.stats)
        self.socket_envelopes: list[dict] = []  # sent to a Socket Mode client once it connects
        self.socket_acks: list[dict] = []
        self.server = TestServer(app, host="127.0.0.1")

    async def start(self) -> FakeSlack:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        await self.server.close()

    @property
    def api_url(self) -> str:
        return str(self.server.make_url("/api/"))

    def response_url(self, name: str = "r1") -> str:
        return str(self.server.make_url(f"/response/{name}"))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.of(method)) >= count:
                return self.of(method)
            await asyncio.sleep(0.01)
        raise AssertionError(f"{method}: {len(self.of(method))} calls, wanted {count}; calls: {[c.method for c in self.calls]}")

    async def _args(self, request: web.Request) -> dict:
        raw = await request.text()
        if request.content_type == "application/json":
            return {**dict(request.query), **json.loads(raw or "{}")}
        args = {**dict(request.query), **dict(parse_qsl(raw))}
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token_prefix = "Bearer xapp-" if method == "apps.connections.open" else "Bearer xoxb-"
        if not request.headers.get("Authorization", "").startswith(token_prefix):
            return web.json_response({"ok": False, "error": "not_authed"})
        args = await self._args(request)
        if self.delay.get(method):
            await asyncio.sleep(self.delay[method])
        if self.slow.get(method, 0) > 0:
            self.slow[method] -= 1
            self._note(method + ":slow", args)
            await asyncio.sleep(self.slow_seconds)
        limit = self.per_second.get(method)
        if limit:
            now = time.monotonic()
            window = [t for t in self._window.get(method, []) if t > now - 1.0]
            if len(window) >= limit:
                self._window[method] = window
                self._note(method + ":429", args)
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
            window.append(now)
            self._window[method] = window
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            self._note(method + ":429", args)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        if self.reset.get(method, 0) > 0:
            self.reset[method] -= 1
            self._note(method + ":reset", args)
            request.transport.abort()
            raise ConnectionResetError("dropped by the stand-in")
        if self.fail.get(method, 0) > 0:
            self.fail[method] -= 1
            self._note(f"{method}:{self.fail_status}", args)
            return web.Response(status=self.fail_status, text="oops")
        self._note(method, args)
        return web.json_response(self.answer(method, args))

    def _note(self, method: str, args: dict) -> None:
        self.counts[method] = self.counts.get(method, 0) + 1
        if self.record:
            self.calls.append(Call(method, args))

    def answer(self, method: str, args: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "smpolicy", "team": "Acme"}
        if method == "apps.connections.open":
            return {"ok": True, "url": str(self.server.make_url("/socket")).replace("http://", "ws://")}
        if method == "users.info":  # a profile set for the test, else the user of users.list, else one with no names
            user_id = str(args.get("user", ""))
            listed = next((u for u in self.users if u.get("id") == user_id), None)
            return {"ok": True, "user": self.profiles.get(user_id) or listed or {"id": user_id, "name": "", "profile": {}}}
        if method == "users.list":
            return {"ok": True, "members": self.users, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.history":
            return {"ok": True, "messages": list(reversed(self.messages.get(args.get("channel", ""), [])))}
        if method == "conversations.members":
            return {"ok": True, "members": self.channel_members.get(args.get("channel", ""), []),
                    "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))}}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            if not args.get("text"):
                return {"ok": False, "error": "no_text"}
            problems = block_problems(args.get("blocks") or [])
            if problems:
                return {"ok": False, "error": "invalid_blocks", "problems": problems}
            channel = str(args.get("channel"))
            channel = "D" + channel if channel.startswith("U") else channel  # posting to a user id opens the app DM
            ts = f"1700000000.{next(self.ts):06d}"
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            if self.record:
                self.messages.setdefault(channel, []).append({"ts": ts, "text": args.get("text"), "metadata": metadata})
            else:  # long benchmarks: keep only what counting duplicates and misses needs
                self.messages.setdefault(channel, []).append({"metadata": metadata})
            return {"ok": True, "channel": channel, "ts": ts}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = args.get("view") or {}
            if len(view.get("blocks", [])) > 100:
                return {"ok": False, "error": "invalid_blocks"}
            return {"ok": True, "view": {"id": "V1", **view}}
        return {"ok": True}

    async def stats(self, request: web.Request) -> web.Response:
        """For benchmarks in another process: calls by method, and quiz invitations per DM."""
        per_channel = [sum(1 for m in msgs if (m.get("metadata") or {}).get("event_type") == "smpolicy_quiz_round")
                       for msgs in self.messages.values()]
        return web.json_response({"counts": self.counts, "channels_with_invitation": sum(1 for n in per_channel if n),
                                  "duplicates": sum(n - 1 for n in per_channel if n > 1)})

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode endpoint: hello, then the queued envelopes; records the client's acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A1"}})
        for envelope in self.socket_envelopes:
            await ws.send_json(envelope)
        async for msg in ws:
            if msg.type.name == "TEXT":
                self.socket_acks.append(json.loads(msg.data))
        return ws

    async def response_url_post(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("response_url", body))
        return web.Response(text="ok")


def main() -> None:
    """Run the stand-in on its own (benchmarks): --port, --users N humans, --rate chat.postMessage per second."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--rate", type=int, default=0)
    args = parser.parse_args()
    fake = FakeSlack(record=False)
    fake.users = [{"id": f"U{i:07d}", "is_bot": False, "deleted": False} for i in range(args.users)]
    if args.rate:
        fake.per_second["chat.postMessage"] = args.rate
    web.run_app(fake.server.app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
