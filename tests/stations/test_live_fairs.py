"""Live job fairs (直播带岗): a fair's WeChat Channels stream or replay, and the jobs it presents."""

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.models import EventJob, Job
from tests.stations.test_events import create_event, patch
from tests.support import count, error_of

EVENTS = "/api/v1/events"
FINDER = "sphTunxiJobFair01"
FEED = "export/UzFfAgtgekIEAQAAAAAAb4MZ1kIrJwAAAAstQy6ubaLX4KHWvLEZgBPE"
NONCE = "1234567890123456789"


@pytest.fixture
def organiser(operator):
    """The 城中 circle's operator's headers (organises events there)."""
    return operator[1]


@pytest.fixture
def jobs(make_employer, make_job):
    """Three published jobs in 城中 (tea, hotel, shop) and a draft: ids in that order."""
    _, employer = make_employer()
    ids = [
        make_job(employer, title="茶叶分拣工"),
        make_job(employer, title="酒店前台", category="tourism_hotel", wage_unit="month"),
        make_job(employer, title="超市理货员", category="retail", kind="part_time"),
    ]
    return ids + [make_job(employer, title="草稿岗位", publish=False)]


def test_a_live_fair_shows_its_stream_and_presented_jobs_in_order(client, organiser, jobs):
    event = create_event(client, organiser, channels_finder_id=FINDER, job_ids=[jobs[2], jobs[0]])

    assert event["live"] == {"finder_id": FINDER, "feed_id": None, "nonce_id": None, "kind": "live"}
    assert event["jobs_count"] == 2
    detail = client.get(f"{EVENTS}/{event['id']}").get_json()
    assert [job["id"] for job in detail["jobs"]] == [jobs[2], jobs[0]]
    first = detail["jobs"][0]
    assert (first["title"], first["kind"], first["employer"]["name"]) == (
        "超市理货员",
        "part_time",
        "黄山测试茶业有限公司",
    )
    assert (first["wage_min"], first["wage_max"], first["wage_unit"]) == (3000, 4500, "month")
    assert "contact" not in first  # a list item: no contact
    listed = client.get(EVENTS).get_json()["items"]
    assert [(item["live"]["kind"], item["jobs_count"]) for item in listed] == [("live", 2)]
    assert "jobs" not in listed[0]


def test_a_replay_opens_the_video_and_null_clears_it(client, organiser):
    event = create_event(client, organiser, channels_finder_id=FINDER)

    replay = patch(client, event["id"], organiser, channels_feed_id=FEED, channels_nonce_id=NONCE)

    assert replay.status_code == 200, replay.get_json()
    assert replay.get_json()["live"] == {
        "finder_id": FINDER,
        "feed_id": FEED,
        "nonce_id": NONCE,
        "kind": "replay",
    }
    back_to_live = patch(client, event["id"], organiser, channels_feed_id=None, channels_nonce_id=None)
    assert back_to_live.get_json()["live"]["kind"] == "live"
    cleared = patch(client, event["id"], organiser, channels_finder_id=None)
    assert cleared.status_code == 200 and cleared.get_json()["live"] is None


def test_live_true_lists_the_live_fairs_only(client, organiser):
    live = create_event(client, organiser, channels_finder_id=FINDER, title="直播带岗招聘会")
    plain = create_event(client, organiser, title="现场招聘会")

    assert [e["id"] for e in client.get(EVENTS, query_string={"live": "true"}).get_json()["items"]] == [
        live["id"]
    ]
    assert [e["id"] for e in client.get(EVENTS, query_string={"live": "false"}).get_json()["items"]] == [
        plain["id"]
    ]
    assert client.get(EVENTS).get_json()["total"] == 2


@pytest.mark.parametrize(
    ("fields", "status_code", "field"),
    [
        ({"channels_finder_id": "TunxiJobFair01"}, "invalid_channels_id", "channels_finder_id"),
        ({"channels_finder_id": "sph12"}, "invalid_channels_id", "channels_finder_id"),
        ({"channels_finder_id": "sph" + "a" * 61}, "invalid_channels_id", "channels_finder_id"),
        ({"channels_finder_id": "sph直播间0001"}, "invalid_channels_id", "channels_finder_id"),
        (
            {"channels_finder_id": FINDER, "channels_feed_id": "feed/abcdefgh", "channels_nonce_id": NONCE},
            "invalid_channels_feed",
            "channels_feed_id",
        ),
        (
            {"channels_finder_id": FINDER, "channels_feed_id": "export/abc", "channels_nonce_id": NONCE},
            "invalid_channels_feed",
            "channels_feed_id",
        ),
        (
            {"channels_finder_id": FINDER, "channels_feed_id": FEED, "channels_nonce_id": "12a"},
            "invalid_channels_nonce",
            "channels_nonce_id",
        ),
        (
            {"channels_finder_id": FINDER, "channels_feed_id": FEED, "channels_nonce_id": "1" * 33},
            "invalid_channels_nonce",
            "channels_nonce_id",
        ),
        (
            {"channels_finder_id": FINDER, "channels_feed_id": FEED},
            "channels_replay_incomplete",
            "channels_nonce_id",
        ),
        (
            {"channels_finder_id": FINDER, "channels_nonce_id": NONCE},
            "channels_replay_incomplete",
            "channels_feed_id",
        ),
        (
            {"channels_feed_id": FEED, "channels_nonce_id": NONCE},
            "channels_replay_incomplete",
            "channels_finder_id",
        ),
    ],
)
def test_channels_ids_are_checked_as_wechat_shapes_them(client, organiser, fields, status_code, field):
    response = client.post(EVENTS, json={**_body(), **fields}, headers=organiser)

    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert (error["code"], error["field"]) == (status_code, field)
    assert client.get(EVENTS).get_json()["total"] == 0


def test_an_edit_is_checked_against_what_is_stored(client, organiser):
    event = create_event(client, organiser)

    response = patch(client, event["id"], organiser, channels_feed_id=FEED, channels_nonce_id=NONCE)

    assert response.status_code == 422
    assert error_of(response)["code"] == "channels_replay_incomplete"
    assert client.get(f"{EVENTS}/{event['id']}").get_json()["live"] is None


def test_only_published_jobs_of_my_place_are_presented(client, organiser, jobs, make_employer, make_job):
    _, far_employer = make_employer(name="昱东茶厂", lat=29.7225, lng=118.3385)
    far_job = make_job(far_employer)  # in 城东: not the 城中 operator's place
    event = create_event(client, organiser, channels_finder_id=FINDER)

    too_many = patch(client, event["id"], organiser, job_ids=list(range(1, 32)))
    assert too_many.status_code == 422 and error_of(too_many)["field"] == "job_ids"
    for job_ids in ([jobs[3]], [far_job], [jobs[0], 999999]):
        response = patch(client, event["id"], organiser, job_ids=job_ids)
        assert response.status_code == 422, (job_ids, response.get_json())
        error = error_of(response)
        assert (error["code"], error["field"]) == ("job_not_presentable", "job_ids"), error
    assert count(EventJob) == 0


def test_job_ids_replace_the_list_and_a_closed_job_drops_out(client, organiser, jobs):
    event = create_event(client, organiser, job_ids=jobs[:3])

    reordered = patch(client, event["id"], organiser, job_ids=[jobs[1], jobs[0]])

    assert [job["id"] for job in reordered.get_json()["jobs"]] == [jobs[1], jobs[0]]
    db.session.get(Job, jobs[1]).status = "closed"
    db.session.commit()
    detail = client.get(f"{EVENTS}/{event['id']}").get_json()
    assert [job["id"] for job in detail["jobs"]] == [jobs[0]]
    assert detail["jobs_count"] == 1
    emptied = patch(client, event["id"], organiser, job_ids=[])
    assert emptied.get_json()["jobs"] == [] and count(EventJob) == 0
    # An edit without job_ids leaves the presented jobs alone.
    patch(client, event["id"], organiser, job_ids=[jobs[2]])
    assert [j["id"] for j in patch(client, event["id"], organiser, title="新标题").get_json()["jobs"]] == [
        jobs[2]
    ]


def _body() -> dict:
    from tests.stations.test_events import event_body

    return event_body()


def test_the_demo_has_an_upcoming_live_fair_in_tunxi_presenting_three_jobs(app, client, runner, places):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="demo-password-for-tests")
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert runner.invoke(args=["demo-data"]).exit_code == 0  # a second run adds nothing

    fairs = client.get(EVENTS, query_string={"live": "true"}).get_json()["items"]

    assert [(fair["title"], fair["live"]["finder_id"], fair["live"]["kind"]) for fair in fairs] == [
        ("演示 屯溪区直播带岗招聘会", "sphTunxiJobFair01", "live")
    ]
    fair = client.get(f"{EVENTS}/{fairs[0]['id']}").get_json()
    assert fair["jobs_count"] == 3 and len(fair["jobs"]) == 3
    assert {job["status"] for job in fair["jobs"]} == {"published"}
    assert fair["station"]["code"] == "341002-chengzhong-01"
    assert datetime.fromisoformat(fair["starts_at"].replace("Z", "+00:00")) > datetime.now(UTC)  # upcoming
    login = client.post(
        "/api/v1/auth/login", json={"username": "demo-station-staff", "password": "demo-password-for-tests"}
    )
    assert login.status_code == 200, login.get_json()
