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
    statement = statement.values(rows)
    statement = statement.prefix_with("IGNORE") if is_mysql else statement.on_conflict_do_nothing()
    return session.execute(statement).rowcount


def upsert(session: Session, model, values: dict, key: str, changes: dict) -> None:
    """Insert a row, or apply `changes` to the row with the same `key` (the primary key)."""
    statement, is_mysql = _insert(session, model)
    statement = statement.values(values)
    if is_mysql:
        statement = statement.on_duplicate_key_update(**changes)
    else:
        statement = statement.on_conflict_do_update(index_elements=[key], set_=changes)
    session.execute(statement)
