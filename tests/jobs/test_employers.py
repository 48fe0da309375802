"""Employers: credit codes, registration, licence upload and download, verification in scope."""

import io
import itertools
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.common.credit_code import CHARSET, check_character, parse_credit_code
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, AuditEvent, Employer
from app.services.jobs.employers import contact_phone
from tests.support import DATA, error_of

EMPLOYERS = "/api/v1/employers"
VECTORS = json.loads((DATA / "validation-vectors.json").read_text("utf-8"))["uscc"]
VALID_CODES, INVALID_CODES = VECTORS["valid"], VECTORS["invalid"]
TUNXI = {"lat": 29.7160, "lng": 118.3180}
CHENGDONG = {"lat": 29.7230, "lng": 118.3390}
HUANGSHAN_QU = {"lat": 30.2700, "lng": 118.1400}
CITY = ("city_admin", "city", "341000000000")

_codes = itertools.count(1)


def new_credit_code() -> str:
    """Return a fresh valid credit code (a prefix of its own, so never one conftest makes)."""
    first17 = f"91341002MB{next(_codes):07d}"
    return first17 + check_character(first17)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"

IN_SCOPE = [
    ("station_staff", "circle", "341002-chengzhong"),
    ("station_staff", "township", "341002002000"),
    ("operator", "circle", "341002-chengzhong"),
    ("operator", "district", "341002000000"),
    ("township_admin", "township", "341002002000"),
    ("district_admin", "district", "341002000000"),
    CITY,
]
OUT_OF_SCOPE = [
    ("operator", "circle", "341002-chengdong"),
    ("station_staff", "township", "341002004000"),
    ("township_admin", "township", "341002001000"),
    ("district_admin", "district", "341003000000"),
]
MAY_NOT_VERIFY = [
    ("grid_worker", "community", "341002002001"),
    ("grid_worker", "circle", "341002-chengzhong"),
    ("supervisor", "circle", "341002-chengzhong"),
    ("supervisor", "city", "341000000000"),
]


def employer_body(**fields):
    """Return a registration body (a fresh credit code, in Tunxi's 昱中 township) with overrides."""
    return {
        "name": "黄山市昱中茶叶有限公司",
        "credit_code": new_credit_code(),
        "contact_name": "程经理",
        "contact_phone": "13955550000",
        "industry": "tea_processing",
        "size": "small",
        "address": "屯溪区昱中路8号",
        **TUNXI,
        **fields,
    }


def register(client, headers, **fields):
    """POST a registration and return the response."""
    return client.post(EMPLOYERS, json=employer_body(**fields), headers=headers)


def upload(client, employer_id, headers, data=PNG, filename="licence.png"):
    """Upload a licence file as the mini-program does (multipart field "file")."""
    return client.post(
        f"{EMPLOYERS}/{employer_id}/licence",
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def download(client, employer_id, headers):
    """GET the licence, read the body and close the file behind it."""
    response = client.get(f"{EMPLOYERS}/{employer_id}/licence", headers=headers)
    response.get_data()
    response.close()
    return response


def verify(client, employer_id, headers, decision="verified", reason=None):
    """POST a verification decision."""
    body = {"decision": decision} | ({"reason": reason} if reason is not None else {})
    return client.post(f"{EMPLOYERS}/{employer_id}/verify", json=body, headers=headers)


def events(action):
    """Return the audit events of one action, oldest first."""
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def stored_files(app):
    """Return every file under the storage directory."""
    root = Path(app.config["STORAGE_DIR"])
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def count_employers():
    """Return how many employers exist."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Employer))


@pytest.fixture
def pending(make_employer, client):
    """An unverified employer in 昱中 (circle chengzhong) that has uploaded a PNG licence."""
    employer, headers = make_employer(verified=False)
    assert upload(client, employer.id, headers).status_code == 200
    return employer, headers


# ---- credit codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes_parse(code):
    assert parse_credit_code(code) == code


@pytest.mark.parametrize("code", INVALID_CODES)
def test_invalid_credit_codes_are_refused(code):
    with pytest.raises(ValidationFailed) as caught:
        parse_credit_code(code)
    assert (caught.value.status, caught.value.code, caught.value.field) == (
        422,
        "invalid_credit_code",
        "credit_code",
    )


@pytest.mark.parametrize("code", VALID_CODES)
def test_check_character_matches_real_codes(code):
    assert check_character(code[:17]) == code[17]


def test_check_character_rejects_the_altered_vectors():
    altered = [code for code in INVALID_CODES if len(code) == 18 and set(code) <= set(CHARSET)]
    assert altered
    for code in altered:
        assert check_character(code[:17]) != code[17]


def test_full_width_and_lower_case_codes_are_normalised():
    code = "91110108551385082Q"
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in code.lower())
    assert parse_credit_code(full_width) == code
    assert parse_credit_code(f"  {code.lower()}\u3000") == code


def test_every_valid_code_registers(client, wechat_login, places):
    for code in VALID_CODES:
        _, headers, _ = wechat_login()
        response = register(client, headers, credit_code=code)
        assert response.status_code == 201, (code, response.get_json())
        assert response.get_json()["credit_code"] == code
    assert set(db.session.scalars(sa.select(Employer.credit_code))) == set(VALID_CODES)


@pytest.mark.parametrize("code", INVALID_CODES)
def test_an_invalid_code_is_refused_by_the_api(client, wechat_login, places, code):
    body, headers, _ = wechat_login()
    response = register(client, headers, credit_code=code)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid_credit_code", "credit_code")
    assert count_employers() == 0
    assert db.session.get(Account, body["account"]["id"]).role == "resident"


def test_a_full_width_lower_case_code_registers_normalised(client, wechat_login, places):
    _, headers, _ = wechat_login()
    typed = "".join(chr(ord(char) + 0xFEE0) for char in "91330100716105852f")
    response = register(client, headers, credit_code=typed)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["credit_code"] == "91330100716105852F"


# ---- registration ---------------------------------------------------------------------------


def test_a_resident_becomes_an_employer(client, wechat_login, places):
    body, headers, _ = wechat_login()
    assert client.get(f"{EMPLOYERS}/me", headers=headers).status_code == 403

    response = register(client, headers)

    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "pending"
    assert created["has_licence"] is False
    assert db.session.get(Account, body["account"]["id"]).role == "employer"
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 403
    assert error_of(me)["code"] == "role_forbidden"
    mine = client.get(f"{EMPLOYERS}/me", headers=headers)
    assert mine.status_code == 200
    assert mine.get_json()["id"] == created["id"]
    (event,) = events("employer.register")
    assert (event.actor_id, event.object_id) == (body["account"]["id"], str(created["id"]))


def test_an_employer_registers_only_once(client, make_employer):
    _, headers = make_employer(verified=False)
    response = register(client, headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "employer_exists"
    assert count_employers() == 1


@pytest.mark.parametrize(
    "typed", ["91110000802100433B", "91110000802100433b", "９１１１００００８０２１００４３３Ｂ"]
)
def test_a_credit_code_belongs_to_one_employer(client, wechat_login, places, typed):
    _, first, _ = wechat_login()
    assert register(client, first, credit_code="91110000802100433B").status_code == 201
    body, second, _ = wechat_login()

    response = register(client, second, credit_code=typed, name="另一家公司")

    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("credit_code_taken", "credit_code")
    assert count_employers() == 1
    assert db.session.get(Account, body["account"]["id"]).role == "resident"


def test_the_contact_phone_is_stored_encrypted_and_shown_masked(client, wechat_login, places):
    _, headers, _ = wechat_login()
    response = register(client, headers, contact_phone="+86 139 5555 0000")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["contact_phone"] == "139****0000"
    assert "13955550000" not in response.get_data(as_text=True)

    employer = db.session.get(Employer, response.get_json()["id"])
    assert b"13955550000" not in employer.contact_phone_enc
    assert "13955550000" not in (employer.contact_phone_hmac or "")
    assert employer.contact_phone_hint == "139****0000"
    assert contact_phone(employer) == "13955550000"
    assert "13955550000" not in json.dumps(events("employer.register")[0].detail)


def test_a_bad_contact_phone_is_refused(client, wechat_login, places):
    _, headers, _ = wechat_login()
    response = register(client, headers, contact_phone="12345")
    assert response.status_code == 422
    assert error_of(response)["field"] == "contact_phone"
    assert count_employers() == 0


@pytest.mark.parametrize(
    "point",
    [
        pytest.param({"lat": TUNXI["lng"], "lng": TUNXI["lat"]}, id="huangshan"),
        pytest.param({"lat": 75.99, "lng": 39.47}, id="kashgar"),
    ],
)
def test_swapped_coordinates_are_named(client, wechat_login, places, point):
    _, headers, _ = wechat_login()
    response = register(client, headers, **point)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("coordinates_swapped", "lat")
    assert count_employers() == 0


@pytest.mark.parametrize(
    ("point", "field"),
    [({"lat": 35.68, "lng": 139.69}, "lng"), ({"lat": -33.87, "lng": 151.21}, "lat")],
    ids=["tokyo", "sydney"],
)
def test_a_point_outside_china_is_refused(client, wechat_login, places, point, field):
    _, headers, _ = wechat_login()
    response = register(client, headers, **point)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("coordinates_out_of_range", field)
    assert count_employers() == 0


def test_the_place_comes_from_the_point(client, wechat_login, places):
    _, headers, _ = wechat_login()
    response = register(client, headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["community"]["code"] == "341002002001"
    assert body["township"] == {"kind": "township", "code": "341002002000", "name": "昱中街道"}
    assert body["circle"]["code"] == "341002-chengzhong"
    assert (body["lat"], body["lng"]) == (TUNXI["lat"], TUNXI["lng"])


def test_the_place_comes_from_the_community_code(client, wechat_login, places):
    _, headers, _ = wechat_login()
    fields = employer_body(community_code="341002004001")
    del fields["lat"], fields["lng"]
    response = client.post(EMPLOYERS, json=fields, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["community"]["code"] == "341002004001"
    assert body["township"]["code"] == "341002004000"
    assert body["circle"]["code"] == "341002-chengzhong"


def test_the_community_code_wins_over_the_point(client, wechat_login, places):
    _, headers, _ = wechat_login()
    response = register(client, headers, community_code="341002001001")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["circle"]["code"] == "341002-chengdong"


def test_an_unknown_community_is_refused(client, wechat_login, places):
    _, headers, _ = wechat_login()
    response = register(client, headers, community_code="341002999999")
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("unknown_community", "community_code")
    assert count_employers() == 0


@pytest.mark.parametrize("field", ["name", "credit_code"])
def test_name_and_credit_code_are_required(client, wechat_login, places, field):
    _, headers, _ = wechat_login()
    body = employer_body()
    del body[field]
    response = client.post(EMPLOYERS, json=body, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"] == field


@pytest.mark.parametrize("role", [CITY, ("station_staff", "circle", "341002-chengzhong")])
def test_staff_cannot_register(client, staff_headers, role):
    _, headers = staff_headers(*role)
    response = register(client, headers)
    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"
    assert count_employers() == 0


def test_registration_needs_a_login(client, places):
    response = client.post(EMPLOYERS, json=employer_body())
    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"


# ---- licence upload and download ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "ext"),
    [
        (PNG, "营业执照.png", "image/png", "png"),
        (JPEG, "licence.jpeg", "image/jpeg", "jpg"),
        (PDF, "scan.pdf", "application/pdf", "pdf"),
        (PNG, "licence.pdf", "image/png", "png"),
    ],
    ids=["png", "jpg", "pdf", "png-named-pdf"],
)
def test_a_licence_is_typed_by_its_content(client, make_employer, data, filename, content_type, ext):
    employer, headers = make_employer(verified=False)
    response = upload(client, employer.id, headers, data, filename)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["has_licence"] is True
    db.session.refresh(employer)
    assert employer.licence_content_type == content_type
    assert employer.licence_file.endswith(f".{ext}")
    fetched = download(client, employer.id, headers)
    assert fetched.status_code == 200
    assert fetched.data == data
    assert fetched.mimetype == content_type


def test_the_licence_is_stored_under_a_server_generated_name(app, client, make_employer):
    employer, headers = make_employer(verified=False)
    assert upload(client, employer.id, headers, PNG, "../../etc/licence.png").status_code == 200

    (path,) = stored_files(app)
    assert path.is_relative_to(Path(app.config["STORAGE_DIR"]))
    assert path.read_bytes() == PNG
    assert path.name != "licence.png"
    assert re.fullmatch(r"[0-9a-f]{32}\.png", path.name)
    db.session.refresh(employer)
    assert employer.licence_file.endswith(path.name)
    assert "licence.png" not in employer.licence_file


def test_a_text_file_named_png_is_refused(app, client, make_employer):
    employer, headers = make_employer(verified=False)
    response = upload(client, employer.id, headers, b"just some text, not an image\n", "licence.png")
    assert response.status_code == 415
    error = error_of(response)
    assert (error["code"], error["field"]) == ("file_type_not_allowed", "file")
    assert stored_files(app) == []
    db.session.refresh(employer)
    assert employer.licence_file is None


def test_an_oversized_licence_is_refused(app, client, make_employer):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    employer, headers = make_employer(verified=False)
    response = upload(client, employer.id, headers, PNG + b"\x00" * 1024, "licence.png")
    assert response.status_code == 413
    error = error_of(response)
    assert (error["code"], error["field"]) == ("file_too_large", "file")
    assert stored_files(app) == []
    assert upload(client, employer.id, headers, PNG, "licence.png").status_code == 200


@pytest.mark.parametrize(
    ("form", "code"),
    [({}, "file_missing"), ({"file": (io.BytesIO(b""), "licence.png")}, "file_empty")],
    ids=["missing", "empty"],
)
def test_an_empty_or_missing_licence_is_refused(client, make_employer, form, code):
    employer, headers = make_employer(verified=False)
    response = client.post(
        f"{EMPLOYERS}/{employer.id}/licence", data=form, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == code


def test_a_new_licence_replaces_the_old_file(app, client, make_employer):
    employer, headers = make_employer(verified=False)
    assert upload(client, employer.id, headers, PNG).status_code == 200
    assert upload(client, employer.id, headers, PDF, "licence.pdf").status_code == 200
    (path,) = stored_files(app)
    assert path.read_bytes() == PDF
    assert download(client, employer.id, headers).data == PDF


def test_only_the_owner_uploads_a_licence(app, client, make_employer, staff_headers):
    employer, _ = make_employer(verified=False)
    _, other = make_employer(verified=False, name="别家公司")
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    assert upload(client, employer.id, other).status_code == 404
    assert upload(client, employer.id, station).status_code == 403
    assert stored_files(app) == []


def test_a_verified_employer_cannot_swap_its_licence(client, pending, staff_headers):
    employer, headers = pending
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    assert verify(client, employer.id, station).status_code == 200
    response = upload(client, employer.id, headers, PDF, "other.pdf")
    assert response.status_code == 409
    assert error_of(response)["code"] == "employer_verified"


def test_the_owner_downloads_the_licence_as_an_attachment(client, pending):
    employer, headers = pending
    response = download(client, employer.id, headers)
    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert f"licence-{employer.id}.png" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("role", [*IN_SCOPE, ("grid_worker", "community", "341002002001")])
def test_staff_in_scope_download_the_licence(client, pending, staff_headers, role):
    employer, _ = pending
    _, headers = staff_headers(*role)
    response = download(client, employer.id, headers)
    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_staff_outside_scope_get_404_for_the_licence(client, pending, staff_headers, role):
    employer, _ = pending
    _, headers = staff_headers(*role)
    response = download(client, employer.id, headers)
    assert response.status_code == 404
    assert PNG not in response.data


def test_another_employer_gets_404_for_the_licence(client, pending, make_employer):
    employer, _ = pending
    _, other = make_employer(verified=False, name="隔壁茶厂")
    for path in (f"{EMPLOYERS}/{employer.id}/licence", f"{EMPLOYERS}/{employer.id}"):
        response = client.get(path, headers=other)
        assert response.status_code == 404
        assert error_of(response)["code"] == "employer_not_found"


def test_no_licence_yet_is_404(client, make_employer):
    employer, headers = make_employer(verified=False)
    response = download(client, employer.id, headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "licence_not_found"


# ---- verification ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", IN_SCOPE)
def test_staff_in_scope_verify_and_it_is_audited(client, pending, staff_headers, role):
    employer, owner = pending
    staff, headers = staff_headers(*role)

    response = verify(client, employer.id, headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "verified"
    assert response.get_json()["decided_at"] is not None
    assert client.get(f"{EMPLOYERS}/me", headers=owner).get_json()["status"] == "verified"
    db.session.refresh(employer)
    assert (employer.status, employer.decided_by_id) == ("verified", staff.id)
    (event,) = events("employer.verify")
    assert (event.actor_id, event.object_type, event.object_id) == (staff.id, "employer", str(employer.id))
    assert event.detail["decision"] == "verified"
    assert event.detail["from"] == "pending"


@pytest.mark.parametrize("role", MAY_NOT_VERIFY)
def test_grid_workers_and_supervisors_may_not_verify(client, pending, staff_headers, role):
    employer, _ = pending
    _, headers = staff_headers(*role)
    for decision, reason in (("verified", None), ("rejected", "材料不全")):
        response = verify(client, employer.id, headers, decision, reason)
        assert response.status_code == 403
        assert error_of(response)["code"] == "role_forbidden"
    db.session.refresh(employer)
    assert employer.status == "pending"
    assert events("employer.verify") == []


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_staff_outside_scope_get_404(client, pending, staff_headers, role):
    employer, _ = pending
    _, headers = staff_headers(*role)
    for response in (
        verify(client, employer.id, headers),
        client.get(f"{EMPLOYERS}/{employer.id}", headers=headers),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "employer_not_found"
    db.session.refresh(employer)
    assert employer.status == "pending"
    assert events("employer.verify") == []


def test_an_employer_cannot_verify_itself(client, pending):
    employer, headers = pending
    response = verify(client, employer.id, headers)
    assert response.status_code == 403
    db.session.refresh(employer)
    assert employer.status == "pending"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_needs_a_reason(client, pending, staff_headers, reason):
    employer, _ = pending
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    response = verify(client, employer.id, headers, "rejected", reason)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("reason_required", "reason")
    db.session.refresh(employer)
    assert employer.status == "pending"
    assert events("employer.verify") == []


def test_an_unknown_decision_is_refused(client, pending, staff_headers):
    employer, _ = pending
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    response = verify(client, employer.id, headers, "pending")
    assert response.status_code == 422
    assert error_of(response)["field"] == "decision"


def test_the_owner_reads_the_rejection_reason(client, pending, staff_headers):
    employer, owner = pending
    staff, headers = staff_headers("station_staff", "circle", "341002-chengzhong")

    response = verify(client, employer.id, headers, "rejected", "营业执照照片不清晰，请重新上传")

    assert response.status_code == 200, response.get_json()
    mine = client.get(f"{EMPLOYERS}/me", headers=owner).get_json()
    assert mine["status"] == "rejected"
    assert mine["decision_reason"] == "营业执照照片不清晰，请重新上传"
    assert mine["decided_at"] is not None
    (event,) = events("employer.verify")
    assert event.actor_id == staff.id
    assert event.detail == {
        "decision": "rejected",
        "from": "pending",
        "reason": "营业执照照片不清晰，请重新上传",
    }


def test_verification_needs_a_licence(client, make_employer, staff_headers):
    employer, _ = make_employer(verified=False)
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    response = verify(client, employer.id, headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "licence_missing"
    db.session.refresh(employer)
    assert employer.status == "pending"
    assert events("employer.verify") == []


def test_each_decision_is_audited(client, pending, staff_headers):
    employer, owner = pending
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    assert verify(client, employer.id, headers, "rejected", "缺少公章").status_code == 200
    assert (
        client.patch(
            f"{EMPLOYERS}/{employer.id}", json={"address": "屯溪区昱中路9号"}, headers=owner
        ).status_code
        == 200
    )
    assert verify(client, employer.id, headers).status_code == 200
    assert verify(client, employer.id, headers, "rejected", "执照已吊销").status_code == 200
    assert [(e.detail["decision"], e.detail["from"]) for e in events("employer.verify")] == [
        ("rejected", "pending"),
        ("verified", "pending"),
        ("rejected", "verified"),
    ]


@pytest.mark.parametrize(
    ("decision", "reasons"), [("verified", (None, None)), ("rejected", ("缺少公章", "另一个理由"))]
)
def test_the_same_decision_again_changes_nothing(client, pending, staff_headers, decision, reasons):
    employer, _ = pending
    _, first = staff_headers("station_staff", "circle", "341002-chengzhong")
    _, second = staff_headers("township_admin", "township", "341002002000")
    once = verify(client, employer.id, first, decision, reasons[0])
    assert once.status_code == 200, once.get_json()

    again = verify(client, employer.id, second, decision, reasons[1])

    assert again.status_code == 200, again.get_json()
    assert again.get_json() == once.get_json()
    assert len(events("employer.verify")) == 1


def test_a_rejected_employer_that_edits_goes_back_to_pending(client, pending, staff_headers):
    employer, owner = pending
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    assert verify(client, employer.id, headers, "rejected", "名称与执照不符").status_code == 200

    response = client.patch(
        f"{EMPLOYERS}/{employer.id}", json={"name": "黄山市昱中茶业有限公司"}, headers=owner
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "pending"
    assert response.get_json()["name"] == "黄山市昱中茶业有限公司"
    assert [e.detail["fields"] for e in events("employer.update")] == [["name"]]


def test_a_rejected_employer_that_uploads_a_new_licence_goes_back_to_pending(client, pending, staff_headers):
    employer, owner = pending
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    assert verify(client, employer.id, headers, "rejected", "执照模糊").status_code == 200
    response = upload(client, employer.id, owner, PDF, "clear-scan.pdf")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "pending"


@pytest.mark.parametrize(
    "change",
    [{"name": "改个名字有限公司"}, {"credit_code": new_credit_code()}, {"legal_representative": "张三"}],
    ids=["name", "credit_code", "legal_representative"],
)
def test_a_verified_employer_keeps_its_name_and_code(client, make_employer, change):
    employer, owner = make_employer()
    before = (employer.name, employer.credit_code)
    response = client.patch(f"{EMPLOYERS}/{employer.id}", json=change, headers=owner)
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("employer_verified", next(iter(change)))
    db.session.refresh(employer)
    assert (employer.name, employer.credit_code, employer.status) == (*before, "verified")


def test_a_verified_employer_changes_its_contact_phone(client, make_employer):
    employer, owner = make_employer()
    response = client.patch(
        f"{EMPLOYERS}/{employer.id}",
        json={"contact_phone": "13712340000", "contact_name": "李会计"},
        headers=owner,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["contact_phone"], body["contact_name"]) == (
        "verified",
        "137****0000",
        "李会计",
    )
    db.session.refresh(employer)
    assert contact_phone(employer) == "13712340000"


def test_an_unverified_employer_corrects_its_credit_code(client, make_employer):
    employer, owner = make_employer(verified=False)
    response = client.patch(
        f"{EMPLOYERS}/{employer.id}", json={"credit_code": "91440300708461136t"}, headers=owner
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["credit_code"] == "91440300708461136T"
    bad = client.patch(
        f"{EMPLOYERS}/{employer.id}", json={"credit_code": "91440300708461136U"}, headers=owner
    )
    assert error_of(bad)["code"] == "invalid_credit_code"


def test_a_patch_cannot_take_another_employers_code(client, make_employer):
    first, _ = make_employer(verified=False)
    second, owner = make_employer(verified=False, name="第二家公司")
    response = client.patch(
        f"{EMPLOYERS}/{second.id}", json={"credit_code": first.credit_code}, headers=owner
    )
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("credit_code_taken", "credit_code")


def test_an_employer_edits_only_its_own_record(client, make_employer):
    first, _ = make_employer(verified=False)
    _, other = make_employer(verified=False, name="第二家公司")
    response = client.patch(f"{EMPLOYERS}/{first.id}", json={"address": "别处"}, headers=other)
    assert response.status_code == 404
    db.session.refresh(first)
    assert first.address == "屯溪区测试路1号"


def test_the_pending_list_holds_only_employers_in_the_staff_place(client, make_employer, staff_headers):
    here, _ = make_employer(verified=False, name="昱中待审公司")
    laojie, _ = make_employer(verified=False, name="老街待审公司", community_code="341002004001")
    make_employer(verified=True, name="昱中已核验公司")
    make_employer(verified=False, name="昱东待审公司", **CHENGDONG)
    make_employer(verified=False, name="黄山区待审公司", **HUANGSHAN_QU)
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    _, township = staff_headers("township_admin", "township", "341002002000")
    _, city = staff_headers(*CITY)

    response = client.get(EMPLOYERS, query_string={"status": "pending"}, headers=operator)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [here.id, laojie.id]
    assert body["total"] == 2
    assert all(item["status"] == "pending" for item in body["items"])
    narrow = client.get(EMPLOYERS, query_string={"status": "pending"}, headers=township).get_json()
    assert [item["id"] for item in narrow["items"]] == [here.id]
    assert client.get(EMPLOYERS, query_string={"status": "pending"}, headers=city).get_json()["total"] == 4
    assert client.get(EMPLOYERS, headers=operator).get_json()["total"] == 3


def test_the_employer_list_is_for_staff_only(client, make_employer):
    _, owner = make_employer()
    response = client.get(EMPLOYERS, headers=owner)
    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"


def test_the_employer_list_filters_by_name(client, make_employer, staff_headers):
    tea, _ = make_employer(verified=False, name="祁红茶业有限公司")
    make_employer(verified=False, name="徽墨文具厂")
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    body = client.get(EMPLOYERS, query_string={"q": "茶业"}, headers=operator).get_json()
    assert ([item["id"] for item in body["items"]], body["total"]) == ([tea.id], 1)
    assert client.get(EMPLOYERS, query_string={"q": "%"}, headers=operator).get_json()["total"] == 0


@pytest.mark.parametrize(
    "where", [{"lat": None, "lng": None}, {"lat": 39.9042, "lng": 116.4074}], ids=["no-location", "beijing"]
)
def test_no_employer_is_registered_beyond_every_staff_members_reach(
    client, wechat_login, staff_headers, places, where
):
    """Refused at registration, or else in the city admin's queue: never where nobody can verify it."""
    _, headers, _ = wechat_login()
    response = register(client, headers, **where)
    assert response.status_code in (201, 422), response.get_json()
    _, city = staff_headers(*CITY)
    listed = client.get(EMPLOYERS, query_string={"status": "pending"}, headers=city).get_json()
    expected = [response.get_json()["id"]] if response.status_code == 201 else []
    assert [item["id"] for item in listed["items"]] == expected
