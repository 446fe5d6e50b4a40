import requests


def test_health_reports_every_dependency_ok(stack):
    response = requests.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["checks"] == {"dynamodb": "ok", "s3": "ok", "sqs": "ok", "stepfunctions": "ok"}


def test_unknown_routes_answer_4xx_json(stack):
    response = requests.get(f"{stack.api_url}/nope", timeout=10)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
