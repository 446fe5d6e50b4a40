"""Publishing the web app after the stack deploys (infra/deploy.py), against moto's S3 and CloudFront.

The rest of the deploy (artifacts, change set, parameters) is tested with the template in tests/unit/test_template.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra import deploy

REGION = "eu-central-1"
BUILD = {
    "index.html": b"<!doctype html><script type=module src=/assets/index-DT3rawCO.js></script>",
    "assets/index-DT3rawCO.js": b"console.log(1)",
    "assets/index-CW6I2dPZ.css": b"body{}",
    "assets/logo-Ab12_-xY.svg": b"<svg/>",
    "favicon.ico": b"\x00\x00\x01\x00",
    "robots.txt": b"User-agent: *",
}


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the local stack's endpoint, if a fixture set it
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


def write_build(site: Path) -> Path:
    for name, body in BUILD.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(body)
    return site


@pytest.fixture
def site_dir(tmp_path) -> Path:
    return write_build(tmp_path / "build" / "dev" / "site")


@pytest.fixture
def stack(aws) -> dict[str, str]:
    """What the stack's outputs name: its site bucket (with a file of an earlier build) and its distribution."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="site-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="site-bucket", Key="assets/index-OLDHASH1.js", Body=b"old")
    s3.put_object(Bucket="site-bucket", Key="index.html", Body=b"old page")
    distribution = aws.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": f"site-bucket.s3.{REGION}.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )["Distribution"]
    return {"SiteBucketName": "site-bucket", "SiteDistributionId": distribution["Id"], "SiteUrl": "https://d.example"}


def objects(s3, bucket: str) -> dict[str, dict]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.head_object(Bucket=bucket, Key=key) for key in keys}


def test_publish_uploads_every_file_with_its_type_and_cache_policy_and_deletes_earlier_builds(aws, stack, site_dir):
    # Given a bucket holding an earlier build, When the new build is published
    deploy.publish(aws, stack, site_dir)
    # Then the bucket holds exactly the new build
    s3 = aws.client("s3")
    published = objects(s3, "site-bucket")
    assert set(published) == set(BUILD)
    for key, body in BUILD.items():
        assert s3.get_object(Bucket="site-bucket", Key=key)["Body"].read() == body
    types = {key: head["ContentType"] for key, head in published.items()}
    assert types == {
        "index.html": "text/html; charset=utf-8",
        "assets/index-DT3rawCO.js": "text/javascript; charset=utf-8",
        "assets/index-CW6I2dPZ.css": "text/css; charset=utf-8",
        "assets/logo-Ab12_-xY.svg": "image/svg+xml",
        "favicon.ico": "image/x-icon",
        "robots.txt": "text/plain; charset=utf-8",
    }
    # hashed files under assets/ never change; the page and unhashed files are revalidated on every load
    cache = {key: head["CacheControl"] for key, head in published.items()}
    immutable = "public, max-age=31536000, immutable"
    assert cache == {
        "index.html": "no-cache",
        "assets/index-DT3rawCO.js": immutable,
        "assets/index-CW6I2dPZ.css": immutable,
        "assets/logo-Ab12_-xY.svg": immutable,
        "favicon.ico": "no-cache",
        "robots.txt": "no-cache",
    }


def test_publish_invalidates_the_distribution_so_the_edges_drop_the_old_page(aws, stack, site_dir, capsys):
    deploy.publish(aws, stack, site_dir)
    cloudfront = aws.client("cloudfront")
    (summary,) = cloudfront.list_invalidations(DistributionId=stack["SiteDistributionId"])["InvalidationList"]["Items"]
    invalidation = cloudfront.get_invalidation(DistributionId=stack["SiteDistributionId"], Id=summary["Id"])
    assert invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]
    out = capsys.readouterr().out
    assert "6 files" in out and "1 stale deleted" in out  # the earlier build's script


def test_publish_uploads_the_page_last_so_it_never_names_assets_not_there_yet(aws, stack, site_dir):
    order: list[str] = []
    s3, cloudfront = aws.client("s3"), aws.client("cloudfront")
    s3.meta.events.register("provide-client-params.s3.PutObject", lambda params, **_: order.append(params["Key"]))
    deploy.publish_site(s3, cloudfront, site_dir, stack["SiteBucketName"], stack["SiteDistributionId"])
    assert order[-1] == "index.html" and sorted(order) == sorted(BUILD)


def test_a_stack_without_a_site_is_left_alone_and_a_build_without_a_page_is_refused(aws, stack, site_dir):
    deploy.publish(aws, {"MediaBucketName": "m"}, site_dir)  # a stack from before the web app: nothing to do
    (site_dir / "index.html").unlink()
    with pytest.raises(deploy.DeployError, match="index.html"):
        deploy.publish(aws, stack, site_dir)
    assert "assets/index-DT3rawCO.js" not in objects(aws.client("s3"), "site-bucket")  # nothing half-published


def test_deploy_refuses_to_start_without_the_built_web_app(aws, tmp_path):
    (tmp_path / "dev" / "api").mkdir(parents=True)
    (tmp_path / "dev" / "api" / "sam.json").write_text("{}")
    with pytest.raises(deploy.DeployError, match=r"site/index.html is missing: run `make package"):
        deploy.deploy(aws, "dev", build_dir=tmp_path, artifact_bucket=None, overrides={})


@pytest.mark.parametrize(
    ("key", "cache"),
    [
        ("assets/index-DT3rawCO.js", deploy.IMMUTABLE),
        ("assets/nested/chunk-a1B2c3D4.js", deploy.IMMUTABLE),
        ("assets/logo.svg", "no-cache"),  # no hash: it may change under the same name
        ("index.html", "no-cache"),
        ("index-DT3rawCO.js", "no-cache"),  # outside assets/ (Vite copies public/ there unhashed)
    ],
)
def test_only_hashed_files_under_assets_are_cached_for_good(key, cache):
    assert deploy.cache_control(key) == cache


def test_deploy_publishes_the_site_after_the_stack_and_when_only_the_app_changed(aws, stack, tmp_path, monkeypatch):
    # Given a build whose template moto can run (moto has no SAM transform) and the stack's outputs
    # (moto's change sets do not report outputs: the real ones are stood in for)
    (tmp_path / "dev" / "api").mkdir(parents=True)
    minimal = {"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}}}
    (tmp_path / "dev" / "api" / "sam.json").write_text(json.dumps(minimal))
    write_build(tmp_path / "dev" / "site")
    monkeypatch.setattr(deploy, "outputs", lambda cfn, name: stack)
    s3, cloudfront = aws.client("s3"), aws.client("cloudfront")

    def invalidations() -> int:
        return cloudfront.list_invalidations(DistributionId=stack["SiteDistributionId"])["InvalidationList"]["Quantity"]

    # When the stack is created, Then the site is published and the outputs returned (SiteUrl printed by main)
    assert deploy.deploy(aws, "dev", build_dir=tmp_path, artifact_bucket=None, overrides={}) == stack
    assert set(objects(s3, "site-bucket")) == set(BUILD) and invalidations() == 1
    # When only the app changed (the change set has no changes), Then it is published all the same
    (tmp_path / "dev" / "site" / "robots.txt").unlink()
    deploy.deploy(aws, "dev", build_dir=tmp_path, artifact_bucket=None, overrides={})
    assert "robots.txt" not in objects(s3, "site-bucket") and invalidations() == 2
    # When the change set is only to be reviewed, Then nothing is published
    (tmp_path / "dev" / "site" / "favicon.ico").unlink()
    deploy.deploy(aws, "dev", build_dir=tmp_path, artifact_bucket=None, overrides={}, execute=False)
    assert "favicon.ico" in objects(s3, "site-bucket") and invalidations() == 2
