"""Grid workers (网格员) in the actor's place, with the communities assigned to each."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Community, GridAssignment, Role
from app.services.grid.assignment import ASSIGN_ROLES
from app.services.lists.base import Column, Filter, Listing, local_time
from app.services.lists.labels import choices, label
from app.services.lists.staff_accounts import account_filters, accounts_inside, scope_shown


def assigned(account_ids: list[int]) -> dict[int, list[str]]:
    """Return {grid worker id: names of their communities, by code} for some workers, in one query."""
    found: dict[int, list[str]] = {account_id: [] for account_id in account_ids}
    if not account_ids:
        return found
    for account_id, name in db.session.execute(
        sa.select(GridAssignment.account_id, Community.name)
        .join(Community, Community.id == GridAssignment.community_id)
        .where(GridAssignment.account_id.in_(account_ids))
        .order_by(Community.code)
    ):
        found[account_id].append(name)
    return found


class GridWorkers(Listing):
    """The grid workers placed inside the actor's place, for those who assign them and the supervisor."""

    name = "grid_workers"
    title = "网格员"
    roles = ASSIGN_ROLES | {Role.supervisor}
    model = Account
    columns = (
        Column("id", "编号"),
        Column("username", "账号"),
        Column("display_name", "姓名"),
        Column("scope", "所属地区"),
        Column("communities", "负责社区/村"),
        Column("community_count", "社区数"),
        Column("active", "状态"),
        Column("last_login_at", "最近登录"),
    )
    filters = (
        Filter("community", "负责社区/村", "place", ("community",)),
        Filter("assigned", "已分配社区", "choice", choices("yes_no")),
        Filter("active", "状态", "choice", choices("active")),
        Filter("q", "账号/姓名", "text"),
    )
    sorts = {"id": Account.id, "username": Account.username, "last_login": Account.last_login_at}
    default_sort = "id"

    def select(self, actor, filters: dict):
        """Return the grid workers placed inside the actor's place, filtered."""
        statement = sa.select(Account).where(accounts_inside(actor), Account.role == Role.grid_worker.value)
        if "community" in filters:
            statement = statement.where(
                sa.exists().where(
                    GridAssignment.account_id == Account.id,
                    GridAssignment.community_id == filters["community"].id,
                )
            )
        if "assigned" in filters:
            any_assignment = sa.exists().where(GridAssignment.account_id == Account.id)
            statement = statement.where(any_assignment if filters["assigned"] == "yes" else ~any_assignment)
        return account_filters(statement, filters)

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, with every worker's communities read in one query."""
        communities = assigned([obj.id for obj in objs])
        return [self.row(obj, reveal, communities[obj.id]) for obj in objs]

    def row(self, obj: Account, reveal, communities=None) -> dict:
        """Return one grid worker as shown."""
        if communities is None:
            communities = assigned([obj.id])[obj.id]
        active = "yes" if obj.is_active else "no"
        return {
            "id": obj.id,
            "username": obj.username,
            "display_name": obj.display_name,
            "scope": scope_shown(obj),
            "communities": "、".join(communities),
            "community_count": len(communities),
            "active": label("active", active),
            "active_code": active,
            "last_login_at": local_time(obj.last_login_at),
        }


LISTING = GridWorkers()
