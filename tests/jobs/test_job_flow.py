"""The whole path of a job, through the API: register, verify, post, review, find, apply, hire."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Resident, StatusChange

TUNXI = {"lat": 29.7160, "lng": 118.3180}


def test_a_job_goes_from_registration_to_a_hire(client, wechat_login, staff_headers, places):
    _, boss, _ = wechat_login()
    response = client.post(
        "/api/v1/employers",
        json={
            "name": "黄山市屯溪老街茶庄",
            "credit_code": "91110108551385082Q",
            "contact_name": "汪老板",
            "contact_phone": "13955551234",
            "industry": "tea_processing",
            "address": "屯溪区老街1号",
            **TUNXI,
        },
        headers=boss,
    )
    assert response.status_code == 201, response.get_json()
    employer = response.get_json()
    assert employer["status"] == "pending"
    assert employer["contact_phone"] == "139****1234"
    assert employer["township"]["code"] == "341002002000"

    job = client.post(
        "/api/v1/jobs",
        json={
            "title": "茶叶包装工",
            "category": "tea_processing",
            "kind": "regular",
            "wage_min": 3500,
            "wage_max": 4500,
            "skills": ["包装"],
        },
        headers=boss,
    )
    assert job.status_code == 201, job.get_json()
    job_id = job.get_json()["id"]
    assert job.get_json()["status"] == "draft"
    refused = client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "employer_not_verified"

    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    no_licence = client.post(
        f"/api/v1/employers/{employer['id']}/verify", json={"decision": "verified"}, headers=station
    )
    assert no_licence.status_code == 409
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    upload = client.post(
        f"/api/v1/employers/{employer['id']}/licence",
        data={"file": (__import__("io").BytesIO(png), "licence.png")},
        headers=boss,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.get_json()
    verified = client.post(
        f"/api/v1/employers/{employer['id']}/verify", json={"decision": "verified"}, headers=station
    )
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["status"] == "verified"

    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss).get_json()["status"] == "pending_review"
    reviewed = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=station)
    assert reviewed.status_code == 200, reviewed.get_json()
    assert reviewed.get_json()["status"] == "published"

    found = client.get("/api/v1/jobs", query_string={"lat": 29.7170, "lng": 118.3190})
    assert found.status_code == 200, found.get_json()
    items = found.get_json()["items"]
    assert [item["job"]["id"] for item in items] == [job_id]
    assert 100 < items[0]["distance_m"] < 200

    _, seeker, _ = wechat_login()
    client.patch(
        "/api/v1/me", json={"name": "李强", "home_lat": 29.7170, "home_lng": 118.3190}, headers=seeker
    )
    resume = client.put(
        "/api/v1/me/resume",
        json={"education": "senior_high", "skills": ["包装"], "wanted_categories": ["tea_processing"]},
        headers=seeker,
    )
    assert resume.status_code == 200, resume.get_json()
    recommended = client.get("/api/v1/me/recommended-jobs", headers=seeker)
    assert recommended.status_code == 200, recommended.get_json()
    assert [r["job"]["id"] for r in recommended.get_json()] == [job_id]
    candidates = client.get(f"/api/v1/jobs/{job_id}/candidates", headers=boss)
    assert candidates.status_code == 200, candidates.get_json()
    assert [c["name"] for c in candidates.get_json()["items"]] == ["李*"]

    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={"message": "我住附近"}, headers=seeker)
    assert applied.status_code == 201, applied.get_json()
    again = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker)
    assert again.status_code == 200
    assert again.get_json()["id"] == applied.get_json()["id"]
    application_id = applied.get_json()["id"]

    resident_id = db.session.scalar(sa.select(Resident.id).where(Resident.name == "李强"))
    read = client.get(f"/api/v1/resumes/{resident_id}", headers=boss)
    assert read.status_code == 200, read.get_json()
    for status in ("interview", "hired"):
        moved = client.patch(f"/api/v1/applications/{application_id}", json={"status": status}, headers=boss)
        assert moved.status_code == 200, moved.get_json()
    illegal = client.patch(f"/api/v1/applications/{application_id}", json={"status": "viewed"}, headers=boss)
    assert illegal.status_code == 409

    change = db.session.scalar(sa.select(StatusChange).where(StatusChange.resident_id == resident_id))
    assert (change.to_status, change.source) == ("employed", "hire")
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {
        "employer.register",
        "employer.verify",
        "job.review",
        "resume.read",
        "application.status",
    } <= actions
