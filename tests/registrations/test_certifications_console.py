"""The console's certification review: the queue, the page with evidence, certify and reject (CSRF)."""

import io
import uuid
from datetime import timedelta

import pytest

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, Certification, Push
from tests.conftest import ME, SUBSCRIPTIONS
from tests.console import conftest as console_fixtures
from tests.support import SIDES, count

# The console tests' fixtures: signing in through the real pages, posting with a CSRF token.
console_login = console_fixtures.console_login
console_staff = console_fixtures.console_staff
console_post = console_fixtures.console_post

MINE = "/api/v1/me/certifications"
PDF = b"%PDF-1.4\n% evidence\n"


@pytest.fixture
def pending(client, wechat_login, places):
    """A resident of 昱中一社区 with a pending hard_to_employ certification and one PDF: its id."""
    _, headers, _ = wechat_login()
    assert (
        client.patch(
            ME, json={"name": "待审居民", "community_code": SIDES["A"]["code"]}, headers=headers
        ).status_code
        == 200
    )
    accepted = {"client_id": uuid.uuid4().hex, "results": {"tmpl-record-update": "accept"}}
    assert client.post(SUBSCRIPTIONS, json=accepted, headers=headers).status_code == 200
    created = client.post(
        MINE, json={"client_id": uuid.uuid4().hex, "key_group": "hard_to_employ"}, headers=headers
    )
    certification_id = created.get_json()["id"]
    uploaded = client.post(
        f"{MINE}/{certification_id}/evidence",
        data={"file": (io.BytesIO(PDF), "证明.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201
    return certification_id


def page_of(certification_id: int) -> str:
    return f"/console/certifications/{certification_id}"


def test_a_reviewer_opens_the_queue_downloads_evidence_and_certifies(
    client, console_staff, console_post, pending
):
    console_staff("operator", "circle", SIDES["A"]["circle"])

    queue = client.get("/console/lists/certifications")
    page = client.get(page_of(pending))
    row = db.session.get(Certification, pending)
    file_url = f"/console/certifications/{pending}/evidence/{row.evidence[0].id}"
    download = client.get(file_url)
    without_csrf = client.post(f"{page_of(pending)}/certify", data={"valid_from": local_day().isoformat()})
    until = (local_day() + timedelta(days=365)).isoformat()
    certified = console_post(
        f"{page_of(pending)}/certify",
        {"valid_from": local_day().isoformat(), "valid_until": until},
        page=page_of(pending),
    )

    assert queue.status_code == 200 and "待审居民" in queue.get_data(as_text=True)
    assert f'data-testid="open-{pending}"' in queue.get_data(as_text=True)
    assert page.status_code == 200 and file_url in page.get_data(as_text=True)
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert without_csrf.status_code == 400
    assert certified.status_code == 303, certified.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Certification, pending).status == "certified"
    assert str(db.session.get(Certification, pending).valid_until) == until
    assert count(Push, Push.object_id == f"certification:{pending}:certified") == 1
    actions = {"certification.read", "certification.evidence_read", "certification.certify"}
    assert all(count(AuditEvent, AuditEvent.action == action) >= 1 for action in actions)
    # Decided: the page no longer offers the forms.
    assert 'data-testid="certify"' not in client.get(page_of(pending)).get_data(as_text=True)


def test_a_reviewer_rejects_with_a_reason_and_an_expired_certificate_comes_back_as_a_message(
    client, console_staff, console_post, pending
):
    console_staff("station_staff", "circle", SIDES["A"]["circle"])
    yesterday = (local_day() - timedelta(days=1)).isoformat()

    expired = console_post(
        f"{page_of(pending)}/certify",
        {"valid_from": (local_day() - timedelta(days=30)).isoformat(), "valid_until": yesterday},
        page=page_of(pending),
    )
    after = client.get(page_of(pending)).get_data(as_text=True)
    rejected = console_post(f"{page_of(pending)}/reject", {"reason": "材料不清晰"}, page=page_of(pending))

    assert expired.status_code == 303
    assert "证明已过有效期" in after
    assert rejected.status_code == 303
    db.session.expire_all()
    row = db.session.get(Certification, pending)
    assert (row.status, row.reason) == ("rejected", "材料不清晰")


def test_a_reviewer_attaches_evidence_brought_to_the_counter(client, console_staff, console_post, pending):
    console_staff("station_staff", "circle", SIDES["A"]["circle"])
    scan = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

    added = console_post(
        f"{page_of(pending)}/evidence",
        {"file": (io.BytesIO(scan), "柜台扫描.png")},
        page=page_of(pending),
        content_type="multipart/form-data",
    )
    wrong = console_post(
        f"{page_of(pending)}/evidence",
        {"file": (io.BytesIO(b"plain text"), "a.png")},
        page=page_of(pending),
        content_type="multipart/form-data",
    )

    assert added.status_code == wrong.status_code == 303
    db.session.expire_all()
    names = [file.original_name for file in db.session.get(Certification, pending).evidence]
    assert names == ["证明.pdf", "柜台扫描.png"]
    assert "只能上传 PDF、Word、JPG 或 PNG 文件" in client.get(page_of(pending)).get_data(as_text=True)


def test_the_supervisor_reads_the_queue_and_the_page_without_forms_or_files(client, console_staff, pending):
    console_staff("supervisor", "district", "341002000000")

    home = client.get("/console/dashboard").get_data(as_text=True)
    page = client.get(page_of(pending))
    file_url = (
        f"/console/certifications/{pending}/evidence/{db.session.get(Certification, pending).evidence[0].id}"
    )

    assert "/console/lists/certifications" in home
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "证明.pdf" in text and file_url not in text and 'data-testid="certify"' not in text
    assert client.get(file_url).status_code == 403


def test_staff_outside_the_place_get_a_404_page_and_nothing_changes(
    client, console_staff, console_post, pending
):
    console_staff("operator", "circle", SIDES["B"]["circle"])

    page = client.get(page_of(pending))
    certify = console_post(f"{page_of(pending)}/certify", {"valid_from": local_day().isoformat()})

    assert page.status_code == 404 and certify.status_code == 404
    assert db.session.get(Certification, pending).status == "pending"
