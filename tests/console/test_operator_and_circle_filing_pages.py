"""Operators and circle filings in the console: enter and contract an operator, define, file, return, accept.

A district admin defines a circle and files it; the city admin returns it with a reason, then
(refiled) accepts it; the community moves and the page shows its history. Every code Part A's
services raise has its Chinese sentence.
"""

import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.common.clock import local_day
from app.console.messages import MESSAGES
from app.extensions import db
from app.models import CircleFiling, Community, Operator, OperatorContract
from tests.conftest import make_credit_code
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as

WING = Path(__file__).resolve().parents[2] / "app" / "services" / "programme"
PART_A = ("operators.py", "contracts.py", "circle_filings.py", "circle_coverage.py", "memberships.py")


def _filing_status(filing_id: int) -> str:
    db.session.expire_all()
    return db.session.get(CircleFiling, filing_id).status


def test_an_operator_is_entered_contracted_and_its_contract_ended(client, console_staff):
    sign_in_as(client, console_staff, "city_admin", ("city", "341000000000"))
    listing = page_of(client, "/console/operators")
    assert 'data-testid="operator-form"' in listing
    bad = flash_after(
        client, post_action(client, listing, "/console/operators", name="某机构", credit_code="123")
    )
    assert MESSAGES["invalid_credit_code"] in bad
    entered = post_action(
        client, listing, "/console/operators", name="黄山人力资源公司", credit_code=make_credit_code()
    )
    operator_id = int(re.search(r"/console/operators/(\d+)", entered.location).group(1))
    assert "已登记运营机构" in flash_after(client, entered)
    year = local_day().year
    contracted = post_action(
        client,
        listing,
        "/console/operator-contracts",
        operator_id=str(operator_id),
        circle="341002-chengzhong",
        starts_on=f"{year}-01-01",
        ends_on=f"{year}-12-31",
        fee_yuan="32000.5",
        client_id="page-contract",
    )
    page = flash_after(client, contracted)
    assert "已登记服务合同" in page and "32000.50" in page and "城中" in page
    contract = db.session.scalar(
        sa.select(OperatorContract).where(OperatorContract.operator_id == operator_id)
    )
    assert contract.fee_fen == 3200050
    no_reason = flash_after(
        client, post_action(client, page, f"/console/operator-contracts/{contract.id}/end", reason="")
    )
    assert MESSAGES["reason_required"] in no_reason
    ended = flash_after(
        client, post_action(client, page, f"/console/operator-contracts/{contract.id}/end", reason="合同违约")
    )
    assert "合同已终止" in ended and "合同违约" in ended

    sign_in_as(client, console_staff, "district_admin", ("district", "341003000000"))
    assert client.get(f"/console/operators/{operator_id}").status_code == 404
    assert "黄山人力资源公司" not in page_of(client, "/console/operators")
    assert db.session.get(Operator, operator_id).status == "active"


def test_a_circle_is_defined_filed_returned_and_accepted_in_the_console(client, console_staff):
    sign_in_as(client, console_staff, "district_admin", ("district", "341002000000"))
    listing = page_of(client, "/console/circle-filings")
    form = {
        "name": "昱中就业圈",
        "key": "yuzhong",
        "community_codes": "341002002001\n341002002002",
        "effective_from": local_day().isoformat(),
        "client_id": "page-filing",
    }
    foreign = flash_after(
        client,
        post_action(
            client, listing, "/console/circle-filings", **{**form, "community_codes": "341003100001"}
        ),
    )
    assert MESSAGES["place_out_of_district"] in foreign
    filed = post_action(client, listing, "/console/circle-filings", file="1", **form)
    filing_id = int(re.search(r"/console/circle-filings/(\d+)", filed.location).group(1))
    assert "已报市局备案" in flash_after(client, filed) and _filing_status(filing_id) == "filed"

    sign_in_as(client, console_staff, "city_admin", ("city", "341000000000"))
    page = page_of(client, f"/console/circle-filings/{filing_id}")
    assert 'data-testid="accept"' in page
    path = f"/console/circle-filings/{filing_id}"
    assert MESSAGES["reason_required"] in flash_after(
        client, post_action(client, page, f"{path}/return", reason="")
    )
    returned = flash_after(client, post_action(client, page, f"{path}/return", reason="请列明服务站"))
    assert "请列明服务站" in returned and _filing_status(filing_id) == "returned"

    sign_in_as(client, console_staff, "district_admin", ("district", "341002000000"))
    page = page_of(client, path)
    assert "请列明服务站" in page
    flash_after(client, post_action(client, page, f"{path}/file"))
    assert _filing_status(filing_id) == "filed"
    refused = post_action(client, page, f"{path}/accept")
    assert refused.status_code == 403  # the district never accepts its own circle

    sign_in_as(client, console_staff, "city_admin", ("city", "341000000000"))
    page = page_of(client, path)
    accepted = flash_after(client, post_action(client, page, f"{path}/accept"))
    assert "已备案" in accepted and _filing_status(filing_id) == "applied"
    assert "昱中一社区" in accepted and "至今" in accepted
    circle_id = db.session.get(CircleFiling, filing_id).circle_id
    assert (
        db.session.scalar(sa.select(Community.circle_id).where(Community.code == "341002002001")) == circle_id
    )

    sign_in_as(client, console_staff, "district_admin", ("district", "341003000000"))
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/withdraw", data={"csrf_token": "x"}).status_code in (400, 404)


def test_a_filing_dated_later_waits_and_the_nav_shows_the_pages(client, console_staff):
    sign_in_as(client, console_staff, "district_admin", ("district", "341002000000"))
    home = page_of(client, "/console/circle-filings")
    assert "/console/operators" in home and "/console/circle-filings" in home
    later = (local_day() + timedelta(days=5)).isoformat()
    filed = post_action(
        client,
        home,
        "/console/circle-filings",
        file="1",
        name="新圈",
        key="xinquan",
        community_codes="341002002001",
        effective_from=later,
    )
    assert _filing_status(int(filed.location.rsplit("/", 1)[1])) == "filed"


def test_every_code_part_a_raises_has_its_chinese_sentence():
    source = "\n".join((WING / name).read_text(encoding="utf-8") for name in PART_A)
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    # What the services they call raise, and the console's own form checks.
    raised |= {"invalid_credit_code", "invalid_phone", "invalid_date", "invalid_input"}
    assert {"community_in_two_circles", "filing_status_conflict", "contract_not_active"} <= raised
    assert sorted(raised - set(MESSAGES)) == []


def test_a_staff_account_is_created_for_an_operator_in_the_console(client, console_staff, make_operator):
    from app.models import Account
    from tests.console.lists_support import new_account

    operator = make_operator(name="城中运营", circle_key="chengzhong")
    sign_in_as(client, console_staff, "district_admin", ("district", "341002000000"))
    form = page_of(client, "/console/staff/new")
    assert 'data-testid="employment-type"' in form
    fields = new_account(operator_id=str(operator.id), employment_type="full_time")
    elsewhere = make_operator(name="黄山区运营", district="341003")
    refused = post_action(client, form, "/console/staff", **{**fields, "operator_id": str(elsewhere.id)})
    assert refused.status_code == 422
    assert MESSAGES["operator_not_contracted_here"] in refused.get_data(as_text=True)
    created = post_action(client, form, "/console/staff", **fields)
    assert created.status_code == 303
    account = db.session.scalar(sa.select(Account).where(Account.username == fields["username"]))
    assert (account.operator_id, account.employment_type) == (operator.id, "full_time")
    page = page_of(client, f"/console/operators/{operator.id}")
    assert fields["username"] in page and "专职" in page
