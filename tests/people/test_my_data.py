"""GET /me/data: a copy of everything about the person, theirs only, ID number and phone in full, audited."""

import io

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from tests.conftest import ME, RESUME, make_id_number

DATA = "/api/v1/me/data"


def seeker_with_everything(client, wechat_login, make_employer, make_job, phone="13812345678"):
    """A resident with a bound phone, an ID number, a résumé with a file, and an application."""
    _, headers, codes = wechat_login(phone=phone)
    assert (
        client.post(
            "/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers
        ).status_code
        == 200
    )
    id_number = make_id_number()
    profile = {"name": "钱七", "id_number": id_number, "community_code": "341002002001"}
    assert (
        client.patch(
            ME, json={**profile, "home_lat": 29.7165, "home_lng": 118.3185}, headers=headers
        ).status_code
        == 200
    )
    assert (
        client.put(RESUME, json={"skills": ["茶叶分拣"], "intro": "十年经验"}, headers=headers).status_code
        == 200
    )
    upload = {"file": (io.BytesIO(b"%PDF-1.4\n% cv\n"), "简历.pdf")}
    uploaded = client.post(
        f"{RESUME}/files", data=upload, headers=headers, content_type="multipart/form-data"
    )
    assert uploaded.status_code == 201
    _, employer_headers = make_employer()
    job_id = make_job(employer_headers)
    applied = client.post(
        f"/api/v1/jobs/{job_id}/applications", json={"message": "我想试试"}, headers=headers
    )
    assert applied.status_code == 201, applied.get_json()
    return headers, id_number, applied.get_json()["id"]


def test_the_copy_holds_every_section_in_full_and_is_audited(client, wechat_login, make_employer, make_job):
    headers, id_number, application_id = seeker_with_everything(client, wechat_login, make_employer, make_job)
    other, _, _ = seeker_with_everything(client, wechat_login, make_employer, make_job, phone="13900001111")

    response = client.get(DATA, headers=headers)

    assert response.status_code == 200, response.get_json()
    sections = response.get_json()["sections"]
    assert sections["profile"]["id_number"] == id_number
    assert sections["profile"]["phone"] == "13812345678"
    assert sections["profile"]["name"] == "钱七"
    assert "id_number_enc" not in sections["profile"] and "phone_hmac" not in sections["profile"]
    assert sections["resume"]["resume"]["intro"] == "十年经验"
    assert [f["original_name"] for f in sections["resume"]["files"]] == ["简历.pdf"]
    assert "storage_name" not in sections["resume"]["files"][0]
    assert [(a["id"], a["message"], a["job_title"]) for a in sections["applications"]] == [
        (application_id, "我想试试", "茶叶分拣工")
    ]
    assert {r["purpose"] for r in sections["consents"]} == {
        "service_agreement",
        "privacy_notice",
        "sensitive_data",
    }
    assert sections["status_history"] == [] and sections["deletion_request"] is None
    assert sections["account"]["wechat_bound"] is True
    assert {"check_ins", "event_signups", "pushes", "household_visits", "needs", "audit_events"} <= set(
        sections
    )
    assert sections["registrations"] == [] and sections["certifications"] == []
    # The other person's rows are not in it.
    assert "13900001111" not in response.get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "my_data.copy"))
    assert event.object_type == "resident" and event.object_id == str(sections["profile"]["id"])
    assert event.actor_id == sections["account"]["id"] and event.community_id is not None
    # The next copy lists the first copy among the events about them.
    again = client.get(DATA, headers=headers).get_json()["sections"]
    assert "my_data.copy" in [e["action"] for e in again["audit_events"]]
    assert (
        client.get(DATA, headers=other).get_json()["sections"]["profile"]["name"] == "钱七"
    )  # theirs, same name


def test_a_resident_without_a_profile_gets_an_empty_copy(client, wechat_login, staff_headers):
    _, headers, _ = wechat_login(consent=False)

    response = client.get(DATA, headers=headers)

    assert response.status_code == 200
    sections = response.get_json()["sections"]
    assert sections["resume"] is None or sections["resume"]["resume"] is None
    assert sections["applications"] == [] and sections["consents"] == []
    _, city = staff_headers("city_admin", "city", "341000000000")
    assert client.get(DATA, headers=city).status_code == 403
