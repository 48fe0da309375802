"""The weekly compliance digest: a notice to the admins of each district and the city, once a week each."""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import ComplianceDigest, Notice, NoticeStatus
from app.services.programme.compliance import check_compliance
from app.services.programme.compliance_digest import send_digests
from tests.support import count

MONDAY, THURSDAY, NEXT_MONDAY = date(2026, 12, 7), date(2026, 12, 10), date(2026, 12, 14)


def test_each_admin_gets_the_week_digest_of_its_place_once(client, staff_headers, make_staff, places):
    check_compliance(MONDAY)
    first, tunxi = staff_headers("district_admin", "district", "341002000000")
    second = make_staff("district_admin", "district", "341002000000")
    city, city_headers = staff_headers("city_admin", "city", "341000000000")
    make_staff("township_admin", "township", "341002002000")  # no digest: not a responsible admin

    sent = send_digests(MONDAY)

    assert sent == {"week": MONDAY, "sent": 3}
    digests = {d.account_id: d for d in db.session.scalars(sa.select(ComplianceDigest))}
    assert set(digests) == {first.id, second.id, city.id}
    # One notice per place: the two 屯溪区 admins share theirs; it is published, to district admins.
    assert digests[first.id].notice_id == digests[second.id].notice_id != digests[city.id].notice_id
    notice = db.session.get(Notice, digests[first.id].notice_id)
    assert notice.status == NoticeStatus.published and notice.audience_value == "district_admin"
    tunxi_gaps = digests[first.id].gaps
    assert tunxi_gaps == digests[first.id].summary["gaps"] > 0
    assert f"共有 {tunxi_gaps} 项未达标" in notice.body and "就业圈无服务站：6 项" in notice.body
    city_body = db.session.get(Notice, digests[city.id].notice_id).body
    assert "屯溪区" in city_body and "黄山区" in city_body  # the city's is per district too

    mine = client.get("/api/v1/notices/mine", headers=tunxi).get_json()["items"]
    assert [n["title"] for n in mine] == [notice.title]
    listed = client.get("/api/v1/compliance/digests", headers=city_headers)
    assert listed.status_code == 200
    assert [(d["week"], d["gaps"]) for d in listed.get_json()["items"]] == [
        ("2026-12-07", digests[city.id].gaps)
    ]


def test_a_second_run_in_the_week_sends_nothing_the_next_week_sends_again(staff_headers, places):
    check_compliance(MONDAY)
    staff_headers("district_admin", "district", "341002000000")

    send_digests(MONDAY)
    again = send_digests(THURSDAY)

    assert again == {"week": MONDAY, "sent": 0}
    assert count(ComplianceDigest) == 1 and count(Notice) == 1
    assert send_digests(NEXT_MONDAY)["sent"] == 1 and count(Notice) == 2


def test_a_retried_task_sends_once(app, staff_headers, places):
    from app.tasks.programme import send_compliance_digests

    staff_headers("city_admin", "city", "341000000000")

    send_compliance_digests()
    send_compliance_digests()

    assert count(ComplianceDigest) == 1 and count(Notice) == 1


def test_a_place_without_gaps_is_told_so(staff_headers, places):
    staff_headers("district_admin", "district", "341004000000")  # 徽州区: no circles, no communities

    send_digests(MONDAY)

    assert "没有未达标项" in db.session.scalars(sa.select(Notice)).one().body
