"""The console's registration pages: the review queue, the detail page, accept and reject with CSRF."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Registration, Resident
from app.services.registrations import follow_ups
from tests.console.lists_support import cells, flash_after, page_of, post_action, sign_in_as
from tests.registrations.conftest import MINE, client_id, record_pushes

LEFT = {"reason_for_leaving": "合同到期", "left_on": "2026-10-31", "wants_training": True}


def submitted(client, registrant, name="待审核人") -> tuple[int, int]:
    """Apply as a new resident; return (registration id, resident id)."""
    resident_id, headers = registrant(name=name)
    response = client.post(f"{MINE}/unemployment", json={"client_id": client_id(), **LEFT}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], resident_id


def test_station_staff_accept_from_the_queue(client, registrant, console_staff):
    registration_id, resident_id = submitted(client, registrant)
    staff = sign_in_as(client, console_staff, "station_staff")
    queue = page_of(client, "/console/lists/registrations")
    assert cells(queue, "resident") == ["待审核人"]
    assert cells(queue, "status") == ["待审核"]
    assert f'data-testid="accept-{registration_id}"' in queue
    url = f"/console/registrations/{registration_id}/accept"

    forged = client.post(url, data={"csrf_token": "not-the-token"})
    assert forged.status_code == 400 and "CSRF" in forged.get_data(as_text=True)
    assert db.session.get(Registration, registration_id).status == "submitted"

    response = post_action(client, queue, url, next="/console/lists/registrations")

    after = flash_after(client, response)
    registration = db.session.get(Registration, registration_id)
    db.session.refresh(registration)
    assert registration.status == "accepted"
    assert f"已受理，登记编号 {registration.number}。" in after
    assert cells(after, "resident") == []  # it left the queue
    assert db.session.get(Resident, resident_id).employment_status == "unemployed_registered"
    accepted = page_of(client, "/console/lists/registrations?status=accepted")
    assert cells(accepted, "number") == [registration.number]
    follow_ups.follow_up(staff, registration_id, {"client_id": client_id(), "channel": "phone"}, None)
    detail = page_of(client, f"/console/registrations/{registration_id}")
    assert registration.number in detail and "电话" in detail and "已受理" in detail
    assert 'data-testid="decisions"' not in detail  # decided: no buttons


def test_a_reviewer_rejects_from_the_detail_page_with_a_reason(client, registrant, console_staff):
    registration_id, resident_id = submitted(client, registrant)
    sign_in_as(client, console_staff, "operator")
    detail = page_of(client, f"/console/registrations/{registration_id}")
    assert "待审核人" in detail and "合同到期" in detail
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "registration.read"))
    url = f"/console/registrations/{registration_id}/reject"

    blank = post_action(client, detail, url, reason=" ")
    assert blank.status_code == 303  # back with a message, nothing changed
    assert db.session.get(Registration, registration_id).status == "submitted"

    response = post_action(client, detail, url, reason="材料不全，请到站补充")

    after = flash_after(client, response)
    assert "已不予受理" in after
    registration = db.session.get(Registration, registration_id)
    db.session.refresh(registration)
    assert (registration.status, registration.review_note) == ("rejected", "材料不全，请到站补充")
    account_id = db.session.get(Resident, resident_id).account_id
    assert f"unemployment_registration:{registration_id}:rejected" in record_pushes(account_id)


def test_staff_of_another_place_see_no_such_registration(client, registrant, console_staff):
    registration_id, _ = submitted(client, registrant)
    sign_in_as(client, console_staff, "station_staff", where=("circle", "341002-chengdong"))
    assert client.get(f"/console/registrations/{registration_id}").status_code == 404
    queue = page_of(client, "/console/lists/registrations")
    assert cells(queue, "resident") == []
