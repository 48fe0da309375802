"""Résumés: the owner's own (fields, seeker preferences, files on disk) and who else may read them."""

import io
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Application, AuditEvent, ResumeFile, utcnow
from tests.support import assign_directly, error_of

ME = "/api/v1/me"
RESUME = "/api/v1/me/resume"
FILES = "/api/v1/me/resume/files"
PHONE = "/api/v1/auth/wechat-phone"
HOME = {"home_lat": 29.7170, "home_lng": 118.3190}

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 48
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def zip_of(*names: str) -> bytes:
    """Build a zip archive holding the given member names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


DOCX = zip_of("[Content_Types].xml", "_rels/.rels", "word/document.xml")


def upload(client, headers, data: bytes, name: str = "cv.pdf"):
    """Attach a file to the logged-in resident's résumé."""
    return client.post(
        FILES, data={"file": (io.BytesIO(data), name)}, headers=headers, content_type="multipart/form-data"
    )


def upload_named(client, headers, data: bytes, filename: str):
    """Attach a file, sending its filename as given (quotes escaped; the test client would cut it)."""
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        b"--BOUNDARY\r\n"
        + f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'.encode()
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + data
        + b"\r\n--BOUNDARY--\r\n"
    )
    return client.post(
        FILES, data=body, headers=headers, content_type="multipart/form-data; boundary=BOUNDARY"
    )


def fetch(client, url: str, headers):
    """GET a download, buffered (so the file handle is closed before we look)."""
    return client.get(url, headers=headers, buffered=True)


def stored(app) -> list[Path]:
    """Return every file under the storage directory."""
    root = Path(app.config["STORAGE_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def file_rows() -> list[ResumeFile]:
    """Return every résumé-file row."""
    return list(db.session.scalars(sa.select(ResumeFile).order_by(ResumeFile.id)))


def audit_actions(action: str) -> list[AuditEvent]:
    """Return the audit events of one action, oldest first."""
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by("id")))


@pytest.fixture
def resident(wechat_login):
    """Log in a fresh resident; return their auth headers."""
    _, headers, _ = wechat_login()
    return headers


# ---------------------------------------------------------------- the résumé's fields


def test_resume_before_the_first_save_is_empty_and_not_open_to_work(client, resident):
    response = client.get(RESUME, headers=resident)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    for name in ("education", "experience", "skills", "availability", "intro", "updated_at"):
        assert body[name] is None, name
    for name in ("wanted_kinds", "wanted_categories", "expected_monthly_wage", "radius_m"):
        assert body[name] is None, name
    assert body["open_to_work"] is False
    assert body["files"] == []
    assert body["resident_id"] == client.get(ME, headers=resident).get_json()["id"]


def test_put_saves_the_resume_and_get_returns_it(client, resident):
    values = {
        "education": "senior_high",
        "experience": [
            {
                "employer": "屯溪老街茶庄",
                "title": "拣茶工",
                "start": "2019-03",
                "end": "2022",
                "description": "拣茶",
            }
        ],
        "skills": ["拣茶", "包装"],
        "availability": "within_week",
        "intro": "能吃苦,住老街附近。",
    }

    saved = client.put(RESUME, json=values, headers=resident)

    assert saved.status_code == 200, saved.get_json()
    again = client.get(RESUME, headers=resident).get_json()
    for name, value in values.items():
        assert saved.get_json()[name] == value, name
        assert again[name] == value, name
    assert again["open_to_work"] is True
    assert again["updated_at"] is not None


def test_resume_preferences_are_the_profile_seek_fields(client, resident):
    saved = client.put(
        RESUME,
        json={
            "wanted_kinds": ["regular", "gig"],
            "wanted_categories": ["tea_processing", "catering"],
            "expected_monthly_wage": 3500,
            "radius_m": 5000,
        },
        headers=resident,
    )
    assert saved.status_code == 200, saved.get_json()

    me = client.get(ME, headers=resident).get_json()
    assert me["seek_kinds"] == ["regular", "gig"]
    assert me["seek_categories"] == ["tea_processing", "catering"]
    assert me["seek_wage_min"] == 3500
    assert me["seek_radius_m"] == 5000

    # And the other way round: the profile's preferences are the résumé's.
    patched = client.patch(ME, json={"seek_wage_min": 4200, "seek_kinds": ["part_time"]}, headers=resident)
    assert patched.status_code == 200, patched.get_json()
    resume = client.get(RESUME, headers=resident).get_json()
    assert resume["expected_monthly_wage"] == 4200
    assert resume["wanted_kinds"] == ["part_time"]
    assert resume["wanted_categories"] == ["tea_processing", "catering"]
    assert resume["radius_m"] == 5000


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"education": "phd"}, "education"),
        ({"availability": "someday"}, "availability"),
        ({"wanted_kinds": ["forever"]}, "wanted_kinds"),
        ({"wanted_categories": ["astronaut"]}, "wanted_categories"),
        ({"radius_m": 10}, "radius_m"),
    ],
)
def test_invalid_resume_value_is_422_naming_the_field_and_saves_nothing(client, resident, values, field):
    response = client.put(RESUME, json={"intro": "你好", **values}, headers=resident)

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["field"].split(".")[0] == field
    assert client.get(RESUME, headers=resident).get_json()["intro"] is None


# ---------------------------------------------------------------- files


@pytest.mark.parametrize(
    ("data", "name", "content_type", "ext"),
    [
        (PDF, "我的简历.pdf", "application/pdf", "pdf"),
        (PNG, "photo.png", "image/png", "png"),
        (JPEG, "photo.jpeg", "image/jpeg", "jpg"),
        (DOC, "cv.doc", "application/msword", "doc"),
        (DOCX, "cv.docx", DOCX_TYPE, "docx"),
    ],
)
def test_resume_file_of_an_allowed_type_is_stored_under_a_server_name(
    client, app, resident, data, name, content_type, ext
):
    response = upload(client, resident, data, name)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == content_type
    assert body["size"] == len(data)
    assert body["name"] == name.rsplit(".", 1)[0] + "." + ext
    [path] = stored(app)
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{ext}", path.name)
    assert path.is_relative_to(Path(app.config["STORAGE_DIR"]))
    assert path.read_bytes() == data
    [row] = file_rows()
    assert row.storage_name.endswith(path.name)
    assert name.rsplit(".", 1)[0] not in row.storage_name
    assert [f["id"] for f in client.get(RESUME, headers=resident).get_json()["files"]] == [body["id"]]


def test_file_type_comes_from_the_content_not_the_name(client, resident):
    response = upload(client, resident, PNG, "scan.pdf")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/png"
    assert response.get_json()["name"] == "scan.png"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"Just some plain text, not a PDF at all.\n", "cv.pdf"),
        (EXE, "cv.pdf"),
        (zip_of("[Content_Types].xml", "xl/workbook.xml"), "cv.docx"),
        (b"PK\x03\x04 not really a zip", "cv.docx"),
        (b"GIF89a\x01\x00\x01\x00", "photo.png"),
    ],
)
def test_file_whose_content_lies_about_its_name_is_415(client, app, resident, data, name):
    response = upload(client, resident, data, name)

    assert response.status_code == 415
    error = error_of(response)
    assert (error["code"], error["field"]) == ("file_type_not_allowed", "file")
    assert stored(app) == []
    assert file_rows() == []


def test_oversized_file_is_413_and_not_stored(client, app, resident):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    too_big = PDF + b"0" * (2049 - len(PDF))

    response = upload(client, resident, too_big)

    assert response.status_code == 413
    assert error_of(response)["code"] == "file_too_large"
    assert error_of(response)["field"] == "file"
    assert stored(app) == []
    assert file_rows() == []
    just_fits = upload(client, resident, too_big[:2048])
    assert just_fits.status_code == 201, just_fits.get_json()
    assert just_fits.get_json()["size"] == 2048


def test_empty_file_is_422(client, app, resident):
    response = upload(client, resident, b"", "cv.pdf")

    assert response.status_code == 422
    assert error_of(response)["code"] == "file_empty"
    assert error_of(response)["field"] == "file"
    assert stored(app) == []


def test_upload_without_a_file_is_422(client, resident):
    response = client.post(FILES, data={"other": "x"}, headers=resident, content_type="multipart/form-data")

    assert response.status_code == 422
    assert error_of(response)["code"] == "file_missing"


def test_more_files_than_allowed_is_409_until_one_is_deleted(client, app, resident):
    app.config["RESUME_FILES_MAX"] = 2
    first = upload(client, resident, PDF, "a.pdf").get_json()
    assert upload(client, resident, PNG, "b.png").status_code == 201

    refused = upload(client, resident, JPEG, "c.jpg")

    assert refused.status_code == 409
    assert error_of(refused)["code"] == "too_many_files"
    assert len(stored(app)) == 2
    assert client.delete(f"{FILES}/{first['id']}", headers=resident).status_code == 204
    assert upload(client, resident, JPEG, "c.jpg").status_code == 201


def test_download_returns_the_same_bytes_as_a_safe_attachment(client, resident):
    uploaded = upload_named(client, resident, PDF, '../../etc/pa"ss;wd.pdf')
    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json()["name"] == "passwd.pdf"

    response = fetch(client, f"{FILES}/{uploaded.get_json()['id']}", resident)

    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    filename = re.search(r"filename=(\S+)", disposition).group(1)
    assert filename == "passwd.pdf"
    for bad in ("/", "\\", '"', ";", ".."):
        assert bad not in filename


def test_download_name_in_chinese_is_sent_encoded(client, resident):
    file_id = upload(client, resident, PDF, "李强简历.pdf").get_json()["id"]

    response = fetch(client, f"{FILES}/{file_id}", resident)

    assert response.status_code == 200
    assert (
        "filename*=UTF-8''%E6%9D%8E%E5%BC%BA%E7%AE%80%E5%8E%86.pdf" in response.headers["Content-Disposition"]
    )


def test_delete_removes_the_row_and_the_file_on_disk(client, app, resident):
    keep = upload(client, resident, PNG, "keep.png").get_json()
    gone = upload(client, resident, PDF, "gone.pdf").get_json()
    [gone_path] = [p for p in stored(app) if p.suffix == ".pdf"]

    response = client.delete(f"{FILES}/{gone['id']}", headers=resident)

    assert response.status_code == 204
    assert not gone_path.exists()
    assert [p.suffix for p in stored(app)] == [".png"]
    assert [row.id for row in file_rows()] == [keep["id"]]
    assert fetch(client, f"{FILES}/{gone['id']}", resident).status_code == 404
    assert client.delete(f"{FILES}/{gone['id']}", headers=resident).status_code == 404
    assert [f["id"] for f in client.get(RESUME, headers=resident).get_json()["files"]] == [keep["id"]]


def test_another_resident_cannot_download_or_delete_my_file(client, app, resident, wechat_login):
    file_id = upload(client, resident, PDF).get_json()["id"]
    _, other, _ = wechat_login()

    assert fetch(client, f"{FILES}/{file_id}", other).status_code == 404
    deleted = client.delete(f"{FILES}/{file_id}", headers=other)

    assert deleted.status_code == 404
    assert error_of(deleted)["code"] == "file_not_found"
    assert len(stored(app)) == 1
    assert len(file_rows()) == 1


# ---------------------------------------------------------------- who may read a résumé


@pytest.fixture
def seeker(client, wechat_login, places):
    """A resident of 昱中一社区 with a bound phone, a résumé and one file: (resident id, headers, file id)."""
    _, headers, codes = wechat_login(phone="13812345678")
    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200
    profile = client.patch(
        ME, json={"name": "李强", "community_code": "341002002001", **HOME}, headers=headers
    )
    assert profile.status_code == 200, profile.get_json()
    resume = client.put(RESUME, json={"education": "senior_high", "skills": ["包装"]}, headers=headers)
    assert resume.status_code == 200, resume.get_json()
    file_id = upload(client, headers, PDF).get_json()["id"]
    return profile.get_json()["id"], headers, file_id


@pytest.fixture
def applied(client, seeker, make_employer, make_job):
    """An employer the seeker applied to: (employer headers, application id)."""
    _, boss = make_employer()
    job_id = make_job(boss)
    response = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker[1])
    assert response.status_code == 201, response.get_json()
    return boss, response.get_json()["id"]


def reads(client, headers, resident_id: int, file_id: int) -> tuple[int, int]:
    """Return the status codes of reading the résumé and downloading its file."""
    resume = client.get(f"/api/v1/resumes/{resident_id}", headers=headers)
    download = fetch(client, f"/api/v1/resumes/{resident_id}/files/{file_id}", headers)
    return resume.status_code, download.status_code


def application_status(application_id: int) -> str:
    """Return an application's status as stored."""
    return db.session.scalar(sa.select(Application.status).where(Application.id == application_id))


def test_owner_reads_their_own_resume_and_file(client, seeker):
    resident_id, headers, file_id = seeker

    assert reads(client, headers, resident_id, file_id) == (200, 200)
    body = client.get(f"/api/v1/resumes/{resident_id}", headers=headers).get_json()
    assert body["name"] == "李强"
    assert body["phone"] == "138****5678"


def test_another_resident_gets_404(client, seeker, wechat_login):
    resident_id, _, file_id = seeker
    _, other, _ = wechat_login()

    assert reads(client, other, resident_id, file_id) == (404, 404)
    assert error_of(client.get(f"/api/v1/resumes/{resident_id}", headers=other))["code"] == "resume_not_found"


def test_employer_not_applied_to_gets_404_and_nothing_is_audited(client, seeker, make_employer):
    resident_id, _, file_id = seeker
    _, boss = make_employer()

    assert reads(client, boss, resident_id, file_id) == (404, 404)
    assert audit_actions("resume.read") == []
    assert audit_actions("resume.file_read") == []


def test_employer_applied_to_reads_the_resume_audited_and_marks_it_viewed(client, seeker, applied):
    resident_id, _, _ = seeker
    boss, application_id = applied
    assert application_status(application_id) == "submitted"

    response = client.get(f"/api/v1/resumes/{resident_id}", headers=boss)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "李强"
    assert response.get_json()["skills"] == ["包装"]
    assert response.headers["Cache-Control"] == "no-store"
    assert application_status(application_id) == "viewed"
    [event] = audit_actions("resume.read")
    assert (event.object_type, event.object_id) == ("resident", str(resident_id))
    assert event.detail["applications"] == [application_id]


def test_marking_an_application_viewed_stamps_when_its_status_changed(client, seeker, applied):
    resident_id, headers, _ = seeker
    boss, application_id = applied
    long_ago = utcnow() - timedelta(days=2)
    db.session.get(Application, application_id).status_changed_at = long_ago
    db.session.commit()

    assert client.get(f"/api/v1/resumes/{resident_id}", headers=boss).status_code == 200

    shown = client.get(f"/api/v1/applications/{application_id}", headers=headers).get_json()
    assert shown["status"] == "viewed"
    changed = datetime.fromisoformat(shown["status_changed_at"].replace("Z", "+00:00"))
    assert changed.replace(tzinfo=None) > long_ago + timedelta(days=1)


def test_employer_applied_to_downloads_the_file_audited_and_marks_it_viewed(client, seeker, applied):
    resident_id, _, file_id = seeker
    boss, application_id = applied

    response = fetch(client, f"/api/v1/resumes/{resident_id}/files/{file_id}", boss)

    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert application_status(application_id) == "viewed"
    [event] = audit_actions("resume.file_read")
    assert (event.object_type, event.object_id) == ("resident", str(resident_id))
    assert event.detail == {"file_id": file_id}


def test_each_employer_read_is_audited(client, seeker, applied):
    resident_id, _, file_id = seeker
    boss, _ = applied

    for _ in range(2):
        assert reads(client, boss, resident_id, file_id) == (200, 200)

    assert len(audit_actions("resume.read")) == 2
    assert len(audit_actions("resume.file_read")) == 2


def test_employer_cannot_read_after_the_application_is_withdrawn(client, seeker, applied):
    resident_id, headers, file_id = seeker
    boss, application_id = applied
    withdrawn = client.patch(
        f"/api/v1/applications/{application_id}", json={"status": "withdrawn"}, headers=headers
    )
    assert withdrawn.status_code == 200, withdrawn.get_json()

    assert reads(client, boss, resident_id, file_id) == (404, 404)


def test_employer_cannot_read_a_file_of_another_resume(client, seeker, applied, wechat_login):
    resident_id, _, _ = seeker
    boss, _ = applied
    _, other, _ = wechat_login()
    other_file = upload(client, other, PNG, "other.png").get_json()["id"]

    response = fetch(client, f"/api/v1/resumes/{resident_id}/files/{other_file}", boss)

    assert response.status_code == 404
    assert error_of(response)["code"] == "file_not_found"


def test_staff_in_scope_reads_the_resume(client, seeker, staff_headers):
    resident_id, _, file_id = seeker
    worker, grid = staff_headers("grid_worker", "community", "341002002001")
    assign_directly(worker, ["341002002001"])  # grid workers read people of their communities only

    assert reads(client, grid, resident_id, file_id) == (200, 200)
    assert client.get(f"/api/v1/resumes/{resident_id}", headers=grid).get_json()["phone"] == "138****5678"


def test_staff_outside_scope_gets_404(client, seeker, staff_headers):
    resident_id, _, file_id = seeker
    _, grid = staff_headers("grid_worker", "community", "341002004001")

    assert reads(client, grid, resident_id, file_id) == (404, 404)


def test_employer_sees_the_phone_masked_until_interview(client, seeker, applied):
    resident_id, _, _ = seeker
    boss, application_id = applied
    url = f"/api/v1/resumes/{resident_id}"

    masked = client.get(url, headers=boss)
    assert masked.get_json()["phone"] == "138****5678"
    assert "13812345678" not in masked.get_data(as_text=True)

    moved = client.patch(f"/api/v1/applications/{application_id}", json={"status": "interview"}, headers=boss)
    assert moved.status_code == 200, moved.get_json()
    full = client.get(url, headers=boss)

    assert full.get_json()["phone"] == "13812345678"
    assert [e.detail["phone"] for e in audit_actions("resume.read")] == [False, True]


def test_uploading_the_same_bytes_again_keeps_one_copy(client, app, resident):
    first = upload(client, resident, PDF, "简历.pdf")
    again = upload(client, resident, PDF, "简历(1).pdf")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(file_rows()) == 1
    assert len(stored(app)) == 1


def test_the_name_field_names_the_file_when_the_part_is_named_after_a_temporary_path(client, resident):
    # wx.uploadFile names the part after the phone's temporary path; the chat's name comes apart.
    response = client.post(
        FILES,
        data={"file": (io.BytesIO(PDF), "tmp_3f9a2c.pdf"), "name": "../我的简历 2026.pdf"},
        headers=resident,
        content_type="multipart/form-data",
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "我的简历 2026.pdf"
    download = client.get(f"{FILES}/{response.get_json()['id']}", headers=resident)
    download.close()
    assert "%E6%88%91%E7%9A%84%E7%AE%80%E5%8E%86" in download.headers["Content-Disposition"]
