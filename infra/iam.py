"""Least-privilege IAM building blocks for the generated template (infra/template.py).

Every data resource (tables and their indexes, bucket objects under a prefix, queues, the state machine and its
executions) is named by its own ARN. "*" appears only for actions AWS does not scope to a resource: X-Ray trace
writes, Rekognition's image APIs, and the Step Functions log delivery calls.
"""

from __future__ import annotations

from typing import Any

from infra.definitions import Table

Json = dict[str, Any]

# PynamoDB's calls: item reads/writes, queries on the table and its indexes, TransactWrite (authorised per item
# action: Put/Update/ConditionCheck) and DescribeTable (health check, model binding).
DYNAMODB_READ = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
DYNAMODB_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
DYNAMODB_SCAN = ("dynamodb:Scan",)
SQS_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")
SQS_SEND = ("sqs:SendMessage",)  # the API queues identity checks
TASK_RESPONSE = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets")
REKOGNITION = ("rekognition:DetectFaces", "rekognition:CompareFaces")
# Step Functions delivers its logs through CloudWatch Logs' vended-log APIs, which take no resource ARN.
STATES_LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)


def sub(text: str, **values: Any) -> Json:
    return {"Fn::Sub": [text, values]} if values else {"Fn::Sub": text}


def get_att(logical_id: str, attribute: str = "Arn") -> Json:
    return {"Fn::GetAtt": [logical_id, attribute]}


def ref(logical_id: str) -> Json:
    return {"Ref": logical_id}


def allow(actions: tuple[str, ...] | list[str], resources: Any, condition: Json | None = None) -> Json:
    statement: Json = {
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": resources if isinstance(resources, list) else [resources],
    }
    if condition:
        statement["Condition"] = condition
    return statement


def tls_only(bucket_id: str, bucket_arn: Json) -> Json:
    """The bucket-policy statement that refuses every request to a bucket and its objects over plain HTTP."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, sub(f"${{{bucket_id}.Arn}}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def table_arns(logical_id: str, table: Table) -> list[Json]:
    """The table's ARN and one ARN per index it defines (Query on an index is authorised on the index ARN)."""
    indexes = [index.name for index in (*table.global_indexes, *table.local_indexes)]
    return [get_att(logical_id), *(sub(f"${{{logical_id}.Arn}}/index/{name}") for name in indexes)]


def object_arns(bucket_arn: str, prefixes: tuple[str, ...]) -> list[Json]:
    """Objects under each key prefix of the bucket (never the whole bucket); bucket_arn is Fn::Sub text."""
    return [sub(f"{bucket_arn}/{prefix}*") for prefix in prefixes]


def executions_arn(state_machine_name: str) -> Json:
    """Every execution of one state machine (execution names are session ids, unknown in advance)."""
    return sub(f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:{state_machine_name}:*")


def log_streams(log_group_ids: list[str]) -> Json:
    """Write access to the given (pre-created) log groups only."""
    return allow(("logs:CreateLogStream", "logs:PutLogEvents"), [get_att(i) for i in log_group_ids])


def assume_role(service: str, source_account: bool = False) -> Json:
    statement: Json = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account:  # confused-deputy guard for service principals that honour it
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def role(
    description: str, service: str, policy_name: str, statements: list[Json], source_account: bool = False
) -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": assume_role(service, source_account),
            "Policies": [
                {"PolicyName": policy_name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        },
    }
