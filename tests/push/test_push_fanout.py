"""Push: subscriptions and preferences, the fan-out of a published job, the daily cap, quiet hours,
template field limits and the staff's views of the pushes."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import SimpleWorker
from rq.job import Job as RqJob
from rq.registry import ScheduledJobRegistry

from app.common import clock
from app.extensions import db
from app.models import Account, Job, Push, PushQuota, SubscriptionReport, utcnow
from app.queues import get_queue
from app.services.push import schedule
from app.services.push import send as push_send
from app.services.push import templates as push_templates
from tests.support import error_of, grant, messages, publish

ME, RESUME = "/api/v1/me", "/api/v1/me/resume"
SUBSCRIPTIONS = "/api/v1/me/subscriptions"
PREFERENCES = "/api/v1/me/push-preferences"
PUSHES = "/api/v1/pushes"
JOB_MATCH = "tmpl-job-match"
APPLICATION_UPDATE = "tmpl-application-update"
CHECKIN_FOLLOWUP = "tmpl-checkin-followup"
VISIT_NOTICE = "tmpl-visit-notice"
CITY = ZoneInfo("Asia/Shanghai")
# The employer's (and so, by default, its jobs') location in make_employer.
JOB_AT = (29.7160, 118.3180)
NEAR = (29.7165, 118.3185)  # about 70 m from the job
YUZHONG, YUDONG = "341002002000", "341002001000"
TUNXI, HUANGSHAN_DISTRICT = "341002000000", "341003000000"
DEFAULTS = {
    "disabled_kinds": [],
    "daily_cap": 3,
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "sms_enabled": True,
}
FIELD_LIMITS = {"thing": 20, "phrase": 5, "name": 10, "character_string": 32}
TIME_VALUE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$")


# ---- helpers --------------------------------------------------------------------------------


def report(client, headers, results: dict, client_id: str | None = None):
    """Report what wx.requestSubscribeMessage answered, as the mini-program does."""
    return client.post(
        SUBSCRIPTIONS,
        json={"client_id": client_id or uuid.uuid4().hex, "results": results},
        headers=headers,
    )


def state_of(body: dict, key: str) -> dict:
    """Return one template's state from a subscriptions body."""
    return next(item for item in body["templates"] if item["key"] == key)


def pushes_of(job_id: int) -> list[Push]:
    """Return the job_match push rows of one job, by account."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Push)
            .where(Push.kind == "job_match", Push.object_type == "job", Push.object_id == str(job_id))
            .order_by(Push.account_id)
        )
    )


def remaining(account_id: int, key: str = "job_match") -> int | None:
    """Return the stored one-time sends left."""
    db.session.expire_all()
    row = db.session.get(PushQuota, (account_id, key))
    return None if row is None else row.remaining


def assert_within_limits(data: dict) -> None:
    """Every field of a template's data keeps its type's rule."""
    for field, value in data.items():
        text = value["value"]
        kind = field.rstrip("0123456789")
        assert text, (field, value)
        if kind == "time":
            assert TIME_VALUE.match(text), (field, text)
        else:
            assert len(text) <= FIELD_LIMITS[kind], (field, text)


def city_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """Return an aware moment on the city's clock."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CITY)


def naive_utc(moment: datetime) -> datetime:
    """Return a moment as the naive UTC the database holds."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def future_day(days: int = 3) -> date:
    """A city day comfortably ahead of the real clock (so a morning send is still in the future)."""
    return datetime.now(CITY).date() + timedelta(days=days)


def run_due_at(app, monkeypatch, moment: datetime) -> int:
    """Act as a worker with its scheduler at `moment`: move the push jobs then due, run them.

    Returns how many scheduled jobs were due.
    """
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)
    queue = get_queue("push")
    registry = ScheduledJobRegistry(queue=queue)
    due = registry.get_jobs_to_schedule(int(moment.timestamp()))
    for job_id in due:
        registry.remove(job_id)
        queue.enqueue_job(RqJob.fetch(job_id, connection=queue.connection))
    SimpleWorker([queue], connection=app.extensions["queue_redis"]).work(burst=True)
    return len(due)


@pytest.fixture
def daytime(app, monkeypatch):
    """No quiet hours: nothing waits for the morning."""
    monkeypatch.setitem(app.config, "PUSH_QUIET_START", "00:00")
    monkeypatch.setitem(app.config, "PUSH_QUIET_END", "00:00")


@pytest.fixture
def seeker(client, wechat_login, fake_wechat, places):
    """Return a factory: seeker(lat, lng, accepts=1, granted=None, resume={}, **profile) -> namespace.

    A resident with a home (None: no home) and an open résumé (None: none); `accepts` reports
    that many one-time accepts of the job_match template, and the fake WeChat is granted
    `granted` sends (default: as many as accepted), as the phone would.
    """

    def factory(lat=NEAR[0], lng=NEAR[1], accepts=1, granted=None, resume=None, **profile):
        body, headers, codes = wechat_login()
        changes = {"name": "求职者", **profile}
        if lat is not None:
            changes.update(home_lat=lat, home_lng=lng)
        updated = client.patch(ME, json=changes, headers=headers)
        assert updated.status_code == 200, updated.get_json()
        if resume is not False:
            assert client.put(RESUME, json=resume or {}, headers=headers).status_code == 200
        for _ in range(accepts):
            answer = report(client, headers, {JOB_MATCH: "accept", "errMsg": "requestSubscribeMessage:ok"})
            assert answer.status_code == 200, answer.get_json()
        granted = accepts if granted is None else granted
        if granted:
            grant(fake_wechat, codes["openid"], count=granted)
        return SimpleNamespace(id=body["account"]["id"], openid=codes["openid"], headers=headers)

    return factory


# ---- subscriptions --------------------------------------------------------------------------


def test_subscriptions_start_empty_with_the_default_preferences(client, wechat_login):
    _, headers, _ = wechat_login()

    response = client.get(SUBSCRIPTIONS, headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["preferences"] == DEFAULTS
    assert {item["key"]: (item["template_id"], item["kind"]) for item in body["templates"]} == {
        "job_match": (JOB_MATCH, "one_time"),
        "application_update": (APPLICATION_UPDATE, "one_time"),
        "checkin_followup": (CHECKIN_FOLLOWUP, "one_time"),
        "visit_notice": (VISIT_NOTICE, "long_term"),
        "policy_notice": ("tmpl-policy-notice", "long_term"),
        "record_update": ("tmpl-record-update", "long_term"),
        "notice": ("tmpl-notice", "long_term"),
        "placement_followup": ("tmpl-placement-followup", "long_term"),
    }
    assert all(
        (item["status"], item["remaining"], item["can_send"]) == (None, None, False)
        for item in body["templates"]
    )


def test_each_one_time_accept_adds_one_send_and_a_repeated_report_adds_nothing(client, app, wechat_login):
    account, headers, _ = wechat_login()
    first, second = uuid.uuid4().hex, uuid.uuid4().hex

    one = report(client, headers, {JOB_MATCH: "accept", "errMsg": "requestSubscribeMessage:ok"}, first)
    two = report(client, headers, {JOB_MATCH: "accept", "errMsg": "requestSubscribeMessage:ok"}, second)
    again = report(client, headers, {JOB_MATCH: "accept", "errMsg": "requestSubscribeMessage:ok"}, first)

    assert one.status_code == two.status_code == again.status_code == 200
    assert one.get_json()["ignored"] == ["errMsg"]
    assert state_of(one.get_json(), "job_match") == {
        "key": "job_match",
        "template_id": JOB_MATCH,
        "kind": "one_time",
        "status": "accept",
        "remaining": 1,
        "can_send": True,
    }
    assert state_of(two.get_json(), "job_match")["remaining"] == 2
    assert state_of(again.get_json(), "job_match")["remaining"] == 2
    assert state_of(client.get(SUBSCRIPTIONS, headers=headers).get_json(), "job_match")["remaining"] == 2
    account_id = account["account"]["id"]
    assert remaining(account_id) == 2
    reports = db.session.scalars(
        sa.select(SubscriptionReport.client_id).where(SubscriptionReport.account_id == account_id)
    ).all()
    assert sorted(reports) == sorted([first, second])


def test_one_report_answers_several_templates_at_once(client, wechat_login):
    _, headers, _ = wechat_login()

    body = report(
        client,
        headers,
        {JOB_MATCH: "accept", APPLICATION_UPDATE: "accept", CHECKIN_FOLLOWUP: "reject", "errMsg": "ok"},
    ).get_json()

    assert state_of(body, "job_match")["remaining"] == 1
    assert state_of(body, "application_update")["remaining"] == 1
    assert (state_of(body, "checkin_followup")["status"], state_of(body, "checkin_followup")["can_send"]) == (
        "reject",
        False,
    )
    assert state_of(body, "visit_notice")["status"] is None


def test_reject_ban_and_filter_are_recorded_and_ban_clears_the_quota(client, wechat_login):
    _, headers, _ = wechat_login()
    for _ in range(2):
        report(client, headers, {JOB_MATCH: "accept", APPLICATION_UPDATE: "accept"})

    rejected = report(client, headers, {CHECKIN_FOLLOWUP: "reject"}).get_json()
    banned = report(client, headers, {JOB_MATCH: "ban"}).get_json()
    filtered = report(client, headers, {APPLICATION_UPDATE: "filter"}).get_json()

    assert state_of(rejected, "checkin_followup") == {
        "key": "checkin_followup",
        "template_id": CHECKIN_FOLLOWUP,
        "kind": "one_time",
        "status": "reject",
        "remaining": 0,
        "can_send": False,
    }
    job_match = state_of(banned, "job_match")
    assert (job_match["status"], job_match["remaining"], job_match["can_send"]) == ("ban", 0, False)
    # "filter" (WeChat hid the template) is kept as a refusal; earlier accepts stay.
    update = state_of(filtered, "application_update")
    assert (update["status"], update["remaining"]) == ("reject", 2)
    # A new accept after a ban counts again.
    again = state_of(report(client, headers, {JOB_MATCH: "accept"}).get_json(), "job_match")
    assert (again["status"], again["remaining"], again["can_send"]) == ("accept", 1, True)


def test_a_long_term_accept_can_send_without_a_count(client, wechat_login):
    _, headers, _ = wechat_login()

    accepted = report(client, headers, {VISIT_NOTICE: "accept"}).get_json()
    repeated = report(client, headers, {VISIT_NOTICE: "accept"}).get_json()
    rejected = report(client, headers, {VISIT_NOTICE: "reject"}).get_json()

    assert state_of(accepted, "visit_notice") == {
        "key": "visit_notice",
        "template_id": VISIT_NOTICE,
        "kind": "long_term",
        "status": "accept",
        "remaining": None,
        "can_send": True,
    }
    assert state_of(repeated, "visit_notice")["remaining"] is None
    assert (state_of(rejected, "visit_notice")["status"], state_of(rejected, "visit_notice")["can_send"]) == (
        "reject",
        False,
    )


def test_unknown_templates_and_answers_are_listed_as_ignored(client, wechat_login):
    account, headers, _ = wechat_login()

    response = report(
        client,
        headers,
        {
            "tmpl-not-ours": "accept",
            JOB_MATCH: "maybe",
            APPLICATION_UPDATE: "accept",
            "errMsg": "requestSubscribeMessage:ok",
        },
    )

    assert response.status_code == 200
    body = response.get_json()
    assert sorted(body["ignored"]) == sorted(["tmpl-not-ours", JOB_MATCH, "errMsg"])
    assert state_of(body, "job_match")["status"] is None
    assert state_of(body, "application_update")["remaining"] == 1
    keys = db.session.scalars(
        sa.select(PushQuota.template_key).where(PushQuota.account_id == account["account"]["id"])
    ).all()
    assert keys == ["application_update"]


@pytest.mark.parametrize(
    "payload",
    [
        {"client_id": "short", "results": {JOB_MATCH: "accept"}},
        {"client_id": "has spaces in it", "results": {JOB_MATCH: "accept"}},
        {"client_id": "x" * 65, "results": {JOB_MATCH: "accept"}},
        {"results": {JOB_MATCH: "accept"}},
        {"client_id": uuid.uuid4().hex},
    ],
    ids=["too-short", "bad-characters", "too-long", "no-client-id", "no-results"],
)
def test_a_malformed_report_is_422_and_records_nothing(client, wechat_login, payload):
    account, headers, _ = wechat_login()

    response = client.post(SUBSCRIPTIONS, json=payload, headers=headers)

    assert response.status_code == 422
    assert error_of(response)["code"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushQuota)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubscriptionReport)) == 0


def test_staff_have_no_subscriptions(client, staff_headers):
    _, headers = staff_headers("operator", "circle", "341002-chengzhong")

    posted = report(client, headers, {JOB_MATCH: "accept"})
    read = client.get(SUBSCRIPTIONS, headers=headers)
    patched = client.patch(PREFERENCES, json={"daily_cap": 1}, headers=headers)

    assert (posted.status_code, read.status_code, patched.status_code) == (403, 403, 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushQuota)) == 0
    assert client.get(SUBSCRIPTIONS).status_code == 401


# ---- preferences ----------------------------------------------------------------------------


def test_preferences_change_and_show_on_the_subscriptions(client, wechat_login):
    _, headers, _ = wechat_login()

    response = client.patch(
        PREFERENCES,
        json={
            "disabled_kinds": ["policy_notice", "job_match", "job_match"],
            "daily_cap": 1,
            "quiet_start": "22:30",
            "quiet_end": "7:05",
        },
        headers=headers,
    )

    assert response.status_code == 200, response.get_json()
    expected = {
        "disabled_kinds": ["job_match", "policy_notice"],
        "daily_cap": 1,
        "quiet_start": "22:30",
        "quiet_end": "07:05",
        "sms_enabled": True,
    }
    assert response.get_json()["preferences"] == expected
    assert client.get(SUBSCRIPTIONS, headers=headers).get_json()["preferences"] == expected

    # A partial change leaves the rest; clearing the quiet hours brings the defaults back.
    partial = client.patch(PREFERENCES, json={"quiet_start": None, "quiet_end": None}, headers=headers)
    assert partial.get_json()["preferences"] == {**expected, "quiet_start": "21:00", "quiet_end": "08:00"}
    cleared = client.patch(PREFERENCES, json={"disabled_kinds": [], "daily_cap": 0}, headers=headers)
    assert cleared.get_json()["preferences"] == {**DEFAULTS, "daily_cap": 0}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"quiet_start": "25:00"}, "quiet_start", "invalid_time"),
        ({"quiet_end": "08:60"}, "quiet_end", "invalid_time"),
        ({"quiet_end": "eight"}, "quiet_end", "invalid_time"),
        ({"quiet_start": "21:00:00"}, "quiet_start", "invalid_time"),
        ({"disabled_kinds": ["job_match", "spam"]}, "disabled_kinds", None),
        ({"daily_cap": 21}, "daily_cap", None),
        ({"daily_cap": -1}, "daily_cap", None),
    ],
    ids=["hour-25", "minute-60", "words", "seconds", "unknown-kind", "cap-too-big", "cap-negative"],
)
def test_bad_preferences_are_422_and_change_nothing(client, wechat_login, change, field, code):
    _, headers, _ = wechat_login()
    assert client.patch(PREFERENCES, json={"daily_cap": 2}, headers=headers).status_code == 200

    response = client.patch(PREFERENCES, json={"quiet_start": "20:00", **change}, headers=headers)

    assert response.status_code == 422
    error = error_of(response)
    if code:
        assert error["code"] == code
    named = [error.get("field") or "", *(error.get("fields") or {})]
    assert any(name.split(".")[0] == field for name in named), error
    assert client.get(SUBSCRIPTIONS, headers=headers).get_json()["preferences"] == {
        **DEFAULTS,
        "daily_cap": 2,
    }


# ---- the fan-out ----------------------------------------------------------------------------


def test_publishing_pushes_once_to_each_fitting_seeker_with_quota_and_to_no_one_else(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers
):
    near = seeker()
    willing_to_travel = seeker(29.7520, 118.3180, seek_radius_m=5000)  # about 4 km off
    wants_tea = seeker(seek_categories=["tea_processing", "catering"])
    no_quota = seeker(accepts=0, granted=1)  # WeChat would let it through; we were never told
    opted_out = seeker()
    client.patch(PREFERENCES, json={"disabled_kinds": ["job_match"]}, headers=opted_out.headers)
    wants_building = seeker(seek_categories=["construction"])
    too_far = seeker(29.7295, 118.3180, seek_radius_m=1000)  # about 1.5 km off
    no_resume = seeker(resume=False)
    no_home = seeker(lat=None)
    not_looking = seeker(resume={"open_to_work": False})
    inactive = seeker()
    db.session.get(Account, inactive.id).is_active = False
    db.session.commit()
    _, boss = make_employer()

    job_id = publish(client, staff_headers, make_job, boss, title="茶叶分拣工")

    fitting = [near, willing_to_travel, wants_tea]
    for person in fitting:
        delivered = messages(fake_wechat, person.openid)
        assert len(delivered) == 1, person
        assert delivered[0]["template_id"] == JOB_MATCH
        assert delivered[0]["page"] == f"pages/job-detail/index?id={job_id}"
        assert delivered[0]["data"]["thing1"]["value"] == "茶叶分拣工"
        assert delivered[0]["data"]["thing2"]["value"] == "黄山测试茶业有限公司"
        assert remaining(person.id) == 0
    for person in (no_quota, opted_out, wants_building, too_far, no_resume, no_home, not_looking, inactive):
        assert messages(fake_wechat, person.openid) == [], person
    assert remaining(opted_out.id) == remaining(too_far.id) == remaining(inactive.id) == 1
    rows = pushes_of(job_id)
    assert [(row.account_id, row.status) for row in rows] == sorted((p.id, "sent") for p in fitting)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 3


def test_push_rows_carry_score_day_page_and_data_within_limits(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers
):
    close_by = seeker()
    further = seeker(29.7295, 118.3180)  # about 1.5 km off, inside the default 3 km
    _, boss = make_employer(name="黄山市屯溪区某某某某茶叶有限责任公司第一分公司")

    title = "高级茶叶分拣与包装工（长期招聘，包吃住，周末双休）"
    assert len(title) > 20

    job_id = publish(client, staff_headers, make_job, boss, title=title)

    rows = {row.account_id: row for row in pushes_of(job_id)}
    assert set(rows) == {close_by.id, further.id}
    today = clock.local_day()
    for row in rows.values():
        assert (row.kind, row.object_type, row.object_id) == ("job_match", "job", str(job_id))
        assert row.page == f"pages/job-detail/index?id={job_id}"
        assert row.day == today
        assert row.status == "sent" and row.attempts == 1 and row.last_error is None
        assert row.msgid and row.sent_at is not None
        assert row.send_after <= datetime.now(UTC).replace(tzinfo=None)
        assert set(row.data) == {"thing1", "thing2", "thing3", "thing4"}
        assert_within_limits(row.data)
        assert row.data["thing1"]["value"] == title[:19] + "…"
        assert row.data["thing3"]["value"] == "3000-4500元/月"
    assert rows[close_by.id].data["thing4"]["value"] == "距您0.1公里"
    assert rows[further.id].data["thing4"]["value"] == "距您1.5公里"
    # Nearer is better: the score is what the daily cap ranks by.
    assert 0 < rows[further.id].score < rows[close_by.id].score
    # What was stored is what WeChat received.
    assert messages(fake_wechat, close_by.openid)[0]["data"] == rows[close_by.id].data


def test_a_forced_retry_of_the_fan_out_duplicates_nothing_even_with_fresh_quota(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers
):
    from app.tasks.push import match_and_push

    first, second = seeker(), seeker(29.7150, 118.3170)
    _, boss = make_employer()
    job_id = publish(client, staff_headers, make_job, boss)
    before = [(row.id, row.account_id, row.status) for row in pushes_of(job_id)]
    assert len(before) == 2

    # Both say yes again on the phone: quota here and on WeChat.
    for person in (first, second):
        assert report(client, person.headers, {JOB_MATCH: "accept"}).status_code == 200
        grant(fake_wechat, person.openid)
    again = match_and_push(job_id)
    once_more = match_and_push(job_id)

    assert again == once_more == {"created": 0, "enqueued": 0}
    assert [(row.id, row.account_id, row.status) for row in pushes_of(job_id)] == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 2
    for person in (first, second):
        assert len(messages(fake_wechat, person.openid)) == 1
        assert remaining(person.id) == 1


def test_a_job_edited_and_approved_again_reaches_only_those_it_had_not_reached(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers
):
    first = seeker(accepts=2)
    _, boss = make_employer()
    job_id = publish(client, staff_headers, make_job, boss, title="茶叶分拣工")
    latecomer = seeker(29.7150, 118.3170)

    edited = client.patch(f"/api/v1/jobs/{job_id}", json={"title": "茶叶分拣工（急招）"}, headers=boss)
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["status"] == "pending_review"
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    review = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=operator)

    assert review.status_code == 200, review.get_json()
    assert [m["data"]["thing1"]["value"] for m in messages(fake_wechat, first.openid)] == ["茶叶分拣工"]
    assert [m["data"]["thing1"]["value"] for m in messages(fake_wechat, latecomer.openid)] == [
        "茶叶分拣工（急招）"
    ]
    assert remaining(first.id) == 1
    assert sorted(row.account_id for row in pushes_of(job_id)) == sorted([first.id, latecomer.id])


def test_the_fan_out_in_small_batches_reaches_everyone_once(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    monkeypatch.setitem(app.config, "PUSH_BATCH", 2)
    people = [seeker(29.7160 + n * 0.001, 118.3185) for n in range(5)]
    misfit = seeker(seek_categories=["construction"])
    _, boss = make_employer()

    job_id = publish(client, staff_headers, make_job, boss)

    assert sorted(row.account_id for row in pushes_of(job_id)) == sorted(p.id for p in people)
    assert [len(messages(fake_wechat, p.openid)) for p in people] == [1] * 5
    assert messages(fake_wechat, misfit.openid) == []


def test_with_redis_down_the_fan_out_reads_seekers_from_sql(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers, caplog
):
    near = seeker()
    wants_building = seeker(seek_categories=["construction"])
    _, boss = make_employer()
    job_id = make_job(boss, publish=False)
    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss).status_code == 200
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")

    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    review = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=operator)

    assert review.status_code == 200, review.get_json()
    assert "read from SQL" in caplog.text
    assert [(row.account_id, row.status) for row in pushes_of(job_id)] == [(near.id, "sent")]
    assert len(messages(fake_wechat, near.openid)) == 1
    assert messages(fake_wechat, wants_building.openid) == []


def test_a_job_that_is_not_live_pushes_nothing(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job
):
    from app.tasks.push import match_and_push

    person = seeker()
    _, boss = make_employer()
    draft = make_job(boss, publish=False)

    assert match_and_push(draft) == {"created": 0, "enqueued": 0}
    assert match_and_push(draft + 1000) == {"created": 0, "enqueued": 0}
    assert messages(fake_wechat, person.openid) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 0


# ---- the daily cap --------------------------------------------------------------------------


def test_the_daily_cap_stops_job_pushes_once_reached(
    client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers
):
    person = seeker(accepts=3)
    assert client.patch(PREFERENCES, json={"daily_cap": 2}, headers=person.headers).status_code == 200
    _, boss = make_employer()

    jobs = [publish(client, staff_headers, make_job, boss, title=f"岗位{n}") for n in range(3)]

    assert [row.status for job_id in jobs for row in pushes_of(job_id)] == ["sent", "sent", "skipped"]
    assert pushes_of(jobs[2])[0].last_error == "daily_cap"
    assert [m["data"]["thing1"]["value"] for m in messages(fake_wechat, person.openid)] == ["岗位0", "岗位1"]
    # A skipped push costs no quota.
    assert remaining(person.id) == 1


def test_the_daily_cap_keeps_the_best_scored_of_pushes_due_together(
    client, app, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    from app.tasks.push import send_push

    night = future_day()
    morning = night + timedelta(days=1)
    person = seeker(29.7160, 118.3190, accepts=3)  # about 100 m east of the employer
    assert client.patch(PREFERENCES, json={"daily_cap": 2}, headers=person.headers).status_code == 200
    _, boss = make_employer()

    monkeypatch.setattr(clock, "local_now", lambda: city_moment(night, 22, 0))
    jobs = {
        "best": publish(client, staff_headers, make_job, boss, title="最近的岗位", lat=29.7160, lng=118.3180),
        "middle": publish(
            client, staff_headers, make_job, boss, title="中间的岗位", lat=29.7160, lng=118.3150
        ),
        "worst": publish(
            client, staff_headers, make_job, boss, title="最远的岗位", lat=29.7160, lng=118.3120
        ),
    }
    rows = {name: pushes_of(job_id)[0] for name, job_id in jobs.items()}
    assert rows["best"].score > rows["middle"].score > rows["worst"].score
    assert {(row.status, row.day, row.send_after) for row in rows.values()} == {
        ("scheduled", morning, naive_utc(city_moment(morning, 8, 0)))
    }
    assert messages(fake_wechat, person.openid) == []
    # The scheduled sends are the push queue's, one per push.
    queue = get_queue("push")
    registry = ScheduledJobRegistry(queue=queue)
    scheduled = [RqJob.fetch(job_id, connection=queue.connection) for job_id in registry.get_job_ids()]
    assert sorted(job.args for job in scheduled) == sorted((row.id,) for row in rows.values())
    assert {job.func_name for job in scheduled} == {"app.tasks.push.send_push"}

    # 08:00 comes: the sends run, worst first (not in score order).
    at_eight = city_moment(morning, 8, 0)
    monkeypatch.setattr(clock, "local_now", lambda: at_eight)
    monkeypatch.setattr(push_send, "utcnow", lambda: naive_utc(at_eight) + timedelta(seconds=5))
    outcomes = {name: send_push(rows[name].id) for name in ("worst", "best", "middle")}

    assert outcomes == {"worst": "skipped", "best": "sent", "middle": "sent"}
    stored = {name: pushes_of(job_id)[0] for name, job_id in jobs.items()}
    assert (stored["worst"].status, stored["worst"].last_error) == ("skipped", "daily_cap")
    assert [stored[name].status for name in ("best", "middle")] == ["sent", "sent"]
    delivered = [m["data"]["thing1"]["value"] for m in messages(fake_wechat, person.openid)]
    assert delivered == ["最近的岗位", "中间的岗位"]
    assert remaining(person.id) == 1


# ---- quiet hours ----------------------------------------------------------------------------


def test_a_job_published_at_night_is_pushed_at_eight_the_next_morning(
    client, app, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    night = future_day()
    morning = night + timedelta(days=1)
    person = seeker()
    _, boss = make_employer()
    monkeypatch.setattr(clock, "local_now", lambda: city_moment(night, 22, 0))

    job_id = publish(client, staff_headers, make_job, boss)

    (row,) = pushes_of(job_id)
    eight = city_moment(morning, 8, 0)
    assert (row.account_id, row.status, row.day) == (person.id, "scheduled", morning)
    assert row.send_after == naive_utc(eight) == datetime(morning.year, morning.month, morning.day, 0, 0)
    assert messages(fake_wechat, person.openid) == []
    assert remaining(person.id) == 1
    queue = get_queue("push")
    registry = ScheduledJobRegistry(queue=queue)
    (scheduled_id,) = registry.get_job_ids()
    assert registry.get_scheduled_time(scheduled_id) == eight.astimezone(UTC)
    assert RqJob.fetch(scheduled_id, connection=queue.connection).args == (row.id,)
    assert registry.get_jobs_to_schedule(int(eight.timestamp()) - 60) == []

    # A forced retry of the fan-out in the night schedules the send again, nothing more.
    from app.tasks.push import match_and_push

    assert match_and_push(job_id) == {"created": 0, "enqueued": 1}
    assert len(registry.get_job_ids()) == 2

    # At eight a worker (with its scheduler) takes both and WeChat receives one message.
    monkeypatch.setattr(clock, "local_now", lambda: eight)
    assert run_due_at(app, monkeypatch, eight) == 2

    (row,) = pushes_of(job_id)
    assert (row.status, row.attempts) == ("sent", 1), row.last_error
    assert len(messages(fake_wechat, person.openid)) == 1
    assert remaining(person.id) == 0
    assert registry.get_job_ids() == []


def test_a_scheduled_push_of_a_job_closed_overnight_is_not_sent(
    client, app, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    night = future_day()
    eight = city_moment(night + timedelta(days=1), 8, 0)
    person = seeker()
    _, boss = make_employer()
    monkeypatch.setattr(clock, "local_now", lambda: city_moment(night, 22, 0))
    job_id = publish(client, staff_headers, make_job, boss)
    assert [row.status for row in pushes_of(job_id)] == ["scheduled"]

    closed = client.post(f"/api/v1/jobs/{job_id}/close", headers=boss)
    assert closed.status_code == 200, closed.get_json()
    monkeypatch.setattr(clock, "local_now", lambda: eight)
    assert run_due_at(app, monkeypatch, eight) == 1

    assert messages(fake_wechat, person.openid) == []
    assert remaining(person.id) == 1
    assert [row.status for row in pushes_of(job_id)] == ["skipped"]


def test_a_push_made_at_seven_waits_for_eight_the_same_day(
    client, app, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    day = future_day()
    person = seeker()
    _, boss = make_employer()
    monkeypatch.setattr(clock, "local_now", lambda: city_moment(day, 7, 0))

    job_id = publish(client, staff_headers, make_job, boss)

    (row,) = pushes_of(job_id)
    assert (row.account_id, row.status, row.day) == (person.id, "scheduled", day)
    assert row.send_after == naive_utc(city_moment(day, 8, 0))
    assert messages(fake_wechat, person.openid) == []


def test_each_persons_own_quiet_hours_apply(
    client, app, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    day = future_day()
    lunch_nap = seeker()
    client.patch(PREFERENCES, json={"quiet_start": "12:00", "quiet_end": "13:00"}, headers=lunch_nap.headers)
    never_quiet = seeker()
    client.patch(
        PREFERENCES, json={"quiet_start": "06:00", "quiet_end": "06:00"}, headers=never_quiet.headers
    )
    default = seeker()
    _, boss = make_employer()
    monkeypatch.setattr(clock, "local_now", lambda: city_moment(day, 12, 30))

    job_id = publish(client, staff_headers, make_job, boss)

    rows = {row.account_id: row for row in pushes_of(job_id)}
    assert (rows[lunch_nap.id].status, rows[lunch_nap.id].send_after) == (
        "scheduled",
        naive_utc(city_moment(day, 13, 0)),
    )
    assert rows[never_quiet.id].status == rows[default.id].status == "sent"
    assert messages(fake_wechat, lunch_nap.openid) == []
    assert len(messages(fake_wechat, never_quiet.openid)) == len(messages(fake_wechat, default.openid)) == 1


@pytest.mark.parametrize(
    ("quiet", "local", "expected", "waits"),
    [
        (("21:00", "08:00"), (22, 0), (1, 8, 0), True),
        (("21:00", "08:00"), (21, 0), (1, 8, 0), True),
        (("21:00", "08:00"), (0, 30), (0, 8, 0), True),
        (("21:00", "08:00"), (7, 0), (0, 8, 0), True),
        (("21:00", "08:00"), (7, 59), (0, 8, 0), True),
        (("21:00", "08:00"), (8, 0), (0, 8, 0), False),
        (("21:00", "08:00"), (15, 1), (0, 15, 1), False),
        (("21:00", "08:00"), (20, 59), (0, 20, 59), False),
        (("12:00", "13:00"), (12, 30), (0, 13, 0), True),
        (("12:00", "13:00"), (13, 0), (0, 13, 0), False),
        (("12:00", "13:00"), (11, 59), (0, 11, 59), False),
        (("00:00", "00:00"), (3, 0), (0, 3, 0), False),
        (("21:00", "21:00"), (21, 30), (0, 21, 30), False),
    ],
)
def test_send_after_follows_the_quiet_hours(app, quiet, local, expected, waits):
    day = date(2026, 11, 29)
    now = city_moment(day, *local)
    prefs = {**DEFAULTS, "quiet_start": quiet[0], "quiet_end": quiet[1]}

    at, held = schedule.send_after(prefs, now)

    days, hour, minute = expected
    assert held is waits
    assert at == naive_utc(city_moment(day + timedelta(days=days), hour, minute))


def test_send_after_takes_any_time_zone_and_answers_on_the_citys_clock(app):
    # 13:30 UTC is 21:30 in Shanghai: quiet, so 08:00 Shanghai the next morning (00:00 UTC).
    at, held = schedule.send_after(DEFAULTS, datetime(2026, 11, 29, 13, 30, tzinfo=UTC))

    assert (at, held) == (datetime(2026, 11, 30, 0, 0), True)


def test_a_scheduled_push_is_not_sent_to_someone_who_opted_out_or_left_overnight(
    client, app, fake_wechat, seeker, make_employer, make_job, staff_headers, monkeypatch
):
    from app.tasks.push import send_push

    night = future_day()
    morning = night + timedelta(days=1)
    changed_mind, left, stays = seeker(), seeker(), seeker()
    _, boss = make_employer()
    monkeypatch.setattr(clock, "local_now", lambda: city_moment(night, 22, 0))
    job_id = publish(client, staff_headers, make_job, boss)
    rows = {row.account_id: row for row in pushes_of(job_id)}
    assert {row.status for row in rows.values()} == {"scheduled"}

    assert client.patch(PREFERENCES, json={"disabled_kinds": ["job_match"]}, headers=changed_mind.headers)
    db.session.get(Account, left.id).is_active = False
    db.session.commit()
    eight = city_moment(morning, 8, 0)
    monkeypatch.setattr(clock, "local_now", lambda: eight)
    monkeypatch.setattr(push_send, "utcnow", lambda: naive_utc(eight))
    outcomes = {person.id: send_push(rows[person.id].id) for person in (changed_mind, left, stays)}

    assert outcomes == {changed_mind.id: "skipped", left.id: "skipped", stays.id: "sent"}
    stored = {row.account_id: row for row in pushes_of(job_id)}
    assert stored[changed_mind.id].last_error == "opted_out"
    assert stored[left.id].last_error == "no_wechat_account"
    assert messages(fake_wechat, changed_mind.openid) == messages(fake_wechat, left.openid) == []
    assert len(messages(fake_wechat, stays.openid)) == 1
    assert (remaining(changed_mind.id), remaining(left.id), remaining(stays.id)) == (1, 1, 0)
    # Sending it again (a duplicate job in the queue) changes nothing.
    assert send_push(rows[stays.id].id) == "not_pending"
    assert len(messages(fake_wechat, stays.openid)) == 1


# ---- template fields ------------------------------------------------------------------------


def test_a_thing_field_is_cut_to_twenty_characters_with_an_ellipsis():
    title = "黄山市屯溪区茶叶加工厂高级分拣包装工长期招聘包吃包住"[:30].ljust(30, "工")
    assert len(title) == 30

    value = push_templates.thing(title)["value"]

    assert value == title[:19] + "…"
    assert len(value) == 20
    assert push_templates.thing("一" * 20)["value"] == "一" * 20
    assert push_templates.thing("  茶叶\n 分拣工  ")["value"] == "茶叶 分拣工"
    assert push_templates.thing("")["value"] == push_templates.thing(None)["value"] == "-"


def test_phrase_name_and_character_string_fields_are_cut_to_their_limits():
    assert push_templates.phrase("邀请您来参加面试")["value"] == "邀请您来参"
    assert push_templates.phrase("已录用")["value"] == "已录用"
    assert push_templates.phrase("  ")["value"] == "-"
    assert push_templates.name("欧阳娜娜娜娜娜娜娜娜娜娜")["value"] == "欧阳娜娜娜娜娜娜娜娜"
    assert len(push_templates.name("欧阳娜娜娜娜娜娜娜娜娜娜")["value"]) == 10
    assert push_templates.character_string("A" * 40)["value"] == "A" * 32


def test_a_time_field_is_on_the_citys_clock(app):
    assert push_templates.time(datetime(2026, 11, 29, 7, 1))["value"] == "2026年11月29日 15:01"
    assert push_templates.time(datetime(2026, 11, 29, 7, 1, tzinfo=UTC))["value"] == "2026年11月29日 15:01"
    # Late evening UTC is the next morning in the city.
    assert push_templates.time(datetime(2026, 1, 4, 20, 5))["value"] == "2026年1月5日 04:05"


def test_every_builder_keeps_long_inputs_within_the_limits(app):
    long = "很长的文字" * 20
    employer = SimpleNamespace(name=long)
    job = SimpleNamespace(
        title=long,
        employer=employer,
        wage_min=123456,
        wage_max=654321,
        wage_unit="hour",
        address=long,
    )
    at = datetime(2026, 11, 29, 7, 1)
    built = {
        "job_match": push_templates.job_match(job, distance_m=123456.0),
        "job_match_no_distance": push_templates.job_match(job),
        "application_update": push_templates.application_update(SimpleNamespace(id=1), job, "interview", at),
        "application_update_unknown": push_templates.application_update(
            SimpleNamespace(id=1), job, "some_new_status_name", at
        ),
        "checkin_followup": push_templates.checkin_followup(long, long, at),
        "visit_notice": push_templates.visit_notice(long, at),
        "policy_notice": push_templates.policy_notice(long, long, at),
        "record_update": push_templates.record_update(long, long, at, long),
        "record_update_no_note": push_templates.record_update("失业登记", "已受理", at),
    }

    for data in built.values():
        assert_within_limits(data)
    assert built["job_match"]["thing1"]["value"] == long[:19] + "…"
    assert built["job_match"]["thing3"]["value"] == "123456-654321元/小时"
    assert built["job_match"]["thing4"]["value"] == "距您123.5公里"
    assert built["application_update"]["phrase2"]["value"] == "邀请面试"
    assert built["application_update"]["time3"]["value"] == "2026年11月29日 15:01"
    assert built["visit_notice"]["time2"]["value"] == "2026年11月29日 15:01"
    assert built["record_update"]["phrase2"]["value"] == long[:5]
    assert built["record_update_no_note"]["thing4"]["value"] == "-"
    # No employer, no wage: still valid fields.
    bare = push_templates.job_match(
        SimpleNamespace(
            title="保洁", employer=None, wage_min=None, wage_max=None, wage_unit="month", address=None
        )
    )
    assert bare == {
        "thing1": {"value": "保洁"},
        "thing2": {"value": "-"},
        "thing3": {"value": "面议"},
        "thing4": {"value": "-"},
    }


def test_every_configured_template_has_a_working_builder(app):
    for key, settings in app.config["PUSH_TEMPLATES"].items():
        loaded = push_templates.template(key)
        assert callable(loaded["builder"]), key
        assert push_templates.by_template_id(settings["template_id"]) == key
    assert push_templates.by_template_id("tmpl-nobody") is None


# ---- staff views ----------------------------------------------------------------------------


@pytest.fixture
def pushed(client, app, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers):
    """One job pushed to three residents: two in 昱中 (one sent, one refused by WeChat), one in 昱东."""
    sent = seeker(29.7170, 118.3190, community_code="341002002001")
    refused = seeker(29.7150, 118.3170, community_code="341002002002", granted=0)
    elsewhere = seeker(29.7200, 118.3300, community_code="341002001001")
    _, boss = make_employer()
    job_id = publish(client, staff_headers, make_job, boss)
    rows = {row.account_id: row for row in pushes_of(job_id)}
    assert {rows[p.id].status for p in (sent, elsewhere)} == {"sent"}
    assert rows[refused.id].status == "failed"
    return SimpleNamespace(job_id=job_id, sent=sent, refused=refused, elsewhere=elsewhere, rows=rows)


def listed(client, headers, **query) -> dict:
    """GET the push list and return its body."""
    response = client.get(PUSHES, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_staff_see_the_pushes_of_people_in_their_place(client, pushed, staff_headers):
    _, yuzhong = staff_headers("township_admin", "township", YUZHONG)
    _, yudong = staff_headers("township_admin", "township", YUDONG)
    _, district = staff_headers("district_admin", "district", TUNXI)
    _, other_district = staff_headers("district_admin", "district", HUANGSHAN_DISTRICT)

    mine = listed(client, yuzhong)
    theirs = listed(client, yudong)

    assert mine["total"] == 2
    assert {item["account_id"] for item in mine["items"]} == {pushed.sent.id, pushed.refused.id}
    assert [item["account_id"] for item in theirs["items"]] == [pushed.elsewhere.id]
    assert listed(client, district)["total"] == 3
    assert listed(client, other_district)["items"] == []
    refused = next(item for item in mine["items"] if item["account_id"] == pushed.refused.id)
    assert refused["kind"] == "job_match"
    assert (refused["object_type"], refused["object_id"]) == ("job", str(pushed.job_id))
    assert refused["status"] == "failed"
    assert refused["last_error"].startswith("43101")
    assert refused["attempts"] == 1
    assert refused["sent_at"] is None
    assert refused["day"] == clock.local_day().isoformat()
    assert refused["score"] == pushed.rows[pushed.refused.id].score
    # Newest first.
    assert [item["id"] for item in mine["items"]] == sorted(
        (item["id"] for item in mine["items"]), reverse=True
    )


def test_staff_filter_the_pushes_by_status_kind_and_day(client, pushed, staff_headers):
    _, yuzhong = staff_headers("township_admin", "township", YUZHONG)
    today = clock.local_day()

    failed = listed(client, yuzhong, status="failed")
    sent = listed(client, yuzhong, status="sent", kind="job_match", date=today.isoformat())

    assert [item["account_id"] for item in failed["items"]] == [pushed.refused.id]
    assert [item["account_id"] for item in sent["items"]] == [pushed.sent.id]
    assert listed(client, yuzhong, kind="application_update")["total"] == 0
    assert listed(client, yuzhong, date=(today - timedelta(days=1)).isoformat())["total"] == 0
    assert listed(client, yuzhong, status="scheduled")["total"] == 0
    for bad in ({"status": "lost"}, {"kind": "spam"}, {"date": "yesterday"}):
        assert client.get(PUSHES, query_string=bad, headers=yuzhong).status_code == 422, bad


def test_staff_count_pushes_per_day_kind_and_status(client, pushed, staff_headers):
    _, yuzhong = staff_headers("township_admin", "township", YUZHONG)
    _, district = staff_headers("district_admin", "district", TUNXI)
    today = clock.local_day().isoformat()

    mine = client.get(f"{PUSHES}/counts", headers=yuzhong)
    everyone = client.get(f"{PUSHES}/counts", query_string={"from": today, "to": today}, headers=district)

    assert mine.status_code == everyone.status_code == 200
    assert mine.get_json()["items"] == [
        {"date": today, "kind": "job_match", "status": "failed", "count": 1},
        {"date": today, "kind": "job_match", "status": "sent", "count": 1},
    ]
    assert everyone.get_json()["items"] == [
        {"date": today, "kind": "job_match", "status": "failed", "count": 1},
        {"date": today, "kind": "job_match", "status": "sent", "count": 2},
    ]
    earlier = (clock.local_day() - timedelta(days=3)).isoformat()
    none = client.get(f"{PUSHES}/counts", query_string={"from": earlier, "to": earlier}, headers=district)
    assert none.get_json()["items"] == []


def test_a_counts_range_that_runs_backwards_is_422(client, places, staff_headers):
    _, district = staff_headers("district_admin", "district", TUNXI)

    response = client.get(
        f"{PUSHES}/counts", query_string={"from": "2026-11-29", "to": "2026-11-28"}, headers=district
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_date_range"


def test_residents_cannot_read_the_push_lists(client, wechat_login):
    _, headers, _ = wechat_login()

    assert client.get(PUSHES, headers=headers).status_code == 403
    assert client.get(f"{PUSHES}/counts", headers=headers).status_code == 403
    assert client.get(PUSHES).status_code == 401


def test_a_push_to_someone_without_a_community_is_seen_by_the_staff_of_the_jobs_place(
    client, daytime, seeker, make_employer, make_job, staff_headers
):
    homeless_in_ledger = seeker()  # a home on the map, no community chosen yet
    _, boss = make_employer()
    job_id = publish(client, staff_headers, make_job, boss)
    [row] = pushes_of(job_id)
    assert row.account_id == homeless_in_ledger.id
    job = db.session.get(Job, job_id)

    assert (row.community_id, row.township_id, row.city_id) == (
        job.community_id,
        job.township_id,
        job.city_id,
    )
    _, city = staff_headers("city_admin", "city", "341000000000")
    listed = client.get("/api/v1/pushes", headers=city).get_json()
    assert [item["id"] for item in listed["items"]] == [row.id]


def test_a_revived_expired_job_reaches_seekers_who_came_since_and_nobody_twice(
    client, daytime, fake_wechat, seeker, make_employer, make_job, staff_headers
):
    first = seeker(accepts=2, granted=2)
    _, boss = make_employer()
    job_id = publish(client, staff_headers, make_job, boss)
    job = db.session.get(Job, job_id)
    job.status = "expired"
    db.session.commit()
    newcomer = seeker()

    revived = client.post(f"/api/v1/jobs/{job_id}/refresh", headers=boss)

    assert revived.status_code == 200, revived.get_json()
    assert len(messages(fake_wechat, newcomer.openid)) == 1
    assert len(messages(fake_wechat, first.openid)) == 1  # not a second time


def test_old_subscription_reports_are_forgotten_by_the_hourly_purge(app, client, wechat_login):
    from app.tasks.maintenance import purge_qr_token_uses

    _, headers, _ = wechat_login()
    assert report(client, headers, {JOB_MATCH: "accept"}, client_id="old-report-1").status_code == 200
    db.session.execute(sa.update(SubscriptionReport).values(created_at=utcnow() - timedelta(days=8)))
    db.session.commit()

    purge_qr_token_uses()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubscriptionReport)) == 0
