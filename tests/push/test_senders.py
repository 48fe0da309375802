"""The senders: a check-in's follow-up and visit notices, each pushed once per person and object."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Push, Resident
from app.queues import enqueue
from app.services.people.places import community_by_code
from app.services.people.residents import set_community
from tests.support import assign_directly, event_url, grant, make_household, messages, open_event

SUBSCRIPTIONS = "/api/v1/me/subscriptions"
CHECK_INS = "/api/v1/check-ins"
GRID = "/api/v1/grid"
CHECKIN_FOLLOWUP = "tmpl-checkin-followup"
VISIT_NOTICE = "tmpl-visit-notice"
YUZHONG_1 = "341002002001"  # 昱中一社区, circle chengzhong


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def subscriber(client, wechat_login, fake_wechat, places):
    """Return a factory: subscriber(template_id, accepts=1) -> a WeChat resident with quota for it."""

    def factory(template_id: str, accepts: int = 1):
        body, headers, codes = wechat_login()
        for _ in range(accepts):
            answer = client.post(
                SUBSCRIPTIONS,
                json={"client_id": uuid.uuid4().hex, "results": {template_id: "accept", "errMsg": "ok"}},
                headers=headers,
            )
            assert answer.status_code == 200, answer.get_json()
        grant(fake_wechat, codes["openid"], template_id, count=accepts)
        return SimpleNamespace(account_id=body["account"]["id"], openid=codes["openid"], headers=headers)

    return factory


@pytest.fixture
def worker(make_staff, login):
    """A grid worker of 昱中 township assigned to 昱中一社区: (account, headers)."""
    account = make_staff("grid_worker", "township", "341002002000")
    assign_directly(account, [YUZHONG_1])
    return account, login(account.username)


def household_of(*people) -> list[Resident]:
    """Write a household in 昱中一社区: these subscribers' ledger rows, then one member without WeChat."""
    household = make_household(
        YUZHONG_1, [("无微信成员", "unemployed", "19850101")], key=f"H-{uuid.uuid4().hex[:8]}"
    )
    community = community_by_code(YUZHONG_1)
    joined = []
    for person in people:
        # Their WeChat login made their ledger row; the grid worker's ledger puts it in the household.
        resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == person.account_id))
        resident.household_id = household.id
        set_community(resident, community)
        joined.append(resident)
    db.session.commit()
    return [*joined, *household.members[:1]]


def pushes(kind: str) -> list[Push]:
    """Return the push rows of one kind."""
    db.session.expire_all()
    return db.session.scalars(sa.select(Push).where(Push.kind == kind).order_by(Push.id)).all()


# ---- checkin_followup ------------------------------------------------------------------------------


def test_a_follow_up_opened_at_the_counter_is_pushed_once(client, operator, subscriber, fake_wechat):
    person = subscriber(CHECKIN_FOLLOWUP, accepts=2)  # quota for two: only the unique key stops a second
    assert (
        client.patch("/api/v1/me", json={"community_code": YUZHONG_1}, headers=person.headers).status_code
        == 200
    )
    event = open_event(client, operator[1], title="昱中招聘会")
    scanned = client.post(
        CHECK_INS,
        json={"url_or_token": event_url(event["id"]), "purpose": "event", "client_id": uuid.uuid4().hex},
        headers=person.headers,
    )
    assert scanned.status_code == 201, scanned.get_json()
    check_in_id = scanned.get_json()["id"]

    served = client.patch(
        f"{CHECK_INS}/{check_in_id}",
        json={"outcome": "follow_up_needed", "outcome_note": "推荐茶厂分拣岗位"},
        headers=operator[1],
    )
    assert served.status_code == 200, served.get_json()
    # Served again, closed and reopened, the task run again: still one message.
    client.patch(f"{CHECK_INS}/{check_in_id}", json={"outcome_note": "再次联系"}, headers=operator[1])
    client.patch(f"{CHECK_INS}/{check_in_id}", json={"follow_up_closed": True}, headers=operator[1])
    client.patch(f"{CHECK_INS}/{check_in_id}", json={"follow_up_closed": False}, headers=operator[1])
    enqueue("push.notify_check_in_follow_up", check_in_id)

    [message] = messages(fake_wechat, person.openid)
    assert message["template_id"] == CHECKIN_FOLLOWUP
    assert message["data"]["thing1"]["value"] == "昱中招聘会"
    # The staff's note stays with the staff: the person reads a neutral matter.
    assert message["data"]["thing2"]["value"] == "服务站将与您联系跟进"
    assert "茶厂" not in str(message["data"])
    assert message["page"] == "pages/me/index"
    [row] = pushes("checkin_followup")
    assert (row.object_type, row.object_id, row.status) == ("check_in", str(check_in_id), "sent")


def test_a_follow_up_closed_at_once_or_a_visit_served_without_one_sends_nothing(
    client, operator, subscriber, fake_wechat
):
    person = subscriber(CHECKIN_FOLLOWUP, accepts=2)
    event = open_event(client, operator[1])
    ids = []
    for _ in range(2):
        scanned = client.post(
            CHECK_INS,
            json={"url_or_token": event_url(event["id"]), "purpose": "event", "client_id": uuid.uuid4().hex},
            headers=person.headers,
        )
        ids.append(scanned.get_json()["id"])
        db.session.execute(sa.text("DELETE FROM qr_token_uses"))  # a second scan of the same screen
        db.session.commit()
    closed = client.patch(
        f"{CHECK_INS}/{ids[0]}",
        json={"outcome": "follow_up_needed", "follow_up_closed": True},
        headers=operator[1],
    )
    plain = client.patch(f"{CHECK_INS}/{ids[-1]}", json={"outcome": "recommended_jobs"}, headers=operator[1])

    assert closed.status_code == 200 and closed.get_json()["follow_up_closed_at"] is not None
    assert plain.status_code == 200
    assert messages(fake_wechat, person.openid) == []
    assert pushes("checkin_followup") == []


# ---- visit_notice: a planned visit --------------------------------------------------------------------


def plan(
    client, headers, household_id: int, client_id: str | None = None, hours: float = 26, note="了解就业需求"
):
    """Plan a visit `hours` from now."""
    when = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()
    body = {"client_id": client_id or uuid.uuid4().hex, "household_id": household_id, "planned_at": when}
    return client.post(f"{GRID}/planned-visits", json={**body, "note": note}, headers=headers)


def test_each_member_hears_of_a_planned_visit_once(client, worker, subscriber, fake_wechat):
    first, second = subscriber(VISIT_NOTICE), subscriber(VISIT_NOTICE)
    members = household_of(first, second)

    made = plan(client, worker[1], members[0].household_id, client_id="plan-0001")
    again = plan(client, worker[1], members[0].household_id, client_id="plan-0001")
    enqueue("push.notify_planned_visit", made.get_json()["id"])

    assert again.status_code == 200 and again.get_json()["id"] == made.get_json()["id"]
    for person in (first, second):
        [message] = messages(fake_wechat, person.openid)
        assert message["template_id"] == VISIT_NOTICE
        assert message["data"]["thing1"]["value"] == "了解就业需求"
    rows = pushes("visit_notice")
    # The member without WeChat (and, before SMS, without a channel) gets no row.
    assert sorted(row.resident_id for row in rows) == sorted(m.id for m in members[:2])
    assert {(row.object_type, row.object_id) for row in rows} == {
        ("planned_visit", str(made.get_json()["id"]))
    }


# ---- visit_notice: needs recorded on a visit -----------------------------------------------------------


def test_the_person_whose_needs_a_visit_recorded_is_told_once(client, worker, subscriber, fake_wechat):
    noted, other = subscriber(VISIT_NOTICE), subscriber(VISIT_NOTICE)
    members = household_of(noted, other)
    item = {
        "client_id": "visit-needs-1",
        "visited_at": datetime.now(UTC).isoformat(),
        "household_id": members[0].household_id,
        "outcome": "met",
        "members": [{"resident_id": members[0].id, "needs": ["job"]}, {"resident_id": members[1].id}],
    }

    first = client.post(f"{GRID}/visits", json={"visits": [item]}, headers=worker[1])
    resent = client.post(f"{GRID}/visits", json={"visits": [item]}, headers=worker[1])
    without = client.post(
        f"{GRID}/visits",
        json={"visits": [{**item, "client_id": "visit-needs-2", "members": []}]},
        headers=worker[1],
    )

    assert [r["result"] for r in (*first.get_json()["results"], *resent.get_json()["results"])] == [
        "applied",
        "duplicate",
    ]
    assert without.get_json()["results"][0]["result"] == "applied"
    [message] = messages(fake_wechat, noted.openid)
    assert message["data"]["thing1"]["value"] == "您登记的需求已记录，我们会跟进"
    assert messages(fake_wechat, other.openid) == []
    [row] = pushes("visit_notice")
    assert (row.resident_id, row.object_type) == (members[0].id, "visit")
