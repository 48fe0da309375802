"""Certified key groups (重点群体认定): apply with evidence, certify or reject, expiry, long-term."""

import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    AuditEvent,
    Certification,
    KeyGroup,
    Push,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    StatusSource,
)
from app.services.people import status as ledger_core
from app.services.registrations import expiry, long_term
from app.tasks.certifications import run_daily
from tests.conftest import ME, SUBSCRIPTIONS
from tests.support import SIDES, count, error_of

MINE = "/api/v1/me/certifications"
STAFF = "/api/v1/certifications"
PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _places(places):
    """Every test here places its people in 昱中一社区."""


def applicant(client, wechat_login, name="申请人", code=SIDES["A"]["code"]):
    """A resident of 昱中一社区 who accepted the record_update push: (headers, resident id)."""
    _, headers, _ = wechat_login()
    profile = client.patch(ME, json={"name": name, "community_code": code}, headers=headers)
    assert profile.status_code == 200, profile.get_json()
    accepted = client.post(
        SUBSCRIPTIONS,
        json={"client_id": uuid.uuid4().hex, "results": {"tmpl-record-update": "accept"}},
        headers=headers,
    )
    assert accepted.status_code == 200, accepted.get_json()
    return headers, profile.get_json()["id"]


def apply(client, headers, key_group="hard_to_employ", **fields):
    return client.post(
        MINE, json={"client_id": uuid.uuid4().hex, "key_group": key_group, **fields}, headers=headers
    )


def upload(client, url, headers, data=PDF, filename="证明.pdf"):
    return client.post(
        url, data={"file": (io.BytesIO(data), filename)}, headers=headers, content_type="multipart/form-data"
    )


def pending_with_evidence(client, headers, key_group="hard_to_employ", **fields) -> int:
    created = apply(client, headers, key_group, **fields)
    assert created.status_code == 201, created.get_json()
    certification_id = created.get_json()["id"]
    uploaded = upload(client, f"{MINE}/{certification_id}/evidence", headers)
    assert uploaded.status_code == 201, uploaded.get_json()
    return certification_id


def certify(client, headers, certification_id, valid_from=None, valid_until="auto"):
    today = local_day()
    body = {"valid_from": (valid_from or today - timedelta(days=10)).isoformat()}
    if valid_until == "auto":
        body["valid_until"] = (today + timedelta(days=300)).isoformat()
    elif valid_until is not None:
        body["valid_until"] = valid_until.isoformat()
    return client.post(f"{STAFF}/{certification_id}/certify", json=body, headers=headers)


def pushes(object_id: str) -> int:
    return count(Push, Push.kind == "record_update", Push.object_id == object_id)


def audits(action: str) -> int:
    return count(AuditEvent, AuditEvent.action == action)


def test_apply_with_evidence_then_certify_makes_the_group_current_certified_pushed_and_audited(
    client, wechat_login, operator
):
    account, staff = operator
    headers, resident_id = applicant(client, wechat_login)
    client_id = uuid.uuid4().hex

    created = client.post(MINE, json={"client_id": client_id, "key_group": "hard_to_employ"}, headers=headers)
    again = client.post(MINE, json={"client_id": client_id, "key_group": "hard_to_employ"}, headers=headers)
    assert created.status_code == 201 and again.status_code == 200
    certification_id = created.get_json()["id"]
    assert again.get_json()["id"] == certification_id
    assert created.get_json()["status"] == "pending" and created.get_json()["source"] == "self"
    first = upload(client, f"{MINE}/{certification_id}/evidence", headers)
    same = upload(client, f"{MINE}/{certification_id}/evidence", headers)
    assert first.status_code == 201 and same.status_code == 200
    assert same.get_json()["id"] == first.get_json()["id"]
    # A second application of the same group while one waits: 409.
    twice = apply(client, headers)
    assert twice.status_code == 409 and error_of(twice)["code"] == "certification_open"

    queue = client.get(STAFF, query_string={"status": "pending"}, headers=staff)
    assert [item["id"] for item in queue.get_json()["items"]] == [certification_id]
    assert queue.get_json()["items"][0]["resident_name"] == "申请人"

    decided = certify(client, staff, certification_id)

    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert body["status"] == "certified"
    assert body["valid_until"] == (local_day() + timedelta(days=300)).isoformat()
    assert body["certified_by"]["role"] == "operator" and body["certified_by"]["name"] == account.username
    me = client.get(ME, headers=headers).get_json()
    assert "hard_to_employ" in me["key_groups"]
    (period,) = [p for p in me["key_group_periods"] if p["key_group"] == "hard_to_employ"]
    assert period["certified"] is True and period["current"] is True
    assert period["certification_id"] == certification_id
    assert period["certified_by"] == {"name": account.username, "role": "operator", "role_label": "运营机构"}
    assert period["since"] == (local_day() - timedelta(days=10)).isoformat()
    staff_view = client.get(f"/api/v1/residents/{resident_id}", headers=staff).get_json()
    assert staff_view["key_group_periods"] == me["key_group_periods"]
    assert pushes(f"certification:{certification_id}:certified") == 1
    assert audits("certification.apply") == 1 and audits("certification.certify") == 1
    # Decided once: a second decision is a 409.
    assert certify(client, staff, certification_id).status_code == 409


def test_reject_needs_a_reason_pushes_it_and_starts_no_group(client, wechat_login, operator):
    _, staff = operator
    headers, resident_id = applicant(client, wechat_login)
    certification_id = pending_with_evidence(client, headers, "disabled")

    blank = client.post(f"{STAFF}/{certification_id}/reject", json={"reason": "   "}, headers=staff)
    refused = client.post(
        f"{STAFF}/{certification_id}/reject", json={"reason": "残疾证已过期"}, headers=staff
    )

    assert blank.status_code == 422 and error_of(blank)["code"] == "reason_required"
    assert refused.status_code == 200 and refused.get_json()["status"] == "rejected"
    mine = client.get(MINE, headers=headers).get_json()
    assert mine[0]["reason"] == "残疾证已过期" and mine[0]["status"] == "rejected"
    assert "disabled" not in client.get(ME, headers=headers).get_json()["key_groups"]
    assert pushes(f"certification:{certification_id}:rejected") == 1
    assert audits("certification.reject") == 1
    # Evidence stays as the reviewer saw it.
    late = upload(client, f"{MINE}/{certification_id}/evidence", headers, PNG, "new.png")
    assert late.status_code == 409 and error_of(late)["code"] == "certification_decided"


def test_evidence_of_the_wrong_type_or_size_is_refused_with_its_code(app, client, wechat_login):
    headers, _ = applicant(client, wechat_login)
    certification_id = apply(client, headers).get_json()["id"]
    url = f"{MINE}/{certification_id}/evidence"

    script = upload(client, url, headers, b"#!/bin/sh\necho hi\n", "证明.pdf")
    missing = client.post(url, data={}, headers=headers, content_type="multipart/form-data")
    app.config["UPLOAD_MAX_BYTES"] = 16
    too_big = upload(client, url, headers)

    assert script.status_code == 415 and error_of(script)["code"] == "file_type_not_allowed"
    assert missing.status_code == 422 and error_of(missing)["code"] == "file_missing"
    assert too_big.status_code == 413 and error_of(too_big)["code"] == "file_too_large"
    assert client.get(f"{MINE}/{certification_id}", headers=headers).get_json()["evidence"] == []


def test_a_certificate_past_its_validity_or_without_evidence_cannot_be_certified(
    client, wechat_login, operator
):
    _, staff = operator
    headers, _ = applicant(client, wechat_login)
    bare = apply(client, headers, "veteran").get_json()["id"]
    certification_id = pending_with_evidence(client, headers)
    today = local_day()

    no_evidence = certify(client, staff, bare)
    expired = certify(client, staff, certification_id, today - timedelta(days=400), today - timedelta(days=1))
    reversed_ = certify(client, staff, certification_id, today - timedelta(days=5), today - timedelta(days=6))
    future = certify(client, staff, certification_id, today + timedelta(days=1))

    assert no_evidence.status_code == 422 and error_of(no_evidence)["code"] == "evidence_missing"
    assert expired.status_code == 422 and error_of(expired)["code"] == "certificate_expired"
    assert reversed_.status_code == 422 and error_of(reversed_)["code"] == "period_reversed"
    assert future.status_code == 422 and error_of(future)["code"] == "valid_from_in_future"
    assert db.session.get(Certification, certification_id).status == "pending"


def test_a_graduate_needs_the_year_and_counts_two_years_from_it(client, wechat_login, operator):
    _, staff = operator
    headers, _ = applicant(client, wechat_login)
    year = local_day().year

    without = apply(client, headers, "college_graduate")
    certification_id = pending_with_evidence(client, headers, "college_graduate", graduation_year=year)
    decided = certify(client, staff, certification_id, valid_until=None)

    assert without.status_code == 422 and error_of(without)["code"] == "graduation_year_required"
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["graduation_year"] == year
    assert decided.get_json()["valid_until"] == f"{year + 2}-06-30"


def test_groups_not_applied_for_and_people_without_a_community_are_refused(client, wechat_login):
    headers, _ = applicant(client, wechat_login)
    _, nowhere, _ = wechat_login()

    homeless = apply(client, nowhere)

    assert homeless.status_code == 422 and error_of(homeless)["code"] == "community_required"

    for group in ("registered_unemployed", "long_term_unemployed"):
        response = apply(client, headers, group)
        assert response.status_code == 422, group


def test_staff_record_a_group_at_the_counter_with_evidence_and_certify_it(client, make_resident, operator):
    _, staff = operator
    resident = make_resident(name="柜台居民")
    client_id = uuid.uuid4().hex
    body = {"client_id": client_id, "resident_id": resident.id, "key_group": "subsistence_allowance"}

    created = client.post(STAFF, json=body, headers=staff)
    again = client.post(STAFF, json=body, headers=staff)
    certification_id = created.get_json()["id"]
    uploaded = upload(client, f"{STAFF}/{certification_id}/evidence", staff, PNG, "低保证.png")
    decided = certify(client, staff, certification_id)

    assert created.status_code == 201 and again.status_code == 200
    assert created.get_json()["source"] == "staff" and again.get_json()["id"] == certification_id
    assert uploaded.status_code == 201 and uploaded.get_json()["content_type"] == "image/png"
    assert decided.status_code == 200
    row = db.session.scalar(
        sa.select(ResidentKeyGroup).where(
            ResidentKeyGroup.resident_id == resident.id, ResidentKeyGroup.key_group == "subsistence_allowance"
        )
    )
    assert row.certified and row.certification_id == certification_id
    assert audits("certification.record") == 1


def test_a_group_staff_set_without_evidence_is_not_verified(client, make_resident, operator):
    account, staff = operator
    resident = make_resident(name="未认定")
    ledger_core.add_key_group(resident, KeyGroup.hard_to_employ, StatusSource.staff, account)
    db.session.commit()

    detail = client.get(f"/api/v1/residents/{resident.id}", headers=staff).get_json()

    (period,) = [p for p in detail["key_group_periods"] if p["key_group"] == "hard_to_employ"]
    assert (
        period["certified"] is False and period["certified_by"] is None and period["certification_id"] is None
    )
    assert db.session.get(Resident, resident.id).key_group_rows[0].verified_by_id is None


def test_staff_outside_the_place_get_404_and_other_roles_403(client, wechat_login, operator, staff_headers):
    _, staff = operator
    headers, _ = applicant(client, wechat_login)
    certification_id = pending_with_evidence(client, headers)
    evidence_id = client.get(f"{MINE}/{certification_id}", headers=headers).get_json()["evidence"][0]["id"]
    _, outsider = staff_headers("operator", "circle", SIDES["B"]["circle"])
    _, worker = staff_headers("grid_worker", "community", SIDES["A"]["code"])
    other_headers, _ = applicant(client, wechat_login, name="别人")

    for path, method, body in (
        (f"{STAFF}/{certification_id}", "get", None),
        (f"{STAFF}/{certification_id}/evidence/{evidence_id}", "get", None),
        (f"{STAFF}/{certification_id}/certify", "post", {"valid_from": local_day().isoformat()}),
        (f"{STAFF}/{certification_id}/reject", "post", {"reason": "不符合"}),
    ):
        assert client.open(path, method=method, json=body, headers=outsider).status_code == 404, path
        assert client.open(path, method=method, json=body, headers=worker).status_code == 403, path
    assert client.get(STAFF, headers=outsider).get_json()["items"] == []
    assert client.get(f"{MINE}/{certification_id}", headers=other_headers).status_code == 404
    mine = f"{MINE}/{certification_id}/evidence/{evidence_id}"
    assert client.get(mine, headers=other_headers).status_code == 404
    assert client.delete(mine, headers=other_headers).status_code == 404
    assert db.session.get(Certification, certification_id).status == "pending"


def test_evidence_downloads_owner_and_reviewer_the_reviewer_audited(
    client, wechat_login, operator, staff_headers
):
    _, staff = operator
    _, supervisor = staff_headers("supervisor", "circle", SIDES["A"]["circle"])
    headers, _ = applicant(client, wechat_login)
    certification_id = pending_with_evidence(client, headers)
    evidence_id = client.get(f"{MINE}/{certification_id}", headers=headers).get_json()["evidence"][0]["id"]

    own = client.get(f"{MINE}/{certification_id}/evidence/{evidence_id}", headers=headers)
    staff_copy = client.get(f"{STAFF}/{certification_id}/evidence/{evidence_id}", headers=staff)
    detail = client.get(f"{STAFF}/{certification_id}", headers=staff)

    assert own.status_code == staff_copy.status_code == detail.status_code == 200
    assert own.data == staff_copy.data == PDF
    assert staff_copy.headers["Cache-Control"] == "private, no-store"
    assert audits("certification.evidence_read") == 1 and audits("certification.read") == 1
    # The supervisor reads the record, not the evidence itself.
    assert client.get(f"{STAFF}/{certification_id}", headers=supervisor).status_code == 200
    watched = client.get(f"{STAFF}/{certification_id}/evidence/{evidence_id}", headers=supervisor)
    assert watched.status_code == 403 and error_of(watched)["code"] == "role_forbidden"
    own.close()
    staff_copy.close()
    # The owner removes a wrong file while it waits.
    assert (
        client.delete(f"{MINE}/{certification_id}/evidence/{evidence_id}", headers=headers).status_code == 204
    )
    assert client.get(f"{MINE}/{certification_id}", headers=headers).get_json()["evidence"] == []


def test_staff_list_filters_by_group_status_community_and_expiry(client, wechat_login, operator):
    _, staff = operator
    headers, _ = applicant(client, wechat_login)
    soon = pending_with_evidence(client, headers, "disabled")
    later = pending_with_evidence(client, headers, "veteran")
    certify(client, staff, soon, valid_until=local_day() + timedelta(days=20))
    certify(client, staff, later, valid_until=local_day() + timedelta(days=200))
    waiting = pending_with_evidence(client, headers, "poverty_alleviated")

    def ids(**query):
        response = client.get(STAFF, query_string=query, headers=staff)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [waiting, later, soon]
    assert ids(key_group="veteran") == [later]
    assert ids(status="pending") == [waiting]
    assert ids(expiring_days=30) == [soon]
    assert ids(community=SIDES["A"]["code"]) == [waiting, later, soon]
    assert ids(community=SIDES["B"]["code"]) == []
    assert ids(township=SIDES["A"]["code"][:9] + "000") == [waiting, later, soon]


def test_the_daily_run_reminds_once_before_the_end_then_expires_and_ends_the_period(
    client, wechat_login, operator
):
    _, staff = operator
    headers, resident_id = applicant(client, wechat_login)
    today = local_day()
    certification_id = pending_with_evidence(client, headers, "poverty_monitoring")
    assert certify(client, staff, certification_id, valid_until=today).status_code == 200

    first = run_daily()
    second = run_daily()

    assert first["reminded"] == 1 and second["reminded"] == 0
    assert pushes(f"certification:{certification_id}:renewal") == 1
    assert db.session.get(Certification, certification_id).reminded_at is not None
    # The next day it has expired: the certification says so and the group no longer counts.
    assert expiry.run(today + timedelta(days=1)) == {"reminded": 0, "expired": 1}
    db.session.expire_all()
    row = db.session.get(Certification, certification_id)
    assert row.status == "expired" and row.expired_at is not None
    period = db.session.scalar(
        sa.select(ResidentKeyGroup).where(ResidentKeyGroup.certification_id == certification_id)
    )
    assert period.until == today and not period.is_current(today + timedelta(days=1))
    assert expiry.run(today + timedelta(days=1))["expired"] == 0


def _unemployed_since(resident: Resident, days_ago: int) -> None:
    """Date the resident's change into unemployment `days_ago` days back."""
    change = db.session.scalar(sa.select(StatusChange).where(StatusChange.resident_id == resident.id))
    change.occurred_at = change.occurred_at - timedelta(days=days_ago)
    db.session.commit()


def test_long_term_unemployment_is_worked_out_from_the_history(app, make_resident):
    app.config["LONG_TERM_UNEMPLOYED_MONTHS"] = 12
    long_ago = make_resident(name="长期", status="unemployed")
    recent = make_resident(name="新近", status="unemployed")
    _unemployed_since(long_ago, 400)
    _unemployed_since(recent, 100)
    # Registering as unemployed does not break the spell.
    ledger_core.record_status(long_ago, "unemployed_registered", StatusSource.staff)
    db.session.commit()

    result = long_term.compute()

    assert result == {"added": 1, "ended": 0}
    db.session.expire_all()
    assert "long_term_unemployed" in db.session.get(Resident, long_ago.id).key_groups
    assert "long_term_unemployed" not in db.session.get(Resident, recent.id).key_groups
    row = next(
        r
        for r in db.session.get(Resident, long_ago.id).key_group_rows
        if r.key_group == "long_term_unemployed"
    )
    assert (row.source, row.certified) == ("rule", False)
    assert long_term.compute() == {"added": 0, "ended": 0}
    # Hired: the next run ends it.
    ledger_core.record_status(db.session.get(Resident, long_ago.id), "employed", StatusSource.staff)
    db.session.commit()
    assert long_term.compute() == {"added": 0, "ended": 1}
    db.session.expire_all()
    assert "long_term_unemployed" not in db.session.get(Resident, long_ago.id).key_groups


def test_long_term_unemployment_cannot_be_set_by_hand(make_resident):
    resident = make_resident(name="手工")

    with pytest.raises(Exception) as refused:
        ledger_core.set_key_groups(resident, ["long_term_unemployed"])

    assert getattr(refused.value, "code", None) == "key_group_computed"
