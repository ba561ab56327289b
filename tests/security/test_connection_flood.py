"""1,000 half-open connections (issue 13, finding 8) leave /healthz answering in under a second, even when the
server starts with a low open-file limit, and they are closed after the header timeout."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT
from tests.server.test_serve import free_port, wait_healthy


def low_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


def test_half_open_connections_do_not_starve_healthz(tmp_path):
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--port", str(port)], cwd=ROOT, preexec_fn=low_file_limit,
                            env={**clean, "SMPOLICY_DATA_DIR": str(tmp_path / "data")}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    sockets: list[socket.socket] = []
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (old[1], old[1]))  # this test process holds the other ends
    try:
        wait_healthy(url, 20)
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /api/local/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")  # and then nothing
            sockets.append(s)
        started = time.monotonic()
        with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
            assert resp.status == 200
        assert time.monotonic() - started < 1.0
        # After the header timeout (10 s) the server has closed them: a read sees the end of the stream.
        time.sleep(11.5)
        closed = 0
        for s in sockets[:50]:
            s.settimeout(0.5)
            try:
                closed += s.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                closed += isinstance(s, socket.socket) and False
        assert closed == 50
    finally:
        for s in sockets:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, old)
        proc.terminate()
        proc.wait(timeout=15)
