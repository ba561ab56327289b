"""Issue 13, finding 1: Teams without an app id was open to the network. Each attack is sent over HTTP as
the attacker would and is refused; the attacker's server never gets a single request, and nothing it names is
stored. The attacker's URL names a host that is not loopback (`attacker.invalid`); this test resolves that name
to a stand-in connector on 127.0.0.1, so that a regression would show as a request to it and no packet ever
leaves the machine."""

import json
import socket
import sqlite3

import pytest

from adapters import cli
from adapters.server import serve
from adapters.teams.inbound import loopback_host, loopback_url
from bot.messages import Reply
from bot.settings import Settings
from tests.fakes import teams_activities as a
from tests.fakes.teams_connector import FakeConnector
from tests.teams.conftest import running
from tests.teams.test_teams_http import forged_jwt

TEAM = "19:made-up-team@thread.tacv2"
ADMIN = {"user": "29:admin", "aad": "aad-admin", "conversation": "a:admin-chat", "name": "Ada Admin"}


ATTACKER_HOST = "attacker.invalid"


class Attacker:
    """The attacker's server as the bot would see it: a non-loopback name, served on loopback here."""

    def __init__(self, fake: FakeConnector):
        self.fake = fake
        self.url = fake.url.replace("127.0.0.1", ATTACKER_HOST)

    @property
    def requests(self) -> list[str]:
        return self.fake.requests


@pytest.fixture
async def attacker(monkeypatch):
    """A server of the attacker's with a 'team roster', whose name resolves (in this process) to 127.0.0.1."""
    fake = await FakeConnector().start()
    fake.members[TEAM] = [{"id": "29:attacker", "aadObjectId": "aad-attacker", "name": "Mallory"}]
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1" if host == ATTACKER_HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield Attacker(fake)
    await fake.close()


def attacks(url: str) -> dict[str, dict]:
    """Every kind of activity the attacker sends, naming their own serviceUrl."""
    return {
        "forged admin 'reviewers here'": a.in_channel(a.message("reviewers here", url, **ADMIN), team=TEAM),
        "forged admin 'owners here'": a.in_channel(a.message("owners here", url, **ADMIN), team=TEAM),
        "owner's Answer press (would fetch the owners' roster)": a.in_channel(
            a.task_fetch({"action_id": "owners.open", "value": "Q-00000000", "msteams": {"type": "task/fetch"}}, url, **ADMIN), team=TEAM),
        "question (a reply would be a request to the URL)": a.message("Can I post on LinkedIn?", url),
        "install (conversationUpdate, would store the URL)": a.installed(url),
        "install in the made-up team": a.in_channel(a.installed(url), team=TEAM),
        "reviewer action (would fetch the roster)": a.submit({"action_id": "case.open", "value": "R-AAAAAA"}, url),
        "dialog fetch": a.task_fetch({"action_id": "report.open", "value": "", "msteams": {"type": "task/fetch"}}, url),
        "dialog submit": a.task_submit({"action_id": "case.open", "value": "R-AAAAAA"}, url),
    }


def stored(tmp_path) -> dict:
    db = sqlite3.connect(tmp_path / "smpolicy.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out = {"references": db.execute("SELECT count(*) FROM teams_references").fetchone()[0]}
    out["reviewers"] = db.execute("SELECT count(*) FROM reviewers").fetchone()[0] if "reviewers" in tables else 0
    return out


async def test_without_app_id_or_emulator_teams_is_not_mounted(tmp_path, attacker):
    async with running(tmp_path, teams_emulator=False, teams_admins=(ADMIN["aad"],)) as client:
        assert client.teams is None
        for name, activity in attacks(attacker.url).items():
            resp = await client.post("/api/messages", json=activity)
            assert resp.status == 404, name
    assert attacker.requests == []


async def test_emulator_refuses_a_non_loopback_service_url(tmp_path, attacker, connector):
    async with running(tmp_path, teams_admins=(ADMIN["aad"],)) as client:
        for name, activity in attacks(attacker.url).items():
            resp = await client.post("/api/messages", json=activity)
            assert resp.status == 403, name
        assert await client.teams.reviewers.destination("teams") is None  # no reviewers' channel chosen
        assert await client.teams.reviewers.destination("teams-owners") is None  # nor an owners' channel
        assert not client.teams.bot.owners.is_owner("teams:" + a.TENANT + ":aad-attacker")
        assert not await client.teams.reviewers.is_reviewer("teams:" + a.TENANT + ":aad-attacker")
        # Serving goes on for this machine.
        await client.post("/api/messages", json=a.message("help", connector.url))
        await connector.wait_for(1)
    assert attacker.requests == []
    assert stored(tmp_path) == {"references": 0, "reviewers": 0}


@pytest.mark.parametrize("url", ["http://192.0.2.7:3978/", "https://evil.example/", "http://localhost.evil.example/",
                                 "http://127.0.0.1@evil.example/", "http://0x7f000001/", "file:///etc/passwd", "", None, 7])
async def test_emulator_refuses_every_service_url_that_is_not_plainly_loopback(tmp_path, url):
    async with running(tmp_path) as client:
        activity = a.message("hi", "http://127.0.0.1:1/")
        activity["serviceUrl"] = url
        resp = await client.post("/api/messages", json=activity)
        assert resp.status in (400, 403), url  # 400: not a string at all
    assert stored(tmp_path)["references"] == 0


async def test_with_an_app_id_forged_admin_and_install_without_token_get_401(tmp_path, attacker):
    async with running(tmp_path, teams_emulator=False, teams_app_id="app-id", teams_app_password="secret",
                       teams_admins=(ADMIN["aad"],)) as client:
        for name, activity in attacks(attacker.url).items():
            for headers in ({}, {"Authorization": f"Bearer {forged_jwt()}"}):
                resp = await client.post("/api/messages", json=activity, headers=headers)
                assert resp.status == 401, (name, headers)
        assert await client.teams.reviewers.destination("teams") is None
        assert await client.teams.reviewers.destination("teams-owners") is None
    assert attacker.requests == []
    assert stored(tmp_path) == {"references": 0, "reviewers": 0}


async def test_with_authentication_only_teams_activities_are_accepted(tmp_path, attacker):
    # Web Chat and Direct Line reach the same bot with a valid token, and their clients choose `from` and the
    # tenant fields freely: an owner's or a reviewer's identity could be claimed. Refused before the token is read.
    async with running(tmp_path, teams_emulator=False, teams_app_id="app-id", teams_app_password="secret",
                       teams_admins=(ADMIN["aad"],)) as client:
        for name, activity in attacks(attacker.url).items():
            for channel in ("directline", "webchat", "emulator"):
                resp = await client.post("/api/messages", json={**activity, "channelId": channel},
                                         headers={"Authorization": f"Bearer {forged_jwt()}"})
                assert resp.status == 403 and "Microsoft Teams" in (await resp.json())["error"], (name, channel)
    assert attacker.requests == []


async def test_references_stored_before_the_fix_are_not_sent_to(tmp_path, attacker):
    # A database from before this fix may hold an attacker's serviceUrl (a reference, the reviewers' channel):
    # emulator mode sends nothing there, neither quiz prompts nor review notices.
    async with running(tmp_path) as client:
        teams = client.teams
        reference = {"serviceUrl": attacker.url, "channelId": "msteams", "conversation": {"id": "a:evil", "tenantId": a.TENANT},
                     "bot": {"id": a.BOT}, "user": {"id": "29:x"}}
        await teams.references.save("teams:t:evil", a.TENANT, json.dumps(reference))
        await teams.reviewers.set_destination("teams", json.dumps({"team_id": TEAM, "tenant_id": a.TENANT, "reference": reference}))
        await teams.reviewers.set_destination("teams-owners", json.dumps({"team_id": TEAM, "tenant_id": a.TENANT, "reference": reference}))
        assert not await teams.send_proactive("teams:t:evil", [Reply("This week's quiz")])
        assert not await teams.review_ready()
        with pytest.raises(LookupError):
            await teams.notify_reviewers(Reply("New report R-AAAAAA"))
        # Nor owners' notices, nor an owner's answer to a named asker (they count as out of reach).
        with pytest.raises(LookupError):
            await teams.owners.announce(Reply("A question for the policy owners (Q-00000000), asked by name."))
        assert not await teams.owners.reachable("teams:t:evil")
    assert attacker.requests == []


def test_serve_refuses_emulator_mode_on_a_non_loopback_host(tmp_path, capsys, monkeypatch):
    from aiohttp import web

    def never(*args, **kwargs):
        raise AssertionError("the server must not start")

    monkeypatch.setattr(web, "run_app", never)
    for host in ("0.0.0.0", "::", "192.0.2.2", "smpolicy.example.com"):
        assert serve(Settings(data_dir=tmp_path, db_path=tmp_path / "x.db", teams_emulator=True), host, 0) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "SMPOLICY_TEAMS_EMULATOR" in err and "Traceback" not in err
    # The same through the command line, as `smpolicy serve --host 0.0.0.0` with the variable set.
    monkeypatch.setenv("SMPOLICY_TEAMS_EMULATOR", "on")
    monkeypatch.setenv("SMPOLICY_DATA_DIR", str(tmp_path))
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1", "[::1]"])
def test_loopback_hosts(host):
    assert loopback_host(host) and loopback_url(f"http://{host if ':' not in host or host.startswith('[') else f'[{host}]'}:3978/")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.2", "10.0.0.1", "localhost.example.com", "127.1", "0x7f000001",
                                  "::ffff:127.0.0.1", ""])
def test_not_loopback_hosts(host):
    assert not loopback_host(host)
