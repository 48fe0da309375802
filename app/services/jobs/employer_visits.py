"""Employer visits: staff record a visit or call to an employer in their place, with its hiring needs."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.common.credit_code import parse_credit_code
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Employer,
    EmployerVisit,
    HiringNeed,
    JobKind,
    Role,
    WageUnit,
)
from app.services.people import audit
from app.services.people.places import find_place
from app.services.people.scoping import worked_on
from app.services.results import Page, paginate

# Who meets employers and records it: grid workers (in their assigned communities), station
# staff, operators and the township, district and city offices (in their place).
RECORD_ROLES = frozenset(
    {
        Role.grid_worker,
        Role.station_staff,
        Role.operator,
        Role.township_admin,
        Role.district_admin,
        Role.city_admin,
    }
)
# The supervisor reads what was recorded, and changes nothing.
READ_ROLES = RECORD_ROLES | {Role.supervisor}
# A position's headcount, as a job post's (api/schemas/jobs.py).
MAX_HEADCOUNT = 10000
# The places a list narrows to (an employer's community and the levels above it).
PLACE_KINDS = ("community", "township", "circle", "district")


@dataclass(frozen=True)
class PlaceRef:
    """A place a list is narrowed to: its level and id."""

    kind: str
    id: int


def place_ref(value: str, field: str = "place") -> PlaceRef:
    """Read "<level>:<code>" (e.g. township:341002002000) as a place; 422 on `field` if there is none."""
    kind, _, code = value.partition(":")
    if kind not in PLACE_KINDS:
        raise ValidationFailed(
            field,
            f"A place is <level>:<code>, the level one of: {', '.join(PLACE_KINDS)}.",
            code="invalid_place",
        )
    place = find_place(kind, code)
    if place is None:
        raise ValidationFailed(field, f"No {kind} with code {code}.", code="unknown_place")
    return PlaceRef(kind, place.id)


def require_role(actor: Account, roles: frozenset, doing: str) -> None:
    """Refuse (403) a role outside `roles`."""
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"Your role may not {doing}.")


def employer_in_reach(actor: Account, employer_id: int) -> Employer:
    """Return an employer the actor works on (their place; a grid worker's communities), or 404."""
    employer = db.session.scalar(
        worked_on(sa.select(Employer), Employer, actor).where(Employer.id == employer_id)
    )
    if employer is None:
        raise NotFound("employer_not_found", f"No employer {employer_id} in your area.")
    return employer


def employer_by_credit_code(actor: Account, raw: str) -> Employer:
    """Return the employer in reach with this credit code: 422 if it is no code, 404 if none is in reach."""
    code = parse_credit_code(raw)
    employer = db.session.scalar(
        worked_on(sa.select(Employer), Employer, actor).where(Employer.credit_code == code)
    )
    if employer is None:
        raise NotFound("employer_not_found", f"No employer with credit code {code} in your area.")
    return employer


def _existing(actor: Account, client_id: str) -> EmployerVisit | None:
    return db.session.scalar(
        sa.select(EmployerVisit).where(
            EmployerVisit.staff_id == actor.id, EmployerVisit.client_id == client_id
        )
    )


def _check_needs(needs: list[dict], today: date) -> None:
    """Check each position's wage range and deadline (422 naming the position's field)."""
    for index, need in enumerate(needs):
        if not 1 <= (need.get("headcount") or 1) <= MAX_HEADCOUNT:
            raise ValidationFailed(
                f"needs.{index}.headcount", f"From 1 to {MAX_HEADCOUNT} people.", code="invalid_headcount"
            )
        low, high = need.get("wage_min"), need.get("wage_max")
        if low is not None and high is not None and low > high:
            raise ValidationFailed(
                f"needs.{index}.wage_max", "wage_max is below wage_min.", code="wage_range_invalid"
            )
        if need.get("deadline") is not None and need["deadline"] < today:
            raise ValidationFailed(
                f"needs.{index}.deadline", "The deadline has passed already.", code="deadline_passed"
            )


def _codes(values: list | None) -> list | None:
    """Return a list of codes without repeats, in the order given (None when empty)."""
    return list(dict.fromkeys(values)) if values else None


def record_visit(actor: Account, values: dict, ip: str | None) -> tuple[EmployerVisit, bool]:
    """Record a visit or phone call to an employer in reach, with its hiring needs; audited.

    A retry with the same client_id returns the first visit (created False).
    """
    require_role(actor, RECORD_ROLES, "record employer visits")
    found = _existing(actor, values["client_id"])
    if found is not None:
        return found, False
    employer = employer_in_reach(actor, values["employer_id"])
    today = local_day()
    if values["visited_on"] > today:
        raise ValidationFailed("visited_on", "The visit is dated in the future.", code="visited_on_in_future")
    if values.get("follow_up_on") is not None and values["follow_up_on"] < values["visited_on"]:
        raise ValidationFailed(
            "follow_up_on", "The follow-up date is before the visit.", code="follow_up_before_visit"
        )
    needs = values.get("needs") or []
    _check_needs(needs, today)
    places = {name: getattr(employer, name) for name in PLACE_COLUMN_NAMES}
    visit = EmployerVisit(
        employer_id=employer.id,
        staff_id=actor.id,
        client_id=values["client_id"],
        channel=values["channel"],
        visited_on=values["visited_on"],
        met_name=values.get("met_name"),
        met_title=values.get("met_title"),
        problems=_codes(values.get("problems")),
        problem_notes=values.get("problem_notes"),
        subsidy_interest=_codes(values.get("subsidy_interest")),
        follow_up=values.get("follow_up"),
        follow_up_on=values.get("follow_up_on"),
        **places,
    )
    for need in needs:
        skills = [s.strip() for s in need.get("skills") or [] if s.strip()]
        visit.needs.append(
            HiringNeed(
                employer_id=employer.id,
                title=need["title"].strip(),
                category=need["category"],
                kind=need.get("kind") or JobKind.regular.value,
                headcount=need.get("headcount") or 1,
                wage_min=need.get("wage_min"),
                wage_max=need.get("wage_max"),
                wage_unit=need.get("wage_unit") or WageUnit.month.value,
                skills=list(dict.fromkeys(skills)) or None,
                deadline=need.get("deadline"),
                **places,
            )
        )
    db.session.add(visit)
    try:
        db.session.flush()
    except IntegrityError:
        # The same visit arriving twice at once: the unique key keeps the first.
        db.session.rollback()
        return _existing(actor, values["client_id"]), False
    audit.commit(
        "employer_visit.record",
        actor=actor,
        object_type="employer_visit",
        object_id=visit.id,
        ip=ip,
        detail={"employer_id": employer.id, "channel": visit.channel, "needs": len(needs)},
    )
    return visit, True


def get_visit(actor: Account, visit_id: int) -> EmployerVisit:
    """Return one visit in the actor's reach, or 404."""
    require_role(actor, READ_ROLES, "read employer visits")
    visit = db.session.scalar(
        worked_on(sa.select(EmployerVisit), EmployerVisit, actor)
        .options(selectinload(EmployerVisit.needs), selectinload(EmployerVisit.employer))
        .where(EmployerVisit.id == visit_id)
    )
    if visit is None:
        raise NotFound("employer_visit_not_found", f"No employer visit {visit_id} in your area.")
    return visit


def open_need_clause(today: date):
    """Return the SQL condition of an open hiring need: not drafted yet, and not past its deadline."""
    return sa.and_(
        HiringNeed.job_id.is_(None), sa.or_(HiringNeed.deadline.is_(None), HiringNeed.deadline >= today)
    )


def visits_statement(actor: Account, filters: dict):
    """Return the SELECT of the visits the actor works on, filtered (the API's and the console's list).

    Filters: place (a lists.base.PlaceFilter-like object with kind and id), since/until (days),
    channel, has_open_needs (bool), subsidy (a SubsidyKind), employer_id, q (name or credit code).
    """
    statement = worked_on(sa.select(EmployerVisit), EmployerVisit, actor)
    if filters.get("place") is not None:
        place = filters["place"]
        statement = statement.where(getattr(EmployerVisit, f"{place.kind}_id") == place.id)
    if filters.get("since"):
        statement = statement.where(EmployerVisit.visited_on >= filters["since"])
    if filters.get("until"):
        statement = statement.where(EmployerVisit.visited_on <= filters["until"])
    if filters.get("channel"):
        statement = statement.where(EmployerVisit.channel == filters["channel"])
    if filters.get("has_open_needs") is not None:
        open_needs = sa.exists().where(HiringNeed.visit_id == EmployerVisit.id, open_need_clause(local_day()))
        statement = statement.where(open_needs if filters["has_open_needs"] else ~open_needs)
    if filters.get("subsidy"):
        # Stored as a JSON list of codes (read as the text it is): a code in quotes matches it alone.
        stored = sa.type_coerce(EmployerVisit.subsidy_interest, sa.Text())
        statement = statement.where(stored.contains(f'"{filters["subsidy"]}"', autoescape=True))
    if filters.get("employer_id"):
        statement = statement.where(EmployerVisit.employer_id == filters["employer_id"])
    if filters.get("q"):
        q = filters["q"]
        statement = statement.where(
            EmployerVisit.employer_id.in_(
                sa.select(Employer.id).where(
                    sa.or_(Employer.credit_code == q.upper(), Employer.name.contains(q, autoescape=True))
                )
            )
        )
    return statement


def list_visits(actor: Account, page: int, per_page: int, **filters) -> Page:
    """Return one page of the visits the actor works on, newest first."""
    require_role(actor, READ_ROLES, "read employer visits")
    return paginate(
        visits_statement(actor, filters),
        page,
        per_page,
        order_by=(EmployerVisit.visited_on.desc(), EmployerVisit.id.desc()),
        options=(selectinload(EmployerVisit.needs), selectinload(EmployerVisit.employer)),
    )
