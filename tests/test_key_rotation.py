"""Rotating the personal-data key: several versions at once, re-encryption while serving, lookups kept."""

import base64

import pytest
import sqlalchemy as sa

from app import create_app
from app.common.crypto import KeyConfigError, UnknownKeyVersion, decrypt, encrypt, key_version, lookup_hash
from app.config import DEV_DATA_KEY, ProductionConfig
from app.extensions import db
from app.models import Account, Employer, Resident
from app.services import lists
from app.services.people import key_rotation, second_factor
from app.services.people.personal_data import set_phone
from tests.conftest import make_id_number

KEY_2 = base64.b64encode(b"the second data key, 32 bytes!!!").decode()
KEY_3 = base64.b64encode(b"a third data key for the tests!!").decode()
RESIDENTS = "/api/v1/residents"
YUZHONG = "341002002000"


def rotate_to(app, version: int, keys: str = f"2:{KEY_2}") -> None:
    """Configure the newer keys and make `version` the current one (what a deploy of the new env does)."""
    app.config.update(DATA_KEYS=keys, DATA_KEY_VERSION=str(version))


def versions(column) -> list[int]:
    """Return the key version of every value of a column, by row id."""
    return [
        key_version(blob)
        for blob in db.session.scalars(sa.select(column).order_by(column.table.c.id))
        if blob
    ]


@pytest.fixture
def sealed_people(make_resident, make_employer, make_staff):
    """Residents, an employer (its WeChat account's session key too) and a staff TOTP secret, all under v1."""
    people = [
        make_resident(name=name, id_number=make_id_number(), phone=phone)
        for name, phone in (("王小明", "13700001111"), ("李小红", "13700002222"), ("张三", "13700003333"))
    ]
    employer, _ = make_employer()
    admin = make_staff("township_admin", "township", YUZHONG)
    second_factor.enrol(admin, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    db.session.commit()
    ids = {
        "people": [
            (p.id, decrypt(p.id_number_enc, "id_number"), decrypt(p.phone_enc, "phone")) for p in people
        ],
        "employer": employer.id,
        "admin": admin.id,
    }
    return ids


def test_a_rotation_keeps_old_values_readable_and_seals_new_ones_under_the_current_version(
    app, client, staff_headers, sealed_people
):
    resident_id, id_number, phone = sealed_people["people"][0]
    _, headers = staff_headers("township_admin", "township", YUZHONG)
    hashes_before = (lookup_hash(id_number, "id_number"), lookup_hash(phone, "phone"))

    rotate_to(app, 2)
    revealed = client.post(f"{RESIDENTS}/{resident_id}/reveal", json={"reason": "核对"}, headers=headers)
    resident = db.session.get(Resident, resident_id)
    set_phone(resident, "13911112222")
    db.session.commit()

    assert revealed.status_code == 200
    assert (revealed.get_json()["id_number"], revealed.get_json()["phone"]) == (id_number, phone)
    assert key_version(resident.id_number_enc) == 1  # untouched values stay as they were
    assert key_version(resident.phone_enc) == 2  # every new value uses the current version
    assert decrypt(resident.phone_enc, "phone") == "13911112222"
    # The lookup hashes are those of version 1's key: nothing to recompute, nothing lost.
    assert resident.phone_hmac == lookup_hash("13911112222", "phone")
    assert (lookup_hash(id_number, "id_number"), lookup_hash(phone, "phone")) == hashes_before
    assert resident.id_number_hmac == hashes_before[0]


def test_reencrypt_moves_every_value_to_the_current_version_and_lookups_still_find_people(
    app, runner, make_staff, sealed_people
):
    updated_before = db.session.scalars(sa.select(Resident.updated_at).order_by(Resident.id)).all()
    before = runner.invoke(args=["keys", "status"])
    rotate_to(app, 2)

    moved = runner.invoke(args=["keys", "reencrypt", "--batch", "2"])
    after = runner.invoke(args=["keys", "status"])
    again = runner.invoke(args=["keys", "reencrypt"])

    assert "residents.phone_enc: v1: 3" in before.output and "residents.id_number_enc: v1: 3" in before.output
    assert moved.exit_code == 0, moved.output
    # 3 ID numbers + 3 phones, the employer's contact phone, its WeChat login's session key and
    # the admin's TOTP secret; each batch (of 2) prints a line.
    assert "residents.phone_enc: 2 re-encrypted" in moved.output
    assert "done: 9 values re-encrypted to key version 2, 0 edited meanwhile, 0 unreadable" in moved.output
    assert "0 values not under version 2" in moved.output
    assert "residents.phone_enc: v2: 3" in after.output and "v1" not in after.output.split("\n", 1)[1]
    assert "done: 0 values re-encrypted" in again.output and again.exit_code == 0
    assert set(versions(Resident.phone_enc) + versions(Resident.id_number_enc)) == {2}
    assert versions(Employer.contact_phone_enc) == [2]
    assert set(versions(Account.session_key_enc) + versions(Account.totp_secret_enc)) == {2}
    # Re-encrypting changes no fact: updated_at (which syncs read) is left alone.
    assert db.session.scalars(sa.select(Resident.updated_at).order_by(Resident.id)).all() == updated_before

    # Version 1 dropped: its value moves to DATA_HASH_KEY, which keys the lookup hashes only.
    app.config.update(DATA_HASH_KEY=app.config["DATA_KEY"], DATA_KEY=None)
    actor = make_staff("township_admin", "township", YUZHONG)
    for resident_id, id_number, phone in sealed_people["people"]:
        resident = db.session.get(Resident, resident_id)
        assert decrypt(resident.id_number_enc, "id_number") == id_number
        assert decrypt(resident.phone_enc, "phone") == phone
        found_by_id = lists.page("residents", actor, {"q": id_number}).items
        found_by_phone = lists.page("residents", actor, {"q": phone}).items
        assert [row["id"] for row in found_by_id] == [row["id"] for row in found_by_phone] == [resident_id]
    employer = db.session.get(Employer, sealed_people["employer"])
    assert decrypt(employer.contact_phone_enc, "phone") == "13955550000"
    admin = db.session.get(Account, sealed_people["admin"])
    assert decrypt(admin.totp_secret_enc, "totp_secret") == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_row_edited_between_the_read_and_the_write_keeps_the_edit(app, sealed_people):
    (first_id, _, _), (second_id, _, second_phone), _ = sealed_people["people"]
    rotate_to(app, 2)
    phones = next(s for s in key_rotation.SEALED if s.name == "residents.phone_enc")

    rows = key_rotation.read_batch(phones, 0, 500)
    # Another process's edit commits while the batch is between its read and its write.
    with db.engine.begin() as other:
        other.execute(
            sa.update(Resident)
            .where(Resident.id == first_id)
            .values(phone_enc=encrypt("13988887777", "phone"), phone_hmac=lookup_hash("13988887777", "phone"))
        )
    result = key_rotation.write_batch(phones, rows)

    assert [ident for ident, _ in rows] == [p[0] for p in sealed_people["people"]]
    assert (result.moved, result.changed, result.failed) == (2, 1, 0)
    assert decrypt(db.session.get(Resident, first_id).phone_enc, "phone") == "13988887777"
    assert decrypt(db.session.get(Resident, second_id).phone_enc, "phone") == second_phone


def test_a_value_written_under_the_old_key_meanwhile_is_left_for_the_next_run(
    app, runner, monkeypatch, sealed_people
):
    first_id = sealed_people["people"][0][0]
    rotate_to(app, 2)
    write_batch = key_rotation.write_batch

    def edited_by_an_old_process(sealed, rows):
        """Play an API process not yet restarted: it writes the row anew, still under version 1."""
        if sealed.name == "residents.phone_enc":
            app.config["DATA_KEY_VERSION"] = "1"
            set_phone(db.session.get(Resident, first_id), "13966665555")
            db.session.commit()
            app.config["DATA_KEY_VERSION"] = "2"
        return write_batch(sealed, rows)

    monkeypatch.setattr(key_rotation, "write_batch", edited_by_an_old_process)
    first = runner.invoke(args=["keys", "reencrypt"])
    monkeypatch.setattr(key_rotation, "write_batch", write_batch)
    second = runner.invoke(args=["keys", "reencrypt"])

    assert first.exit_code == 1
    assert "residents.phone_enc: 2 re-encrypted, 1 edited meanwhile (next run)" in first.output
    assert "1 values not under version 2" in first.output
    assert second.exit_code == 0, second.output
    assert "done: 1 values re-encrypted to key version 2" in second.output
    resident = db.session.get(Resident, first_id)
    assert key_version(resident.phone_enc) == 2 and decrypt(resident.phone_enc, "phone") == "13966665555"


def test_an_unknown_key_version_is_a_clear_error(app, runner, sealed_people):
    blob = encrypt("13812345678", "phone")

    with pytest.raises(UnknownKeyVersion, match="key version 7, which is not configured"):
        decrypt(bytes([7]) + blob[1:], "phone")
    # Version 1 dropped before the re-encryption: nothing is written, the command says what is left.
    rotate_to(app, 2)
    app.config.update(DATA_HASH_KEY=app.config["DATA_KEY"], DATA_KEY=None)
    refused = runner.invoke(args=["keys", "reencrypt"])
    status = runner.invoke(args=["keys", "status"])

    assert refused.exit_code == 1
    assert "not configured: " in refused.output and "residents.phone_enc: 1" in refused.output
    assert "residents.phone_enc: v1 (not configured): 3" in status.output
    assert set(versions(Resident.phone_enc)) == {1}


def test_every_encrypted_column_of_the_models_is_rotated():
    # A new *_enc or binary column not in SEALED would be skipped by a rotation: both commands refuse.
    assert key_rotation.unlisted_columns() == []
    key_rotation.check_columns()


GOOD = {"DATA_KEY": base64.b64encode(b"k" * 32).decode()}


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"DATA_KEYS": "2"}, 'DATA_KEYS must be a list of "version:base64-key"'),
        ({"DATA_KEYS": f"two:{KEY_2}"}, 'DATA_KEYS must be a list of "version:base64-key"'),
        ({"DATA_KEYS": f"1:{KEY_2}"}, "versions run from 2 to 255 (version 1 is DATA_KEY)"),
        ({"DATA_KEYS": f"256:{KEY_2}"}, "versions run from 2 to 255"),
        ({"DATA_KEYS": f"2:{KEY_2},2:{KEY_3}"}, "DATA_KEYS names version 2 twice"),
        ({"DATA_KEYS": "2:not base64!"}, "DATA_KEYS version 2 is not base64"),
        ({"DATA_KEYS": "2:c2hvcnQ="}, "DATA_KEYS version 2 must be at least 32 bytes"),
        ({"DATA_KEY": "c2hvcnQ="}, "DATA_KEY must be at least 32 bytes"),
        ({"DATA_KEY_VERSION": "3", "DATA_KEYS": f"2:{KEY_2}"}, "DATA_KEY_VERSION is 3, but no key of that"),
        ({"DATA_KEY_VERSION": "two"}, "DATA_KEY_VERSION must be a whole number"),
        ({"DATA_KEY": None, "DATA_KEYS": f"2:{KEY_2}", "DATA_KEY_VERSION": "2"}, "DATA_KEY must be set"),
        ({"DATA_KEYS": f"2:{DEV_DATA_KEY}"}, "the development key is configured"),
        ({"DATA_HASH_KEY": "c2hvcnQ="}, "DATA_HASH_KEY must be at least 32 bytes"),
    ],
)
def test_production_refuses_malformed_data_keys(settings, problem):
    config = {
        "SECRET_KEY": "x" * 40,
        "SQLALCHEMY_DATABASE_URI": "mysql+pymysql://app@db.internal/employment",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "WECHAT_APPID": "wx1234567890abcdef",
        "WECHAT_SECRET": "s" * 32,
        "SMS_PROVIDER": "none",
        **GOOD,
        **settings,
    }
    with pytest.raises(
        RuntimeError,
        match="Refusing to start in production: .*" + problem.replace("(", r"\(").replace(")", r"\)"),
    ):
        ProductionConfig.check(config)


def test_production_starts_with_a_rotated_keyring_and_version_1_dropped():
    settings = {
        "SECRET_KEY": "x" * 40,
        "SQLALCHEMY_DATABASE_URI": "mysql+pymysql://app@db.internal/employment",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "WECHAT_APPID": "wx1234567890abcdef",
        "WECHAT_SECRET": "s" * 32,
        "DATA_KEY": None,
        "DATA_HASH_KEY": GOOD["DATA_KEY"],
        "DATA_KEYS": f"2:{KEY_2},3:{KEY_3}",
        "DATA_KEY_VERSION": "3",
    }
    app = create_app("production", settings)
    with app.app_context():
        assert key_version(encrypt("13812345678", "phone")) == 3


def test_a_malformed_key_outside_production_fails_at_first_use(app):
    app.config.update(DATA_KEYS="2:c2hvcnQ=", DATA_KEY_VERSION="2")

    with pytest.raises(KeyConfigError, match="DATA_KEYS version 2 must be at least 32 bytes"):
        encrypt("13812345678", "phone")


def test_an_unreadable_value_is_counted_and_logged_without_its_content(app, runner, caplog, sealed_people):
    first_id, _, _ = sealed_people["people"][0]
    blob = db.session.get(Resident, first_id).phone_enc
    damaged = blob[:-1] + bytes([blob[-1] ^ 1])  # one bit flipped: the GCM tag no longer matches
    db.session.execute(sa.update(Resident).where(Resident.id == first_id).values(phone_enc=damaged))
    db.session.commit()
    rotate_to(app, 2)

    result = runner.invoke(args=["keys", "reencrypt"])

    assert result.exit_code == 1
    assert "residents.phone_enc: 2 re-encrypted, 1 unreadable (see the log)" in result.output
    assert "1 values not under version 2" in result.output
    assert f"residents.phone_enc id {first_id} cannot be decrypted (InvalidTag)" in caplog.text
    assert "1370000" not in caplog.text and "1370000" not in result.output
    assert db.session.get(Resident, first_id).phone_enc == damaged  # left as it was
