"""Writing and reviewing a notice: a second person in scope publishes or returns it; bad input refused."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Notice
from tests.notices.conftest import NOTICES, headers_of, notice_body
from tests.support import error_of


def _write(client, crew, who="operator", **fields):
    made = client.post(NOTICES, json=notice_body(**fields), headers=headers_of(crew, who))
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _submit(client, crew, notice_id, who="operator"):
    return client.post(f"{NOTICES}/{notice_id}/submit", headers=headers_of(crew, who))


def test_an_operator_writes_and_a_township_admin_publishes(client, crew):
    draft = _write(client, crew)
    assert draft["status"] == "draft"
    assert draft["place"] == {"kind": "community", "code": "341002002001", "name": draft["place"]["name"]}

    submitted = _submit(client, crew, draft["id"])
    published = client.post(
        f"{NOTICES}/{draft['id']}/publish", json={"note": "同意"}, headers=headers_of(crew, "township")
    )

    assert submitted.get_json()["status"] == "in_review"
    assert published.status_code == 200, published.get_json()
    body = published.get_json()
    assert (body["status"], body["review_note"], body["reviewer_id"]) == (
        "published",
        "同意",
        crew["township"][0].id,
    )
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "notice").order_by(AuditEvent.id)
    ).all()
    assert actions == ["notice.create", "notice.submit", "notice.publish"]


def test_a_retried_create_with_its_client_id_makes_one_draft(client, crew):
    body = {**notice_body(), "client_id": "n-7f3a9c21"}

    first = client.post(NOTICES, json=body, headers=headers_of(crew, "operator"))
    again = client.post(NOTICES, json={**body, "title": "重发的标题"}, headers=headers_of(crew, "operator"))
    other = client.post(NOTICES, json=body, headers=headers_of(crew, "township"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["title"] == first.get_json()["title"]  # the first draft, unchanged
    assert other.status_code == 201  # a client id is the author's own
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 2


def test_the_author_never_reviews_their_own_notice(client, crew):
    draft = _write(client, crew, who="township")
    _submit(client, crew, draft["id"], who="township")

    own = client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, "township"))
    other = client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, "township2"))

    assert own.status_code == 403 and error_of(own)["code"] == "not_reviewer"
    assert other.status_code == 200 and other.get_json()["status"] == "published"


def test_an_operator_may_write_but_not_review(client, crew):
    draft = _write(client, crew, who="township")
    _submit(client, crew, draft["id"], who="township")

    response = client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, "operator"))

    assert response.status_code == 403
    assert db.session.get(Notice, draft["id"]).status == "in_review"


def test_reviewers_outside_the_place_get_a_404(client, crew):
    draft = _write(client, crew)
    _submit(client, crew, draft["id"])

    for who in ("other_township", "huangshan"):
        response = client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, who))
        assert response.status_code == 404, who
        assert error_of(response)["code"] == "notice_not_found"
    assert db.session.get(Notice, draft["id"]).status == "in_review"


def test_a_township_admin_cannot_review_a_circle_notice_the_district_can(client, crew):
    draft = _write(client, crew, place_kind="circle", place_code="341002-chengzhong")
    _submit(client, crew, draft["id"])

    township = client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, "township"))
    district = client.post(f"{NOTICES}/{draft['id']}/publish", json={}, headers=headers_of(crew, "district"))

    assert township.status_code == 404  # the circle is above the township: not in its place
    assert district.status_code == 200


def test_returned_with_a_reason_then_edited_and_resubmitted(client, crew):
    draft = _write(client, crew)
    _submit(client, crew, draft["id"])

    no_reason = client.post(f"{NOTICES}/{draft['id']}/return", json={}, headers=headers_of(crew, "township"))
    returned = client.post(
        f"{NOTICES}/{draft['id']}/return", json={"reason": "时间写错了"}, headers=headers_of(crew, "township")
    )
    edited = client.patch(
        f"{NOTICES}/{draft['id']}",
        json={"title": "春风行动招聘会（改期）"},
        headers=headers_of(crew, "operator"),
    )
    again = _submit(client, crew, draft["id"])

    assert no_reason.status_code == 422
    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["review_note"] == "时间写错了"
    assert edited.status_code == 200 and edited.get_json()["title"] == "春风行动招聘会（改期）"
    assert again.get_json()["status"] == "in_review"


def test_a_notice_in_review_or_published_is_not_edited(client, crew):
    draft = _write(client, crew)
    _submit(client, crew, draft["id"])

    edit = client.patch(
        f"{NOTICES}/{draft['id']}", json={"title": "改"}, headers=headers_of(crew, "operator")
    )
    twice = _submit(client, crew, draft["id"])

    assert edit.status_code in (409, 422)
    assert twice.status_code == 409 and error_of(twice)["code"] == "notice_status_conflict"


def test_someone_else_cannot_edit_my_draft(client, crew):
    draft = _write(client, crew, who="township")
    _submit(client, crew, draft["id"], who="township")
    client.post(
        f"{NOTICES}/{draft['id']}/return", json={"reason": "再看看"}, headers=headers_of(crew, "township2")
    )

    response = client.patch(
        f"{NOTICES}/{draft['id']}", json={"title": "别人的改动"}, headers=headers_of(crew, "township2")
    )

    assert response.status_code == 403 and error_of(response)["code"] == "not_author"


def test_others_drafts_are_not_listed_in_review_ones_are(client, crew):
    hidden = _write(client, crew, title="草稿不公开")
    shown = _write(client, crew, title="待审核的通知")
    _submit(client, crew, shown["id"])

    listed = client.get(NOTICES, headers=headers_of(crew, "township")).get_json()
    in_review = client.get(
        NOTICES, query_string={"status": "in_review"}, headers=headers_of(crew, "township")
    )
    elsewhere = client.get(NOTICES, headers=headers_of(crew, "other_township")).get_json()

    assert [item["id"] for item in listed["items"]] == [shown["id"]]
    assert listed["items"][0]["may_review"] is True
    assert [item["id"] for item in in_review.get_json()["items"]] == [shown["id"]]
    assert elsewhere["total"] == 0
    assert client.get(f"{NOTICES}/{hidden['id']}", headers=headers_of(crew, "township")).status_code == 404


def test_withdrawn_with_a_reason(client, crew, published):
    notice_id = published()

    no_reason = client.post(f"{NOTICES}/{notice_id}/withdraw", json={}, headers=headers_of(crew, "operator"))
    elsewhere = client.post(
        f"{NOTICES}/{notice_id}/withdraw",
        json={"reason": "活动取消"},
        headers=headers_of(crew, "other_township"),
    )
    withdrawn = client.post(
        f"{NOTICES}/{notice_id}/withdraw", json={"reason": "活动取消"}, headers=headers_of(crew, "township2")
    )

    assert no_reason.status_code == 422
    assert elsewhere.status_code == 404
    assert withdrawn.status_code == 200
    assert (withdrawn.get_json()["status"], withdrawn.get_json()["withdraw_reason"]) == (
        "withdrawn",
        "活动取消",
    )


def test_bad_input_is_refused_with_the_field(client, crew, staff_headers):
    cases = [
        (
            {"place_code": "341002001001"},
            "place_code",
            "place_out_of_scope",
        ),  # 城东: outside the operator's circle
        ({"place_code": "341002999999"}, "place_code", "place_not_found"),
        ({"audience": "key_group"}, "audience_value", "audience_key_group_invalid"),
        (
            {"audience": "key_group", "audience_value": "astronaut"},
            "audience_value",
            "audience_key_group_invalid",
        ),
        ({"audience": "staff", "audience_value": "resident"}, "audience_value", "audience_role_invalid"),
        ({"audience_value": "veteran"}, "audience_value", "audience_takes_no_value"),
        ({"valid_until": "2020-01-01", "valid_from": "2020-01-01"}, "valid_until", "notice_already_ended"),
        ({"valid_until": "2020-01-01"}, "valid_until", "period_reversed"),
        ({"event_id": 987654}, "event_id", "event_not_found"),
        ({"policy_id": 987654}, "policy_id", "policy_not_found"),
    ]
    for fields, field, code in cases:
        response = client.post(NOTICES, json=notice_body(**fields), headers=headers_of(crew, "operator"))
        assert response.status_code == 422, fields
        error = error_of(response)
        assert (error["field"], error["code"]) == (field, code), fields
    missing = client.post(NOTICES, json={"title": "缺字段"}, headers=headers_of(crew, "operator"))
    _, grid_worker = staff_headers("grid_worker", "community", "341002002001")
    by_grid_worker = client.post(NOTICES, json=notice_body(), headers=grid_worker)

    assert missing.status_code == 422
    assert by_grid_worker.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
