"""What every registration shares: who may see and review it, finding it, its open key, its pushes.

A registration is placed where its resident lives (the five place columns), so staff reach it
through people.scoping; a resident reaches their own; an employer the ones it entered.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    STAFF_ROLES,
    Account,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resident,
    Role,
)
from app.queues import enqueue_after_commit
from app.services.people.residents import resident_of
from app.services.people.scoping import get_in_scope, scoped
from app.services.results import Page, paginate

# Who enters at the counter, reviews, follows up and ends registrations: the office's people.
REVIEW_ROLES = frozenset(
    {Role.station_staff, Role.operator, Role.township_admin, Role.district_admin, Role.city_admin}
)
# Who reads them: the reviewers, and the supervisor looking on (grid workers do not handle them).
READ_ROLES = REVIEW_ROLES | {Role.supervisor}
# What the person is told a registration is, in a push (≤ 20 characters).
SUBJECTS = {RegistrationKind.unemployment: "失业登记", RegistrationKind.employment: "就业登记"}
NOT_FOUND = "registration_not_found"


def open_key(resident_id: int, kind: str) -> str:
    """Return the value of `open_key` while a registration of this kind is open for the person."""
    return f"{resident_id}:{kind}"


def open_registration(resident_id: int, kind: str) -> Registration | None:
    """Return the person's open registration of `kind` (pending, submitted or accepted), if any."""
    return db.session.scalar(
        sa.select(Registration).where(Registration.open_key == open_key(resident_id, kind))
    )


def by_client_id(author: Account, client_id: str) -> Registration | None:
    """Return the registration this author already entered with this client id."""
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.author_id == author.id, Registration.client_id == client_id
        )
    )


def refuse_second_open(existing: Registration) -> Conflict:
    """Return the 409 of a second open registration of one kind."""
    return Conflict(
        "registration_open",
        f"An {existing.kind} registration is open for this person already (id {existing.id}).",
    )


def place_of(resident: Resident) -> dict:
    """Return the resident's place columns, refusing (422) a person with no community."""
    if resident.community_id is None:
        raise ValidationFailed(
            "resident",
            "Choose your community first (PATCH /me community_code): registrations are handled there.",
            code="community_required",
        )
    return {name: getattr(resident, name) for name in PLACE_COLUMN_NAMES}


def staff_resident(actor: Account, resident_id: int) -> Resident:
    """Return a resident in a reviewer's place, or 404."""
    require_reviewer(actor)
    return get_in_scope(Resident, resident_id, actor, "resident_not_found")


def require_reviewer(actor: Account) -> None:
    """Refuse (403) a staff role that does not handle registrations."""
    if actor.role not in REVIEW_ROLES:
        raise Forbidden("role_forbidden", "Your role does not handle registrations.")


def reachable(actor: Account):
    """Return a SELECT of the registrations the actor may see: own, entered, or in place."""
    statement = sa.select(Registration)
    if actor.role == Role.resident:
        return statement.where(Registration.resident_id == resident_of(actor).id)
    if actor.role == Role.employer:
        return statement.where(
            Registration.author_id == actor.id, Registration.kind == RegistrationKind.employment.value
        )
    if actor.role in READ_ROLES:
        return scoped(statement, Registration, actor)
    return statement.where(sa.false())


def get_registration(actor: Account, registration_id: int, for_update: bool = False) -> Registration:
    """Return one registration the actor may see, or 404 (never 403: nothing leaks)."""
    statement = reachable(actor).where(Registration.id == registration_id)
    if for_update:
        # Two reviewers (or a reviewer and the daily task) at once: the second waits here.
        statement = statement.with_for_update()
    found = db.session.scalar(statement)
    if found is None:
        raise NotFound(NOT_FOUND, f"No registration {registration_id} that you may see.")
    return found


def list_registrations(
    actor: Account,
    page: int,
    per_page: int,
    kind: str | None = None,
    status: str | None = None,
    resident_id: int | None = None,
) -> Page:
    """Return one page of the registrations the actor may see, newest first."""
    statement = reachable(actor)
    if kind:
        statement = statement.where(Registration.kind == kind)
    if status:
        statement = statement.where(Registration.status == status)
    if resident_id is not None:
        statement = statement.where(Registration.resident_id == resident_id)
    return paginate(
        statement,
        page,
        per_page,
        order_by=(Registration.id.desc(),),
        options=(selectinload(Registration.resident), selectinload(Registration.follow_ups)),
    )


def close(registration: Registration, status: RegistrationStatus) -> None:
    """Close a registration (rejected, withdrawn, ended): it no longer blocks a new one."""
    registration.status = status.value
    registration.open_key = None


# The mini-program page a registration's push opens: the resident's registrations.
PAGE = "pages/registrations/index"


def push_outcome(registration: Registration, outcome: str, result: str, note: str = "") -> None:
    """Push an outcome of a registration to its person after the commit (one push per outcome)."""
    key = f"{registration.kind}_registration:{registration.id}:{outcome}"
    subject = SUBJECTS[RegistrationKind(registration.kind)]
    note = (note or "")[:20]
    enqueue_after_commit("push.notify_record", registration.resident_id, subject, key, result, note, PAGE)


def is_staff(actor: Account) -> bool:
    """Tell whether the actor is staff."""
    return actor.role in STAFF_ROLES
