"""The whole platform on one machine: the AWS endpoint, resources from infra/, the Chalice API and the dispatcher.

Used by `make run` (local/run.py) and by the test suite, so both exercise the same processes. The endpoint is
ministack (local/endpoint.py); with a state_dir its data survives a clean stop and start.

Every process runs in its own process group (a terminal's Ctrl-C reaches only local/run.py, which decides), and
`supervise()` restarts a service that died (the API, the dispatcher, the web front) with growing delays. The endpoint
is not restarted: its state since the last clean stop died with it, and carrying on would silently use older data.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from infra.provision import provision
from local.endpoint import Endpoint

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
logger = logging.getLogger("stack")
ENDPOINT = "endpoint"
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0  # a service that ran this long starts its backoff over
STOP_WAIT_S = 10.0
ENDPOINT_STOP_WAIT_S = 30.0  # the endpoint writes its state to disk as it stops


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


class EndpointLost(RuntimeError):
    """The AWS endpoint died: the stack cannot go on with the state it had."""


@dataclass
class Service:
    name: str
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # consecutive quick deaths, for the backoff
    restarts: int = 0
    restart_at: float | None = None
    log_files: list = field(default_factory=list)


class LocalStack:
    def __init__(
        self,
        *,
        endpoint_port: int | None = None,
        api_port: int | None = None,
        web_port: int | None = None,
        stage: str = "local",
        log_dir: Path | None = None,
        state_dir: Path | None = None,
        region: str = "us-east-1",
        credentials: tuple[str, str] = ("local", "local"),
    ) -> None:
        """region and credentials are what an operator changes to point the same code at another cloud.

        state_dir: where the endpoint keeps its data between runs (None: in memory only, as the tests want).
        """
        self.region = region
        self.credentials = credentials
        self.endpoint = Endpoint(endpoint_port or free_port(), state_dir)
        self.api_port = api_port or free_port()
        self.web_port = web_port or free_port()
        self.stage = stage
        self.state_dir = state_dir
        self.log_dir = log_dir or REPO_ROOT / ".local" / "logs"
        self.endpoint_url = self.endpoint.url
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"  # the web app, with the API under /api (same origin)
        self.env: dict[str, str] = {}
        self._services: dict[str, Service] = {}

    @property
    def _processes(self) -> list[subprocess.Popen]:
        """The running processes in start order (benchmarks read their pids)."""
        return [s.process for s in self._services.values() if s.process is not None]

    def _spawn(self, service: Service) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{service.name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        service.log_files.append(log)
        service.process = subprocess.Popen(
            service.args,
            cwd=REPO_ROOT,
            env=service.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the terminal's Ctrl-C is ours to handle
        )
        service.started_at = time.monotonic()
        service.restart_at = None

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> Service:
        service = Service(name, args, env)
        self._services[name] = service
        self._spawn(service)
        return service

    def start_endpoint(self, setenv: Callable[[str, str], None] = os.environ.__setitem__) -> None:
        """Start the endpoint (with its saved state, if any) and create every resource that is missing.

        This process's environment is pointed at the new endpoint through setenv (tests pass monkeypatch's).
        """
        self.env = {
            "AWS_ACCESS_KEY_ID": self.credentials[0],
            "AWS_SECRET_ACCESS_KEY": self.credentials[1],
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "PROCTOR_JWT_SECRET": os.environ.get("PROCTOR_JWT_SECRET") or self._jwt_secret(),
            "PYTHONUNBUFFERED": "1",
            # No X-Ray daemon here (Tracer would switch itself off outside Lambda anyway); logs and EMF go to stdout.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCTOR_"))}
        # The endpoint checks presigned URLs' signatures against its root credentials: the stack's own.
        root = {"AWS_ACCESS_KEY_ID": self.credentials[0], "AWS_SECRET_ACCESS_KEY": self.credentials[1]}
        self._start(ENDPOINT, self.endpoint.command(), {**inherited, **self.endpoint.environment(), **root})
        wait_until(self._endpoint_ready, 30, "the AWS endpoint")
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

    def _endpoint_ready(self) -> bool:
        process = self._services[ENDPOINT].process
        if process is not None and process.poll() is not None:
            log = self.log_dir / "endpoint.log"
            raise EndpointLost(f"the AWS endpoint exited with {process.returncode}; see {log}")
        return requests.get(self.endpoint.ready_url, timeout=1).ok

    def _jwt_secret(self) -> str:
        """A persistent stack keeps its signing key, so signed-in users stay signed in across a restart."""
        if self.state_dir is None:
            return secrets.token_urlsafe(48)
        path = self.state_dir / "jwt-secret"
        if not path.is_file():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def _export(self, setenv: Callable[[str, str], None]) -> None:
        for name, value in self.env.items():
            setenv(name, value)

    def start_services(self) -> None:
        """Start the Chalice API, the queue dispatcher and the web front, and wait for /health through both."""
        env = {**os.environ, **self.env}
        chalice = [sys.executable, "-m", "local.api_server", "--host", "127.0.0.1"]  # chalice local + 404s
        self._start("api", [*chalice, "--port", str(self.api_port), "--stage", "local"], env)
        self._start("dispatcher", [sys.executable, "-m", "local.dispatcher"], env)
        web = [sys.executable, "-m", "local.web_server", "--port", str(self.web_port), "--api", self.api_url]
        self._start("web", web, env)
        wait_until(lambda: requests.get(f"{self.api_url}/health", timeout=2).status_code == 200, 60, "the API")
        wait_until(lambda: requests.get(f"{self.web_url}/api/health", timeout=2).status_code == 200, 30, "the web app")

    def supervise(self) -> None:
        """Restart every service that died, after 1, 2, 4 ... 30 s of consecutive quick deaths; call it often.

        Raises EndpointLost when the endpoint itself died.
        """
        now = time.monotonic()
        for service in self._services.values():
            process = service.process
            if process is None:
                continue
            if process.poll() is None:
                if service.failures and now - service.started_at > STABLE_AFTER_S:
                    service.failures = 0
                continue
            if service.name == ENDPOINT:
                raise EndpointLost(
                    f"the AWS endpoint exited with {process.returncode}; changes since its last clean stop are lost "
                    f"(see {self.log_dir / 'endpoint.log'})"
                )
            if service.restart_at is None:
                delay = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2**service.failures)
                service.restart_at = now + delay
                logger.warning(
                    "%s (pid %d) exited with %s; restarting it in %.0f s (log: %s)",
                    service.name,
                    process.pid,
                    process.returncode,
                    delay,
                    self.log_dir / f"{service.name}.log",
                )
            elif now >= service.restart_at:
                self._close_logs(service)
                self._kill_group(process, signal.SIGKILL)  # whatever it left behind in its group
                self._spawn(service)
                service.failures += 1
                service.restarts += 1
                logger.warning("%s restarted (pid %d, restart %d)", service.name, service.process.pid, service.restarts)

    def pids(self) -> dict[str, int]:
        """The running services' pids by name (endpoint, api, dispatcher, web), for measuring their CPU."""
        return {s.name: s.process.pid for s in self._services.values() if s.process and s.process.poll() is None}

    def stop_service(self, name: str, timeout_s: float = 60) -> None:
        """Stop one service cleanly (SIGTERM to its group, SIGKILL after timeout_s); supervise() leaves it stopped."""
        service = self._services[name]
        if service.process is not None:
            self._kill_group(service.process, signal.SIGTERM)
            self._wait([service.process], timeout_s, lambda: False)
            self._close_logs(service)
            service.process = None

    @staticmethod
    def _kill_group(process: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    @staticmethod
    def _close_logs(service: Service) -> None:
        for log in service.log_files:
            log.close()
        service.log_files.clear()

    def stop(self, hurry: Callable[[], bool] = lambda: False) -> None:
        """Stop the services (SIGTERM to each process group), then the endpoint, which saves its state as it stops.

        hurry() turning true (a second Ctrl-C) kills the services at once. The endpoint always gets its clean stop
        (up to ENDPOINT_STOP_WAIT_S, then SIGKILL): killing it would lose the data since the last clean stop.
        """
        services = [s for s in self._services.values() if s.name != ENDPOINT and s.process is not None]
        for service in services:
            self._kill_group(service.process, signal.SIGTERM)
        self._wait([s.process for s in services], STOP_WAIT_S, hurry)
        endpoint = self._services.get(ENDPOINT)
        if endpoint is not None and endpoint.process is not None:
            self._kill_group(endpoint.process, signal.SIGTERM)
            self._wait([endpoint.process], ENDPOINT_STOP_WAIT_S, lambda: False)
        for service in self._services.values():
            if service.process is not None:
                self._kill_group(service.process, signal.SIGKILL)  # the group's stragglers, if any
                with contextlib.suppress(subprocess.TimeoutExpired):
                    service.process.wait(timeout=5)
            self._close_logs(service)
        self._services.clear()

    def _wait(self, processes: list[subprocess.Popen], timeout_s: float, hurry: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout_s
        while any(p.poll() is None for p in processes):
            if hurry() or time.monotonic() > deadline:
                for process in processes:
                    if process.poll() is None:
                        self._kill_group(process, signal.SIGKILL)
                for process in processes:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=5)
                return
            time.sleep(0.05)
