import pytest

from chalicelib.core.settings import ConfigurationError, load_settings

BASE = {
    "PROCTOR_JWT_SECRET": "k" * 32,
    "PROCTOR_MEDIA_BUCKET": "b",
    "PROCTOR_MEDIA_QUEUE_URL": "q",
    "PROCTOR_LIFECYCLE_QUEUE_URL": "l",
    "PROCTOR_STATE_MACHINE_ARN": "arn",
    "AWS_REGION": "eu-central-1",
}


def test_settings_come_from_the_environment_with_defaults():
    settings = load_settings({**BASE, "PROCTOR_TABLE_PREFIX": "p-", "PROCTOR_MAX_FRAME_BYTES": "1000"})
    assert settings.region == "eu-central-1" and settings.endpoint_url is None
    assert settings.table_name("users") == "p-users" and settings.max_frame_bytes == 1000
    assert settings.review_timeout_s == 7 * 24 * 3600


@pytest.mark.parametrize(
    "change",
    [
        {"PROCTOR_JWT_SECRET": ""},
        {"PROCTOR_JWT_SECRET": "short"},
        {"PROCTOR_MEDIA_BUCKET": ""},
        {"PROCTOR_TOKEN_TTL_S": "soon"},
    ],
)
def test_missing_or_malformed_settings_fail_loudly(change):
    with pytest.raises(ConfigurationError):
        load_settings({**BASE, **change})


def test_the_face_engine_can_be_chosen_per_agency():
    settings = load_settings({**BASE, "PROCTOR_FACE_ENGINE_BY_AGENCY": "agency-a=rekognition, agency-b=opencv"})
    assert settings.engine_for("agency-a") == "rekognition"
    assert settings.engine_for("agency-b") == "opencv" and settings.engine_for("other") == "opencv"


def test_an_unknown_face_engine_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        load_settings({**BASE, "PROCTOR_FACE_ENGINE_BY_AGENCY": "agency-a=dlib"})


# The signing key from Secrets Manager (PROCTOR_JWT_SECRET_ARN): what the deployed functions get instead of the key.


@pytest.fixture(scope="module")
def secrets_endpoint():
    """A real moto server over HTTP (the local stack's endpoint), just for Secrets Manager."""
    from moto.server import ThreadedMotoServer

    from local.stack import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _secret(endpoint: str, value: str) -> str:
    import uuid

    import boto3

    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return client.create_secret(Name=f"jwt-{uuid.uuid4().hex}", SecretString=value)["ARN"]


@pytest.fixture
def from_secret(secrets_endpoint, monkeypatch):
    from chalicelib.core import settings as module

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    module.read_secret.cache_clear()
    yield lambda arn: load_settings(
        {k: v for k, v in BASE.items() if k != "PROCTOR_JWT_SECRET"}
        | {"PROCTOR_JWT_SECRET_ARN": arn, "AWS_ENDPOINT_URL": secrets_endpoint}
    )
    module.read_secret.cache_clear()


def test_with_a_secret_arn_the_key_is_read_from_secrets_manager_once_per_process(from_secret, secrets_endpoint):
    import boto3

    key = "s" * 64
    arn = _secret(secrets_endpoint, key)
    settings = from_secret(arn)
    assert settings.jwt_secret_value == "" and settings.jwt_secret_arn == arn
    assert settings.jwt_secret == key
    # Changed in Secrets Manager: this process keeps the key it read (one GetSecretValue per cold start).
    boto3.client(
        "secretsmanager",
        endpoint_url=secrets_endpoint,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).put_secret_value(SecretId=arn, SecretString="t" * 64)
    assert from_secret(arn).jwt_secret == key
    assert key not in repr(settings)


def test_the_arn_wins_over_a_key_in_the_environment_and_no_key_is_needed_beside_it(from_secret, secrets_endpoint):
    arn = _secret(secrets_endpoint, "a" * 40)
    settings = load_settings(
        {**BASE, "PROCTOR_JWT_SECRET": "e" * 32, "PROCTOR_JWT_SECRET_ARN": arn, "AWS_ENDPOINT_URL": secrets_endpoint}
    )
    assert settings.jwt_secret == "a" * 40


def test_a_short_or_missing_secret_is_a_configuration_error(from_secret, secrets_endpoint):
    with pytest.raises(ConfigurationError, match="at least 32"):
        _ = from_secret(_secret(secrets_endpoint, "short")).jwt_secret
    missing = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:nobody-AbCdEf"
    with pytest.raises(ConfigurationError, match="cannot be read"):
        _ = from_secret(missing).jwt_secret


def test_the_environment_key_is_used_as_before_without_a_secret_arn():
    settings = load_settings(BASE)
    assert settings.jwt_secret == "k" * 32 and settings.jwt_secret_arn is None
    assert "k" * 32 not in repr(settings)
