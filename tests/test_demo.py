"""The demo of `make run`: demo data and its accounts (the README walk-through: test_readme_walkthrough)."""

import csv
import re
import time
from datetime import date, timedelta

import pyotp
import pytest
import requests
import sqlalchemy as sa

from app.common.clock import local_day, utc_start_of
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    Application,
    Certification,
    CheckIn,
    Community,
    ConsentRecord,
    Employer,
    EmployerVisit,
    HiringNeed,
    Household,
    Job,
    JobReport,
    LedgerSnapshot,
    Push,
    RecoveryCode,
    Registration,
    Resident,
    ServeOutcome,
    StatusChange,
    Visit,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.demo import DEMO_COMMUNITIES
from app.services.demo.dates import months_back, weekdays
from app.services.people import console_sign_in, second_factor
from app.services.people.places import find_place
from tests.support import count

DEMO_PASSWORD = "demo-password-for-tests"


def test_demo_data_is_refused_outside_development(runner, places):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 1
    assert "only in the development config" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_demo_data_makes_the_accounts_and_households_of_the_demo(app, client, runner, places, fake_wechat):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    first = runner.invoke(args=["demo-data"])
    again = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    # Six named residents, and three households of 3, 2 and 3 people in each of 18 communities.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 6 + 18 * 8  # idempotent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 18 * 3
    usernames = set(db.session.scalars(sa.select(Account.username).where(Account.username.is_not(None))))
    grid_workers = {name for name in usernames if name.startswith("demo-grid-3410")}
    assert len(grid_workers) == 17  # one per demo community; 341002002001 has demo-grid-worker
    named = {
        "demo-city-admin",
        "demo-district-admin",
        "demo-township-admin",
        "demo-supervisor",
        "demo-operator",
        "demo-grid-worker",
        "demo-station-staff",
    }
    assert usernames - grid_workers == named
    # A few key-group certifications (one certified, two pending, one rejected), made once.
    statuses = sorted(db.session.scalars(sa.select(Certification.status)))
    assert statuses == ["certified", "pending", "pending", "rejected"]
    # A few registrations of both kinds (accepted, under review, awaiting confirmation, rejected), made once.
    rows = db.session.execute(sa.select(Registration.kind, Registration.status))
    kinds = sorted(tuple(row) for row in rows)
    assert kinds == [
        ("employment", "accepted"),
        ("employment", "pending_confirmation"),
        ("unemployment", "accepted"),
        ("unemployment", "rejected"),
        ("unemployment", "submitted"),
    ]

    # 1. A resident logs in with WeChat, reads and edits the profile.
    codes = fake_wechat.codes()
    login = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]})
    resident = {"Authorization": f"Bearer {login.get_json()['token']}"}
    # Nothing personal is saved before the current documents are accepted (docs/PEOPLE.md).
    documents = client.get("/api/v1/consent-documents").get_json()["items"]
    chosen = [{"purpose": d["purpose"], "version": d["version"]} for d in documents]
    assert client.post("/api/v1/me/consents", json={"documents": chosen}, headers=resident).status_code == 200
    edit = client.patch(
        "/api/v1/me",
        headers=resident,
        json={"name": "赵敏", "id_number": "341002199003070024", "community_code": "341002002001"},
    )
    assert edit.status_code == 200
    assert edit.get_json()["id_number"] == "3410**********0024"
    assert client.get("/api/v1/me", headers=resident).get_json()["name"] == "赵敏"

    # 2. Staff log in with the demo password.
    for username in sorted(usernames - grid_workers) + sorted(grid_workers)[:1]:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, username
    token = client.post(
        "/api/v1/auth/login", json={"username": "demo-grid-worker", "password": DEMO_PASSWORD}
    ).get_json()["token"]
    staff = {"Authorization": f"Bearer {token}"}

    # 3. The grid worker sees their community (three demo residents, eight household members and
    #    the new one) only, and has a non-empty checklist.
    listed = client.get("/api/v1/residents", headers=staff).get_json()
    assert listed["total"] == 3 + 8 + 1
    checklist = client.get("/api/v1/grid/checklist", headers=staff).get_json()
    assert checklist["remaining"] == 3 and len(checklist["items"]) == 3
    elsewhere = db.session.scalar(
        sa.select(Resident.id).where(Resident.community_id.is_not(None), Resident.name == "刘洋")
    )
    response = client.get(f"/api/v1/residents/{elsewhere}", headers=staff)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "resident_not_found"


def test_create_admin_command_creates_then_resets(runner, client, places):
    args = ["create-admin", "--username", "city-boss", "--password", "first-password-1"]
    created = runner.invoke(args=args)
    assert created.exit_code == 0 and "created city_admin city-boss" in created.output
    reset = runner.invoke(args=["create-admin", "--username", "city-boss", "--password", "second-password-2"])
    assert reset.exit_code == 0 and "updated city_admin city-boss" in reset.output
    old = client.post("/api/v1/auth/login", json={"username": "city-boss", "password": "first-password-1"})
    new = client.post("/api/v1/auth/login", json={"username": "city-boss", "password": "second-password-2"})
    assert (old.status_code, new.status_code) == (401, 200)


def test_create_admin_command_rejects_a_bad_place_and_short_password(runner, places):
    bad_place = runner.invoke(
        args=["create-admin", "--username", "x-admin", "--password", "long-enough-1", "--scope-code", "999"]
    )
    short = runner.invoke(args=["create-admin", "--username", "y-admin", "--password", "short"])
    assert bad_place.exit_code != 0 and "No city with code 999" in bad_place.output
    assert short.exit_code != 0 and "at least 10 characters" in short.output


def test_demo_data_puts_verified_employers_and_jobs_around_every_tunxi_circle(
    app, client, runner, places, fake_wechat
):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    employers = db.session.scalars(sa.select(Employer)).all()
    assert len(employers) == 8 and {e.status for e in employers} == {"verified"}
    circles = {job.circle_id for job in db.session.scalars(sa.select(Job).where(Job.status == "published"))}
    assert len(circles) == 6

    # Jobs near 昱中街道 show up nearest first.
    found = client.get("/api/v1/jobs", query_string={"lat": 29.716, "lng": 118.318})
    items = found.get_json()["items"]
    assert items and all(item["distance_m"] <= 3000 for item in items)
    assert [item["distance_m"] for item in items] == sorted(item["distance_m"] for item in items)

    # A logged-in resident can call the employer of the nearest job.
    codes = fake_wechat.codes()
    token = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]}).get_json()["token"]
    contact = client.get(
        f"/api/v1/jobs/{items[0]['job']['id']}/contact", headers={"Authorization": f"Bearer {token}"}
    )
    assert contact.get_json()["contact_phone"].startswith("1390001")

    # A demo employer logs in through the fake WeChat with its openid and sees its jobs.
    codes = fake_wechat.codes("demo-employer-1")
    token = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]}).get_json()["token"]
    mine = client.get("/api/v1/jobs/managed", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200
    assert {job["title"] for job in mine.get_json()["items"]} == {"茶叶包装工", "茶艺讲解员"}


def test_the_fake_wechat_plays_the_answer_to_request_subscribe_message(fake_wechat):
    def tap(openid, answer="accept"):
        body = {"openid": openid, "tmplIds": ["tmpl-a", "tmpl-b"], "answer": answer}
        return requests.post(
            fake_wechat.base_url + "_fake/request-subscribe-message", json=body, timeout=5
        ).json()

    assert tap("o-demo-tap") == {
        "tmpl-a": "accept",
        "tmpl-b": "accept",
        "errMsg": "requestSubscribeMessage:ok",
    }
    tap("o-demo-tap")
    tap("o-demo-refuser", "reject")
    quotas = fake_wechat.state.quotas
    assert (
        quotas[("o-demo-tap", "tmpl-a")] == 2 and quotas[("o-demo-tap", "tmpl-b")] == 2
    )  # one send per accept
    assert ("o-demo-refuser", "tmpl-a") not in quotas
    assert tap("", "accept")["errcode"] == 40003


# ---- the console's demo: `flask dev-setup` (what `make run` runs) fills every dashboard ----------

DEMO_TABLES = (
    Account,
    Resident,
    Household,
    StatusChange,
    ZeroEmploymentCase,
    LedgerSnapshot,
    Visit,
    CheckIn,
    Push,
    Application,
    JobReport,
    Job,
    Employer,
    EmployerVisit,
    HiringNeed,
    RecoveryCode,
)
# The staff added for the console, with their places (kind, code).
CONSOLE_STAFF = {
    "demo-district-admin": ("district_admin", "district", "341002000000"),
    "demo-township-admin": ("township_admin", "township", "341002002000"),
    "demo-supervisor": ("supervisor", "district", "341002000000"),
}


@pytest.fixture
def dev_setup(app, runner):
    """Run `flask dev-setup` once, as `make run` does; return its output."""
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    result = runner.invoke(args=["dev-setup"])
    assert result.exit_code == 0, result.output
    return result.output


def demo_community_ids() -> list[int]:
    """Return the ids of the demo communities."""
    codes = [row["code"] for row in csv.DictReader(DEMO_COMMUNITIES.read_text(encoding="utf-8").splitlines())]
    return list(db.session.scalars(sa.select(Community.id).where(Community.code.in_(codes))))


def test_every_console_role_has_a_demo_account_that_signs_in(app, client, dev_setup):
    for username, (role, kind, code) in CONSOLE_STAFF.items():
        account = db.session.scalar(sa.select(Account).where(Account.username == username))
        assert (account.role, account.scope_kind, account.scope_id) == (role, kind, find_place(kind, code).id)
    named = db.session.scalars(
        sa.select(Account).where(Account.username.like("demo-%"), Account.username.not_like("demo-grid-3%"))
    ).all()
    assert {account.role for account in named} == {role.value for role in STAFF_ROLES}

    # City and district admins have TOTP on the fixed demo secret (printed at start); others none.
    secret = app.config["DEMO_TOTP_SECRET"]
    assert f"TOTP secret of demo-city-admin, demo-district-admin: {secret}" in dev_setup
    for account in named:
        needs_code = account.role in ("city_admin", "district_admin")
        credentials = {"username": account.username, "password": DEMO_PASSWORD}
        # The API asks the admins for their code too (the demo secret's, printed at start).
        password_only = client.post("/api/v1/auth/login", json=credentials)
        assert password_only.status_code == (401 if needs_code else 200), account.username
        if needs_code:
            assert password_only.get_json()["error"]["code"] == "totp_required"
            code = pyotp.TOTP(secret).now()
            signed_in = client.post("/api/v1/auth/login", json={**credentials, "totp_code": code})
            assert signed_in.status_code == 200, (account.username, signed_in.get_json())
        step = console_sign_in.sign_in(account.username, DEMO_PASSWORD, "127.0.0.1", "pytest")
        assert step.next == (console_sign_in.SECOND_FACTOR if needs_code else console_sign_in.DONE), (
            account.username
        )
        assert second_factor.enabled(account) is needs_code
        if needs_code:
            # The API login used this step's code: the console takes the next step's, not a replay.
            assert not second_factor.verify(account, code), account.username
            next_code = pyotp.TOTP(secret).at(time.time() + second_factor.STEP_SECONDS)
            assert second_factor.verify(account, next_code), account.username
            assert (
                count(RecoveryCode, RecoveryCode.account_id == account.id)
                == second_factor.RECOVERY_CODE_COUNT
            )


def test_dev_setup_fills_every_dashboard_with_months_of_history(app, dev_setup):
    today, this_month = local_day(), local_day().replace(day=1)
    month_began = utc_start_of(this_month)
    communities = demo_community_ids()

    # People: a snapshot per demo community for this month and each of the six before, with flows.
    months = [f"{this_month:%Y-%m}"] + [f"{months_back(this_month, n):%Y-%m}" for n in range(1, 7)]
    snapshots = db.session.scalars(
        sa.select(LedgerSnapshot).where(LedgerSnapshot.community_id.in_(communities))
    ).all()
    assert {(s.month, s.community_id) for s in snapshots} >= {(m, c) for m in months for c in communities}
    past = [s for s in snapshots if s.month in months[1:]]
    for row in past:
        assert row.residents == sum(row.by_status.values()) > 0
        assert set(row.flows) == {"became_unemployed", "re_employed", "registered_unemployed"}
        assert row.coverage["met"] <= row.households and row.created_at > utc_start_of(
            date.fromisoformat(row.month + "-28")
        )
    employed = {m: sum(s.by_status.get("employed", 0) for s in snapshots if s.month == m) for m in months}
    assert employed[months[6]] < employed[months[0]]  # re-employment over the half year
    assert sum(sum(s.flows.values()) for s in past) > 0
    now = [s for s in snapshots if s.month == months[0]]
    for flow in ("became_unemployed", "re_employed", "registered_unemployed"):
        assert sum(s.flows[flow] for s in now) >= 1, flow  # this month's changes, counted by the service

    # Zero-employment households: one cleared this month, others open for weeks or months.
    cases = db.session.scalars(sa.select(ZeroEmploymentCase)).all()
    assert [c for c in cases if c.cleared_at is not None and c.cleared_at >= month_began]
    still_open = [c for c in cases if c.cleared_at is None]
    assert len(still_open) >= 10 and min(c.opened_at for c in still_open) < utcnow() - timedelta(days=60)

    # Grid work: visits last month, most workers on the plan's 10 days and some behind it; this month too.
    last_month = months_back(this_month, 1)
    days = dict(
        db.session.execute(
            sa.select(Visit.worker_id, sa.func.count(sa.distinct(Visit.visit_day)))
            .where(Visit.visit_day.between(last_month, this_month - timedelta(days=1)))
            .group_by(Visit.worker_id)
        ).all()
    )
    assert len(days) == 18 and min(days.values()) < 10 <= max(days.values())
    if weekdays(this_month, today):
        assert count(Visit, Visit.visit_day >= this_month) > 0
    assert count(Visit, Visit.visited_at > utcnow()) == 0
    assert count(Visit, Visit.channel == "phone", Visit.lat.is_(None)) > 0  # a few calls (电话访谈)

    # Stations: check-ins at every station over the past weeks, served after minutes, coded outcomes.
    check_ins = db.session.scalars(sa.select(CheckIn)).all()
    assert len({c.station_id for c in check_ins}) == 6 and all(c.day < today for c in check_ins)
    served = [c for c in check_ins if c.served_at is not None]
    assert {c.outcome for c in served} == {outcome.value for outcome in ServeOutcome}
    assert all(timedelta(minutes=1) <= c.served_at - c.created_at <= timedelta(minutes=75) for c in served)
    assert all(c.queue_number is not None for c in served)
    if app.config["DEMO_STATION_HOURS"] != "always":  # someone came at lunchtime: no queue number
        assert any(c.queue_number is None and c.served_at is None for c in check_ins)
    follow_ups = [c for c in served if c.follow_up]
    assert {c.outcome for c in follow_ups} == {"follow_up_needed"}
    assert any(c.follow_up_closed_at is None for c in follow_ups)
    assert any(c.follow_up_closed_at is not None for c in follow_ups)

    # Jobs: every state, an employer to verify, applications with interviews and hires, a report open.
    assert {"published", "expired", "closed", "pending_review"} <= set(
        db.session.scalars(sa.select(Job.status))
    )
    assert count(Employer, Employer.status == "pending", Employer.account_id.is_not(None)) == 1
    # Employers met in the field: one registered by staff (not claimed), visits and a call, drafts.
    assert count(Employer, Employer.account_id.is_(None)) == 1
    assert {v.channel for v in db.session.scalars(sa.select(EmployerVisit))} == {"visit", "phone"}
    assert count(HiringNeed, HiringNeed.job_id.is_not(None)) >= 1 and count(Job, Job.status == "draft") >= 1
    assert {"submitted", "interview", "hired"} <= set(db.session.scalars(sa.select(Application.status)))
    assert count(JobReport, JobReport.cleared_at.is_(None)) >= 1

    # Pushes: sent, refused for want of quota, failed, across templates (none of the walk-through's).
    pushes = db.session.execute(sa.select(Push.kind, Push.status, Push.last_error)).all()
    # Seeded after 21:00 Beijing time, a push made now waits for the end of the quiet hours.
    statuses = {p.status for p in pushes}
    assert {"sent", "skipped", "failed"} <= statuses <= {"sent", "skipped", "failed", "scheduled"}
    assert any(p.status == "skipped" and p.last_error == "no_quota" for p in pushes)
    # record_update: the outcomes of registrations of residents without WeChat go by SMS (issue 20).
    kinds = {"job_match", "checkin_followup", "visit_notice", "policy_notice", "record_update"}
    assert {p.kind for p in pushes} == kinds

    # Consents: every app user has accepted the current documents (the gate lets them save).
    assert count(ConsentRecord, ConsentRecord.client_version == "demo") == 3 * count(
        Account, Account.openid.like("demo-resident-%")
    )

    # Small: a few hundred rows of each kind, so a first `make run` stays quick.
    for model in (LedgerSnapshot, Visit, CheckIn, Push, Application):
        assert count(model) < 700, model.__tablename__


def test_dev_setup_twice_changes_nothing_the_second_time(app, runner, dev_setup):
    before = {model.__tablename__: count(model) for model in DEMO_TABLES}
    snapshots = db.session.execute(sa.select(LedgerSnapshot).order_by(LedgerSnapshot.id)).scalars().all()
    rows = [(s.id, s.month, s.community_id, s.by_status, s.flows, s.created_at) for s in snapshots]
    db.session.commit()

    again = runner.invoke(args=["dev-setup"])

    assert again.exit_code == 0, again.output
    added = again.output.split("demo activity added: ")[1].split(";")[0]
    assert set(re.findall(r"\d+", added)) == {"0"}, added
    assert {model.__tablename__: count(model) for model in DEMO_TABLES} == before
    snapshots = db.session.execute(sa.select(LedgerSnapshot).order_by(LedgerSnapshot.id)).scalars().all()
    assert [(s.id, s.month, s.community_id, s.by_status, s.flows, s.created_at) for s in snapshots] == rows
