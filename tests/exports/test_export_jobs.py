"""Large exports as a task: progress, the file, a link only its owner may follow until it expires, purge."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import queues
from app.extensions import db
from app.models import AuditEvent, ExportJob, utcnow
from app.services import lists
from app.services.exports import jobs, writers
from app.tasks import exports as export_tasks
from app.tasks.maintenance import SCHEDULE
from tests.exports.files import EXPORTS, bulk_residents, download, read_back
from tests.support import error_of

YUZHONG = "341002002000"
MANY = 2500


@pytest.fixture
def admin(app, staff_headers):
    """昱中's township admin with a few thousand residents to export, the inline limit set low."""
    app.config["EXPORT_INLINE_MAX_ROWS"] = 100
    account, headers = staff_headers("township_admin", "township", YUZHONG)
    bulk_residents(MANY)
    return account, headers


def queued(actor, fmt="xlsx", **filters) -> int:
    """Queue an export of the residents without running it; return the job's id."""
    return jobs.queue_export(actor, "residents", filters, fmt, False, "127.0.0.1", enqueue=False).id


def job_row(job_id: int) -> ExportJob:
    """Read a job afresh from the database."""
    db.session.expire_all()
    return db.session.get(ExportJob, job_id)


def file_path(job: ExportJob) -> Path:
    """Return where a job's file is on disk."""
    return jobs.file_of(job)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_large_export_runs_as_a_task_and_writes_every_row(client, admin, fmt):
    account, headers = admin

    response = client.post(EXPORTS, json={"source": "residents", "format": fmt}, headers=headers)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # The queue runs inline in tests: by the time the request answers, the task has written it.
    job = job_row(body["id"])
    assert job.started_at is not None and job.started_at >= job.created_at
    status = client.get(f"{EXPORTS}/{body['id']}", headers=headers).get_json()
    assert status["status"] == "done" and status["rows_written"] == status["total"] == MANY
    assert status["progress"] == 1.0 and status["expires_at"] and status["download_url"]
    table = read_back(download(client, headers, status["download_url"]).data, fmt)
    assert table.line("行数：") == str(MANY)
    assert len(table.rows) == MANY
    assert {str(value) for value in table.column("身份证号")} <= {
        f"3410**********{n:04d}" for n in range(MANY)
    }
    # Audited when asked for, and again when written.
    details = [
        event.detail
        for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export.residents"))
    ]
    assert [detail.get("status") for detail in details] == ["queued", "done"]
    assert [detail["rows"] for detail in details] == [MANY, MANY]
    assert all(detail["format"] == fmt and detail["reveal"] is False for detail in details)


def test_the_task_saves_its_progress_as_it_goes(app, admin, monkeypatch):
    account, _ = admin
    job_id = queued(account, "csv")
    monkeypatch.setattr(writers, "PROGRESS_EVERY", 500)
    seen = []
    saved = jobs._Progress.__call__

    def watched(self, rows):
        saved(self, rows)
        # What a status page polling now would read: a connection of its own.
        with db.engine.connect() as connection:
            seen.append(
                connection.scalar(sa.select(ExportJob.rows_written).where(ExportJob.id == self.job_id))
            )

    monkeypatch.setattr(jobs._Progress, "__call__", watched)

    queues.enqueue("exports.run_export", job_id)  # the declared task, on its queue (inline here)

    assert seen == [500, 1000, 1500, 2000, 2500]
    job = job_row(job_id)
    assert (job.status, job.rows_written, job.total) == ("done", MANY, MANY)
    assert job.size == file_path(job).stat().st_size > 0


def test_a_queued_export_shows_no_link_until_done(client, admin):
    account, headers = admin
    job_id = queued(account)

    status = client.get(f"{EXPORTS}/{job_id}", headers=headers).get_json()

    assert (status["status"], status["progress"], status["download_url"]) == ("queued", 0.0, None)
    refused = client.get(f"{EXPORTS}/{job_id}/download", headers=headers)
    assert refused.status_code == 409 and error_of(refused)["code"] == "export_not_ready"


def test_running_a_job_again_does_nothing(admin):
    account, _ = admin
    job_id = queued(account)

    assert export_tasks.run_export(job_id)["status"] == "done"
    again = export_tasks.run_export(job_id)

    assert again == {"id": job_id, "status": "done", "ran": False}


def test_a_failing_export_is_marked_failed_with_no_file_left(app, admin, monkeypatch):
    account, _ = admin
    job_id = queued(account)

    def broken(*args, **kwargs):
        yield {"id": 1}
        raise RuntimeError("the database went away")

    monkeypatch.setattr(lists, "stream", broken)

    assert export_tasks.run_export(job_id)["status"] == "failed"

    job = job_row(job_id)
    assert job.status == "failed" and "the database went away" in job.error
    assert not file_path(job).exists()
    failure = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.outcome == "failure"))
    assert failure.action == "export.residents" and failure.object_id == str(job_id)


def test_only_the_owner_sees_or_downloads_an_export(client, admin, staff_headers):
    account, headers = admin
    job_id = queued(account)
    export_tasks.run_export(job_id)
    url = client.get(f"{EXPORTS}/{job_id}", headers=headers).get_json()["download_url"]
    # Another admin of the very same township, and the city admin above it.
    for role, kind, code in (("township_admin", "township", YUZHONG), ("city_admin", "city", "341000000000")):
        _, other = staff_headers(role, kind, code)
        seen = client.get(f"{EXPORTS}/{job_id}", headers=other)
        assert seen.status_code == 404 and error_of(seen)["code"] == "export_not_found"
        taken = download(client, other, url)
        assert taken.status_code == 404 and error_of(taken)["code"] == "export_not_found"
    # A link with its token altered, or without one, opens nothing either.
    assert download(client, headers, url[:-3] + "AAA").status_code == 404
    assert download(client, headers, f"{EXPORTS}/{job_id}/download").status_code == 404
    assert download(client, headers, url).status_code == 200


def test_a_link_past_its_expiry_is_gone(client, admin):
    account, headers = admin
    job_id = queued(account)
    export_tasks.run_export(job_id)
    url = client.get(f"{EXPORTS}/{job_id}", headers=headers).get_json()["download_url"]
    job = job_row(job_id)
    job.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    refused = download(client, headers, url)

    assert refused.status_code == 410 and error_of(refused)["code"] == "export_expired"
    status = client.get(f"{EXPORTS}/{job_id}", headers=headers).get_json()
    assert status["status"] == "expired" and status["download_url"] is None


def test_the_link_lives_as_long_as_configured(app, admin):
    account, _ = admin
    app.config["EXPORT_LINK_TTL_MINUTES"] = 15
    job_id = queued(account)
    export_tasks.run_export(job_id)

    job = job_row(job_id)

    assert job.expires_at - job.finished_at == timedelta(minutes=15)


def test_the_purge_deletes_expired_files_and_fails_dead_tasks(client, admin):
    account, headers = admin
    done_id, fresh_id, dead_id = queued(account), queued(account), queued(account)
    export_tasks.run_export(done_id)
    export_tasks.run_export(fresh_id)
    url = client.get(f"{EXPORTS}/{done_id}", headers=headers).get_json()["download_url"]
    done, dead = job_row(done_id), job_row(dead_id)
    done.expires_at = utcnow() - timedelta(minutes=1)
    dead.created_at = utcnow() - timedelta(days=1)  # queued yesterday: its worker never came
    db.session.commit()
    path = file_path(done)
    assert path.exists()

    result = export_tasks.purge_exports()

    assert result == {"expired": 1, "failed": 1}
    assert not path.exists()
    assert job_row(done_id).status == "expired"
    assert job_row(dead_id).status == "failed"
    assert file_path(job_row(fresh_id)).exists()  # a link still valid keeps its file
    assert download(client, headers, url).status_code == 410
    assert "exports.purge_exports" in {name for name, _ in SCHEDULE}  # `flask cron` runs it
