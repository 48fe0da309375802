"""Fixtures of the notices tests: the staff who write and review, residents in and out of a place."""

from datetime import timedelta

import pytest

from app.common.clock import local_day

NOTICES = "/api/v1/notices"
MINE = "/api/v1/notices/mine"
ME = "/api/v1/me"
# 昱中一社区 (township 昱中, circle 城中, district 屯溪) and a community of 城东 elsewhere in 屯溪.
HERE = "341002002001"
ELSEWHERE = "341002001001"


def notice_body(**fields) -> dict:
    """Return a valid notice to 昱中一社区's residents, out from today for a week."""
    today = local_day()
    return {
        "title": "春风行动招聘会通知",
        "body": "本周六上午在昱中街道服务站举办招聘会，欢迎参加。",
        "place_kind": "community",
        "place_code": HERE,
        "audience": "residents",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=7)).isoformat(),
        **fields,
    }


@pytest.fixture
def crew(staff_headers):
    """The 城中 operator, two 昱中 township admins, admins elsewhere, the 屯溪 district admin."""
    return {
        "operator": staff_headers("operator", "circle", "341002-chengzhong"),
        "township": staff_headers("township_admin", "township", "341002002000"),
        "township2": staff_headers("township_admin", "township", "341002002000"),
        "other_township": staff_headers("township_admin", "township", "341002001000"),
        "district": staff_headers("district_admin", "district", "341002000000"),
        "district2": staff_headers("district_admin", "district", "341002000000"),
        "huangshan": staff_headers("district_admin", "district", "341003000000"),
    }


@pytest.fixture
def person(client, wechat_login, places):
    """Return a factory: person(community_code) -> (resident id, headers), a resident who logged in."""

    def factory(community_code=HERE):
        body, headers, _ = wechat_login()
        profile = client.patch(ME, json={"name": "居民", "community_code": community_code}, headers=headers)
        assert profile.status_code == 200, profile.get_json()
        return profile.get_json()["id"], headers

    return factory


def headers_of(crew, who):
    """Return the bearer headers of one of the crew."""
    return crew[who][1]


@pytest.fixture
def published(client, crew):
    """Return a factory: published(**fields) -> id of a notice the operator wrote and an admin published."""

    def factory(**fields):
        # A district notice is above the operator's circle: a district admin writes it, another reviews it.
        author = "district" if fields.get("place_kind") == "district" else "operator"
        made = client.post(NOTICES, json=notice_body(**fields), headers=headers_of(crew, author))
        assert made.status_code == 201, made.get_json()
        notice_id = made.get_json()["id"]
        sent = client.post(f"{NOTICES}/{notice_id}/submit", headers=headers_of(crew, author))
        assert sent.status_code == 200, sent.get_json()
        reviewer = {"circle": "district", "district": "district2"}.get(fields.get("place_kind"), "township")
        out = client.post(
            f"{NOTICES}/{notice_id}/publish", json={"note": "内部意见"}, headers=headers_of(crew, reviewer)
        )
        assert out.status_code == 200, out.get_json()
        return notice_id

    return factory
