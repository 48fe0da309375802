"""Demo pushes of the last two weeks, across templates: sent, refused for want of quota, failed.

Inserted as rows with their outcome: sending needs WeChat and each person's subscription; the
demo shows what the push dashboard counts. No application_update push: the README walk-through
checks that its interview message is the only one of that template.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, month_end
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    CheckIn,
    Household,
    Push,
    PushStatus,
    Resident,
    Station,
    Visit,
    VisitOutcome,
)
from app.services.demo.dates import at_local, months_back, rng, this_month
from app.services.demo.jobs import applicable_jobs
from app.services.push import templates

PUSH_DAYS = 14
# Outcomes by template, with weights: (status, last_error, weight).
NO_QUOTA = (PushStatus.skipped, "no_quota")
OUTCOMES = {
    "job_match": (
        (PushStatus.sent, None, 60),
        (*NO_QUOTA, 25),
        (PushStatus.failed, "43101 user refuse to accept the msg", 10),
        (PushStatus.failed, "timeout: outcome unknown, not resent", 5),
    ),
    "checkin_followup": (
        (PushStatus.sent, None, 75),
        (*NO_QUOTA, 10),
        (PushStatus.failed, "47003 argument invalid!", 15),
    ),
    "visit_notice": ((PushStatus.sent, None, 80), (PushStatus.skipped, "opted_out", 10), (*NO_QUOTA, 10)),
    "policy_notice": (
        (PushStatus.sent, None, 70),
        (*NO_QUOTA, 20),
        (PushStatus.failed, "40003 invalid openid", 10),
    ),
}
POLICIES = ("创业担保贷款贴息政策", "灵活就业社保补贴")


def demo_pushes(users: list[tuple[Account, Resident]]) -> int:
    """Add the missing demo pushes of the last two weeks; return how many were added."""
    if not users:
        return 0
    today = local_day()
    first = today - timedelta(days=PUSH_DAYS)
    by_account = {account.id: resident for account, resident in users}
    wanted = []  # (day, account id, kind, object type, object id, data builder arguments)
    jobs = applicable_jobs()
    for back in range(PUSH_DAYS, 0, -1):
        day = today - timedelta(days=back)
        draw = rng("job-match", day)
        for _ in range(draw.randint(1, 3) if jobs else 0):
            account, resident = draw.choice(users)
            job = draw.choice(jobs)
            wanted.append(
                (
                    day,
                    account.id,
                    "job_match",
                    "job",
                    job.id,
                    {"job": job, "distance_m": draw.randint(300, 2900)},
                )
            )
    for row, station_name in db.session.execute(
        sa.select(CheckIn, Station.name)
        .join(Station, Station.id == CheckIn.station_id)
        .where(CheckIn.follow_up.is_(True), CheckIn.day >= first, CheckIn.client_id.like("demo-%"))
    ):
        at = row.served_at or row.created_at
        note = row.outcome_note or "待跟进"
        wanted.append(
            (
                row.day,
                row.account_id,
                "checkin_followup",
                "check_in",
                row.id,
                {"station_name": station_name, "note": note, "at": at},
            )
        )
    for visit, account_id in db.session.execute(
        sa.select(Visit, Resident.account_id)
        .join(Household, Household.id == Visit.household_id)
        .join(Resident, Resident.household_id == Household.id)
        .where(
            Visit.visit_day >= first,
            Visit.visit_day < today,
            Visit.outcome == VisitOutcome.met,
            Visit.channel == "door",  # the notice is of a door-to-door visit (入户走访), not a call
            Visit.client_id.like("demo-%"),
            Resident.account_id.in_(list(by_account)),
        )
        .order_by(Visit.id)
    ):
        if rng("visit-notice", visit.client_id, account_id).random() >= 0.35:
            continue  # one met household in three hears of it afterwards
        wanted.append(
            (
                visit.visit_day,
                account_id,
                "visit_notice",
                "visit",
                visit.id,
                {"content": "网格员入户走访：就业政策宣传", "at": visit.visited_at},
            )
        )
    for number, month in enumerate((this_month(), months_back(this_month(), 1))):
        # A notice of the month goes out on its 5th, or the nearest day of the two weeks shown.
        day = min(max(month + timedelta(days=4), first), today - timedelta(days=1), month_end(month))
        if not (first <= day < today and day >= month):
            continue
        draw = rng("policy", month)
        title = POLICIES[number % len(POLICIES)]
        for account, _ in draw.sample(users, min(len(users), 8)):
            arguments = {"title": title, "summary": "符合条件可在服务站申请", "at": at_local(day, 9 * 60)}
            wanted.append((day, account.id, "policy_notice", "notice", f"demo-{month:%Y-%m}", arguments))
    return _insert(wanted, by_account)


def _insert(wanted: list[tuple], by_account: dict[int, Resident]) -> int:
    """Insert the wanted pushes not there yet (the push table's unique key), each with its outcome."""
    have = set(
        db.session.execute(
            sa.select(Push.account_id, Push.kind, Push.object_type, Push.object_id).where(
                Push.account_id.in_(list(by_account))
            )
        ).all()
    )
    rows, settings = [], current_app.config["PUSH_TEMPLATES"]
    for day, account_id, kind, object_type, object_id, arguments in wanted:
        key = (account_id, kind, object_type, str(object_id))
        if key in have:
            continue
        have.add(key)
        draw = rng("push", *key)
        status, error, _ = draw.choices(OUTCOMES[kind], weights=[o[2] for o in OUTCOMES[kind]])[0]
        made = at_local(day, draw.randint(9 * 60, 20 * 60))
        rows.append(_row(day, made, key, status, error, settings[kind]["page"], arguments, by_account, draw))
    if rows:
        db.session.execute(sa.insert(Push), rows)
    return len(rows)


def _row(day: date, made: datetime, key, status, error, page, arguments, by_account, draw) -> dict:
    """Build one push row as its send left it."""
    account_id, kind, object_type, object_id = key
    build = getattr(templates, kind)
    called = status == PushStatus.sent or (status == PushStatus.failed and error)
    done = made + timedelta(seconds=draw.randint(1, 40))
    resident = by_account[account_id]
    return {
        "account_id": account_id,
        "kind": kind,
        "object_type": object_type,
        "object_id": object_id,
        "status": status.value,
        "score": round(draw.uniform(0.4, 0.95), 3) if kind == "job_match" else None,
        "data": build(**arguments),
        "page": page,
        "day": day,
        "send_after": made,
        "attempts": 1 if called else 0,
        "claimed_at": done if called else None,
        "called_at": done if called else None,
        "last_error": error,
        "msgid": f"demo{draw.randrange(10**9, 10**10)}" if status == PushStatus.sent else None,
        "created_at": made,
        "sent_at": done if status == PushStatus.sent else None,
        **{name: getattr(resident, name) for name in PLACE_COLUMN_NAMES},
    }
