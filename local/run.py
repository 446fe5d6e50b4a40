"""`make run`: the whole platform on this machine until Ctrl-C.

Ports: PROCTOR_WEB_PORT (default 8000: the web app, API under /api), PROCTOR_API_PORT (default 8001: the API
itself), PROCTOR_MOTO_PORT (default 4566). PROCTOR_DEMO_PASSWORD fixes the
demo users' password (random otherwise).
"""

from __future__ import annotations

import os
import signal
import sys
import time

from local.stack import LocalStack


def main() -> int:
    stack = LocalStack(
        moto_port=int(os.environ.get("PROCTOR_MOTO_PORT", "4566")),
        api_port=int(os.environ.get("PROCTOR_API_PORT", "8001")),
        web_port=int(os.environ.get("PROCTOR_WEB_PORT", "8000")),
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(f"Starting the local AWS endpoint on {stack.endpoint_url} ...", flush=True)
        stack.start_endpoint()
        from chalicelib import wiring
        from local.seed import seed

        wiring.reset()
        demo = seed(os.environ.get("PROCTOR_DEMO_PASSWORD"))
        print("Starting the API and the queue dispatcher ...", flush=True)
        stack.start_services()
        print(
            f"""
Proctoring platform is up.
  Candidate app:  {stack.web_url}/
  API:            {stack.web_url}/api   (GET {stack.web_url}/api/health; direct: {stack.api_url})
  AWS endpoint:   {stack.endpoint_url}
  Logs:           {stack.log_dir}
  Demo agency:    {demo["agency_id"]}
  Demo exam:      {demo["exam"]["exam_id"]} ({demo["exam"]["title"]["en"]}, {demo["exam"]["bank_size"]} items in bank)
  Users:          admin@demo, proctor@demo, candidate@demo
  Password:       {demo["password"]}
Press Ctrl-C to stop.""",
            flush=True,
        )
        while True:
            stack.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
