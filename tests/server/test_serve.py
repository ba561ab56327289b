"""`smpolicy serve` as a process: healthy fast, prints the URL, stops cleanly on SIGTERM and Ctrl-C."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path, *extra_env, port=None):
    port = port or free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMPOLICY_")}
    env = {**clean, "SMPOLICY_DATA_DIR": str(tmp_path / "data"), **dict(extra_env)}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(url: str, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=0.5) as resp:
                if resp.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"not healthy within {limit} s")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_starts_healthy_and_stops_cleanly(tmp_path, sig):
    proc, url = start(tmp_path)
    try:
        took = wait_healthy(url, 10)
        body = json.dumps({"user_id": "u", "text": "Can I follow industry experts on Twitter?"}).encode()
        req = urllib.request.Request(url + "/api/local/messages", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.load(resp)["replies"][0]["text"].startswith("Allowed.")
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert f"open {url}/ to chat" in out
    logs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(rec.get("route") == "/api/local/messages" and rec["status"] == 200 and "duration_ms" in rec for rec in logs)
    assert all("Twitter" not in json.dumps(rec) for rec in logs)
    db = tmp_path / "data" / "smpolicy.db"
    assert db.exists()
    wal = db.with_name("smpolicy.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "WAL not checkpointed: database not closed cleanly"
    assert took < 5  # the 2 s target is benchmarked in bench/; this bound only catches hangs


def test_invalid_setting_stops_with_one_line(tmp_path):
    proc, _ = start(tmp_path, ("SMPOLICY_LOG_LEVEL", "chatty"))
    out, err = proc.communicate(timeout=15)
    assert proc.returncode != 0
    assert err.strip().splitlines() == ["smpolicy: SMPOLICY_LOG_LEVEL: 'CHATTY' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"]


def test_broken_pack_stops_with_file_and_line(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("pack.toml", "policy.md", "answers.toml", "quiz.toml"):
        (pack / name).write_text((ROOT / "content" / name).read_text())
    (pack / "answers.toml").write_text((pack / "answers.toml").read_text().replace('verdict = "info"', 'verdict = "maybe"', 1))
    proc, _ = start(tmp_path, ("SMPOLICY_CONTENT_DIR", str(pack)))
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 1
    assert "answers.toml:" in err and "verdict must be one of" in err and "Traceback" not in err


def test_debug_logging_keeps_library_bodies_out(tmp_path, capsys):
    import logging

    from adapters import logs

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("DEBUG")
    try:
        assert logging.getLogger("smpolicy").getEffectiveLevel() == logging.DEBUG
        for name in ("slack_sdk", "slack_bolt", "smpolicy.slack.bolt", "botbuilder", "msrest", "aiohttp"):
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
        logging.getLogger("slack_sdk.web").debug("Sending a request: json_body={'text': 'secret report words'}")
        assert "secret report words" not in capsys.readouterr().out
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
