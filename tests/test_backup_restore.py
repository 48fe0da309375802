"""Backups: scripts/backup.sh dumps the test database, restore.sh loads it into another: the same rows."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.common.crypto import decrypt
from app.extensions import db
from app.models import Employer, Resident
from tests.conftest import make_id_number

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
RESTORED = (
    "ec_h3_restore"  # this suite's own scratch database (tests/conftest.py's TEST_DATABASE_URL's server)
)


@pytest.fixture
def real_database(backend, request):
    """Return the test database URL; skip where there is no MariaDB to dump."""
    if backend != "real":
        pytest.skip("backup.sh dumps MariaDB with mariadb-dump: the embedded backend's SQLite has no server")
    if shutil.which("mariadb-dump") is None or shutil.which("mariadb") is None:
        pytest.skip("mariadb-dump or the mariadb client is not installed (apt-get install mariadb-client)")
    return make_url(request.getfixturevalue("app").config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture
def restored(real_database):
    """Return an engine on the restore database; drop it before (a crashed run's) and after."""
    admin = sa.create_engine(real_database)

    def drop():
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {RESTORED}"))

    drop()
    engine = sa.create_engine(real_database.set(database=RESTORED))
    yield engine
    engine.dispose()
    drop()
    admin.dispose()


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run one of the scripts as an operator or the systemd unit would."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "BACKUP_"))}
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *args], capture_output=True, text=True, env=env, timeout=120
    )


def counts(connection) -> dict[str, int]:
    """Return the row count of every table of a database."""
    names = sa.inspect(connection).get_table_names()
    return {name: connection.execute(sa.text(f"SELECT COUNT(*) FROM `{name}`")).scalar() for name in names}


def test_a_backup_restores_into_another_database_whole_and_decryptable(
    real_database, restored, tmp_path, make_resident, make_employer
):
    id_number = make_id_number()
    resident = make_resident(name="备份居民", id_number=id_number, phone="13712340000")
    make_resident(name="另一居民", phone="13712340001")
    employer, _ = make_employer()
    db.session.commit()
    url = real_database.render_as_string(hide_password=False)
    old = tmp_path / f"{real_database.database}-20000101T000000Z.sql.gz"
    old.write_bytes(b"")
    os.utime(old, (0, 0))  # a dump from long ago: past any retention
    unrelated = tmp_path / "notes.sql.gz"
    unrelated.write_bytes(b"")
    os.utime(unrelated, (0, 0))

    backup = run("backup.sh", "--url", url, "--dir", str(tmp_path), "--keep-days", "7")
    dumps = sorted(tmp_path.glob(f"{real_database.database}-*.sql.gz"))
    restore = run("restore.sh", str(dumps[0]), RESTORED, "--url", url)
    again = run("restore.sh", str(dumps[0]), RESTORED, "--url", url)

    assert backup.returncode == 0, backup.stderr
    assert f"removed old {old}" in backup.stdout and not old.exists() and unrelated.exists()
    assert len(dumps) == 1 and dumps[0].stat().st_mode & 0o077 == 0  # the owner's alone
    assert restore.returncode == 0, restore.stderr
    assert again.returncode == 1 and f"{RESTORED} already holds" in again.stderr  # never overwritten unasked
    with db.engine.connect() as live, restored.connect() as copy:
        assert counts(copy) == counts(live)
        assert counts(copy)["residents"] == 3  # the two made here and the employer's WeChat account
        phone_enc, id_number_enc = copy.execute(
            sa.select(Resident.phone_enc, Resident.id_number_enc).where(Resident.id == resident.id)
        ).one()
        contact_enc = copy.execute(
            sa.select(Employer.contact_phone_enc).where(Employer.id == employer.id)
        ).scalar()
    assert decrypt(phone_enc, "phone") == "13712340000"
    assert decrypt(id_number_enc, "id_number") == id_number
    assert decrypt(contact_enc, "phone") == "13955550000"


def test_a_failed_backup_exits_non_zero_and_leaves_no_dump(real_database, tmp_path):
    missing = real_database.set(database="ec_h3_restore_missing").render_as_string(hide_password=False)

    backup = run("backup.sh", "--url", missing, "--dir", str(tmp_path))

    assert backup.returncode != 0
    assert "mariadb-dump of ec_h3_restore_missing failed" in backup.stderr
    assert list(tmp_path.iterdir()) == []  # no partial file that could pass for a backup
