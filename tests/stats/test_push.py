"""Push: sent, refused for want of quota, skipped for other reasons, failed, per template and day."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Account
from app.services.stats.base import label
from tests.stats.conftest import CITY, LJ1, YD1, YUZHONG, YZ1, add_push, get_section, last_month, rows_by


@pytest.fixture
def pushes(places):
    """Last month: job matches sent, refused, capped and failed; application news sent; one in 昱东."""
    account = Account(role="resident", openid="push-stats")
    db.session.add(account)
    db.session.commit()
    first, second = last_month(), last_month() + timedelta(days=1)
    for status, reason, day in (
        ("sent", None, first),
        ("sent", None, first),
        ("skipped", "no_quota", first),
        ("skipped", "no_quota", second),
        ("skipped", "daily_cap", second),
        ("failed", "43101 user refuse to accept the msg", second),
        ("pending", None, second),
    ):
        add_push(account.id, YZ1, day, status, reason=reason)
    add_push(account.id, LJ1, first, "sent", kind="application_update")
    add_push(account.id, YD1, first, "skipped", reason="no_quota")
    return account


def test_sent_refused_failed_per_template(client, staff, pushes):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "push", month=label(last_month()))

    figures = body["figures"]
    assert (figures["total"], figures["sent"], figures["refused"], figures["skipped_other"]) == (9, 3, 3, 1)
    assert (figures["failed"], figures["pending"], figures["sent_rate"]) == (1, 1, round(3 / 9, 4))
    templates = rows_by(body["tables"]["by_template"], "key")
    assert (templates["job_match"]["total"], templates["job_match"]["refused"]) == (8, 3)
    assert (templates["application_update"]["sent"], templates["application_update"]["name"]) == (
        1,
        "投递进展",
    )
    assert templates["policy_notice"]["total"] == 0
    reasons = {row["key"]: row["value"] for row in body["tables"]["skip_reasons"]["rows"]}
    assert (reasons["no_quota"], reasons["daily_cap"], reasons["opted_out"]) == (3, 1, 0)
    daily = body["series"]["daily"]
    assert daily["x"][0] == last_month().isoformat()
    sent = next(s for s in daily["series"] if s["key"] == "sent")["data"]
    assert sent[:2] == [3, 0]


def test_a_township_sees_its_residents_pushes(client, staff, pushes):
    _, headers = staff("township_admin", YUZHONG)

    body = get_section(client, headers, "push", month=label(last_month()))

    assert (body["figures"]["total"], body["figures"]["refused"]) == (7, 2)
    assert get_section(client, headers, "push")["figures"]["total"] == 0  # none this month
