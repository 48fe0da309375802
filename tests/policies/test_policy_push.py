"""New matches push a policy_notice once per person and version, best value first, within the caps."""

import uuid
from datetime import UTC, timedelta

import pytest

from app.common import clock
from app.services.policies import matching
from tests.policies.matching_support import (
    REGISTERED_UNEMPLOYED,
    admins,
    matches,
    policy_pushes,
    publish,
    resident,
    set_status,
)
from tests.support import grant, messages

ME = "/api/v1/me"
SUBSCRIPTIONS = "/api/v1/me/subscriptions"
POLICY_TEMPLATE = "tmpl-policy-notice"


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs (a test sets its own quiet hours)."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def two_admins(make_staff, places):
    return admins(make_staff)


@pytest.fixture
def subscriber(client, wechat_login, fake_wechat, places):
    """A resident in the mini-program who said yes to policy notices: (resident id, openid)."""
    body, headers, codes = wechat_login()
    assert client.patch(ME, json={"community_code": "341002002001"}, headers=headers).status_code == 200
    report = client.post(
        SUBSCRIPTIONS,
        json={"client_id": uuid.uuid4().hex, "results": {POLICY_TEMPLATE: "accept"}},
        headers=headers,
    )
    assert report.status_code == 200, report.get_json()
    grant(fake_wechat, codes["openid"], POLICY_TEMPLATE)
    person = resident(status="unemployed", age=30, account_id=body["account"]["id"])
    return person.id, codes["openid"]


def test_a_new_match_pushes_once_per_person_and_version(two_admins, subscriber, fake_wechat):
    resident_id, openid = subscriber
    set_status(resident_id, "unemployed_registered")
    version_id = publish(*two_admins, REGISTERED_UNEMPLOYED, title="一次性求职创业补贴")

    (sent,) = messages(fake_wechat, openid)
    assert sent["template_id"] == POLICY_TEMPLATE
    assert sent["data"]["thing1"]["value"] == "一次性求职创业补贴"
    assert "1,000元" in sent["data"]["thing2"]["value"]
    (match,) = matches()
    assert sent["page"] == f"pages/policies/index?match={match.id}"
    assert match.notified_at is not None

    # Matching again, a lapse and a revival: the same person and version is never pushed twice.
    matching.match_version(version_id)
    matching.match_all()
    set_status(resident_id, "employed")
    set_status(resident_id, "unemployed_registered")
    assert len(messages(fake_wechat, openid)) == 1
    assert [p.status for p in policy_pushes()] == ["sent"]


def test_nobody_without_a_wechat_account_or_a_yes_is_pushed_yet_both_are_matched(
    two_admins, client, wechat_login, fake_wechat
):
    ledger_only = resident(status="unemployed_registered", age=30)
    body, headers, codes = wechat_login()  # in the mini-program, never said yes to policy notices
    client.patch(ME, json={"community_code": "341002002001"}, headers=headers)
    no_yes = resident(status="unemployed_registered", age=30, account_id=body["account"]["id"])

    publish(*two_admins, REGISTERED_UNEMPLOYED)

    assert {m.resident_id for m in matches()} == {ledger_only.id, no_yes.id}
    assert messages(fake_wechat, codes["openid"]) == [] and policy_pushes() == []
    assert all(m.notified_at is None for m in matches())


def test_several_new_matches_go_best_value_first_and_the_daily_cap_drops_the_rest(
    app, two_admins, subscriber, fake_wechat
):
    resident_id, openid = subscriber
    app.config["PUSH_DAILY_CAP"] = 2
    for amount in (500, 3000, 1000):
        publish(
            *two_admins,
            REGISTERED_UNEMPLOYED,
            benefit={"kind": "fixed", "amount": amount},
            title=f"补贴{amount}",
        )
    assert messages(fake_wechat, openid) == []  # not registered unemployed yet

    set_status(resident_id, "unemployed_registered")  # three new matches in one run

    assert [m["data"]["thing1"]["value"] for m in messages(fake_wechat, openid)] == ["补贴3000", "补贴1000"]
    statuses = {p.data["thing1"]["value"]: p.status for p in policy_pushes()}
    assert statuses == {"补贴3000": "sent", "补贴1000": "sent", "补贴500": "skipped"}
    assert all(m.notified_at is not None for m in matches())  # once: the capped one is not tried again


def test_a_match_made_in_the_quiet_hours_waits_for_their_end(app, two_admins, subscriber, fake_wechat):
    resident_id, openid = subscriber
    now = clock.local_now()
    app.config["PUSH_QUIET_START"] = (now - timedelta(hours=1)).strftime("%H:%M")
    app.config["PUSH_QUIET_END"] = (now + timedelta(hours=1)).strftime("%H:%M")
    set_status(resident_id, "unemployed_registered")

    publish(*two_admins, REGISTERED_UNEMPLOYED)

    assert messages(fake_wechat, openid) == []
    (push,) = policy_pushes()
    assert push.status == "scheduled"
    wake = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    assert abs(push.send_after - wake.astimezone(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


def test_an_employer_match_is_recorded_but_not_pushed(two_admins, make_employer, fake_wechat):
    employer, _ = make_employer()
    employer_id = employer.id
    rule = {"and": [{"==": [{"var": "verified"}, True]}]}
    publish(*two_admins, rule, subject="employer", title="吸纳就业补贴")
    counts = matching.match_employers([employer_id])
    found = matches()
    assert [m.subject_key for m in found] == [f"e{employer_id}"] and counts["pushes"] == 0
    assert policy_pushes() == []
