"""Zero-employment cases (零就业家庭帮扶): open ones first and oldest first, as staff work them."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import STAFF_ROLES, Household, ZeroEmploymentCase
from app.services.grid.zero_employment import days_open
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    local_time,
    masked,
    place_clause,
    place_name,
    staff_names,
)
from app.services.lists.households import household_head
from app.services.lists.labels import choices, label
from app.services.people.scoping import worked_on


class ZeroEmploymentCases(Listing):
    """The zero-employment cases in the actor's place (a grid worker: assigned communities)."""

    name = "zero_employment_cases"
    title = "零就业家庭帮扶"
    roles = STAFF_ROLES
    model = ZeroEmploymentCase
    columns = (
        Column("id", "编号"),
        Column("household_key", "户编号"),
        Column("head", "户主", personal="name"),
        Column("address", "地址", personal="address"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("state", "状态"),
        Column("opened_at", "认定时间"),
        Column("days_open", "持续天数"),
        Column("cleared_at", "清零时间"),
        Column("assigned_to", "负责网格员"),
        Column("actions", "帮扶次数"),
    )
    filters = (
        Filter("state", "状态", "choice", choices("case_state"), default="open"),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("q", "户编号", "text"),
    )
    sorts = {
        # Open longest first: the oldest opening first.
        "opened": ZeroEmploymentCase.opened_at,
        "cleared": ZeroEmploymentCase.cleared_at,
        "id": ZeroEmploymentCase.id,
    }
    default_sort = "opened"
    options = (
        selectinload(ZeroEmploymentCase.household).selectinload(Household.members),
        selectinload(ZeroEmploymentCase.actions),
    )

    def select(self, actor, filters: dict):
        """Return the cases the actor works on, filtered."""
        statement = worked_on(sa.select(ZeroEmploymentCase), ZeroEmploymentCase, actor)
        if "state" in filters:
            cleared = ZeroEmploymentCase.cleared_at
            statement = statement.where(
                cleared.is_(None) if filters["state"] == "open" else cleared.is_not(None)
            )
        if "place" in filters:
            statement = statement.where(place_clause(ZeroEmploymentCase, filters["place"]))
        if "q" in filters:
            statement = statement.where(
                ZeroEmploymentCase.household_id.in_(
                    sa.select(Household.id).where(Household.key == filters["q"])
                )
            )
        return statement

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, naming the assigned grid workers in one query."""
        names = staff_names(case.assigned_to_id for case in objs)
        return [self.row(case, reveal, names) for case in objs]

    def row(self, obj: ZeroEmploymentCase, reveal, names=None) -> dict:
        """Return one case as shown."""
        if names is None:
            names = staff_names([obj.assigned_to_id])
        household = obj.household
        head = household_head(household.members)
        state = "open" if obj.cleared_at is None else "cleared"
        return {
            "id": obj.id,
            "household_key": household.key,
            "head": masked(reveal, "name", head.name if head else None),
            "address": masked(reveal, "address", household.address),
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "state": label("case_state", state),
            "state_code": state,
            "opened_at": local_time(obj.opened_at),
            "days_open": days_open(obj),
            "cleared_at": local_time(obj.cleared_at),
            "assigned_to": names.get(obj.assigned_to_id),
            "actions": len(obj.actions),
        }


LISTING = ZeroEmploymentCases()
