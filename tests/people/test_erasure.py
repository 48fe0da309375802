"""Deletion requests: résumé files gone from disk, the rest erased or anonymised, the ledger kept."""

from datetime import timedelta

import sqlalchemy as sa

from app.common import files
from app.common.clock import local_day
from app.extensions import db
from app.models import (
    Account,
    Application,
    AuditEvent,
    DeletionRequest,
    Resident,
    Resume,
    ResumeFile,
    StatusChange,
    StatusSource,
)
from app.services.people import erasure, seekers
from app.services.people.status import record_status
from tests.people.test_my_data import seeker_with_everything

DELETION = "/api/v1/me/deletion-request"


def stored_paths(resident_id: int) -> list:
    """Return the paths on disk of a résumé's files."""
    names = db.session.scalars(
        sa.select(ResumeFile.storage_name).where(ResumeFile.resident_id == resident_id)
    )
    return [files.path_of(name) for name in names]


def resident_of_headers(client, headers) -> Resident:
    """Return the resident behind a resident's headers."""
    return db.session.get(Resident, client.get("/api/v1/me", headers=headers).get_json()["id"])


def test_deletion_erases_a_mini_program_user_and_keeps_nothing_personal(
    app, client, wechat_login, make_employer, make_job, fake_wechat
):
    headers, _, application_id = seeker_with_everything(client, wechat_login, make_employer, make_job)
    resident = resident_of_headers(client, headers)
    resident_id, account_id, openid = resident.id, resident.account_id, resident.account.openid
    paths = stored_paths(resident_id)
    assert paths and all(p.exists() for p in paths)

    response = client.post(DELETION, headers=headers)

    assert response.status_code == 202, response.get_json()
    db.session.expire_all()
    request = db.session.scalar(sa.select(DeletionRequest))
    assert (request.status, request.ledger_kept, request.retain_until) == ("done", False, None)
    assert request.detail["resume_files"] == 1 and request.detail["applications_withdrawn"] == 1
    assert not any(p.exists() for p in paths)
    assert db.session.get(Resume, resident_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResumeFile)) == 0
    resident = db.session.get(Resident, resident_id)
    assert (resident.name, resident.id_number_hmac, resident.phone_hmac, resident.home_lat) == (None,) * 4
    assert (resident.account_id, resident.community_id, resident.seek_radius_m) == (None, None, None)
    application = db.session.get(Application, application_id)
    assert (application.status, application.message) == ("withdrawn", None)
    account = db.session.get(Account, account_id)
    assert (account.openid, account.is_active) == (None, False)
    assert seekers.search_seekers(29.7165, 118.3185, 1000, 10) == []
    # Logged out everywhere.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    actions = set(
        db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.startswith("deletion.")))
    )
    assert actions == {"deletion.request", "deletion.done"}
    # The same WeChat user, logging in again, is shown their request and its outcome.
    _, again, _ = wechat_login(openid=openid)
    shown = client.get(DELETION, headers=again)
    assert shown.status_code == 200 and shown.get_json()["status"] == "done"


def test_a_ledger_record_is_kept_until_its_retention_ends(app, client, make_seeker):
    seeker = make_seeker(name="孙八")
    resident = db.session.get(Resident, seeker.resident_id)
    record_status(resident, "unemployed", StatusSource.staff)  # on the ledger by staff
    db.session.commit()

    response = client.post(DELETION, headers=seeker.headers)

    assert response.status_code == 202
    db.session.expire_all()
    request = db.session.scalar(sa.select(DeletionRequest))
    assert request.ledger_kept is True
    assert request.retain_until == erasure.years_after(local_day(), app.config["LEDGER_RETENTION_YEARS"])
    resident = db.session.get(Resident, seeker.resident_id)
    assert (resident.name, resident.employment_status, resident.account_id) == ("孙八", "unemployed", None)
    assert resident.community_id is None or resident.city_id is not None
    assert db.session.scalar(sa.select(sa.func.count()).where(StatusChange.resident_id == resident.id)) == 1
    assert (resident.home_lat, resident.phone_hmac, db.session.get(Resume, resident.id)) == (None, None, None)

    # The daily sweep does nothing before the day, and anonymises the ledger part after it.
    assert erasure.sweep() == {"retried": 0, "ledger_erased": 0}
    request.retain_until = local_day() - timedelta(days=1)
    db.session.commit()
    assert erasure.sweep() == {"retried": 0, "ledger_erased": 1}
    db.session.expire_all()
    resident = db.session.get(Resident, seeker.resident_id)
    assert resident.name is None and resident.employment_status == "unemployed"
    assert db.session.scalar(sa.select(DeletionRequest.ledger_erased_at)) is not None
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "deletion.ledger_erased"))


def test_retries_are_safe(app, client, make_seeker):
    seeker = make_seeker()
    account = db.session.get(Account, seeker.account_id)
    app.config["RQ_ASYNC"] = True  # the worker has not run yet: the request waits
    app.extensions["queue_redis"].flushdb()

    first, created = erasure.request_deletion(account, "127.0.0.1")
    again, created_again = erasure.request_deletion(account, "127.0.0.1")

    assert (created, created_again, again.id) == (True, False, first.id)
    assert first.status == "pending"
    shown = client.get(DELETION, headers=seeker.headers)
    assert shown.status_code == 200 and shown.get_json()["status"] == "pending"
    repeated = client.post(DELETION, headers=seeker.headers)
    assert repeated.status_code == 200 and repeated.get_json()["id"] == first.id
    app.config["RQ_ASYNC"] = False
    assert erasure.erase(first.id).status == "done"
    processed_at = db.session.get(DeletionRequest, first.id).processed_at
    assert erasure.erase(first.id).status == "done"  # run twice (at-least-once delivery): no change
    assert db.session.get(DeletionRequest, first.id).processed_at == processed_at
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeletionRequest)) == 1


def test_a_failed_erasure_is_retried_by_the_sweep(app, client, make_seeker, monkeypatch):
    seeker = make_seeker()
    app.config["RQ_ASYNC"] = True
    request, _ = erasure.request_deletion(db.session.get(Account, seeker.account_id), None)
    app.config["RQ_ASYNC"] = False

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(erasure, "_erase_account", broken)
    assert erasure.erase(request.id).status == "failed"
    assert db.session.get(DeletionRequest, request.id).last_error == "RuntimeError: disk full"
    monkeypatch.undo()
    request.created_at -= timedelta(hours=1)
    db.session.commit()

    assert erasure.sweep()["retried"] == 1
    assert db.session.get(DeletionRequest, request.id).status == "done"


def test_nobody_else_asks_for_deletion(client, staff_headers, make_employer):
    _, city = staff_headers("city_admin", "city", "341000000000")
    _, employer = make_employer()

    assert client.post(DELETION, headers=city).status_code == 403
    assert client.post(DELETION, headers=employer).status_code == 403
    assert client.get(DELETION, headers=city).status_code == 403
