"""Retention figures: 3- and 6-month rates per employer, circle and job kind, in the caller's place."""

from app.common.clock import local_day
from tests.placements.conftest import STAFF, run_after
from tests.placements.test_follow_ups import answer, follow_ups
from tests.support import error_of

RETENTION = f"{STAFF}/retention"


def stages(block: list[dict]) -> dict:
    """Return {stage_days: (retained, left, pending, rate)} of a group's or the totals' stages."""
    return {s["stage_days"]: (s["retained"], s["left"], s["pending"], s["rate"]) for s in block}


def test_rates_per_employer_job_kind_and_circle(client, person, hire, make_employer, staff_headers):
    tea, shop = make_employer(), make_employer(name="黄山测试商贸有限公司")
    stays, stays_headers, _ = person(name="留任者")
    leaves, leaves_headers, _ = person(name="离职者")
    _, silent_headers, _ = person(name="未答者")
    hire(stays_headers, tea)
    hire(leaves_headers, tea)
    hire(silent_headers, shop, kind="part_time")

    run_after(90)
    assert answer(client, stays_headers, follow_ups(stays)[0].id, answer="still_employed").status_code == 200
    left = answer(
        client,
        leaves_headers,
        follow_ups(leaves)[0].id,
        answer="left",
        left_reason="conditions",
        left_on=local_day().isoformat(),
    )
    assert left.status_code == 200, left.get_json()
    run_after(180)
    assert answer(client, stays_headers, follow_ups(stays)[1].id, answer="still_employed").status_code == 200

    _, admin = staff_headers("township_admin", "township", "341002002000")
    by_employer = client.get(RETENTION, headers=admin)
    assert by_employer.status_code == 200, by_employer.get_json()
    groups = {g["name"]: stages(g["stages"]) for g in by_employer.get_json()["groups"]}
    # 3 months: one stayed, one left; 6 months: the one who left at 3 months counts as left.
    assert groups["黄山测试茶业有限公司"] == {90: (1, 1, 0, 0.5), 180: (1, 1, 0, 0.5)}
    # Nobody answered: waiting (a grid task, then asked again at 6 months), no rate.
    assert groups["黄山测试商贸有限公司"] == {90: (0, 0, 1, None), 180: (0, 0, 1, None)}
    assert stages(by_employer.get_json()["totals"]) == {90: (1, 1, 1, 0.5), 180: (1, 1, 1, 0.5)}

    by_kind = client.get(RETENTION, query_string={"by": "job_kind"}, headers=admin).get_json()
    assert {g["key"]: stages(g["stages"])[90][:2] for g in by_kind["groups"]} == {
        "regular": (1, 1),
        "part_time": (0, 0),
    }
    by_circle = client.get(RETENTION, query_string={"by": "circle"}, headers=admin).get_json()
    assert [(g["key"], stages(g["stages"])[180][3]) for g in by_circle["groups"]] == [
        ("341002-chengzhong", 0.5)
    ]

    # Another township's admin sees none of it; a period before the placements began, nothing.
    _, elsewhere = staff_headers("township_admin", "township", "341002001000")
    assert client.get(RETENTION, headers=elsewhere).get_json() == {
        "by": "employer",
        "groups": [],
        "totals": [],
    }
    earlier = client.get(RETENTION, query_string={"started_to": "2020-01-01"}, headers=admin).get_json()
    assert earlier["groups"] == []


def test_bad_retention_queries(client, staff_headers, person):
    _, admin = staff_headers("township_admin", "township", "341002002000")
    wrong = client.get(RETENTION, query_string={"by": "colour"}, headers=admin)
    assert wrong.status_code == 422 and error_of(wrong)["field"] == "by"
    backwards = client.get(
        RETENTION, query_string={"started_from": "2026-02-01", "started_to": "2026-01-01"}, headers=admin
    )
    assert backwards.status_code == 422 and error_of(backwards)["code"] == "invalid_period"
    _, resident_headers, _ = person()
    assert client.get(RETENTION, headers=resident_headers).status_code == 403


def test_the_console_shows_retention_in_the_viewer_s_place(client, person, hire, console_staff):
    stays, stays_headers, _ = person(name="留任者")
    hire(stays_headers)
    run_after(90)
    assert answer(client, stays_headers, follow_ups(stays)[0].id, answer="still_employed").status_code == 200

    console_staff("township_admin", "township", "341002002000")
    page = client.get("/console/retention")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "黄山测试茶业有限公司" in html and "100.0%" in html and 'href="/console/retention"' in html
    by_kind = client.get("/console/retention?by=job_kind").get_data(as_text=True)
    assert "全职" in by_kind
    refused = client.get("/console/retention?started_from=2026-02-01&started_to=2026-01-01")
    assert refused.status_code == 422 and "起始日期晚于结束日期" in refused.get_data(as_text=True)


def test_the_console_retention_page_shows_nothing_outside_the_place(client, person, hire, console_staff):
    _, headers, _ = person()
    hire(headers)
    run_after(90)
    console_staff("township_admin", "township", "341002001000")
    html = client.get("/console/retention").get_data(as_text=True)
    assert "暂无回访数据" in html and "黄山测试茶业有限公司" not in html
