"""INSERT … IGNORE on both backends: rows of one shape go as one executemany, others as a VALUES list."""

import sqlalchemy as sa

from app.common.upsert import insert_ignoring_duplicates
from app.extensions import db
from app.models import Account, PushQuota


def quotas(account_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(PushQuota.template_key, PushQuota.remaining).where(PushQuota.account_id == account_id)
    )
    return dict(rows.all())


def test_rows_of_one_shape_are_inserted_once_and_the_new_ones_counted(app, make_staff):
    account = make_staff("city_admin", "city", "341000000000")
    rows = [
        {"account_id": account.id, "template_key": f"k{n}", "status": "accept", "remaining": n}
        for n in range(5)
    ]
    assert insert_ignoring_duplicates(db.session, PushQuota, rows[:3]) == 3
    # Two already there (left alone, not counted), two new.
    again = [{**row, "remaining": 99} for row in rows[1:]]
    assert insert_ignoring_duplicates(db.session, PushQuota, again) == 2
    db.session.commit()
    assert quotas(account.id) == {"k0": 0, "k1": 1, "k2": 2, "k3": 99, "k4": 99}


def test_rows_of_different_shapes_and_a_single_row_work_too(app, make_staff):
    account = make_staff("city_admin", "city", "341000000000")
    mixed = [
        {"account_id": account.id, "template_key": "a", "status": "accept", "remaining": 3},
        {"account_id": account.id, "template_key": "b", "status": "accept"},  # remaining: its default
    ]
    assert insert_ignoring_duplicates(db.session, PushQuota, mixed) == 2
    assert insert_ignoring_duplicates(db.session, PushQuota, mixed[0]) == 0
    assert insert_ignoring_duplicates(db.session, PushQuota, []) == 0
    db.session.commit()
    assert quotas(account.id) == {"a": 3, "b": 0}


def test_rows_added_to_the_session_are_written_before_the_insert(app):
    # Not flushed yet: the quotas refer to it, so it must reach the database first (the foreign
    # key on MariaDB), as the ORM's own execute would have flushed it.
    db.session.add(Account(id=987_654, role="resident"))
    rows = [{"account_id": 987_654, "template_key": key, "status": "accept"} for key in ("x", "y")]
    assert insert_ignoring_duplicates(db.session, PushQuota, rows) == 2
    db.session.commit()
    assert db.session.get(Account, 987_654) is not None
    assert quotas(987_654) == {"x": 0, "y": 0}
