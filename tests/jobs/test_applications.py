"""Applications (apply once, list, move on, hire into the ledger) and matching (score, fits, lists)."""

from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.extensions import db
from app.models import Application, AuditEvent, Job, Resident, Resume, StatusChange, utcnow
from app.services.jobs.matching import PRIORITY_BONUS, Seeker, fits, score
from app.services.people.status import set_key_groups
from tests.support import error_of

ME = "/api/v1/me"
RESUME = "/api/v1/me/resume"
APPLICATIONS = "/api/v1/applications"
RECOMMENDED = "/api/v1/me/recommended-jobs"
# The employer's (and so, by default, its jobs') location in make_employer.
JOB_AT = (29.7160, 118.3180)
HOME = (29.7170, 118.3190)


def apply(client, job_id: int, headers, **body):
    """Apply to a job."""
    return client.post(f"/api/v1/jobs/{job_id}/applications", json=body, headers=headers)


def move(client, application_id: int, status: str, headers):
    """Change an application's status."""
    return client.patch(f"{APPLICATIONS}/{application_id}", json={"status": status}, headers=headers)


def stored_status(application_id: int) -> str:
    """Return an application's status as stored."""
    return db.session.scalar(sa.select(Application.status).where(Application.id == application_id))


def resident_id_of(client, headers) -> int:
    """Return the id of a logged-in resident."""
    return client.get(ME, headers=headers).get_json()["id"]


@pytest.fixture
def boss(make_employer):
    """A verified employer: (Employer, headers)."""
    return make_employer()


@pytest.fixture
def seeker(wechat_login):
    """A freshly logged-in resident's headers."""
    return wechat_login()[1]


@pytest.fixture
def application(client, boss, seeker, make_job):
    """A submitted application: (application id, employer headers, resident headers, job id)."""
    job_id = make_job(boss[1])
    response = apply(client, job_id, seeker)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], boss[1], seeker, job_id


# ---------------------------------------------------------------- applying


def test_first_application_is_201_and_a_repeat_returns_it_with_200(client, boss, seeker, make_job):
    job_id = make_job(boss[1])

    first = apply(client, job_id, seeker, message="我住附近,随时可以来")
    again = apply(client, job_id, seeker, message="再投一次")

    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "submitted"
    assert body["message"] == "我住附近,随时可以来"
    assert body["job"]["id"] == job_id
    assert body["applicant"]["resident_id"] == resident_id_of(client, seeker)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == body["id"]
    assert again.get_json()["message"] == "我住附近,随时可以来"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 1
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "application.create")).all()
    assert [(e.object_id, e.detail) for e in events] == [(str(body["id"]), {"job_id": job_id})]


def _draft(client, headers, make_job):
    return make_job(headers, publish=False)


def _closed(client, headers, make_job):
    job_id = make_job(headers)
    assert client.post(f"/api/v1/jobs/{job_id}/close", headers=headers).status_code == 200
    return job_id


def _expired(client, headers, make_job):
    job_id = make_job(headers)
    db.session.get(Job, job_id).valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return job_id


def _unknown(client, headers, make_job):
    return make_job(headers) + 1000


@pytest.mark.parametrize("state", [_draft, _closed, _expired, _unknown], ids=lambda f: f.__name__[1:])
def test_applying_to_a_job_that_is_not_live_is_404(client, boss, seeker, make_job, state):
    job_id = state(client, boss[1], make_job)

    response = apply(client, job_id, seeker)

    assert response.status_code == 404
    assert error_of(response)["code"] == "job_not_found"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


def test_only_residents_apply(client, boss, make_job, staff_headers):
    job_id = make_job(boss[1])
    _, staff = staff_headers("station_staff", "circle", "341002-chengzhong")

    assert apply(client, job_id, boss[1]).status_code == 403
    assert apply(client, job_id, staff).status_code == 403
    assert apply(client, job_id, {}).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


# ---------------------------------------------------------------- listing


def test_residents_and_employers_each_list_only_their_own(client, make_employer, make_job, wechat_login):
    _, tea = make_employer(name="黄山茶业有限公司")
    _, hotel = make_employer(name="黄山酒店有限公司")
    tea_job = make_job(tea)
    other_tea_job = make_job(tea, title="茶叶包装工")
    hotel_job = make_job(hotel, title="客房服务员", category="tourism_hotel")
    _, li, _ = wechat_login()
    _, wang, _ = wechat_login()
    a = apply(client, tea_job, li).get_json()["id"]
    b = apply(client, hotel_job, li).get_json()["id"]
    c = apply(client, tea_job, wang).get_json()["id"]
    d = apply(client, other_tea_job, wang).get_json()["id"]

    def listed(headers, **query):
        response = client.get(APPLICATIONS, headers=headers, query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == len(body["items"])
        return [item["id"] for item in body["items"]]

    assert listed(li) == [b, a]
    assert listed(wang) == [d, c]
    assert listed(tea) == [d, c, a]
    assert listed(tea, job_id=tea_job) == [c, a]
    assert listed(tea, job_id=hotel_job) == []
    assert listed(hotel) == [b]
    assert listed(hotel, job_id=tea_job) == []
    assert listed(li, job_id=hotel_job) == [b]


def test_application_list_filters_by_status(client, application):
    application_id, boss, seeker, _ = application
    assert move(client, application_id, "interview", boss).status_code == 200

    def ids(headers, status):
        return [
            i["id"]
            for i in client.get(APPLICATIONS, headers=headers, query_string={"status": status}).json["items"]
        ]

    assert ids(boss, "interview") == [application_id]
    assert ids(boss, "submitted") == []
    assert ids(seeker, "interview") == [application_id]


def test_staff_cannot_list_applications(client, staff_headers):
    _, staff = staff_headers("station_staff", "circle", "341002-chengzhong")

    assert client.get(APPLICATIONS, headers=staff).status_code == 403


def test_one_application_is_shown_to_its_applicant_and_employer_only(
    client, application, make_employer, wechat_login
):
    application_id, boss, seeker, _ = application
    _, other_boss = make_employer(name="别家公司")
    _, other_seeker, _ = wechat_login()
    url = f"{APPLICATIONS}/{application_id}"

    assert client.get(url, headers=boss).status_code == 200
    assert client.get(url, headers=seeker).status_code == 200
    assert client.get(url, headers=other_boss).status_code == 404
    assert client.get(url, headers=other_seeker).status_code == 404


# ---------------------------------------------------------------- moving on


def test_employer_moves_an_application_through_to_hired(client, application):
    application_id, boss, _, _ = application

    for status in ("viewed", "interview", "hired"):
        response = move(client, application_id, status, boss)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
        assert stored_status(application_id) == status

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "application.status").order_by(AuditEvent.id)
    ).all()
    assert [(e.detail["from"], e.detail["to"]) for e in events] == [
        ("submitted", "viewed"),
        ("viewed", "interview"),
        ("interview", "hired"),
    ]
    assert {e.object_id for e in events} == {str(application_id)}


def test_employer_rejects_after_interview(client, application):
    application_id, boss, _, _ = application
    assert move(client, application_id, "interview", boss).status_code == 200

    response = move(client, application_id, "rejected", boss)

    assert response.status_code == 200, response.get_json()
    assert stored_status(application_id) == "rejected"


@pytest.mark.parametrize(
    ("path", "who", "status"),
    [
        (["viewed", "interview", "hired"], "boss", "viewed"),
        ([], "boss", "hired"),
        ([], "boss", "withdrawn"),
        (["interview"], "boss", "submitted"),
        (["rejected"], "boss", "interview"),
        ([], "seeker", "interview"),
        ([], "seeker", "viewed"),
        (["viewed", "interview", "hired"], "seeker", "withdrawn"),
        (["rejected"], "seeker", "withdrawn"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else v,
)
def test_illegal_transition_is_409_and_changes_nothing(client, application, path, who, status):
    application_id, boss, seeker, _ = application
    for step in path:
        assert move(client, application_id, step, boss).status_code == 200
    before = stored_status(application_id)

    response = move(client, application_id, status, {"boss": boss, "seeker": seeker}[who])

    assert response.status_code == 409, response.get_json()
    assert error_of(response)["code"] == "illegal_transition"
    assert error_of(response)["field"] == "status"
    assert stored_status(application_id) == before


@pytest.mark.parametrize(
    "path", [[], ["viewed"], ["viewed", "interview"]], ids=["submitted", "viewed", "interview"]
)
def test_applicant_may_withdraw_until_decided(client, application, path):
    application_id, boss, seeker, _ = application
    for step in path:
        assert move(client, application_id, step, boss).status_code == 200

    response = move(client, application_id, "withdrawn", seeker)

    assert response.status_code == 200, response.get_json()
    assert stored_status(application_id) == "withdrawn"
    refused = move(client, application_id, "interview", boss)
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "illegal_transition"


def test_another_employer_or_resident_cannot_move_an_application(
    client, application, make_employer, wechat_login
):
    application_id, _, _, _ = application
    _, other_boss = make_employer(name="别家公司")
    _, other_seeker, _ = wechat_login()

    for headers, status in ((other_boss, "viewed"), (other_seeker, "withdrawn")):
        response = move(client, application_id, status, headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "application_not_found"
    assert stored_status(application_id) == "submitted"


def test_unknown_status_is_422(client, application):
    application_id, boss, _, _ = application

    response = move(client, application_id, "lost", boss)

    assert response.status_code == 422
    assert error_of(response)["field"] == "status"


def _hire_changes(resident_id: int) -> list[StatusChange]:
    return list(
        db.session.scalars(
            sa.select(StatusChange).where(StatusChange.resident_id == resident_id).order_by(StatusChange.id)
        )
    )


def test_hired_writes_one_status_change_and_the_resident_is_employed(client, application, boss):
    application_id, boss_headers, seeker, job_id = application
    resident_id = resident_id_of(client, seeker)
    move(client, application_id, "interview", boss_headers)

    assert move(client, application_id, "hired", boss_headers).status_code == 200
    assert move(client, application_id, "hired", boss_headers).status_code == 200

    [change] = _hire_changes(resident_id)
    assert (change.to_status, change.source) == ("employed", "hire")
    assert change.actor_id == boss[0].account_id
    assert str(application_id) in change.note and str(job_id) in change.note
    assert db.session.get(Resident, resident_id).employment_status == "employed"
    assert client.get(ME, headers=seeker).get_json()["employment_status"] == "employed"


def test_hiring_a_resident_already_employed_writes_no_status_change(client, application):
    application_id, boss, seeker, _ = application
    resident_id = resident_id_of(client, seeker)
    assert client.patch(ME, json={"employment_status": "employed"}, headers=seeker).status_code == 200
    [own] = _hire_changes(resident_id)
    assert own.source == "self"

    assert move(client, application_id, "interview", boss).status_code == 200
    assert move(client, application_id, "hired", boss).status_code == 200

    assert [c.id for c in _hire_changes(resident_id)] == [own.id]
    assert db.session.get(Resident, resident_id).employment_status == "employed"


# ---------------------------------------------------------------- matching: score and fits


def a_job(**fields) -> Job:
    """A job in memory (no database)."""
    values = {
        "kind": "regular",
        "category": "tea_processing",
        "monthly_wage_max": 4500,
        "education": None,
        "skills": None,
        **fields,
    }
    return Job(**values)


def a_seeker(priority=False, education=None, skills=None, **resident) -> Seeker:
    """A seeker in memory: a resident with these preferences and a résumé."""
    return Seeker(Resident(**resident), Resume(education=education, skills=skills), priority)


def test_nearer_scores_higher_all_else_equal():
    job, seeker = a_job(), a_seeker()

    assert score(job, seeker, 100, 3000) > score(job, seeker, 1500, 3000) > score(job, seeker, 2900, 3000)


def test_wanted_category_beats_unwanted_and_no_preference_lies_between():
    wants_tea = a_seeker(seek_categories=["tea_processing"])
    no_wish = a_seeker()

    tea = score(a_job(category="tea_processing"), wants_tea, 500, 3000)
    catering = score(a_job(category="catering"), wants_tea, 500, 3000)
    neutral = score(a_job(category="catering"), no_wish, 500, 3000)

    assert tea > neutral > catering


def test_wanted_kind_wage_and_skills_each_raise_the_score():
    seeker = a_seeker(seek_kinds=["gig"], seek_wage_min=4000, skills=["拣茶", "Excel"])

    assert score(a_job(kind="gig"), seeker, 500, 3000) > score(a_job(kind="regular"), seeker, 500, 3000)
    assert score(a_job(monthly_wage_max=4000), seeker, 500, 3000) > score(
        a_job(monthly_wage_max=2000), seeker, 500, 3000
    )
    both = score(a_job(skills=["拣茶", "excel"]), seeker, 500, 3000)
    half = score(a_job(skills=["拣茶", "包装"]), seeker, 500, 3000)
    assert both > half > score(a_job(skills=["包装"]), seeker, 500, 3000)


def test_fits_rejects_a_job_beyond_the_seekers_radius():
    near_only = a_seeker(seek_radius_m=1000)

    assert fits(a_job(), near_only, 1000)
    assert not fits(a_job(), near_only, 1001)
    # Without a radius of their own, a seeker goes 3 km.
    assert fits(a_job(), a_seeker(), 3000)
    assert not fits(a_job(), a_seeker(), 3001)


def test_fits_rejects_an_unwanted_kind_or_category():
    seeker = a_seeker(seek_kinds=["part_time", "gig"], seek_categories=["catering"])

    assert fits(a_job(kind="gig", category="catering"), seeker, 100)
    assert not fits(a_job(kind="regular", category="catering"), seeker, 100)
    assert not fits(a_job(kind="gig", category="tea_processing"), seeker, 100)


def test_fits_rejects_a_wage_below_the_seekers_minimum():
    seeker = a_seeker(seek_wage_min=4000)

    assert not fits(a_job(monthly_wage_max=3999), seeker, 100)
    assert fits(a_job(monthly_wage_max=4000), seeker, 100)
    # A job without a wage is not ruled out.
    assert fits(a_job(monthly_wage_max=None), seeker, 100)


def test_fits_rejects_education_below_the_requirement():
    job = a_job(education="senior_high")

    assert not fits(job, a_seeker(education="junior_high"), 100)
    assert fits(job, a_seeker(education="senior_high"), 100)
    assert fits(job, a_seeker(education="bachelor"), 100)
    # An unknown level is not ruled out.
    assert fits(job, a_seeker(education=None), 100)
    assert fits(job, Seeker(Resident(), None), 100)


def test_public_welfare_job_puts_a_priority_seeker_first():
    welfare = a_job(kind="public_welfare", skills=["保洁"])
    priority = a_seeker(priority=True)
    best_fit = a_seeker(seek_kinds=["public_welfare"], seek_categories=["tea_processing"], skills=["保洁"])

    far_priority = score(welfare, priority, 2900, 3000)
    near_best = score(welfare, best_fit, 0, 3000)

    assert far_priority > near_best
    assert far_priority - score(welfare, a_seeker(), 2900, 3000) == PRIORITY_BONUS
    # On any other kind of job, priority adds nothing.
    regular = a_job(kind="regular")
    assert score(regular, priority, 500, 3000) == score(regular, a_seeker(), 500, 3000)


# ---------------------------------------------------------------- recommended jobs


def test_recommended_jobs_are_those_that_fit_best_first(client, boss, make_job, make_seeker):
    headers = boss[1]
    near = make_job(headers, title="近处拣茶工", lat=29.7172, lng=118.3192)
    farther = make_job(headers, title="远处拣茶工", lat=29.7300, lng=118.3190)
    make_job(headers, title="圈外拣茶工", lat=29.7500, lng=118.3190)  # 3.7 km: outside 3 km
    make_job(headers, title="服务员", category="catering", lat=29.7171, lng=118.3191)
    make_job(headers, title="低薪拣茶工", wage_min=2000, wage_max=2500, lat=29.7171, lng=118.3191)
    make_job(headers, title="草稿拣茶工", publish=False, lat=29.7171, lng=118.3191)
    seeker = make_seeker(
        "李强", *HOME, wanted_categories=["tea_processing"], expected_monthly_wage=3000
    ).headers

    response = client.get(RECOMMENDED, headers=seeker)

    assert response.status_code == 200, response.get_json()
    items = response.get_json()
    assert [item["job"]["id"] for item in items] == [near, farther]
    assert items[0]["score"] > items[1]["score"]
    assert items[0]["distance_m"] < 50 < 1000 < items[1]["distance_m"] < 3000


def test_recommended_jobs_follow_the_seekers_own_radius(client, boss, make_job, make_seeker):
    near = make_job(boss[1], lat=29.7172, lng=118.3192)
    make_job(boss[1], lat=29.7300, lng=118.3190)  # 1.4 km
    seeker = make_seeker("李强", *HOME, radius_m=1000).headers

    assert [item["job"]["id"] for item in client.get(RECOMMENDED, headers=seeker).get_json()] == [near]


def test_recommended_jobs_without_a_home_need_a_point(client, boss, make_job, seeker):
    job_id = make_job(boss[1])

    response = client.get(RECOMMENDED, headers=seeker)

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("location_required", "lat")
    from_point = client.get(RECOMMENDED, headers=seeker, query_string={"lat": HOME[0], "lng": HOME[1]})
    assert from_point.status_code == 200, from_point.get_json()
    assert [item["job"]["id"] for item in from_point.get_json()] == [job_id]


# ---------------------------------------------------------------- candidates


def candidates(client, job_id: int, headers, **query):
    """Return the candidate list of a job (asserting 200)."""
    response = client.get(f"/api/v1/jobs/{job_id}/candidates", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@pytest.fixture
def crowd(client, make_seeker):
    """Seekers around the job location: (near id, farther id); the rest must not be candidates."""
    near = make_seeker("张秀英", 29.7165, 118.3185, education="senior_high", skills=["包装"])  # ~70 m
    farther = make_seeker("李强", 29.7250, 118.3180, availability="immediately")  # ~1 km
    # Both live in 昱中一社区 (the 城中 circle): staff there may see who they are.
    for placed in (near, farther):
        response = client.patch(ME, json={"community_code": "341002002001"}, headers=placed.headers)
        assert response.status_code == 200, response.get_json()
    make_seeker("王五", 29.7162, 118.3182, open_to_work=False)
    make_seeker("赵六", 29.7163, 118.3183, wanted_categories=["catering"])
    make_seeker("钱七", 29.7300, 118.3180, radius_m=1000)  # 1.6 km, wants within 1 km
    make_seeker("孙八", 29.7500, 118.3180)  # 3.8 km: beyond the 3 km searched
    return near.resident_id, farther.resident_id


def test_employer_sees_fitting_seekers_best_first_masked(client, boss, make_job, crowd):
    job_id = make_job(boss[1])

    items = candidates(client, job_id, boss[1])

    assert [item["name"] for item in items] == ["张**", "李*"]
    assert [item["resident_id"] for item in items] == [None, None]
    assert [item["priority"] for item in items] == [None, None]
    assert items[0]["score"] > items[1]["score"]
    assert items[0]["distance_m"] < 100 < 900 < items[1]["distance_m"] < 1100
    assert (items[0]["education"], items[0]["skills"]) == ("senior_high", ["包装"])
    assert items[1]["availability"] == "immediately"


def test_candidates_of_another_employers_job_are_404(client, boss, make_job, make_employer, seeker, crowd):
    job_id = make_job(boss[1])
    _, other = make_employer(name="别家公司")

    response = client.get(f"/api/v1/jobs/{job_id}/candidates", headers=other)

    assert response.status_code == 404
    assert error_of(response)["code"] == "job_not_found"
    assert client.get(f"/api/v1/jobs/{job_id}/candidates", headers=seeker).status_code == 403


def test_staff_in_scope_see_who_the_candidates_are(client, boss, make_job, staff_headers, crowd):
    job_id = make_job(boss[1])
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    _, elsewhere = staff_headers("grid_worker", "community", "341003100001")

    items = candidates(client, job_id, station)

    assert [item["resident_id"] for item in items] == list(crowd)
    assert [item["priority"] for item in items] == [False, False]
    assert client.get(f"/api/v1/jobs/{job_id}/candidates", headers=elsewhere).status_code == 404


def test_a_seeker_who_became_an_employer_is_no_longer_a_candidate(client, boss, make_job, make_seeker):
    job_id = make_job(boss[1])
    headers = make_seeker("李强", *HOME).headers
    assert [item["name"] for item in candidates(client, job_id, boss[1])] == ["李*"]
    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=headers).get_json()
    registered = client.post(
        "/api/v1/employers",
        json={"name": "李强小吃店", "credit_code": "91110108551385082Q", "lat": HOME[0], "lng": HOME[1]},
        headers=headers,
    )
    assert registered.status_code == 201, registered.get_json()
    # The account now acts only as an employer: it can no longer reach its résumé to close it.
    assert client.get(RESUME, headers=headers).status_code == 403

    assert candidates(client, job_id, boss[1]) == []
    # Applications nobody will answer for are withdrawn, and the employer can no longer read the résumé.
    assert db.session.get(Application, applied["id"]).status == "withdrawn"
    resident_id = db.session.get(Application, applied["id"]).resident_id
    assert client.get(f"/api/v1/resumes/{resident_id}", headers=boss[1]).status_code == 404


def _hard_to_employ(resident_id: int) -> None:
    resident = db.session.get(Resident, resident_id)
    set_key_groups(resident, ["hard_to_employ"])
    db.session.commit()


def test_public_welfare_job_ranks_a_hard_to_employ_seeker_first(client, boss, make_job, staff_headers, crowd):
    near, farther = crowd
    _hard_to_employ(farther)
    welfare = make_job(boss[1], title="公益性保洁岗", kind="public_welfare", category="security_cleaning")
    regular = make_job(boss[1], title="保洁员", kind="regular", category="security_cleaning")
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")

    for_boss = candidates(client, welfare, boss[1])
    for_staff = candidates(client, welfare, station)

    assert [item["name"] for item in for_boss] == ["李*", "张**"]
    assert [item["priority"] for item in for_boss] == [None, None]
    assert [(item["resident_id"], item["priority"]) for item in for_staff] == [(farther, True), (near, False)]
    assert for_staff[0]["score"] - for_staff[1]["score"] > PRIORITY_BONUS - 40
    # Priority is for public-welfare jobs only.
    assert [item["resident_id"] for item in candidates(client, regular, station)] == [near, farther]


def test_candidates_answer_from_sql_when_redis_is_down(
    app, client, boss, make_job, staff_headers, crowd, caplog
):
    near, farther = crowd
    _hard_to_employ(farther)
    welfare = make_job(boss[1], kind="public_welfare")
    regular = make_job(boss[1])
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    with_redis = {job_id: candidates(client, job_id, station) for job_id in (welfare, regular)}

    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    without = {job_id: candidates(client, job_id, station) for job_id in (welfare, regular)}

    assert "read from SQL" in caplog.text

    for job_id in (welfare, regular):
        assert [i["resident_id"] for i in without[job_id]] == [i["resident_id"] for i in with_redis[job_id]]
        for sql, geo in zip(without[job_id], with_redis[job_id], strict=True):
            assert abs(sql["distance_m"] - geo["distance_m"]) <= 2
            assert sql["score"] == pytest.approx(geo["score"], abs=0.1)
    assert [i["resident_id"] for i in without[welfare]] == [farther, near]
    assert [i["resident_id"] for i in without[regular]] == [near, farther]
    assert [i["name"] for i in candidates(client, regular, boss[1])] == ["张**", "李*"]
