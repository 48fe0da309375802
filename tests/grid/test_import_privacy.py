"""The household import and its template, seen for personal data: an example row that is nobody,
what a resident entered themselves kept, and a huge CSV cell refused in the error envelope."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from app.common.crypto import decrypt
from app.common.identity import id_check_character
from app.extensions import db
from app.models import Household, Resident
from app.services import demo
from tests.conftest import make_id_number
from tests.support import count, error_of

IMPORT = "/api/v1/imports/households"
TEMPLATE = "/api/v1/imports/households/template"
YUZHONG_1 = "341002002001"
YUZHONG_ADMIN = ("township_admin", "township", "341002002000")
HEADER = ["household_key", "name", "id_number", "phone", "address", "community_code"]
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def upload(client, headers, data: bytes, filename="ledger.csv"):
    """POST a file to the import."""
    return client.post(
        IMPORT,
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def csv_of(rows: list[list[str]]) -> bytes:
    """Return rows as CSV bytes."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def template_texts(client, headers) -> list[str]:
    """Return every cell of both templates (CSV, and every sheet of the XLSX) as text."""
    texts = [client.get(TEMPLATE + "?format=csv", headers=headers).data.decode("utf-8-sig")]
    book = load_workbook(io.BytesIO(client.get(TEMPLATE, headers=headers).data))
    for sheet in book.worksheets:
        texts += [
            str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None
        ]
    return texts


def test_the_template_example_is_nobody_and_says_it_is_an_example(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    texts = template_texts(client, headers)
    joined = "\n".join(texts)
    # No phone number and no ID number that could be a person's (a valid check character).
    assert MOBILE.findall(joined) == []
    numbers = ID_NUMBER.findall(joined)
    assert numbers and all(id_check_character(n[:17]) != n[-1].upper() for n in numbers)
    # Not a demo resident, and marked as an example in both formats.
    for name, birth, sequence, phone, *_ in demo.DEMO_RESIDENTS:
        assert name not in joined and phone not in joined
        assert demo.demo_id_number(birth, sequence) not in joined
    assert "示例" in texts[0]
    assert any("导入时会拒绝此行" in text for text in texts[1:])


def test_an_import_cell_over_the_csv_limit_is_a_422_naming_its_line(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    good = ["H-1", "张伟", make_id_number(), "13800000001", "昱中路1号", YUZHONG_1]
    huge = ["H-2", "李" * 131_073, make_id_number(), "13800000002", "昱中路2号", YUZHONG_1]

    response = upload(client, headers, csv_of([HEADER, good, huge]))

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("cell_too_long", "file")
    assert "Line 3" in error["message"]
    assert count(Resident) == 0 and count(Household) == 0  # the good row before it is not half-written


@pytest.fixture
def self_registered(client, wechat_login):
    """A resident who registered through WeChat: their own name, ID number, phone and address."""
    number = make_id_number(birth="19900315")
    _, headers, codes = wechat_login(phone="13955551234")
    assert (
        client.post(
            "/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers
        ).status_code
        == 200
    )
    profile = client.patch(
        "/api/v1/me",
        json={
            "name": "李自填",
            "id_number": number,
            "community_code": YUZHONG_1,
            "home_address": "昱中路自填9号",
        },
        headers=headers,
    )
    assert profile.status_code == 200, profile.get_json()
    return profile.get_json()["id"], number


def test_the_import_keeps_what_a_resident_entered_and_reports_the_conflict(
    client, staff_headers, self_registered
):
    resident_id, number = self_registered
    _, headers = staff_headers(*YUZHONG_ADMIN)
    ledger = ["H-9", "李台账", number, "13800009999", "昱中路台账1号", YUZHONG_1]

    response = upload(client, headers, csv_of([HEADER, ledger]))

    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["updated"], report["rejected"]) == (1, [])
    assert sorted((c["line"], c["resident_id"], c["column"], c["code"]) for c in report["conflicts"]) == [
        (2, resident_id, "address", "self_entered_kept"),
        (2, resident_id, "name", "self_entered_kept"),
        (2, resident_id, "phone", "self_entered_kept"),
    ]
    # The report names the conflict without showing either phone number.
    assert "13800009999" not in response.get_data(as_text=True) and "13955551234" not in response.get_data(
        as_text=True
    )
    resident = db.session.get(Resident, resident_id)
    assert (resident.name, resident.home_address) == ("李自填", "昱中路自填9号")
    assert decrypt(resident.phone_enc, "phone") == "13955551234"
    # The ledger still places them in their household.
    assert resident.household is not None and resident.household.key == "H-9"


def test_the_import_fills_what_a_resident_left_empty_without_a_conflict(client, staff_headers, wechat_login):
    number = make_id_number(birth="19920202")
    _, own, _ = wechat_login()
    assert (
        client.patch(
            "/api/v1/me", json={"id_number": number, "community_code": YUZHONG_1}, headers=own
        ).status_code
        == 200
    )
    _, headers = staff_headers(*YUZHONG_ADMIN)

    report = upload(
        client, headers, csv_of([HEADER, ["H-8", "王台账", number, "13800008888", "昱中路8号", YUZHONG_1]])
    ).get_json()

    assert report["conflicts"] == [] and report["updated"] == 1
    resident = db.session.scalar(db.select(Resident).where(Resident.name == "王台账"))
    assert resident is not None and decrypt(resident.phone_enc, "phone") == "13800008888"
