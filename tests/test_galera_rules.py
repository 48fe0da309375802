"""Galera's rules for the schema and the SQL: the production database may be a MariaDB Galera cluster.

Galera replicates InnoDB only, replicates a table without a primary key badly (row events with
no key to find the row by: slow appliers, and rows that can differ between nodes), and does not
replicate `LOCK TABLES` or `GET_LOCK()`: each node takes its own lock. So every table has a
primary key and is InnoDB, and the code uses neither lock. The models and the source text are
checked on both backends; the migrated database itself on the real one (information_schema).
"""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
# Where SQL that reaches the database is written.
SCANNED = ("app", "migrations")
SUFFIXES = {".py", ".sql", ".mako"}
# What Galera does not replicate (or only badly), as it would appear in the source text.
FORBIDDEN = {
    "LOCK TABLES": re.compile(r"\bLOCK\s+TABLES?\b", re.IGNORECASE),
    "GET_LOCK": re.compile(r"\bGET_LOCK\s*\(", re.IGNORECASE),
    "MyISAM": re.compile(r"\bMyISAM\b", re.IGNORECASE),
    "an engine other than InnoDB": re.compile(
        r"\b(?:ENGINE\s*=\s*|(?:mysql|mariadb)_engine\s*=\s*)['\"]?(?!InnoDB\b)\w+", re.IGNORECASE
    ),
}


def galera_violations(text: str) -> list[str]:
    """Return the names of the forbidden things `text` uses."""
    return [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]


def _source_files():
    for part in SCANNED:
        yield from sorted(path for path in (ROOT / part).rglob("*") if path.suffix in SUFFIXES)


def test_every_table_of_the_models_has_a_primary_key():
    keyless = [name for name, table in db.metadata.tables.items() if not table.primary_key.columns]
    assert len(db.metadata.tables) > 50  # every model is imported: the check saw the whole schema
    assert keyless == []


def test_the_scan_finds_each_forbidden_thing():
    assert galera_violations('op.execute("LOCK TABLES residents WRITE")') == ["LOCK TABLES"]
    assert galera_violations("SELECT get_lock('sweep', 10)") == ["GET_LOCK"]
    assert galera_violations("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=MyISAM") == [
        "MyISAM",
        "an engine other than InnoDB",
    ]
    assert galera_violations('mysql_engine="Aria"') == ["an engine other than InnoDB"]
    assert galera_violations('mysql_engine="InnoDB"; ENGINE=InnoDB; SELECT ... FOR UPDATE') == []


def test_no_source_locks_tables_takes_a_named_lock_or_names_another_engine():
    found = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {name}" for name in galera_violations(line)]
    assert found == []


@pytest.fixture
def mariadb(app, backend):
    """Return a connection to the migrated test database; skip on the embedded backend (SQLite)."""
    if backend != "real":
        pytest.skip("information_schema is MariaDB's: the embedded backend's SQLite has none")
    with db.engine.connect() as connection:
        yield connection


def test_every_table_of_the_migrated_database_has_a_primary_key(mariadb):
    keyless = mariadb.scalars(
        sa.text(
            """
            SELECT t.table_name FROM information_schema.tables t
            WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
              AND NOT EXISTS (
                SELECT 1 FROM information_schema.table_constraints c
                WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
                  AND c.constraint_type = 'PRIMARY KEY')
            ORDER BY t.table_name
            """
        )
    ).all()
    assert keyless == []


def test_every_table_of_the_migrated_database_is_innodb(mariadb):
    engines = dict(
        mariadb.execute(
            sa.text(
                "SELECT table_name, engine FROM information_schema.tables"
                " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            )
        ).all()
    )
    assert set(db.metadata.tables) | {"alembic_version"} <= set(engines)  # the whole schema was read
    assert {name: engine for name, engine in engines.items() if engine != "InnoDB"} == {}
