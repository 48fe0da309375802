"""Phone spot-checks (电话抽查): a month's reproducible sample of an operator's work, and the calls.

A sample is one month, operator, kind and district (the unique key): drawing it again returns
the first one. The draw is reproducible as well as idempotent: the seed is a keyed hash of the
key (HMAC with the data key, so the operator cannot foresee it), and the sample is
random.Random(seed).sample() of the candidates' ids in ascending order, so the same month's data
always gives the same call list. Only a month that is over is drawn (its work no longer grows).
Candidates (programme/operator_work.py): the households the operator visited at the door (one
call per household, about its last visit of the month), the registrations and the residents'
claims it decided. Whom to ring: the resident concerned (for a
household, its head if they have a phone, else the first member with one).

The call list shows masked names, addresses and phones, as everywhere; the calls themselves (the
reveal, the outcome, the finding a discrepancy raises) are programme/spot_check_calls.py's.
"""

import random
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day, month_start
from app.common.crypto import lookup_hash
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    ClaimEvent,
    District,
    Household,
    Operator,
    Resident,
    Role,
    ScopeKind,
    SpotCheck,
    SpotCheckKind,
    SpotCheckSample,
)
from app.services.people import audit
from app.services.people.places import describe_place
from app.services.programme import operator_work
from app.services.programme.spot_check_calls import call_view
from app.services.programme.supervision_scope import district_clause, district_reader
from app.services.results import Page, paginate

KIND_TEXT = {
    SpotCheckKind.visit.value: "上门走访",
    SpotCheckKind.registration.value: "登记办理",
    SpotCheckKind.claim.value: "待遇申领",
}
MAX_SIZE = 100


def seed_of(month: date, operator_id: int, kind: str, district_id: int) -> str:
    """Return the seed of a sample: a keyed hash (HMAC-SHA-256) of its key.

    Keyed, not a plain hash: the operator being checked must not be able to work out in advance
    which households will be rung. The same deployment's key gives the same seed every time.
    """
    return lookup_hash(f"{month:%Y-%m}:{operator_id}:{kind}:{district_id}", "spot_check_seed")


def draw_ids(seed: str, ids, size: int) -> list[int]:
    """Return up to `size` of the ids, drawn by the seed from their ascending order (reproducible)."""
    ordered = sorted(set(ids))
    return random.Random(int(seed, 16)).sample(ordered, min(size, len(ordered)))


def _ringable(household_ids) -> dict[int, int]:
    """Return {household id: the resident to ring}: the head with a phone, else the first with one."""
    members = db.session.execute(
        sa.select(Resident.id, Resident.household_id, Resident.is_household_head, Resident.phone_enc)
        .where(Resident.household_id.in_(list(household_ids)))
        .order_by(Resident.id)
    ).all()
    chosen: dict[int, tuple] = {}
    for member in members:
        rank = (member.phone_enc is None, not member.is_household_head, member.id)
        if member.household_id not in chosen or rank < chosen[member.household_id][0]:
            chosen[member.household_id] = (rank, member.id)
    return {household: pick[1] for household, pick in chosen.items()}


def _claim_deciders(claim_ids) -> dict[int, int]:
    """Return {claim id: the account that decided it} (its last approving or rejecting step)."""
    steps = db.session.execute(
        sa.select(ClaimEvent.claim_id, ClaimEvent.actor_id)
        .where(ClaimEvent.claim_id.in_(list(claim_ids)), ClaimEvent.to_status.in_(("approved", "rejected")))
        .order_by(ClaimEvent.id)
    ).all()
    return {step.claim_id: step.actor_id for step in steps}


def candidates(kind: str, circle_days: dict, month: date) -> dict[int, dict]:
    """Return what a sample of this kind is drawn from: {drawn id: the call it would make}."""
    if kind == SpotCheckKind.visit.value:
        last: dict[int, object] = {}
        for visit in operator_work.door_visits(circle_days, month):
            last[visit.household_id] = visit  # in id order: the month's last visit wins
        return {
            household_id: {
                "object_type": kind,
                "object_id": visit.id,
                "household_id": household_id,
                "handled_by_id": visit.worker_id,
            }
            for household_id, visit in last.items()
        }
    if kind == SpotCheckKind.registration.value:
        rows = operator_work.registrations_decided(circle_days, month)
        return {
            row.id: {
                "object_type": kind,
                "object_id": row.id,
                "resident_id": row.resident_id,
                "handled_by_id": row.handled_by_id,
            }
            for row in rows
        }
    rows = operator_work.claims_decided(circle_days, month)
    return {
        row.id: {"object_type": kind, "object_id": row.id, "resident_id": row.resident_id} for row in rows
    }


def _district(actor: Account, district_code: str | None) -> District:
    """Return the sample's district: the drawer's own, or one named in the drawer's city."""
    if actor.scope_kind == ScopeKind.district.value:
        district = db.session.get(District, actor.scope_id)
        if district_code and district_code not in (district.code, district.short_code):
            raise NotFound("district_not_found", "That district is not yours.")
        return district
    if not district_code:
        raise ValidationFailed("district_code", "Name the district to sample.", code="district_required")
    district = db.session.scalar(
        sa.select(District).where(
            sa.or_(District.code == district_code, District.short_code == district_code),
            District.city_id == actor.scope_id,
        )
    )
    if district is None:
        raise NotFound(
            "district_not_found", f"No district {district_code} in your city.", field="district_code"
        )
    return district


def _existing(month: date, operator_id: int, kind: str, district_id: int) -> SpotCheckSample | None:
    """Return the sample already drawn under this key, if any."""
    return db.session.scalar(
        sa.select(SpotCheckSample).where(
            SpotCheckSample.month == month,
            SpotCheckSample.operator_id == operator_id,
            SpotCheckSample.kind == kind,
            SpotCheckSample.district_id == district_id,
        )
    )


def draw(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Draw a month's sample of an operator's work in a district; return (it with its calls, created).

    The same month, operator, kind and district again returns the first draw and writes nothing.
    """
    district_reader(actor, {Role.supervisor})
    month = month_start(values["month"])
    if month >= month_start(local_day()):
        raise Conflict("month_not_over", "Only a month that is over is sampled.", field="month")
    district = _district(actor, values.get("district_code"))
    operator = db.session.get(Operator, values["operator_id"])
    if operator is None or operator.city_id != district.city_id:
        raise NotFound("operator_not_found", f"No operator {values['operator_id']}.")
    kind = values["kind"]
    existing = _existing(month, operator.id, kind, district.id)
    if existing is not None:
        return sample_view(actor, existing.id), False
    size = values.get("size") or current_app.config["SPOT_CHECK_SAMPLE_SIZE"]
    circle_days = operator_work.answered(month, [district.id]).get(operator.id, {})
    pool = candidates(kind, circle_days, month)
    if not pool:
        raise Conflict(
            "nothing_to_sample",
            "The operator did no such work in the district that month.",
            field="operator_id",
        )
    seed = seed_of(month, operator.id, kind, district.id)
    sample = SpotCheckSample(
        month=month,
        operator_id=operator.id,
        kind=kind,
        district_id=district.id,
        city_id=district.city_id,
        seed=seed,
        size=min(size, MAX_SIZE),
        population=len(pool),
        created_by_id=actor.id,
    )
    db.session.add(sample)
    try:
        db.session.flush()
    except IntegrityError:  # a second draw racing the first: the unique key kept one
        db.session.rollback()
        return sample_view(actor, _existing(month, operator.id, kind, district.id).id), False
    _add_calls(sample, [pool[drawn] for drawn in draw_ids(seed, pool, sample.size)])
    audit.record(
        "spot_check_sample.draw",
        actor=actor,
        object_type="spot_check_sample",
        object_id=sample.id,
        ip=ip,
        detail={"month": f"{month:%Y-%m}", "operator_id": operator.id, "kind": kind, "population": len(pool)},
    )
    db.session.commit()
    return sample_view(actor, sample.id), True


def _add_calls(sample: SpotCheckSample, drawn: list[dict]) -> None:
    """Write a sample's calls in the drawn order, each placed where its resident (or household) is."""
    if sample.kind == SpotCheckKind.claim.value:
        deciders = _claim_deciders([call["object_id"] for call in drawn])
        for call in drawn:
            call["handled_by_id"] = deciders.get(call["object_id"])
    households = [call["household_id"] for call in drawn if call.get("household_id")]
    ring = _ringable(households) if households else {}
    for position, call in enumerate(drawn, start=1):
        if call.get("household_id"):
            call["resident_id"] = ring.get(call["household_id"])
        resident = db.session.get(Resident, call["resident_id"]) if call.get("resident_id") else None
        household_id = call.get("household_id") or (resident.household_id if resident else None)
        placed = resident or db.session.get(Household, household_id)
        db.session.add(
            SpotCheck(
                sample_id=sample.id,
                position=position,
                object_type=call["object_type"],
                object_id=call["object_id"],
                resident_id=call.get("resident_id"),
                household_id=household_id,
                operator_id=sample.operator_id,
                handled_by_id=call.get("handled_by_id"),
                **{name: getattr(placed, name) for name in PLACE_COLUMN_NAMES},
            )
        )


def _sample(actor: Account, sample_id: int) -> SpotCheckSample:
    """Load a sample in the reader's district or city, or 404."""
    district_reader(actor)
    sample = db.session.scalar(
        sa.select(SpotCheckSample).where(
            SpotCheckSample.id == sample_id, district_clause(SpotCheckSample, actor)
        )
    )
    if sample is None:
        raise NotFound("spot_check_sample_not_found", f"No spot-check sample {sample_id} in your area.")
    return sample


def list_samples(actor: Account, args: dict) -> Page:
    """Return one page of the samples of the reader's district or city, newest month first."""
    district_reader(actor)
    statement = sa.select(SpotCheckSample).where(district_clause(SpotCheckSample, actor))
    if args.get("month"):
        statement = statement.where(SpotCheckSample.month == month_start(args["month"]))
    for name in ("operator_id", "kind"):
        if args.get(name):
            statement = statement.where(getattr(SpotCheckSample, name) == args[name])
    page = paginate(
        statement,
        args["page"],
        args["per_page"],
        order_by=(SpotCheckSample.month.desc(), SpotCheckSample.id.desc()),
    )
    page.items = [_sample_fields(sample) for sample in page.items]
    return page


def _progress(sample_id: int) -> dict:
    """Return how many of a sample's calls were made and reached."""
    row = db.session.execute(
        sa.select(
            sa.func.count(SpotCheck.called_at),
            sa.func.coalesce(sa.func.sum(sa.case((SpotCheck.reached.is_(True), 1), else_=0)), 0),
        ).where(SpotCheck.sample_id == sample_id)
    ).one()
    return {"called": row[0], "reached": int(row[1])}


def _sample_fields(sample: SpotCheckSample) -> dict:
    """Return a sample's own fields as shown (without its calls)."""
    operator = db.session.get(Operator, sample.operator_id)
    shown = {column.key: getattr(sample, column.key) for column in SpotCheckSample.__table__.columns}
    calls = db.session.scalar(
        sa.select(sa.func.count()).select_from(SpotCheck).where(SpotCheck.sample_id == sample.id)
    )
    return {
        **shown,
        "month": f"{sample.month:%Y-%m}",
        "kind_text": KIND_TEXT[sample.kind],
        "operator_name": operator.name if operator else None,
        "district": describe_place("district", sample.district_id),
        "calls_total": calls,
        **_progress(sample.id),
    }


def sample_view(actor: Account, sample_id: int) -> dict:
    """Return a sample with its call list (masked names, addresses and phones)."""
    sample = _sample(actor, sample_id)
    calls = db.session.scalars(
        sa.select(SpotCheck).where(SpotCheck.sample_id == sample.id).order_by(SpotCheck.position)
    ).all()
    return {**_sample_fields(sample), "calls": [call_view(call) for call in calls]}
