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
