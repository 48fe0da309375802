"""Jobs: posts published, open and expired, applications, interviews, hires, reports; per circle and size."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Application, Job, utcnow
from app.services.stats.base import label
from tests.stats.conftest import CHENGZHONG, CITY, TUNXI, get_section, last_month, path, rows_by

CHENGDONG_POINT = {"lat": 29.7230, "lng": 118.3390}


@pytest.fixture
def market(client, make_employer, make_job, make_seeker):
    """A micro and a small firm in 城中, a medium one in 城东; posts, applications, a hire, a report."""
    micro, micro_headers = make_employer(name="黄山微型茶庄", size="micro")
    small, small_headers = make_employer(name="黄山小型茶厂", size="small")
    medium, medium_headers = make_employer(
        name="黄山中型酒店", size="medium", industry="tourism_hotel", **CHENGDONG_POINT
    )
    tea = make_job(micro_headers, headcount=3)
    make_job(micro_headers, title="茶叶包装工")
    packing = make_job(small_headers)
    hotel = make_job(medium_headers, title="客房服务员", category="tourism_hotel")
    expired = make_job(small_headers, title="临时工")
    job = db.session.get(Job, expired)
    job.status, job.valid_until, job.published_at = (
        "expired",
        utcnow() - timedelta(minutes=5),
        utcnow() - timedelta(days=70),
    )
    db.session.commit()
    first, second = make_seeker(name="求职甲"), make_seeker(name="求职乙")
    for seeker, job_id in ((first, tea), (second, packing), (second, tea)):
        response = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker.headers)
        assert response.status_code == 201, response.get_json()
    for job_id, resident_id, status in (
        (tea, first.resident_id, "interview"),
        (packing, second.resident_id, "hired"),
    ):
        application = db.session.query(Application).filter_by(job_id=job_id, resident_id=resident_id).one()
        application.status, application.status_changed_at = status, utcnow()
    db.session.commit()
    reported = client.post(
        f"/api/v1/jobs/{hotel}/reports", json={"reason": "虚假招聘"}, headers=first.headers
    )
    assert reported.status_code == 201, reported.get_json()
    return {"tea": tea, "hotel": hotel}


def test_the_city_counts_posts_applications_hires_and_reports(client, staff, market):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "jobs")

    figures = body["figures"]
    assert (figures["published"], figures["open"], figures["open_positions"]) == (4, 4, 6)
    assert (figures["expired"], figures["applications"], figures["interviews"], figures["hires"]) == (
        1,
        3,
        1,
        1,
    )
    assert (figures["reports_open"], figures["reported_jobs"], figures["reports_received"]) == (1, 1, 1)
    assert figures["priority_share"] == 0.75  # 3 of the 4 open posts are micro or small firms'
    sizes = rows_by(body["tables"]["by_size"], "key")
    assert (sizes["micro"]["published"], sizes["micro"]["applications"], sizes["micro"]["interviews"]) == (
        2,
        2,
        1,
    )
    assert (sizes["small"]["hires"], sizes["small"]["expired"], sizes["medium"]["open"]) == (1, 1, 1)
    assert sizes["micro"]["priority"] is True and sizes["large"]["published"] == 0
    circles = rows_by(body["tables"]["by_circle"])
    assert (circles["城中就业圈"]["published"], circles["城东就业圈"]["published"]) == (3, 1)
    assert circles["城中就业圈"]["path"] == path(CHENGZHONG)
    series = {s["key"]: s["data"] for s in body["series"]["by_size"]["series"]}
    assert series["published"][:2] == [2, 1]
    assert body["series"]["pipeline"]["series"][0]["data"] == [3, 1, 1]


def test_a_circle_sees_only_its_jobs(client, staff, market):
    _, headers = staff("operator", CHENGZHONG)

    body = get_section(client, headers, "jobs")

    assert (
        body["figures"]["published"],
        body["figures"]["reports_open"],
        body["figures"]["applications"],
    ) == (3, 0, 3)
    townships = rows_by(body["tables"]["children"])
    assert townships["昱中街道"]["published"] == 3


def test_a_past_month_counts_posts_live_at_its_end(client, staff, market):
    _, headers = staff("district_admin", TUNXI)

    body = get_section(client, headers, "jobs", month=label(last_month()))

    # The expired post was live then (published 70 days ago, valid until minutes ago); nothing else existed.
    assert (body["figures"]["open"], body["figures"]["published"], body["figures"]["hires"]) == (1, 0, 0)
