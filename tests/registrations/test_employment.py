"""Employment registration (就业登记) and its end (离职): by the employer, the resident, or staff."""

import io

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Registration, Resident, StatusChange
from tests.registrations.conftest import MINE, REGISTRATIONS, client_id, record_pushes
from tests.support import error_of

START = "2025-11-01"  # a first day in the past, whenever the tests run


def hire(client, resident_headers, boss, make_job) -> int:
    """Apply to the employer's job and mark the application hired; return the application id."""
    job_id = make_job(boss)
    application = client.post(
        f"/api/v1/jobs/{job_id}/applications", json={}, headers=resident_headers
    ).get_json()
    for status in ("viewed", "hired"):
        moved = client.patch(
            f"/api/v1/applications/{application['id']}", json={"status": status}, headers=boss
        )
        assert moved.status_code == 200, moved.get_json()
    return application["id"]


def post(client, headers, url=f"{REGISTRATIONS}/employment", **fields):
    """Enter an employment registration; return the response."""
    return client.post(url, json={"client_id": client_id(), "started_on": START, **fields}, headers=headers)


def accept(client, desk, registration_id) -> dict:
    """Accept a registration as the desk; return its body."""
    response = client.post(f"{REGISTRATIONS}/{registration_id}/accept", json={}, headers=desk[1])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def last_change(resident_id: int) -> StatusChange:
    """Return a resident's latest status change."""
    return db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.resident_id == resident_id)
        .order_by(StatusChange.id.desc())
    ).first()


@pytest.fixture
def hired(client, registrant, make_employer, make_job):
    """A resident hired on the platform: (resident id, headers, employer, its headers, application id)."""
    resident_id, headers = registrant()
    employer, boss = make_employer()
    return resident_id, headers, employer, boss, hire(client, headers, boss, make_job)


def test_the_employer_registers_a_hire_the_person_confirms_and_staff_accept(client, hired, desk):
    resident_id, headers, employer, boss, application_id = hired
    body = {
        "client_id": client_id(),
        "started_on": START,
        "application_id": application_id,
        "contract_type": "fixed_term",
    }

    entered = client.post(f"{REGISTRATIONS}/employment", json=body, headers=boss)
    again = client.post(f"{REGISTRATIONS}/employment", json=body, headers=boss)

    assert entered.status_code == 201, entered.get_json()
    registration = entered.get_json()
    assert again.status_code == 200 and again.get_json()["id"] == registration["id"]
    assert registration["status"] == "pending_confirmation"
    assert registration["entered_via"] == "employer"
    assert (registration["employer_id"], registration["employer_name"]) == (employer.id, employer.name)
    assert registration["employer_uscc"] == employer.credit_code
    confirmed = client.post(f"{MINE}/{registration['id']}/confirm", json={}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "submitted"

    done = accept(client, desk, registration["id"])

    assert done["status"] == "accepted"
    assert done["number"].startswith(f"JY341002{local_day().year}")
    assert db.session.get(Resident, resident_id).employment_status == "employed"
    account_id = db.session.get(Resident, resident_id).account_id
    assert f"employment_registration:{registration['id']}:accepted" in record_pushes(account_id)
    mine = client.get(f"{REGISTRATIONS}?kind=employment", headers=boss).get_json()
    assert [item["id"] for item in mine["items"]] == [registration["id"]]


def test_an_employer_registers_only_its_own_hires(client, hired, registrant, make_employer, make_job):
    resident_id, headers, _, boss, application_id = hired
    _, other_boss = make_employer(name="黄山另一茶业有限公司")
    _, seeker = registrant()
    job_id = make_job(boss)
    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker).get_json()

    theirs = post(client, other_boss, application_id=application_id)
    not_hired = post(client, boss, application_id=applied["id"])
    without = post(client, boss)

    assert theirs.status_code == 404 and error_of(theirs)["code"] == "application_not_found"
    assert not_hired.status_code == 409 and error_of(not_hired)["code"] == "application_not_hired"
    assert without.status_code == 422 and error_of(without)["code"] == "application_required"


def test_a_resident_registers_flexible_work_and_it_ends_their_unemployment_registration(
    client, registrant, desk
):
    resident_id, headers = registrant()
    unemployed = client.post(
        f"{MINE}/unemployment",
        json={"client_id": client_id(), "reason_for_leaving": "合同到期", "left_on": START},
        headers=headers,
    ).get_json()
    accept(client, desk, unemployed["id"])

    entered = post(
        client, headers, f"{MINE}/employment", employment_kind="flexible", work_description="网约车司机"
    )
    assert entered.status_code == 201, entered.get_json()
    assert entered.get_json()["status"] == "submitted"
    assert entered.get_json()["contract_type"] == "none"
    accept(client, desk, entered.get_json()["id"])

    ended = client.get(f"{MINE}/{unemployed['id']}", headers=headers).get_json()
    assert (ended["status"], ended["ending_reason"]) == ("ended", "registered_employed")
    change = last_change(resident_id)
    assert (change.from_status, change.to_status, change.source) == (
        "unemployed_registered",
        "flexible",
        "registration",
    )
    assert db.session.get(Resident, resident_id).employment_status == "flexible"


def test_a_resident_does_not_register_an_employer_s_employment(client, registrant):
    _, headers = registrant()
    response = post(client, headers, f"{MINE}/employment", employment_kind="employed", employer_name="某厂")
    assert response.status_code == 422
    assert error_of(response)["code"] == "employment_kind_not_self"


def test_staff_enter_an_employment_with_the_signed_form_and_accept_it(client, registrant, desk):
    resident_id, _ = registrant()
    nameless = post(client, desk[1], resident_id=resident_id)
    assert nameless.status_code == 422 and error_of(nameless)["code"] == "employer_required"
    entered = post(
        client, desk[1], resident_id=resident_id, employer_name="黄山某茶厂", contract_type="open_ended"
    )
    assert entered.status_code == 201, entered.get_json()
    registration_id = entered.get_json()["id"]
    second = post(client, desk[1], resident_id=resident_id, employer_name="黄山某茶厂")
    assert second.status_code == 409 and error_of(second)["code"] == "registration_open"

    form = client.post(
        f"{REGISTRATIONS}/{registration_id}/signed-form",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), "form.png")},
        headers=desk[1],
        content_type="multipart/form-data",
    )
    assert form.status_code == 200, form.get_json()
    assert (form.get_json()["status"], form.get_json()["confirmed_by"]) == ("submitted", "signed_form")
    done = accept(client, desk, registration_id)

    assert done["contract_type"] == "open_ended"
    change = last_change(resident_id)
    assert (change.from_status, change.to_status, change.source) == ("unemployed", "employed", "registration")


def test_the_end_of_employment_takes_the_ledger_back_to_unemployed(client, hired, desk):
    resident_id, headers, _, boss, application_id = hired
    registration_id = post(client, boss, application_id=application_id).get_json()["id"]
    client.post(f"{MINE}/{registration_id}/confirm", json={}, headers=headers)
    accept(client, desk, registration_id)
    blocked = client.post(
        f"{MINE}/unemployment",
        json={"client_id": client_id(), "reason_for_leaving": "合同到期", "left_on": START},
        headers=headers,
    )
    assert blocked.status_code == 409 and error_of(blocked)["code"] == "currently_employed"

    early = client.post(
        f"{REGISTRATIONS}/{registration_id}/end", json={"ended_on": "2000-01-01"}, headers=boss
    )
    ended = client.post(
        f"{REGISTRATIONS}/{registration_id}/end",
        json={"ended_on": local_day().isoformat(), "reason": "合同到期"},
        headers=boss,
    )

    assert early.status_code == 422 and error_of(early)["code"] == "ended_before_start"
    assert ended.status_code == 200, ended.get_json()
    assert (ended.get_json()["status"], ended.get_json()["ending_reason"]) == ("ended", "left_job")
    change = last_change(resident_id)
    assert (change.to_status, change.source) == ("unemployed", "registration")
    account_id = db.session.get(Resident, resident_id).account_id
    assert f"employment_registration:{registration_id}:ended" in record_pushes(account_id)
    again = client.post(
        f"{MINE}/unemployment",
        json={"client_id": client_id(), "reason_for_leaving": "合同到期", "left_on": local_day().isoformat()},
        headers=headers,
    )
    assert again.status_code == 201, again.get_json()


def test_the_person_declines_an_entry_by_withdrawing_it(client, hired):
    _, headers, _, boss, application_id = hired
    registration_id = post(client, boss, application_id=application_id).get_json()["id"]

    response = client.post(f"{MINE}/{registration_id}/withdraw", json={"note": "并未入职"}, headers=headers)

    assert response.status_code == 200
    assert response.get_json()["status"] == "withdrawn"
    assert db.session.get(Registration, registration_id).open_key is None
