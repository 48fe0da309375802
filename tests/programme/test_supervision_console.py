"""Supervision and progress reports in the console: draw, ring, record, answer, close; file, return.

Every code the supervision and report services raise has its Chinese sentence.
"""

import re
from pathlib import Path

import pytest

from app.console.messages import MESSAGES
from app.extensions import db
from app.models import Account, AuditEvent, Finding, ProgressReport
from tests.console import conftest as console_fixtures
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as
from tests.programme.supervision_support import (
    CHENGZHONG,
    cover_last_month,
    last_month,
    month_text,
    visited_households,
)
from tests.support import count

WING = Path(__file__).resolve().parents[2] / "app" / "services" / "programme"
OURS = (
    "spot_checks",
    "spot_check_calls",
    "findings",
    "operator_kpis",
    "supervision_report",
    "supervision_scope",
    "progress_reports",
    "indicators",
    "operator_work",
)
TUNXI = ("district", "341002000000")
# The console's sign-in fixtures (tests/console/conftest.py), for the pages' tests here.
console_login, console_staff = console_fixtures.console_login, console_fixtures.console_staff


def test_a_spot_check_from_the_draw_to_the_closed_finding(client, console_staff, make_operator, make_staff):
    worker = make_staff("grid_worker", "circle", "341002-chengzhong")
    operator = make_operator(name="城中运营", circle_key="chengzhong", staff=[worker])
    cover_last_month(operator)
    visited_households(CHENGZHONG, worker.id, 3)

    sign_in_as(client, console_staff, "supervisor", TUNXI)
    month_page = page_of(client, f"/console/supervision?month={month_text(last_month())}")
    assert "城中运营" in month_page
    drawn = post_action(
        client,
        month_page,
        "/console/spot-check-samples",
        month=month_text(last_month()),
        operator_id=str(operator.id),
        kind="visit",
        size="2",
    )
    sample_page = flash_after(client, drawn)
    assert "已抽取样本" in sample_page and "137****" in sample_page and "13700000" not in sample_page
    call_id = re.search(r"/console/spot-checks/(\d+)/reveal", sample_page).group(1)
    revealed = post_action(client, sample_page, f"/console/spot-checks/{call_id}/reveal")
    assert revealed.status_code == 200 and re.search(
        r'data-testid="revealed">1370000\d{4}<', revealed.get_data(as_text=True)
    )
    assert count(AuditEvent, AuditEvent.action == "spot_check.reveal") == 1
    missing = post_action(client, sample_page, f"/console/spot-checks/{call_id}/call", reached="1")
    assert MESSAGES["call_answers_required"] in flash_after(client, missing)
    recorded = post_action(
        client,
        sample_page,
        f"/console/spot-checks/{call_id}/call",
        reached="1",
        visit_confirmed="0",
        data_correct="1",
        satisfaction="4",
    )
    assert "已生成整改事项" in flash_after(client, recorded)
    finding = db.session.scalar(db.select(Finding))

    manager = sign_in_as(client, console_staff, "operator", ("circle", "341002-chengzhong"))
    db.session.get(Account, manager.id).operator_id = operator.id
    db.session.commit()
    finding_page = page_of(client, f"/console/findings/{finding.id}")
    answered = post_action(
        client, finding_page, f"/console/findings/{finding.id}/answer", answer="已上门核实"
    )
    assert "等待监理销号" in flash_after(client, answered)

    sign_in_as(client, console_staff, "supervisor", TUNXI)
    finding_page = page_of(client, f"/console/findings/{finding.id}")
    closed = post_action(client, finding_page, f"/console/findings/{finding.id}/close", note="核实无误")
    assert "已销号" in flash_after(client, closed)
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).status == "closed"
    assert client.get(f"/console/supervision/report?month={month_text(last_month())}").status_code == 200


def test_a_circle_supervisor_sees_no_sample_and_others_a_404(
    client, console_staff, make_operator, make_staff
):
    sign_in_as(client, console_staff, "supervisor", ("circle", "341002-chengdong"))

    page = page_of(client, "/console/supervision")

    assert 'data-testid="samples"' not in page and 'data-testid="draw-form"' not in page
    assert client.get("/console/findings/999999").status_code == 404
    assert client.get("/console/spot-check-samples/1").status_code == 403


def test_a_progress_report_filed_returned_and_seen_by_the_city(client, console_staff):
    sign_in_as(client, console_staff, "district_admin", TUNXI)
    listing = page_of(client, "/console/progress-reports")
    report_page = flash_after(
        client, post_action(client, listing, "/console/progress-reports", month=month_text(last_month()))
    )
    report = db.session.scalar(db.select(ProgressReport))
    url = f"/console/progress-reports/{report.id}"
    untexted = post_action(client, report_page, url, file="1")
    assert MESSAGES["report_text_required"] in flash_after(client, untexted)
    filed = post_action(
        client, report_page, url, problems="问题", good_practice="经验", next_steps="打算", file="1"
    )
    assert "已报送市局" in flash_after(client, filed)

    sign_in_as(client, console_staff, "city_admin", ("city", "341000000000"))
    overview = page_of(client, f"/console/progress-reports?month={month_text(last_month())}")
    assert 'data-testid="filed">1<' in overview and "未报送" in overview
    report_page = page_of(client, url)
    returned = post_action(client, report_page, f"{url}/return", comments="请补充数据")
    assert "已退回区县修改" in flash_after(client, returned)
    db.session.expire_all()
    assert db.session.get(ProgressReport, report.id).status == "returned"

    sign_in_as(client, console_staff, "district_admin", ("district", "341003000000"))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("role", "where", "pages"),
    [
        ("supervisor", ("circle", "341002-chengzhong"), ["/console/supervision"]),
        ("operator", ("circle", "341002-chengzhong"), ["/console/supervision"]),
        ("district_admin", TUNXI, ["/console/supervision", "/console/progress-reports"]),
        ("city_admin", ("city", "341000000000"), ["/console/supervision", "/console/progress-reports"]),
    ],
)
def test_the_nav_offers_the_pages_to_the_roles_that_open_them(client, console_staff, role, where, pages):
    sign_in_as(client, console_staff, role, where)

    home = page_of(client, "/console/dashboard")

    for page in pages:
        assert f'href="{page}"' in home
        page_of(client, page)
    if role in ("supervisor", "operator"):
        assert 'href="/console/progress-reports"' not in home
        assert client.get("/console/progress-reports").status_code == 403


def test_every_code_the_supervision_services_raise_has_its_chinese_sentence():
    source = "\n".join((WING / f"{name}.py").read_text(encoding="utf-8") for name in OURS)
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    # _text() builds "<field>_required" for the answer and the reopen reason; the console's own checks.
    raised |= {
        "answer_required",
        "reason_required",
        "title_required",
        "invalid_month",
        "invalid_input",
        "invalid_date",
    }
    raised.discard("f")
    assert {"finding_status_conflict", "call_already_recorded", "report_status_conflict"} <= raised
    assert sorted(raised - set(MESSAGES)) == []
