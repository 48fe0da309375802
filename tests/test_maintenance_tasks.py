"""The maintenance tasks (app/tasks/maintenance.py) run as RQ jobs through the real queue code
(inline on fakeredis and on real Redis)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuthToken, QrTokenUse, QueueCounter, utcnow
from app.queues import enqueue, get_queue
from app.tasks.maintenance import purge_expired_tokens, purge_qr_token_uses


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

    job = enqueue(purge_expired_tokens, 7)

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


def test_purge_job_forgets_only_long_expired_qr_code_uses(app, wechat_login):
    body, _, _ = wechat_login()
    account_id = body["account"]["id"]
    db.session.add_all(
        [
            QrTokenUse(account_id=account_id, token_key="r:1:1:100", used_at=utcnow() - timedelta(hours=25)),
            QrTokenUse(account_id=account_id, token_key="r:1:1:200", used_at=utcnow() - timedelta(minutes=1)),
        ]
    )
    db.session.commit()

    db.session.add_all(
        [
            QueueCounter(key="s1:2026-01-01", last=40, updated_at=utcnow() - timedelta(days=3)),
            QueueCounter(key="s1:today", last=2, updated_at=utcnow()),
            QueueCounter(key="e7", last=9, updated_at=utcnow() - timedelta(days=3)),
        ]
    )
    db.session.commit()

    job = enqueue(purge_qr_token_uses, 24)

    assert job.is_finished and job.return_value() == 1
    # A code used a minute ago is still remembered, so it cannot be replayed.
    assert set(db.session.scalars(sa.select(QrTokenUse.token_key))) == {"r:1:1:200"}
    # Past days' station counters go; today's, and an event's (its queue spans its days), stay.
    assert set(db.session.scalars(sa.select(QueueCounter.key))) == {"s1:today", "e7"}
