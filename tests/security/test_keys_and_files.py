"""Keys and files (issue 13, findings 6 and 10): no silent new key over old reports, no malformed key list,
database, WAL, SHM and key readable by the owner only, a private data folder; emulator mode only on loopback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from tests.conftest import ROOT
from tests.server.conftest import settings_for
from tests.server.test_serve import free_port


def serve(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))}
    return subprocess.run([sys.executable, "-m", "adapters.cli", "serve", "--port", str(free_port()), *args], cwd=ROOT,
                          env={**clean, "SMPOLICY_DATA_DIR": str(tmp_path / "data"), **env}, capture_output=True, text=True, timeout=60)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def file_a_report(client) -> None:
    opened = await client.post("/api/local/actions", json={"user_id": "r", "action_id": "report.open"})
    token = (await opened.json())["replies"][0]["card"]["submit"]["value"]
    resp = await client.post("/api/local/actions", json={"user_id": "r", "action_id": "report.submit", "value": token,
                                                         "form": {"what": "a leak"}})
    assert "R-" in (await resp.json())["replies"][0]["text"]


async def test_files_are_private(tmp_path):
    data = tmp_path / "data"
    async with TestClient(TestServer(create_app(settings_for(data)))) as client:
        await file_a_report(client)
        for name in ("smpolicy.db", "smpolicy.db-wal", "smpolicy.db-shm", "report.key"):
            assert mode(data / name) == 0o600, name
    assert mode(data) == 0o700


def test_a_malformed_key_list_is_refused_at_start(tmp_path):
    for value in (",,,", "not-base64!", "QUJD"):
        done = serve(tmp_path, SMPOLICY_REPORT_KEY=value)
        assert done.returncode == 1 and "SMPOLICY_REPORT_KEY" in done.stderr and "Traceback" not in done.stderr, value
        assert len(done.stderr.strip().splitlines()) == 1


async def test_no_new_key_over_existing_reports(tmp_path):
    data = tmp_path / "data"
    async with TestClient(TestServer(create_app(settings_for(data)))) as client:
        await file_a_report(client)
    (data / "report.key").unlink()
    done = serve(tmp_path)
    assert done.returncode == 1 and "SMPOLICY_REPORT_KEY" in done.stderr and "report.key" in done.stderr
    assert "Traceback" not in done.stderr and not (data / "report.key").exists()


def test_emulator_mode_refuses_a_public_host(tmp_path):
    done = serve(tmp_path, "--host", "0.0.0.0", SMPOLICY_TEAMS_EMULATOR="on")
    assert done.returncode == 2 and "SMPOLICY_TEAMS_EMULATOR" in done.stderr and len(done.stderr.strip().splitlines()) == 1
