"""Keeping in touch (定期联系): follow-ups of accepted unemployment registrations, and the daily run.

A registration is valid until a day; a follow-up (the person confirming they still look for work,
or staff recording a call or a visit) moves that day on by UNEMPLOYMENT_FOLLOW_UP_MONTHS from the
day of the follow-up. Every day the run pushes a reminder once per period, when the last day is
UNEMPLOYMENT_REMINDER_DAYS away or less, and ends (`no_follow_up`) those whose last day has passed.
Before either, a grid worker's visit counts as the follow-up: one that met the household (at the
door, by phone, at the station or online) and recorded this person since the period began is the
regular re-contact the rules ask for, so nobody is reminded or struck off who was just seen.
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
    Visit,
    VisitChannel,
    VisitOutcome,
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


# How a grid visit's channel reads as a follow-up's.
VISIT_CHANNELS = {
    VisitChannel.door: FollowUpChannel.visit,
    VisitChannel.phone: FollowUpChannel.phone,
    VisitChannel.station: FollowUpChannel.station,
    VisitChannel.online: FollowUpChannel.online,
}


def _by_visit(registration: Registration) -> bool:
    """Count a grid visit that met the person since the period began as its follow-up; tell whether one did.

    Reads the household's met visits of the period (an index range by household and time), and
    records the follow-up once per visit (its client id is the visit's).
    """
    resident = registration.resident
    if resident.household_id is None:
        return False
    months = follow_up_months()
    began = add_months(registration.valid_until + timedelta(days=1), -months)
    visits = db.session.scalars(
        sa.select(Visit)
        .where(
            Visit.household_id == resident.household_id,
            Visit.outcome == VisitOutcome.met.value,
            Visit.visit_day >= began,
        )
        .order_by(Visit.visited_at.desc())
    )
    seen = next(
        (v for v in visits if any(u.get("resident_id") == resident.id for u in v.member_updates or [])), None
    )
    if seen is None:
        return False
    until = add_months(seen.visit_day, months) - timedelta(days=1)
    if until <= registration.valid_until:
        return False  # seen the day the period began: nothing moves on
    registration.valid_until = until
    db.session.add(
        RegistrationFollowUp(
            registration_id=registration.id,
            author_id=seen.worker_id,
            client_id=f"visit:{seen.id}",
            channel=VISIT_CHANNELS[VisitChannel(seen.channel)].value,
            note="网格员走访时联系到本人",
            valid_until=until,
        )
    )
    audit.record(
        "registration.follow_up",
        object_type="resident",
        object_id=registration.resident_id,
        detail={"registration_id": registration.id, "visit_id": seen.id, "valid_until": until.isoformat()},
        actor_label="system:follow_ups",
    )
    return True


def run(today: date | None = None) -> dict:
    """Remind those whose registration lapses soon, end the lapsed (unless a visit saw them); count them."""
    today = today or local_day()
    soon = today + timedelta(days=current_app.config["UNEMPLOYMENT_REMINDER_DAYS"])
    reminded = ended = seen = 0
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
        if _by_visit(registration) and registration.valid_until > soon:
            db.session.commit()
            seen += 1
            continue
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
        # A follow-up may have come in since the list was read, or a visit may count as one.
        if registration.status != RegistrationStatus.accepted or registration.valid_until >= today:
            db.session.rollback()
            continue
        if _by_visit(registration) and registration.valid_until >= today:
            db.session.commit()
            seen += 1
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
    return {"reminded": reminded, "ended": ended, "seen_on_visits": seen}
