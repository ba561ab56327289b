"""The Teams app package: a manifest valid against the official 1.22 schema, with the options filled in."""

import json
import struct
import zipfile
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest

from adapters.cli import main

APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "teams-manifest-1.22.json").read_text())


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def package(tmp_path, *options: str) -> dict:
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--app-id", APP_ID, "--out", str(out), *options]) == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert png_size(z.read("color.png")) == (192, 192) and png_size(z.read("outline.png")) == (32, 32)
        return json.loads(z.read("manifest.json"))


def test_default_package_is_valid_on_the_1_22_schema(tmp_path, capsys):
    manifest = package(tmp_path)
    jsonschema.Draft4Validator(SCHEMA).validate(manifest)
    assert manifest["manifestVersion"] == "1.22" and "v1.22" in manifest["$schema"]
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["version"] == metadata.version("smpolicy-bot")
    assert manifest["name"]["short"] == "Social Media Guidelines"
    assert "{{" not in json.dumps(manifest)


def test_every_scope_the_bot_is_installed_in_has_its_command_list(tmp_path, capsys):
    bot = package(tmp_path)["bots"][0]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    listed = sorted(scope for commands in bot["commandLists"] for scope in commands["scopes"])
    assert listed == sorted(bot["scopes"])
    for commands in bot["commandLists"]:
        titles = [c["title"] for c in commands["commands"]]
        assert {"help", "check", "report"} <= set(titles) and len(titles) == len(set(titles))
    personal = next(c for c in bot["commandLists"] if c["scopes"] == ["personal"])
    assert {"quiz", "case", "my question"} <= {c["title"] for c in personal["commands"]}
    team = next(c for c in bot["commandLists"] if c["scopes"] == ["team"])
    assert {"reviewers here", "owners here"} <= {c["title"] for c in team["commands"]}


def test_developer_urls_and_names_come_from_the_options(tmp_path, capsys):
    manifest = package(tmp_path, "--developer-name", "Example \"Corp\" IT", "--website-url", "https://intranet.example.com/social",
                       "--privacy-url", "https://intranet.example.com/privacy", "--terms-url", "https://intranet.example.com/terms",
                       "--short-name", "Posting Guidelines", "--full-name", "Example Corp posting guidelines")
    jsonschema.Draft4Validator(SCHEMA).validate(manifest)
    assert manifest["developer"] == {"name": "Example \"Corp\" IT", "websiteUrl": "https://intranet.example.com/social",
                                     "privacyUrl": "https://intranet.example.com/privacy", "termsOfUseUrl": "https://intranet.example.com/terms"}
    assert manifest["name"] == {"short": "Posting Guidelines", "full": "Example Corp posting guidelines"}


@pytest.mark.parametrize(("options", "message"), [
    (["--app-id", "not-a-guid"], "is not a GUID"),
    (["--app-id", APP_ID, "--privacy-url", "http://intranet.example.com/privacy"], "--privacy-url: 'http://intranet.example.com/privacy' is not an https:// URL"),
    (["--app-id", APP_ID, "--short-name", "A name far too long for the Teams app bar"], "--short-name:"),
    (["--app-id", APP_ID, "--developer-name", ""], "--developer-name:"),
])
def test_bad_options_are_refused_and_nothing_is_written(tmp_path, capsys, options, message):
    assert main(["teams", "package", *options, "--out", str(tmp_path / "x.zip")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "x.zip").exists()


def test_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["teams", "package", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: Social Media Guidelines)" in out and "examples:" in out
