"""Keeping in touch (定期联系): follow-ups of accepted unemployment registrations, and the daily run.

A registration is valid until a day; a follow-up (the person confirming they still look for work,
or staff recording a call or a visit) moves that day on by UNEMPLOYMENT_FOLLOW_UP_MONTHS from the
day of the follow-up. Every day the run pushes a reminder once per period, when the last day is
UNEMPLOYMENT_REMINDER_DAYS away or less, and ends (`no_follow_up`) those whose last day has passed.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import Conflict
from app.extensions import db
from app.models import (
    Account,
    EndingReason,
    FollowUpChannel,
    Registration,
    RegistrationFollowUp,
    RegistrationKind,
    RegistrationStatus,
    Role,
)
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.registrations.records import get_registration, push_outcome, require_reviewer
from app.services.registrations.unemployment import add_months, end, follow_up_months

ACCEPTED_UNEMPLOYMENT = (
    Registration.kind == RegistrationKind.unemployment.value,
    Registration.status == RegistrationStatus.accepted.value,
)


def _existing(author: Account, client_id: str) -> RegistrationFollowUp | None:
    return db.session.scalar(
        sa.select(RegistrationFollowUp).where(
            RegistrationFollowUp.author_id == author.id, RegistrationFollowUp.client_id == client_id
        )
    )


def follow_up(actor: Account, registration_id: int, values: dict, ip: str | None) -> Registration:
    """Record that the person still looks for work: the registration stays valid another period."""
    if actor.role != Role.resident:
        require_reviewer(actor)
    require_consent(actor)  # (staff pass: the gate is the resident's own)
    registration = get_registration(actor, registration_id, for_update=True)
    if _existing(actor, values["client_id"]) is not None:
        return registration  # a retry: recorded once
    if (
        registration.kind != RegistrationKind.unemployment
        or registration.status != RegistrationStatus.accepted
    ):
        raise Conflict(
            "registration_not_in_effect", "Only an accepted unemployment registration is followed up."
        )
    today = local_day()
    registration.valid_until = add_months(today, follow_up_months()) - timedelta(days=1)
    channel = (
        FollowUpChannel.self
        if actor.role == Role.resident
        else FollowUpChannel(values.get("channel") or "station")
    )
    db.session.add(
        RegistrationFollowUp(
            registration_id=registration.id,
            author_id=actor.id,
            client_id=values["client_id"],
            channel=channel.value,
            note=values.get("note"),
            valid_until=registration.valid_until,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return get_registration(actor, registration_id)
    audit.commit(
        "registration.follow_up",
        actor=actor,
        object_type="resident",
        object_id=registration.resident_id,
        ip=ip,
        detail={
            "registration_id": registration.id,
            "channel": channel.value,
            "valid_until": registration.valid_until.isoformat(),
        },
    )
    return registration


def run(today: date | None = None) -> dict:
    """Remind those whose registration lapses soon, end those that lapsed; return the counts."""
    today = today or local_day()
    soon = today + timedelta(days=current_app.config["UNEMPLOYMENT_REMINDER_DAYS"])
    reminded = ended = 0
    due = db.session.scalars(
        sa.select(Registration.id).where(
            *ACCEPTED_UNEMPLOYMENT,
            Registration.valid_until >= today,
            Registration.valid_until <= soon,
            sa.or_(
                Registration.reminded_for.is_(None), Registration.reminded_for != Registration.valid_until
            ),
        )
    ).all()
    for registration_id in due:
        registration = db.session.get(
            Registration, registration_id, with_for_update=True, populate_existing=True
        )
        registration.reminded_for = registration.valid_until
        push_outcome(
            registration,
            f"reminder:{registration.valid_until.isoformat()}",
            "请确认",
            f"{registration.valid_until:%m月%d日}前确认仍在求职",
        )
        db.session.commit()
        reminded += 1
    lapsed = db.session.scalars(
        sa.select(Registration.id).where(*ACCEPTED_UNEMPLOYMENT, Registration.valid_until < today)
    ).all()
    for registration_id in lapsed:
        registration = db.session.get(
            Registration, registration_id, with_for_update=True, populate_existing=True
        )
        # A follow-up may have come in since the list was read.
        if registration.status != RegistrationStatus.accepted or registration.valid_until >= today:
            db.session.rollback()
            continue
        end(registration, EndingReason.no_follow_up, None)
        audit.record(
            "registration.end",
            object_type="resident",
            object_id=registration.resident_id,
            detail={"registration_id": registration.id, "kind": registration.kind, "reason": "no_follow_up"},
            actor_label="system:follow_ups",
        )
        db.session.commit()
        ended += 1
    return {"reminded": reminded, "ended": ended}
