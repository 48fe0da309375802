"""Personal data: ID-card and phone validation, encryption at rest, lookup hashes and masks."""

import json
from datetime import date

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from app.common.crypto import decrypt, encrypt, lookup_hash
from app.common.identity import (
    id_check_character,
    mask_id_number,
    mask_phone,
    normalise_phone,
    parse_id_number,
)
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Resident
from app.services.people.personal_data import set_phone
from tests.conftest import make_id_number
from tests.support import DATA

VECTORS = json.loads((DATA / "validation-vectors.json").read_text(encoding="utf-8"))
VALID_IDS = VECTORS["id_card"]["valid"]
INVALID_IDS = VECTORS["id_card"]["invalid"]
# What the standard's examples encode: birth date (digits 7-14) and gender (digit 17 odd = male).
DERIVED = {
    "11010519491231002X": ("1949-12-31", "female"),
    "440524188001010014": ("1880-01-01", "male"),
}

VALID_PHONES = [
    ("13812345678", "13812345678"),
    ("19912345678", "19912345678"),
    ("+8613812345678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("0086-138-1234-5678", "13812345678"),
    (" 15000001111 ", "15000001111"),
    ("１３８１２３４５６７８", "13812345678"),  # typed with a full-width keyboard
]
INVALID_PHONES = [
    "",
    "12812345678",  # no mobile network starts 12
    "23812345678",
    "1381234567",  # 10 digits
    "138123456789",  # 12 digits
    "+85213812345678",  # Hong Kong prefix
    "+86 1381234567",
    "1381234567a",
    "電話13812345678",
    "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits: digits to Python, but not a phone number here
]


def patch_me(client, headers, **changes):
    """PATCH /api/v1/me and return the response."""
    return client.patch("/api/v1/me", json=changes, headers=headers)


def test_vectors_cover_both_outcomes():
    assert len(VALID_IDS) >= 2 and len(INVALID_IDS) >= 4
    assert set(DERIVED) == set(VALID_IDS)


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_vector_is_accepted_by_the_parser(number):
    value, birth, gender = parse_id_number(number)
    assert value == number
    assert (birth.isoformat(), gender) == DERIVED[number]


@pytest.mark.parametrize("number", INVALID_IDS)
def test_invalid_id_vector_is_rejected_by_the_parser(number):
    with pytest.raises(ValidationFailed) as caught:
        parse_id_number(number)
    assert caught.value.code == "invalid_id_number"
    assert caught.value.field == "id_number"
    assert caught.value.status == 422


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_vector_is_accepted_on_my_profile(client, places, wechat_login, number):
    _, headers, _ = wechat_login()
    response = patch_me(client, headers, id_number=number)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    birth, gender = DERIVED[number]
    assert body["birth_date"] == birth
    assert body["gender"] == gender
    assert body["id_number"] == number[:4] + "*" * 10 + number[-4:]
    resident = db.session.scalar(sa.select(Resident).where(Resident.id == body["id"]))
    assert decrypt(resident.id_number_enc, "id_number") == number
    assert resident.id_number_hmac == lookup_hash(number, "id_number")


@pytest.mark.parametrize("number", INVALID_IDS)
def test_invalid_id_vector_is_rejected_on_my_profile(client, places, wechat_login, number):
    _, headers, _ = wechat_login()
    response = patch_me(client, headers, id_number=number, name="张三")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_id_number"
    assert error["field"] == "id_number"
    assert "id_number" in error["fields"]
    # Nothing of the request was kept, not even the valid name.
    body = client.get("/api/v1/me", headers=headers).get_json()
    assert body["id_number"] is None and body["birth_date"] is None and body["gender"] is None
    assert body["name"] is None
    assert db.session.scalar(sa.select(sa.func.count()).where(Resident.id_number_enc.is_not(None))) == 0


def test_full_width_id_number_is_normalised_and_other_digits_are_refused():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002x")
    assert parse_id_number(full_width)[0] == "11010519491231002X"
    arabic_indic = "".join(chr(0x660 + int(c)) if c.isdigit() else c for c in "11010519491231002X")
    with pytest.raises(ValidationFailed) as caught:
        parse_id_number(arabic_indic)
    assert caught.value.code == "invalid_id_number"


def test_lower_case_x_is_normalised(client, places, wechat_login):
    _, headers, _ = wechat_login()
    response = patch_me(client, headers, id_number="11010519491231002x")
    assert response.status_code == 200
    assert response.get_json()["id_number"] == "1101**********002X"
    resident = db.session.scalar(sa.select(Resident))
    assert decrypt(resident.id_number_enc, "id_number") == "11010519491231002X"


@pytest.mark.parametrize(
    ("birth", "sequence", "gender"),
    [("19900101", "123", "male"), ("20000229", "124", "female"), ("19751231", "001", "male")],
)
def test_birth_date_and_gender_are_derived(birth, sequence, gender):
    first17 = f"341002{birth}{sequence}"
    value, born, derived_gender = parse_id_number(first17 + id_check_character(first17))
    assert born == date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    assert derived_gender == gender


@pytest.mark.parametrize("birth", ["20990101", "19990230", "19990001"])
def test_impossible_or_future_birth_dates_are_rejected(birth):
    first17 = f"341002{birth}123"
    with pytest.raises(ValidationFailed) as caught:
        parse_id_number(first17 + id_check_character(first17))
    assert caught.value.code == "invalid_id_number"


@pytest.mark.parametrize("raw", ["", "   ", "34100219900101123", "3410021990010112345", "34100219900101123Y"])
def test_malformed_id_numbers_are_rejected(raw):
    with pytest.raises(ValidationFailed) as caught:
        parse_id_number(raw)
    assert caught.value.code == "invalid_id_number"


@pytest.mark.parametrize(("raw", "expected"), VALID_PHONES)
def test_valid_mobile_numbers_are_stored(app, raw, expected):
    assert normalise_phone(raw) == expected
    resident = Resident()
    set_phone(resident, raw)
    assert decrypt(resident.phone_enc, "phone") == expected
    assert resident.phone_hmac == lookup_hash(expected, "phone")
    assert resident.phone_hint == expected[:3] + "****" + expected[-4:]


@pytest.mark.parametrize("raw", INVALID_PHONES)
def test_invalid_mobile_numbers_are_rejected(app, raw):
    resident = Resident()
    with pytest.raises(ValidationFailed) as caught:
        set_phone(resident, raw)
    assert caught.value.code == "invalid_phone"
    assert caught.value.field == "phone"
    assert caught.value.status == 422
    assert resident.phone_enc is None and resident.phone_hmac is None and resident.phone_hint is None


def test_set_phone_reports_the_given_field(app):
    with pytest.raises(ValidationFailed) as caught:
        set_phone(Resident(), "12345", field="code")
    assert caught.value.field == "code"


def test_encryption_round_trip(app):
    for value, field in [
        ("11010519491231002X", "id_number"),
        ("13812345678", "phone"),
        ("黄山市屯溪区", "x"),
    ]:
        blob = encrypt(value, field)
        assert isinstance(blob, bytes)
        assert value.encode() not in blob
        assert decrypt(blob, field) == value


def test_ciphertext_is_bound_to_its_field(app):
    blob = encrypt("13812345678", "phone")
    with pytest.raises(InvalidTag):
        decrypt(blob, "id_number")


def test_ciphertext_differs_each_time(app):
    first, second = encrypt("13812345678", "phone"), encrypt("13812345678", "phone")
    assert first != second
    assert first[1:13] != second[1:13]  # a fresh nonce each time
    assert decrypt(first, "phone") == decrypt(second, "phone") == "13812345678"


def test_tampered_ciphertext_is_refused(app):
    blob = bytearray(encrypt("13812345678", "phone"))
    blob[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        decrypt(bytes(blob), "phone")


def test_unknown_key_version_is_refused(app):
    blob = encrypt("13812345678", "phone")
    with pytest.raises(ValueError, match="key version"):
        decrypt(bytes([99]) + blob[1:], "phone")
    with pytest.raises(ValueError):
        decrypt(b"", "phone")


def test_ciphertext_needs_the_same_data_key(app):
    blob = encrypt("13812345678", "phone")
    app.config["DATA_KEY"] = "b3RoZXItZGF0YS1rZXktZm9yLXRlc3RzLW9ubHkhISE="
    with pytest.raises(InvalidTag):
        decrypt(blob, "phone")


def test_lookup_hash_is_stable_and_keyed_by_field(app):
    digest = lookup_hash("13812345678", "phone")
    assert digest == lookup_hash("13812345678", "phone")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != lookup_hash("13812345679", "phone")
    assert digest != lookup_hash("13812345678", "id_number")
    assert "13812345678" not in digest


def test_lookup_hash_finds_the_resident(make_resident):
    number = make_id_number("19850615")
    resident = make_resident(id_number=number, phone="+86 139 0000 1111")
    found = db.session.scalar(
        sa.select(Resident.id).where(Resident.id_number_hmac == lookup_hash(number, "id_number"))
    )
    assert found == resident.id
    found = db.session.scalar(
        sa.select(Resident.id).where(Resident.phone_hmac == lookup_hash("13900001111", "phone"))
    )
    assert found == resident.id


def test_masks():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("440524188001010014") == "4405**********0014"
    assert mask_phone("13812345678") == "138****5678"


def test_database_columns_never_hold_the_plain_values(make_resident):
    number = make_id_number("19900101")
    phone = "13912345678"
    resident = make_resident(id_number=number, phone="+86 139-1234-5678")
    row = (
        db.session.execute(sa.text("SELECT * FROM residents WHERE id = :id"), {"id": resident.id})
        .mappings()
        .one()
    )
    assert row["id_number_hint"] == number[:4] + "**********" + number[-4:]
    assert row["phone_hint"] == "139****5678"
    for column, value in row.items():
        if value is None:
            continue
        raw = bytes(value) if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
        for secret in (number, phone, number[6:17]):
            assert secret.encode() not in raw, f"{column} holds a plain value"
    # Every column of every table, not just residents (audit details, for instance).
    for table in db.metadata.sorted_tables:
        for values in db.session.execute(sa.select(table)):
            text = " ".join(str(v) for v in values)
            assert number not in text and phone not in text, table.name
