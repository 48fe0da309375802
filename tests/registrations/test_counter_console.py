"""At the counter (app/console/counter.py): staff find a resident in their place and enter for them.

Unemployment and employment registrations and key groups, each idempotent by the form's
client_id; the signed form uploaded on the registration's page; 离职 from that page; the
refusals in Chinese; supervisors look on; CSRF on every form.
"""

import io
import re
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from app.console.messages import MESSAGES
from app.extensions import db
from app.models import Certification, Registration, Resident
from app.services.registrations import unemployment, workflow
from tests.conftest import ME, SUBSCRIPTIONS, make_id_number
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as
from tests.registrations.conftest import ELSEWHERE, HOME, RECORD_TEMPLATE, record_pushes
from tests.support import count

COUNTER = "/console/counter"
PDF = b"%PDF-1.4\n% signed at the counter\n"
LEFT = {"reason_for_leaving": "合同到期", "left_on": "2026-10-31", "wanted_work": "仓储物流"}
DAY = {"reason_for_leaving": "合同到期", "left_on": date(2026, 10, 31)}
WINGS = Path(__file__).resolve().parents[2] / "app" / "services" / "registrations"


def person(client, wechat_login, name="柜台居民", community=HOME, status="unemployed", born="19900101"):
    """Make a resident (WeChat login, name, ID number, community): (resident id, ID number)."""
    _, headers, _ = wechat_login()
    id_number = make_id_number(born)
    profile = {"name": name, "id_number": id_number, "community_code": community, "employment_status": status}
    response = client.patch(ME, json=profile, headers=headers)
    assert response.status_code == 200, response.get_json()
    # The person said yes to record notices, as the mini-program asks on its first page.
    results = {RECORD_TEMPLATE: "accept", "errMsg": "ok"}
    report = client.post(
        SUBSCRIPTIONS, json={"client_id": uuid.uuid4().hex, "results": results}, headers=headers
    )
    assert report.status_code == 200, report.get_json()
    return response.get_json()["id"], id_number


def form_url(resident_id: int, kind: str) -> str:
    return f"/console/counter/residents/{resident_id}/{kind}"


def client_id_of(html: str) -> str:
    """Return the client_id the form was drawn with."""
    match = re.search(r'name="client_id" value="([^"]+)"', html)
    assert match, "the form carries no client_id"
    return match.group(1)


def enter(client, resident_id: int, kind: str, **fields):
    """Draw a counter form and post it with its client_id; return (response, form html, client_id)."""
    html = page_of(client, form_url(resident_id, kind))
    cid = client_id_of(html)
    return post_action(client, html, form_url(resident_id, kind), client_id=cid, **fields), html, cid


def registrations_of(resident_id: int) -> list[Registration]:
    return list(db.session.scalars(sa.select(Registration).where(Registration.resident_id == resident_id)))


def test_staff_find_the_resident_by_name_or_whole_id_number_and_open_the_form(
    client, wechat_login, console_staff
):
    resident_id, id_number = person(client, wechat_login, name="柜台张三")
    sign_in_as(client, console_staff, "station_staff")

    by_name = page_of(client, f"{COUNTER}?q=张三")
    assert "柜台张三" in by_name and f'data-testid="counter-unemployment-{resident_id}"' in by_name
    assert id_number not in by_name  # masked
    by_number = page_of(client, f"{COUNTER}?q={id_number}")
    assert "柜台张三" in by_number
    assert "柜台张三" not in page_of(client, f"{COUNTER}?q={id_number[:10]}")  # whole numbers only

    form = page_of(client, form_url(resident_id, "unemployment"))
    assert "柜台张三" in form and 'name="csrf_token"' in form and len(client_id_of(form)) == 32
    # The lists lead here: the registrations' and certifications' buttons, the residents' rows.
    assert 'data-testid="counter"' in page_of(client, "/console/lists/registrations")
    assert 'data-testid="counter"' in page_of(client, "/console/lists/certifications")
    residents = page_of(client, "/console/lists/residents")
    assert f'data-testid="counter-certification-{resident_id}"' in residents


def test_a_counter_entry_posted_twice_makes_one_registration(client, wechat_login, console_staff):
    resident_id, _ = person(client, wechat_login)
    sign_in_as(client, console_staff, "station_staff")

    first, html, cid = enter(client, resident_id, "unemployment", wants_training="true", **LEFT)
    assert "已录入失业登记" in flash_after(client, first)
    again = post_action(client, html, form_url(resident_id, "unemployment"), client_id=cid, **LEFT)

    rows = registrations_of(resident_id)
    assert len(rows) == 1
    registration = rows[0]
    assert (registration.status, registration.entered_via) == ("pending_confirmation", "staff")
    assert (registration.reason_for_leaving, registration.wants_training) == ("合同到期", True)
    assert first.location.endswith(f"/console/registrations/{registration.id}")
    assert "此前已录入" in flash_after(client, again)
    account_id = db.session.get(Resident, resident_id).account_id
    assert record_pushes(account_id) == [f"unemployment_registration:{registration.id}:entered"]


def test_a_resident_outside_the_place_cannot_be_picked(client, wechat_login, console_staff):
    outsider, id_number = person(client, wechat_login, name="城东居民", community=ELSEWHERE)
    sign_in_as(client, console_staff, "station_staff")

    assert "城东居民" not in page_of(client, f"{COUNTER}?q={id_number}")
    assert 'data-testid="no-result"' in page_of(client, f"{COUNTER}?q=城东居民")
    assert client.get(form_url(outsider, "unemployment")).status_code == 404
    html = page_of(client, f"{COUNTER}?q=x")
    refused = post_action(client, html, form_url(outsider, "unemployment"), client_id="a" * 32, **LEFT)
    assert refused.status_code == 404
    assert "没有找到该居民" in refused.get_data(as_text=True)
    assert registrations_of(outsider) == []


def test_the_signed_form_sends_the_registration_to_review(client, wechat_login, console_staff):
    resident_id, _ = person(client, wechat_login)
    sign_in_as(client, console_staff, "station_staff")
    response, _, _ = enter(client, resident_id, "unemployment", **LEFT)
    detail = flash_after(client, response)
    assert 'data-testid="signed-form"' in detail
    (registration,) = registrations_of(resident_id)
    url = f"/console/registrations/{registration.id}/signed-form"

    wrong = post_action(client, detail, url, file=(io.BytesIO(b"plain text, not a scan"), "表.txt"))
    assert "签字登记表只能是 PDF、JPG 或 PNG 文件" in flash_after(client, wrong)
    db.session.refresh(registration)
    assert registration.status == "pending_confirmation"

    uploaded = post_action(client, detail, url, file=(io.BytesIO(PDF), "登记表.pdf"))

    after = flash_after(client, uploaded)
    db.session.refresh(registration)
    assert (registration.status, registration.confirmed_by) == ("submitted", "signed_form")
    assert "已上传签字登记表" in after and 'data-testid="signed-form"' not in after
    assert 'data-testid="decisions"' in after  # now it waits for review


def test_the_services_refusals_read_in_chinese(client, wechat_login, console_staff):
    working, _ = person(client, wechat_login, name="在岗居民", status="employed")
    resident_id, _ = person(client, wechat_login)
    sign_in_as(client, console_staff, "operator")

    employed, _, _ = enter(client, working, "unemployment", **LEFT)
    assert employed.status_code == 409
    assert "台账显示该居民正在就业" in employed.get_data(as_text=True)
    future, _, cid = enter(client, resident_id, "unemployment", **{**LEFT, "left_on": "2999-01-01"})
    text = future.get_data(as_text=True)
    assert future.status_code == 422 and "「离职日期」：离职日期不能晚于今天。" in text
    assert client_id_of(text) == cid  # the retry keeps the form's id
    bad_date, _, _ = enter(client, resident_id, "unemployment", **{**LEFT, "left_on": "31/10/2026"})
    assert bad_date.status_code == 422 and "日期格式应为" in bad_date.get_data(as_text=True)
    assert registrations_of(working) == registrations_of(resident_id) == []


def test_employment_at_the_counter_and_its_end(client, wechat_login, console_staff):
    resident_id, _ = person(client, wechat_login)
    staff = sign_in_as(client, console_staff, "station_staff")
    fields = {"employment_kind": "employed", "started_on": "2026-11-02", "employer_name": "黄山茶业"}
    response, _, _ = enter(client, resident_id, "employment", contract_type="fixed_term", **fields)
    (registration,) = registrations_of(resident_id)
    assert (registration.kind, registration.employer_name) == ("employment", "黄山茶业")
    detail = flash_after(client, response)
    uploaded = post_action(
        client,
        detail,
        f"/console/registrations/{registration.id}/signed-form",
        file=(io.BytesIO(PDF), "表.pdf"),
    )
    assert uploaded.status_code == 303
    workflow.accept(staff, registration.id, None, None)
    assert db.session.get(Resident, resident_id).employment_status == "employed"

    detail = page_of(client, f"/console/registrations/{registration.id}")
    assert 'data-testid="end"' in detail and "登记离职" in detail
    url = f"/console/registrations/{registration.id}/end"
    early = post_action(client, detail, url, ended_on="2026-11-01", reason="个人原因")
    assert "离职日期不能早于入职日期" in flash_after(client, early)
    ended = post_action(client, detail, url, ended_on="2026-11-20", reason="个人原因")

    assert "已登记离职" in flash_after(client, ended)
    db.session.refresh(registration)
    assert (registration.status, registration.ending_reason) == ("ended", "left_job")
    assert db.session.get(Resident, resident_id).employment_status == "unemployed"


def test_a_key_group_recorded_at_the_counter_then_its_evidence(client, wechat_login, console_staff):
    resident_id, _ = person(client, wechat_login)
    sign_in_as(client, console_staff, "township_admin")
    response, html, cid = enter(client, resident_id, "certification", key_group="disabled", note="持残疾证")
    post_action(client, html, form_url(resident_id, "certification"), client_id=cid, key_group="disabled")
    rows = list(db.session.scalars(sa.select(Certification).where(Certification.resident_id == resident_id)))
    assert [(row.key_group, row.source, row.status) for row in rows] == [("disabled", "staff", "pending")]
    page = flash_after(client, response)
    assert "已录入重点群体认定" in page and 'data-testid="evidence-file"' in page

    graduate, _, _ = enter(client, resident_id, "certification", key_group="college_graduate")
    assert graduate.status_code == 422 and "高校毕业生须填写毕业年份" in graduate.get_data(as_text=True)


def test_staff_end_an_unemployment_registration_in_effect_with_a_reason(client, wechat_login, console_staff):
    resident_id, _ = person(client, wechat_login)
    staff = sign_in_as(client, console_staff, "station_staff")
    registration, _ = unemployment.create(
        staff, {"client_id": uuid.uuid4().hex, "resident_id": resident_id, **DAY}, None
    )
    workflow.attach_form(staff, registration.id, FileStorage(io.BytesIO(PDF), "表.pdf"), None)
    workflow.accept(staff, registration.id, None, None)
    detail = page_of(client, f"/console/registrations/{registration.id}")
    assert "注销失业登记" in detail and 'data-testid="ended-on"' not in detail
    url = f"/console/registrations/{registration.id}/end"

    blank = post_action(client, detail, url, reason="")
    assert "请填写原因" in flash_after(client, blank)
    ended = post_action(client, detail, url, reason="已外出务工")

    assert "已注销该失业登记" in flash_after(client, ended)
    db.session.refresh(registration)
    assert (registration.status, registration.ending_reason) == ("ended", "staff_ended")
    assert db.session.get(Resident, resident_id).employment_status == "unemployed"


def test_a_supervisor_looks_on_and_every_form_needs_its_csrf_token(client, wechat_login, console_staff):
    resident_id, _ = person(client, wechat_login)
    waiting, _ = person(client, wechat_login, name="待确认居民")
    staff = sign_in_as(client, console_staff, "station_staff")
    entered, _ = unemployment.create(
        staff, {"client_id": uuid.uuid4().hex, "resident_id": waiting, **DAY}, None
    )
    sign_in_as(client, console_staff, "supervisor")
    detail = page_of(client, f"/console/registrations/{entered.id}")
    assert 'data-testid="signed-form"' not in detail and 'data-testid="end"' not in detail
    for step in ("signed-form", "end"):
        url = f"/console/registrations/{entered.id}/{step}"
        assert post_action(client, detail, url, file=(io.BytesIO(PDF), "表.pdf")).status_code == 403
    db.session.refresh(entered)
    assert entered.status == "pending_confirmation"
    assert 'data-testid="counter"' not in page_of(client, "/console/lists/registrations")
    assert client.get(COUNTER).status_code == 403
    assert client.get(form_url(resident_id, "unemployment")).status_code == 403
    html = page_of(client, "/console/lists/registrations")
    for kind in ("unemployment", "employment", "certification"):
        refused = post_action(client, html, form_url(resident_id, kind), client_id="b" * 32, **LEFT)
        assert refused.status_code == 403
    assert registrations_of(resident_id) == [] and count(Certification) == 0

    sign_in_as(client, console_staff, "station_staff")
    forged = client.post(form_url(resident_id, "unemployment"), data={"client_id": "c" * 32, **LEFT})
    assert forged.status_code == 400 and "CSRF" in forged.get_data(as_text=True)
    assert registrations_of(resident_id) == []


def test_every_code_the_registrations_wing_raises_has_its_chinese_sentence():
    source = "\n".join(path.read_text(encoding="utf-8") for path in WINGS.glob("*.py"))
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    # ValidationFailed(field, message, "code") with the code as the third argument, on its own line.
    raised |= set(re.findall(r'ValidationFailed\(\s*"[a-z_]+",\s*(?:f?"[^"]*"\s*)+,\s*"([a-z_]+)"', source))
    raised.add("registration_not_found")  # records.NOT_FOUND
    # What the services they call raise: scoping, files (app/common/files.py), credit codes.
    raised |= {"resident_not_found", "role_forbidden", "invalid_credit_code", "file_missing", "file_empty"}
    raised |= {"file_too_large", "file_type_not_allowed", "file_has_macros", "invalid_date", "invalid_input"}
    assert {"currently_employed", "registration_open", "graduation_year_required"} <= raised
    assert sorted(raised - set(MESSAGES)) == []
