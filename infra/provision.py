"""Create the resources of infra/definitions.py on an AWS-compatible endpoint (the local stack, or another cloud).

Idempotent: resources that exist are left as they are. Returns the settings the API and analyzers need.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.definitions import (
    ENROLLMENT_PREFIX,
    IDENTITY_QUEUE,
    LIFECYCLE_QUEUE,
    MEDIA_PREFIX,
    MEDIA_QUEUE,
    MEDIA_RETENTION_DAYS,
    NONCURRENT_VERSION_DAYS,
    PROBE_PREFIX,
    PROBE_RETENTION_DAYS,
    QUEUES,
    RETENTION_TAG,
    TABLES,
    TRANSIENT_MEDIA_RETENTION_DAYS,
    TRANSIENT_TAG_VALUE,
    Index,
    StackNames,
    Table,
    state_machine_definition,
)

ACCOUNT_ID = "123456789012"


def table_request(table: Table, name: str) -> dict[str, Any]:
    """The CreateTable request for one table definition (on-demand capacity)."""

    def key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
        if range_key:
            schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
        return schema

    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": t} for k, t in table.attributes.items()],
        "KeySchema": key_schema(table.hash_key, table.range_key),
    }

    def projection(index: Index) -> dict[str, Any]:
        if index.projection == "INCLUDE":
            return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.include)}
        return {"ProjectionType": index.projection}

    def indexes(defined: tuple[Index, ...]) -> list[dict[str, Any]]:
        return [
            {
                "IndexName": i.name,
                "KeySchema": key_schema(i.hash_key, i.range_key),
                "Projection": projection(i),
            }
            for i in defined
        ]

    if table.global_indexes:
        request["GlobalSecondaryIndexes"] = indexes(table.global_indexes)
    if table.local_indexes:
        request["LocalSecondaryIndexes"] = indexes(table.local_indexes)
    return request


def existing_state_machine(sfn: Any, name: str) -> str:
    """The ARN of the state machine of this name (each endpoint has its own account id in it)."""
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                return machine["stateMachineArn"]
    raise LookupError(f"state machine {name} exists but is not listed")


def _exists(error: ClientError, *codes: str) -> bool:
    return error.response["Error"]["Code"] in codes


def provision(stage: str, *, region: str, endpoint_url: str | None, web_origins: list[str]) -> dict[str, str]:
    names = StackNames(stage)
    session = boto3.session.Session(region_name=region)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    dynamodb, sqs, s3, sfn = client("dynamodb"), client("sqs"), client("s3"), client("stepfunctions")
    for table in TABLES:
        try:
            dynamodb.create_table(**table_request(table, names.table(table)))
        except ClientError as error:
            if not _exists(error, "ResourceInUseException"):
                raise
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=names.table(table),
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )

    queue_urls: dict[str, str] = {}
    for queue in QUEUES:
        dlq_url = sqs.create_queue(
            QueueName=names.dead_letter_queue(queue), Attributes={"MessageRetentionPeriod": str(14 * 86400)}
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
        queue_urls[queue.suffix] = sqs.create_queue(
            QueueName=names.queue(queue),
            Attributes={"VisibilityTimeout": str(queue.visibility_timeout_s), "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
    media_queue_arn = sqs.get_queue_attributes(QueueUrl=queue_urls[MEDIA_QUEUE.suffix], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]

    bucket = names.media_bucket
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    except ClientError as error:
        if not _exists(error, "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    # Evidence is immutable: a second upload to a key makes a new version; the analysed one stays readable by id.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["POST"],
                    "AllowedOrigins": web_origins,
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": f"expire-{prefix.strip('/')}",
                    "Status": "Enabled",
                    "Filter": {"Prefix": prefix},
                    "Expiration": {"Days": MEDIA_RETENTION_DAYS},
                    # Replaced or deleted versions go too, so that erasure still erases; under sessions/ a replaced
                    # version may be a violation's evidence (a re-upload to an analysed key): kept as long as media.
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": MEDIA_RETENTION_DAYS if prefix == MEDIA_PREFIX else NONCURRENT_VERSION_DAYS
                    },
                }
                for prefix in (MEDIA_PREFIX, ENROLLMENT_PREFIX)
            ]
            + [
                {  # retention tiers, as the template has them (the endpoint applies no lifecycle rule: see purge.py)
                    "ID": f"expire-transient-{MEDIA_PREFIX.strip('/')}",
                    "Status": "Enabled",
                    "Filter": {
                        "And": {"Prefix": MEDIA_PREFIX, "Tags": [{"Key": RETENTION_TAG, "Value": TRANSIENT_TAG_VALUE}]}
                    },
                    "Expiration": {"Days": TRANSIENT_MEDIA_RETENTION_DAYS},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                },
                {
                    "ID": f"expire-{PROBE_PREFIX.strip('/')}",
                    "Status": "Enabled",
                    "Filter": {"Prefix": PROBE_PREFIX},
                    "Expiration": {"Days": PROBE_RETENTION_DAYS},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                },
            ]
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": media_queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": MEDIA_PREFIX}]}},
                }
            ]
        },
    )

    definition = state_machine_definition(queue_urls[LIFECYCLE_QUEUE.suffix])
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{names.prefix}state-machine"
    try:
        state_machine_arn = sfn.create_state_machine(name=names.state_machine, definition=definition, roleArn=role_arn)[
            "stateMachineArn"
        ]
    except ClientError as error:
        if not _exists(error, "StateMachineAlreadyExists"):
            raise
        state_machine_arn = existing_state_machine(sfn, names.state_machine)
        sfn.update_state_machine(stateMachineArn=state_machine_arn, definition=definition)

    return {
        "PROCTOR_STAGE": stage,
        "PROCTOR_TABLE_PREFIX": names.prefix,
        "PROCTOR_MEDIA_BUCKET": bucket,
        "PROCTOR_MEDIA_QUEUE_URL": queue_urls[MEDIA_QUEUE.suffix],
        "PROCTOR_LIFECYCLE_QUEUE_URL": queue_urls[LIFECYCLE_QUEUE.suffix],
        "PROCTOR_LIFECYCLE_QUEUE_NAME": names.queue(LIFECYCLE_QUEUE),
        "PROCTOR_IDENTITY_QUEUE_URL": queue_urls[IDENTITY_QUEUE.suffix],
        "PROCTOR_STATE_MACHINE_ARN": state_machine_arn,
    }
