"""Compliance and funding in the console: circles and gaps in place, a check run, the calculator, populations.

Every code the compliance and funding services raise has its Chinese sentence.
"""

import re
from pathlib import Path

from app.console.messages import MESSAGES
from app.models import PlacePopulation
from app.services.programme.compliance import check_compliance
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as
from tests.support import count

WING = Path(__file__).resolve().parents[2] / "app" / "services" / "programme"
PART_B = ("compliance.py", "compliance_gaps.py", "compliance_digest.py", "populations.py", "funding.py")


def test_a_district_admin_sees_its_circles_and_gaps_and_runs_a_check(client, console_staff, places):
    sign_in_as(client, console_staff, "district_admin", ("district", "341002000000"))
    page = page_of(client, "/console/compliance")
    assert "城中" in page and 'data-testid="run-check"' in page and "没有未达标项" in page

    ran = flash_after(client, post_action(client, page, "/console/compliance/check"))

    assert "检查完成" in ran and "就业圈无服务站" in ran and "没有在用的服务站" in ran
    assert "黄山区一村" not in ran  # another district's community


def test_an_operator_reads_but_may_not_run_a_check(client, console_staff, places):
    check_compliance()
    sign_in_as(client, console_staff, "operator", ("circle", "341002-chengzhong"))
    page = page_of(client, "/console/compliance")

    assert "run-check" not in page and "城东" not in page and "城中" in page
    assert client.post("/console/compliance/check", data={}).status_code in (400, 403)
    assert page_of(client, "/console/funding", status=403)


def test_the_city_admin_computes_enters_a_population_and_exports(client, console_staff, places):
    sign_in_as(client, console_staff, "city_admin", ("city", "341000000000"))
    page = page_of(client, "/console/funding?year=2026&service_yuan_per_10k=10000")
    assert "含测算假设" in page and "15000.00" in page  # 城中: 15,000 people at 10,000 yuan

    bad = flash_after(
        client,
        post_action(
            client,
            page,
            "/console/funding/populations",
            place_kind="district",
            place_code="341002000000",
            population="100",
            urban_population="200",
            source="年鉴",
            as_of="2024-12-31",
        ),
    )
    assert MESSAGES["urban_above_total"] in bad and count(PlacePopulation) == 0
    entered = flash_after(
        client,
        post_action(
            client,
            page,
            "/console/funding/populations",
            place_kind="community",
            place_code="341002002001",
            population="7000",
            source="第七次全国人口普查",
            as_of="2020-11-01",
        ),
    )
    assert "已录入人口数据" in entered and count(PlacePopulation) == 1
    assert "12800.00" in page_of(client, "/console/funding?year=2026")
    exported = client.get("/console/funding/export?year=2026")
    assert exported.status_code == 200 and exported.data[:2] == b"PK"
    assert page_of(client, "/console/funding?year=1999", status=422)


def test_every_code_of_the_compliance_and_funding_services_has_a_sentence(app):
    source = "\n".join((WING / name).read_text(encoding="utf-8") for name in PART_B)
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    assert {"compliance_gap_not_found", "urban_above_total", "invalid_override"} <= raised
    assert sorted(raised - set(MESSAGES)) == []
