"""The local stack (infra/provision.py on the local endpoint) and the deployable template define the same resources.

Both come from infra/definitions.py; this proves neither drifted: tables (keys, attribute types, GSIs, LSIs, billing,
TTL), queues (visibility, retention, dead-letter queue and maxReceiveCount), the bucket's notifications (event, prefix
filter, target queue), lifecycle, CORS and public access block, and the state machine definition.
By design the two differ in: the bucket's name (globally unique on AWS: account and region appended), encryption
settings (the customer managed key), point-in-time recovery, the audit trail, the API's edge (throttles, WAF, access
logs) and the JWT key's secret (AWS only), and the web front: the local stack has no CloudFront, its equivalent
is local/web_server.py (web/dist, and /api/* proxied to the API), so the media bucket's CORS origin is the web
server's on one side and the distribution's (plus the optional `WebOrigins`) on the other. Either way it is the
origin the web app and its API share, never a wildcard.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib.core import settings as settings_module
from infra.definitions import (
    LIFECYCLE_QUEUE,
    MEDIA_PREFIX,
    MEDIA_QUEUE,
    NONCURRENT_VERSION_DAYS,
    QUEUES,
    TABLES,
    StackNames,
)
from infra.template import (
    BUCKET_ID,
    DISTRIBUTION_ID,
    SECRET_ID,
    STATE_MACHINE_ID,
    dead_letter_queue_id,
    media_bucket_name,
    merge_template,
    queue_id,
    table_id,
)


@pytest.fixture(scope="module")
def names(stack) -> StackNames:
    return StackNames(stack.stage)


@pytest.fixture(scope="module")
def resources(stack) -> dict[str, Any]:
    return merge_template(stack.stage)["Resources"]


@pytest.fixture(scope="module")
def aws(stack) -> dict[str, Any]:
    return {
        service: boto3.client(service, endpoint_url=stack.endpoint_url, region_name="us-east-1")
        for service in ("dynamodb", "sqs", "s3", "stepfunctions")
    }


def keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((k["AttributeName"], k["KeyType"]) for k in schema)


def indexes(defined: list[dict[str, Any]] | None) -> dict[str, tuple[list[tuple[str, str]], str]]:
    return {i["IndexName"]: (keys(i["KeySchema"]), i["Projection"]["ProjectionType"]) for i in defined or []}


def test_local_stack_has_exactly_the_tables_the_template_defines(aws, resources, names):
    local = {t for t in aws["dynamodb"].list_tables()["TableNames"] if t.startswith(names.prefix)}
    templated = {r["Properties"]["TableName"] for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table"}
    assert local == templated == {names.table(t) for t in TABLES}


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.suffix)
def test_each_table_has_the_same_keys_indexes_billing_and_ttl(aws, resources, names, table):
    templated = resources[table_id(table)]["Properties"]
    local = aws["dynamodb"].describe_table(TableName=names.table(table))["Table"]
    assert keys(local["KeySchema"]) == keys(templated["KeySchema"])
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in local["AttributeDefinitions"]) == sorted(
        (a["AttributeName"], a["AttributeType"]) for a in templated["AttributeDefinitions"]
    )
    assert indexes(local.get("GlobalSecondaryIndexes")) == indexes(templated.get("GlobalSecondaryIndexes"))
    assert indexes(local.get("LocalSecondaryIndexes")) == indexes(templated.get("LocalSecondaryIndexes"))
    assert local["BillingModeSummary"]["BillingMode"] == templated["BillingMode"] == "PAY_PER_REQUEST"
    ttl = aws["dynamodb"].describe_time_to_live(TableName=names.table(table))["TimeToLiveDescription"]
    local_ttl = ttl.get("AttributeName") if ttl["TimeToLiveStatus"] == "ENABLED" else None
    templated_ttl = templated.get("TimeToLiveSpecification", {})
    assert local_ttl == (templated_ttl["AttributeName"] if templated_ttl.get("Enabled") else None)


@pytest.mark.parametrize("queue", QUEUES, ids=lambda q: q.suffix)
def test_each_queue_has_the_same_visibility_retention_and_dead_letter_redrive(aws, resources, names, queue):
    sqs = aws["sqs"]
    templated = resources[queue_id(queue)]["Properties"]
    templated_dlq = resources[dead_letter_queue_id(queue)]["Properties"]

    def attributes(name: str) -> dict[str, str]:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert templated["QueueName"] == names.queue(queue)
    local = attributes(templated["QueueName"])
    assert int(local["VisibilityTimeout"]) == templated["VisibilityTimeout"]
    assert int(local["MessageRetentionPeriod"]) == templated["MessageRetentionPeriod"]
    redrive = json.loads(local["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == templated["RedrivePolicy"]["maxReceiveCount"]
    assert templated["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letter_queue_id(queue), "Arn"]}
    assert redrive["deadLetterTargetArn"].rsplit(":", 1)[1] == templated_dlq["QueueName"]
    local_dlq = attributes(templated_dlq["QueueName"])
    assert int(local_dlq["MessageRetentionPeriod"]) == templated_dlq["MessageRetentionPeriod"]


def test_bucket_notifies_the_media_queue_of_the_same_events_under_the_same_prefix(aws, resources, names):
    local = aws["s3"].get_bucket_notification_configuration(Bucket=names.media_bucket)
    local_rules = sorted(
        (
            event,
            tuple((r["Name"].lower(), r["Value"]) for r in c["Filter"]["Key"]["FilterRules"]),
            c["QueueArn"].rsplit(":", 1)[1],
        )
        for c in local.get("QueueConfigurations", [])
        for event in c["Events"]
    )
    templated = resources[BUCKET_ID]["Properties"]["NotificationConfiguration"]
    templated_rules = sorted(
        (
            c["Event"],
            tuple((r["Name"].lower(), r["Value"]) for r in c["Filter"]["S3Key"]["Rules"]),
            resources[c["Queue"]["Fn::GetAtt"][0]]["Properties"]["QueueName"],
        )
        for c in templated["QueueConfigurations"]
    )
    assert local_rules == templated_rules
    # Only the media queue hears from the bucket (the lifecycle and identity queues get messages from the app).
    assert [rule[2] for rule in local_rules] == [names.queue(MEDIA_QUEUE)]
    assert not local.get("LambdaFunctionConfigurations") and "LambdaConfigurations" not in templated
    assert not local.get("TopicConfigurations") and "TopicConfigurations" not in templated


def test_bucket_expires_the_same_prefixes_with_the_same_cors_and_public_access_block(aws, resources, names, stack):
    s3, templated = aws["s3"], resources[BUCKET_ID]["Properties"]
    parameters = merge_template(stack.stage)["Parameters"]

    def days(value) -> int:  # a number, or a parameter's default
        return int(parameters[value["Ref"]]["Default"]) if isinstance(value, dict) else value

    def local_filter(rule) -> tuple[str, tuple]:
        found = rule["Filter"].get("And", rule["Filter"])
        return found["Prefix"], tuple((t["Key"], t["Value"]) for t in found.get("Tags", []))

    local_rules = sorted(
        (
            r["ID"],
            *local_filter(r),
            r["Expiration"]["Days"],
            r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"),
        )
        for r in s3.get_bucket_lifecycle_configuration(Bucket=names.media_bucket)["Rules"]
    )
    templated_rules = sorted(
        (
            r["Id"],
            r["Prefix"],
            tuple((t["Key"], t["Value"]) for t in r.get("TagFilters", [])),
            days(r["ExpirationInDays"]),
            days(r["NoncurrentVersionExpiration"]["NoncurrentDays"]),
        )
        for r in templated["LifecycleConfiguration"]["Rules"]
    )
    # Every rule also expires non-current versions (in a versioned bucket an expired object would otherwise stay)
    assert local_rules == templated_rules
    # (sessions/' unconditional rule keeps them as long as media: a re-upload may have made evidence non-current)
    assert {rule[4] for rule in local_rules if rule[0] != f"expire-{MEDIA_PREFIX.strip('/')}"} == {
        NONCURRENT_VERSION_DAYS
    }
    # Both keep every version of evidence (the analyzer reads by VersionId) and expire non-current ones.
    assert s3.get_bucket_versioning(Bucket=names.media_bucket)["Status"] == "Enabled"
    assert templated["VersioningConfiguration"] == {"Status": "Enabled"}
    (local_cors,) = s3.get_bucket_cors(Bucket=names.media_bucket)["CORSRules"]
    (templated_cors,) = templated["CorsConfiguration"]["CorsRules"]
    assert (local_cors["AllowedMethods"], local_cors["AllowedHeaders"], local_cors["MaxAgeSeconds"]) == (
        templated_cors["AllowedMethods"],
        templated_cors["AllowedHeaders"],
        templated_cors["MaxAge"],
    )
    # The origins: the local web front's and the distribution's (first; then any extra WebOrigins), never "*".
    assert stack.web_url in local_cors["AllowedOrigins"] and "*" not in local_cors["AllowedOrigins"]
    condition, with_extra, site_only = templated_cors["AllowedOrigins"]["Fn::If"]
    site_origin = {"Fn::Sub": f"https://${{{DISTRIBUTION_ID}.DomainName}}"}
    assert condition == "HasExtraWebOrigins" and site_only == [site_origin]
    split_text = with_extra["Fn::Split"][1]["Fn::Sub"][0]
    assert split_text.startswith(site_origin["Fn::Sub"] + ",")
    local_block = s3.get_public_access_block(Bucket=names.media_bucket)["PublicAccessBlockConfiguration"]
    assert local_block == templated["PublicAccessBlockConfiguration"]
    assert templated["BucketName"] == {"Fn::Sub": media_bucket_name(names)}
    assert media_bucket_name(names).startswith(names.media_bucket + "-")


def test_state_machine_runs_the_same_definition_against_the_stack_s_lifecycle_queue(aws, resources, names, stack):
    local_queue_url = aws["sqs"].get_queue_url(QueueName=names.queue(LIFECYCLE_QUEUE))["QueueUrl"]
    templated = resources[STATE_MACHINE_ID]["Properties"]
    assert templated["StateMachineName"] == names.state_machine
    assert templated["DefinitionSubstitutions"] == {"LifecycleQueueUrl": {"Ref": queue_id(LIFECYCLE_QUEUE)}}
    arn = stack.env["PROCTOR_STATE_MACHINE_ARN"]
    local = aws["stepfunctions"].describe_state_machine(stateMachineArn=arn)
    assert local["name"] == names.state_machine
    expected = templated["DefinitionString"].replace("${LifecycleQueueUrl}", local_queue_url)
    assert json.loads(local["definition"]) == json.loads(expected)


def test_the_functions_settings_read_the_jwt_key_from_the_endpoint_s_secrets_manager_as_on_aws(aws, stack, resources):
    """The template gives every function PROCTOR_JWT_SECRET_ARN instead of the key: the same code reads it here."""
    import uuid

    generated = resources[SECRET_ID]["Properties"]["GenerateSecretString"]
    key = uuid.uuid4().hex * 2  # 64 characters, as GenerateSecretString makes it
    assert len(key) == generated["PasswordLength"]
    client = boto3.client("secretsmanager", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    arn = client.create_secret(Name=f"{StackNames(stack.stage).prefix}jwt-{uuid.uuid4().hex[:8]}", SecretString=key)[
        "ARN"
    ]
    env = {k: v for k, v in stack.env.items() if k != "PROCTOR_JWT_SECRET"}
    env.update({"PROCTOR_JWT_SECRET_ARN": arn, "AWS_ENDPOINT_URL": stack.endpoint_url, "AWS_REGION": "us-east-1"})
    settings_module.read_secret.cache_clear()
    try:
        assert settings_module.load_settings(env).jwt_secret == key
    finally:
        settings_module.read_secret.cache_clear()
