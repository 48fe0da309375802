"""Spot-check calls (电话抽查): whom to ring (masked), the audited reveal of a phone, the outcome.

A call belongs to a sample (programme/spot_checks.py) and is read by the sample's readers. The
supervisor who rings reveals the one phone of a call (audited against the resident: the event lies
in the resident's place). A reached call records every answer and is then final; an unreached one
may be tried again. A discrepancy raises a finding (programme/findings.py), once per call.
"""

import sqlalchemy as sa

from app.common.crypto import decrypt
from app.common.identity import mask_address, mask_name
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Claim,
    Finding,
    Household,
    Registration,
    Resident,
    Role,
    SpotCheck,
    SpotCheckKind,
    Visit,
    utcnow,
)
from app.services.people import audit
from app.services.people.places import describe_place
from app.services.programme import findings
from app.services.programme.supervision_scope import district_clause, district_reader

ANSWERS = ("visit_confirmed", "data_correct", "satisfaction")


def _subject(call: SpotCheck) -> str:
    """Say what the call checks, as the supervisor asks about it."""
    if call.object_type == SpotCheckKind.visit.value:
        visit = db.session.get(Visit, call.object_id)
        return f"{visit.visit_day:%Y-%m-%d} 上门走访" if visit else "上门走访"
    if call.object_type == SpotCheckKind.registration.value:
        registration = db.session.get(Registration, call.object_id)
        what = "失业登记" if registration and registration.kind == "unemployment" else "就业登记"
        return f"{what} {registration.number or ''}".strip() if registration else what
    claim = db.session.get(Claim, call.object_id)
    return f"{claim.version.title} 申领" if claim else "待遇申领"


def call_view(call: SpotCheck) -> dict:
    """Return one call as shown: whom to ring (masked), what it checks, who did the work, the outcome."""
    resident = db.session.get(Resident, call.resident_id) if call.resident_id else None
    household = db.session.get(Household, call.household_id) if call.household_id else None
    handled_by = db.session.get(Account, call.handled_by_id) if call.handled_by_id else None
    finding = db.session.scalar(sa.select(Finding).where(Finding.spot_check_id == call.id))
    shown = {column.key: getattr(call, column.key) for column in SpotCheck.__table__.columns}
    return {
        **shown,
        "subject": _subject(call),
        "resident_name": mask_name(resident.name) if resident and resident.name else None,
        "phone_hint": resident.phone_hint if resident else None,
        "address": mask_address(household.address) if household else None,
        "community": describe_place("community", call.community_id),
        "handled_by": (handled_by.display_name or handled_by.username) if handled_by else None,
        "finding_id": finding.id if finding else None,
        "finding_status": finding.status if finding else None,
    }


def _call(actor: Account, spot_check_id: int, for_update: bool = False) -> SpotCheck:
    """Load a call of a sample in the reader's district or city, or 404."""
    district_reader(actor)
    statement = sa.select(SpotCheck).where(SpotCheck.id == spot_check_id, district_clause(SpotCheck, actor))
    call = db.session.scalar(statement.with_for_update() if for_update else statement)
    if call is None:
        raise NotFound("spot_check_not_found", f"No spot-check call {spot_check_id} in your area.")
    return call


def get_call(actor: Account, spot_check_id: int) -> dict:
    """Return one call of a sample in the reader's place."""
    return call_view(_call(actor, spot_check_id))


def reveal_phone(actor: Account, spot_check_id: int, ip: str | None, reason: str | None = None) -> dict:
    """Return a call's full phone to the supervisor who rings it; audited against the resident."""
    call = _call(actor, spot_check_id)
    if actor.role != Role.supervisor:
        raise Forbidden("reveal_forbidden", "The supervisor who makes the call reveals its phone.")
    resident = db.session.get(Resident, call.resident_id) if call.resident_id else None
    if resident is None or resident.phone_enc is None:
        raise Conflict("no_phone", "This call has no phone to ring.")
    phone = decrypt(resident.phone_enc, "phone")
    audit.commit(
        "spot_check.reveal",
        actor=actor,
        object_type="resident",
        object_id=resident.id,
        ip=ip,
        detail={
            "fields": ["phone"],
            "spot_check_id": call.id,
            "reason": (reason or "").strip() or "电话抽查",
        },
    )
    return {"id": call.id, "resident_id": resident.id, "phone": phone}


def _check_answers(values: dict) -> dict:
    """Return the call's outcome as recorded: a reached call needs every answer, an unreached one none."""
    if not values["reached"]:
        given = [name for name in ANSWERS if values.get(name) is not None]
        if given:
            raise ValidationFailed(
                given[0], "A call that did not reach anyone has no answers.", code="not_reached"
            )
        return {"reached": False, **dict.fromkeys(ANSWERS)}
    for name in ANSWERS:
        if values.get(name) is None:
            raise ValidationFailed(
                name, "A call that reached the resident records every answer.", code="call_answers_required"
            )
    if not 1 <= values["satisfaction"] <= 5:
        raise ValidationFailed("satisfaction", "Satisfaction is 1 to 5.", code="invalid_satisfaction")
    return {"reached": True, **{name: values[name] for name in ANSWERS}}


def record_call(actor: Account, spot_check_id: int, values: dict, ip: str | None) -> dict:
    """Record a call's outcome; a discrepancy raises a finding for the operator (once per call).

    A call that did not reach anyone may be recorded again after another try; a reached call is
    final (the same outcome sent again is a retry and changes nothing).
    """
    call = _call(actor, spot_check_id, for_update=True)
    if actor.role != Role.supervisor:
        raise Forbidden("role_forbidden", "The supervisor records the calls.")
    outcome = _check_answers(values)
    note = (values.get("note") or "").strip()[:500] or None
    if call.reached:
        if all(getattr(call, name) == value for name, value in outcome.items()):
            return call_view(call)
        raise Conflict("call_already_recorded", "This call reached the resident and is recorded.")
    for name, value in outcome.items():
        setattr(call, name, value)
    call.note, call.called_by_id, call.called_at = note, actor.id, utcnow()
    audit.record(
        "spot_check.call",
        actor=actor,
        object_type="spot_check",
        object_id=call.id,
        ip=ip,
        detail={**outcome},
    )
    findings.raise_from_call(actor, call, ip)
    db.session.commit()
    return call_view(call)
