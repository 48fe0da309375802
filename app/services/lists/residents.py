"""Residents (居民台账): the ledger's people in the actor's place, masked.

Names are stored plainly and searched by part; ID-card numbers and phones are stored encrypted,
so a search by them is an exact match of their keyed hash (a whole number, never a part).
"""

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.common.crypto import decrypt, lookup_hash
from app.models import STAFF_ROLES, EmploymentStatus, KeyGroup, Resident, ResidentKeyGroup
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    local_time,
    masked,
    place_clause,
    place_name,
)
from app.services.lists.labels import choices, label
from app.services.people.scoping import scoped

ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def search_clause(q: str):
    """Return the WHERE clause of a resident search: a whole ID number or phone, else part of a name."""
    value = unicodedata.normalize("NFKC", q).strip().upper().replace(" ", "")
    if ID_NUMBER.match(value):
        return Resident.id_number_hmac == lookup_hash(value, "id_number")
    phone = value.removeprefix("+86")
    if PHONE.match(phone):
        return Resident.phone_hmac == lookup_hash(phone, "phone")
    return Resident.name.contains(q.strip(), autoescape=True)


class Residents(Listing):
    """The residents of the ledger in the actor's place (a grid worker: assigned communities)."""

    name = "residents"
    title = "居民台账"
    roles = STAFF_ROLES
    model = Resident
    columns = (
        Column("id", "编号"),
        Column("name", "姓名", personal="name"),
        Column("gender", "性别"),
        Column("age", "年龄"),
        Column("id_number", "身份证号", personal="id_number"),
        Column("phone", "手机号", personal="phone"),
        Column("employment_status", "就业状态"),
        Column("key_groups", "重点群体"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("home_address", "住址", personal="address"),
        Column("updated_at", "更新时间"),
    )
    filters = (
        Filter(
            "employment_status", "就业状态", "choice", choices("employment_status", set(EmploymentStatus))
        ),
        Filter("key_group", "重点群体", "choice", choices("key_group", set(KeyGroup))),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("q", "姓名/身份证号/手机号", "text"),
    )
    sorts = {
        "id": Resident.id,
        "name": Resident.name,
        # Oldest first: the earliest birth date.
        "age": Resident.birth_date,
        "updated": Resident.updated_at,
    }
    default_sort = "id"
    options = (selectinload(Resident.key_group_rows),)

    def select(self, actor, filters: dict):
        """Return the residents the actor sees, filtered."""
        statement = scoped(sa.select(Resident), Resident, actor)
        if "employment_status" in filters:
            statement = statement.where(Resident.employment_status == filters["employment_status"])
        if "key_group" in filters:
            statement = statement.where(
                sa.exists().where(
                    ResidentKeyGroup.resident_id == Resident.id,
                    ResidentKeyGroup.key_group == filters["key_group"],
                    sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= local_day()),
                )
            )
        if "place" in filters:
            statement = statement.where(place_clause(Resident, filters["place"]))
        if "q" in filters:
            statement = statement.where(search_clause(filters["q"]))
        return statement

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, with the city's today read once for every age."""
        today = local_day()
        return [self.row(obj, reveal, today) for obj in objs]

    def row(self, obj: Resident, reveal, today=None) -> dict:
        """Return one resident as shown."""
        today = today or local_day()
        groups = sorted(row.key_group for row in obj.key_group_rows if row.is_current(today))
        return {
            "id": obj.id,
            "name": masked(reveal, "name", obj.name),
            "gender": label("gender", obj.gender),
            "age": obj.age(today),
            "id_number": masked(
                reveal,
                "id_number",
                None,
                obj.id_number_hint,
                lambda: decrypt(obj.id_number_enc, "id_number") if obj.id_number_enc else None,
            ),
            "phone": masked(
                reveal,
                "phone",
                None,
                obj.phone_hint,
                lambda: decrypt(obj.phone_enc, "phone") if obj.phone_enc else None,
            ),
            "employment_status": label("employment_status", obj.employment_status),
            "employment_status_code": obj.employment_status,
            "key_groups": "、".join(label("key_group", group) for group in groups),
            "key_groups_code": groups,
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "home_address": masked(reveal, "address", obj.home_address),
            "updated_at": local_time(obj.updated_at),
        }


LISTING = Residents()
