"""Visits: batches from a phone's offline queue, each applied once and on its own, with its member updates.

A visit of any channel (door, phone, station, online) updates the ledger and records needs; only
door visits count toward coverage and visit days (checklist, progress, snapshots).
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.common.geo import check_point
from app.errors import Forbidden, ValidationFailed, validation_fields
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Household,
    KeyGroup,
    Need,
    Role,
    StatusChange,
    StatusSource,
    Visit,
    VisitChannel,
    VisitOutcome,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.grid.planned_visits import mark_done
from app.services.people.scoping import worked_on
from app.services.people.status import recompute, record_status, set_key_groups
from app.services.transactions import retry_on_deadlock

# Who records visits: grid workers, and operators who visit themselves.
VISIT_ROLES = frozenset({Role.grid_worker, Role.operator})


def record_visits(actor: Account, items: list, schema) -> list[dict]:
    """Apply a batch of visits from a phone's offline queue, each once and on its own.

    Each item is answered applied, duplicate (its client_id was applied before) or rejected
    with the reason; a rejected item never undoes the others, because each applied item is
    committed by itself.
    """
    if actor.role not in VISIT_ROLES:
        raise Forbidden("role_forbidden", "Your role may not record visits.")
    if len(items) > current_app.config["VISIT_BATCH_MAX"]:
        raise ValidationFailed(
            "visits",
            f"Send at most {current_app.config['VISIT_BATCH_MAX']} visits at a time.",
            code="batch_too_large",
        )
    results = []
    for index, raw in enumerate(items):
        client_id = raw.get("client_id") if isinstance(raw, dict) else None
        try:
            # The client_id exactly as sent (ids are compared case-blind), for the phone to match.
            results.append({"index": index, **_one_visit(actor, raw, schema), "client_id": client_id})
        except ValidationError as error:
            db.session.rollback()
            fields = validation_fields({"messages": {"json": error.messages}})
            results.append(_rejected(index, client_id, "validation_error", "Invalid visit.", fields))
        except ValidationFailed as error:
            db.session.rollback()
            results.append(_rejected(index, client_id, error.code, error.message, error.fields))
    return results


def _rejected(index: int, client_id, code: str, message: str, fields=None) -> dict:
    return {
        "index": index,
        "client_id": client_id,
        "result": "rejected",
        "error": {"code": code, "message": message, "fields": fields},
    }


def _existing(actor: Account, client_id: str) -> Visit | None:
    return db.session.scalar(
        sa.select(Visit).where(Visit.worker_id == actor.id, Visit.client_id == client_id)
    )


# Each visit is its own transaction, begun and committed here and found again by its client_id.
@retry_on_deadlock
def _one_visit(actor: Account, raw, schema) -> dict:
    values = schema.load(raw if isinstance(raw, dict) else {})
    found = _existing(actor, values["client_id"])
    if found is not None:
        return {"client_id": values["client_id"], "result": "duplicate", "visit_id": found.id}
    now = utcnow()
    if values["visited_at"] > now + timedelta(minutes=current_app.config["VISIT_FUTURE_MINUTES"]):
        raise ValidationFailed(
            "visited_at",
            "This visit is dated in the future; check the phone's clock.",
            code="visited_at_in_future",
        )
    if values["visited_at"] < now - timedelta(days=current_app.config["VISIT_MAX_AGE_DAYS"]):
        raise ValidationFailed(
            "visited_at",
            f"Visits older than {current_app.config['VISIT_MAX_AGE_DAYS']} days cannot be sent.",
            code="visited_at_too_old",
        )
    check_point(values.get("lat"), values.get("lng"))
    # Only at the door is the phone where the household lives: a call's, a station's or an online
    # contact's position says nothing about the household, so it is checked and then not kept.
    at_door = values["channel"] == VisitChannel.door
    household = db.session.scalar(
        worked_on(sa.select(Household), Household, actor).where(Household.id == values["household_id"])
    )
    if household is None:
        raise ValidationFailed(
            "household_id", f"No household {values['household_id']} in your area.", code="household_not_found"
        )
    members = {member.id: member for member in household.members}
    updates = values.get("members") or []
    for update in updates:
        if update["resident_id"] not in members:
            raise ValidationFailed(
                "members",
                f"Resident {update['resident_id']} is not a member of this household.",
                code="not_a_member",
            )
    if updates and values["outcome"] != VisitOutcome.met:
        raise ValidationFailed(
            "members", "Member updates need a visit where the household was met.", code="updates_need_met"
        )
    visit = Visit(
        worker_id=actor.id,
        client_id=values["client_id"],
        household_id=household.id,
        visited_at=values["visited_at"],
        visit_day=local_day(values["visited_at"]),
        lat=values.get("lat") if at_door else None,
        lng=values.get("lng") if at_door else None,
        outcome=values["outcome"],
        channel=values["channel"],
        notes=values.get("notes"),
        member_updates=[{**u} for u in updates] or None,
        **{name: getattr(household, name) for name in PLACE_COLUMN_NAMES},
    )
    try:
        # A resend racing its first copy: the loser's insert fails here or at the commit.
        changed, stale = _apply_visit(actor, visit, household, members, updates, values)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = _existing(actor, values["client_id"])
        if found is None:
            raise
        return {"client_id": values["client_id"], "result": "duplicate", "visit_id": found.id}
    return {
        "client_id": values["client_id"],
        "result": "applied",
        "visit_id": visit.id,
        "status_changes": changed,
        "stale_updates": stale,
    }


def _apply_visit(
    actor: Account, visit: Visit, household: Household, members: dict, updates: list, values: dict
) -> tuple[int, int]:
    """Write a checked visit and its member updates; return (statuses changed, stale updates skipped)."""
    db.session.add(visit)
    db.session.flush()
    if (
        visit.outcome == VisitOutcome.met
        and visit.channel == VisitChannel.door
        and household.lat is None
        and visit.lat is not None
    ):
        household.lat, household.lng = visit.lat, visit.lng  # the worker stood at the door
    changed = stale = 0
    for update in updates:
        member = members[update["resident_id"]]
        latest = db.session.scalar(
            sa.select(sa.func.max(StatusChange.occurred_at)).where(StatusChange.resident_id == member.id)
        )
        if (
            latest is not None
            and latest > visit.visited_at
            and (update.get("employment_status") or update.get("key_groups") is not None)
        ):
            # An offline visit older than the ledger's latest word on this person: its status
            # and key groups are out of date, so only its needs are kept.
            stale += 1
            update = {"needs": update.get("needs")}
        if update.get("key_groups") is not None:
            groups = set(update["key_groups"])
            # Registered unemployment follows the status: a visit neither grants nor ends it.
            current = set(member.key_groups)
            groups = (groups - {KeyGroup.registered_unemployed}) | (
                current & {KeyGroup.registered_unemployed}
            )
            set_key_groups(member, sorted(groups), field="members", source=StatusSource.visit, actor=actor)
        if update.get("employment_status"):
            changed += (
                record_status(
                    member,
                    update["employment_status"],
                    StatusSource.visit,
                    actor=actor,
                    occurred_at=values["visited_at"],
                    note=f"visit {visit.id}",
                    recompute_household=False,
                )
                is not None
            )
        open_kinds = set(
            db.session.scalars(
                sa.select(Need.kind).where(Need.resident_id == member.id, Need.closed_at.is_(None))
            )
        )
        for kind in dict.fromkeys(update.get("needs") or []):
            if kind not in open_kinds:
                db.session.add(
                    Need(resident_id=member.id, household_id=household.id, visit_id=visit.id, kind=kind)
                )
    if updates:
        recompute(household.id, StatusSource.visit)
    mark_done(visit)
    if any(update.get("needs") for update in updates):
        # "您登记的需求已记录" to each person with needs (visit_notice, once per person and visit).
        enqueue_after_commit("push.notify_visit_needs", visit.id)
    return changed, stale
