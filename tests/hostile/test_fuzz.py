"""A bounded fuzz run against the running server: 10,000 random and mutated requests to every route,
signed and unsigned. No 5xx, no crash, /healthz stays 200, memory bounded. Every URL a payload could
make the bot call (serviceUrl, response_url) points at the loopback stand-ins."""

import asyncio
import json
import random
import resource

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings
from tests.fakes import slack_payloads as p
from tests.fakes import teams_activities as a

REQUESTS = 10_000
ROUTES = [("GET", "/"), ("GET", "/healthz"), ("GET", "/metrics"), ("POST", "/api/local/messages"), ("POST", "/api/local/actions"),
          ("POST", "/slack/events"), ("POST", "/api/messages"), ("GET", "/static/app.js"), ("GET", "/static/../../etc/passwd"),
          ("PUT", "/api/local/messages"), ("DELETE", "/slack/events"), ("GET", "/nope"), ("POST", "/healthz")]
JUNK = ["", "null", "[]", "{}", "\"x\"", "1e309", "{\"user_id\": {}}", "\xff\xfe", "{" * 50, "[" * 500 + "]" * 500, "<!channel>",
        "payload=%7B%7D", "payload=not-json", "command=/smpolicy&text=hi", "\x00" * 20]


def mutate(value, rng: random.Random, depth: int = 0):
    """Randomly change a JSON value: drop, retype or garble fields."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            roll = rng.random()
            if roll < 0.1:
                continue
            out[k if rng.random() > 0.05 else k + "x"] = mutate(v, rng, depth + 1) if roll < 0.5 else v
        if rng.random() < 0.1:
            out[rng.choice(["text", "value", "type", "actions", "view"])] = rng.choice([None, 5, [], {}, "x" * 3000, "<!here>"])
        return out
    if isinstance(value, list):
        return [mutate(v, rng, depth + 1) for v in value if rng.random() > 0.1]
    if isinstance(value, str):
        return rng.choice([value, "", value * 3, value[::-1], "\u202e" + value, "🙂" * 10, "<@U1> " + value, 42, None])
    return rng.choice([value, None, "x", -1, 1e308, True])


def local_body(rng):
    base = rng.choice([{"user_id": f"f{rng.randint(1, 50)}", "text": rng.choice(["quiz", "report", "help", "check: my key is AKIAIOSFODNN7EXAMPLE",
                                                                                  "can I post a selfie?", "reports", "case"])},
                       {"user_id": "f1", "action_id": rng.choice(["quiz.answer", "report.submit", "case.verify", "case.open", "feedback.up"]),
                        "value": rng.choice(["", "a:b:c", "R-AAAAAA", "x" * 2100]), "form": {"what": "x", "ref": "R-1", "code": "c"}}])
    return json.dumps(mutate(base, rng)).encode(), {"Content-Type": "application/json"}


def slack_body(rng, fake):
    builders = [lambda: p.command(rng.choice(["help", "quiz", "report", "check hi", "x" * 100, ""]), response_url=fake.response_url()),
                lambda: p.dm(rng.choice(["hi", "quiz", ""]), event_id=f"Ev{rng.random()}"),
                lambda: p.block_action(rng.choice(["quiz.answer#0", "case.open#0", "x"]), "a:b:1", response_url=fake.response_url()),
                lambda: p.view_submission({"what": "x" * rng.randint(0, 5000)}, rng.choice(["report.submit", "case.verify", "zz"]), "t")]
    raw, headers = rng.choice(builders)()
    if rng.random() < 0.5:  # mutate the body, then sign it again (a valid signature on garbage) or not
        if raw.startswith("{"):
            body = mutate(json.loads(raw), rng)
            raw = json.dumps(body)
            if isinstance(body, dict) and isinstance(body.get("event"), dict):
                body["event"]["channel_type"] = body["event"].get("channel_type")
        else:
            raw = raw.replace("text=", "text=%FF%00" if rng.random() < 0.5 else "t=")
        if rng.random() < 0.7:
            headers = {**headers, **p.sign(raw)}
    if rng.random() < 0.1:
        headers = {k: v for k, v in headers.items() if not k.startswith("X-Slack")}
    return raw.encode("utf-8", "surrogatepass"), headers


def teams_body(rng, connector):
    base = rng.choice([a.message(rng.choice(["hi", "quiz", "report", "check x"]), connector.url),
                       a.submit({"action_id": rng.choice(["quiz.answer", "report.submit", "case.verify"]), "value": "a:b:0"}, connector.url),
                       a.installed(connector.url)])
    body = mutate(base, rng) if rng.random() < 0.6 else base
    if isinstance(body, dict):
        body["serviceUrl"] = connector.url  # never let a payload point the bot anywhere but the stand-in
        for key in ("from", "conversation", "recipient"):
            if isinstance(body.get(key), dict) and isinstance(body[key].get("id"), str):
                body[key]["id"] = body[key]["id"].replace("/", "_")[:40] or "x"
    return json.dumps(body).encode(), {"Content-Type": rng.choice(["application/json", "application/json", "text/plain"])}


async def test_fuzz_every_route(tmp_path, slack_api, connector):
    rng = random.Random(20261125)
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-fuzz", slack_signing_secret=p.SECRET,
                        slack_api_url=slack_api.api_url, quiz_rounds=False, report_notify_delay=0, web_reviewers=("f1",), teams_emulator=True)
    statuses: dict[int, int] = {}
    failures: list[tuple] = []
    async with TestClient(TestServer(create_app(settings))) as client:
        rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        async def one(i: int) -> None:
            method, path = rng.choice(ROUTES)
            if path == "/api/local/messages" or path == "/api/local/actions":
                data, headers = local_body(rng)
            elif path == "/slack/events":
                data, headers = slack_body(rng, slack_api)
            elif path == "/api/messages":
                data, headers = teams_body(rng, connector)
            else:
                data, headers = None, {}
            if rng.random() < 0.08:
                data, headers = rng.choice(JUNK).encode("utf-8", "surrogatepass"), {"Content-Type": rng.choice(["application/json",
                                                                                                             "application/x-www-form-urlencoded"])}
            if rng.random() < 0.01:
                data = b"x" * 70_000
            resp = await client.request(method, path, data=data, headers=headers)
            await resp.read()
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            if resp.status >= 500:
                failures.append((method, path, resp.status, (data or b"")[:300]))

        sem = asyncio.Semaphore(16)

        async def bounded(i: int) -> None:
            async with sem:
                await one(i)

        await asyncio.wait_for(asyncio.gather(*(bounded(i) for i in range(REQUESTS))), timeout=240)
        assert (await client.get("/healthz")).status == 200
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_start) / 1024
    assert sum(statuses.values()) == REQUESTS
    assert failures == [], (statuses, failures[:5])
    assert grown_mb < 150, f"peak memory grew {grown_mb:.0f} MB during the run"
