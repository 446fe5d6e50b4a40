"""Configuration parsed once from the environment into a typed, immutable object.

Domain code never reads os.environ; it receives what it needs from here through the wiring module.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    endpoint_url: str | None  # None on AWS; the local/other-cloud endpoint otherwise
    table_prefix: str
    media_bucket: str
    media_queue_url: str
    lifecycle_queue_url: str
    state_machine_arn: str
    # Identity-check jobs for the identity checker (functions/identity_checker/); only the API sends to it.
    identity_queue_url: str = ""
    # The signing key itself (PROCTOR_JWT_SECRET, local stack and tests), or the ARN of the Secrets Manager secret
    # that holds it (PROCTOR_JWT_SECRET_ARN, AWS): then `jwt_secret` reads it once per process, on first use.
    jwt_secret_value: str = field(default="", repr=False)
    jwt_secret_arn: str | None = None
    token_ttl_s: int = 8 * 3600
    review_timeout_s: int = 7 * 24 * 3600
    presign_expiry_s: int = 300
    max_frame_bytes: int = 512 * 1024
    max_audio_bytes: int = 1024 * 1024
    max_photo_bytes: int = 2 * 1024 * 1024
    face_engine: str = "opencv"
    face_engine_by_agency: tuple[tuple[str, str], ...] = ()  # (agency_id, engine) pairs

    @property
    def jwt_secret(self) -> str:
        if self.jwt_secret_arn:
            return read_secret(self.jwt_secret_arn, self.region, self.endpoint_url)
        return self.jwt_secret_value

    def engine_for(self, agency_id: str) -> str:
        return dict(self.face_engine_by_agency).get(agency_id, self.face_engine)

    def table_name(self, suffix: str) -> str:
        return f"{self.table_prefix}{suffix}"


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{key} must be an integer, got {raw!r}") from exc


MIN_SECRET_LENGTH = 32


def _checked_secret(value: str, source: str) -> str:
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigurationError(f"{source} must be at least {MIN_SECRET_LENGTH} characters")
    return value


@cache
def read_secret(arn: str, region: str, endpoint_url: str | None) -> str:
    """The JWT signing key from Secrets Manager: one GetSecretValue per process (Lambda reuses it across calls).

    A rotated secret reaches a function when its execution environment is replaced (a deploy, or idle recycling).
    """
    import boto3  # here: only the API ever asks, and only when the key is not in the environment
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("secretsmanager", region_name=region, endpoint_url=endpoint_url)
    try:
        value = client.get_secret_value(SecretId=arn).get("SecretString") or ""
    except (BotoCoreError, ClientError) as exc:
        raise ConfigurationError(f"PROCTOR_JWT_SECRET_ARN {arn!r} cannot be read: {exc}") from exc
    return _checked_secret(value, f"the secret {arn!r}")


def _required(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "")
    if not value:
        raise ConfigurationError(f"{key} is not set")
    return value


ENGINES = ("opencv", "rekognition")


def _engines(env: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    default = env.get("PROCTOR_FACE_ENGINE") or "opencv"
    pairs = []
    for entry in filter(None, (env.get("PROCTOR_FACE_ENGINE_BY_AGENCY") or "").split(",")):
        agency, _, engine = entry.strip().partition("=")
        pairs.append((agency.strip(), engine.strip()))
    for engine in [default, *(engine for _, engine in pairs)]:
        if engine not in ENGINES:
            raise ConfigurationError(f"unknown face engine {engine!r}; use one of {', '.join(ENGINES)}")
    return default, tuple(pairs)


def stage_name(env: Mapping[str, str] | None = None) -> str:
    """The deployment stage (local, dev, prod): metric dimensions need it before, or without, full settings."""
    return (os.environ if env is None else env).get("PROCTOR_STAGE", "local")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from environment variables (see README, Configuration)."""
    env = os.environ if env is None else env
    secret_arn = env.get("PROCTOR_JWT_SECRET_ARN") or None
    secret = "" if secret_arn else _checked_secret(_required(env, "PROCTOR_JWT_SECRET"), "PROCTOR_JWT_SECRET")
    engine, by_agency = _engines(env)
    return Settings(
        stage=stage_name(env),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        table_prefix=env.get("PROCTOR_TABLE_PREFIX", "proctor-local-"),
        media_bucket=_required(env, "PROCTOR_MEDIA_BUCKET"),
        media_queue_url=_required(env, "PROCTOR_MEDIA_QUEUE_URL"),
        lifecycle_queue_url=_required(env, "PROCTOR_LIFECYCLE_QUEUE_URL"),
        state_machine_arn=_required(env, "PROCTOR_STATE_MACHINE_ARN"),
        identity_queue_url=env.get("PROCTOR_IDENTITY_QUEUE_URL", ""),
        jwt_secret_value=secret,
        jwt_secret_arn=secret_arn,
        token_ttl_s=_int(env, "PROCTOR_TOKEN_TTL_S", 8 * 3600),
        review_timeout_s=_int(env, "PROCTOR_REVIEW_TIMEOUT_S", 7 * 24 * 3600),
        presign_expiry_s=_int(env, "PROCTOR_PRESIGN_EXPIRY_S", 300),
        max_frame_bytes=_int(env, "PROCTOR_MAX_FRAME_BYTES", 512 * 1024),
        max_audio_bytes=_int(env, "PROCTOR_MAX_AUDIO_BYTES", 1024 * 1024),
        max_photo_bytes=_int(env, "PROCTOR_MAX_PHOTO_BYTES", 2 * 1024 * 1024),
        face_engine=engine,
        face_engine_by_agency=by_agency,
    )
