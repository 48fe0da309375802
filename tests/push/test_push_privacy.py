"""/pushes: operators and supervisors follow sending without seeing who got what."""

from datetime import date, datetime

import pytest

from app.extensions import db
from app.models import Push
from app.services.people.places import community_by_code, place_columns

PUSHES = "/api/v1/pushes"


@pytest.fixture
def pushes(make_staff):
    """A job match and an application update to someone in 昱中一社区; return the recipient's account id."""
    recipient = make_staff("grid_worker", "community", "341002002001")  # any account will do
    for kind, object_type, object_id in (
        ("job_match", "job", "41"),
        ("application_update", "application", "7"),
    ):
        db.session.add(
            Push(
                account_id=recipient.id,
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                data={},
                day=date.today(),
                send_after=datetime(2026, 1, 1),
                last_error="no_quota",
                **place_columns(community_by_code("341002002001")),
            )
        )
    db.session.commit()
    return recipient.id


def seen(client, headers) -> list[tuple]:
    """Return (kind, account_id, object_type, object_id, status, last_error) of the listed pushes."""
    response = client.get(PUSHES, headers=headers)
    assert response.status_code == 200, response.get_json()
    return sorted(
        (i["kind"], i["account_id"], i["object_type"], i["object_id"], i["status"], i["last_error"])
        for i in response.get_json()["items"]
    )


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_contractors_see_no_recipient_and_no_personal_object(client, staff_headers, pushes, role):
    _, headers = staff_headers(role, "circle", "341002-chengzhong")
    assert seen(client, headers) == [
        ("application_update", None, "application", None, "pending", "no_quota"),
        # A job is a public posting: its id stays, so operators can follow one job's fan-out.
        ("job_match", None, "job", "41", "pending", "no_quota"),
    ]


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [("township_admin", "township", "341002002000"), ("city_admin", "city", "341000000000")],
)
def test_roles_that_may_reveal_see_the_whole_push(client, staff_headers, pushes, role, kind, code):
    _, headers = staff_headers(role, kind, code)
    assert seen(client, headers) == [
        ("application_update", pushes, "application", "7", "pending", "no_quota"),
        ("job_match", pushes, "job", "41", "pending", "no_quota"),
    ]


def test_the_api_document_says_the_ids_may_be_masked(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Push"]
    assert schema["properties"]["account_id"].get("nullable") is True
    assert schema["properties"]["object_id"].get("nullable") is True
