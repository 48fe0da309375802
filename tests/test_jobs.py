"""RQ jobs run through the real queue code (inline on fakeredis and on real Redis)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db, get_queue
from app.jobs import enqueue
from app.jobs.maintenance import purge_expired_tokens
from app.models import AuthToken, utcnow


def test_purge_job_deletes_only_long_ended_tokens(app, client, staff_headers):
    account, headers = staff_headers("city_admin", "city", "341000000000")
    old = AuthToken(account_id=account.id, token_hash="a" * 64, expires_at=utcnow() - timedelta(days=30))
    revoked = AuthToken(
        account_id=account.id,
        token_hash="b" * 64,
        expires_at=utcnow() + timedelta(days=1),
        revoked_at=utcnow() - timedelta(days=8),
    )
    db.session.add_all([old, revoked])
    db.session.commit()

    job = enqueue("default", purge_expired_tokens, 7)

    assert job.is_finished and job.return_value() == 2
    hashes = set(db.session.scalars(sa.select(AuthToken.token_hash)))
    assert "a" * 64 not in hashes and "b" * 64 not in hashes
    # The live token of the login above survives and still works.
    assert client.get("/api/v1/staff", headers=headers).status_code == 200


def test_purge_tokens_command_reports_the_job(runner):
    result = runner.invoke(args=["purge-tokens", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "finished, 0 deleted" in result.output


def test_unknown_queue_is_refused(app):
    with pytest.raises(ValueError, match="nope"):
        get_queue("nope")
