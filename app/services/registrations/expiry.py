"""What changes with time alone for certifications: renewal reminders, then expiry (daily).

A certified key group's period ends on the certification's valid_until (the ledger's readers
compare `until` with today, so it stops counting that day without any run). The daily run
marks certifications past valid_until expired (and ends a period still open, should one be),
and pushes a renewal reminder CERTIFICATION_REMINDER_DAYS before valid_until: once per
certification (its `reminded_at`, and the push's object_key should the run repeat).
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day
from app.extensions import db
from app.models import Certification, CertificationStatus, KeyGroup, ResidentKeyGroup, utcnow
from app.queues import enqueue_after_commit
from app.services.people.facts_changed import facts_changed
from app.services.registrations.certifications import PAGE, SUBJECT

BATCH = 500


def expire(today: date | None = None) -> int:
    """Mark certified certifications past valid_until expired; return how many. Commits per batch."""
    today = today or local_day()
    done = 0
    while True:
        rows = list(
            db.session.scalars(
                sa.select(Certification)
                .where(
                    Certification.status == CertificationStatus.certified,
                    Certification.valid_until < today,
                )
                .order_by(Certification.id)
                .limit(BATCH)
            )
        )
        if not rows:
            return done
        for row in rows:
            row.status = CertificationStatus.expired.value
            row.expired_at = utcnow()
            facts_changed(row.resident_id)  # a certified key group ends: policies re-match
            # The period that rests on it ends with it (it was written ending then; a row
            # changed since, e.g. by hand, is closed here).
            period = db.session.scalar(
                sa.select(ResidentKeyGroup).where(ResidentKeyGroup.certification_id == row.id)
            )
            if period is not None and (period.until is None or period.until > row.valid_until):
                period.until = max(row.valid_until, period.since) if period.since else row.valid_until
        db.session.commit()
        done += len(rows)


def remind(today: date | None = None) -> int:
    """Push a renewal reminder for certifications ending within CERTIFICATION_REMINDER_DAYS; once each."""
    today = today or local_day()
    horizon = today + timedelta(days=current_app.config["CERTIFICATION_REMINDER_DAYS"])
    rows = list(
        db.session.scalars(
            sa.select(Certification)
            .where(
                Certification.status == CertificationStatus.certified,
                Certification.reminded_at.is_(None),
                Certification.valid_until.between(today, horizon),
            )
            .order_by(Certification.id)
        )
    )
    for row in rows:
        row.reminded_at = utcnow()
        name = KeyGroup(row.key_group).label
        enqueue_after_commit(
            "push.notify_record",
            row.resident_id,
            SUBJECT,
            f"certification:{row.id}:renewal",
            "即将到期",
            f"{name}{row.valid_until.isoformat()}到期"[:20],
            PAGE,
        )
    db.session.commit()
    return len(rows)


def run(today: date | None = None) -> dict:
    """The daily run: reminders first (a certificate ending today still gets one), then expiry."""
    return {"reminded": remind(today), "expired": expire(today)}
