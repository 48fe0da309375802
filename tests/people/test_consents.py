"""Consent: nothing personal is saved before the current documents are accepted; new versions, withdrawal."""

import io

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Application,
    AuditEvent,
    CheckIn,
    ConsentRecord,
    EventSignup,
    Push,
    Resident,
    Resume,
    ResumeFile,
)
from app.services.people import seekers
from app.services.people.consent_documents import current_documents
from app.services.push import send
from tests.conftest import ME, RESUME, make_id_number
from tests.support import check_in, count, error_of, event_url, job_match_push, open_event

CONSENTS = "/api/v1/me/consents"
DOCUMENTS = "/api/v1/consent-documents"
CITY = ("city_admin", "city", "341000000000")
UA = {"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.50 miniProgram"}


def versions(*purposes) -> list[dict]:
    """Return the current documents of `purposes` as a POST /me/consents body's list."""
    documents = current_documents()
    db.session.commit()
    return [{"purpose": p, "version": documents[p].version} for p in purposes]


def accept(client, headers, *purposes, client_version="1.4.0"):
    """Accept the current versions of `purposes` (default: every document)."""
    purposes = purposes or ("service_agreement", "privacy_notice", "sensitive_data")
    body = {"documents": versions(*purposes), "client_version": client_version}
    return client.post(CONSENTS, json=body, headers={**headers, **UA})


def assert_consent_required(response, *missing) -> None:
    """Assert a 403 consent_required naming exactly the `missing` purposes."""
    assert response.status_code == 403, response.get_json()
    error = error_of(response)
    assert error["code"] == "consent_required"
    assert sorted(error["fields"]) == sorted(missing)


def test_without_consent_no_personal_data_is_saved(
    client, wechat_login, fake_wechat, staff_headers, make_employer, make_job
):
    body, headers, codes = wechat_login(phone="13812345678", consent=False)
    base = ("privacy_notice", "service_agreement")

    assert_consent_required(
        client.patch(ME, json={"name": "张三", "home_address": "屯溪路1号"}, headers=headers), *base
    )
    assert_consent_required(
        client.post("/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers), *base
    )
    assert_consent_required(client.put(RESUME, json={"skills": ["茶艺"]}, headers=headers), *base)
    upload = {"file": (io.BytesIO(b"%PDF-1.4\n% cv\n"), "cv.pdf")}
    refused = client.post(f"{RESUME}/files", data=upload, headers=headers, content_type="multipart/form-data")
    assert_consent_required(refused, *base)
    _, city = staff_headers(*CITY)
    event = open_event(client, city)
    assert_consent_required(check_in(client, headers, event_url(event["id"])), *base)
    assert_consent_required(client.post(f"/api/v1/events/{event['id']}/signups", headers=headers), *base)
    job_id = make_job(make_employer()[1])
    assert_consent_required(
        client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=headers), *base
    )

    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == body["account"]["id"]))
    assert resident is None or (resident.name, resident.phone_enc) == (None, None)
    mine = ConsentRecord.account_id == body["account"]["id"]
    assert (count(Resume), count(ResumeFile), count(ConsentRecord, mine)) == (0, 0, 0)
    assert (count(CheckIn), count(EventSignup), count(Application)) == (0, 0, 0)
    # Reading stays open: the profile and the consents themselves.
    assert client.get(ME, headers=headers).status_code == 200
    overview = client.get(CONSENTS, headers=headers).get_json()
    assert overview["pending"] == ["service_agreement", "privacy_notice"]
    assert {d["state"] for d in overview["documents"]} == {"pending"}


def test_accepting_records_version_time_and_client_then_saving_works(client, wechat_login):
    body, headers, _ = wechat_login(consent=False)

    accepted = accept(client, headers, "service_agreement", "privacy_notice")

    assert accepted.status_code == 200, accepted.get_json()
    overview = accepted.get_json()
    assert overview["pending"] == []
    states = {d["purpose"]: d["state"] for d in overview["documents"]}
    assert states == {
        "service_agreement": "accepted",
        "privacy_notice": "accepted",
        "sensitive_data": "pending",
    }
    record = overview["history"][0]
    assert record["action"] == "accepted" and record["client_version"] == "1.4.0"
    assert record["ip"] == "127.0.0.1" and "MicroMessenger" in record["user_agent"]
    assert record["version"] == current_documents()["privacy_notice"].version
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "consent.accept"))
    assert event.actor_id == body["account"]["id"] and len(event.detail["documents"]) == 2

    saved = client.patch(ME, json={"name": "张三"}, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    assert client.put(RESUME, json={"skills": ["茶艺"]}, headers=headers).status_code == 200

    # The same acceptance again (a retried request) records nothing new.
    assert accept(client, headers, "service_agreement", "privacy_notice").status_code == 200
    assert count(ConsentRecord) == 2
    # A document named twice is accepted once.
    assert accept(client, headers, "sensitive_data", "sensitive_data").status_code == 200
    assert count(ConsentRecord) == 3


def test_an_id_number_needs_the_separate_sensitive_data_consent(client, wechat_login):
    _, headers, _ = wechat_login(consent=False)
    accept(client, headers, "service_agreement", "privacy_notice")
    id_number = make_id_number()

    assert_consent_required(
        client.patch(ME, json={"id_number": id_number}, headers=headers), "sensitive_data"
    )
    assert db.session.scalar(sa.select(Resident.id_number_hmac)) is None
    assert client.patch(ME, json={"name": "李四"}, headers=headers).status_code == 200

    assert accept(client, headers, "sensitive_data").status_code == 200
    saved = client.patch(ME, json={"id_number": id_number}, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["id_number"].endswith(id_number[-4:])


def test_sensitive_consent_alone_is_refused(client, wechat_login):
    _, headers, _ = wechat_login(consent=False)

    refused = accept(client, headers, "sensitive_data")

    assert refused.status_code == 422
    assert error_of(refused)["code"] == "consent_base_required"
    assert count(ConsentRecord) == 0


def test_a_new_version_asks_again(client, wechat_login, staff_headers):
    _, headers, _ = wechat_login()  # accepted the current documents
    old = current_documents()["privacy_notice"].version
    db.session.commit()
    _, city = staff_headers(*CITY)
    new = {
        "purpose": "privacy_notice",
        "version": "2099-01-01",
        "title": "隐私政策（修订）",
        "body": "# 新版\n内容",
    }

    published = client.post(DOCUMENTS, json={**new, "summary": "增加了签到位置的说明"}, headers=city)

    assert published.status_code == 201, published.get_json()
    assert client.post(DOCUMENTS, json=new, headers=city).status_code == 200  # a retry
    clash = client.post(DOCUMENTS, json={**new, "body": "另一个文本"}, headers=city)
    assert clash.status_code == 409 and error_of(clash)["code"] == "consent_version_exists"
    assert client.post(DOCUMENTS, json=new, headers=headers).status_code == 403  # residents do not publish
    assert_consent_required(client.patch(ME, json={"name": "王五"}, headers=headers), "privacy_notice")
    overview = client.get(CONSENTS, headers=headers).get_json()
    notice = next(d for d in overview["documents"] if d["purpose"] == "privacy_notice")
    assert (notice["state"], notice["accepted_version"], notice["current_version"]) == (
        "outdated",
        old,
        "2099-01-01",
    )
    assert notice["summary"] == "增加了签到位置的说明"
    assert overview["pending"] == ["privacy_notice"]

    stale = client.post(
        CONSENTS, json={"documents": [{"purpose": "privacy_notice", "version": old}]}, headers=headers
    )
    assert stale.status_code == 409 and error_of(stale)["code"] == "consent_version_outdated"
    assert accept(client, headers, "privacy_notice").status_code == 200
    assert client.patch(ME, json={"name": "王五"}, headers=headers).status_code == 200
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "consent.publish"))


def test_the_documents_are_public_and_each_version_stays_readable(client):
    listed = client.get(DOCUMENTS)

    assert listed.status_code == 200
    items = {d["purpose"]: d for d in listed.get_json()["items"]}
    assert set(items) == {"service_agreement", "privacy_notice", "sensitive_data"}
    assert "身份证号码" in items["sensitive_data"]["body"]
    only = client.get(DOCUMENTS, query_string={"purpose": "sensitive_data"}).get_json()["items"]
    assert [d["purpose"] for d in only] == ["sensitive_data"]
    version = items["privacy_notice"]["version"]
    one = client.get(DOCUMENTS, query_string={"purpose": "privacy_notice", "version": version})
    assert (
        one.status_code == 200 and one.get_json()["items"][0]["sha256"] == items["privacy_notice"]["sha256"]
    )
    missing = client.get(DOCUMENTS, query_string={"purpose": "privacy_notice", "version": "1900-01-01"})
    assert missing.status_code == 404 and error_of(missing)["code"] == "consent_document_not_found"
    assert client.get(DOCUMENTS, query_string={"purpose": "nonsense"}).status_code == 422
    assert client.get(DOCUMENTS, query_string={"version": version}).status_code == 422


def test_withdrawing_the_privacy_notice_stops_matching_and_pushes(app, client, make_seeker, fake_wechat):
    seeker = make_seeker(name="赵六")
    assert seekers.search_seekers(29.7165, 118.3185, 1000, 10)  # on the seekers' map
    waiting = job_match_push(seeker.account_id, 1)

    withdrawn = client.post(
        f"{CONSENTS}/withdraw",
        json={"purposes": ["privacy_notice"], "client_version": "1.4.0"},
        headers=seeker.headers,
    )

    assert withdrawn.status_code == 200, withdrawn.get_json()
    overview = withdrawn.get_json()
    assert overview["may_process"] is False
    states = {d["purpose"]: d["state"] for d in overview["documents"]}
    assert states["privacy_notice"] == "withdrawn" and states["service_agreement"] == "accepted"
    resume = db.session.get(Resume, seeker.resident_id)
    assert (resume.open_to_work, resume.seeking_paused_reason) == (False, "consent")
    assert seekers.search_seekers(29.7165, 118.3185, 1000, 10) == []
    assert db.session.get(Push, waiting).status == "skipped"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "consent.withdraw"))
    assert event.detail["resume_closed"] is True and event.detail["pushes_skipped"] == 1
    # A push made afterwards (an application's news) is not sent either.
    later = job_match_push(seeker.account_id, 2)
    assert send.send(later) == "skipped"
    assert db.session.get(Push, later).last_error == "consent_withdrawn"
    # Every save asks again; looking for work again needs the consent back.
    assert_consent_required(client.patch(ME, json={"name": "赵六"}, headers=seeker.headers), "privacy_notice")
    assert client.post(f"{RESUME}/seeking", headers=seeker.headers).status_code == 403
    assert accept(client, seeker.headers, "privacy_notice").status_code == 200
    assert client.post(f"{RESUME}/seeking", headers=seeker.headers).status_code == 200
    # Withdrawn again: the notice (accepted again above) only; then nothing more is recorded.
    for _ in range(2):
        again = client.post(
            f"{CONSENTS}/withdraw", json={"purposes": ["privacy_notice"]}, headers=seeker.headers
        )
    assert [r["action"] for r in again.get_json()["history"]].count("withdrawn") == 3


def test_staff_and_employers_are_not_gated(client, make_employer, staff_headers):
    _, employer_headers = make_employer()
    _, city = staff_headers(*CITY)

    assert client.get(CONSENTS, headers=employer_headers).status_code == 403
    assert client.get(CONSENTS, headers=city).status_code == 403
    assert (
        client.post(f"{CONSENTS}/withdraw", json={"purposes": ["privacy_notice"]}, headers=city).status_code
        == 403
    )
