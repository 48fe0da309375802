"""Reconciliation against the fake province: a day's counts on both sides, a lost record, the resend."""

from datetime import timedelta

import sqlalchemy as sa

from app import province
from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, utcnow
from app.models.exchange import ExchangeReconciliation, ExchangeRecord
from app.services.exchange import reconcile, relay
from app.tasks.maintenance import SCHEDULE
from tests.support import console_client, error_of

LATER = timedelta(hours=2)  # past every backoff step


def ours() -> list[ExchangeRecord]:
    """Return every record, in id order."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ExchangeRecord).order_by(ExchangeRecord.id)))


def drain() -> None:
    """Run the sweep past the backoffs until nothing is left to send."""
    for _ in range(20):
        if not relay.sweep(now=utcnow() + LATER)["batches"]:
            return


def rows(day) -> dict[str, ExchangeReconciliation]:
    """Return the stored reconciliation rows of a day by record type."""
    db.session.expire_all()
    statement = sa.select(ExchangeReconciliation).where(ExchangeReconciliation.day == day)
    return {row.record_type: row for row in db.session.scalars(statement)}


def sent_people(app, make_resident, fake, n: int = 3) -> list[ExchangeRecord]:
    """Write n residents' status records, send them all to the fake; return the records."""
    app.config["PROVINCE_EXCHANGE"] = False
    for i in range(n):
        make_resident(status="unemployed", name=f"居民{i}")
    app.config["PROVINCE_EXCHANGE"] = True
    drain()
    records = ours()
    assert records and {r.status for r in records} == {"sent"}
    return records


def test_a_record_the_province_lost_shows_missing_there_and_a_resend_fixes_it(
    app, fake_province, make_resident
):
    records = sent_people(app, make_resident, fake_province)
    day = local_day(records[0].created_at)
    record_type = records[0].record_type
    mine = [r.idempotency_key for r in records if r.record_type == record_type]

    first = reconcile.reconcile(day)
    assert first["types"][record_type] == {
        "ours": len(mine),
        "theirs": len(mine),
        "missing_there": 0,
        "unknown_here": 0,
    }
    assert all(reconcile.agrees(row) for row in rows(day).values())

    lost = mine[1]
    fake_province.knobs(forget=[lost])
    reconcile.reconcile(day)
    row = rows(day)[record_type]
    assert (row.ours, row.theirs, row.missing_there, row.unknown_here) == (
        len(mine),
        len(mine) - 1,
        [lost],
        [],
    )
    assert len(rows(day)) == len(first["types"])  # a run again replaces the day's rows

    assert reconcile.resend(day=day) == len(records)
    assert {r.last_code for r in ours()} <= {"resent", None, "duplicate"}
    drain()
    assert {r.status for r in ours()} == {"sent"}
    held = {r["key"]: r["deliveries"] for r in fake_province.held()["records"]}
    assert held[lost] == 1  # applied again, once
    assert all(held[key] == 2 for key in mine if key != lost)  # the others: a duplicate, not applied twice
    reconcile.reconcile(day)
    row = rows(day)[record_type]
    assert (row.ours, row.theirs, row.missing_there, row.unknown_here) == (len(mine), len(mine), [], [])
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "exchange.resend_sent")).one()
    assert event.detail == {"day": day.isoformat(), "person": None, "count": len(records)}


def test_a_record_held_there_but_not_sent_here_is_unknown_here(app, fake_province, make_resident):
    records = sent_people(app, make_resident, fake_province, n=1)
    day = local_day(records[0].created_at)
    foreign = {"key": "hs-foreign", "type": "employer", "action": "create", "subject": "employer:9"}
    with app.test_request_context():
        province.upload([{**foreign, "created_on": day.strftime("%Y%m%d"), "data": {"name": "x"}}])
    reconcile.reconcile(day)
    row = rows(day)["employer"]
    assert (row.ours, row.theirs, row.unknown_here, row.missing_there) == (0, 1, ["hs-foreign"], [])


def test_the_daily_run_takes_yesterday_and_waits_when_the_province_is_down(app, fake_province, make_resident):
    assert ("exchange.reconcile", 24 * 3600) in SCHEDULE
    app.config["PROVINCE_EXCHANGE"] = False
    make_resident(status="unemployed", name="昨日")
    for record in ours():  # written yesterday, on the city's clock
        record.created_at -= timedelta(days=1)
    db.session.commit()
    app.config["PROVINCE_EXCHANGE"] = True
    drain()
    yesterday = local_day() - timedelta(days=1)

    fake_province.knobs(down=True)
    assert reconcile.reconcile()["unavailable"] is True
    assert rows(yesterday) == {}

    fake_province.knobs(down=False)
    result = reconcile.reconcile()
    assert result["day"] == yesterday.isoformat() and not result["unavailable"]
    counted = {t: row.ours for t, row in rows(yesterday).items() if row.ours}
    assert counted and all(rows(yesterday)[t].theirs == n for t, n in counted.items())
    assert all(reconcile.agrees(row) for row in rows(yesterday).values())


def test_a_person_is_resent_from_the_command_and_bad_usage_is_refused(
    app, fake_province, make_resident, runner
):
    records = sent_people(app, make_resident, fake_province, n=2)
    subject = records[0].subject
    person = int(subject.split(":")[1])
    result = runner.invoke(args=["exchange-resend", "--person", str(person)])
    assert result.exit_code == 0, result.output
    count = sum(1 for r in records if r.subject == subject)
    assert f"{count} records queued" in result.output
    drain()
    assert {r.status for r in ours()} == {"sent"}
    held = {r["key"]: r["deliveries"] for r in fake_province.held()["records"]}
    assert {key: n for key, n in held.items() if n == 2} == {
        r.idempotency_key: 2 for r in records if r.subject == subject
    }
    assert runner.invoke(args=["exchange-resend"]).exit_code == 2
    assert runner.invoke(args=["exchange-resend", "--day", "2026-13-01"]).exit_code == 2
    assert runner.invoke(args=["exchange-resend", "--day", "2026-01-01", "--person", "1"]).exit_code == 2


def test_the_api_shows_a_day_to_the_city_and_supervisor_only(app, client, staff_headers):
    day = local_day() - timedelta(days=1)
    db.session.add(
        ExchangeReconciliation(
            day=day, record_type="job", ours=2, theirs=1, missing_there=["hs-a"], unknown_here=[]
        )
    )
    db.session.add(ExchangeReconciliation(day=day, record_type="employer", ours=1, theirs=1))
    db.session.commit()
    _, city = staff_headers("city_admin", "city", "341000000000")
    body = client.get("/api/v1/exchange/reconciliations", headers=city).get_json()
    assert body["day"] == day.isoformat() and body["agree"] is False
    by_type = {row["record_type"]: row for row in body["types"]}
    assert by_type["job"]["missing_there"] == ["hs-a"] and by_type["job"]["agree"] is False
    assert by_type["employer"]["agree"] is True
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    other = (day - timedelta(days=1)).isoformat()
    answer = client.get(f"/api/v1/exchange/reconciliations?day={other}", headers=supervisor)
    assert (
        answer.status_code == 200 and answer.get_json()["types"] == [] and answer.get_json()["agree"] is None
    )
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    assert client.get("/api/v1/exchange/reconciliations", headers=operator).status_code == 403
    bad = client.get("/api/v1/exchange/reconciliations?day=tomorrow", headers=city)
    assert bad.status_code == 422 and error_of(bad)["field"] == "day"


def test_the_console_page_shows_a_days_reconciliation(app, make_staff):
    day = local_day() - timedelta(days=3)
    db.session.add(
        ExchangeReconciliation(day=day, record_type="job", ours=2, theirs=1, missing_there=["hs-lost"])
    )
    db.session.commit()
    client, _ = console_client(app, make_staff("supervisor", "circle", "341002-chengzhong"))
    page = client.get(f"/console/exchange?day={day.isoformat()}").get_data(as_text=True)
    assert 'data-testid="reconciliation"' in page and "hs-lost" in page and "不一致" in page
    empty = client.get("/console/exchange?day=nonsense").get_data(as_text=True)
    assert "该日尚未对账" in empty  # a mistyped day shows yesterday's, not reconciled here
