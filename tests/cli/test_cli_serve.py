"""``tanggap serve`` for real: one command brings up a Prefect server and the scheduled flows,
says where everything is, and SIGTERM leaves no process behind."""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import typer

from cli import serve

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

ROOT = Path(__file__).resolve().parents[2]
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
        # No catalogue in this database, no session secret: serve says so, with the fix.
        assert (
            "warning: no catalogue is loaded, so every report will be refused: "
            "tanggap config load catalogue/jakarta.yaml\n"
        ) in output
        assert (
            "staff sign-ins: they end when serve stops (set TANGGAP_SESSION_SECRET to 32+ "
            "random characters to keep them across restarts)\n"
        ) in output
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


def serve_env(tmp_path: Path) -> dict[str, str]:
    env = os.environ | {
        "TANGGAP_HOME": str(tmp_path / "home"),
        "TANGGAP_DATABASE_URL": f"sqlite:///{tmp_path / 'tanggap.db'}",
        "TANGGAP_MAIL_DIR": str(tmp_path / "outbox"),
        "TANGGAP_MEDIA_DIR": str(tmp_path / "media"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for name in ("TANGGAP_SENDGRID_API_KEY", "TANGGAP_PUBLIC_BASE_URL", "PREFECT_API_URL"):
        env.pop(name, None)
    return env


def tanggap(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def start_serve(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    serve = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--prefect-port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        return serve, read_until(serve, r"pids: .*\n", timeout=120)
    except BaseException:
        serve.kill()
        serve.communicate(timeout=60)
        raise


def group_pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"=(\d+)", output.split("pids:")[1])]


def wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return True
        time.sleep(0.5)
    return False


def call(url: str, body: dict[str, object] | None = None, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    with NO_PROXY.open(request, timeout=30) as response:
        return response.status, json.load(response) | {"_etag": response.headers.get("ETag")}


def test_serve_busy_prefect_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A busy --prefect-port is refused like a busy --port, never swapped for a random one."""
    env = serve_env(tmp_path)
    assert tanggap(tmp_path, env, "db", "upgrade").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = taken.getsockname()[1]
        done = tanggap(tmp_path, env, "serve", "--port", "0", "--prefect-port", str(busy_port))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        f"error: 127.0.0.1:{busy_port} (Prefect server) is already in use (another tanggap "
        "serve?); stop it or pass --prefect-port\n"
    )
    assert "starting the Prefect server" not in done.stdout
    assert not (tmp_path / "home" / "prefect" / "prefect.db").exists()


@pytest.mark.parametrize(
    ("host", "why"),
    [
        (
            "999.1.1.1",
            "python -m cli.main serve: Invalid value for '--host': not an IP address or host name",
        ),
        ("10.255.255.1", "--host 10.255.255.1: not an address of this machine"),  # not ours
    ],
)
def test_serve_host_it_cannot_listen_on_is_one_line_naming_host_and_exit_2(
    tmp_path: Path, host: str, why: str
) -> None:
    """Not a traceback (socket.gaierror), nor "already in use", which sent the operator
    looking for another serve: one line saying what is wrong with --host, before any start."""
    env = serve_env(tmp_path)
    done = tanggap(tmp_path, env, "serve", "--host", host, "--port", "8742", "--prefect-port", "0")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == f"error: {why}\n"
    assert done.stdout == ""
    assert not (tmp_path / "home").exists()


def test_serve_host_that_does_not_resolve_is_one_line_naming_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unknown(*_args: object, **_kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(serve.socket, "getaddrinfo", unknown)  # no DNS from a test
    with pytest.raises(typer.Exit) as leaving:
        serve.check_host("kantor.example")
    assert leaving.value.exit_code == 2
    assert capsys.readouterr().err == (
        "error: --host kantor.example: not a host name or address this machine can resolve\n"
    )


def test_serve_busy_http_port_on_a_real_host_is_still_in_use(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    assert tanggap(tmp_path, env, "db", "upgrade").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = taken.getsockname()[1]
        done = tanggap(tmp_path, env, "serve", "--port", str(busy_port), "--prefect-port", "0")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        f"error: 127.0.0.1:{busy_port} (HTTP app) is already in use (another tanggap "
        "serve?); stop it or pass --port\n"
    )


def test_serve_same_port_for_app_and_prefect_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    env = serve_env(tmp_path)
    assert tanggap(tmp_path, env, "db", "upgrade").returncode == 0
    done = tanggap(tmp_path, env, "serve", "--port", "8330", "--prefect-port", "8330")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        "error: --port and --prefect-port are both 8330: the HTTP app and the Prefect server "
        "each need their own port\n"
    )
    assert done.stdout == ""
    assert not (tmp_path / "home").exists()


def test_serve_refused_for_its_database_or_settings_leaves_no_data_directory(
    tmp_path: Path,
) -> None:
    """Found by a tester: a serve that stopped at "no database" had made TANGGAP_HOME with its
    logs/ and prefect/ folders, leaving an operator with a directory they never asked for."""
    env = serve_env(tmp_path)
    done = tanggap(tmp_path, env, "serve", "--port", "0", "--prefect-port", "0")
    assert done.returncode == 2 and "run `tanggap db upgrade`" in done.stderr
    assert not (tmp_path / "home").exists()
    assert tanggap(tmp_path, env, "db", "upgrade").returncode == 0
    wrong = env | {"TANGGAP_DELIVERY_BACKOFF_SECONDS": "soon"}
    done = tanggap(tmp_path, wrong, "serve", "--port", "0", "--prefect-port", "0")
    assert done.returncode == 2 and done.stderr.startswith("error: ")
    assert not (tmp_path / "home").exists()


def test_serve_home_that_cannot_be_created_names_tanggap_home(tmp_path: Path) -> None:
    env = serve_env(tmp_path) | {"TANGGAP_HOME": "/proc/x"}
    assert tanggap(tmp_path, env, "db", "upgrade").returncode == 0
    done = tanggap(tmp_path, env, "serve", "--port", "0", "--prefect-port", "0")
    assert done.returncode == 2
    assert done.stderr == (
        "error: TANGGAP_HOME: cannot create the data directory /proc/x (no such file or "
        "directory); set TANGGAP_HOME to a directory you may write to\n"
    )
    assert done.stdout == ""


def test_serve_mail_links_use_its_port_a_second_serve_is_refused_and_sighup_stops_all(
    tmp_path: Path,
) -> None:
    # Each change's status mail on its own (not held to be joined): one from the HTTP app and
    # one from the command line, so the links each queued can be read apart.
    env = serve_env(tmp_path) | {"TANGGAP_CITIZEN_MAIL_HOLD_MINUTES": "0"}
    for args in (("db", "upgrade"), ("config", "load", str(ROOT / "catalogue" / "jakarta.yaml"))):
        assert tanggap(tmp_path, env, *args).returncode == 0
    made = tanggap(tmp_path, env, "keys", "create", "--role", "staff", "--agency", "DISHUB",
                   "--name", "Dishub desk")  # fmt: skip
    key = made.stdout.strip().splitlines()[-1]
    officer = "budi@dishub.example"
    added = tanggap(tmp_path, env, "staff", "add", officer, "--name", "Budi", "--agency", "DISHUB")
    assert added.returncode == 0, added.stderr
    serve, output = start_serve(tmp_path, env)
    pids = group_pids(output)
    try:
        http = re.search(r"HTTP app: (http://127\.0\.0\.1:\d+)/", output)
        assert http is not None, output
        base = http.group(1)
        # "Tanggap is running" is printed once the app answers: no waiting for uvicorn here.
        status, report = call(f"{base}/api/v1/reports", {
            "category": "traffic_jam", "description": "Macet total", "lat": -6.1754,
            "lon": 106.8272, "email": "siti@example.id", "language": "en",
        })  # fmt: skip
        assert status == 201
        assert f"links in mail: {base} (set TANGGAP_PUBLIC_BASE_URL to change)" in output

        # The same data directory, other ports: refused before anything starts.
        second = tanggap(tmp_path, env, "serve", "--port", "0", "--prefect-port", "0")
        assert second.returncode == 2
        assert second.stderr == (
            f"error: another tanggap serve (pid {serve.pid}) is running on the data directory "
            f"{tmp_path / 'home'}; stop it first, or set TANGGAP_HOME to another directory\n"
        )

        assert "warning: no catalogue" not in output
        code = report["code"]
        auth = {"Authorization": f"Bearer {key}"}
        _, ticket = call(f"{base}/api/v1/tickets/{code}", **auth)
        status, _ = call(f"{base}/api/v1/tickets/{code}/transitions", {"trigger": "verify"},
                         If_Match=ticket["_etag"], **auth)  # fmt: skip
        assert status == 200
        # A command run beside serve (same TANGGAP_HOME, no TANGGAP_PUBLIC_BASE_URL) queues
        # mail linking where serve listens, not to the default port.
        assigned = tanggap(tmp_path, env, "ticket", "act", code, "assign", "--as", officer,
                           "--officer", officer)  # fmt: skip
        assert assigned.returncode == 0, assigned.stderr
        assert "note:" not in assigned.stderr
        assert tanggap(tmp_path, env, "deliver", "--once").returncode == 0
        mails = [p.read_text() for p in (tmp_path / "outbox").glob("*.eml")]
        followed = [m for m in mails if "Follow it here:" in m]
        assert len(followed) >= 2, mails  # verified (by the HTTP app), assigned (by the CLI)
        assert ":8000" not in "".join(mails)
        assert all(f"Follow it here: {base}/t/{code}" in m for m in followed)
    finally:
        serve.send_signal(signal.SIGHUP)
        rest, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, rest
    assert "stopped: api, flows, prefect-server" in rest
    assert wait_gone(pids, 5)


def test_serve_killed_outright_leaves_no_part_running(tmp_path: Path) -> None:
    """SIGKILL gives serve no chance to stop its parts: they notice and stop themselves."""
    env = serve_env(tmp_path)
    assert tanggap(tmp_path, env, "db", "upgrade").returncode == 0
    serve, output = start_serve(tmp_path, env)
    pids = group_pids(output)
    http = re.search(r"HTTP app: http://127\.0\.0\.1:(\d+)/", output)
    assert http is not None and len(pids) == 3
    serve.kill()
    serve.communicate(timeout=30)
    assert wait_gone(pids, 30), "a part of serve outlived it"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(http.group(1)))) != 0  # nobody answers
    with (tmp_path / "home" / "serve.lock").open("a") as lock:  # the data directory is free
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
