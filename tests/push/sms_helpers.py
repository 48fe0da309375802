"""Helpers of the SMS tests: a record push made as the records wings make it, a person with WeChat."""

import uuid

import sqlalchemy as sa

from app.extensions import db
from app.models import Push, Resident
from app.services.people.personal_data import set_phone
from app.services.push.records import notify_record
from tests.support import grant

SUBSCRIPTIONS = "/api/v1/me/subscriptions"
PREFERENCES = "/api/v1/me/push-preferences"
RECORD_TEMPLATE = "tmpl-record-update"


def record(
    resident_id: int, key: str = "registration:1:accepted", result: str = "已受理", sms_first: bool = False
) -> int:
    """Push a record's outcome the way the registrations wing does; return the rows written."""
    return notify_record(resident_id, "失业登记", key, result, "编号0001", sms_first=sms_first)


def pushes(resident_id: int) -> list[Push]:
    """Return a resident's pushes, oldest first, read fresh."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Push).where(Push.resident_id == resident_id).order_by(Push.id)))


def with_record_quota(client, fake_wechat, seeker) -> None:
    """Give a seeker the long-term yes to record updates, on our side and the fake WeChat's."""
    report = client.post(
        SUBSCRIPTIONS,
        json={"client_id": uuid.uuid4().hex, "results": {RECORD_TEMPLATE: "accept"}},
        headers=seeker.headers,
    )
    assert report.status_code == 200, report.get_json()
    grant(fake_wechat, seeker.openid, RECORD_TEMPLATE)


def give_phone(resident_id: int, phone: str) -> None:
    """Put a phone on a resident's ledger row (a seeker logged in through WeChat has none)."""
    resident = db.session.get(Resident, resident_id)
    set_phone(resident, phone)
    db.session.commit()
