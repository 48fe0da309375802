"""Service stations (服务站) in the actor's place, with how many staff work at each."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import STAFF_ROLES, Station
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
from app.services.people.scoping import scoped


class Stations(Listing):
    """The stations in the actor's place (every staff member may see where stations are)."""

    name = "stations"
    title = "服务站"
    roles = STAFF_ROLES
    model = Station
    columns = (
        Column("id", "编号"),
        Column("code", "站点编码"),
        Column("name", "站点名称"),
        Column("circle", "就业圈"),
        Column("township", "街道/乡镇"),
        Column("address", "地址"),
        Column("hours", "开放时间"),
        Column("phone", "服务电话"),
        Column("staff", "工作人员数"),
        Column("active", "状态"),
        Column("created_at", "创建时间"),
    )
    filters = (
        Filter("active", "状态", "choice", choices("active")),
        Filter("place", "地区", "place", STATION_PLACE_LEVELS),
        Filter("q", "站点名称/编码", "text"),
    )
    sorts = {"code": Station.code, "name": Station.name, "id": Station.id}
    default_sort = "code"
    options = (selectinload(Station.staff_rows),)

    def select(self, actor, filters: dict):
        """Return the stations in the actor's place, filtered."""
        statement = scoped(sa.select(Station), Station, actor)
        if "active" in filters:
            statement = statement.where(Station.is_active.is_(filters["active"] == "yes"))
        if "place" in filters:
            statement = statement.where(place_clause(Station, filters["place"]))
        if "q" in filters:
            q = filters["q"]
            statement = statement.where(sa.or_(Station.code == q, Station.name.contains(q, autoescape=True)))
        return statement

    def row(self, obj: Station, reveal) -> dict:
        """Return one station as shown (its phone is the counter's, public)."""
        active = "yes" if obj.is_active else "no"
        return {
            "id": obj.id,
            "code": obj.code,
            "name": obj.name,
            "circle": place_name("circle", obj.circle_id),
            "township": place_name("township", obj.township_id),
            "address": obj.address,
            "hours": obj.hours,
            "phone": obj.phone,
            "staff": len(obj.staff_rows),
            "active": label("active", active),
            "active_code": active,
            "created_at": local_time(obj.created_at),
        }


LISTING = Stations()
