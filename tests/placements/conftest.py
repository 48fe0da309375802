"""Fixtures of the placement follow-up tests: a hire through the platform, the clock moved on."""

import uuid
from datetime import timedelta

import pytest

from app.models import utcnow
from app.services.placements import asking
from tests.conftest import ME, SUBSCRIPTIONS, make_id_number

# The console's sign-in fixtures, for the retention page's tests.
from tests.console.conftest import console_login, console_staff  # noqa: F401
from tests.support import grant

# 昱中一社区 (城中 circle): where the placed people live; 城东's community is outside 城中 staff's place.
HOME = "341002002001"
ELSEWHERE = "341002001001"
TEMPLATE = "tmpl-placement-followup"
MINE = "/api/v1/me/placements"
STAFF = "/api/v1/placements"


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


def run_after(days: int) -> dict:
    """Run the daily run as if `days` days had passed since now (placements begin today)."""
    return asking.run(utcnow() + timedelta(days=days))


@pytest.fixture
def person(client, wechat_login, fake_wechat, places):
    """Return a factory: person(reachable=True, community=HOME) -> (resident id, headers, openid).

    A working resident with an ID number and a community; `reachable`: they said yes (long-term) to
    the placement follow-up message, on our side and on the fake WeChat's.
    """

    def factory(reachable=True, community=HOME, name="回访人"):
        _, headers, codes = wechat_login()
        profile = {"name": name, "id_number": make_id_number("19900101"), "community_code": community}
        response = client.patch(ME, json=profile, headers=headers)
        assert response.status_code == 200, response.get_json()
        if reachable:
            results = {TEMPLATE: "accept", "errMsg": "ok"}
            report = client.post(
                SUBSCRIPTIONS, json={"client_id": uuid.uuid4().hex, "results": results}, headers=headers
            )
            assert report.status_code == 200, report.get_json()
            grant(fake_wechat, codes["openid"], TEMPLATE, count=5)
        return response.get_json()["id"], headers, codes["openid"]

    return factory


@pytest.fixture
def hire(client, make_employer, make_job):
    """Return a factory: hire(resident_headers, boss=None) -> (application id, employer).

    The person applies to a new job of the employer, who marks the application hired.
    """

    def factory(resident_headers, employer=None, **job):
        if employer is None:
            employer = make_employer()
        boss = employer[1]
        job_id = make_job(boss, **job)
        application = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=resident_headers)
        assert application.status_code == 201, application.get_json()
        for status in ("viewed", "hired"):
            moved = client.patch(
                f"/api/v1/applications/{application.get_json()['id']}", json={"status": status}, headers=boss
            )
            assert moved.status_code == 200, moved.get_json()
        return application.get_json()["id"], employer[0]

    return factory
