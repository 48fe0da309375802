"""Dialect-aware INSERT … IGNORE and upsert: one statement, atomic on MariaDB/MySQL, PostgreSQL and SQLite."""

from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, model):
    dialect = session.get_bind().dialect.name
    module = mysql if dialect in ("mysql", "mariadb") else postgresql if dialect == "postgresql" else sqlite
    return module.insert(model), module is mysql


def insert_ignoring_duplicates(session: Session, model, rows: list[dict] | dict) -> int:
    """Insert rows, leaving alone any whose unique key exists already; return how many were new."""
    if not rows:
        return 0
    statement, is_mysql = _insert(session, model)
    statement = statement.prefix_with("IGNORE") if is_mysql else statement.on_conflict_do_nothing()
    if isinstance(rows, list) and len(rows) > 1 and all(row.keys() == rows[0].keys() for row in rows):
        # Rows of one shape go as an executemany: the statement is compiled once and cached, and
        # the driver packs the rows into multi-row INSERTs. A VALUES list built in SQLAlchemy is
        # compiled anew for every call, one bind parameter per value: for a fan-out's 500 pushes
        # of 20 columns that was 43 % of the fan-out worker's samples (docs/PERFORMANCE.md §3).
        # Core's execute (the ORM's would take a list of rows as its bulk insert, without a
        # rowcount), after the autoflush the ORM's execute would have done: rows added to the
        # session are written first, as the rows inserted here may refer to them.
        if session.autoflush:
            session.flush()
        return session.connection().execute(statement, rows).rowcount
    return session.execute(statement.values(rows)).rowcount


def upsert(session: Session, model, values: dict, key: str, changes: dict) -> None:
    """Insert a row, or apply `changes` to the row with the same `key` (the primary key)."""
    statement, is_mysql = _insert(session, model)
    statement = statement.values(values)
    if is_mysql:
        statement = statement.on_duplicate_key_update(**changes)
    else:
        statement = statement.on_conflict_do_update(index_elements=[key], set_=changes)
    session.execute(statement)
