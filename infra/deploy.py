"""Deploy (or delete) one stage's stack from the artifacts `python -m infra.package` built under build/<stage>/api/.

    python -m infra.deploy --stage dev [--region eu-central-1] [--parameter WebOrigins=https://exam.example.kz]
    python -m infra.deploy --stage dev --no-execute        # create the change set, print it, leave it for review
    python -m infra.deploy --stage dev --delete [--empty-media-bucket]

What `aws cloudformation package` + `deploy` do, with boto3 only: the two Lambda zips and the template go to an
artifact bucket (content-addressed keys, so an unchanged zip is neither uploaded again nor redeployed), then a change
set is created (CAPABILITY_IAM for the roles, CAPABILITY_AUTO_EXPAND for the SAM transform) and executed.
Parameters not given keep their previous value on an existing stack, their default on a new one.

Then the web app (build/<stage>/site/) is published to the stack's site bucket: every file with its content type
and cache policy (hashed files under assets/ immutable for a year, everything else revalidated), files of earlier
builds deleted, and a CloudFront invalidation so the edges drop the old index.html. The site URL is printed.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import mimetypes
import re
import sys
import time
from pathlib import Path
from typing import Any

from infra.definitions import StackNames

BUILD_DIR = Path(__file__).resolve().parents[1] / "build"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
ARTIFACT_EXPIRY_DAYS = 90  # old zips and templates; a stack only needs them while it deploys
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
# Vite names what it emits under assets/ <name>-<8-character content hash>.<ext>: such a file never changes.
HASHED_ASSET = re.compile(r"^assets/(?:.+/)?[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9.]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # index.html and unhashed files: the browser asks every time (304 when unchanged)
# Explicit for what a web build holds, so the result does not depend on the machine's /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
}


class DeployError(RuntimeError):
    pass


def stack_name(stage: str) -> str:
    return StackNames(stage).prefix.rstrip("-")


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def upload_artifacts(template: dict[str, Any], template_dir: Path, s3: Any, bucket: str, prefix: str) -> dict[str, Any]:
    """A copy of the template whose local code paths point at uploaded S3 objects (keyed by content)."""
    result = copy.deepcopy(template)
    uploaded: dict[Path, tuple[str, str]] = {}

    def upload(relative: str) -> tuple[str, str]:
        path = (template_dir / relative).resolve()
        if path not in uploaded:
            if not path.is_file():
                raise DeployError(f"{path} is missing: run `make package STAGE=...` first")
            key = f"{prefix}/{_sha256(path)}{path.suffix}"
            try:
                s3.head_object(Bucket=bucket, Key=key)
            except s3.exceptions.ClientError as error:
                if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                    raise
                print(f"uploading {path.name} ({path.stat().st_size / 1e6:.1f} MB) to s3://{bucket}/{key}")
                s3.upload_file(str(path), bucket, key)
            uploaded[path] = (bucket, key)
        return uploaded[path]

    for resource in result.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and _is_local(properties.get("CodeUri")):
            code_bucket, key = upload(properties["CodeUri"])
            properties["CodeUri"] = f"s3://{code_bucket}/{key}"
        elif resource.get("Type") == "AWS::Lambda::Function" and _is_local(properties.get("Code")):
            code_bucket, key = upload(properties["Code"])
            properties["Code"] = {"S3Bucket": code_bucket, "S3Key": key}
    return result


def parameter_list(overrides: dict[str, str], declared: dict[str, Any], previous: set[str]) -> list[dict[str, Any]]:
    """Overrides as given; other parameters the existing stack has keep their value; the rest take the default."""
    unknown = overrides.keys() - declared.keys()
    if unknown:
        raise DeployError(f"the template declares no parameter {sorted(unknown)}; it has {sorted(declared)}")
    missing = [k for k, spec in declared.items() if "Default" not in spec and k not in overrides and k not in previous]
    if missing:
        flags = ", ".join(f"--parameter {k}=..." for k in missing)
        raise DeployError(f"parameters without a default need a value: {flags}")
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(overrides.items())]
    parameters += [
        {"ParameterKey": k, "UsePreviousValue": True} for k in sorted(declared) if k not in overrides and k in previous
    ]
    return parameters


def ensure_artifact_bucket(s3: Any, bucket: str, region: str) -> None:
    """A private, encrypted bucket for deployment artifacts (created once per account and region)."""
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(f"artifact bucket {bucket} is not usable: {error}") from error
    print(f"creating artifact bucket {bucket}")
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-artifacts",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": ARTIFACT_EXPIRY_DAYS},
                }
            ]
        },
    )


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def _failure_events(cfn: Any, name: str, limit: int = 10) -> list[str]:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        f"{e['LogicalResourceId']}: {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}"
        for e in events
        if e["ResourceStatus"].endswith("FAILED")
    ][:limit]


def deploy(
    session: Any,
    stage: str,
    *,
    build_dir: Path,
    artifact_bucket: str | None,
    overrides: dict[str, str],
    execute: bool = True,
) -> dict[str, str]:
    template_file = build_dir / stage / "api" / "sam.json"
    site_dir = site_dir_of(build_dir, stage)
    for required in (template_file, site_dir / "index.html"):  # before minutes of deploying, not after
        if not required.is_file():
            raise DeployError(f"{required} is missing: run `make package STAGE={stage}` first")
    region = session.region_name
    s3, cfn = session.client("s3"), session.client("cloudformation")
    account = session.client("sts").get_caller_identity()["Account"]
    bucket = artifact_bucket or f"proctor-artifacts-{account}-{region}"
    ensure_artifact_bucket(s3, bucket, region)

    name = stack_name(stage)
    template = upload_artifacts(json.loads(template_file.read_text()), template_file.parent, s3, bucket, name)
    body = json.dumps(template, separators=(",", ":")).encode()
    template_key = f"{name}/template-{hashlib.sha256(body).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    template_url = f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"

    existing = _stack(cfn, name)
    if existing and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {name} failed to create and must be deleted first (--delete)")
    previous = {p["ParameterKey"] for p in (existing or {}).get("Parameters", [])}
    change_set = f"deploy-{time.strftime('%Y%m%d-%H%M%S')}"
    cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType="UPDATE" if existing else "CREATE",
        TemplateURL=template_url,
        Capabilities=CAPABILITIES,
        Parameters=parameter_list(overrides, template.get("Parameters", {}), previous),
        Tags=[{"Key": "project", "Value": "proctor"}, {"Key": "stage", "Value": stage}],
    )
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except Exception as error:  # noqa: BLE001 - botocore's WaiterError; the reason is on the change set
        description = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
        reason = description.get("StatusReason", "")
        if any(marker in reason for marker in NO_CHANGES):
            cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
            print(f"{name}: no changes")
            result = outputs(cfn, name)
            if execute:  # the web app may have changed without the stack
                publish(session, result, site_dir)
            return result
        raise DeployError(f"change set {change_set} failed: {reason}") from error

    changes = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)["Changes"]
    for change in changes:
        rc = change["ResourceChange"]
        print(
            f"  {rc['Action']:<7} {rc['LogicalResourceId']} ({rc['ResourceType']})"
            + (f" replacement={rc['Replacement']}" if rc.get("Replacement") not in (None, "False") else "")
        )
    if not execute:
        print(f"change set {change_set} of stack {name} left for review (execute it in the console or rerun)")
        return {}
    cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
    waiter = "stack_update_complete" if existing else "stack_create_complete"
    print(f"{name}: executing {change_set} ({len(changes)} changes)…")
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 360})
    except Exception as error:  # noqa: BLE001 - WaiterError: show why
        raise DeployError(f"stack {name} did not deploy:\n  " + "\n  ".join(_failure_events(cfn, name))) from error
    result = outputs(cfn, name)
    publish(session, result, site_dir)
    return result


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    return IMMUTABLE if HASHED_ASSET.match(key) else REVALIDATE


def publish_site(s3: Any, cloudfront: Any, site_dir: Path, bucket: str, distribution_id: str) -> dict[str, Any]:
    """Upload the built web app to its bucket, delete files of earlier builds, invalidate the distribution's cache.

    index.html goes last, so it never points at assets not uploaded yet. Every file is uploaded (a build is a few
    hundred KB); the stale ones are deleted only after, so a page loaded during the publish finds its files.
    """
    files = sorted(
        (path.relative_to(site_dir).as_posix(), path)
        for path in site_dir.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )
    keys = {key for key, _ in files}
    if "index.html" not in keys:
        raise DeployError(f"{site_dir}/index.html is missing: run `make package STAGE=...` first")
    for key, path in sorted(files, key=lambda item: item[0] == "index.html"):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )
    stale = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for obj in page.get("Contents", [])
        if obj["Key"] not in keys
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]], "Quiet": True}
        )
    # One wildcard path: free (the first 1,000 paths a month are), and it covers index.html, the app's routes
    # (rewritten to /index.html) and any other unhashed file. Hashed assets are refetched once from S3: pennies.
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"publish-{time.time_ns()}",
        },
    )["Invalidation"]
    print(
        f"site: {len(files)} files to s3://{bucket}, {len(stale)} stale deleted, "
        f"invalidation {invalidation['Id']} of distribution {distribution_id}"
    )
    return {"uploaded": [k for k, _ in files], "deleted": stale, "invalidation": invalidation["Id"]}


def site_dir_of(build_dir: Path, stage: str) -> Path:
    return build_dir / stage / "site"


def publish(session: Any, stack_outputs: dict[str, str], site_dir: Path) -> None:
    """Publish the site to the stack's bucket and distribution (named by the stack's outputs)."""
    if "SiteBucketName" not in stack_outputs:
        return  # a stack deployed before the web app was part of it
    publish_site(
        session.client("s3"),
        session.client("cloudfront"),
        site_dir,
        stack_outputs["SiteBucketName"],
        stack_outputs["SiteDistributionId"],
    )


def outputs(cfn: Any, name: str) -> dict[str, str]:
    stack = _stack(cfn, name) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object (and version) in the bucket; returns how many."""
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
        ]
        for start in range(0, len(objects), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects[start : start + 1000], "Quiet": True})
        deleted += len(objects)
    return deleted


def delete(session: Any, stage: str, *, empty_media_bucket: bool) -> None:
    cfn, s3 = session.client("cloudformation"), session.client("s3")
    name = stack_name(stage)
    stack = _stack(cfn, name)
    if not stack:
        print(f"{name}: no such stack")
        return
    stack_outputs = outputs(cfn, name)
    bucket = stack_outputs.get("MediaBucketName")
    if bucket and empty_media_bucket:
        print(f"emptying s3://{bucket}: {empty_bucket(s3, bucket)} objects deleted")
    site_bucket = stack_outputs.get("SiteBucketName")
    if site_bucket:  # build output only, always rebuildable: CloudFormation cannot delete a non-empty bucket
        print(f"emptying s3://{site_bucket}: {empty_bucket(s3, site_bucket)} web app files deleted")
    cfn.delete_stack(StackName=name)
    print(f"{name}: deleting…")
    try:
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    except Exception as error:  # noqa: BLE001 - WaiterError: show why
        hint = "" if empty_media_bucket else " (a non-empty media bucket cannot be deleted: --empty-media-bucket)"
        raise DeployError(
            f"stack {name} was not deleted{hint}:\n  " + "\n  ".join(_failure_events(cfn, name))
        ) from error
    print(
        f"{name}: deleted (resources with DeletionPolicy Retain remain: prod's tables, media bucket, secret and "
        "key, and every stage's audit log bucket and API Gateway log role; see docs/DEPLOY.md, Teardown)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy or delete one stage's CloudFormation stack.")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", help="default: AWS_REGION / AWS_DEFAULT_REGION / the profile's region")
    parser.add_argument("--profile")
    parser.add_argument("--artifact-bucket", help="default: proctor-artifacts-<account>-<region>, created if missing")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter, e.g. WebOrigins=https://a.example,https://b.example (extra upload origins besides "
        "the site's own; repeatable)",
    )
    parser.add_argument("--no-execute", action="store_true", help="create and print the change set only")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--delete", action="store_true", help="delete the stage's stack")
    parser.add_argument(
        "--empty-media-bucket",
        action="store_true",
        help="with --delete: delete every media object first (irreversible)",
    )
    args = parser.parse_args(argv)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    if not session.region_name:
        print("error: no region: pass --region or set AWS_REGION", file=sys.stderr)
        return 2
    try:
        if args.delete:
            delete(session, args.stage, empty_media_bucket=args.empty_media_bucket)
            return 0
        malformed = [item for item in args.parameter if "=" not in item]
        if malformed:
            raise DeployError(f"--parameter takes KEY=VALUE, got {malformed}")
        overrides = dict(item.split("=", 1) for item in args.parameter)
        result = deploy(
            session,
            args.stage,
            build_dir=args.build_dir,
            artifact_bucket=args.artifact_bucket,
            overrides=overrides,
            execute=not args.no_execute,
        )
    except (DeployError, BotoCoreError, ClientError) as error:  # no credentials, access denied, bad input
        print(f"error: {error}", file=sys.stderr)
        return 1
    for key, value in sorted(result.items()):
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
