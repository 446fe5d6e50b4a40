"""`make run`: the whole platform on this machine until Ctrl-C; its data is kept for the next run.

Data (the endpoint's tables, queues, executions and media, the demo credentials, the token signing key) lives in
PROCTOR_STATE_DIR (default .local/state/); `--fresh` (or `make reset`) starts empty. A service that dies is restarted
with growing delays (logged here and in .local/logs/). Ctrl-C stops everything cleanly; a second Ctrl-C stops the
services at once but still lets the endpoint save its data.

Ports: PROCTOR_WEB_PORT (default 8000: the web app, API under /api), PROCTOR_API_PORT (default 8001: the API
itself), PROCTOR_ENDPOINT_PORT (default 4566: the AWS endpoint). PROCTOR_DEMO_PASSWORD fixes the demo users'
password on the first run (random otherwise; kept in the state directory).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from local.stack import REPO_ROOT, EndpointLost, LocalStack

DEFAULT_STATE_DIR = REPO_ROOT / ".local" / "state"


class Interrupts:
    """Counts Ctrl-C (and SIGTERM) once stopping has begun, instead of raising in the middle of the stop."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.count == 1:
            print("\nStopping the services now; the endpoint still saves its data ...", flush=True)

    def install(self) -> None:
        signal.signal(signal.SIGINT, self)
        signal.signal(signal.SIGTERM, self)


def stop_requested(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="delete the saved data and start empty")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    state_dir = Path(os.environ.get("PROCTOR_STATE_DIR") or DEFAULT_STATE_DIR).resolve()
    if args.fresh and state_dir.exists():
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    stack = LocalStack(
        endpoint_port=int(os.environ.get("PROCTOR_ENDPOINT_PORT", "4566")),
        api_port=int(os.environ.get("PROCTOR_API_PORT", "8001")),
        web_port=int(os.environ.get("PROCTOR_WEB_PORT", "8000")),
        state_dir=state_dir,
        log_dir=Path(os.environ["PROCTOR_LOG_DIR"]) if os.environ.get("PROCTOR_LOG_DIR") else None,
    )
    signal.signal(signal.SIGTERM, stop_requested)
    code = 0
    interrupts = Interrupts()
    try:
        print(f"Starting the local AWS endpoint on {stack.endpoint_url} (data in {state_dir}) ...", flush=True)
        stack.start_endpoint()
        from chalicelib import wiring
        from local.seed import login_path, seed_once

        wiring.reset()
        demo = seed_once(state_dir, os.environ.get("PROCTOR_DEMO_PASSWORD"))
        wiring.media_purge().run()  # per-agency media retention (daily on AWS; the local endpoint expires nothing)
        print("Starting the API and the queue dispatcher ...", flush=True)
        stack.start_services()
        print(
            f"""
Proctoring platform is up.
  Web app:        {stack.web_url}{login_path(demo["agency_id"])}
  API:            {stack.web_url}/api   (GET {stack.web_url}/api/health; direct: {stack.api_url})
  AWS endpoint:   {stack.endpoint_url}
  Data:           {state_dir}   (kept between runs; `make reset` or --fresh starts empty)
  Logs:           {stack.log_dir}
  Demo agency:    {demo["agency_id"]}
  Demo exam:      {demo["exam_id"]}
  Users:          admin@demo, proctor@demo, candidate@demo
  Operator:       operator@platform   (organisation "platform": {stack.web_url}{login_path("platform")})
  Password:       {demo["password"]}   (the same for all of them)
Press Ctrl-C to stop.""",
            flush=True,
        )
        while True:
            stack.supervise()
            time.sleep(0.5)
    except KeyboardInterrupt:
        interrupts.install()
        print("\nStopping (Ctrl-C again to stop the services at once) ...", flush=True)
    except EndpointLost as error:
        interrupts.install()
        print(f"\nStopping: {error}", file=sys.stderr, flush=True)
        code = 1
    except BaseException:
        interrupts.install()
        raise
    finally:
        interrupts.install()  # from here on Ctrl-C only hurries the stop
        stack.stop(hurry=lambda: interrupts.count > 0)
        print("Stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
