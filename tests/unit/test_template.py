"""The deployable template: it builds offline, cfn-lint finds no error, IAM is least-privilege, settings are complete.

The stack is built exactly as `make package` builds it (infra.package.build), minus the Lambda dependencies: the
code-only zips take a second and no network, and the template does not depend on them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.core.settings import load_settings
from infra import data_protection, deploy, edge, iam, package, template
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
    TABLES,
    StackNames,
    state_machine_definition,
)
from tests.paths import REPO_ROOT

STAGES = ("dev", "prod")
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "proctor-test",
    "AWS::NoValue": None,
}
DATA_SERVICES = {"dynamodb", "s3", "sqs", "states", "secretsmanager"}
# ARN path words that name a resource type: a wildcard right after one of them means "every resource of the type".
TYPE_WORDS = {
    "table",
    "index",
    "stream",
    "backup",
    "export",
    "import",
    "stateMachine",
    "execution",
    "express",
    "activity",
    "mapRun",
    "secret",
}
ALLOWED_MANAGED_POLICIES: set[str] = set()
# Bucket policies whose whole point is reading every object: the site bucket's files are all served to anyone through
# CloudFront. Admitted only for CloudFront's service principal on this stack's distribution (checked below).
WHOLE_BUCKET_READERS = {"SiteBucketPolicy"}
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
WEB_FILES = {"index.html": "<!doctype html><title>t</title>", "assets/index-DT3rawCO.js": "x", "assets/a.js.map": "{}"}


@pytest.fixture(scope="module")
def web_dist(tmp_path_factory) -> Path:
    """A stand-in for web/dist (the tests do not need npm)."""
    dist = tmp_path_factory.mktemp("dist")
    for name, text in WEB_FILES.items():
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(text)
    return dist


@pytest.fixture(scope="module", params=STAGES)
def built(request, tmp_path_factory, web_dist) -> dict[str, Any]:
    out = tmp_path_factory.mktemp(f"build-{request.param}")
    result = package.build(request.param, out, deps=False, run_lint=False, web_dist=web_dist, log=lambda *_: None)
    result["stage"] = request.param
    result["json"] = json.loads(result["template"].read_text())
    return result


@pytest.fixture(scope="module")
def generated(built) -> dict[str, Any]:
    return built["json"]


def of_type(tpl: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in tpl["Resources"].items() if r["Type"] == resource_type}


class Renderer:
    """Intrinsic functions → plausible concrete strings (ARNs, names, URLs) for checks on the template."""

    def __init__(self, tpl: dict[str, Any]) -> None:
        self.tpl = tpl
        self.resources = tpl["Resources"]

    def _name(self, logical_id: str, prop: str) -> str:
        value = self.resources[logical_id].get("Properties", {}).get(prop)
        return self.render(value) if value is not None else logical_id

    def ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.tpl.get("Parameters", {}):
            default = self.tpl["Parameters"][name].get("Default")
            return default if default is not None else f"param-{name}"
        kind = self.resources[name]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.us-east-1.amazonaws.com/123456789012/{self._name(name, 'QueueName')}"
        if kind == "AWS::StepFunctions::StateMachine":
            return f"arn:aws:states:us-east-1:123456789012:stateMachine:{self._name(name, 'StateMachineName')}"
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:us-east-1:123456789012:{self._name(name, 'TopicName')}"
        if kind == "AWS::CloudFront::Distribution":
            return "E2EXAMPLE0DIST"
        if kind == "AWS::KMS::Key":
            return "1234abcd-12ab-34cd-56ef-1234567890ab"
        prop = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::Serverless::Function": "FunctionName",
        }.get(kind)
        return self._name(name, prop) if prop else name

    def get_att(self, name: str, attribute: str) -> str:
        kind = self.resources[name]["Type"]
        if attribute == "QueueName":
            return self._name(name, "QueueName")
        if (kind, attribute) == ("AWS::CloudFront::Distribution", "DomainName"):
            return DISTRIBUTION_DOMAIN
        arns = {
            "AWS::DynamoDB::Table": lambda: f"arn:aws:dynamodb:us-east-1:123456789012:table/{self.ref(name)}",
            "AWS::SQS::Queue": lambda: f"arn:aws:sqs:us-east-1:123456789012:{self._name(name, 'QueueName')}",
            "AWS::S3::Bucket": lambda: f"arn:aws:s3:::{self.ref(name)}",
            "AWS::Logs::LogGroup": lambda: f"arn:aws:logs:us-east-1:123456789012:log-group:{self.ref(name)}:*",
            "AWS::IAM::Role": lambda: f"arn:aws:iam::123456789012:role/{name}",
            "AWS::Serverless::Function": lambda: f"arn:aws:lambda:us-east-1:123456789012:function:{self.ref(name)}",
            "AWS::KMS::Key": lambda: f"arn:aws:kms:us-east-1:123456789012:key/{self.ref(name)}",
            "AWS::WAFv2::WebACL": lambda: f"arn:aws:wafv2:us-east-1:123456789012:regional/webacl/{name}/a1b2",
        }
        assert attribute == "Arn" and kind in arns, f"no rendering for {name}.{attribute} ({kind})"
        return arns[kind]()

    def _sub(self, text: str, values: dict[str, Any]) -> str:
        def replace(match: re.Match) -> str:
            token = match.group(1)
            if token in values:
                return str(self.render(values[token]))
            if "." in token and token.split(".")[0] in self.resources:
                return self.get_att(*token.split(".", 1))
            return str(self.ref(token))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def render(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.render(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
            if key == "Fn::Sub":
                text, values = (arg, {}) if isinstance(arg, str) else arg
                return self._sub(text, values)
            if key == "Fn::Join":
                joined = self.render(arg[1])
                return arg[0].join(str(v) for v in (joined if isinstance(joined, list) else [joined]))
            if key == "Fn::Split":
                return str(self.render(arg[1])).split(arg[0])
            if key == "Fn::If":  # both branches: a wildcard must not hide behind a condition
                return [self.render(v) for v in arg[1:] if v != {"Ref": "AWS::NoValue"}]
        return {k: self.render(v) for k, v in value.items()}


def policy_statements(tpl: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(resource id, statement) for every policy document anywhere in the template, trust policies excluded."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(owner: str, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            if "Statement" in value and key != "AssumeRolePolicyDocument":
                statements = value["Statement"]
                found.extend((owner, s) for s in (statements if isinstance(statements, list) else [statements]))
                return
            for k, v in value.items():
                walk(owner, v, k)
        elif isinstance(value, list):
            for v in value:
                walk(owner, v, key)

    for logical_id, resource in tpl["Resources"].items():
        walk(logical_id, resource.get("Properties", {}))
    return found


def too_broad(resource: str) -> str | None:
    """Why an ARN covers more than named data resources (None when it does not)."""
    if resource == "*":
        return "every resource"
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "not an ARN"
    _, partition, service, region, account, path = parts
    if "*" in partition + region + account:
        return "wildcard partition, region or account"
    if service == "s3":
        bucket, _, key = path.partition("/")
        if "*" in bucket:
            return "wildcard bucket"
        if key and "*" in key.split("/")[0]:
            return "every object of the bucket (use a key prefix)"
        return None
    segments = re.split(r"[:/]", path)
    for position, segment in enumerate(segments):
        if "*" not in segment:
            continue
        if segment != "*" or position != len(segments) - 1:
            return "partial or inner wildcard"
        if position == 0 or segments[position - 1] in TYPE_WORDS:
            return f"every {segments[position - 1] if position else 'resource'}"
    return None


def is_site_distribution_grant(owner: str, statement: dict[str, Any]) -> bool:
    """CloudFront reading the site bucket for this stack's distribution only (see WHOLE_BUCKET_READERS)."""
    source = statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn")
    return (
        owner in WHOLE_BUCKET_READERS
        and statement.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
        and set(statement["Action"]) <= {"s3:GetObject", "s3:ListBucket"}
        and source is not None
        and f"${{{template.DISTRIBUTION_ID}}}" in json.dumps(source)
    )


def data_violations(tpl: dict[str, Any]) -> list[str]:
    renderer = Renderer(tpl)
    problems = []
    for owner, statement in policy_statements(tpl):
        if statement.get("Effect") != "Allow" or is_site_distribution_grant(owner, statement):
            continue
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{owner}: NotAction/NotResource in an Allow statement")
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        data_actions = [a for a in actions if a == "*" or a.split(":")[0] in DATA_SERVICES]
        for action in data_actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{owner}: action {action}")
        if not data_actions:
            continue
        rendered = renderer.render(statement["Resource"])
        for resource in rendered if isinstance(rendered, list) else [rendered]:
            for arn in resource if isinstance(resource, list) else [resource]:
                reason = too_broad(arn)
                if reason:
                    problems.append(f"{owner}: {sorted(data_actions)} on {arn} ({reason})")
    for logical_id, resource in tpl["Resources"].items():
        properties = resource.get("Properties", {})
        managed = properties.get("ManagedPolicyArns", []) + [
            p for p in properties.get("Policies", []) if isinstance(p, str)
        ]
        problems += [f"{logical_id}: managed policy {m}" for m in managed if m not in ALLOWED_MANAGED_POLICIES]
    return problems


def test_template_builds_offline_and_cfn_lint_finds_no_errors(built):
    matches = package.lint(built["template"])
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)
    for match in matches:  # warnings are allowed, but shown
        warnings.warn(f"cfn-lint ({built['stage']}): {match}", stacklevel=1)


def test_no_iam_policy_grants_wildcards_over_data_resources(built):
    tpl = built["json"]
    owners = {owner for owner, _ in policy_statements(tpl)}
    assert {
        template.API_ROLE_ID,
        template.WORKER_ROLE_ID,
        template.ANALYZER_ROLE_ID,
        template.STATE_MACHINE_ROLE_ID,
        "MediaQueuePolicy",
        "SiteBucketPolicy",
    } <= owners  # the walk did reach every policy
    assert data_violations(tpl) == []


@pytest.mark.parametrize(
    ("resource", "broad"),
    [
        ("*", True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/*", True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/proctor-dev-*", True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/proctor-dev-exams/index/*", True),
        ("arn:aws:dynamodb:*:123456789012:table/proctor-dev-exams", True),
        ("arn:aws:s3:::proctor-dev-media/*", True),
        ("arn:aws:s3:::*", True),
        ("arn:aws:sqs:us-east-1:123456789012:*", True),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:*", True),
        ("arn:aws:states:us-east-1:123456789012:execution:*", True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/proctor-dev-exams/index/by_agency", False),
        ("arn:aws:s3:::proctor-dev-media/sessions/*", False),
        ("arn:aws:s3:::proctor-dev-media", False),
        ("arn:aws:states:us-east-1:123456789012:execution:proctor-dev-session-lifecycle:*", False),
    ],
)
def test_the_wildcard_check_tells_broad_from_scoped_arns(resource, broad):
    assert (too_broad(resource) is not None) == broad


def test_the_policy_walk_catches_a_wildcard_hidden_in_a_new_role(generated):
    tpl = json.loads(json.dumps(generated))
    tpl["Resources"]["Sneaky"] = iam.role(
        "x",
        "lambda.amazonaws.com",
        "x",
        [
            iam.allow(["dynamodb:Query"], iam.sub("${SessionsTable.Arn}/index/*")),
            iam.allow(["sqs:*"], iam.get_att("MediaQueue")),
        ],
    )
    assert len(data_violations(tpl)) == 2


def test_every_function_runs_the_packaged_runtime_traced_under_its_own_role_and_log_group(built):
    tpl = built["json"]
    functions = of_type(tpl, "AWS::Serverless::Function")
    assert set(functions) == {*template.CHALICE_FUNCTIONS, template.ANALYZER_ID, template.IDENTITY_ID}
    roles = of_type(tpl, "AWS::IAM::Role")
    names = StackNames(built["stage"])
    for function in functions.values():
        properties = function["Properties"]
        assert properties["Runtime"] == template.LAMBDA_RUNTIME
        assert properties["Architectures"] == [template.LAMBDA_ARCHITECTURE] == ["arm64"]
        assert properties["Tracing"] == "Active"
        assert properties["Role"]["Fn::GetAtt"][0] in roles
        assert properties["FunctionName"].startswith(names.prefix)
        log_group = tpl["Resources"][function["DependsOn"][0]]["Properties"]["LogGroupName"]
        assert log_group == f"/aws/lambda/{properties['FunctionName']}"
    assert tpl["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True


def test_functions_get_every_setting_the_code_requires_and_the_jwt_secret_only_by_its_arn(built):
    tpl = built["json"]
    renderer = Renderer(tpl)
    secret = tpl["Resources"][template.SECRET_ID]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 64
    for function in of_type(tpl, "AWS::Serverless::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        env = {k: str(renderer.render(v)) for k, v in variables.items()}
        settings = load_settings(env)  # raises on a missing or malformed required setting
        assert settings.jwt_secret_arn == renderer.render({"Ref": template.SECRET_ID})
        assert settings.stage == built["stage"]
        assert settings.table_prefix == StackNames(built["stage"]).prefix
        assert settings.endpoint_url is None  # AWS itself
    assert "resolve:secretsmanager" not in json.dumps(tpl["Parameters"])


def test_analyzer_drains_the_media_queue_in_batches_reporting_single_failures(generated):
    analyzer = generated["Resources"][template.ANALYZER_ID]["Properties"]
    assert analyzer["Handler"] == "functions.frame_analyzer.handler.lambda_handler"
    assert analyzer["CodeUri"] == template.ANALYZER_CODE
    assert analyzer["MemorySize"] == 1769
    assert analyzer["Timeout"] * 6 <= MEDIA_QUEUE.visibility_timeout_s
    assert analyzer["ReservedConcurrentExecutions"]["Fn::If"][0] == "LimitsAnalyzerConcurrency"
    (event,) = analyzer["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["MediaQueue", "Arn"]}
    assert event["Properties"]["BatchSize"] == 10
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_lifecycle_consumer_reads_the_stack_s_lifecycle_queue(generated):
    function_id, event_id = template.LIFECYCLE_EVENT_SOURCE
    event = generated["Resources"][function_id]["Properties"]["Events"][event_id]
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::Sub": "${LifecycleQueue.Arn}"}  # a dependency, not just a name
    schedule = generated["Resources"]["ReconcileSessions"]["Properties"]["Events"]
    assert [e["Type"] for e in schedule.values()] == ["Schedule"]


def test_chalice_config_names_each_stage_s_lifecycle_queue_as_the_definitions_do():
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    for stage, values in config["stages"].items():
        queue = values.get("environment_variables", {}).get("PROCTOR_LIFECYCLE_QUEUE_NAME")
        if stage != "local":
            assert queue == StackNames(stage).queue(LIFECYCLE_QUEUE), stage


def test_state_machine_is_the_asl_file_with_the_lifecycle_queue_substituted_and_traced(generated):
    machine = generated["Resources"][template.STATE_MACHINE_ID]["Properties"]
    url = Renderer(generated).render(machine["DefinitionSubstitutions"]["LifecycleQueueUrl"])
    definition = machine["DefinitionString"]
    for key, value in machine["DefinitionSubstitutions"].items():
        definition = definition.replace(f"${{{key}}}", Renderer(generated).render(value))
    assert "${" not in definition
    assert json.loads(definition) == json.loads(state_machine_definition(url))
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["StateMachineType"] == "STANDARD"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_media_bucket_is_private_encrypted_and_expires_media_and_speed_probes(generated):
    bucket = generated["Resources"][template.BUCKET_ID]["Properties"]
    default = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]
    rules = bucket["LifecycleConfiguration"]["Rules"]
    expiry = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "TagFilters" not in r}
    retained = {"Ref": "MediaRetentionDays"}
    assert expiry == {MEDIA_PREFIX: retained, ENROLLMENT_PREFIX: retained, PROBE_PREFIX: PROBE_RETENTION_DAYS}
    assert generated["Parameters"]["MediaRetentionDays"]["Default"] == str(MEDIA_RETENTION_DAYS)
    (notification,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["MediaQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": MEDIA_PREFIX}]
    assert "MediaQueuePolicy" in generated["Resources"][template.BUCKET_ID]["DependsOn"]


def test_media_bucket_admits_uploads_from_the_site_s_origin_and_the_extra_origins_only(built):
    tpl = built["json"]
    (cors,) = tpl["Resources"][template.BUCKET_ID]["Properties"]["CorsConfiguration"]["CorsRules"]
    condition, with_extra, site_only = cors["AllowedOrigins"]["Fn::If"]
    assert condition == "HasExtraWebOrigins"
    renderer = Renderer(tpl)
    site = f"https://{DISTRIBUTION_DOMAIN}"
    assert renderer.render(site_only) == [site]
    extra = tpl["Parameters"]["WebOrigins"]["Default"]
    assert renderer.render(with_extra) == [site, *extra.split(",")]
    assert "*" not in json.dumps(cors["AllowedOrigins"])
    # dev keeps the local web front usable against its stack; prod needs no extra origin (nor a value at deploy)
    assert extra == ("http://localhost:8000,http://127.0.0.1:8000" if built["stage"] == "dev" else "")
    assert renderer.render(tpl["Outputs"]["SiteUrl"]["Value"]) == site


def test_site_bucket_is_private_and_readable_only_by_this_stack_s_distribution(generated):
    bucket = generated["Resources"][template.SITE_BUCKET_ID]
    properties = bucket["Properties"]
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "WebsiteConfiguration" not in properties and "AccessControl" not in properties  # no S3 website, no ACL
    policy = generated["Resources"]["SiteBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": template.SITE_BUCKET_ID}
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    (grant,) = allows
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert sorted(grant["Action"]) == ["s3:GetObject", "s3:ListBucket"]
    source = Renderer(generated).render(grant["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source == "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE0DIST"
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    oac = generated["Resources"][template.SITE_OAC_ID]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )


def test_the_wildcard_walk_admits_the_site_grant_only_for_cloudfront_on_this_distribution(generated):
    tpl = json.loads(json.dumps(generated))
    (grant,) = [
        s
        for s in tpl["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    grant["Principal"] = {"AWS": "*"}
    assert any("SiteBucketPolicy" in problem for problem in data_violations(tpl))


def distribution_config(tpl: dict[str, Any]) -> dict[str, Any]:
    return tpl["Resources"][template.DISTRIBUTION_ID]["Properties"]["DistributionConfig"]


def test_distribution_serves_the_site_from_s3_through_the_oac_and_rewrites_the_app_s_routes(generated):
    config = distribution_config(generated)
    origins = {o["Id"]: o for o in config["Origins"]}
    default = config["DefaultCacheBehavior"]
    site = origins[default["TargetOriginId"]]
    assert site["DomainName"] == {"Fn::GetAtt": [template.SITE_BUCKET_ID, "RegionalDomainName"]}
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": [template.SITE_OAC_ID, "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    assert config["DefaultRootObject"] == "index.html"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["CachePolicyId"] == template.CACHING_OPTIMIZED
    (association,) = default["FunctionAssociations"]
    assert association == {
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": [template.SPA_FUNCTION_ID, "FunctionARN"]},
    }
    function = generated["Resources"][template.SPA_FUNCTION_ID]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0" and function["AutoPublish"] is True
    # Not CustomErrorResponses: they would turn the API's 403/404 under /api/* into the app's page with 200.
    assert "CustomErrorResponses" not in config
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert config["Enabled"] is True and config["HttpVersion"] == "http2and3"


def test_distribution_forwards_api_calls_unchanged_to_api_gateway_uncached_with_every_method(generated):
    config = distribution_config(generated)
    origins = {o["Id"]: o for o in config["Origins"]}
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    origin = origins[api["TargetOriginId"]]
    assert Renderer(generated).render(origin["DomainName"]) == "RestAPI.execute-api.us-east-1.amazonaws.com"
    assert "OriginPath" not in origin  # the stage is `api`: /api/x reaches the route /x
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert api["CachePolicyId"] == template.CACHING_DISABLED == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert api["OriginRequestPolicyId"] == template.ALL_VIEWER_EXCEPT_HOST_HEADER
    assert "FunctionAssociations" not in api
    config_file = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    assert {stage["api_gateway_stage"] for stage in config_file["stages"].values()} == {"api"}


def test_every_response_carries_the_security_headers_and_a_csp_for_same_origin_and_the_media_bucket(generated):
    config = distribution_config(generated)
    (api,) = config["CacheBehaviors"]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": template.HEADERS_POLICY_ID}
    assert api["ResponseHeadersPolicyId"] == {"Ref": template.API_HEADERS_POLICY_ID}
    for policy_id in (template.HEADERS_POLICY_ID, template.API_HEADERS_POLICY_ID):
        policy = generated["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
        headers = policy["SecurityHeadersConfig"]
        assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
        assert headers["ContentTypeOptions"] == {"Override": True}
        assert headers["FrameOptions"]["FrameOption"] == "DENY"
        assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
        assert all(header["Override"] for header in headers.values())
    api_policy = generated["Resources"][template.API_HEADERS_POLICY_ID]["Properties"]["ResponseHeadersPolicyConfig"]
    api_csp = api_policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert api_csp == "default-src 'none'; frame-ancestors 'none'"  # JSON loads nothing
    site = generated["Resources"][template.HEADERS_POLICY_ID]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = Renderer(generated).render(site["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    bucket = Renderer(generated).render(generated["Resources"][template.BUCKET_ID]["Properties"]["BucketName"])
    assert directives["connect-src"][0] == "'self'"
    # The API presigns path-style URLs (https://s3.<region>.amazonaws.com/<bucket>; s3.amazonaws.com in us-east-1).
    assert f"https://s3.us-east-1.amazonaws.com/{bucket}" in directives["connect-src"]
    assert f"https://s3.amazonaws.com/{bucket}" in directives["connect-src"]
    assert all(source == "'self'" or f"/{bucket}" in source for source in directives["connect-src"])
    assert directives["default-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and " * " not in f" {csp} "
    assert len(csp) < 1783  # CloudFront's limit on the header


SPA_CASES = {
    "/": "/index.html",
    "/exam/42": "/index.html",
    "/candidate/": "/index.html",
    "/index.html": "/index.html",
    "/assets/index-DT3rawCO.js": "/assets/index-DT3rawCO.js",
    "/favicon.ico": "/favicon.ico",
    "/api/health": "/api/health",
    "/api/sessions/s1": "/api/sessions/s1",
}


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the CloudFront function's code")
def test_the_route_function_rewrites_extension_less_paths_outside_the_api_to_index_html():
    script = template.SPA_ROUTES_CODE + (
        "const cases = JSON.parse(process.argv[1]);\n"
        "const out = {};\n"
        "for (const uri of Object.keys(cases)) out[uri] = handler({request: {uri, headers: {}}}).uri;\n"
        "console.log(JSON.stringify(out));\n"
    )
    result = subprocess.run(
        ["node", "-e", script, json.dumps(SPA_CASES)], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(result.stdout) == SPA_CASES


def test_stack_outputs_name_the_site_its_bucket_and_distribution(generated):
    outputs = generated["Outputs"]
    assert outputs["SiteUrl"]["Value"] == {"Fn::Sub": "https://${SiteDistribution.DomainName}"}
    assert outputs["SiteBucketName"]["Value"] == {"Ref": template.SITE_BUCKET_ID}
    assert outputs["SiteDistributionId"]["Value"] == {"Ref": template.DISTRIBUTION_ID}


def test_the_build_holds_the_web_app_without_source_maps(built, web_dist):
    site = built["site"]
    assert site == built["template"].parents[1] / "site"
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "assets/index-DT3rawCO.js",
        "index.html",
    ]


def test_packaging_refuses_a_missing_web_build(tmp_path):
    with pytest.raises(package.PackageError, match="npm run build"):
        package.copy_site(tmp_path / "no-dist", tmp_path / "site")


def test_only_this_bucket_in_this_account_may_send_to_the_media_queue(generated):
    (statement,) = generated["Resources"]["MediaQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    renderer = Renderer(generated)
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    bucket_name = renderer.render(generated["Resources"][template.BUCKET_ID]["Properties"]["BucketName"])
    assert renderer.render(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == f"arn:aws:s3:::{bucket_name}"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_tables_are_on_demand_recoverable_encrypted_and_expire_where_defined(built):
    tables = {r["Properties"]["TableName"]: r for r in of_type(built["json"], "AWS::DynamoDB::Table").values()}
    names = StackNames(built["stage"])
    assert set(tables) == {names.table(t) for t in TABLES}
    for table in TABLES:
        resource = tables[names.table(table)]
        properties = resource["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"]["SSEEnabled"] is True
        ttl = properties.get("TimeToLiveSpecification")
        assert ttl == ({"AttributeName": table.ttl_attribute, "Enabled": True} if table.ttl_attribute else None)
        assert resource["DeletionPolicy"] == ("Retain" if built["stage"] in template.RETAINED_STAGES else "Delete")


def test_session_indexes_are_keys_only_and_heartbeats_have_their_own_table(generated):
    """Issue #13: no session update but a status change reaches an index partition; heartbeats write presence."""
    tables = {
        r["Properties"]["TableName"].rsplit("-", 1)[-1]: r["Properties"]
        for r in of_type(generated, "AWS::DynamoDB::Table").values()
    }
    sessions = tables["sessions"]
    assert {i["IndexName"]: i["Projection"] for i in sessions["GlobalSecondaryIndexes"]} == {
        "by_exam_status": {"ProjectionType": "KEYS_ONLY"},
        "by_agency_status": {"ProjectionType": "KEYS_ONLY"},
    }
    assert "agency_id" not in {a["AttributeName"] for a in sessions["AttributeDefinitions"]}  # no per-agency index
    presence = tables["presence"]
    assert presence["KeySchema"] == [{"AttributeName": "session_id", "KeyType": "HASH"}]
    assert presence["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "GlobalSecondaryIndexes" not in presence


def test_alarms_watch_every_dead_letter_queue_and_the_queue_consumers_errors(generated):
    alarms = of_type(generated, "AWS::CloudWatch::Alarm")
    watched = {
        (a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"][0]["Value"])) for a in alarms.values()
    }
    expected = {
        (
            "ApproximateNumberOfMessagesVisible",
            json.dumps({"Fn::GetAtt": [template.dead_letter_queue_id(q), "QueueName"]}),
        )
        for q in QUEUES
    }
    expected.add(("Errors", json.dumps({"Ref": template.ANALYZER_ID})))
    expected.add(("Errors", json.dumps({"Ref": template.IDENTITY_ID})))
    assert watched == expected
    for alarm in alarms.values():
        assert alarm["Properties"]["Threshold"] == 0
        assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Properties"]["AlarmActions"]["Fn::If"][0] == "HasAlarmEmail"
    assert generated["Resources"][template.ALARM_TOPIC_ID]["Condition"] == "HasAlarmEmail"


def test_packaged_zips_hold_the_code_each_handler_imports(built):
    with zipfile.ZipFile(built["zips"]["deployment.zip"]) as api:
        names = set(api.namelist())
        assert {"app.py", "chalice/app.py", "chalicelib/core/settings.py"} <= names
    with zipfile.ZipFile(built["zips"]["frame_analyzer.zip"]) as analyzer:
        names = set(analyzer.namelist())
        assert {"functions/frame_analyzer/handler.py", "chalicelib/wiring.py"} <= names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_zips_are_reproducible_and_oversized_code_is_refused(tmp_path):
    entries = [("b.txt", b"bee"), ("a.txt", b"ay")]
    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    package.write_zip(first, entries)
    package.write_zip(second, list(reversed(entries)))
    assert first.read_bytes() == second.read_bytes()
    big = tmp_path / "big.bin"
    with big.open("wb") as file:
        file.truncate(package.MAX_UNZIPPED_BYTES + 1)
    with pytest.raises(package.PackageError, match="over Lambda"):
        package.write_zip(tmp_path / "big.zip", [("big.bin", big)])


def test_dependencies_are_installed_as_binary_wheels_for_the_lambda_runtime(tmp_path):
    command = package.pip_command(Path("requirements.txt"), tmp_path)
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == template.LAMBDA_PYTHON
    platforms = {command[i + 1] for i, arg in enumerate(command) if arg == "--platform"}
    # Graviton (arm64) by default: aarch64 wheels, never this machine's x86_64 ones
    assert {"manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"} <= platforms
    assert "manylinux_2_35_aarch64" not in platforms  # Amazon Linux 2023 has glibc 2.34
    assert not any("x86_64" in p for p in platforms)
    x86 = package.pip_command(Path("requirements.txt"), tmp_path, architecture="x86_64")
    assert {x86[i + 1] for i, arg in enumerate(x86) if arg == "--platform"} >= {"manylinux_2_34_x86_64"}


def test_the_template_and_the_wheels_name_the_same_architecture(tmp_path):
    built = package.build("dev", tmp_path, deps=False, run_lint=False, web_dist=None, log=lambda *_: None)
    tpl = json.loads(built["template"].read_text())
    functions = of_type(tpl, "AWS::Serverless::Function").values()
    assert {a for f in functions for a in f["Properties"]["Architectures"]} == {"arm64"}
    other = package.build(
        "dev", tmp_path / "x86", deps=False, run_lint=False, web_dist=None, log=lambda *_: None, architecture="x86_64"
    )
    tpl = json.loads(other["template"].read_text())
    functions = of_type(tpl, "AWS::Serverless::Function").values()
    assert {a for f in functions for a in f["Properties"]["Architectures"]} == {"x86_64"}
    with pytest.raises(ValueError, match="architecture"):
        template.merge_template("dev", "sparc")


def test_smoke_test_refuses_zips_of_another_architecture(tmp_path, monkeypatch):
    monkeypatch.setattr(package.platform, "machine", lambda: "x86_64")
    with pytest.raises(package.PackageError, match="--arch x86_64"):
        package.smoke({}, "python3.12", tmp_path, architecture="arm64")


@pytest.fixture
def aws_mock(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the local stack's endpoint, if a fixture set it
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.session.Session(region_name="eu-central-1")


def test_deploy_uploads_each_zip_once_by_content_and_points_the_template_at_it(aws_mock, tmp_path):
    s3 = aws_mock.client("s3")
    deploy.ensure_artifact_bucket(s3, "artifacts", "eu-central-1")
    (tmp_path / "deployment.zip").write_bytes(b"api code")
    (tmp_path / "frame_analyzer.zip").write_bytes(b"analyzer code")
    tpl = {
        "Resources": {
            "A": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./deployment.zip"}},
            "B": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./deployment.zip"}},
            "C": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./frame_analyzer.zip"}},
            "D": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://elsewhere/x.zip"}},
        }
    }
    result = deploy.upload_artifacts(tpl, tmp_path, s3, "artifacts", "proctor-dev")
    uris = {k: r["Properties"]["CodeUri"] for k, r in result["Resources"].items()}
    assert uris["A"] == uris["B"] != uris["C"]
    assert uris["D"] == "s3://elsewhere/x.zip"
    assert tpl["Resources"]["A"]["Properties"]["CodeUri"] == "./deployment.zip"  # the input is left alone
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"])
    assert len(keys) == 2 and all(k.startswith("proctor-dev/") for k in keys)
    assert deploy.upload_artifacts(tpl, tmp_path, s3, "artifacts", "proctor-dev") == result  # same content, same key
    assert s3.get_public_access_block(Bucket="artifacts")["PublicAccessBlockConfiguration"]["BlockPublicAcls"]


def test_deploy_uploads_the_build_and_creates_a_change_set_that_may_create_roles_and_expand_sam(
    built, aws_mock, capsys
):
    # Given a packaged stage, When deployed without executing (moto has no SAM transform to run)
    build_dir = built["template"].parents[2]
    requests: list[dict[str, Any]] = []
    aws_mock.events.register(
        "provide-client-params.cloudformation.CreateChangeSet", lambda params, **_: requests.append(params)
    )
    deploy.deploy(
        aws_mock,
        built["stage"],
        build_dir=build_dir,
        artifact_bucket=None,
        overrides={"WebOrigins": "https://exam.example"},
        execute=False,
    )
    # Then the stack has a change set over the uploaded template, whose code points at the uploaded zips
    cfn, s3 = aws_mock.client("cloudformation"), aws_mock.client("s3")
    (summary,) = cfn.list_change_sets(StackName=deploy.stack_name(built["stage"]))["Summaries"]
    change_set = cfn.describe_change_set(StackName=summary["StackId"], ChangeSetName=summary["ChangeSetName"])
    assert set(requests[0]["Capabilities"]) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}
    assert {"ParameterKey": "WebOrigins", "ParameterValue": "https://exam.example"} in change_set["Parameters"]
    bucket = "proctor-artifacts-123456789012-eu-central-1"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    (template_key,) = [k for k in keys if "/template-" in k]
    uploaded = json.loads(s3.get_object(Bucket=bucket, Key=template_key)["Body"].read())
    code = {r["Properties"]["CodeUri"] for r in of_type(uploaded, "AWS::Serverless::Function").values()}
    assert len(code) == 2 and all(uri.startswith(f"s3://{bucket}/proctor-") for uri in code)
    assert "FrameAnalyzer" in capsys.readouterr().out  # the planned changes are printed


def test_deploy_keeps_previous_parameter_values_and_asks_for_values_without_default():
    declared = {
        "WebOrigins": {"Type": "CommaDelimitedList"},
        "AlarmEmail": {"Type": "String", "Default": ""},
        "LogRetentionDays": {"Type": "Number", "Default": "30"},
    }
    assert deploy.parameter_list({"WebOrigins": "https://a"}, declared, previous={"AlarmEmail"}) == [
        {"ParameterKey": "WebOrigins", "ParameterValue": "https://a"},
        {"ParameterKey": "AlarmEmail", "UsePreviousValue": True},
    ]
    with pytest.raises(deploy.DeployError, match="WebOrigins"):
        deploy.parameter_list({}, declared, previous=set())
    with pytest.raises(deploy.DeployError, match="no parameter"):
        deploy.parameter_list({"WebOrigin": "x", "WebOrigins": "y"}, declared, previous=set())
    assert deploy.stack_name("dev") == "proctor-dev"


# --- Biometric data and the API's edge (issue 12): one test per finding, each failing on the template before it. ---


def statements_of(tpl: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    (policy,) = tpl["Resources"][role_id]["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def granted(tpl: dict[str, Any], role_id: str, action: str) -> list[dict[str, Any]]:
    return [s for s in statements_of(tpl, role_id) if s["Effect"] == "Allow" and action in s["Action"]]


def kms_grants(tpl: dict[str, Any], role_id: str) -> dict[str, set[str]]:
    """Per AWS service the key may be used through (kms:ViaService), the KMS actions the role is allowed."""
    found: dict[str, set[str]] = {}
    for statement in statements_of(tpl, role_id):
        kms = {a for a in statement["Action"] if a.startswith("kms:")}
        if not kms:
            continue
        assert statement["Resource"] == [{"Fn::GetAtt": [data_protection.DATA_KEY_ID, "Arn"]}], statement
        via = Renderer(tpl).render(statement["Condition"]["StringEquals"]["kms:ViaService"])
        found.setdefault(via.split(".")[0], set()).update(kms)
    return found


def test_biometric_data_is_encrypted_with_a_rotating_customer_key_only_s3_and_dynamodb_may_use(generated):
    resources = generated["Resources"]
    key = resources[data_protection.DATA_KEY_ID]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    key_arn = {"Fn::GetAtt": [data_protection.DATA_KEY_ID, "Arn"]}
    (rule,) = resources[template.BUCKET_ID]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert rule["BucketKeyEnabled"] is True
    enrollments = resources[template.table_id(next(t for t in TABLES if t.suffix == "enrollments"))]["Properties"]
    assert enrollments["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}
    # The key policy: the account administers the key; using it (Decrypt...) only through S3 or DynamoDB.
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for statement in statements:
        assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
        uses = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"} & set(statement["Action"])
        if uses:
            via = Renderer(generated).render(statement["Condition"]["StringEquals"]["kms:ViaService"])
            assert sorted(via) == ["dynamodb.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]
        assert "kms:*" not in statement["Action"] and not any(a.startswith("kms:Create*") for a in statement["Action"])
    # Each role: exactly the KMS actions its code path needs, through the service that needs them.
    read, write = (
        {"kms:Decrypt", "kms:DescribeKey"},
        {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"},
    )
    assert kms_grants(generated, template.API_ROLE_ID) == {"s3": write, "dynamodb": write}
    assert kms_grants(generated, template.ANALYZER_ROLE_ID) == {"s3": read}  # it reads frames and the selfie only
    # metering reads the enrollment (its identity-check count): DynamoDB read only, no S3
    assert kms_grants(generated, template.WORKER_ROLE_ID) == {"dynamodb": read}
    assert kms_grants(generated, template.STATE_MACHINE_ROLE_ID) == {}
    (dynamodb,) = [
        s
        for s in statements_of(generated, template.API_ROLE_ID)
        if "kms:ViaService" in json.dumps(s) and "dynamodb" in json.dumps(s["Condition"])
    ]
    tables = dynamodb["Condition"]["ForAnyValue:StringEquals"]["kms:EncryptionContext:aws:dynamodb:tableName"]
    assert tables == [StackNames(generated_stage(generated)).table(t) for t in TABLES if t.suffix == "enrollments"]


def generated_stage(tpl: dict[str, Any]) -> str:
    return tpl["Outputs"]["TablePrefix"]["Value"].split("-")[1]


def test_media_bucket_keeps_versions_for_evidence_and_expires_non_current_ones(generated):
    bucket = generated["Resources"][template.BUCKET_ID]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert {r["Prefix"] for r in rules} == {MEDIA_PREFIX, ENROLLMENT_PREFIX, PROBE_PREFIX}
    assert len(rules) == 4  # the three prefixes and the transient tier of MEDIA_PREFIX
    for rule in rules:  # a replaced, expired or erased object's older versions are gone a day later ...
        if rule["Prefix"] == MEDIA_PREFIX and "TagFilters" not in rule:
            # ... except under sessions/, where a version made non-current by a re-upload to an analysed key may be
            # a violation's evidence: S3 applies the shortest matching expiry, so this rule must not erase it early
            # (the agency's purge deletes every version at its retention).
            assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": {"Ref": "MediaRetentionDays"}}
        else:
            assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": NONCURRENT_VERSION_DAYS}


def test_retention_tiers_expire_transient_media_early_and_only_the_analyzer_can_mark_evidence(generated):
    """Monitoring media tagged retention=transient expires after TransientMediaRetentionDays (7); the unconditional
    MediaRetentionDays rule (30) still covers every object under the prefix, so an untagged object or one the
    analyzer retagged as evidence is kept the longer time. The API may only tag transient, the analyzer only
    evidence, and neither any other tag key."""
    bucket = generated["Resources"][template.BUCKET_ID]["Properties"]
    rules = bucket["LifecycleConfiguration"]["Rules"]
    (transient,) = [r for r in rules if "TagFilters" in r]
    assert transient["Prefix"] == MEDIA_PREFIX and transient["Status"] == "Enabled"
    assert transient["TagFilters"] == [{"Key": "retention", "Value": "transient"}]
    assert transient["ExpirationInDays"] == {"Ref": "TransientMediaRetentionDays"}
    assert generated["Parameters"]["TransientMediaRetentionDays"]["Default"] == "7"
    (whole,) = [r for r in rules if r["Prefix"] == MEDIA_PREFIX and "TagFilters" not in r]
    assert whole["ExpirationInDays"] == {"Ref": "MediaRetentionDays"}
    assert int(generated["Parameters"]["MediaRetentionDays"]["Default"]) >= 30  # evidence: review and appeal
    renderer = Renderer(generated)
    for role_id, value in ((template.API_ROLE_ID, "transient"), (template.ANALYZER_ROLE_ID, "evidence")):
        (tagging,) = granted(generated, role_id, "s3:PutObjectTagging")
        assert tagging["Condition"]["StringEquals"] == {"s3:RequestObjectTag/retention": value}
        assert tagging["Condition"]["ForAllValues:StringEquals"] == {"s3:RequestObjectTagKeys": ["retention"]}
        assert all(
            renderer.render(r).split(":::", 1)[1].split("/", 1)[1] == MEDIA_PREFIX + "*" for r in tagging["Resource"]
        )
    for role_id in (template.IDENTITY_ROLE_ID, template.WORKER_ROLE_ID):
        assert not granted(generated, role_id, "s3:PutObjectTagging")


def test_the_tags_the_code_writes_are_the_ones_the_roles_may_write_and_the_transient_rule_matches(generated):
    """The upload forms' tag (chalicelib/media/retention.py TRANSIENT_TAG) is the one the API role, the forms' signer,
    may write and the transient rule expires; the analyzer's retag (EVIDENCE_TAG, by VersionId: the action
    s3:PutObjectVersionTagging) the one its role may write. The transient tier never outlives the shortest retention
    an agency may choose."""
    from chalicelib.agencies.models import DEFAULT_RETENTION_DAYS
    from chalicelib.media.retention import EVIDENCE_TAG, TRANSIENT_TAG

    rules = generated["Resources"][template.BUCKET_ID]["Properties"]["LifecycleConfiguration"]["Rules"]
    (transient,) = [r for r in rules if "TagFilters" in r]
    assert transient["TagFilters"] == [{"Key": TRANSIENT_TAG[0], "Value": TRANSIENT_TAG[1]}]
    for role_id, (key, value) in ((template.API_ROLE_ID, TRANSIENT_TAG), (template.ANALYZER_ROLE_ID, EVIDENCE_TAG)):
        (tagging,) = granted(generated, role_id, "s3:PutObjectTagging")
        assert tagging["Condition"]["StringEquals"] == {f"s3:RequestObjectTag/{key}": value}
    (by_version,) = granted(generated, template.ANALYZER_ROLE_ID, "s3:PutObjectVersionTagging")
    assert by_version["Condition"]["StringEquals"] == {f"s3:RequestObjectTag/{EVIDENCE_TAG[0]}": EVIDENCE_TAG[1]}
    assert not granted(generated, template.API_ROLE_ID, "s3:PutObjectVersionTagging")  # the API never retags
    parameter = generated["Parameters"]["TransientMediaRetentionDays"]
    assert int(parameter["Default"]) <= int(parameter["MaxValue"]) <= DEFAULT_RETENTION_DAYS


def test_evidence_is_read_by_version_and_only_the_api_erases_enrollment_versions(generated):
    renderer = Renderer(generated)
    bucket = renderer.render(generated["Resources"][template.BUCKET_ID]["Properties"]["BucketName"])
    for role_id in (template.API_ROLE_ID, template.ANALYZER_ROLE_ID):
        (reads,) = granted(generated, role_id, "s3:GetObjectVersion")
        assert "s3:GetObject" in reads["Action"]
    (erase,) = granted(generated, template.API_ROLE_ID, "s3:DeleteObjectVersion")
    # enrollment photos (biometric erasure) and session media (a candidate's deletion, the retention purge)
    expected = [f"arn:aws:s3:::{bucket}/{prefix}*" for prefix in (MEDIA_PREFIX, ENROLLMENT_PREFIX)]
    assert renderer.render(erase["Resource"]) == expected
    for role_id in (template.ANALYZER_ROLE_ID, template.WORKER_ROLE_ID):
        assert not granted(generated, role_id, "s3:DeleteObjectVersion")
        assert not granted(generated, role_id, "s3:DeleteObject")


def test_listing_the_media_bucket_is_limited_to_the_app_s_prefixes(generated):
    for role_id, prefixes in (
        (template.API_ROLE_ID, [MEDIA_PREFIX, ENROLLMENT_PREFIX, PROBE_PREFIX]),
        (template.ANALYZER_ROLE_ID, [MEDIA_PREFIX, ENROLLMENT_PREFIX]),
    ):
        (listing,) = granted(generated, role_id, "s3:ListBucket")
        assert listing["Action"] == ["s3:ListBucket", "s3:ListBucketVersions"]
        assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}
    for _, statement in policy_statements(generated):  # no other statement lists the media bucket unconditioned
        if "s3:ListBucket" in statement.get("Action", []) and "MediaBucket" in json.dumps(statement["Resource"]):
            assert "s3:prefix" in json.dumps(statement.get("Condition", {}))


def test_enrollment_records_expire_with_the_photos_by_ttl(generated):
    table = generated["Resources"][template.table_id(next(t for t in TABLES if t.suffix == "enrollments"))]
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_every_read_and_write_of_an_id_photo_is_recorded_by_cloudtrail_in_a_private_retained_bucket(generated):
    resources, renderer = generated["Resources"], Renderer(generated)
    bucket = renderer.render(resources[template.BUCKET_ID]["Properties"]["BucketName"])
    trail = resources[data_protection.AUDIT_TRAIL_ID]["Properties"]
    assert trail["IsLogging"] is True and trail["EnableLogFileValidation"] is True
    assert trail["S3BucketName"] == {"Ref": data_protection.AUDIT_BUCKET_ID}
    (selector,) = trail["AdvancedEventSelectors"]
    fields = {f["Field"]: f for f in selector["FieldSelectors"]}
    assert fields["eventCategory"]["Equals"] == ["Data"]
    assert fields["resources.type"]["Equals"] == ["AWS::S3::Object"]
    assert renderer.render(fields["resources.ARN"]["StartsWith"]) == [f"arn:aws:s3:::{bucket}/{ENROLLMENT_PREFIX}"]
    assert "readOnly" not in fields  # reads and writes (uploads, erasure) alike
    audit = resources[data_protection.AUDIT_BUCKET_ID]
    assert audit["DeletionPolicy"] == "Retain"
    properties = audit["Properties"]
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}  # not the key it audits
    (expiry,) = properties["LifecycleConfiguration"]["Rules"]
    assert expiry["ExpirationInDays"] == {"Ref": "AuditLogRetentionDays"}
    policy = resources["AuditLogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    trail_arn = f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{trail['TrailName']}"
    for statement in (s for s in policy if s["Effect"] == "Allow"):
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert renderer.render(statement["Condition"]["StringEquals"]["aws:SourceArn"]) == trail_arn
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)
    assert "AuditLogBucketPolicy" in resources[data_protection.AUDIT_TRAIL_ID]["DependsOn"]


def test_api_gateway_writes_a_json_access_log_of_every_call_kept_for_its_own_retention(generated):
    resources = generated["Resources"]
    api = resources[template.REST_API_ID]
    setting = api["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": [edge.ACCESS_LOG_GROUP_ID, "Arn"]}
    record = json.loads(setting["Format"])
    for variable in ("$context.requestId", "$context.identity.sourceIp", "$context.resourcePath", "$context.status"):
        assert variable in record.values()
    group = resources[edge.ACCESS_LOG_GROUP_ID]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}
    assert generated["Parameters"]["AccessLogRetentionDays"]["Default"] == "365"
    # API Gateway logs through the account's role, which must exist before the stage.
    assert edge.API_ACCOUNT_ID in api["DependsOn"]
    account = resources[edge.API_ACCOUNT_ID]["Properties"]
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": [edge.API_LOGS_ROLE_ID, "Arn"]}
    assert resources[edge.API_LOGS_ROLE_ID]["DeletionPolicy"] == "Retain"


def test_login_and_upload_form_routes_have_their_own_stage_throttles(generated):
    api = generated["Resources"][template.REST_API_ID]["Properties"]
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in api["MethodSettings"]}
    assert settings[("/*", "*")]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert settings[("/~1auth~1login", "POST")]["ThrottlingRateLimit"] == {"Ref": "LoginRateLimit"}
    assert settings[("/~1auth~1login", "POST")]["ThrottlingBurstLimit"] == {"Ref": "LoginBurstLimit"}
    paths = api["DefinitionBody"]["paths"]  # Chalice's own routes: a renamed route fails here
    for route, method in (edge.LOGIN_ROUTE, *edge.UPLOAD_FORM_ROUTES):
        assert method.lower() in paths[route], route
        assert (edge.resource_path(route), method) in settings
    assert ("/~1sessions~1{session_id}~1media", "POST") in settings
    for name in ("ApiRateLimit", "LoginRateLimit", "UploadFormRateLimit"):
        assert int(generated["Parameters"][name]["Default"]) > 0


def waf_rules(tpl: dict[str, Any], acl_id: str) -> dict[str, dict[str, Any]]:
    return {r["Name"]: r for r in tpl["Resources"][acl_id]["Properties"]["Rules"]}


def matched_suffixes(statement: dict[str, Any]) -> set[str]:
    statements = statement["OrStatement"]["Statements"] if "OrStatement" in statement else [statement]
    return {s["ByteMatchStatement"]["SearchString"] for s in statements}


def test_waf_rate_limits_sign_in_and_upload_forms_per_client_at_the_api_stage_and_the_distribution(generated):
    resources = generated["Resources"]
    acl = resources[edge.WEB_ACL_ID]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rules = waf_rules(generated, edge.WEB_ACL_ID)
    expected = {
        "login-per-client": ("FORWARDED_IP", {"/auth/login"}, "LoginLimitPerClient"),
        "upload-forms-per-client": ("FORWARDED_IP", {"/media", "/uploads"}, "UploadFormLimitPerClient"),
        "login-per-connection": ("IP", {"/auth/login"}, "LoginLimitPerConnection"),
        "upload-forms-per-connection": ("IP", {"/media", "/uploads"}, "UploadFormLimitPerConnection"),
    }
    assert set(rules) == set(expected)
    for name, (key, suffixes, limit) in expected.items():
        statement = rules[name]["Statement"]["RateBasedStatement"]
        assert statement["AggregateKeyType"] == key
        assert statement["Limit"] == {"Ref": limit} and statement["EvaluationWindowSec"] == 300
        assert matched_suffixes(statement["ScopeDownStatement"]) == suffixes
        assert rules[name]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    for route, _ in (edge.LOGIN_ROUTE, *edge.UPLOAD_FORM_ROUTES):  # every throttled route is matched by a rule
        assert any(f"/api{route}".endswith(s) for s in {"/auth/login", "/media", "/uploads"})
    body = json.loads(acl["CustomResponseBodies"]["throttled"]["Content"])
    assert body["error"]["code"] == "request.throttled"
    association = resources[edge.WEB_ACL_ASSOCIATION_ID]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": [edge.WEB_ACL_ID, "Arn"]}
    assert association["ResourceArn"]["Fn::Sub"].endswith("/restapis/${RestAPI}/stages/${RestAPI.Stage}")
    # CloudFront's ACL lives in us-east-1 only: created and associated there, left out elsewhere.
    edge_acl = resources[edge.EDGE_WEB_ACL_ID]
    assert edge_acl["Condition"] == edge.IN_US_EAST_1 and edge_acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert {r["Statement"]["RateBasedStatement"]["AggregateKeyType"] for r in edge_acl["Properties"]["Rules"]} == {"IP"}
    assert generated["Conditions"][edge.IN_US_EAST_1] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    assert distribution_config(generated)["WebACLId"] == {
        "Fn::If": [edge.IN_US_EAST_1, {"Fn::GetAtt": [edge.EDGE_WEB_ACL_ID, "Arn"]}, {"Ref": "AWS::NoValue"}]
    }


def test_no_function_environment_holds_the_jwt_key_and_only_the_api_may_read_its_secret(built):
    tpl = built["json"]
    text = json.dumps(tpl)
    assert "resolve:secretsmanager" not in text
    for function in of_type(tpl, "AWS::Serverless::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert "PROCTOR_JWT_SECRET" not in variables
        assert variables["PROCTOR_JWT_SECRET_ARN"] == {"Ref": template.SECRET_ID}
    (read,) = granted(tpl, template.API_ROLE_ID, "secretsmanager:GetSecretValue")
    assert read["Action"] == ["secretsmanager:GetSecretValue"] and read["Resource"] == [{"Ref": template.SECRET_ID}]
    for role_id in (template.WORKER_ROLE_ID, template.ANALYZER_ROLE_ID, template.STATE_MACHINE_ROLE_ID):
        assert "secretsmanager" not in json.dumps(statements_of(tpl, role_id))
    generate = tpl["Resources"][template.SECRET_ID]["Properties"]["GenerateSecretString"]
    assert generate["PasswordLength"] == 64 and "KmsKeyId" not in tpl["Resources"][template.SECRET_ID]["Properties"]


def test_the_analyzer_and_the_lifecycle_consumer_have_reserved_concurrency_their_queues_respect(generated):
    resources, parameters = generated["Resources"], generated["Parameters"]
    function_id, event_id = template.LIFECYCLE_EVENT_SOURCE
    for logical_id, event, parameter, condition in (
        (template.ANALYZER_ID, "MediaQueue", "AnalyzerReservedConcurrency", "LimitsAnalyzerConcurrency"),
        (function_id, event_id, "LifecycleReservedConcurrency", "LimitsLifecycleConcurrency"),
    ):
        properties = resources[logical_id]["Properties"]
        assert properties["ReservedConcurrentExecutions"] == {
            "Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]
        }
        scaling = properties["Events"][event]["Properties"]["ScalingConfig"]
        assert scaling == {"Fn::If": [condition, {"MaximumConcurrency": {"Ref": parameter}}, {"Ref": "AWS::NoValue"}]}
        assert int(parameters[parameter]["Default"]) >= 2  # reserved unless a deploy says 0 (an account at quota 10)
    assert "ReservedConcurrentExecutions" not in resources["APIHandler"]["Properties"]  # the API takes the rest


def test_api_gateway_answers_its_own_errors_in_the_api_s_json_shape(generated):
    responses = generated["Resources"][template.REST_API_ID]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"
    ]
    expected = {
        "MISSING_AUTHENTICATION_TOKEN": ("404", "route.not_found"),
        "THROTTLED": ("429", "request.throttled"),
        "UNSUPPORTED_MEDIA_TYPE": ("415", "request.unsupported_media_type"),
        "DEFAULT_4XX": (None, "request.rejected"),
        "DEFAULT_5XX": (None, "internal.error"),
    }
    for response_type, (status, code) in expected.items():
        response = responses[response_type]
        assert response.get("statusCode") == status, response_type
        # API Gateway substitutes $context variables (messageString is a quoted JSON string): the result is JSON.
        text = response["responseTemplates"]["application/json"]
        rendered = text.replace("$context.error.messageString", '"Missing Authentication Token"').replace(
            "$context.requestId", "c0ffee00-1234"
        )
        body = json.loads(rendered)
        assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)
        assert body["error"]["details"] == {"request_id": "c0ffee00-1234"}


def test_the_identity_checker_has_its_queue_and_the_api_no_face_service(generated):
    def actions(role_id: str) -> set[str]:
        found = set()
        for statement in statements_of(generated, role_id):
            found.update([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        return found

    checker = generated["Resources"][template.IDENTITY_ID]["Properties"]
    assert checker["Events"]["IdentityQueue"]["Properties"]["Queue"] == {
        "Fn::GetAtt": [template.queue_id(IDENTITY_QUEUE), "Arn"]
    }
    assert checker["Handler"] == template.IDENTITY_HANDLER and checker["CodeUri"] == template.IDENTITY_CODE
    api, identity = actions(template.API_ROLE_ID), actions(template.IDENTITY_ROLE_ID)
    assert "sqs:SendMessage" in api and not any(a.startswith("rekognition:") for a in api)
    assert "sqs:ReceiveMessage" in identity and "s3:PutObject" not in identity


def test_debug_symbols_of_another_architecture_are_stripped_with_a_tool_that_reads_it(monkeypatch):
    """Binutils' strip reads only this machine's ELF files: aarch64 libraries kept their debug info (Pillow's 3.6 MB
    _imaging went into the API zip at full size) until a cross or LLVM strip did them."""
    tools = {"strip", "llvm-strip"}
    monkeypatch.setattr(package.shutil, "which", lambda name: f"/usr/bin/{name}" if name in tools else None)
    monkeypatch.setattr(package.platform, "machine", lambda: "x86_64")
    assert package.strip_tool("x86_64") == "strip"
    assert package.strip_tool("arm64") == "llvm-strip"
    tools.add("aarch64-linux-gnu-strip")
    assert package.strip_tool("arm64") == "aarch64-linux-gnu-strip"
    tools.clear()
    assert package.strip_tool("arm64") is None
