"""Key-group periods never end before they start: a group ended the day it began never applied."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.common.clock import local_day
from app.errors import ValidationFailed
from app.extensions import db
from app.models import KeyGroup, Resident, ResidentKeyGroup
from app.services.people.status import add_key_group, check_period
from tests.conftest import ME

RESIDENTS = "/api/v1/residents"


def periods_of(resident_id: int) -> dict[str, tuple]:
    """Return the resident's key-group rows as {group: (since, until)}."""
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ResidentKeyGroup).where(ResidentKeyGroup.resident_id == resident_id))
    return {row.key_group: (row.since, row.until) for row in rows}


def test_a_group_declared_and_withdrawn_the_same_day_leaves_no_reversed_period(
    client, wechat_login, staff_headers
):
    body, headers, _ = wechat_login()
    declared = client.patch(
        ME, json={"community_code": "341002002001", "key_groups": ["migrant_worker"]}, headers=headers
    )
    assert declared.status_code == 200, declared.get_json()
    resident_id = declared.get_json()["id"]
    assert periods_of(resident_id) == {"migrant_worker": (local_day(), None)}

    withdrawn = client.patch(ME, json={"key_groups": []}, headers=headers)

    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["key_groups"] == []
    # It never applied: no period at all, rather than one from today until yesterday.
    assert periods_of(resident_id) == {}
    _, station = staff_headers("station_staff", "township", "341002002000")
    history = client.get(f"{RESIDENTS}/{resident_id}/status-history", headers=station)
    assert history.status_code == 200, history.get_json()
    assert history.get_json()["key_groups"] == []


def test_a_group_that_applied_before_today_ends_yesterday(client, wechat_login, places):
    _, headers, _ = wechat_login()
    declared = client.patch(
        ME, json={"community_code": "341002002001", "key_groups": ["veteran"]}, headers=headers
    ).get_json()
    started = local_day() - timedelta(days=30)
    db.session.execute(sa.update(ResidentKeyGroup).values(since=started))
    db.session.commit()

    client.patch(ME, json={"key_groups": []}, headers=headers)

    assert periods_of(declared["id"]) == {"veteran": (started, local_day() - timedelta(days=1))}


def test_a_period_starting_after_today_or_ending_before_it_starts_is_a_422_with_its_field(app, make_resident):
    resident = make_resident()
    today = local_day()

    with pytest.raises(ValidationFailed) as starts_later:
        add_key_group(resident, KeyGroup.veteran, "staff", since=today + timedelta(days=1))
    with pytest.raises(ValidationFailed) as reversed_period:
        check_period(date(2026, 12, 5), date(2026, 12, 4), today=date(2026, 12, 5))

    assert (starts_later.value.status, starts_later.value.field) == (422, "since")
    assert starts_later.value.code == "since_in_future"
    assert (reversed_period.value.status, reversed_period.value.field) == (422, "until")
    assert reversed_period.value.code == "period_reversed"
    db.session.rollback()
    assert periods_of(resident.id) == {}


def test_the_database_refuses_a_period_that_ends_before_it_starts(app, make_resident):
    resident_id = make_resident().id

    db.session.add(
        ResidentKeyGroup(
            resident_id=resident_id, key_group="veteran", since=date(2026, 12, 5), until=date(2026, 12, 4)
        )
    )

    # SQLite says IntegrityError; MariaDB an OperationalError (4025): both are refusals.
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Resident, resident_id).key_groups == []
