"""Consent gates the resident's registrations and certifications (nothing saved without it, PIPL);
the person's copy of their data shows their registrations in full, and deletion keeps the ledger's.

The base documents (service agreement, privacy notice) cover an application; the separate
sensitive-data consent also covers a 就业创业证 number and the groups that reveal health, a
specific identity or finances (残疾人, 脱贫/防止返贫, 低保).
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common import files
from app.common.clock import local_day
from app.extensions import db
from app.models import Certification, CertificationEvidence, DeletionRequest, Registration
from app.services.people import erasure
from tests.registrations.conftest import MINE, REGISTRATIONS, client_id
from tests.registrations.test_certifications import MINE as MINE_CERTIFICATIONS
from tests.registrations.test_certifications import PDF, applicant, apply, upload

WITHDRAW = "/api/v1/me/consents/withdraw"
UNEMPLOYMENT = {"reason_for_leaving": "合同到期", "left_on": "2026-10-31"}


def withdraw(client, headers, *purposes):
    response = client.post(WITHDRAW, json={"purposes": list(purposes)}, headers=headers)
    assert response.status_code == 200, response.get_json()


def rows(model, resident_id) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(model.resident_id == resident_id))


def test_an_application_without_consent_is_403_and_saves_nothing(client, registrant):
    resident_id, headers = registrant()
    withdraw(client, headers, "privacy_notice")

    refused = client.post(
        f"{MINE}/unemployment", json={"client_id": client_id(), **UNEMPLOYMENT}, headers=headers
    )
    own_work = {"client_id": client_id(), "employment_kind": "flexible", "started_on": "2026-11-02"}
    refused_too = client.post(f"{MINE}/employment", json=own_work, headers=headers)

    for response in (refused, refused_too):
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "consent_required"
        assert "privacy_notice" in error["fields"]
    assert rows(Registration, resident_id) == 0


def test_a_card_number_needs_the_sensitive_data_consent_too(client, registrant):
    resident_id, headers = registrant()
    withdraw(client, headers, "sensitive_data")
    body = {"client_id": client_id(), **UNEMPLOYMENT, "employment_card_number": "3410020012345678"}

    refused = client.post(f"{MINE}/unemployment", json=body, headers=headers)

    assert refused.status_code == 403
    assert list(refused.get_json()["error"]["fields"]) == ["sensitive_data"]
    assert rows(Registration, resident_id) == 0
    # Without the number the base documents are enough.
    body.pop("employment_card_number")
    assert client.post(f"{MINE}/unemployment", json=body, headers=headers).status_code == 201


def test_a_sensitive_group_needs_the_sensitive_data_consent(client, wechat_login, places):
    headers, resident_id = applicant(client, wechat_login)
    veteran = apply(client, headers, "veteran")
    assert veteran.status_code == 201, veteran.get_json()
    withdraw(client, headers, "sensitive_data")

    refused = apply(client, headers, "disabled")
    evidence = upload(client, f"{MINE_CERTIFICATIONS}/{veteran.get_json()['id']}/evidence", headers, PDF)

    assert refused.status_code == 403
    assert refused.get_json()["error"]["fields"].keys() == {"sensitive_data"}
    assert rows(Certification, resident_id) == 1
    # A group that says nothing sensitive goes on: its evidence is accepted.
    assert evidence.status_code == 201, evidence.get_json()


def test_the_copy_of_my_data_has_my_card_number_and_deletion_keeps_an_accepted_registration(
    client, registrant, desk
):
    resident_id, headers = registrant()
    body = {"client_id": client_id(), **UNEMPLOYMENT, "employment_card_number": "3410020012345678"}
    registration_id = client.post(f"{MINE}/unemployment", json=body, headers=headers).get_json()["id"]
    accepted = client.post(f"{REGISTRATIONS}/{registration_id}/accept", json={}, headers=desk[1])
    assert accepted.status_code == 200, accepted.get_json()

    copy = client.get("/api/v1/me/data", headers=headers).get_json()["sections"]["registrations"]

    assert [(r["id"], r["card_number"], r["status"]) for r in copy] == [
        (registration_id, "3410020012345678", "accepted")
    ]
    assert not any(name.endswith(("_enc", "_hmac")) for name in copy[0])
    # The registration is a ledger record: a deletion request keeps it (and the person's row).
    assert client.post("/api/v1/me/deletion-request", headers=headers).status_code == 202
    db.session.expire_all()
    request = db.session.scalar(sa.select(DeletionRequest))
    assert request.ledger_kept is True
    kept = db.session.get(Registration, registration_id)
    assert (kept.resident_id, kept.card_number_hint) == (resident_id, "3410********5678")
    # Once the retention has run out, the sweep clears the card number; the number and dates stay.
    request.retain_until = local_day() - timedelta(days=1)
    db.session.commit()
    assert erasure.sweep()["ledger_erased"] == 1
    db.session.expire_all()
    kept = db.session.get(Registration, registration_id)
    assert (kept.card_number_enc, kept.card_number_hint) == (None, None)
    assert kept.number.startswith("SY") and kept.status == "accepted"


def test_deletion_erases_applications_that_never_took_effect_with_their_files(
    client, registrant, wechat_login, places
):
    resident_id, headers = registrant()
    body = {"client_id": client_id(), **UNEMPLOYMENT, "employment_card_number": "3410020012345678"}
    assert client.post(f"{MINE}/unemployment", json=body, headers=headers).status_code == 201
    certification = apply(client, headers, "disabled").get_json()
    uploaded = upload(client, f"{MINE_CERTIFICATIONS}/{certification['id']}/evidence", headers, PDF)
    assert uploaded.status_code == 201, uploaded.get_json()
    stored = db.session.scalar(sa.select(CertificationEvidence.storage_name))
    assert files.path_of(stored).exists()

    assert client.post("/api/v1/me/deletion-request", headers=headers).status_code == 202

    db.session.expire_all()
    # A submitted registration and a pending certification are applications, not ledger records.
    assert (rows(Registration, resident_id), rows(Certification, resident_id)) == (0, 0)
    assert not files.path_of(stored).exists()
    assert db.session.scalar(sa.select(DeletionRequest.detail))["certifications_deleted"] == 1
