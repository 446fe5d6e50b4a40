"""The whole platform on one machine: moto server, resources from infra/, the Chalice API and the dispatcher.

Used by `make run` (local/run.py) and by the test suite, so both exercise the same processes.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from infra.provision import provision

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class LocalStack:
    def __init__(
        self,
        *,
        moto_port: int | None = None,
        api_port: int | None = None,
        web_port: int | None = None,
        stage: str = "local",
        log_dir: Path | None = None,
        region: str = "us-east-1",
        credentials: tuple[str, str] = ("local", "local"),
    ) -> None:
        """region and credentials are what an operator changes to point the same code at another cloud."""
        self.region = region
        self.credentials = credentials
        self.moto_port = moto_port or free_port()
        self.api_port = api_port or free_port()
        self.web_port = web_port or free_port()
        self.stage = stage
        self.log_dir = log_dir or REPO_ROOT / ".local" / "logs"
        self.endpoint_url = f"http://127.0.0.1:{self.moto_port}"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"  # the web app, with the API under /api (same origin)
        self.env: dict[str, str] = {}
        self._processes: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            args,
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes.append(process)
        return process

    def start_endpoint(self, setenv: Callable[[str, str], None] = os.environ.__setitem__) -> None:
        """Start moto server, switch on real Step Functions execution, create every resource.

        This process's environment is pointed at the new endpoint through setenv (tests pass monkeypatch's).
        """
        self.env = {
            "AWS_ACCESS_KEY_ID": self.credentials[0],
            "AWS_SECRET_ACCESS_KEY": self.credentials[1],
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "MOTO_PORT": str(self.moto_port),
            "PROCTOR_JWT_SECRET": os.environ.get("PROCTOR_JWT_SECRET") or secrets.token_urlsafe(48),
            "PYTHONUNBUFFERED": "1",
            # No X-Ray daemon here (Tracer would switch itself off outside Lambda anyway); logs and EMF go to stdout.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        self._spawn("moto", [sys.executable, "-m", "local.moto_server", "-H", "127.0.0.1", "-p", str(self.moto_port)])
        wait_until(lambda: requests.get(f"{self.endpoint_url}/moto-api/", timeout=1).ok, 30, "moto server")
        requests.post(
            f"{self.endpoint_url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5
        ).raise_for_status()
        self._export(setenv)  # provisioning and seeding in this process talk to the same endpoint
        self.env.update(
            provision(
                self.stage,
                region=self.region,
                endpoint_url=self.endpoint_url,
                web_origins=[self.web_url, f"http://localhost:{self.web_port}"],
            )
        )
        self._export(setenv)

    def _export(self, setenv: Callable[[str, str], None]) -> None:
        for name, value in self.env.items():
            setenv(name, value)

    def start_services(self) -> None:
        """Start the Chalice API, the queue dispatcher and the web front, and wait for /health through both."""
        self._spawn(
            "api",
            [
                str(BIN / "chalice"),
                "local",
                "--no-autoreload",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--stage",
                "local",
            ],
        )
        self._spawn("dispatcher", [sys.executable, "-m", "local.dispatcher"])
        self._spawn(
            "web", [sys.executable, "-m", "local.web_server", "--port", str(self.web_port), "--api", self.api_url]
        )
        wait_until(lambda: requests.get(f"{self.api_url}/health", timeout=2).status_code == 200, 60, "the API")
        wait_until(lambda: requests.get(f"{self.web_url}/api/health", timeout=2).status_code == 200, 30, "the web app")

    def check_alive(self) -> None:
        for process in self._processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}; see {self.log_dir}")

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self._processes):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._processes.clear()
