"""The local AWS endpoint: ministack (DynamoDB, S3, SQS, Step Functions) in its own venv, optionally persistent.

Chosen over moto server by measurement (see docs/ARCHITECTURE.md, "Local stack"): it enforces presigned POST policies
as S3 does, costs a third or less of moto's CPU per call, its SQS does not slow down as a queue grows, and it can keep
its state on disk. ministack pins botocore exactly, so it runs from `.venv-endpoint/` (local/endpoint-requirements.txt,
made by `make endpoint`), never inside the project's own venv; local/ministack_server.py adds what it lacks.

Persistence (state_dir given): DynamoDB, SQS and Step Functions state is written to `<state_dir>/endpoint/` every
SNAPSHOT_S seconds and when the endpoint stops cleanly (SIGTERM), and read back at start; S3 objects are written to
`<state_dir>/s3/` on every put. A hard kill (SIGKILL, power loss) loses the DynamoDB/SQS/Step Functions changes of
the last SNAPSHOT_S seconds at most; the S3 objects stay. Executions that were running come back FAILED: the
dispatcher's start-up reconcile gives every open session a new one (chalicelib/exam/progression.py).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ENDPOINT_VENV = REPO_ROOT / ".venv-endpoint"
PYTHON_ENV = "PROCTOR_ENDPOINT_PYTHON"  # another Python that has ministack installed, instead of the venv's
SERVER = Path(__file__).resolve().parent / "ministack_server.py"
SERVICES = "dynamodb,s3,sqs,stepfunctions,secretsmanager"  # secretsmanager: the JWT key as on AWS
READY_PATH = "/_ministack/health"
SNAPSHOT_S = 5  # a persistent endpoint also saves its state this often: what a hard kill can lose


def python() -> Path:
    configured = os.environ.get(PYTHON_ENV)
    path = Path(configured) if configured else ENDPOINT_VENV / "bin" / "python"
    if not (path.parent / "ministack").is_file() and not configured:
        sys.exit(
            f"The local AWS endpoint is not installed (no ministack in {path.parent}): run `make endpoint` "
            f"(a venv from local/endpoint-requirements.txt) or set {PYTHON_ENV}."
        )
    return path


@dataclass(frozen=True)
class Endpoint:
    port: int
    state_dir: Path | None = None  # None: everything in memory, gone at stop (the test suite)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ready_url(self) -> str:
        return self.url + READY_PATH

    def command(self) -> list[str]:
        return [str(python()), str(SERVER)]

    def environment(self) -> dict[str, str]:
        """The endpoint process's own settings: loopback only, the five services we use, persistence if asked."""
        env = {
            "GATEWAY_PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "SERVICES": SERVICES,
            "LOG_LEVEL": "WARNING",
            "PERSIST_STATE": "0",
            "S3_PERSIST": "0",
        }
        if self.state_dir is not None:
            env.update(
                {
                    "PERSIST_STATE": "1",
                    "STATE_DIR": str(self.state_dir / "endpoint"),
                    "S3_PERSIST": "1",
                    "S3_DATA_DIR": str(self.state_dir / "s3"),
                    "SNAPSHOT_S": str(SNAPSHOT_S),
                }
            )
        return env
