"""Households: the lists and details a staff member works on (grid workers: their communities)."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Account, Community, Household, Resident
from app.services.people.scoping import worked_on
from app.services.results import Page, paginate


def list_households(
    actor: Account,
    page: int,
    per_page: int,
    community: str | None = None,
    zero_employment: bool | None = None,
) -> Page:
    """Return one page of households the actor works on, with members, and the total."""
    statement = worked_on(sa.select(Household), Household, actor)
    if community:
        statement = statement.join(Community, Community.id == Household.community_id).where(
            Community.code == community
        )
    if zero_employment is not None:
        since = Household.zero_employment_since
        statement = statement.where(since.is_not(None) if zero_employment else since.is_(None))
    return paginate(
        statement,
        page,
        per_page,
        order_by=(Household.id,),
        options=(selectinload(Household.members).selectinload(Resident.key_group_rows),),
    )


def get_household(actor: Account, household_id: int) -> Household:
    """Return one household the actor works on, or 404."""
    household = db.session.scalar(
        worked_on(sa.select(Household), Household, actor).where(Household.id == household_id)
    )
    if household is None:
        raise NotFound("household_not_found", f"No household {household_id} in your area.")
    return household
