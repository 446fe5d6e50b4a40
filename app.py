"""The API Lambda: one Blueprint per context, the health check and the session-lifecycle queue consumer."""

import json
import logging
import os

from chalice import Chalice, ConvertToMiddleware, Rate

from chalicelib import health, wiring
from chalicelib.agencies.routes import bp as agencies_bp
from chalicelib.core import observability
from chalicelib.core.api import observe_request, route, uniform_errors, use_authenticator
from chalicelib.exam.routes import bp as exam_bp
from chalicelib.identity.routes import bp as identity_bp
from chalicelib.media.routes import bp as media_bp
from chalicelib.openapi_route import bp as openapi_bp
from chalicelib.proctor.routes import bp as proctor_bp
from chalicelib.violations.routes import bp as violations_bp

app = Chalice(app_name="proctor")
app.log.setLevel(logging.INFO)
for blueprint in (identity_bp, agencies_bp, exam_bp, media_bp, violations_bp, proctor_bp, openapi_bp):
    app.register_blueprint(blueprint)
# Outermost first. No response in traces: login answers carry tokens.
app.register_middleware(ConvertToMiddleware(observability.instrumented(observability.API, capture_response=False)))
app.register_middleware(observe_request, "http")
app.register_middleware(uniform_errors, "http")  # innermost: Chalice's own 405/415/500 answers in our error shape
use_authenticator(lambda token: wiring.authenticator()(token))

LIFECYCLE_QUEUE = os.environ.get("PROCTOR_LIFECYCLE_QUEUE_NAME", "proctor-local-lifecycle")


@route(app, "/health", methods=["GET"], roles=None)
def get_health(request, _):
    body, healthy = health.check()
    return body, 200 if healthy else 503


@app.on_sqs_message(queue=LIFECYCLE_QUEUE, batch_size=10)
def handle_lifecycle(event):
    """Messages the state machine sends when a session moves on (task tokens included)."""
    progression = wiring.progression()
    for record in event:
        progression.handle(json.loads(record.body))


@app.schedule(Rate(10, unit=Rate.MINUTES))
def reconcile_sessions(event):
    """Give every open session whose Step Functions execution is gone a new one (DynamoDB is the truth)."""
    app.log.info("reconciled sessions: %s", wiring.progression().reconcile())


@app.schedule(Rate(1, unit=Rate.DAYS))
def purge_media(event):
    """Delete the media of sessions that have outlived their agency's retention (chalicelib/media/purge.py)."""
    app.log.info("purged media: %s", wiring.media_purge().run())
