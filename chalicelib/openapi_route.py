"""`GET /openapi.json`: the API's own OpenAPI 3.1 description (public: it names routes and shapes, no data)."""

from chalice import Blueprint

from chalicelib.core.api import route
from chalicelib.openapi_spec import document

bp = Blueprint(__name__)


@route(bp, "/openapi.json", methods=["GET"], roles=None)
def openapi_document(request, _):
    return document()
