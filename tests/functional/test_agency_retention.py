"""Each agency's retention_days decide when its sessions' media are purged (chalicelib/media/purge.py).

Session keys do not name the agency, so the bucket's lifecycle rule cannot apply per-agency retention; the purge
reads the agency's sessions by start time and deletes every version of their objects. Run here in-process against
the local endpoint, exactly as the daily schedule runs it on AWS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.onboarding import exam_with_session, onboard, operator_token
from tests.helpers import ok


def in_process():
    from chalicelib import wiring

    wiring.settings()
    return wiring


def store_media(session_id: str) -> str:
    """Two versions of a frame under the session's prefix (the bucket is versioned: both must go)."""
    wiring = in_process()
    key = f"sessions/{session_id}/webcam/frame.jpg"
    for body in (b"first", b"second"):
        wiring.s3().put_object(Bucket=wiring.settings().media_bucket, Key=key, Body=body)
    return key


def versions(session_id: str) -> int:
    wiring = in_process()
    page = wiring.s3().list_object_versions(Bucket=wiring.settings().media_bucket, Prefix=f"sessions/{session_id}/")
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


def started_days_ago(session_id: str, days: float) -> None:
    from chalicelib.exam.models import SessionRecord

    in_process()
    moment = datetime.now(UTC) - timedelta(days=days)
    SessionRecord(session_id).update(actions=[SessionRecord.started_at.set(moment)])


def purge(agency_id: str) -> dict[str, int]:
    from chalicelib.agencies.models import AgencyRecord

    wiring = in_process()
    return wiring.media_purge().purge_agency(AgencyRecord.get(agency_id, consistent_read=True), datetime.now(UTC))


@pytest.fixture(scope="module")
def operator(api):
    return operator_token(api)


def sitting(api, admin, days_ago: float) -> str:
    session_id = exam_with_session(api, admin)["session"]["session_id"]
    store_media(session_id)
    started_days_ago(session_id, days_ago)
    return session_id


def test_media_outlive_the_default_30_days_only_where_the_agency_keeps_them_longer(api, operator):
    short, long = onboard(api, operator), onboard(api, operator, retention_days=90)
    old, recent, edge = (sitting(api, short["admin"], days) for days in (40, 10, 30.5))
    kept_longer = sitting(api, long["admin"], 40)

    assert purge(short["agency_id"]) == {"sessions": 1, "versions": 2}
    assert versions(old) == 0
    assert versions(recent) == 2 and versions(edge) == 2  # 30 days + a day's margin for the last uploads
    assert purge(long["agency_id"]) == {"sessions": 0, "versions": 0}
    assert versions(kept_longer) == 2
    assert purge(short["agency_id"]) == {"sessions": 0, "versions": 0}  # the watermark moved on: nothing re-read

    # shortening the retention is honoured by the next run
    ok(api.call("PATCH", f"/operator/agencies/{long['agency_id']}", operator, json={"retention_days": 30}))
    assert purge(long["agency_id"]) == {"sessions": 1, "versions": 2}
    assert versions(kept_longer) == 0


def test_the_scheduled_purge_goes_over_every_agency(api, operator):
    from chalice.test import Client

    import app as chalice_app

    made = onboard(api, operator, retention_days=60)
    old, young = sitting(api, made["admin"], 70), sitting(api, made["admin"], 50)
    in_process()
    with Client(chalice_app.app) as client:
        client.lambda_.invoke("purge_media", client.events.generate_cw_event("Scheduled Event", "aws.events", {}, []))
    assert versions(old) == 0 and versions(young) == 2
