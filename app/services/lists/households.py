"""Households (户): the households the actor works on, with their head and size."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import STAFF_ROLES, Household, Resident
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    day,
    local_time,
    masked,
    place_clause,
    place_name,
)
from app.services.lists.labels import choices
from app.services.people.scoping import worked_on


class Households(Listing):
    """The households in the actor's place (a grid worker: assigned communities)."""

    name = "households"
    title = "家庭户"
    roles = STAFF_ROLES
    model = Household
    columns = (
        Column("id", "编号"),
        Column("key", "户编号"),
        Column("head", "户主", personal="name"),
        Column("members", "人数"),
        Column("address", "地址", personal="address"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("zero_employment", "零就业家庭"),
        Column("zero_employment_since", "零就业起始日"),
        Column("updated_at", "更新时间"),
    )
    filters = (
        Filter("zero_employment", "零就业家庭", "choice", choices("yes_no")),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("q", "户编号/地址", "text"),
    )
    sorts = {
        "id": Household.id,
        "key": Household.key,
        "zero_employment_since": Household.zero_employment_since,
        "updated": Household.updated_at,
    }
    default_sort = "id"
    options = (selectinload(Household.members),)

    def select(self, actor, filters: dict):
        """Return the households the actor works on, filtered."""
        statement = worked_on(sa.select(Household), Household, actor)
        if "zero_employment" in filters:
            since = Household.zero_employment_since
            statement = statement.where(
                since.is_not(None) if filters["zero_employment"] == "yes" else since.is_(None)
            )
        if "place" in filters:
            statement = statement.where(place_clause(Household, filters["place"]))
        if "q" in filters:
            q = filters["q"]
            statement = statement.where(
                sa.or_(Household.key == q, Household.address.contains(q, autoescape=True))
            )
        return statement

    def row(self, obj: Household, reveal) -> dict:
        """Return one household as shown."""
        head = household_head(obj.members)
        return {
            "id": obj.id,
            "key": obj.key,
            "head": masked(reveal, "name", head.name if head else None),
            "members": len(obj.members),
            "address": masked(reveal, "address", obj.address),
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "zero_employment": "是" if obj.zero_employment_since else "否",
            "zero_employment_since": day(obj.zero_employment_since),
            "updated_at": local_time(obj.updated_at),
        }


def household_head(members: list[Resident]) -> Resident | None:
    """Return the household's head (else its first member), or None for an empty household."""
    return next((m for m in members if m.is_household_head), members[0] if members else None)


LISTING = Households()
