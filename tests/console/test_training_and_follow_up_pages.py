"""Console pages: staff training hours for a year, and the open follow-ups of station visits."""

import uuid
from datetime import date

from app.extensions import db
from app.models import PLACE_COLUMN_NAMES, Account, CheckIn, Event
from tests.support import console_client, event_url, open_event

CHECK_INS = "/api/v1/check-ins"


def test_the_training_page_shows_hours_per_person_role_and_place(app, client, make_staff, login):
    organiser = make_staff("district_admin", "district", "341002000000")
    worker = make_staff("grid_worker", "township", "341002002000", username="gw-trained")
    make_staff("station_staff", "circle", "341002-chengzhong", username="ss-untrained")
    event = open_event(client, login(organiser.username), kind="training", audience="staff", credit_hours=3)
    scanned = client.post(
        CHECK_INS,
        json={"url_or_token": event_url(event["id"]), "purpose": "event", "client_id": uuid.uuid4().hex},
        headers=login(worker.username),
    )
    assert scanned.status_code == 201, scanned.get_json()
    console, _ = console_client(app, organiser)

    page = console.get("/console/training")
    refused = console_client(app, worker)[0].get("/console/training")
    bad_year = console.get("/console/training?year=abc")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<tr data-id="{worker.id}"><td>gw-trained</td>' in html
    assert '<td data-key="hours">3.0</td>' in html and "ss-untrained" in html
    assert 'data-key-value="grid_worker"' in html and 'data-key-value="341002-chengzhong"' in html
    assert refused.status_code == 403
    assert bad_year.status_code == 422 and "请填写有效的年份" in bad_year.get_data(as_text=True)


def test_the_follow_ups_page_lists_and_closes_open_follow_ups(app, client, make_staff, login):
    operator = make_staff("operator", "circle", "341002-chengzhong")
    event = db.session.get(Event, open_event(client, login(operator.username), title="跟进测试招聘会")["id"])
    visitor = Account(role="resident", openid=f"openid-{uuid.uuid4().hex}")
    db.session.add(visitor)
    db.session.flush()
    row = CheckIn(
        account_id=visitor.id,
        client_id=uuid.uuid4().hex,
        event_id=event.id,
        purpose="event",
        via="event",
        day=date.today(),
        queue_key=f"e{event.id}",
        queue_number=1,
        outcome="follow_up_needed",
        outcome_note="下周回电",
        follow_up=True,
        **{name: getattr(event, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    db.session.commit()
    console, token = console_client(app, operator)

    listed = console.get("/console/follow-ups").get_data(as_text=True)
    closed = console.post(f"/console/follow-ups/{row.id}/close", data={"csrf_token": token})
    again = console.post(f"/console/follow-ups/{row.id}/close", data={"csrf_token": token})
    after = console.get("/console/follow-ups").get_data(as_text=True)

    assert f'<tr data-id="{row.id}">' in listed and "跟进测试招聘会" in listed and "下周回电" in listed
    assert closed.status_code == 303
    db.session.expire_all()
    assert db.session.get(CheckIn, row.id).follow_up_closed_at is not None
    assert again.status_code == 303  # closing again keeps the first closing time: nothing to refuse
    assert f'<tr data-id="{row.id}">' not in after and "暂无未关闭的跟进事项" in after
