"""`smpolicy insights` and `smpolicy content suggestions` read what the owners' loop stored."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tomllib

from adapters.cli import main
from bot.storage import Storage
from bot.storage.insights import AnswerEvent, Suggestion


def seed(path):
    async def run():
        storage = Storage.open(path)
        await storage.start()
        await storage.insights.record([AnswerEvent("e1", "2026-11-02", "web", "allowed", "policy", "t", "intellectual-property", "high"),
                                       AnswerEvent("e2", "2026-11-03", "slack", "unknown", "out_of_scope", "", "", "low",
                                                   "=cmd what about [link]?", "company-network"),
                                       AnswerEvent("e3", "2026-10-01", "web", "allowed", "policy", "t", "", "high")])
        await storage.insights.add_suggestion(Suggestion("S-1", "2026-11-04", "Can I stream \"live\" from the office?",
                                                         "conditional", "Only with approval.\nAsk IT.", "intellectual-property",
                                                         "owner question", "new"))
        await storage.close()

    asyncio.run(run())


def test_insights_json_csv_and_text(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMPOLICY_DB", str(tmp_path / "s.db"))
    seed(tmp_path / "s.db")
    assert main(["insights", "--since", "2026-11-01", "--json"]) == 0
    tables = json.loads(capsys.readouterr().out)
    assert tables["summary"]["rows"] == [["2026-11-01", 2, "50%", "n/a", 0]]
    assert tables["weeks"]["rows"] == [["2026-11-02", 1, 0, 0, 0, 1, 2]]  # one ISO week; October is before --since
    assert tables["gaps"]["rows"][0][3] == 1
    assert all(r[2] in ("fewer than 5",) for r in tables["cases_by_status"]["rows"])
    assert main(["insights", "--since", "2026-11-01", "--csv"]) == 0
    out = capsys.readouterr().out
    assert "# Questions per week by verdict" in out and "'=cmd what about [link]?" in out
    assert list(csv.reader(io.StringIO(out.split("# Answers\r\n")[1])))[0][0] == "since"
    assert main(["insights"]) == 0 and "Guidelines asked about" in capsys.readouterr().out
    assert main(["insights", "--since", "yesterday"]) == 1
    assert "--since" in capsys.readouterr().err


def test_content_suggestions_print_toml_that_parses(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMPOLICY_DB", str(tmp_path / "s.db"))
    seed(tmp_path / "s.db")
    assert main(["content", "suggestions"]) == 0
    [topic] = tomllib.loads(capsys.readouterr().out)["topic"]
    assert topic["verdict"] == "conditional" and topic["section"] == "intellectual-property"
    assert topic["answer"] == "Only with approval.\nAsk IT." and topic["examples"] == ["Can I stream \"live\" from the office?"]
