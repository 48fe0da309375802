"""Registration numbers: one sequence per kind, district and year, safe when two reviewers accept at once."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import District, RegistrationSequence
from app.services.registrations.numbers import next_number

DAY = date(2026, 3, 1)


def tunxi() -> int:
    """Return 屯溪区's id."""
    return db.session.scalar(sa.select(District.id).where(District.short_code == "341002"))


def test_numbers_count_per_kind_district_and_year(app, places):
    district_id = tunxi()
    taken = [
        next_number("unemployment", district_id, DAY),
        next_number("unemployment", district_id, DAY),
        next_number("employment", district_id, DAY),
        next_number("unemployment", district_id, date(2027, 1, 2)),
        next_number("unemployment", None, DAY),
    ]
    db.session.commit()
    assert taken == [
        "SY3410022026000001",
        "SY3410022026000002",
        "JY3410022026000001",
        "SY3410022027000001",
        "SY0000002026000001",
    ]


def test_two_first_numbers_of_a_year_at_once_differ(app, places, backend):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    district_id = tunxi()
    db.session.commit()
    start = threading.Barrier(2)
    numbers, failures = [], []

    def take():
        try:
            with app.app_context():
                start.wait(timeout=10)
                numbers.append(next_number("unemployment", district_id, DAY))
                db.session.commit()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures
    assert sorted(numbers) == ["SY3410022026000001", "SY3410022026000002"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(RegistrationSequence.last)) == 2
