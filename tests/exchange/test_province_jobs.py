"""Jobs from the province (issue 21 item 3): read from the cursor, kept near Huangshan, de-duplicated."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Employer, ExchangeCursor, Job, utcnow
from app.models.exchange import ExchangeRecord
from app.services.exchange import province_jobs
from app.services.jobs import employers, posts
from tests.conftest import make_credit_code
from tests.support import CENTER, search

AWAY = (39.9087, 116.3975)  # Beijing: nowhere near a township of ours


def item(province_id: str | None, credit_code: str, **fields) -> dict:
    """Return a feed item of the province's job shape (docs/EXCHANGE.md "Jobs from the province")."""
    return {
        "id": province_id,
        "status": "published",
        "title": "酒店前台",
        "category": "tourism_hotel",
        "kind": "regular",
        "wage_min": 3500,
        "wage_max": 5000,
        "wage_unit": "month",
        "headcount": 2,
        "address": "屯溪区黄山路8号",
        "lat": CENTER[0],
        "lng": CENTER[1],
        "valid_until": (utcnow() + timedelta(days=20)).strftime("%Y-%m-%d"),
        "employer": {"credit_code": credit_code, "name": "黄山省平台酒店有限公司"},
        **fields,
    }


def province_jobs_rows() -> list[Job]:
    """Return every job from the province, in id order."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).where(Job.source == "province").order_by(Job.id)))


def hits(client) -> dict[int, dict]:
    """Return the jobs a nearby search finds, by id."""
    response = search(client)
    assert response.status_code == 200, response.get_json()
    return {hit["job"]["id"]: hit["job"] for hit in response.get_json()["items"]}


def test_a_job_near_huangshan_arrives_published_and_is_found_with_its_source(
    app, client, places, fake_province
):
    code = make_credit_code()
    fake_province.seed(
        "jobs", [item("P-1", code), item("P-AWAY", make_credit_code(), lat=AWAY[0], lng=AWAY[1])]
    )

    counts = province_jobs.pull_jobs()

    assert counts == {"created": 1, "skipped_away": 1}
    (job,) = province_jobs_rows()
    assert (job.province_id, job.status, job.title, job.headcount) == ("P-1", "published", "酒店前台", 2)
    assert job.township_id is not None and job.monthly_wage_max == 5000
    assert utcnow() + timedelta(days=19) < job.valid_until < utcnow() + timedelta(days=22)
    employer = db.session.get(Employer, job.employer_id)
    assert (employer.credit_code, employer.source, employer.status) == (code, "province", "verified")
    assert employer.account_id is None and employer.township_id == job.township_id
    found = hits(client)
    assert found[job.id]["source"] == "province"
    detail = client.get(f"/api/v1/jobs/{job.id}")
    assert detail.status_code == 200 and detail.get_json()["source"] == "province"


def test_a_local_job_shows_source_local(app, client, places, make_employer, make_job):
    _, headers = make_employer()
    job_id = make_job(headers)
    assert hits(client)[job_id]["source"] == "local"


def test_the_same_province_id_again_updates_the_one_job(app, client, places, fake_province):
    code = make_credit_code()
    fake_province.seed("jobs", [item("P-2", code)])
    province_jobs.pull_jobs()
    fake_province.seed("jobs", [item("P-2", code, title="酒店前台领班", wage_max=6000)])

    assert province_jobs.pull_jobs() == {"updated": 1}

    (job,) = province_jobs_rows()
    assert (job.title, job.wage_max, job.monthly_wage_max) == ("酒店前台领班", 6000, 6000)
    assert hits(client)[job.id]["title"] == "酒店前台领班"


def test_same_employer_title_and_place_without_the_id_is_the_same_job(app, client, places, fake_province):
    code = make_credit_code()
    fake_province.seed("jobs", [item("P-3", code), item("P-3-again", code, headcount=5)])

    assert province_jobs.pull_jobs() == {"created": 1, "updated": 1}

    (job,) = province_jobs_rows()
    assert (job.province_id, job.headcount) == ("P-3", 5)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Employer).where(Employer.credit_code == code)
        )
        == 1
    )


def test_a_local_job_coming_back_from_the_province_is_not_doubled(
    app, client, places, fake_province, make_employer, make_job
):
    employer, headers = make_employer()
    job_id = make_job(headers, title="茶叶分拣工")
    echoed = item("P-4", employer.credit_code, title="茶叶分拣工", wage_max=9999)
    fake_province.seed("jobs", [echoed])

    assert province_jobs.pull_jobs() == {"skipped_local": 1}
    fake_province.seed("jobs", [echoed])
    assert province_jobs.pull_jobs() == {"skipped_local": 1}

    assert province_jobs_rows() == []
    local = db.session.get(Job, job_id)
    assert (local.source, local.province_id, local.wage_max) == ("local", "P-4", 4500)  # ours stays as it is
    employer = db.session.get(Employer, employer.id)
    assert employer.source == "local"


def test_a_closed_job_is_closed_and_leaves_search(app, client, places, fake_province):
    code = make_credit_code()
    fake_province.seed("jobs", [item("P-5", code)])
    province_jobs.pull_jobs()
    (job,) = province_jobs_rows()
    assert job.id in hits(client)

    fake_province.seed("jobs", [{"id": "P-5", "status": "closed"}, {"id": "P-unknown", "status": "expired"}])
    assert province_jobs.pull_jobs() == {"closed": 1, "unchanged": 1}

    (job,) = province_jobs_rows()
    assert job.status == "closed" and job.closed_at is not None
    assert job.id not in hits(client)


def test_province_jobs_and_employers_are_never_sent_back(app, client, places, fake_province):
    fake_province.seed("jobs", [item("P-6", make_credit_code()), item("P-6b", make_credit_code())])
    province_jobs.pull_jobs()
    lapsing, withdrawn = province_jobs_rows()
    lapsing.valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert posts.expire_jobs() == 1
    assert employers.unpublish_jobs(withdrawn.employer_id) == 1

    assert db.session.get(Job, lapsing.id).status == "expired"
    assert db.session.get(Job, withdrawn.id).status == "pending_review"
    assert db.session.scalars(sa.select(ExchangeRecord)).all() == []


def test_the_cursor_survives_a_second_pull_reads_only_what_is_new(app, client, places, fake_province):
    fake_province.seed("jobs", [item("P-7", make_credit_code())])
    assert province_jobs.pull_jobs() == {"created": 1}
    first = db.session.get(ExchangeCursor, "jobs").cursor
    assert first

    assert province_jobs.pull_jobs() == {}
    fake_province.seed("jobs", [item("P-8", make_credit_code(), title="客房服务员")])
    assert province_jobs.pull_jobs() == {"created": 1}

    db.session.expire_all()
    assert db.session.get(ExchangeCursor, "jobs").cursor > first
    assert [job.province_id for job in province_jobs_rows()] == ["P-7", "P-8"]


def test_the_province_down_leaves_the_cursor_where_it_was(app, client, places, fake_province):
    fake_province.seed("jobs", [item("P-9", make_credit_code())])
    fake_province.knobs(down=True)

    assert province_jobs.pull_jobs() == {"unavailable": 1}
    assert db.session.get(ExchangeCursor, "jobs") is None

    fake_province.knobs(down=False)
    assert province_jobs.pull_jobs() == {"created": 1}
