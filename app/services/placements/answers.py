"""Answers to a follow-up: the person's one tap, or staff recording a call or a visit; and the lists.

An answer is taken once (a conditional UPDATE from asked or task): the same answer again is a
retry and changes nothing, a different one is refused. It updates the ledger through the people
wing's status service: `left` takes a working person to unemployed (and ends the employment
registration the placement came from), `still_employed` confirms employed where the ledger had
lost it. `left` also stops the placement's later follow-ups: nobody is asked at six months about
a job they reported leaving at three.
"""

from datetime import date

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    EmploymentStatus,
    EndingReason,
    LeftReason,
    PlacementAnswer,
    PlacementFollowUp,
    PlacementFollowUpStatus,
    PlacementSource,
    Registration,
    RegistrationStatus,
    Resident,
    Role,
    StatusSource,
    utcnow,
)
from app.services.jobs import credibility
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.people.province_outbox import note_for_province
from app.services.people.residents import resident_of
from app.services.people.scoping import worked_on
from app.services.people.status import WORKING, record_status
from app.services.registrations.records import close
from app.services.results import Page, RowWith, paginate

S = PlacementFollowUpStatus
OPEN = (S.asked.value, S.task.value)
# What a resident sees of their own: the follow-ups they were asked (whatever became of them since).
ASKED = PlacementFollowUp.asked_at.is_not(None)
# The channels staff record an answer through (the person's own is `self`).
STAFF_CHANNELS = ("phone", "door", "station")
LEFT_REASON_TEXT = {
    LeftReason.contract_ended: "合同到期",
    LeftReason.dismissed: "被辞退",
    LeftReason.wages: "薪酬不满意",
    LeftReason.conditions: "工作条件",
    LeftReason.distance: "通勤距离",
    LeftReason.family: "家庭原因",
    LeftReason.health: "健康原因",
    LeftReason.better_job: "另有更好工作",
    LeftReason.other: "其他",
}


def _not_found(follow_up_id: int) -> NotFound:
    return NotFound("placement_follow_up_not_found", f"No placement follow-up {follow_up_id} for you.")


def _own(actor: Account, follow_up_id: int) -> PlacementFollowUp:
    """Return one of the resident's own follow-ups that they have been asked, or 404."""
    resident = resident_of(actor)
    found = db.session.scalar(
        sa.select(PlacementFollowUp).where(
            PlacementFollowUp.id == follow_up_id,
            PlacementFollowUp.resident_id == resident.id,
            ASKED,
        )
    )
    if found is None:
        raise _not_found(follow_up_id)
    return found


def _in_scope(actor: Account, follow_up_id: int) -> PlacementFollowUp:
    """Return a follow-up in the staff member's place (a grid worker's: their communities), or 404."""
    found = db.session.scalar(
        worked_on(sa.select(PlacementFollowUp), PlacementFollowUp, actor).where(
            PlacementFollowUp.id == follow_up_id
        )
    )
    if found is None:
        raise _not_found(follow_up_id)
    return found


def my_follow_ups(actor: Account) -> list[PlacementFollowUp]:
    """Return the follow-ups I was asked, newest first."""
    resident = resident_of(actor)
    return list(
        db.session.scalars(
            sa.select(PlacementFollowUp)
            .where(
                PlacementFollowUp.resident_id == resident.id,
                ASKED,
            )
            .order_by(PlacementFollowUp.due_on.desc(), PlacementFollowUp.id.desc())
        )
    )


def my_follow_up(actor: Account, follow_up_id: int) -> PlacementFollowUp:
    """Return one follow-up I was asked (the page a push opens)."""
    return _own(actor, follow_up_id)


def list_follow_ups(actor: Account, args: dict) -> Page:
    """List follow-ups in the staff member's place, oldest due first (?status=&stage_days=&employer_id=)."""
    statement = worked_on(sa.select(PlacementFollowUp), PlacementFollowUp, actor)
    for name in ("status", "stage_days", "employer_id"):
        if args.get(name) is not None:
            statement = statement.where(getattr(PlacementFollowUp, name) == args[name])
    page = paginate(
        statement,
        args["page"],
        args["per_page"],
        order_by=(PlacementFollowUp.due_on, PlacementFollowUp.id),
    )
    people = {
        resident.id: resident
        for resident in db.session.scalars(
            sa.select(Resident).where(Resident.id.in_({row.resident_id for row in page.items}))
        )
    }
    page.items = [RowWith(row, resident=people.get(row.resident_id)) for row in page.items]
    return page


def _check(values: dict, follow_up: PlacementFollowUp, today: date) -> dict:
    """Return the answer's columns from the input, or refuse (422) what does not add up."""
    answer = PlacementAnswer(values["answer"])
    if answer is PlacementAnswer.still_employed:
        return {"answer": answer.value, "left_reason": None, "left_on": None}
    if not values.get("left_reason"):
        raise ValidationFailed("left_reason", "Say why you left.", code="left_reason_required")
    left_on = values.get("left_on")
    if left_on is None:
        raise ValidationFailed("left_on", "Give the last day of work.", code="left_on_required")
    if left_on > today:
        raise ValidationFailed("left_on", "The last day cannot be after today.", code="left_on_in_future")
    if left_on < follow_up.started_on:
        raise ValidationFailed(
            "left_on", "The last day is before the first day.", code="left_on_before_start"
        )
    return {
        "answer": answer.value,
        "left_reason": LeftReason(values["left_reason"]).value,
        "left_on": left_on,
    }


def _end_registration(follow_up: PlacementFollowUp, actor: Account, left_on: date, reason: str) -> None:
    """End the accepted employment registration the placement came from (离职), in this transaction."""
    if follow_up.source_type != PlacementSource.employment_registration:
        return
    registration = db.session.get(Registration, follow_up.source_id, with_for_update=True)
    if registration is None or registration.status != RegistrationStatus.accepted:
        return
    # As the registrations wing's end_employment records it, without its own commit and push.
    close(registration, RegistrationStatus.ended)
    registration.ended_at, registration.ended_on = utcnow(), left_on
    registration.ending_reason = EndingReason.left_job.value
    registration.ending_note = f"稳岗回访：{reason}"
    registration.ended_by_id = actor.id
    note_for_province("employment_registration", "person", registration.resident_id, registration, "close")


def _update_ledger(follow_up: PlacementFollowUp, actor: Account, columns: dict) -> None:
    """Bring the ledger in line with the answer, and stop the later follow-ups of a placement left."""
    resident = db.session.get(Resident, follow_up.resident_id)
    source = StatusSource.self if actor.role == Role.resident else StatusSource.staff
    if columns["answer"] == PlacementAnswer.still_employed:
        if resident.employment_status not in WORKING:
            record_status(resident, EmploymentStatus.employed, source, actor=actor, note="稳岗回访：仍在岗")
        return
    reason = LEFT_REASON_TEXT[LeftReason(columns["left_reason"])]
    _end_registration(follow_up, actor, columns["left_on"], reason)
    # Left for a better job: still working, only not there (the ledger keeps them employed).
    if resident.employment_status in WORKING and columns["left_reason"] != LeftReason.better_job:
        record_status(
            resident, EmploymentStatus.unemployed, source, actor=actor, note=f"稳岗回访：已离职（{reason}）"
        )
    db.session.execute(
        sa.update(PlacementFollowUp)
        .where(
            PlacementFollowUp.source_type == follow_up.source_type,
            PlacementFollowUp.source_id == follow_up.source_id,
            PlacementFollowUp.stage_days > follow_up.stage_days,
            PlacementFollowUp.status.in_((S.scheduled.value, *OPEN)),
        )
        .values(status=S.stopped.value, stop_reason="left_earlier", updated_at=utcnow())
    )


def _same(follow_up: PlacementFollowUp, columns: dict) -> bool:
    """Tell whether an answered follow-up already holds this answer (a retried tap)."""
    return all(getattr(follow_up, name) == value for name, value in columns.items())


def answer(actor: Account, follow_up_id: int, values: dict, ip: str | None) -> PlacementFollowUp:
    """Record the answer to a follow-up (the person's own, or staff's after a call or visit) once."""
    if actor.role == Role.resident:
        require_consent(actor)  # the answer changes the person's record in the ledger
        follow_up, channel = _own(actor, follow_up_id), "self"
    else:
        if actor.role == Role.supervisor:
            raise Forbidden("role_forbidden", "Supervisors watch; they do not record answers.")
        follow_up, channel = _in_scope(actor, follow_up_id), values.get("channel") or "phone"
        if channel not in STAFF_CHANNELS:
            raise ValidationFailed("channel", "Say how you reached the person.", code="invalid_channel")
    columns = _check(values, follow_up, local_day())
    if follow_up.status == S.answered:
        if _same(follow_up, columns):
            return follow_up
        raise Conflict("placement_already_answered", "This follow-up has its answer already.")
    if follow_up.status not in OPEN:
        code = "placement_stopped" if follow_up.status == S.stopped else "placement_not_due"
        raise Conflict(code, "This follow-up is not waiting for an answer.")
    now = utcnow()
    moved = db.session.execute(
        sa.update(PlacementFollowUp)
        .where(PlacementFollowUp.id == follow_up.id, PlacementFollowUp.status.in_(OPEN))
        .values(
            status=S.answered.value,
            answered_at=now,
            answered_by_id=actor.id,
            answer_channel=channel,
            updated_at=now,
            **columns,
        )
    )
    if moved.rowcount != 1:  # answered a moment ago, by the person or by staff
        db.session.rollback()
        db.session.refresh(follow_up)
        if _same(follow_up, columns):
            return follow_up
        raise Conflict("placement_already_answered", "This follow-up has its answer already.")
    _update_ledger(follow_up, actor, columns)
    # Retention is an input of the employer's credibility.
    credibility.mark_stale(follow_up.employer_id)
    audit.commit(
        "placement.answer",
        actor=actor,
        object_type="resident",
        object_id=follow_up.resident_id,
        ip=ip,
        detail={"follow_up_id": follow_up.id, "answer": columns["answer"], "channel": channel},
    )
    db.session.refresh(follow_up)
    return follow_up
