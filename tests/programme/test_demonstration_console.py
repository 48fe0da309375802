"""Demonstration communities in the console: weights, compute, confirm, publish, export; refusals in Chinese.

Every code the demonstration and credibility services raise has its Chinese sentence.
"""

import re
from datetime import date
from pathlib import Path

from app.console.messages import MESSAGES
from app.extensions import db
from app.models import DemonstrationCriterion, DemonstrationRanking, Notice
from tests.console import conftest as console_fixtures
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as

APP = Path(__file__).resolve().parents[2] / "app"
OURS = (
    APP / "services" / "programme" / "demonstration.py",
    APP / "services" / "programme" / "demonstration_criteria.py",
    APP / "services" / "programme" / "demonstration_reading.py",
    APP / "services" / "notices" / "system.py",
    APP / "console" / "demonstration.py",
)
YEAR = date.today().year - 1
TUNXI = ("district", "341002000000")
CITY = ("city", "341000000000")
console_login, console_staff = console_fixtures.console_login, console_fixtures.console_staff


def test_a_ranking_from_the_weights_to_the_published_list(client, console_staff):
    sign_in_as(client, console_staff, "city_admin", CITY)
    page = page_of(client, f"/console/demonstration?year={YEAR}")
    assert 'data-testid="criteria-form"' in page and "数据质量" in page
    weights = {f"weight_{key}": "10" for key in ("data_quality", "fake_jobs")}
    saved = post_action(
        client, page, "/console/demonstration/criteria", year=str(YEAR), enabled_fake_jobs="1", **weights
    )
    assert "评选指标已保存" in flash_after(client, saved)
    enabled = db.session.scalars(
        db.select(DemonstrationCriterion).where(DemonstrationCriterion.enabled)
    ).all()
    assert [row.key for row in enabled] == ["fake_jobs"]
    computed = post_action(
        client,
        page,
        "/console/demonstration/rankings",
        year=str(YEAR),
        place_kind="district",
        place_code="341002",
    )
    ranking_page = flash_after(client, computed)
    assert "排名已计算" in ranking_page and "昱中一社区" in ranking_page
    ranking = db.session.scalar(db.select(DemonstrationRanking))
    url = f"/console/demonstration/rankings/{ranking.id}"
    confirmed = post_action(client, ranking_page, f"{url}/confirm", top_n="2")
    ranking_page = flash_after(client, confirmed)
    assert "名单已确认" in ranking_page and 'data-testid="publish-form"' in ranking_page
    again = post_action(client, page, "/console/demonstration/rankings", year=str(YEAR), place_code="341002")
    assert MESSAGES["ranking_frozen"] in flash_after(client, again)
    published = post_action(client, ranking_page, f"{url}/publish")
    assert "名单已作为通知公布" in flash_after(client, published)
    assert db.session.scalar(db.select(Notice)).status == "published"
    export = client.get(f"{url}/export")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")


def test_a_district_admin_ranks_its_district_and_sees_no_other(client, console_staff):
    sign_in_as(client, console_staff, "district_admin", ("district", "341003000000"))
    page = page_of(client, "/console/demonstration")
    assert 'name="weight_' not in page  # the weights are the city's
    refused = post_action(
        client, page, "/console/demonstration/rankings", year=str(YEAR), place_code="341002"
    )
    assert refused.status_code == 403 and MESSAGES["role_forbidden"] in refused.get_data(as_text=True)
    early = post_action(client, page, "/console/demonstration/rankings", year="2019", place_code="341003")
    assert MESSAGES["year_out_of_range"] in flash_after(client, early)
    sign_in_as(client, console_staff, "district_admin", TUNXI)
    page = page_of(client, "/console/demonstration")
    ranking_page = flash_after(
        client,
        post_action(client, page, "/console/demonstration/rankings", year=str(YEAR), place_code="341002"),
    )
    assert 'data-testid="confirm-form"' not in ranking_page  # the city confirms
    ranking = db.session.scalar(db.select(DemonstrationRanking))
    sign_in_as(client, console_staff, "district_admin", ("district", "341003000000"))
    page_of(client, f"/console/demonstration/rankings/{ranking.id}", status=404)
    sign_in_as(client, console_staff, "station_staff", ("circle", "341002-chengzhong"))
    page_of(client, "/console/demonstration", status=403)


def test_every_code_the_services_raise_has_its_chinese_sentence():
    source = "\n".join(path.read_text(encoding="utf-8") for path in OURS)
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    raised |= {"demonstration_ranking_not_found"}  # NOT_FOUND
    assert {"ranking_frozen", "ranking_not_confirmed", "no_criteria"} <= raised
    assert sorted(raised - set(MESSAGES)) == []
