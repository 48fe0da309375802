"""Streams: every row, in keyset order, a bounded batch per query, checks before the first row."""

import contextlib

import pytest
import sqlalchemy as sa

from app.errors import APIError
from app.extensions import db
from app.models import Resident
from app.services import lists
from app.services.people.places import community_by_code, place_columns

YUZHONG_1, YUDONG_1 = "341002002001", "341002001001"


def bulk_residents(code: str, how_many: int, start: int = 0) -> None:
    """Insert residents in one statement (what a ledger import leaves behind, without the crypto)."""
    columns = place_columns(community_by_code(code))
    db.session.execute(
        sa.insert(Resident),
        [
            {
                "name": f"居民{start + n:05d}",
                "employment_status": "employed" if n % 2 else "unemployed",
                "phone_hint": "138****0000",
                **columns,
            }
            for n in range(how_many)
        ],
    )
    db.session.commit()


@contextlib.contextmanager
def statements():
    """Collect the SQL statements sent to the database inside the block."""
    sent: list[str] = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)


def resident_batches(sent: list[str]) -> list[str]:
    """Return the statements that read a batch of residents (not their key groups or places)."""
    return [
        s for s in sent if s.lstrip().upper().startswith("SELECT") and "FROM residents" in s and "LIMIT" in s
    ]


@pytest.mark.parametrize("batch_size", [1000, 300])
def test_a_stream_yields_every_row_in_order_one_bounded_batch_per_query(
    make_staff, places, monkeypatch, batch_size
):
    bulk_residents(YUZHONG_1, 2500)
    bulk_residents(YUDONG_1, 40, start=9000)  # outside the actor's township
    actor = make_staff("township_admin", "township", "341002002000")
    monkeypatch.setattr(lists, "BATCH_SIZE", batch_size)

    with statements() as sent:
        rows = list(lists.stream("residents", actor))

    assert len(rows) == 2500
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids) and len(set(ids)) == 2500
    assert {row["name"][0] for row in rows} == {"居"}  # masked: 居****
    batches = resident_batches(sent)
    assert len(batches) == -(-2500 // batch_size)
    # Nothing ever reads the whole set: each batch is a LIMIT of the batch size.
    assert all("LIMIT" in s for s in batches)


def test_a_stream_reads_lazily_batch_by_batch(make_staff, places, monkeypatch):
    bulk_residents(YUZHONG_1, 250)
    actor = make_staff("township_admin", "township", "341002002000")
    monkeypatch.setattr(lists, "BATCH_SIZE", 100)

    with statements() as sent:
        rows = lists.stream("residents", actor)
        assert resident_batches(sent) == []  # checked, not yet read
        first = next(rows)
        assert len(resident_batches(sent)) == 1
        rest = list(rows)

    assert len(resident_batches(sent)) == 3
    assert [first["id"], *(row["id"] for row in rest)] == sorted(r["id"] for r in [first, *rest])


def test_a_stream_filters_like_a_page(make_staff, places, monkeypatch):
    bulk_residents(YUZHONG_1, 30)
    actor = make_staff("township_admin", "township", "341002002000")
    monkeypatch.setattr(lists, "BATCH_SIZE", 4)

    streamed = [row["id"] for row in lists.stream("residents", actor, {"employment_status": "employed"})]
    paged = [
        row["id"]
        for row in lists.page("residents", actor, {"employment_status": "employed"}, per_page=100).items
    ]

    assert streamed == paged and len(streamed) == 15
    assert lists.count("residents", actor, {"employment_status": "employed"}) == 15


def test_a_streams_checks_run_before_the_first_row(make_staff, places):
    actor = make_staff("township_admin", "township", "341002002000")
    grid_worker = make_staff("grid_worker", "community", YUZHONG_1)

    with pytest.raises(APIError) as bad_filter:
        lists.stream("residents", actor, {"employment_status": "nobody"})
    with pytest.raises(APIError) as not_theirs:
        lists.stream("check_ins", grid_worker)
    with pytest.raises(APIError) as unknown:
        lists.stream("salaries", actor)

    assert (bad_filter.value.status, bad_filter.value.field) == (422, "employment_status")
    assert (not_theirs.value.status, not_theirs.value.code) == (403, "role_forbidden")
    assert (unknown.value.status, unknown.value.code) == (404, "list_not_found")
