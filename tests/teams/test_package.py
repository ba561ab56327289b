"""The Teams app package: manifest with the app id, color and outline icons of the right sizes."""

import json
import struct
import zipfile

from adapters.cli import main

APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_package_zip(tmp_path, capsys):
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--app-id", APP_ID, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
        assert png_size(z.read("color.png")) == (192, 192) and png_size(z.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["manifestVersion"] == "1.17" and "v1.17" in manifest["$schema"]
    assert "{{" not in json.dumps(manifest)


def test_bad_app_id_is_refused(tmp_path, capsys):
    assert main(["teams", "package", "--app-id", "not-a-guid", "--out", str(tmp_path / "x.zip")]) == 2
    assert "is not a GUID" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
