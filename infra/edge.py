"""The API's edge, in the generated template: throttling, WAF rate rules, access logs and gateway error answers.

Deep-merged into Chalice's REST API (`RestAPI`, an AWS::Serverless::Api whose stage is `api`) by infra/template.py.
The numbers and their costs are in docs/DEPLOY.md ("The API's edge").
"""

from __future__ import annotations

import json

from chalicelib.core.api import CHALICE_ERROR_CODES, route_not_found
from infra.definitions import StackNames
from infra.iam import Json, allow, get_att, ref, sub

REST_API_ID = "RestAPI"  # Chalice's API Gateway REST API
API_STAGE = "api"  # .chalice/config.json api_gateway_stage
ACCESS_LOG_GROUP_ID = "ApiAccessLogGroup"
API_LOGS_ROLE_ID = "ApiGatewayLogsRole"
API_ACCOUNT_ID = "ApiGatewayAccount"
WEB_ACL_ID = "ApiWebAcl"  # REGIONAL, on the API stage
WEB_ACL_ASSOCIATION_ID = "ApiWebAclAssociation"
EDGE_WEB_ACL_ID = "SiteWebAcl"  # CLOUDFRONT, on the distribution: only when the stack is in us-east-1
IN_US_EAST_1 = "InUsEast1"

# The routes an anonymous or a single caller can hammer: sign-in, and the three presigned upload forms.
LOGIN_ROUTE = ("/auth/login", "POST")
UPLOAD_FORM_ROUTES = (
    ("/sessions/{session_id}/media", "POST"),
    ("/exams/{exam_id}/enrollment/uploads", "POST"),
    ("/exams/{exam_id}/system-check/uploads", "POST"),
)
RATE_WINDOW_S = 300  # WAF counts each client's requests over the last 5 minutes
# Behind CloudFront the regional ACL sees CloudFront's addresses as the source: the rules keyed on that address
# (the direct execute-api path, and a cap per CloudFront address) default to ten times the per-client limits.
LOGIN_LIMIT_PER_CLIENT = 300  # an exam hall behind one NAT address: 200 seats signing in, some twice
UPLOAD_FORM_LIMIT_PER_CLIENT = 20_000  # ~90 upload forms per candidate per 5 minutes: a 200-seat hall
CONNECTION_LIMIT_FACTOR = 10

THROTTLED = ("request.throttled", "Too many requests; try again in a few minutes.")
# API Gateway answers these itself, before (or instead of) the API function: the same JSON shape as the app's.
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str | None]] = {
    # Unknown path, or a method the path does not declare: API Gateway calls both "missing authentication token".
    "MISSING_AUTHENTICATION_TOKEN": (404, *route_not_found()["error"].values()),
    "THROTTLED": (429, *THROTTLED),
    "UNSUPPORTED_MEDIA_TYPE": (415, *CHALICE_ERROR_CODES[415]),
    "WAF_FILTERED": (403, "request.blocked", "The request was refused at the edge."),
    # Every other 4xx API Gateway makes itself (body too large, bad request, ...): its own status and message.
    "DEFAULT_4XX": (None, "request.rejected", None),
    "DEFAULT_5XX": (None, *CHALICE_ERROR_CODES[500]),
}


def resource_path(route: str) -> str:
    """A route as API Gateway's method settings name it: /auth/login is /~1auth~1login."""
    return "/" + route.replace("/", "~1")


def parameters(log_retention_days: tuple[int, ...]) -> Json:
    def number(default: int, minimum: int, description: str) -> Json:
        return {"Type": "Number", "Default": str(default), "MinValue": minimum, "Description": description}

    window = f"per {RATE_WINDOW_S} s"

    return {
        "ApiRateLimit": number(1000, 1, "API Gateway stage throttle, requests/s (steady) for every route"),
        "ApiBurstLimit": number(2000, 1, "API Gateway stage throttle, burst"),
        "LoginRateLimit": number(20, 1, "API Gateway throttle of POST /auth/login, requests/s (steady)"),
        "LoginBurstLimit": number(40, 1, "API Gateway throttle of POST /auth/login, burst"),
        "UploadFormRateLimit": number(500, 1, "API Gateway throttle of each upload-form route, requests/s"),
        "UploadFormBurstLimit": number(1000, 1, "API Gateway throttle of each upload-form route, burst"),
        "LoginLimitPerClient": number(
            LOGIN_LIMIT_PER_CLIENT, 10, f"WAF: sign-ins per client IP {window} (an exam hall shares one IP)"
        ),
        "UploadFormLimitPerClient": number(
            UPLOAD_FORM_LIMIT_PER_CLIENT, 10, f"WAF: upload forms per client IP {window} (~90 per candidate)"
        ),
        "LoginLimitPerConnection": number(
            LOGIN_LIMIT_PER_CLIENT * CONNECTION_LIMIT_FACTOR, 10, f"WAF: sign-ins per connecting IP {window}"
        ),
        "UploadFormLimitPerConnection": number(
            UPLOAD_FORM_LIMIT_PER_CLIENT * CONNECTION_LIMIT_FACTOR, 10, f"WAF: upload forms per connecting IP {window}"
        ),
        "AccessLogRetentionDays": {
            "Type": "Number",
            "Default": "365",
            "AllowedValues": [str(d) for d in log_retention_days],
            "Description": "CloudWatch Logs retention of the API's access log (who called which route, when)",
        },
    }


def _error_template(code: str, message: str | None) -> str:
    # Gateway response templates are not VTL, but $context variables are substituted;
    # messageString is already a quoted JSON string.
    text = json.dumps(message) if message is not None else "$context.error.messageString"
    return f'{{"error": {{"code": "{code}", "message": {text}, "details": {{"request_id": "$context.requestId"}}}}}}'


def gateway_responses() -> Json:
    """The OpenAPI body's `x-amazon-apigateway-gateway-responses` (part of the deployment: a change redeploys)."""
    responses: Json = {}
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        response: Json = {
            "responseTemplates": {"application/json": _error_template(code, message)},
            "responseParameters": {"gatewayresponse.header.Cache-Control": "'no-store'"},
        }
        if status is not None:
            response["statusCode"] = str(status)
        responses[response_type] = response
    return responses


ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "time": "$context.requestTimeEpoch",
        "ip": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
        "method": "$context.httpMethod",
        "route": "$context.resourcePath",
        "path": "$context.path",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationStatus": "$context.integrationStatus",
        "errorType": "$context.error.responseType",
        "wafStatus": "$context.wafResponseCode",
        "traceId": "$context.xrayTraceId",
    },
    separators=(",", ":"),
)


def rest_api_overrides() -> Json:
    """Deep-merged into Chalice's RestAPI: tracing, access logs, stage and method throttles, gateway responses."""

    def throttle(route: tuple[str, str], rate: str, burst: str) -> Json:
        return {
            "ResourcePath": resource_path(route[0]),
            "HttpMethod": route[1],
            "ThrottlingRateLimit": ref(rate),
            "ThrottlingBurstLimit": ref(burst),
        }

    return {
        "DependsOn": [API_ACCOUNT_ID],  # the account's log role must be set before a stage may log
        "Properties": {
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": get_att(ACCESS_LOG_GROUP_ID), "Format": ACCESS_LOG_FORMAT},
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": ref("ApiRateLimit"),
                    "ThrottlingBurstLimit": ref("ApiBurstLimit"),
                },
                throttle(LOGIN_ROUTE, "LoginRateLimit", "LoginBurstLimit"),
                *(throttle(route, "UploadFormRateLimit", "UploadFormBurstLimit") for route in UPLOAD_FORM_ROUTES),
            ],
            "DefinitionBody": {"x-amazon-apigateway-gateway-responses": gateway_responses()},
        },
    }


def _path_match(suffixes: list[str]) -> Json:
    """Requests whose (URL-decoded, normalised) path ends with one of the suffixes: /api/<route> either way."""

    def ends_with(suffix: str) -> Json:
        return {
            "ByteMatchStatement": {
                "FieldToMatch": {"UriPath": {}},
                "PositionalConstraint": "ENDS_WITH",
                "SearchString": suffix,
                "TextTransformations": [
                    {"Priority": 0, "Type": "URL_DECODE"},
                    {"Priority": 1, "Type": "NORMALIZE_PATH"},
                ],
            }
        }

    statements = [ends_with(s) for s in suffixes]
    return statements[0] if len(statements) == 1 else {"OrStatement": {"Statements": statements}}


LOGIN_SUFFIXES = ["/auth/login"]
UPLOAD_FORM_SUFFIXES = ["/media", "/uploads"]  # /sessions/{id}/media, /exams/{id}/{enrollment,system-check}/uploads


def _visibility(metric: str) -> Json:
    return {"CloudWatchMetricsEnabled": True, "MetricName": metric, "SampledRequestsEnabled": True}


def _rate_rule(name: str, priority: int, suffixes: list[str], limit: Json, key: str) -> Json:
    statement: Json = {
        "Limit": limit,
        "EvaluationWindowSec": RATE_WINDOW_S,
        "AggregateKeyType": key,
        "ScopeDownStatement": _path_match(suffixes),
    }
    if key == "FORWARDED_IP":
        # CloudFront appends the viewer's address to X-Forwarded-For; WAF reads the first address, which a client
        # may forge (it evades this rule, not the per-connection rule or the throttles). Without the header the rule
        # does not apply; an unparsable first address counts as a match (blocked).
        statement["ForwardedIPConfig"] = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
    return {
        "Name": name,
        "Priority": priority,
        "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "throttled"}}},
        "Statement": {"RateBasedStatement": statement},
        "VisibilityConfig": _visibility(name),
    }


def _web_acl(names: StackNames, scope: str, rules: list[Json]) -> Json:
    name = f"{names.prefix}{'api' if scope == 'REGIONAL' else 'site'}"
    return {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Name": name,
            "Scope": scope,
            "Description": "Rate limits per client on sign-in and upload forms, answered 429 in the API error shape",
            "DefaultAction": {"Allow": {}},
            "CustomResponseBodies": {
                "throttled": {
                    "ContentType": "APPLICATION_JSON",
                    "Content": json.dumps({"error": {"code": THROTTLED[0], "message": THROTTLED[1]}}),
                }
            },
            "Rules": rules,
            "VisibilityConfig": _visibility(name),
        },
    }


def resources(names: StackNames, stage_retention: dict[str, str]) -> Json:
    login, uploads = ref("LoginLimitPerClient"), ref("UploadFormLimitPerClient")
    connection_login, connection_uploads = ref("LoginLimitPerConnection"), ref("UploadFormLimitPerConnection")
    regional_rules = [
        _rate_rule("login-per-client", 0, LOGIN_SUFFIXES, login, "FORWARDED_IP"),
        _rate_rule("upload-forms-per-client", 1, UPLOAD_FORM_SUFFIXES, uploads, "FORWARDED_IP"),
        _rate_rule("login-per-connection", 2, LOGIN_SUFFIXES, connection_login, "IP"),
        _rate_rule("upload-forms-per-connection", 3, UPLOAD_FORM_SUFFIXES, connection_uploads, "IP"),
    ]
    edge_rules = [
        _rate_rule("login-per-client", 0, LOGIN_SUFFIXES, login, "IP"),
        _rate_rule("upload-forms-per-client", 1, UPLOAD_FORM_SUFFIXES, uploads, "IP"),
    ]
    edge_acl = _web_acl(names, "CLOUDFRONT", edge_rules)
    edge_acl["Condition"] = IN_US_EAST_1
    return {
        ACCESS_LOG_GROUP_ID: {
            "Type": "AWS::Logs::LogGroup",
            **stage_retention,  # a record of who called what: kept with the data in prod
            "Properties": {
                "LogGroupName": f"/aws/apigateway/{names.prefix}api-access",
                "RetentionInDays": ref("AccessLogRetentionDays"),
            },
        },
        # API Gateway writes logs through one role per account and region (a singleton setting). Retained: another
        # stage's API may log through it after this stack is gone.
        API_LOGS_ROLE_ID: {
            "Type": "AWS::IAM::Role",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": "API Gateway (account setting): writes the REST APIs' access logs to CloudWatch Logs",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "apigateway-logs",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                allow(
                                    (
                                        "logs:CreateLogGroup",
                                        "logs:CreateLogStream",
                                        "logs:DescribeLogGroups",
                                        "logs:DescribeLogStreams",
                                        "logs:PutLogEvents",
                                        "logs:GetLogEvents",
                                        "logs:FilterLogEvents",
                                    ),
                                    sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
                                )
                            ],
                        },
                    }
                ],
            },
        },
        API_ACCOUNT_ID: {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": get_att(API_LOGS_ROLE_ID)},
        },
        WEB_ACL_ID: _web_acl(names, "REGIONAL", regional_rules),
        WEB_ACL_ASSOCIATION_ID: {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {
                # ${RestAPI.Stage} is SAM's reference to the stage it generates: the association waits for it.
                "ResourceArn": sub(
                    f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{REST_API_ID}}}"
                    f"/stages/${{{REST_API_ID}.Stage}}"
                ),
                "WebACLArn": get_att(WEB_ACL_ID),
            },
        },
        EDGE_WEB_ACL_ID: edge_acl,
    }


CONDITIONS: Json = {IN_US_EAST_1: {"Fn::Equals": [ref("AWS::Region"), "us-east-1"]}}


def distribution_web_acl() -> Json:
    """The distribution's WebACLId: the CLOUDFRONT ACL exists only in us-east-1 (WAF's home for CloudFront)."""
    return {"Fn::If": [IN_US_EAST_1, get_att(EDGE_WEB_ACL_ID), ref("AWS::NoValue")]}
