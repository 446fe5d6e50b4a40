"""The API under `chalice local`, answering what no route declares as API Gateway does on AWS.

`chalice local` answers a path no route declares itself, before the app runs: 403 {"message": "Missing
Authentication Token"}. On AWS that is the MISSING_AUTHENTICATION_TOKEN gateway response, which infra/edge.py maps to
404 `route.not_found` in the API's error shape; this server answers the same, so the local stack matches AWS.
Everything else is `chalice local --no-autoreload` unchanged.

    python -m local.api_server --host 127.0.0.1 --port 8000 --stage local
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from http.server import BaseHTTPRequestHandler

from chalice import local as chalice_local
from chalice.cli.factory import CLIFactory

from chalicelib.core.api import route_not_found


class Gateway(chalice_local.LocalGateway):
    def handle_request(self, method, path, headers, body):
        try:
            self.event_converter.create_lambda_event(method=method, path=path, headers=headers, body=body)
        except ValueError:  # no route has this path
            return {
                "statusCode": 404,
                "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
                "multiValueHeaders": {},
                "body": json.dumps(route_not_found()),
            }
        return super().handle_request(method, path, headers, body)


class Handler(chalice_local.ChaliceRequestHandler):
    def __init__(self, request, client_address, server, app_object, config) -> None:
        self.local_gateway = Gateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args()
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as the chalice CLI sets it
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")  # as chalice local
    config = CLIFactory(os.getcwd(), False, environ=os.environ).create_config_obj(chalice_stage_name=args.stage)
    app = config.chalice_app
    chalice_local.CustomLocalChalice.__bases__ = (chalice_local.LocalChalice, app.__class__)  # as chalice local
    app.__class__ = chalice_local.CustomLocalChalice
    server = chalice_local.LocalDevServer(app, config, args.host, args.port, handler_cls=Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
