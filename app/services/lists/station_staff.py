"""Station staff (服务站工作人员): who works at which station in the actor's place, a row per pair."""

import sqlalchemy as sa

from app.models import STAFF_ROLES, Account, Role, Station, StationStaff
from app.services.lists.base import (
    STATION_PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    local_time,
    place_clause,
    place_name,
)
from app.services.lists.labels import choices, label
from app.services.lists.staff_accounts import account_named
from app.services.people.scoping import scope_clause
from app.services.stations.stations import ASSIGNABLE_ROLES


class StationStaffList(Listing):
    """The staff assigned to the stations in the actor's place."""

    name = "station_staff"
    title = "服务站工作人员"
    roles = STAFF_ROLES - {Role.grid_worker}
    model = StationStaff
    columns = (
        Column("station_code", "站点编码"),
        Column("station", "站点名称"),
        Column("circle", "就业圈"),
        Column("username", "账号"),
        Column("display_name", "姓名"),
        Column("role", "角色"),
        Column("active", "账号状态"),
        Column("assigned_at", "派驻时间"),
        Column("last_login_at", "最近登录"),
    )
    filters = (
        Filter("role", "角色", "choice", choices("role", set(ASSIGNABLE_ROLES))),
        Filter("active", "账号状态", "choice", choices("active")),
        Filter("place", "地区", "place", STATION_PLACE_LEVELS),
        Filter("q", "站点编码/账号/姓名", "text"),
    )
    sorts = {
        "station": Station.code,
        "username": Account.username,
        "assigned": StationStaff.created_at,
    }
    default_sort = "station"

    @property
    def keyset(self) -> tuple:
        """Return (station id, account id): a pair is the row's identity."""
        return (StationStaff.station_id, StationStaff.account_id)

    def key_of(self, obj) -> tuple:
        """Return the keyset values of a (pair, account, station) row."""
        return (obj.StationStaff.station_id, obj.StationStaff.account_id)

    def select(self, actor, filters: dict):
        """Return (pair, account, station) rows of the stations in the actor's place, filtered."""
        statement = (
            sa.select(StationStaff, Account, Station)
            .join(Station, Station.id == StationStaff.station_id)
            .join(Account, Account.id == StationStaff.account_id)
            .where(scope_clause(Station, actor))
        )
        if "role" in filters:
            statement = statement.where(Account.role == filters["role"])
        if "active" in filters:
            statement = statement.where(Account.is_active.is_(filters["active"] == "yes"))
        if "place" in filters:
            statement = statement.where(place_clause(Station, filters["place"]))
        if "q" in filters:
            statement = statement.where(sa.or_(Station.code == filters["q"], account_named(filters["q"])))
        return statement

    def row(self, obj, reveal) -> dict:
        """Return one station-and-staff pair as shown."""
        pair, account, station = obj.StationStaff, obj.Account, obj.Station
        active = "yes" if account.is_active else "no"
        return {
            "id": f"{station.id}-{account.id}",
            "station_id": station.id,
            "account_id": account.id,
            "station_code": station.code,
            "station": station.name,
            "circle": place_name("circle", station.circle_id),
            "username": account.username,
            "display_name": account.display_name,
            "role": label("role", account.role),
            "role_code": account.role,
            "active": label("active", active),
            "active_code": active,
            "assigned_at": local_time(pair.created_at),
            "last_login_at": local_time(account.last_login_at),
        }


LISTING = StationStaffList()
