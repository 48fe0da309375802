"""Employer credibility (信用): each input at its boundary, the incremental recompute, the search
tie-break, the review queue's order, and what residents and staff see."""

from datetime import timedelta

import pytest

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    Application,
    EmployerCredibility,
    Job,
    PlacementFollowUp,
    utcnow,
)
from app.services import lists
from app.services.jobs import credibility
from app.tasks.credibility import recompute_stale
from tests.support import CENTER, search

BASE = {
    "verified": True,
    "licence_valid_until": None,
    "licence_valid": True,
    "applications_90d": 0,
    "answered_90d": 0,
    "median_answer_days": None,
    "hires_365d": 0,
    "follow_ups_answered": 0,
    "still_employed": 0,
    "upheld_reports_365d": 0,
}


def score(app, **changes) -> tuple[int, str, list[str]]:
    """Return the score, level and reasons of the base inputs changed by `changes`."""
    with app.app_context():
        return credibility.score_of({**BASE, **changes})


# ---- the inputs, at their boundaries -------------------------------------------------------------


def test_verification_and_the_licence_term_earn_their_points(app):
    verified, _, reasons = score(app)
    unverified, _, unverified_reasons = score(app, verified=False)
    expired, _, expired_reasons = score(app, licence_valid_until="2020-01-01", licence_valid=False)
    assert verified - unverified == 40  # 30 for verification, 10 for the licence it implies
    assert verified - expired == 10
    assert reasons[0] == "营业执照已核验" and unverified_reasons[0] == "营业执照未核验"
    assert "营业执照已过期" in expired_reasons


def test_the_answer_rate_counts_from_the_third_application(app):
    too_few, _, few_reasons = score(app, applications_90d=2, answered_90d=0)
    none_answered, _, _ = score(app, applications_90d=3, answered_90d=0)
    all_answered, _, reasons = score(app, applications_90d=3, answered_90d=3, median_answer_days=3.0)
    slow, _, _ = score(app, applications_90d=3, answered_90d=3, median_answer_days=7.1)
    assert not any("回复率" in r for r in few_reasons)  # too few to judge: half the points, no claim
    assert none_answered == too_few - 15
    assert all_answered == too_few + 15  # 24 for answering all, 6 for the median within 3 days
    assert all_answered - slow == 6
    assert "近90天回复率 100%" in reasons and "通常3天内回复" in reasons


def test_hires_retention_and_upheld_reports_move_the_score(app):
    base, _, _ = score(app)
    assert score(app, hires_365d=1)[0] == base + 8
    assert score(app, hires_365d=3)[0] == base + 15
    kept, _, reasons = score(app, follow_ups_answered=2, still_employed=2)
    lost, _, _ = score(app, follow_ups_answered=2, still_employed=0)
    assert (base, kept, lost) == (63, 70, 55)  # no answer yet: 7.5 of the 15
    assert "回访在岗率 100%" in reasons
    reported, level, reasons = score(app, upheld_reports_365d=1)
    assert reported == base - 15 and "近一年被举报查实 1 次" in reasons
    assert score(app, verified=False, upheld_reports_365d=9)[0] == 0  # never below 0


def test_levels_split_at_80_and_60(app):
    assert score(app, hires_365d=3, follow_ups_answered=1, still_employed=1)[1] == "good"
    assert score(app)[1] == "fair"  # 63
    assert score(app, verified=False, hires_365d=3, follow_ups_answered=1, still_employed=1)[1] == "low"


# ---- incremental: events mark stale, the task recomputes --------------------------------------------


@pytest.fixture
def shop(make_employer):
    """A verified employer at CENTER with a published job: (employer, headers, job id)."""
    return make_employer(lat=CENTER[0], lng=CENTER[1])


def test_verification_with_a_licence_term_marks_stale_and_the_task_recomputes(
    client, make_employer, staff_headers
):
    employer, _ = make_employer(verified=False)
    employer.licence_file = "x"
    db.session.commit()
    _, headers = staff_headers("station_staff", "circle", "341002-chengzhong")
    expired = (local_day() - timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/employers/{employer.id}/verify",
        json={"decision": "verified", "licence_valid_until": expired},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    row = db.session.get(EmployerCredibility, employer.id)
    assert row.stale_since is not None and row.computed_at is None
    assert recompute_stale() == 1
    db.session.refresh(row)
    assert row.stale_since is None and row.inputs["licence_valid"] is False
    assert "营业执照已过期" in row.reasons
    # The same decision with a valid term: stale again, and the licence points come back.
    client.post(
        f"/api/v1/employers/{employer.id}/verify",
        json={"decision": "verified", "licence_valid_until": None},
        headers=headers,
    )
    assert recompute_stale() == 1
    db.session.refresh(row)
    assert (
        row.inputs["licence_valid"] is True
        and db.session.get(type(employer), employer.id).credibility_score == row.score
    )
    assert recompute_stale() == 0  # nothing stale left


def test_answering_applications_is_counted_with_its_time(client, shop, make_job, make_seeker):
    employer, headers = shop
    job_id = make_job(headers)
    for _ in range(3):
        seeker = make_seeker()
        applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker.headers)
        assert applied.status_code == 201, applied.get_json()
    ids = [a.id for a in db.session.query(Application).filter_by(job_id=job_id).order_by(Application.id)]
    for application_id in ids[:2]:
        moved = client.patch(
            f"/api/v1/applications/{application_id}", json={"status": "interview"}, headers=headers
        )
        assert moved.status_code == 200, moved.get_json()
    assert db.session.get(EmployerCredibility, employer.id).stale_since is not None
    recompute_stale()
    row = db.session.get(EmployerCredibility, employer.id)
    assert (row.inputs["applications_90d"], row.inputs["answered_90d"]) == (3, 2)
    assert row.inputs["median_answer_days"] == 0.0
    assert "近90天回复率 67%" in row.reasons


def test_a_rejection_with_open_reports_upholds_them(client, shop, make_job, make_seeker, operator):
    employer, headers = shop
    job_id = make_job(headers)
    reporter = make_seeker()
    reported = client.post(
        f"/api/v1/jobs/{job_id}/reports", json={"reason": "虚假招聘"}, headers=reporter.headers
    )
    assert reported.status_code == 201, reported.get_json()
    job = db.session.get(Job, job_id)
    job.status = "pending_review"
    db.session.commit()
    _, staff = operator
    rejected = client.post(
        f"/api/v1/jobs/{job_id}/review", json={"decision": "rejected", "reason": "查实虚假"}, headers=staff
    )
    assert rejected.status_code == 200, rejected.get_json()
    recompute_stale()
    row = db.session.get(EmployerCredibility, employer.id)
    assert row.inputs["upheld_reports_365d"] == 1
    assert "近一年被举报查实 1 次" in row.reasons


def test_a_placement_answer_marks_the_employer_stale(app, client, shop, make_resident, operator):
    employer, _ = shop
    resident = make_resident()
    follow_up = PlacementFollowUp(
        resident_id=resident.id,
        source_type="hire",
        source_id=1,
        employer_id=employer.id,
        started_on=local_day() - timedelta(days=90),
        stage_days=90,
        due_on=local_day(),
        status="asked",
        asked_at=utcnow(),
        community_id=resident.community_id,
        township_id=resident.township_id,
        circle_id=resident.circle_id,
        district_id=resident.district_id,
        city_id=resident.city_id,
    )
    db.session.add(follow_up)
    db.session.commit()
    _, headers = operator
    answered = client.post(
        f"/api/v1/placements/{follow_up.id}/answer",
        json={"answer": "still_employed", "channel": "phone"},
        headers=headers,
    )
    assert answered.status_code == 200, answered.get_json()
    assert db.session.get(EmployerCredibility, employer.id).stale_since is not None
    recompute_stale()
    row = db.session.get(EmployerCredibility, employer.id)
    assert (row.inputs["follow_ups_answered"], row.inputs["still_employed"]) == (1, 1)


# ---- what people see ----------------------------------------------------------------------------


def test_residents_see_the_level_and_reasons_staff_the_inputs(
    client, shop, make_job, make_seeker, staff_headers
):
    employer, headers = shop
    job_id = make_job(headers)
    seeker = make_seeker()
    detail = client.get(f"/api/v1/jobs/{job_id}", headers=seeker.headers).get_json()
    # Never computed: the first read computes it.
    assert detail["credibility"]["level"] in {"good", "fair", "low"}
    assert "营业执照已核验" in detail["credibility"]["reasons"]
    assert "inputs" not in detail["credibility"] and "score" not in detail["credibility"]
    _, staff = staff_headers("station_staff", "circle", "341002-chengzhong")
    shown = client.get(f"/api/v1/employers/{employer.id}", headers=staff).get_json()["credibility"]
    assert shown["inputs"]["verified"] is True and 0 <= shown["score"] <= 100


# ---- ranking: the search tie-break and the review queue -----------------------------------------


@pytest.mark.parametrize("board", [True, False])
def test_at_equal_distance_the_more_credible_employer_comes_first(
    app, client, make_employer, make_job, board
):
    app.config["JOB_BOARD"] = board
    low, low_headers = make_employer(name="低信用单位")
    high, high_headers = make_employer(name="高信用单位")
    point = {"lat": CENTER[0] + 0.001, "lng": CENTER[1]}
    first = make_job(low_headers, **point)
    second = make_job(high_headers, **point)
    ids = [item["job"]["id"] for item in search(client).get_json()["items"]]
    assert ids == [first, second]  # no score yet: the lower id first, as before
    low.credibility_score, high.credibility_score = 40, 90
    db.session.commit()
    credibility._note_live_jobs([low.id, high.id])
    ids = [item["job"]["id"] for item in search(client).get_json()["items"]]
    assert ids == [second, first]


def test_the_review_queue_puts_low_credibility_first(client, make_employer, make_job, make_staff):
    trusted, trusted_headers = make_employer(name="可信单位")
    doubtful, doubtful_headers = make_employer(name="存疑单位")
    older = make_job(trusted_headers, publish=False)
    newer = make_job(doubtful_headers, publish=False)
    for job_id in (older, newer):
        job = db.session.get(Job, job_id)
        job.status, job.submitted_at = "pending_review", utcnow()
    trusted.credibility_score, doubtful.credibility_score = 95, 30
    db.session.commit()
    reviewer = make_staff("operator", "circle", "341002-chengzhong")
    rows = lists.page("jobs", reviewer).items
    assert [row["id"] for row in rows] == [newer, older]
    assert rows[0]["credibility"] == 30
