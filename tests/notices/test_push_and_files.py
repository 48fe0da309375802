"""A published notice pushed once to its audience within the caps; its attachment, for its readers."""

import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.common.clock import local_day, utc_start_of
from app.extensions import db
from app.models import Notice, OutboxTask, Push
from app.queues import enqueue
from tests.notices.conftest import ELSEWHERE, NOTICES, headers_of, notice_body
from tests.support import error_of, grant, messages

SUBSCRIPTIONS = "/api/v1/me/subscriptions"
PREFERENCES = "/api/v1/me/push-preferences"
NOTICE_TEMPLATE = "tmpl-notice"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def subscriber(client, wechat_login, fake_wechat, places):
    """Return a factory: subscriber(community) -> (openid, headers), a resident accepting notices."""

    def factory(community_code="341002002001"):
        _, headers, codes = wechat_login()
        profile = client.patch("/api/v1/me", json={"community_code": community_code}, headers=headers)
        assert profile.status_code == 200, profile.get_json()
        report = client.post(
            SUBSCRIPTIONS,
            json={"client_id": uuid.uuid4().hex, "results": {NOTICE_TEMPLATE: "accept", "errMsg": "ok"}},
            headers=headers,
        )
        assert report.status_code == 200, report.get_json()
        grant(fake_wechat, codes["openid"], NOTICE_TEMPLATE, count=10)
        return codes["openid"], headers

    return factory


def test_a_pushed_notice_reaches_its_audience_once(client, fake_wechat, subscriber, published):
    here, _ = subscriber()
    there, _ = subscriber(ELSEWHERE)
    notice_id = published(push=True)

    enqueue("notices.push_notice", notice_id)  # a second run (a retried task) adds nothing

    sent = messages(fake_wechat, here)
    assert len(sent) == 1
    assert sent[0]["template_id"] == NOTICE_TEMPLATE
    assert sent[0]["data"]["thing1"]["value"] == "春风行动招聘会通知"
    assert sent[0]["page"] == f"pages/notices/index?id={notice_id}"
    assert messages(fake_wechat, there) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push).where(Push.kind == "notice")) == 1
    assert db.session.get(Notice, notice_id).pushed_at is not None


def test_a_notice_shown_from_a_later_day_is_pushed_that_day_not_now(
    client, fake_wechat, subscriber, published
):
    openid, _ = subscriber()
    notice_id = published(push=True, valid_from=(local_day() + timedelta(days=2)).isoformat())

    held = db.session.scalar(sa.select(OutboxTask).where(OutboxTask.task == "notices.push_notice"))

    assert messages(fake_wechat, openid) == []
    assert held.args == [notice_id]
    assert held.not_before == utc_start_of(local_day() + timedelta(days=2))


def test_no_push_without_the_flag_nor_to_employers(client, fake_wechat, subscriber, published):
    openid, _ = subscriber()
    published()
    published(push=True, audience="employers")

    assert messages(fake_wechat, openid) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 0


def test_the_daily_cap_holds_notices_back(client, fake_wechat, subscriber, published):
    openid, headers = subscriber()
    assert client.patch(PREFERENCES, json={"daily_cap": 1}, headers=headers).status_code == 200

    published(push=True)
    published(push=True, title="第二条通知")

    assert len(messages(fake_wechat, openid)) == 1
    statuses = db.session.scalars(sa.select(Push.status).where(Push.kind == "notice").order_by(Push.id)).all()
    assert statuses == ["sent", "skipped"]


def _attach(client, headers, notice_id, data, name):
    return client.post(
        f"{NOTICES}/{notice_id}/attachment",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_an_attachment_goes_with_the_notice_to_its_readers(client, crew, person, app):
    author = headers_of(crew, "operator")
    draft = client.post(NOTICES, json=notice_body(), headers=author).get_json()

    attached = _attach(client, author, draft["id"], PNG, "海报.png")
    replaced = _attach(client, author, draft["id"], b"%PDF-1.4\n% notice\n", "通知.pdf")
    client.post(f"{NOTICES}/{draft['id']}/submit", headers=author)
    client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, "township"))
    _, reader = person()
    _, outsider = person(ELSEWHERE)

    assert attached.status_code == 200, attached.get_json()
    assert attached.get_json()["attachment"]["type"] == "image/png"
    assert replaced.get_json()["attachment"] == {"name": "通知.pdf", "type": "application/pdf", "size": 18}
    stored = list((Path(app.config["STORAGE_DIR"]) / "notices").rglob("*.*"))
    assert len(stored) == 1  # the replaced file is gone
    download = client.get(f"{NOTICES}/{draft['id']}/attachment", headers=reader)
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF-1.4")
    download.close()
    assert client.get(f"{NOTICES}/{draft['id']}/attachment", headers=outsider).status_code == 404


def test_a_wrong_or_late_attachment_is_refused(client, crew, published):
    author = headers_of(crew, "operator")
    draft = client.post(NOTICES, json=notice_body(), headers=author).get_json()
    notice_id = published()

    wrong_type = _attach(client, author, draft["id"], b"MZ\x90\x00 not a document", "setup.pdf")
    missing = client.post(
        f"{NOTICES}/{draft['id']}/attachment", headers=author, content_type="multipart/form-data"
    )
    late = _attach(client, author, notice_id, PNG, "late.png")

    assert wrong_type.status_code == 415, wrong_type.get_json()
    assert missing.status_code == 422
    assert late.status_code == 409 and error_of(late)["code"] == "notice_status_conflict"
    assert db.session.get(Notice, draft["id"]).attachment_path is None
