"""`noriai demo` starts the service and plays the day over HTTP, and stops cleanly."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dispatcher.cli", "demo", "--no-console", "--port", str(port),
         "--data-dir", str(tmp_path / "demo"), *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _wait_health(proc: subprocess.Popen[str], url: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            r = httpx.get(f"{url}/health", timeout=2)
            if r.status_code == 200:
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the demo's API never answered /health")


def test_demo_runs_a_short_day_and_stops_by_itself(tmp_path):
    """With --minutes the demo serves /health, books and drives through the API, then exits 0
    and releases its port."""
    proc, url = _start(tmp_path, "--minutes", "0.3", "--speed", "240")
    health = _wait_health(proc, url)
    assert health["status"] == "ok"
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "driver app" in out and "/driver/" in out and "/rider/" in out
    assert "noriai demo stopped" in out
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(url.rsplit(":", 1)[1]))) != 0
    db = sqlite3.connect(tmp_path / "demo" / "demo.db")
    types = dict(db.execute("select type, count(*) from events group by type").fetchall())
    db.close()
    assert types.get("booked", 0) >= 10, types
    assert types.get("departed", 0) >= 1 and types.get("position", 0) >= 1, types


def test_demo_stops_cleanly_on_ctrl_c(tmp_path):
    """Ctrl-C (SIGINT) ends the demo promptly with exit code 0."""
    proc, url = _start(tmp_path, "--minutes", "5")
    _wait_health(proc, url)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "noriai demo stopped" in out
