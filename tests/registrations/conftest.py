"""Fixtures of the registrations wing's tests (unemployment, employment, certifications)."""

import uuid

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Push
from tests.conftest import ME, SUBSCRIPTIONS, make_id_number

# The console's sign-in fixtures, for the console pages' tests here.
from tests.console.conftest import console_login, console_staff  # noqa: F401

# 昱中一社区 (城中 circle, 屯溪区): where the registrants live unless a test says otherwise.
HOME = "341002002001"
# Another circle's community (城东), outside the 城中 staff's place.
ELSEWHERE = "341002001001"
REGISTRATIONS = "/api/v1/registrations"
MINE = "/api/v1/me/registrations"
RECORD_TEMPLATE = "tmpl-record-update"


def client_id() -> str:
    """Return a fresh idempotency key."""
    return uuid.uuid4().hex


@pytest.fixture
def registrant(client, wechat_login, places):
    """Return a factory: registrant(community=HOME, born=…, status="unemployed") -> (resident id, headers).

    A resident logged in through WeChat with a name, an ID number (so an age) and a community.
    """

    def factory(community=HOME, born="19900101", status="unemployed", name="登记人"):
        _, headers, _ = wechat_login()
        profile = {"name": name, "id_number": make_id_number(born), "community_code": community}
        if status:
            profile["employment_status"] = status
        response = client.patch(ME, json=profile, headers=headers)
        assert response.status_code == 200, response.get_json()
        # The person said yes to record notices (long-term), as the mini-program asks on its first page.
        results = {RECORD_TEMPLATE: "accept", "errMsg": "ok"}
        report = client.post(
            SUBSCRIPTIONS, json={"client_id": client_id(), "results": results}, headers=headers
        )
        assert report.status_code == 200, report.get_json()
        return response.get_json()["id"], headers

    return factory


@pytest.fixture
def desk(staff_headers):
    """The 城中 circle's station staff (its townships 昱中 and 老街): (account, headers)."""
    return staff_headers("station_staff", "circle", "341002-chengzhong")


def record_pushes(resident_account_id: int) -> list[str]:
    """Return the object keys of the record_update pushes made to an account, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Push.object_id)
            .where(Push.account_id == resident_account_id, Push.kind == "record_update")
            .order_by(Push.id)
        )
    )
