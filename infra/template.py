"""Every resource Chalice does not generate, as a CloudFormation merge template built from infra/definitions.py.

`chalice package --merge-template` deep-merges this into its SAM template (API Gateway, the API Lambda, the lifecycle
queue consumer and the reconcile schedule), so the result is one stack. The same definitions drive the local stack
(infra/provision.py); tests/functional/test_template_parity.py proves the two agree.

Besides adding resources, the merge overrides parts of Chalice's own functions: runtime, name, role, tracing,
environment, and the lifecycle event source's queue (so CloudFormation orders it after the queue it consumes).

    python -m infra.template --stage dev    # prints the merge template
"""

from __future__ import annotations

import argparse
import json
import re

from infra import data_protection, edge, iam
from infra.definitions import (
    ENROLLMENT_PREFIX,
    EVIDENCE_TAG_VALUE,
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
    STATE_MACHINE_FILE,
    TABLES,
    TRANSIENT_MEDIA_RETENTION_DAYS,
    TRANSIENT_TAG_VALUE,
    Queue,
    StackNames,
    Table,
)
from infra.iam import Json, allow, get_att, ref, sub
from infra.provision import table_request

# Lambda's python3.11 runtime runs on Amazon Linux 2 (glibc 2.26); the pinned numpy 2.4 and pillow 13 publish
# Linux wheels for glibc >= 2.27/2.28 only, so the functions run on python3.12 (Amazon Linux 2023, glibc 2.34).
LAMBDA_PYTHON = "3.12"
LAMBDA_RUNTIME = f"python{LAMBDA_PYTHON}"
# Graviton: Lambda's arm64 GB-second is 20 % cheaper than x86_64's. Every dependency publishes manylinux aarch64
# wheels on PyPI (numpy, opencv-python-headless, onnxruntime, pillow, wrapt, protobuf; the rest is pure Python), so
# infra/package.py fetches them for this architecture. `python -m infra.package --arch x86_64` builds the other one
# (the smoke test runs the zips' native code, so on an x86 machine it needs x86_64 zips).
LAMBDA_ARCHITECTURE = "arm64"
ARCHITECTURES = ("arm64", "x86_64")
DEAD_LETTER_RETENTION_S = 14 * 86400  # the SQS maximum, as infra/provision.py sets it
QUEUE_RETENTION_S = 4 * 86400  # SQS's default, which the local queues get too
EPHEMERAL = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}  # queues, log groups: no data to keep


ANALYZER_ID = "FrameAnalyzer"
ANALYZER_CODE = "./frame_analyzer.zip"  # relative to the packaged template (build/<stage>/api/)
ANALYZER_HANDLER = "functions.frame_analyzer.handler.lambda_handler"
ANALYZER_MEMORY_MB = 1769  # one full vCPU: face detection and embeddings are CPU-bound
ANALYZER_TIMEOUT_S = 30  # a batch of 10 frames takes ~1 s warm; the media queue's visibility is 6x this
ANALYZER_BATCH_SIZE = 10

IDENTITY_ID = "IdentityChecker"
IDENTITY_CODE = "./identity_checker.zip"
IDENTITY_HANDLER = "functions.identity_checker.handler.lambda_handler"
IDENTITY_MEMORY_MB = 1769  # one full vCPU, as the analyzer: two photos, detection + SFace ~0.3-0.5 s warm
IDENTITY_TIMEOUT_S = 30  # the identity queue's visibility (180 s) is 6x this
IDENTITY_BATCH_SIZE = 1  # one check per invocation: a slow or failing job never holds others back

API_ROLE_ID = "DefaultRole"  # Chalice's role, used by the API handler; its policy is replaced below
WORKER_ROLE_ID = "LifecycleWorkerRole"
ANALYZER_ROLE_ID = "FrameAnalyzerRole"
IDENTITY_ROLE_ID = "IdentityCheckerRole"
STATE_MACHINE_ID = "SessionLifecycleStateMachine"
STATE_MACHINE_ROLE_ID = "SessionLifecycleRole"
BUCKET_ID = "MediaBucket"
SECRET_ID = "JwtSecret"
ALARM_TOPIC_ID = "AlarmTopic"
SITE_BUCKET_ID = "SiteBucket"
DISTRIBUTION_ID = "SiteDistribution"
SITE_OAC_ID = "SiteOriginAccessControl"
SPA_FUNCTION_ID = "SiteRoutesFunction"
HEADERS_POLICY_ID = "SiteSecurityHeaders"
API_HEADERS_POLICY_ID = "ApiSecurityHeaders"
# JSON is never a document: nothing to load, nowhere to be framed (and ~1 KB less per call than the app's CSP).
API_CSP = "default-src 'none'; frame-ancestors 'none'"
REST_API_ID = edge.REST_API_ID  # Chalice's API Gateway REST API; its stage is named `api` (.chalice/config.json)
API_PATH = "/api/*"  # forwarded unchanged: the stage name strips nothing else, so /api/x reaches the route /x
# CloudFront's managed policies (the same ids in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # API Gateway answers 403 to a foreign Host
SITE_PRICE_CLASS = "PriceClass_100"  # North America and Europe edges (the cheapest); see docs/DEPLOY.md, Web app
HSTS_MAX_AGE_S = 2 * 365 * 86400

# Chalice's logical ids (from app.py's handler names) -> (function name suffix, role).
CHALICE_FUNCTIONS = {
    "APIHandler": ("api", API_ROLE_ID),
    "HandleLifecycle": ("lifecycle-consumer", WORKER_ROLE_ID),
    "ReconcileSessions": ("reconcile-sessions", WORKER_ROLE_ID),
    "PurgeMedia": ("purge-media", API_ROLE_ID),  # daily: per-agency media retention (chalicelib/media/purge.py)
}
LIFECYCLE_EVENT_SOURCE = ("HandleLifecycle", "HandleLifecycleSqsEventSource")

# Tables each role may touch (least privilege per code path). The API is the whole product: every table.
# SessionProgression: handle + reconcile (scan); metering when a session ends (billing/metering.py): its usage item,
# the analyzer's time meter, the enrollment's identity checks
WORKER_TABLES = {"sessions": "write", "questions": "read", "usage": "write", "meters": "read", "enrollments": "read"}
ANALYZER_TABLES = {
    "media-objects": "write",
    "sessions": "write",
    "violations": "write",
    "signal-states": "write",
    "meters": "write",  # analysis time per session, for metering (billing/analyzer_time.py)
}
# The identity checker reads the pending check and writes the decision on it; nothing else (the exam start copies
# the template onto the session, in the API).
IDENTITY_TABLES = {"enrollments": "write"}

RETAINED_STAGES = {"prod"}  # data survives a stack delete (and a replacement) there
# Reserved concurrency (docs/DEPLOY.md, "Concurrency"): capacity the API cannot take from the analyzer and the
# lifecycle consumer. 50 analyzer instances drain ~500 frames/s (10 per ~1 s batch); the consumer's messages are a
# few per session. The account's quota must leave 100 unreserved above the sum.
ANALYZER_RESERVED_CONCURRENCY = 50
LIFECYCLE_RESERVED_CONCURRENCY = 5
IDENTITY_RESERVED_CONCURRENCY = 20  # 100,000 candidates checking in over ~30 min: ~55 checks/s at ~0.4 s each
AUDIT_LOG_RETENTION_DAYS = 400  # a year and a bit: an exam season and its appeals
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Extra origins allowed to POST uploads to the media bucket, besides the site's own (the distribution's): dev keeps
# the local web front (local/web_server.py on port 8000) usable against the dev stack; prod needs none.
STAGE_DEFAULTS: dict[str, dict[str, str]] = {
    "local": {"WebOrigins": "http://localhost:8000,http://127.0.0.1:8000"},
    "dev": {"WebOrigins": "http://localhost:8000,http://127.0.0.1:8000"},
    "prod": {"WebOrigins": ""},
}


def camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def table_id(table: Table) -> str:
    return camel(table.suffix) + "Table"


def queue_id(queue: Queue) -> str:
    return camel(queue.suffix) + "Queue"


def dead_letter_queue_id(queue: Queue) -> str:
    return camel(queue.suffix) + "DeadLetterQueue"


def log_group_id(function_id: str) -> str:
    return function_id + "LogGroup"


def function_name(names: StackNames, function_id: str) -> str:
    if function_id == ANALYZER_ID:
        return names.prefix + "frame-analyzer"
    if function_id == IDENTITY_ID:
        return names.prefix + "identity-checker"
    return names.prefix + CHALICE_FUNCTIONS[function_id][0]


def media_bucket_name(names: StackNames) -> str:
    """S3 names are global: the stage's bucket name plus account and region (a Fn::Sub string)."""
    return f"{names.media_bucket}-${{AWS::AccountId}}-${{AWS::Region}}"


def media_bucket_arn(names: StackNames) -> str:
    """The media bucket's ARN spelled out (a Fn::Sub string), not `${MediaBucket.Arn}`.

    The bucket's CORS names the distribution's domain, the distribution's API origin names the REST API, and the REST
    API invokes the API function: a Ref or GetAtt of the bucket in that function or its role would close a cycle.
    The name is fixed by the template, so the functions and roles use it as a string and no dependency arises.
    """
    return f"arn:${{AWS::Partition}}:s3:::{media_bucket_name(names)}"


def _retention(stage: str) -> dict[str, str]:
    policy = "Retain" if stage in RETAINED_STAGES else "Delete"
    return {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def parameters(stage: str) -> Json:
    defaults = STAGE_DEFAULTS.get(stage, STAGE_DEFAULTS["dev"])
    web_origins: Json = {
        "Type": "CommaDelimitedList",
        "Description": "Extra origins allowed to POST uploads to the media bucket (CORS), besides the site's own "
        "https://<distribution domain>; empty = none",
    }
    if "WebOrigins" in defaults:
        web_origins["Default"] = defaults["WebOrigins"]
    return {
        "WebOrigins": web_origins,
        "MediaRetentionDays": {
            "Type": "Number",
            "Default": str(MEDIA_RETENTION_DAYS),
            "MinValue": 1,
            "MaxValue": 3650,
            "Description": f"Days before objects under {MEDIA_PREFIX} and {ENROLLMENT_PREFIX} expire",
        },
        "TransientMediaRetentionDays": {
            "Type": "Number",
            "Default": str(TRANSIENT_MEDIA_RETENTION_DAYS),
            "MinValue": 1,
            # Never longer than the shortest retention an agency may choose (30 days, MEDIA_RETENTION_DAYS): a
            # transient object never outlives what any agency asked for (the purge ends longer tiers anyway).
            "MaxValue": MEDIA_RETENTION_DAYS,
            "Description": f"Days before objects under {MEDIA_PREFIX} tagged {RETENTION_TAG}={TRANSIENT_TAG_VALUE} "
            f"(monitoring media that raised no violation) expire; evidence keeps MediaRetentionDays",
        },
        "LogRetentionDays": {
            "Type": "Number",
            "Default": "30",
            "AllowedValues": [str(d) for d in LOG_RETENTION_DAYS],
            "Description": "CloudWatch Logs retention of the functions and the state machine",
        },
        "AnalyzerReservedConcurrency": {
            "Type": "Number",
            "Default": str(ANALYZER_RESERVED_CONCURRENCY),
            "MinValue": 0,
            "Description": "Reserved concurrency of the frame analyzer, also its SQS event source's maximum "
            "concurrency (0 = no reservation; otherwise at least 2)",
        },
        "LifecycleReservedConcurrency": {
            "Type": "Number",
            "Default": str(LIFECYCLE_RESERVED_CONCURRENCY),
            "MinValue": 0,
            "Description": "Reserved concurrency of the lifecycle queue consumer, also its SQS event source's "
            "maximum concurrency (0 = no reservation; otherwise at least 2)",
        },
        "IdentityReservedConcurrency": {
            "Type": "Number",
            "Default": str(IDENTITY_RESERVED_CONCURRENCY),
            "MinValue": 0,
            "Description": "Reserved concurrency of the identity checker, also its SQS event source's maximum "
            "concurrency (0 = no reservation; otherwise at least 2)",
        },
        "AuditLogRetentionDays": {
            "Type": "Number",
            "Default": str(AUDIT_LOG_RETENTION_DAYS),
            "MinValue": 1,
            "MaxValue": 3650,
            "Description": f"Days the CloudTrail record of every access to {ENROLLMENT_PREFIX} (ID photos) is kept",
        },
        "AlarmEmail": {
            "Type": "String",
            "Default": "",
            "Description": "E-mail subscribed to the alarms' SNS topic (empty = no topic)",
        },
        "FaceEngine": {
            "Type": "String",
            "Default": "opencv",
            "AllowedValues": ["opencv", "rekognition"],
            "Description": "Default face engine (PROCTOR_FACE_ENGINE)",
        },
        "FaceEngineByAgency": {
            "Type": "String",
            "Default": "",
            "Description": "Per-agency engines, e.g. agency-a=rekognition (comma-separated)",
        },
    }


CONDITIONS: Json = {
    "HasExtraWebOrigins": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", ref("WebOrigins")]}, ""]}]},
    "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]},
    "LimitsAnalyzerConcurrency": {"Fn::Not": [{"Fn::Equals": [ref("AnalyzerReservedConcurrency"), "0"]}]},
    "LimitsLifecycleConcurrency": {"Fn::Not": [{"Fn::Equals": [ref("LifecycleReservedConcurrency"), "0"]}]},
    "LimitsIdentityConcurrency": {"Fn::Not": [{"Fn::Equals": [ref("IdentityReservedConcurrency"), "0"]}]},
    **edge.CONDITIONS,
}


def tables(names: StackNames, stage: str) -> Json:
    """One on-demand table per definition; keys and indexes are the very CreateTable request provision() sends."""
    resources: Json = {}
    for table in TABLES:
        properties = table_request(table, names.table(table))
        properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
        properties["SSESpecification"] = data_protection.table_encryption(table)
        if stage in RETAINED_STAGES:
            properties["DeletionProtectionEnabled"] = True
        if table.ttl_attribute:
            properties["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute, "Enabled": True}
        resources[table_id(table)] = {"Type": "AWS::DynamoDB::Table", **_retention(stage), "Properties": properties}
    return resources


def queues(names: StackNames) -> Json:
    resources: Json = {}
    for queue in QUEUES:
        resources[dead_letter_queue_id(queue)] = {
            "Type": "AWS::SQS::Queue",
            **EPHEMERAL,
            "Properties": {
                "QueueName": names.dead_letter_queue(queue),
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_S,
                "SqsManagedSseEnabled": True,
            },
        }
        resources[queue_id(queue)] = {
            "Type": "AWS::SQS::Queue",
            **EPHEMERAL,
            "Properties": {
                "QueueName": names.queue(queue),
                "VisibilityTimeout": queue.visibility_timeout_s,
                "MessageRetentionPeriod": QUEUE_RETENTION_S,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att(dead_letter_queue_id(queue)),
                    "maxReceiveCount": queue.max_receive_count,
                },
            },
        }
    # S3 may send the bucket's notifications to the media queue; nobody else gets in through the queue policy.
    bucket_arn = sub(media_bucket_arn(names))
    resources["MediaQueuePolicy"] = {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [ref(queue_id(MEDIA_QUEUE))],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "MediaBucketNotifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": get_att(queue_id(MEDIA_QUEUE)),
                        "Condition": {
                            "ArnEquals": {"aws:SourceArn": bucket_arn},
                            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
                        },
                    }
                ],
            },
        },
    }
    return resources


def media_bucket(names: StackNames, stage: str) -> Json:
    bucket_arn = get_att(BUCKET_ID)
    return {
        BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            **_retention(stage),
            "DependsOn": ["MediaQueuePolicy"],  # S3 checks it may send to the queue when the notification is set
            "Properties": {
                "BucketName": sub(media_bucket_name(names)),
                "BucketEncryption": data_protection.bucket_encryption(),
                # Evidence is immutable: a second upload to a key is a new version, the analysed one stays readable
                # by its VersionId; replaced and deleted versions expire after NONCURRENT_VERSION_DAYS.
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "CorsConfiguration": {
                    "CorsRules": [
                        {
                            "AllowedMethods": ["POST"],
                            "AllowedOrigins": web_origins(),
                            "AllowedHeaders": ["*"],
                            "MaxAge": 3600,
                        }
                    ]
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": f"expire-{prefix.strip('/')}",
                            "Status": "Enabled",
                            "Prefix": prefix,
                            "ExpirationInDays": ref("MediaRetentionDays"),
                            # Expiry and erasure leave non-current versions behind: they go too. Under sessions/ a
                            # version becomes non-current when a candidate re-uploads to an analysed key; if it is a
                            # violation's evidence it must outlive the re-upload (S3 applies the shortest matching
                            # expiry, so a 1-day rule here would erase it whatever its tag): non-current versions there
                            # keep MediaRetentionDays; the agency's daily purge deletes every version at its retention,
                            # and the transient tier's rule still drops non-current transient versions after a day.
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": ref("MediaRetentionDays")
                                if prefix == MEDIA_PREFIX
                                else NONCURRENT_VERSION_DAYS
                            },
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        }
                        for prefix in (MEDIA_PREFIX, ENROLLMENT_PREFIX)
                    ]
                    + [
                        # Retention tiers (chalicelib/media/retention.py): every upload form of a monitoring kind
                        # tags its object retention=transient, so this rule expires it after
                        # TransientMediaRetentionDays; the analyzer retags the version a violation uses as evidence
                        # retention=evidence before it records the violation, so only the rule above (every object
                        # under the prefix, MediaRetentionDays) and the agency's purge end evidence. Tags belong to
                        # a version: a retag writes no new version, so NoncurrentVersionExpiration never fires on it.
                        {
                            "Id": f"expire-transient-{MEDIA_PREFIX.strip('/')}",
                            "Status": "Enabled",
                            "Prefix": MEDIA_PREFIX,
                            "TagFilters": [{"Key": RETENTION_TAG, "Value": TRANSIENT_TAG_VALUE}],
                            "ExpirationInDays": ref("TransientMediaRetentionDays"),
                            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                        },
                        {
                            "Id": f"expire-{PROBE_PREFIX.strip('/')}",
                            "Status": "Enabled",
                            "Prefix": PROBE_PREFIX,
                            "ExpirationInDays": PROBE_RETENTION_DAYS,
                            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        },
                    ]
                },
                "NotificationConfiguration": {
                    "QueueConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Queue": get_att(queue_id(MEDIA_QUEUE)),
                            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": MEDIA_PREFIX}]}},
                        }
                    ]
                },
            },
        },
        "MediaBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref(BUCKET_ID),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [iam.tls_only(BUCKET_ID, bucket_arn)],
                },
            },
        },
    }


def site_origin() -> Json:
    """The web app's origin: the distribution's own domain (the site and the API share it)."""
    return sub(f"https://${{{DISTRIBUTION_ID}.DomainName}}")


def web_origins() -> Json:
    """The media bucket's CORS origins: the site's, then the extra `WebOrigins` (if any)."""
    extra = {"Fn::Join": [",", ref("WebOrigins")]}
    both = {"Fn::Split": [",", sub(f"https://${{{DISTRIBUTION_ID}.DomainName}},${{Extra}}", Extra=extra)]}
    return {"Fn::If": ["HasExtraWebOrigins", both, [site_origin()]]}


def media_sources(names: StackNames) -> list[str]:
    """CSP sources of the media bucket as the browser reaches it: the API presigns path-style URLs
    (chalicelib/wiring.py), https://s3.<region>.amazonaws.com/<bucket> and, in us-east-1, https://s3.amazonaws.com/<bucket>.
    Each is listed exact (the presigned POST goes to the bucket itself) and with a trailing slash (its objects)."""
    bucket = media_bucket_name(names)
    hosts = ("s3.${AWS::Region}.${AWS::URLSuffix}", "s3.${AWS::URLSuffix}")
    return [f"https://{host}/{bucket}{slash}" for host in hosts for slash in ("", "/")]


def content_security_policy(names: StackNames) -> str:
    """Fn::Sub text of the site's CSP. Same-origin API: connect-src needs only 'self' and the media bucket.

    blob: in script-src is the audio tap's AudioWorklet module (web/src/shared/media/audio.ts builds it from a Blob);
    blob: in img-src the identity photos' previews. No inline script or style element: Vite emits files, and Preact
    sets style properties through the CSSOM, which CSP does not govern.
    """
    media = " ".join(media_sources(names))
    directives = [
        "default-src 'self'",
        "script-src 'self' blob:",
        "style-src 'self'",
        f"img-src 'self' blob: data: {media}",
        f"media-src 'self' blob: {media}",
        f"connect-src 'self' {media}",
        "worker-src 'self' blob:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "upgrade-insecure-requests",
    ]
    return "; ".join(directives)


# Viewer-request function of the default (S3) behavior: a path whose last segment has no extension is one of the
# single-page app's routes, served as /index.html. Why not CustomErrorResponses (403/404 -> /index.html, 200): they
# apply to the whole distribution, so an API 403 or 404 under /api/* would become the app's HTML with status 200.
# /api/* has its own behavior and never reaches this function; the check on the prefix keeps that true if the
# behaviors are ever reordered. A missing asset (a dot in its name) stays a 404 from S3.
SPA_ROUTES_CODE = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.indexOf('/api/') !== 0 && uri.split('/').pop().indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""


def headers_policy(name: Json, comment: str, csp: Json | str, custom: dict[str, str] | None = None) -> Json:
    """A response headers policy; its headers replace any the origin sends."""
    config: Json = {
        "Name": name,
        "Comment": comment,
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {
                "AccessControlMaxAgeSec": HSTS_MAX_AGE_S,
                "IncludeSubdomains": True,
                "Override": True,
            },
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"FrameOption": "DENY", "Override": True},
            "ReferrerPolicy": {"ReferrerPolicy": "no-referrer", "Override": True},
            "ContentSecurityPolicy": {"ContentSecurityPolicy": csp, "Override": True},
        },
    }
    if custom:
        config["CustomHeadersConfig"] = {
            "Items": [{"Header": header, "Value": value, "Override": True} for header, value in custom.items()]
        }
    return {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": config}}


def site(names: StackNames) -> Json:
    """The web app: a private bucket behind CloudFront (origin access control), and /api/* to API Gateway.

    One origin for the app and its API: no CORS preflights, no CORS on the API at all. The media bucket is the only
    cross-origin target (presigned POST uploads), allowed by its CORS rule and the CSP's connect-src.
    CloudFront names (function, policies, OAC) are global per account: the region keeps two regions' stacks apart.
    """
    global_name = f"{names.prefix}${{AWS::Region}}-"
    distribution_arn = sub(
        f"arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:distribution/${{{DISTRIBUTION_ID}}}"
    )
    site_arn = get_att(SITE_BUCKET_ID)
    return {
        SITE_BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            # Build output only (make package rebuilds it): deleted with the stack, which `--delete` empties first.
            # No versioning: a rollback is a redeploy of an earlier commit, and stale files are deleted on publish.
            **EPHEMERAL,
            "Properties": {
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
            },
        },
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref(SITE_BUCKET_ID),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            # Only this distribution (signing as CloudFront through the OAC) reads the files;
                            # ListBucket makes a missing file a 404 rather than a 403.
                            "Sid": "SiteDistributionOnly",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [site_arn, sub(f"${{{SITE_BUCKET_ID}.Arn}}/*")],
                            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                        },
                        iam.tls_only(SITE_BUCKET_ID, site_arn),
                    ],
                },
            },
        },
        SITE_OAC_ID: {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub(global_name + "site"),
                    "Description": "CloudFront signs its requests to the site bucket (SigV4)",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        SPA_FUNCTION_ID: {
            "Type": "AWS::CloudFront::Function",
            "Properties": {
                "Name": sub(global_name + "spa-routes"),
                "AutoPublish": True,
                "FunctionConfig": {
                    "Comment": "Extension-less paths outside /api/ -> /index.html (the app's routes)",
                    "Runtime": "cloudfront-js-2.0",
                },
                "FunctionCode": SPA_ROUTES_CODE,
            },
        },
        HEADERS_POLICY_ID: headers_policy(
            sub(global_name + "site-headers"),
            "The app: HSTS, nosniff, no framing, no referrer, CSP (same origin + the media bucket), permissions",
            sub(content_security_policy(names)),
            {"Permissions-Policy": "camera=(self), microphone=(self), display-capture=(self), geolocation=()"},
        ),
        API_HEADERS_POLICY_ID: headers_policy(
            sub(global_name + "api-headers"),
            "The API's JSON: HSTS, nosniff, no framing, no referrer, a CSP that lets a response load nothing",
            API_CSP,
        ),
        DISTRIBUTION_ID: {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Comment": f"Proctor web app and API, stage {names.stage}",
                    "WebACLId": edge.distribution_web_acl(),
                    "Enabled": True,
                    "HttpVersion": "http2and3",
                    "IPV6Enabled": True,
                    "PriceClass": SITE_PRICE_CLASS,
                    "DefaultRootObject": "index.html",
                    "Origins": [
                        {
                            "Id": "site",
                            "DomainName": get_att(SITE_BUCKET_ID, "RegionalDomainName"),
                            "OriginAccessControlId": get_att(SITE_OAC_ID, "Id"),
                            "S3OriginConfig": {"OriginAccessIdentity": ""},  # empty: access is the OAC's
                        },
                        {
                            "Id": "api",
                            "DomainName": sub(f"${{{REST_API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"),
                            "CustomOriginConfig": {
                                "OriginProtocolPolicy": "https-only",
                                "OriginSSLProtocols": ["TLSv1.2"],
                            },
                        },
                    ],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "site",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "Compress": True,
                        "CachePolicyId": CACHING_OPTIMIZED,  # honours the Cache-Control the deploy sets per file
                        "ResponseHeadersPolicyId": ref(HEADERS_POLICY_ID),
                        "FunctionAssociations": [
                            {"EventType": "viewer-request", "FunctionARN": get_att(SPA_FUNCTION_ID, "FunctionARN")}
                        ],
                    },
                    "CacheBehaviors": [
                        {
                            "PathPattern": API_PATH,
                            "TargetOriginId": "api",
                            # A plain-HTTP call would already have sent its bearer token in clear: refuse (403)
                            # rather than redirect (a redirected POST loses its body anyway).
                            "ViewerProtocolPolicy": "https-only",
                            "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                            "CachedMethods": ["GET", "HEAD"],
                            "Compress": True,
                            "CachePolicyId": CACHING_DISABLED,
                            # Every header (Authorization included, allowed when caching is disabled), cookie and
                            # query string, but not Host: API Gateway routes by its own host name.
                            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
                            "ResponseHeadersPolicyId": ref(API_HEADERS_POLICY_ID),
                        }
                    ],
                    "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
                }
            },
        },
    }


def state_machine(names: StackNames) -> Json:
    return {
        "SessionLifecycleLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            **EPHEMERAL,
            "Properties": {
                "LogGroupName": f"/aws/vendedlogs/states/{names.state_machine}",
                "RetentionInDays": ref("LogRetentionDays"),
            },
        },
        STATE_MACHINE_ROLE_ID: iam.role(
            "Session lifecycle state machine: task-token messages to the lifecycle queue, traces, error logs",
            "states.amazonaws.com",
            "session-lifecycle",
            [
                allow(["sqs:SendMessage"], get_att(queue_id(LIFECYCLE_QUEUE))),
                allow(iam.XRAY_WRITE, "*"),
                allow(iam.STATES_LOG_DELIVERY, "*"),
            ],
            source_account=True,
        ),
        STATE_MACHINE_ID: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": names.state_machine,
                "StateMachineType": "STANDARD",  # waits last up to the review window (days); Express stops at 5 min
                "DefinitionString": STATE_MACHINE_FILE.read_text(),
                "DefinitionSubstitutions": {"LifecycleQueueUrl": ref(queue_id(LIFECYCLE_QUEUE))},
                "RoleArn": get_att(STATE_MACHINE_ROLE_ID),
                "TracingConfiguration": {"Enabled": True},
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": False,  # no candidate data in the logs
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": get_att("SessionLifecycleLogGroup")}}],
                },
            },
        },
    }


def jwt_secret(stage: str) -> Json:
    return {
        SECRET_ID: {
            "Type": "AWS::SecretsManager::Secret",
            **_retention(stage),
            "Properties": {
                "Description": "HS256 signing key of the API's bearer tokens (PROCTOR_JWT_SECRET)",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        }
    }


def environment(names: StackNames, stage: str) -> Json:
    """The settings every function reads (chalicelib/core/settings.py); AWS_ENDPOINT_URL stays unset on AWS.

    The JWT signing key is not in any environment: only its secret's ARN. The API reads the value from Secrets Manager
    once per process, on first use (the other functions never sign or check a token, and may not read it).
    """
    return {
        "PROCTOR_STAGE": stage,
        "PROCTOR_TABLE_PREFIX": names.prefix,
        "PROCTOR_MEDIA_BUCKET": sub(media_bucket_name(names)),  # not a Ref: see media_bucket_arn
        "PROCTOR_MEDIA_QUEUE_URL": ref(queue_id(MEDIA_QUEUE)),
        "PROCTOR_LIFECYCLE_QUEUE_URL": ref(queue_id(LIFECYCLE_QUEUE)),
        "PROCTOR_LIFECYCLE_QUEUE_NAME": get_att(queue_id(LIFECYCLE_QUEUE), "QueueName"),
        "PROCTOR_IDENTITY_QUEUE_URL": ref(queue_id(IDENTITY_QUEUE)),
        "PROCTOR_STATE_MACHINE_ARN": ref(STATE_MACHINE_ID),
        "PROCTOR_JWT_SECRET_ARN": ref(SECRET_ID),
        "PROCTOR_FACE_ENGINE": ref("FaceEngine"),
        "PROCTOR_FACE_ENGINE_BY_AGENCY": ref("FaceEngineByAgency"),
    }


def _table_access(grants: dict[str, str], scan: tuple[str, ...] = ()) -> list[Json]:
    by_suffix = {t.suffix: t for t in TABLES}
    statements = []
    for level in ("read", "write"):
        chosen = [by_suffix[s] for s, granted in grants.items() if granted == level]
        if chosen:
            actions = iam.DYNAMODB_READ + (iam.DYNAMODB_WRITE if level == "write" else ())
            statements.append(allow(actions, [arn for t in chosen for arn in iam.table_arns(table_id(t), t)]))
    if scan:
        statements.append(allow(iam.DYNAMODB_SCAN, [get_att(table_id(by_suffix[s])) for s in scan]))
    return statements


def _list_bucket(bucket: Json, prefixes: tuple[str, ...]) -> Json:
    """ListBucket/ListBucketVersions on the media bucket, for keys under the given prefixes only."""
    condition = {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}}
    return allow(["s3:ListBucket", "s3:ListBucketVersions"], bucket, condition)


def _only_retention_tag(value: str) -> Json:
    """An IAM condition: the request's tag set is exactly retention=<value>."""
    return {
        "StringEquals": {f"s3:RequestObjectTag/{RETENTION_TAG}": value},
        "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": [RETENTION_TAG]},
    }


def _table(suffix: str):
    return next(t for t in TABLES if t.suffix == suffix)


def roles(names: StackNames) -> Json:
    bucket_arn = media_bucket_arn(names)  # not a GetAtt: see media_bucket_arn
    bucket = sub(bucket_arn)
    both_prefixes = (MEDIA_PREFIX, ENROLLMENT_PREFIX)
    machine = ref(STATE_MACHINE_ID)
    executions = iam.executions_arn(names.state_machine)
    encrypted_tables = tuple(names.table(t) for t in TABLES if t.suffix in data_protection.ENCRYPTED_TABLES)
    api = [
        *_table_access({t.suffix: "write" for t in TABLES}),
        # Presigned POST/GET are signed with this role's credentials (GET by VersionId: immutable evidence links).
        allow(
            ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
            iam.object_arns(bucket_arn, (*both_prefixes, PROBE_PREFIX)),
        ),
        # The upload forms of monitoring media carry the field tagging=retention:transient (retention tiers): S3
        # stores an upload with tags only if the form's signer may s3:PutObjectTagging; with that one tag only.
        allow(
            ["s3:PutObjectTagging"],
            iam.object_arns(bucket_arn, (MEDIA_PREFIX,)),
            _only_retention_tag(TRANSIENT_TAG_VALUE),
        ),
        # Biometric erasure on request deletes every version of a candidate's enrollment photos; a candidate's
        # deletion on request and the per-agency retention purge (PurgeMedia, same role) delete session media.
        allow(["s3:DeleteObject", "s3:DeleteObjectVersion"], iam.object_arns(bucket_arn, both_prefixes)),
        # Listing (ListObjectsV2, ListObjectVersions) only under the app's prefixes; HeadBucket is the health check.
        # A HeadObject of a missing key answers 403 rather than 404 with this condition (the code treats both alike).
        _list_bucket(bucket, (*both_prefixes, PROBE_PREFIX)),
        *data_protection.key_use(bucket_arn, (*data_protection.KMS_READ, *data_protection.KMS_WRITE), encrypted_tables),
        allow(["secretsmanager:GetSecretValue"], ref(SECRET_ID)),  # the JWT signing key, once per process
        allow(["sqs:GetQueueAttributes"], get_att(queue_id(MEDIA_QUEUE))),  # health check
        allow(iam.SQS_SEND, get_att(queue_id(IDENTITY_QUEUE))),  # identity checks, decided by the identity checker
        allow(["states:StartExecution", "states:DescribeStateMachine", *iam.TASK_RESPONSE], machine),
        allow(["states:DescribeExecution"], executions),
        allow(iam.XRAY_WRITE, "*"),
        iam.log_streams([log_group_id("APIHandler"), log_group_id("PurgeMedia")]),
    ]
    worker = [
        *_table_access(WORKER_TABLES, scan=("sessions",)),
        allow(iam.SQS_CONSUME, get_att(queue_id(LIFECYCLE_QUEUE))),
        _list_bucket(bucket, (MEDIA_PREFIX,)),  # metering counts a session's media objects and bytes
        # Metering reads the enrollment's identity-check count; the table is under the customer key (read only)
        *data_protection.table_key_use(data_protection.KMS_READ, (names.table(_table("enrollments")),)),
        allow(["states:StartExecution", *iam.TASK_RESPONSE], machine),
        allow(["states:DescribeExecution"], executions),
        allow(iam.XRAY_WRITE, "*"),
        iam.log_streams([log_group_id("HandleLifecycle"), log_group_id("ReconcileSessions")]),
    ]
    analyzer = [
        *_table_access(ANALYZER_TABLES),
        # Frames under sessions/ (by VersionId: the version that was uploaded is the one analysed); the enrollment
        # selfie under enrollment/ is Rekognition's CompareFaces reference. It writes no object: Decrypt only.
        allow(["s3:GetObject", "s3:GetObjectVersion"], iam.object_arns(bucket_arn, both_prefixes)),
        _list_bucket(bucket, both_prefixes),
        # Retention tiers: the object version a violation uses as evidence is retagged retention=evidence before the
        # violation is recorded (PutObjectTagging with VersionId = s3:PutObjectVersionTagging), and nothing else.
        allow(
            ["s3:PutObjectTagging", "s3:PutObjectVersionTagging"],
            iam.object_arns(bucket_arn, (MEDIA_PREFIX,)),
            _only_retention_tag(EVIDENCE_TAG_VALUE),
        ),
        *data_protection.key_use(bucket_arn, data_protection.KMS_READ),
        allow(iam.SQS_CONSUME, get_att(queue_id(MEDIA_QUEUE))),
        allow(iam.REKOGNITION, "*"),
        allow(iam.XRAY_WRITE, "*"),
        iam.log_streams([log_group_id(ANALYZER_ID)]),
    ]
    identity = [
        *_table_access(IDENTITY_TABLES),
        # Both photos of a check, read by key; the checker writes no object.
        allow(["s3:GetObject", "s3:GetObjectVersion"], iam.object_arns(bucket_arn, (ENROLLMENT_PREFIX,))),
        _list_bucket(bucket, (ENROLLMENT_PREFIX,)),
        # Photos under the bucket key and the enrollments table (face templates) are under the customer key.
        *data_protection.key_use(
            bucket_arn,
            (*data_protection.KMS_READ, *data_protection.KMS_WRITE),
            (names.table(_table("enrollments")),),
        ),
        allow(iam.SQS_CONSUME, get_att(queue_id(IDENTITY_QUEUE))),
        allow(iam.REKOGNITION, "*"),  # agencies on the rekognition engine (DetectFaces, CompareFaces): no ARN
        allow(iam.XRAY_WRITE, "*"),
        iam.log_streams([log_group_id(IDENTITY_ID)]),
    ]
    return {
        API_ROLE_ID: iam.role(
            "API Lambda: every table, media uploads and evidence, session lifecycle",
            "lambda.amazonaws.com",
            "proctor-api",
            api,
        ),
        WORKER_ROLE_ID: iam.role(
            "Lifecycle queue consumer and reconcile schedule: sessions and executions",
            "lambda.amazonaws.com",
            "proctor-lifecycle",
            worker,
        ),
        ANALYZER_ROLE_ID: iam.role(
            "Frame analyzer: media queue, media objects, ledger and violations",
            "lambda.amazonaws.com",
            "proctor-frame-analyzer",
            analyzer,
        ),
        IDENTITY_ROLE_ID: iam.role(
            "Identity checker: identity queue, enrollment photos, the enrollment decision",
            "lambda.amazonaws.com",
            "proctor-identity-checker",
            identity,
        ),
    }


def log_groups(names: StackNames) -> Json:
    return {
        log_group_id(function_id): {
            "Type": "AWS::Logs::LogGroup",
            **EPHEMERAL,
            "Properties": {
                "LogGroupName": f"/aws/lambda/{function_name(names, function_id)}",
                "RetentionInDays": ref("LogRetentionDays"),
            },
        }
        for function_id in (*CHALICE_FUNCTIONS, ANALYZER_ID, IDENTITY_ID)
    }


def analyzer(names: StackNames, stage: str, architecture: str = LAMBDA_ARCHITECTURE) -> Json:
    limit = ref("AnalyzerReservedConcurrency")
    return {
        ANALYZER_ID: {
            "Type": "AWS::Serverless::Function",
            "DependsOn": [log_group_id(ANALYZER_ID)],
            "Properties": {
                "FunctionName": function_name(names, ANALYZER_ID),
                "Description": "S3 notifications via the media queue -> face, gaze, lighting and speech checks",
                "CodeUri": ANALYZER_CODE,
                "Handler": ANALYZER_HANDLER,
                "Runtime": LAMBDA_RUNTIME,
                "Architectures": [architecture],
                "MemorySize": ANALYZER_MEMORY_MB,
                "Timeout": ANALYZER_TIMEOUT_S,
                "Tracing": "Active",
                "Role": get_att(ANALYZER_ROLE_ID),
                "ReservedConcurrentExecutions": {"Fn::If": ["LimitsAnalyzerConcurrency", limit, ref("AWS::NoValue")]},
                "Environment": {"Variables": environment(names, stage)},
                "Events": {
                    "MediaQueue": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": get_att(queue_id(MEDIA_QUEUE)),
                            "BatchSize": ANALYZER_BATCH_SIZE,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            # Without this cap, pollers beyond the reserved concurrency get throttled and every throttle
                            # counts as a receive: messages would reach the DLQ untried.
                            "ScalingConfig": {
                                "Fn::If": [
                                    "LimitsAnalyzerConcurrency",
                                    {"MaximumConcurrency": limit},
                                    ref("AWS::NoValue"),
                                ]
                            },
                        },
                    }
                },
            },
        }
    }


def identity_checker(names: StackNames, stage: str, architecture: str = LAMBDA_ARCHITECTURE) -> Json:
    limit = ref("IdentityReservedConcurrency")
    return {
        IDENTITY_ID: {
            "Type": "AWS::Serverless::Function",
            "DependsOn": [log_group_id(IDENTITY_ID)],
            "Properties": {
                "FunctionName": function_name(names, IDENTITY_ID),
                "Description": "Identity-check jobs via the identity queue -> face detection, quality gates, match",
                "CodeUri": IDENTITY_CODE,
                "Handler": IDENTITY_HANDLER,
                "Runtime": LAMBDA_RUNTIME,
                "Architectures": [architecture],
                "MemorySize": IDENTITY_MEMORY_MB,
                "Timeout": IDENTITY_TIMEOUT_S,
                "Tracing": "Active",
                "Role": get_att(IDENTITY_ROLE_ID),
                "ReservedConcurrentExecutions": _if_limited("LimitsIdentityConcurrency", limit),
                "Environment": {"Variables": environment(names, stage)},
                "Events": {
                    "IdentityQueue": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": get_att(queue_id(IDENTITY_QUEUE)),
                            "BatchSize": IDENTITY_BATCH_SIZE,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            "ScalingConfig": _if_limited("LimitsIdentityConcurrency", {"MaximumConcurrency": limit}),
                        },
                    }
                },
            },
        }
    }


def alarms(names: StackNames) -> Json:
    actions = {"Fn::If": ["HasAlarmEmail", [ref(ALARM_TOPIC_ID)], ref("AWS::NoValue")]}

    def alarm(
        name: str, description: str, namespace: str, metric: str, dimension: tuple[str, Json], statistic: str
    ) -> Json:
        return {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": names.prefix + name,
                "AlarmDescription": description,
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
                "Statistic": statistic,
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": actions,
                "OKActions": actions,
            },
        }

    resources: Json = {
        ALARM_TOPIC_ID: {
            "Type": "AWS::SNS::Topic",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicName": names.prefix + "alarms",
                "Subscription": [{"Protocol": "email", "Endpoint": ref("AlarmEmail")}],
            },
        }
    }
    for queue in QUEUES:
        dlq = dead_letter_queue_id(queue)
        resources[dlq + "Alarm"] = alarm(
            f"{queue.suffix}-dlq-not-empty",
            f"Messages of the {queue.suffix} queue failed {queue.max_receive_count} times and wait in its DLQ",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", get_att(dlq, "QueueName")),
            "Maximum",
        )
    resources[ANALYZER_ID + "ErrorsAlarm"] = alarm(
        "frame-analyzer-errors",
        "The frame analyzer failed invocations (whole batches, not single records)",
        "AWS/Lambda",
        "Errors",
        ("FunctionName", ref(ANALYZER_ID)),
        "Sum",
    )
    resources[IDENTITY_ID + "ErrorsAlarm"] = alarm(
        "identity-checker-errors",
        "The identity checker failed invocations",
        "AWS/Lambda",
        "Errors",
        ("FunctionName", ref(IDENTITY_ID)),
        "Sum",
    )
    return resources


def chalice_overrides(names: StackNames, stage: str, architecture: str = LAMBDA_ARCHITECTURE) -> Json:
    """Deep-merged into Chalice's own resources (lists are replaced, dicts merged)."""
    env = environment(names, stage)
    resources: Json = {}
    for function_id, (_, role_id) in CHALICE_FUNCTIONS.items():
        resources[function_id] = {
            "DependsOn": [log_group_id(function_id)],
            "Properties": {
                "FunctionName": function_name(names, function_id),
                "Runtime": LAMBDA_RUNTIME,
                "Architectures": [architecture],
                "Tracing": "Active",
                "Role": get_att(role_id),
                "Environment": {"Variables": env},
            },
        }
    function_id, event_id = LIFECYCLE_EVENT_SOURCE
    # Chalice writes the queue ARN as a Fn::Sub string of the queue name, with no dependency on the queue; a Fn::Sub
    # here replaces that string (the merge is key by key) and makes CloudFormation create the queue first.
    # Reserved concurrency: a flood of API calls cannot take the consumer's capacity; its event source polls no more
    # than that (else throttled receives would count towards the DLQ), as the analyzer's does.
    limit = ref("LifecycleReservedConcurrency")
    resources[function_id]["Properties"]["ReservedConcurrentExecutions"] = _if_limited(
        "LimitsLifecycleConcurrency", limit
    )
    resources[function_id]["Properties"]["Events"] = {
        event_id: {
            "Properties": {
                "Queue": sub(f"${{{queue_id(LIFECYCLE_QUEUE)}.Arn}}"),
                "ScalingConfig": _if_limited("LimitsLifecycleConcurrency", {"MaximumConcurrency": limit}),
            }
        }
    }
    resources[REST_API_ID] = edge.rest_api_overrides()
    return resources


def _if_limited(condition: str, value: Json) -> Json:
    return {"Fn::If": [condition, value, ref("AWS::NoValue")]}


def outputs(names: StackNames) -> Json:
    values = {
        "SiteUrl": site_origin(),
        "SiteBucketName": ref(SITE_BUCKET_ID),
        "SiteDistributionId": ref(DISTRIBUTION_ID),
        "MediaBucketName": ref(BUCKET_ID),
        "MediaQueueUrl": ref(queue_id(MEDIA_QUEUE)),
        "LifecycleQueueUrl": ref(queue_id(LIFECYCLE_QUEUE)),
        "StateMachineArn": ref(STATE_MACHINE_ID),
        "JwtSecretArn": ref(SECRET_ID),
        "BiometricDataKeyArn": get_att(data_protection.DATA_KEY_ID),
        "AuditLogBucketName": ref(data_protection.AUDIT_BUCKET_ID),
        "ApiAccessLogGroup": ref(edge.ACCESS_LOG_GROUP_ID),
        "FrameAnalyzerName": ref(ANALYZER_ID),
        "IdentityQueueUrl": ref(queue_id(IDENTITY_QUEUE)),
        "IdentityCheckerName": ref(IDENTITY_ID),
        "TablePrefix": names.prefix,
    }
    return {key: {"Value": value} for key, value in values.items()}


def merge_template(stage: str, architecture: str = LAMBDA_ARCHITECTURE) -> Json:
    """The template passed to `chalice package --merge-template` for one stage (its Lambdas on `architecture`)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown Lambda architecture {architecture!r}; one of {ARCHITECTURES}")
    names = StackNames(stage)
    resources: Json = {}
    for part in (
        tables(names, stage),
        queues(names),
        media_bucket(names, stage),
        site(names),
        state_machine(names),
        jwt_secret(stage),
        data_protection.key(names, _retention(stage)),
        data_protection.audit_trail(names, media_bucket_arn(names)),
        edge.resources(names, _retention(stage)),
        roles(names),
        log_groups(names),
        analyzer(names, stage, architecture),
        identity_checker(names, stage, architecture),
        alarms(names),
        chalice_overrides(names, stage, architecture),
    ):
        overlap = resources.keys() & part.keys()
        assert not overlap, f"logical ids defined twice: {overlap}"
        resources.update(part)
    return {
        "Description": f"Proctor exam-proctoring platform, stage {stage} (generated by infra/template.py)",
        "Parameters": {**parameters(stage), **edge.parameters(LOG_RETENTION_DAYS)},
        "Conditions": CONDITIONS,
        "Resources": resources,
        "Outputs": outputs(names),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    print(json.dumps(merge_template(parser.parse_args(argv).stage), indent=2))


if __name__ == "__main__":
    main()
