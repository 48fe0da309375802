"""Check-ins (来访签到): visits to the stations and events in the actor's place, newest first.

Grid workers may not open it: their people-data is the households of their communities, and who
came to a station's counter is not theirs to browse (scoping.py lets them see check-in rows
across their whole place, so the listing's roles are what keeps them out).
"""

import re

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.common.crypto import decrypt, lookup_hash
from app.extensions import db
from app.models import STAFF_ROLES, CheckIn, Purpose, Resident, Role, Station
from app.services.lists.base import (
    STATION_PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    day,
    local_time,
    masked,
    place_clause,
    place_name,
    staff_names,
    yes_no,
)
from app.services.lists.labels import choices, label
from app.services.people.scoping import scoped

PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def _visitors(resident_ids) -> dict[int, Resident]:
    """Return {resident id: resident} of a batch's visitors, in one query."""
    ids = {resident_id for resident_id in resident_ids if resident_id is not None}
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(sa.select(Resident).where(Resident.id.in_(ids)))}


class CheckIns(Listing):
    """The check-ins at the stations and events in the actor's place."""

    name = "check_ins"
    title = "来访签到"
    roles = STAFF_ROLES - {Role.grid_worker}
    model = CheckIn
    columns = (
        Column("id", "编号"),
        Column("day", "日期"),
        Column("created_at", "签到时间"),
        Column("station", "服务站"),
        Column("event", "活动"),
        Column("queue_number", "排队号"),
        Column("visitor", "来访人", personal="name"),
        Column("phone", "手机号", personal="phone"),
        Column("purpose", "来访事由"),
        Column("served_at", "接待时间"),
        Column("served_by", "接待人"),
        Column("outcome", "服务结果"),
        Column("outcome_note", "服务说明"),
        Column("follow_up", "需跟进"),
        Column("follow_up_closed_at", "跟进完成时间"),
    )
    filters = (
        Filter("purpose", "来访事由", "choice", choices("purpose", set(Purpose))),
        Filter("served", "已接待", "choice", choices("yes_no")),
        Filter("outcome", "服务结果", "choice", choices("serve_outcome")),
        Filter("follow_up", "待跟进", "choice", choices("yes_no")),
        Filter("place", "地区", "place", STATION_PLACE_LEVELS),
        Filter("since", "日期起", "date"),
        Filter("until", "日期止", "date"),
        Filter("q", "服务站/来访人手机号", "text"),
    )
    sorts = {"created": CheckIn.id, "day": CheckIn.day}
    default_sort = "-created"
    options = (selectinload(CheckIn.station), selectinload(CheckIn.event))
    newest_first = True

    def select(self, actor, filters: dict):
        """Return the check-ins in the actor's place, filtered."""
        statement = scoped(sa.select(CheckIn), CheckIn, actor)
        if "purpose" in filters:
            statement = statement.where(CheckIn.purpose == filters["purpose"])
        if "served" in filters:
            served = CheckIn.served_at
            statement = statement.where(
                served.is_not(None) if filters["served"] == "yes" else served.is_(None)
            )
        if "outcome" in filters:
            statement = statement.where(CheckIn.outcome == filters["outcome"])
        if "follow_up" in filters:
            open_follow_up = sa.and_(CheckIn.follow_up.is_(True), CheckIn.follow_up_closed_at.is_(None))
            statement = statement.where(open_follow_up if filters["follow_up"] == "yes" else ~open_follow_up)
        if "place" in filters:
            statement = statement.where(place_clause(CheckIn, filters["place"]))
        if filters.get("since"):
            statement = statement.where(CheckIn.day >= filters["since"])
        if filters.get("until"):
            statement = statement.where(CheckIn.day <= filters["until"])
        if "q" in filters:
            statement = statement.where(_search(filters["q"]))
        return statement

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, with the batch's visitors and serving staff read in one query each."""
        visitors = _visitors(obj.resident_id for obj in objs)
        names = staff_names(obj.served_by_id for obj in objs)
        return [self.row(obj, reveal, visitors, names) for obj in objs]

    def row(self, obj: CheckIn, reveal, visitors=None, names=None) -> dict:
        """Return one check-in as shown."""
        if visitors is None:
            visitors, names = _visitors([obj.resident_id]), staff_names([obj.served_by_id])
        visitor = visitors.get(obj.resident_id)
        return {
            "id": obj.id,
            "day": day(obj.day),
            "created_at": local_time(obj.created_at),
            "station": obj.station.name if obj.station else place_name("circle", obj.circle_id),
            "event": obj.event.title if obj.event else None,
            "queue_number": obj.queue_number,
            "visitor": masked(reveal, "name", visitor.name if visitor else None),
            "phone": masked(
                reveal,
                "phone",
                None,
                visitor.phone_hint if visitor else None,
                lambda: decrypt(visitor.phone_enc, "phone") if visitor and visitor.phone_enc else None,
            ),
            "purpose": label("purpose", obj.purpose),
            "purpose_code": obj.purpose,
            "served_at": local_time(obj.served_at),
            "served_by": names.get(obj.served_by_id),
            "outcome": label("serve_outcome", obj.outcome),
            "outcome_code": obj.outcome,
            "outcome_note": obj.outcome_note,
            "follow_up": yes_no(obj.follow_up),
            "follow_up_closed_at": local_time(obj.follow_up_closed_at),
        }


def _search(q: str):
    """Return the WHERE clause of a search: a visitor's whole phone, else a station's name or code."""
    phone = q.replace(" ", "").removeprefix("+86")
    if PHONE.match(phone):
        return CheckIn.resident_id.in_(
            sa.select(Resident.id).where(Resident.phone_hmac == lookup_hash(phone, "phone"))
        )
    return CheckIn.station_id.in_(
        sa.select(Station.id).where(sa.or_(Station.code == q, Station.name.contains(q, autoescape=True)))
    )


LISTING = CheckIns()
