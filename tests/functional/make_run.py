"""`make run` (python -m local.run) as a child process with its own ports, state and logs, for the tests of the
local stack's own behaviour: persistence across restarts, supervision, stopping."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from local.stack import free_port
from tests.paths import REPO_ROOT

READY_LINE = "Press Ctrl-C to stop."


def descendants(pid: int) -> set[int]:
    """Every live process under pid (the stack's services run in their own sessions but stay its children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class MakeRun:
    def __init__(self, state_dir: Path, log_dir: Path, password: str, extra_env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.log_dir = log_dir
        self.ports = {name: free_port() for name in ("endpoint", "api", "web")}
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_"))}
        self.env = {
            **inherited,
            "PROCTOR_STATE_DIR": str(state_dir),
            "PROCTOR_LOG_DIR": str(log_dir),
            "PROCTOR_ENDPOINT_PORT": str(self.ports["endpoint"]),
            "PROCTOR_API_PORT": str(self.ports["api"]),
            "PROCTOR_WEB_PORT": str(self.ports["web"]),
            "PROCTOR_DEMO_PASSWORD": password,
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.runs = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def stdout(self) -> Path:
        return self.log_dir / f"run-{self.runs}.out"

    @property
    def stderr(self) -> Path:
        return self.log_dir / f"run-{self.runs}.err"

    def start(self, *args: str, timeout_s: float = 180) -> None:
        self.runs += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "local.run", *args],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout_s
        while READY_LINE not in self.stdout.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"make run did not come up:\n{self.stdout.read_text()}\n{self.stderr.read_text()}")
            time.sleep(0.2)

    def service_pid(self, name: str) -> int | None:
        """The pid of a service started by the stack: endpoint (ministack), api (chalice), dispatcher, web."""
        marks = {"endpoint": "ministack", "api": "chalice", "dispatcher": "local.dispatcher", "web": "local.web_server"}
        assert self.process is not None
        for pid in descendants(self.process.pid):
            if marks[name] in command_line(pid):
                return pid
        return None

    def interrupt(self, times: int = 1, between_s: float = 0.3, timeout_s: float = 60) -> int:
        """Ctrl-C as a terminal sends it (SIGINT), `times` times; returns the exit code."""
        assert self.process is not None
        for i in range(times):
            if i:
                time.sleep(between_s)
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout_s)

    def kill(self) -> None:
        """Last resort for a failed test: nothing it started may outlive it."""
        if self.process is None:
            return
        for pid in descendants(self.process.pid) | {self.process.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
