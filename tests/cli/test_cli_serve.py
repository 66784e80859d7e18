"""``tanggap serve`` for real: one command brings up a Prefect server and the scheduled flows,
says where everything is, and SIGTERM leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def read_until(process: subprocess.Popen[str], pattern: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        if re.search(pattern, seen):
            return seen
    raise AssertionError(f"no {pattern!r} within {timeout} s; output so far:\n{seen}")


def gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_serve_runs_flows_on_a_prefect_server_of_its_own_and_stops_everything(
    tmp_path: Path,
) -> None:
    env = os.environ | {
        "TANGGAP_HOME": str(tmp_path / "home"),
        "TANGGAP_DATABASE_URL": f"sqlite:///{tmp_path / 'tanggap.db'}",
        "TANGGAP_MAIL_DIR": str(tmp_path / "outbox"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    env.pop("TANGGAP_SENDGRID_API_KEY", None)
    env.pop("PREFECT_API_URL", None)
    # serve creates no database: without one it says what to run and starts nothing.
    refused = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--prefect-port", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "run `tanggap db upgrade`" in refused.stderr
    assert not (tmp_path / "tanggap.db").exists() and refused.stderr.count("\n") == 1
    subprocess.run(
        [sys.executable, "-m", "cli.main", "db", "upgrade"],
        cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    serve = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--prefect-port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = read_until(serve, r"pids: .*\n", timeout=120)
        assert f".eml files in {tmp_path / 'outbox'} (no TANGGAP_SENDGRID_API_KEY set" in output
        prefect = re.search(r"Prefect server and UI: (http://127\.0\.0\.1:\d+)/", output)
        assert prefect is not None
        logs = tmp_path / "home" / "logs"
        assert f"log: {logs / 'flows.log'}" in output
        pids = [int(pid) for pid in re.findall(r"=(\d+)", output.split("pids:")[1])]
        assert len(pids) >= 2

        http = re.search(r"HTTP app: (http://127\.0\.0\.1:\d+)/", output)
        assert http is not None, output
        names: list[str] = []
        webhook_status = 0
        flows_log = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            request = urllib.request.Request(
                f"{prefect.group(1)}/api/deployments/filter", data=b"{}", method="POST",
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            with NO_PROXY.open(request, timeout=10) as response:
                names = sorted(d["name"] for d in json.load(response))
            flows_log = (logs / "flows.log").read_text(errors="replace")
            try:  # the HTTP app, with the SendGrid webhook (no key set: events refused)
                NO_PROXY.open(
                    urllib.request.Request(f"{http.group(1)}/webhooks/sendgrid/events",
                                           data=b"[]", method="POST"), timeout=5
                )  # fmt: skip
            except urllib.error.HTTPError as exc:
                webhook_status = exc.code
            except OSError:
                pass  # not listening yet
            ran = "swept 0 tickets" in flows_log and "nothing to deliver" in flows_log
            if ran and webhook_status:
                break
            time.sleep(1)
        assert names == [
            "calendar-check", "close-resolved", "daily-digest", "deliver-notifications",
            "sla-sweep",
        ]  # fmt: skip
        assert "swept 0 tickets" in flows_log and "nothing to deliver" in flows_log
        assert webhook_status == 403
    finally:
        serve.send_signal(signal.SIGTERM)
        rest, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, rest
    assert "stopped: api, flows, prefect-server" in rest
    assert all(gone(pid) for pid in pids)
