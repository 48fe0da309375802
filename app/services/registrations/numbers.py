"""Registration numbers: kind letters, the district's code, the year and a sequence (SY3410022026000001).

A counter row per kind, district and year, moved on by one atomic upsert (INSERT … ON DUPLICATE
KEY UPDATE last = last + 1): the row stays locked by the accepting transaction until it commits,
so two reviewers accepting at once on MariaDB wait for one another instead of taking one number,
and the year's first two accepts cannot deadlock on a gap lock as a locking read of a missing
row would. The unique number column is the last guard.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite

from app.extensions import db
from app.models import District, RegistrationKind, RegistrationSequence

# 失业 / 就业: the letters a printed registration number starts with.
PREFIXES = {RegistrationKind.unemployment: "SY", RegistrationKind.employment: "JY"}
# A registration of someone without a district (never accepted in practice: scoping needs one).
NO_DISTRICT = "000000"
KEY = ("kind", "district_code", "year")


def _take(kind: str, code: str, year: int) -> int:
    """Move the counter of (kind, district, year) on by one, creating it at 1; return its new value."""
    table = RegistrationSequence.__table__
    values = {"kind": kind, "district_code": code, "year": year, "last": 1}
    if db.session.get_bind().dialect.name in ("mysql", "mariadb"):
        statement = mysql.insert(table).values(values).on_duplicate_key_update(last=table.c.last + 1)
    else:
        statement = (
            sqlite.insert(table)
            .values(values)
            .on_conflict_do_update(index_elements=KEY, set_={"last": table.c.last + 1})
        )
    db.session.execute(statement)
    # Our own write, read back in our transaction (the row is ours until the commit).
    return db.session.scalar(
        sa.select(table.c.last).where(
            table.c.kind == kind, table.c.district_code == code, table.c.year == year
        )
    )


def next_number(kind: str, district_id: int | None, day: date) -> str:
    """Take the next number of `kind` in a district's year; does not commit (the caller's transaction)."""
    district = db.session.get(District, district_id) if district_id is not None else None
    code = district.short_code if district is not None else NO_DISTRICT
    return f"{PREFIXES[RegistrationKind(kind)]}{code}{day.year}{_take(kind, code, day.year):06d}"
