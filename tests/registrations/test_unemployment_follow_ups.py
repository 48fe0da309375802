"""Keeping in touch: follow-ups move a registration's validity on; the daily task reminds, then ends it."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Registration, RegistrationFollowUp, Resident
from app.queues import TASKS
from app.services.registrations import follow_ups
from app.services.registrations.unemployment import add_months
from app.tasks.maintenance import SCHEDULE
from tests.registrations.conftest import HOME, MINE, REGISTRATIONS, client_id, record_pushes
from tests.support import assign_directly, error_of, new_household

LEFT = {"reason_for_leaving": "单位裁员", "left_on": "2026-09-30", "wants_training": False}


def accepted(client, registrant, desk) -> tuple[int, int, dict]:
    """Apply and accept; return (registration id, resident id, resident headers)."""
    resident_id, headers = registrant()
    body = {"client_id": client_id(), **LEFT}
    registration_id = client.post(f"{MINE}/unemployment", json=body, headers=headers).get_json()["id"]
    response = client.post(f"{REGISTRATIONS}/{registration_id}/accept", json={}, headers=desk[1])
    assert response.status_code == 200, response.get_json()
    return registration_id, resident_id, headers


def lapse_on(registration_id: int, day) -> None:
    """Make a registration's last valid day `day` (as if the months had passed)."""
    db.session.get(Registration, registration_id).valid_until = day
    db.session.commit()


def test_validity_is_the_follow_up_period(client, registrant, desk, app):
    registration_id, _, _ = accepted(client, registrant, desk)
    months = app.config["UNEMPLOYMENT_FOLLOW_UP_MONTHS"]
    expected = add_months(local_day(), months) - timedelta(days=1)
    assert db.session.get(Registration, registration_id).valid_until == expected


def test_the_task_reminds_once_before_and_ends_after(client, registrant, desk):
    registration_id, resident_id, _ = accepted(client, registrant, desk)
    account_id = db.session.get(Resident, resident_id).account_id
    today = local_day()
    lapse_on(registration_id, today + timedelta(days=3))

    first = follow_ups.run(today)
    second = follow_ups.run(today)

    assert first == {"reminded": 1, "ended": 0, "seen_on_visits": 0}
    assert second == {"reminded": 0, "ended": 0, "seen_on_visits": 0}
    reminder = (
        f"unemployment_registration:{registration_id}:reminder:{(today + timedelta(days=3)).isoformat()}"
    )
    assert reminder in record_pushes(account_id)

    ended = follow_ups.run(today + timedelta(days=4))

    assert ended == {"reminded": 0, "ended": 1, "seen_on_visits": 0}
    registration = db.session.get(Registration, registration_id)
    db.session.refresh(registration)
    assert (registration.status, registration.ending_reason) == ("ended", "no_follow_up")
    assert registration.open_key is None
    assert db.session.get(Resident, resident_id).employment_status == "unemployed"
    assert f"unemployment_registration:{registration_id}:ended" in record_pushes(account_id)


def test_a_follow_up_keeps_it_valid_and_a_retry_records_once(client, registrant, desk, app):
    registration_id, _, headers = accepted(client, registrant, desk)
    today = local_day()
    lapse_on(registration_id, today + timedelta(days=2))
    body = {"client_id": client_id(), "note": "仍在找茶厂的工作"}

    first = client.post(f"{MINE}/{registration_id}/follow-up", json=body, headers=headers)
    again = client.post(f"{MINE}/{registration_id}/follow-up", json=body, headers=headers)
    by_phone = client.post(
        f"{REGISTRATIONS}/{registration_id}/follow-up",
        json={"client_id": client_id(), "channel": "phone"},
        headers=desk[1],
    )

    assert first.status_code == 200, first.get_json()
    months = app.config["UNEMPLOYMENT_FOLLOW_UP_MONTHS"]
    assert first.get_json()["valid_until"] == (add_months(today, months) - timedelta(days=1)).isoformat()
    assert again.status_code == 200
    assert by_phone.status_code == 200, by_phone.get_json()
    channels = db.session.scalars(
        sa.select(RegistrationFollowUp.channel).where(RegistrationFollowUp.registration_id == registration_id)
    ).all()
    assert sorted(channels) == ["phone", "self"]
    assert [item["channel"] for item in by_phone.get_json()["follow_ups"]] == ["self", "phone"]
    # Nothing lapses the day after the old last day.
    assert follow_ups.run(today + timedelta(days=3))["ended"] == 0


def test_only_an_accepted_registration_is_followed_up(client, registrant):
    _, headers = registrant()
    body = {"client_id": client_id(), **LEFT}
    registration_id = client.post(f"{MINE}/unemployment", json=body, headers=headers).get_json()["id"]
    response = client.post(
        f"{MINE}/{registration_id}/follow-up", json={"client_id": client_id()}, headers=headers
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "registration_not_in_effect"


def test_the_task_is_scheduled_daily():
    assert ("registrations.follow_up_unemployment", 24 * 3600) in SCHEDULE
    assert TASKS["registrations.follow_up_unemployment"].queue == "default"


@pytest.fixture
def seen_at_home(client, registrant, desk, staff_headers):
    """Return a factory: seen_at_home(record_them) -> registration id, lapsed yesterday, after a call.

    The registrant lives in a household of 昱中一社区 with one other member; its grid worker phoned
    the household today and met it, recording the registrant (record_them) or only the other member.
    """
    worker, headers = staff_headers("grid_worker", "community", HOME)
    assign_directly(worker, [HOME])

    def factory(record_them: bool) -> int:
        registration_id, resident_id, _ = accepted(client, registrant, desk)
        household = new_household(HOME, [("unemployed", "19800101")])
        other = household.members[0].id
        db.session.get(Resident, resident_id).household_id = household.id
        db.session.commit()
        lapse_on(registration_id, local_day() - timedelta(days=1))  # the run would end it today
        recorded = resident_id if record_them else other
        call = {
            "client_id": client_id(),
            "visited_at": datetime.now(UTC).isoformat(),
            "household_id": household.id,
            "outcome": "met",
            "channel": "phone",
            "members": [{"resident_id": recorded, "needs": ["job"]}],
        }
        sent = client.post("/api/v1/grid/visits", json={"visits": [call]}, headers=headers)
        assert sent.get_json()["results"][0]["result"] == "applied", sent.get_json()
        return registration_id, worker

    return factory


def test_a_grid_call_that_met_the_person_counts_as_the_follow_up_once(seen_at_home, app):
    registration_id, worker = seen_at_home(record_them=True)
    today = local_day()

    assert follow_ups.run(today) == {"reminded": 0, "ended": 0, "seen_on_visits": 1}
    assert follow_ups.run(today) == {"reminded": 0, "ended": 0, "seen_on_visits": 0}

    registration = db.session.get(Registration, registration_id)
    db.session.refresh(registration)
    assert registration.status == "accepted"
    months = app.config["UNEMPLOYMENT_FOLLOW_UP_MONTHS"]
    assert registration.valid_until == add_months(today, months) - timedelta(days=1)
    follow_up = db.session.scalars(
        sa.select(RegistrationFollowUp).where(RegistrationFollowUp.registration_id == registration_id)
    ).one()
    assert (follow_up.channel, follow_up.author_id) == ("phone", worker.id)


def test_a_call_that_recorded_someone_else_is_not_the_persons_follow_up(seen_at_home):
    registration_id, _ = seen_at_home(record_them=False)

    assert follow_ups.run(local_day()) == {"reminded": 0, "ended": 1, "seen_on_visits": 0}
    registration = db.session.get(Registration, registration_id)
    db.session.refresh(registration)
    assert (registration.status, registration.ending_reason) == ("ended", "no_follow_up")
