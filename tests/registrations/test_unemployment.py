"""Unemployment registration (失业登记): apply, counter entry, review, the ledger, pushes, scoping."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, Registration, Resident, StatusChange
from tests.registrations.conftest import ELSEWHERE, MINE, REGISTRATIONS, client_id, record_pushes
from tests.support import error_of

LEFT = {
    "reason_for_leaving": "合同到期",
    "left_on": "2026-10-31",
    "wanted_work": "茶叶加工",
    "wants_training": True,
}


def apply(client, headers, **fields):
    """Apply for unemployment registration as the resident; return the response."""
    body = {"client_id": client_id(), **LEFT, **fields}
    return client.post(f"{MINE}/unemployment", json=body, headers=headers)


def step(client, headers, registration_id, action, body=None):
    """Take a staff step (accept, reject, …) on a registration; return the response."""
    return client.post(f"{REGISTRATIONS}/{registration_id}/{action}", json=body or {}, headers=headers)


def account_of(resident_id: int) -> int:
    """Return a resident's account id."""
    return db.session.get(Resident, resident_id).account_id


@pytest.fixture
def applied(client, registrant):
    """A submitted unemployment registration: (registration id, resident id, resident headers)."""
    resident_id, headers = registrant()
    response = apply(client, headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], resident_id, headers


@pytest.fixture
def accepted(client, applied, desk):
    """An accepted unemployment registration: (registration id, resident id, resident headers)."""
    registration_id, resident_id, headers = applied
    response = step(client, desk[1], registration_id, "accept")
    assert response.status_code == 200, response.get_json()
    return applied


def test_apply_is_submitted_and_a_retry_returns_the_first(client, registrant):
    resident_id, headers = registrant()
    body = {"client_id": client_id(), **LEFT, "last_employer_name": "黄山某茶厂"}

    first = client.post(f"{MINE}/unemployment", json=body, headers=headers)
    again = client.post(f"{MINE}/unemployment", json=body, headers=headers)

    assert first.status_code == 201, first.get_json()
    registration = first.get_json()
    assert registration["kind"] == "unemployment"
    assert registration["status"] == "submitted"
    assert registration["entered_via"] == "resident"
    assert registration["number"] is None
    assert registration["resident"] == {"id": resident_id, "name": "登记人"}
    assert again.status_code == 200
    assert again.get_json()["id"] == registration["id"]
    mine = client.get(MINE, headers=headers).get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == registration["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_accept_registers_the_person_unemployed_with_a_number_and_a_push(client, applied, desk):
    registration_id, resident_id, headers = applied

    response = step(client, desk[1], registration_id, "accept", {"note": "材料齐全"})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "accepted"
    assert re.fullmatch(rf"SY341002{local_day().year}000001", body["number"])
    assert body["accepted_on"] == local_day().isoformat()
    assert date.fromisoformat(body["valid_until"]) > local_day()
    resident = db.session.get(Resident, resident_id)
    assert resident.employment_status == "unemployed_registered"
    assert "registered_unemployed" in resident.key_groups
    periods = client.get("/api/v1/me", headers=headers).get_json()["key_group_periods"]
    group = next(p for p in periods if p["key_group"] == "registered_unemployed")
    # The group rests on this registration, certified by its reviewer (not set by hand).
    assert (group["certified"], group["registration_id"]) == (True, registration_id)
    assert group["certified_by"]["role"] == desk[0].role
    change = db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.resident_id == resident_id)
        .order_by(StatusChange.id.desc())
    ).first()
    assert (change.from_status, change.to_status, change.source) == (
        "unemployed",
        "unemployed_registered",
        "registration",
    )
    assert change.actor_id == desk[0].id
    assert record_pushes(account_of(resident_id)) == [f"unemployment_registration:{registration_id}:accepted"]
    assert db.session.scalar(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "registration.accept")
    ) == str(resident_id)
    # Accepting again changes nothing and takes no second number.
    again = step(client, desk[1], registration_id, "accept")
    assert again.status_code == 200 and again.get_json()["number"] == body["number"]


def test_numbers_follow_one_another_in_a_district(client, registrant, desk):
    numbers = []
    for _ in range(2):
        _, headers = registrant()
        registration_id = apply(client, headers).get_json()["id"]
        numbers.append(step(client, desk[1], registration_id, "accept").get_json()["number"])
    assert [number[-6:] for number in numbers] == ["000001", "000002"]


def test_reject_tells_the_person_why_and_frees_them_to_apply_again(client, applied, desk):
    registration_id, resident_id, headers = applied

    response = step(client, desk[1], registration_id, "reject", {"reason": "离职日期与材料不符"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["review_note"] == "离职日期与材料不符"
    assert db.session.get(Resident, resident_id).employment_status == "unemployed"
    assert record_pushes(account_of(resident_id)) == [f"unemployment_registration:{registration_id}:rejected"]
    assert apply(client, headers).status_code == 201
    # Only a registration under review can be accepted.
    late = step(client, desk[1], registration_id, "accept")
    assert late.status_code == 409 and error_of(late)["code"] == "not_submitted"


def test_counter_entry_waits_for_the_person_to_confirm(client, registrant, desk):
    resident_id, headers = registrant()
    body = {"client_id": client_id(), "resident_id": resident_id, **LEFT}

    entered = client.post(f"{REGISTRATIONS}/unemployment", json=body, headers=desk[1])

    assert entered.status_code == 201, entered.get_json()
    registration_id = entered.get_json()["id"]
    assert entered.get_json()["status"] == "pending_confirmation"
    assert entered.get_json()["entered_via"] == "staff"
    early = step(client, desk[1], registration_id, "accept")
    assert early.status_code == 409 and error_of(early)["code"] == "not_submitted"
    assert record_pushes(account_of(resident_id)) == [f"unemployment_registration:{registration_id}:entered"]

    confirmed = client.post(f"{MINE}/{registration_id}/confirm", json={}, headers=headers)

    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "submitted"
    assert confirmed.get_json()["confirmed_by"] == "resident"
    assert client.post(f"{MINE}/{registration_id}/confirm", json={}, headers=headers).status_code == 200
    assert step(client, desk[1], registration_id, "accept").get_json()["status"] == "accepted"


def test_a_signed_form_confirms_a_counter_entry(client, registrant, desk):
    resident_id, _ = registrant()
    body = {"client_id": client_id(), "resident_id": resident_id, **LEFT}
    registration_id = client.post(f"{REGISTRATIONS}/unemployment", json=body, headers=desk[1]).get_json()[
        "id"
    ]
    url = f"{REGISTRATIONS}/{registration_id}/signed-form"

    wrong = client.post(
        url,
        data={"file": (io.BytesIO(b"plain text"), "form.txt")},
        headers=desk[1],
        content_type="multipart/form-data",
    )
    attached = client.post(
        url,
        data={"file": (io.BytesIO(b"%PDF-1.4\n% signed\n"), "登记表.pdf")},
        headers=desk[1],
        content_type="multipart/form-data",
    )

    assert wrong.status_code == 415 and error_of(wrong)["code"] == "file_type_not_allowed"
    assert attached.status_code == 200, attached.get_json()
    assert attached.get_json()["status"] == "submitted"
    assert attached.get_json()["confirmed_by"] == "signed_form"
    assert attached.get_json()["has_signed_form"] is True
    download = client.get(url, headers=desk[1])
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    download.close()


def test_a_second_open_registration_is_409(client, applied):
    _, _, headers = applied
    response = apply(client, headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "registration_open"


def test_someone_at_work_cannot_register_unemployed(client, registrant):
    _, headers = registrant(status="employed")
    response = apply(client, headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "currently_employed"


@pytest.mark.parametrize(("born", "code"), [("19500101", "not_working_age"), ("20150101", "not_working_age")])
def test_outside_working_age_is_422(client, registrant, born, code):
    _, headers = registrant(born=born, status=None)
    response = apply(client, headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == code


def test_bad_codes_and_dates_are_422(client, registrant):
    _, headers = registrant()
    assert error_of(apply(client, headers, last_employer_uscc="123"))["code"] == "invalid_credit_code"
    assert error_of(apply(client, headers, left_on="2999-01-01"))["code"] == "left_on_in_future"
    assert error_of(apply(client, headers, employment_card_number="!!"))["code"] == "invalid_card_number"


def test_the_employment_card_number_is_encrypted_masked_and_revealed_with_audit(client, registrant, desk):
    _, headers = registrant()
    registration_id = apply(client, headers, employment_card_number="3410022026123456").get_json()["id"]

    shown = client.get(f"{REGISTRATIONS}/{registration_id}", headers=desk[1]).get_json()
    revealed = step(client, desk[1], registration_id, "reveal", {"reason": "核对就业创业证"})

    row = db.session.get(Registration, registration_id)
    assert b"3410022026123456" not in row.card_number_enc
    assert shown["employment_card_number"] == "3410********3456"
    assert revealed.status_code == 200
    assert revealed.get_json()["employment_card_number"] == "3410022026123456"
    assert revealed.headers["Cache-Control"] == "no-store"
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.startswith("registration."))
    ).all()
    assert {"registration.read", "registration.reveal"} <= set(actions)


def test_staff_of_another_place_get_404(client, applied, staff_headers):
    registration_id, _, _ = applied
    _, outsider = staff_headers("station_staff", "circle", "341002-chengdong")

    for response in (
        client.get(f"{REGISTRATIONS}/{registration_id}", headers=outsider),
        step(client, outsider, registration_id, "accept"),
        step(client, outsider, registration_id, "reject", {"reason": "不在本辖区"}),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "registration_not_found"
    assert client.get(REGISTRATIONS, headers=outsider).get_json()["total"] == 0


def test_counter_entry_for_a_resident_elsewhere_is_404(client, registrant, desk):
    resident_id, _ = registrant(community=ELSEWHERE)
    body = {"client_id": client_id(), "resident_id": resident_id, **LEFT}
    response = client.post(f"{REGISTRATIONS}/unemployment", json=body, headers=desk[1])
    assert response.status_code == 404


def test_staff_list_filters_by_kind_and_status(client, applied, desk):
    registration_id, _, _ = applied
    listed = client.get(f"{REGISTRATIONS}?kind=unemployment&status=submitted", headers=desk[1]).get_json()
    none = client.get(f"{REGISTRATIONS}?kind=employment", headers=desk[1]).get_json()
    assert [item["id"] for item in listed["items"]] == [registration_id]
    assert none["total"] == 0


def test_withdrawing_an_accepted_registration_ends_it(client, accepted):
    registration_id, resident_id, headers = accepted

    response = client.post(
        f"{MINE}/{registration_id}/withdraw", json={"note": "已自行找到工作"}, headers=headers
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ended"
    assert response.get_json()["ending_reason"] == "withdrawn"
    resident = db.session.get(Resident, resident_id)
    assert resident.employment_status == "unemployed"
    assert "registered_unemployed" not in resident.key_groups


def test_a_hire_through_the_platform_ends_the_registration(client, accepted, make_employer, make_job):
    registration_id, resident_id, headers = accepted
    _, boss = make_employer()
    job_id = make_job(boss)
    application = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=headers).get_json()
    for status in ("viewed", "hired"):
        moved = client.patch(
            f"/api/v1/applications/{application['id']}", json={"status": status}, headers=boss
        )
        assert moved.status_code == 200, moved.get_json()

    registration = client.get(f"{MINE}/{registration_id}", headers=headers).get_json()

    assert registration["status"] == "ended"
    assert registration["ending_reason"] == "hired"
    assert db.session.get(Resident, resident_id).employment_status == "employed"
    assert f"unemployment_registration:{registration_id}:ended" in record_pushes(account_of(resident_id))
    # Free to register again once out of work, so the open key was released.
    assert db.session.get(Registration, registration_id).open_key is None


def test_refusing_registered_unemployment_in_the_profile_points_to_the_registration(client, registrant):
    _, headers = registrant()
    response = client.patch(
        "/api/v1/me", json={"employment_status": "unemployed_registered"}, headers=headers
    )
    assert response.status_code == 422
    assert "/api/v1/me/registrations/unemployment" in error_of(response)["message"]


def test_reporting_work_in_the_profile_ends_the_registration(client, accepted):
    registration_id, resident_id, headers = accepted

    response = client.patch("/api/v1/me", json={"employment_status": "flexible"}, headers=headers)

    assert response.status_code == 200, response.get_json()
    registration = client.get(f"{MINE}/{registration_id}", headers=headers).get_json()
    assert (registration["status"], registration["ending_reason"]) == ("ended", "status_changed")
    resident = db.session.get(Resident, resident_id)
    assert resident.employment_status == "flexible"
    assert "registered_unemployed" not in resident.key_groups


def test_a_pending_registration_survives_a_move_that_is_not_to_work(client, applied):
    registration_id, _, headers = applied
    assert (
        client.patch("/api/v1/me", json={"employment_status": "student"}, headers=headers).status_code == 200
    )
    assert client.get(f"{MINE}/{registration_id}", headers=headers).get_json()["status"] == "submitted"


def test_the_person_ends_an_unemployment_registration_by_withdrawing_it(client, accepted):
    registration_id, _, headers = accepted
    response = client.post(f"{MINE}/{registration_id}/end", json={"reason": "不再求职"}, headers=headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "withdraw_instead"
