"""Biometric data in the generated template: its customer managed key, and the audit trail of who read an ID photo.

The key encrypts the media bucket (frames, audio, ID photos and selfies) and the enrollments table (face
embeddings). Only S3 and DynamoDB may use it, on behalf of the roles whose IAM policies allow it; destroying it is the
last-resort erasure of all of it (docs/DEPLOY.md, "Biometric data"). The audit trail records every data event on the
ID photos (enrollment/) with CloudTrail. Roles and buckets name each other by fixed strings, never Ref/GetAtt of the
media bucket (see infra.template.media_bucket_arn).
"""

from __future__ import annotations

from infra import iam
from infra.definitions import ENROLLMENT_PREFIX, StackNames, Table
from infra.iam import Json, allow, get_att, ref, sub

DATA_KEY_ID = "BiometricDataKey"
DATA_KEY_ALIAS_ID = "BiometricDataKeyAlias"
AUDIT_BUCKET_ID = "AuditLogBucket"
AUDIT_TRAIL_ID = "IdPhotoAuditTrail"
KEY_DELETION_WINDOW_DAYS = 30  # when CloudFormation deletes the key (a dev stack): the longest grace AWS allows
ENCRYPTED_TABLES = ("enrollments",)  # face embeddings are biometric templates

# What S3 (bucket key) and DynamoDB ask KMS for on a caller's behalf.
KMS_READ = ("kms:Decrypt",)
KMS_WRITE = ("kms:GenerateDataKey", "kms:Encrypt")
KMS_DESCRIBE = ("kms:DescribeKey",)
# The account's administrators manage the key (and may destroy it) but cannot use it: no Decrypt outside S3/DynamoDB.
# No kms:Create* (CreateGrant would let an administrator grant themselves Decrypt): only CreateAlias.
KMS_ADMIN = (
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)


def _via(service: str) -> str:
    return f"{service}.${{AWS::Region}}.amazonaws.com"


def key_alias(names: StackNames) -> str:
    return f"alias/{names.prefix}biometric-data"


def key(names: StackNames, retention: dict[str, str]) -> Json:
    root = sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    return {
        DATA_KEY_ID: {
            "Type": "AWS::KMS::Key",
            **retention,  # prod: the retained bucket and table stay readable after a stack delete
            "Properties": {
                "Description": f"Proctor {names.stage}: media bucket and enrollments table (biometric data)",
                "EnableKeyRotation": True,
                "PendingWindowInDays": KEY_DELETION_WINDOW_DAYS,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersTheKey",
                            "Effect": "Allow",
                            "Principal": {"AWS": root},
                            "Action": list(KMS_ADMIN),
                            "Resource": "*",
                        },
                        {
                            # IAM policies decide which roles; this statement caps them: only through S3 or
                            # DynamoDB in this region and account, so nobody decrypts data keys directly.
                            "Sid": "UseOnlyThroughS3AndDynamoDB",
                            "Effect": "Allow",
                            "Principal": {"AWS": root},
                            "Action": [*KMS_READ, *KMS_WRITE, *KMS_DESCRIBE, "kms:ReEncrypt*", "kms:CreateGrant"],
                            "Resource": "*",
                            "Condition": {
                                "StringEquals": {
                                    "kms:CallerAccount": ref("AWS::AccountId"),
                                    "kms:ViaService": [sub(_via("s3")), sub(_via("dynamodb"))],
                                }
                            },
                        },
                    ],
                },
            },
        },
        DATA_KEY_ALIAS_ID: {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": key_alias(names), "TargetKeyId": ref(DATA_KEY_ID)},
        },
    }


def table_encryption(table: Table) -> Json:
    """SSESpecification of a table: the biometric key for the encrypted tables, AWS's own otherwise."""
    if table.suffix in ENCRYPTED_TABLES:
        return {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": get_att(DATA_KEY_ID)}
    return {"SSEEnabled": True}


def bucket_encryption() -> Json:
    return {
        "ServerSideEncryptionConfiguration": [
            {
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": get_att(DATA_KEY_ID)},
                # One data key per bucket for a while instead of one KMS call per object: ~99 % fewer requests.
                "BucketKeyEnabled": True,
            }
        ]
    }


def key_use(bucket_arn: str, actions: tuple[str, ...], table_names: tuple[str, ...] = ()) -> list[Json]:
    """Statements letting a role use the key through S3 on the media bucket and through DynamoDB on the tables.

    bucket_arn is Fn::Sub text. With a bucket key S3's encryption context is the bucket's ARN; DynamoDB's names the
    table.
    """
    statements = [
        allow(
            (*actions, *KMS_DESCRIBE),
            get_att(DATA_KEY_ID),
            {"StringEquals": {"kms:ViaService": sub(_via("s3")), "kms:EncryptionContext:aws:s3:arn": sub(bucket_arn)}},
        )
    ]
    return statements + (table_key_use(actions, table_names) if table_names else [])


def table_key_use(actions: tuple[str, ...], table_names: tuple[str, ...]) -> list[Json]:
    """The statement letting a role use the key through DynamoDB on these tables only."""
    return [
        allow(
            (*actions, *KMS_DESCRIBE),
            get_att(DATA_KEY_ID),
            {
                "StringEquals": {"kms:ViaService": sub(_via("dynamodb"))},
                "ForAnyValue:StringEquals": {"kms:EncryptionContext:aws:dynamodb:tableName": list(table_names)},
            },
        )
    ]


def audit_trail(names: StackNames, bucket_arn: str) -> Json:
    """CloudTrail data events for every read and write of an object under enrollment/ (the ID photos and selfies).

    Its own bucket: SSE-S3 (not the biometric key: destroying that must not destroy the record of who read what),
    public access blocked, bucket-owner-enforced, TLS only, objects expire after `AuditLogRetentionDays`. Retained
    in every stage: the record of who read an ID photo outlives the stack (and the data) it describes.
    """
    trail_name = f"{names.prefix}id-photo-access"
    trail_arn = sub(f"arn:${{AWS::Partition}}:cloudtrail:${{AWS::Region}}:${{AWS::AccountId}}:trail/{trail_name}")
    audit_arn = get_att(AUDIT_BUCKET_ID)
    return {
        AUDIT_BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": sub(f"{names.prefix}audit-${{AWS::AccountId}}-${{AWS::Region}}"),
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},  # an overwritten log file stays recoverable
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "expire-audit-logs",
                            "Status": "Enabled",
                            "ExpirationInDays": ref("AuditLogRetentionDays"),
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        }
                    ]
                },
            },
        },
        "AuditLogBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref(AUDIT_BUCKET_ID),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TrailChecksTheBucket",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:GetBucketAcl",
                            "Resource": audit_arn,
                            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                        },
                        {
                            "Sid": "TrailWritesItsLogs",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": sub(f"${{{AUDIT_BUCKET_ID}.Arn}}/AWSLogs/${{AWS::AccountId}}/*"),
                            "Condition": {
                                "StringEquals": {
                                    "aws:SourceArn": trail_arn,
                                    "s3:x-amz-acl": "bucket-owner-full-control",
                                }
                            },
                        },
                        iam.tls_only(AUDIT_BUCKET_ID, audit_arn),
                    ],
                },
            },
        },
        AUDIT_TRAIL_ID: {
            "Type": "AWS::CloudTrail::Trail",
            "DependsOn": ["AuditLogBucketPolicy"],  # CloudTrail checks it may write when the trail is created
            "Properties": {
                "TrailName": trail_name,
                "S3BucketName": ref(AUDIT_BUCKET_ID),
                "IsLogging": True,
                "IsMultiRegionTrail": False,
                "IncludeGlobalServiceEvents": False,
                "EnableLogFileValidation": True,  # hourly signed digests: a deleted or edited log file shows
                # Data events only (no management events): every object-level call under enrollment/.
                "AdvancedEventSelectors": [
                    {
                        "Name": "ID photos and selfies: every read, write and delete",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                            {"Field": "resources.ARN", "StartsWith": [sub(f"{bucket_arn}/{ENROLLMENT_PREFIX}")]},
                        ],
                    }
                ],
            },
        },
    }
