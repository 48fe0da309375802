"""Loading the geography: the seed file of the city, districts, townships and pilot circles, and the
community import (CSV); both safe to run again.
"""

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.common.clock import local_day
from app.common.spreadsheets import csv_error
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Circle,
    CircleArea,
    CircleMembership,
    City,
    Community,
    CommunityKind,
    District,
    Household,
    Resident,
    Township,
    TownshipKind,
)

PLACES_FILE = Path(__file__).resolve().parents[2] / "data" / "huangshan_places.json"
COMMUNITY_COLUMNS = ("code", "name", "kind", "township_code", "lat", "lng", "population", "households")
CODE_PATTERN = re.compile(r"^\d{12}$")
# Huangshan and its surroundings, generously: a point outside is a typo (or lat/lng swapped).
LAT_RANGE, LNG_RANGE = (20.0, 40.0), (110.0, 125.0)
# The pilot's rollout: a community's first circle counts from then (migration 0026 says the same).
ROLLOUT_DAY = date(2023, 1, 1)


def _point(source: dict | None) -> tuple[float | None, float | None]:
    if not source:
        return None, None
    return source.get("lat"), source.get("lng")


def _upsert(model, key: dict, values: dict) -> tuple[object, bool]:
    """Find `model` by `key` and set `values`; return (row, changed)."""
    row = db.session.scalar(sa.select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        return row, True
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return row, changed


def seed_places(path: Path = PLACES_FILE) -> dict:
    """Load the city, districts, townships and pilot circles; safe to run again."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    counts = {"cities": 0, "districts": 0, "townships": 0, "circles": 0, "changed": 0}

    def note(changed: bool) -> None:
        counts["changed"] += int(changed)

    city_data = data["city"]
    city, changed = _upsert(
        City,
        {"code": city_data["code"]},
        {"name": city_data["name"], "population": city_data.get("population_2020")},
    )
    note(changed)
    counts["cities"] += 1
    db.session.flush()

    districts = {}
    for item in data["districts"]:
        lat, lng = _point(item.get("seat"))
        district, changed = _upsert(
            District,
            {"code": item["code"]},
            {
                "short_code": item["short_code"],
                "name": item["name"],
                "city_id": city.id,
                "lat": lat,
                "lng": lng,
                "population": item.get("population_2020"),
            },
        )
        note(changed)
        districts[item["short_code"]] = districts[item["code"]] = district
        counts["districts"] += 1
    db.session.flush()

    townships = {}
    for item in data["townships"]:
        lat, lng = _point(item.get("office"))
        values = {
            "name": item["name"],
            "kind": TownshipKind(item["kind"]).value,
            "district_id": districts[item["district_code"]].id,
            "lat": lat,
            "lng": lng,
        }
        township, changed = _upsert(Township, {"code": item["code"]}, values)
        note(changed)
        townships[item["code"]] = township
        counts["townships"] += 1
    db.session.flush()

    pilot = data.get("pilot_circles") or {}
    if pilot:
        district = districts[pilot["district_code"]]
        moved: dict[int, int | None] = {}  # township id -> the circle it had before this run
        for item in pilot["circles"]:
            circle, changed = _upsert(
                Circle,
                {"district_id": district.id, "key": item["key"]},
                {"name": item["name"], "note": item.get("note")},
            )
            note(changed)
            db.session.flush()
            for code in item["townships"]:
                township = townships[code]
                if township.circle_id != circle.id:
                    moved.setdefault(township.id, township.circle_id)
                    township.circle_id = circle.id
                    note(True)
            for area in item.get("extra_areas", []):
                lat, lng = _point(area.get("office"))
                _, changed = _upsert(
                    CircleArea,
                    {"circle_id": circle.id, "name": area["name"]},
                    {"note": area.get("note"), "lat": lat, "lng": lng},
                )
                note(changed)
            counts["circles"] += 1
        db.session.flush()
        for code in (c for item in pilot["circles"] for c in item["townships"]):
            township = townships[code]
            # Communities follow their township's circle unless they were placed elsewhere:
            # those with no circle yet, and those still in the circle the township left.
            following = Community.circle_id.is_(None)
            if moved.get(township.id) is not None:
                following = sa.or_(following, Community.circle_id == moved[township.id])
            db.session.execute(
                sa.update(Community)
                .where(Community.township_id == township.id, following)
                .values(circle_id=township.circle_id)
            )
            if township.id in moved:
                _resync_circle(township.id)
    sync_memberships()
    db.session.commit()
    return counts


def sync_memberships() -> int:
    """Give each community its circle's history row: one opened where its circle changed; return how many.

    A community placed for the first time is in its circle from the rollout (as migration 0026
    wrote them); one moved by a seed or import changes circle today. Filings taking effect
    (programme/memberships.py) write their own rows.
    """
    db.session.flush()
    today = local_day()
    open_rows = {
        row.community_id: row
        for row in db.session.scalars(sa.select(CircleMembership).where(CircleMembership.valid_to.is_(None)))
    }
    placed = set(db.session.scalars(sa.select(CircleMembership.community_id).distinct()))
    opened = 0
    for community_id, circle_id in db.session.execute(sa.select(Community.id, Community.circle_id)).all():
        current = open_rows.get(community_id)
        if (current.circle_id if current else None) == circle_id:
            continue
        start = today if community_id in placed else ROLLOUT_DAY
        if current is not None:
            current.valid_to = today - timedelta(days=1)
        if circle_id is not None:
            db.session.add(CircleMembership(community_id=community_id, circle_id=circle_id, valid_from=start))
            opened += 1
    return opened


def _resync_circle(township_id: int) -> None:
    """Give the people-data of a township its community's circle again (staff scope by it)."""
    for model in (Resident, Household):
        db.session.execute(
            sa.update(model)
            .where(model.township_id == township_id)
            .values(
                circle_id=sa.select(Community.circle_id)
                .where(Community.id == model.community_id)
                .scalar_subquery()
            )
            .execution_options(synchronize_session=False)
        )


@dataclass
class ImportReport:
    """What an import did: counts and, for each rejected row, the line, field and reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)

    def reject(self, line: int, code: str | None, column: str, message: str) -> None:
        """Record a rejected row."""
        self.rejected.append({"line": line, "code": code, "field": column, "message": message})

    def as_dict(self) -> dict:
        """Return the report as plain data."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def _optional_number(raw: str | None, cast, column: str, low=None, high=None):
    """Parse an optional numeric cell; raise ValidationFailed(column) when it is bad."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = cast(text)
    except ValueError:
        raise ValidationFailed(column, f"'{text}' is not a number.") from None
    if not math.isfinite(value):
        # float() takes 'nan' and 'inf', which no range check catches and MySQL refuses.
        raise ValidationFailed(column, f"'{text}' is not a number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValidationFailed(column, f"{value} is out of range ({low}–{high}).")
    return value


def _community_values(row: dict, townships: dict) -> dict:
    """Validate one CSV row; return the Community column values or raise ValidationFailed."""
    code = (row.get("code") or "").strip()
    if not CODE_PATTERN.match(code):
        raise ValidationFailed("code", "A community code has 12 digits.")
    name = (row.get("name") or "").strip()
    if not name or len(name) > 64:
        raise ValidationFailed("name", "A name of 1 to 64 characters is required.")
    kind = (row.get("kind") or "").strip()
    if kind not in CommunityKind.__members__:
        raise ValidationFailed("kind", "kind must be 'community' or 'village'.")
    township = townships.get((row.get("township_code") or "").strip())
    if township is None:
        raise ValidationFailed("township_code", "No township with this code; run seed-places first.")
    if code[:9] != township.code[:9]:
        raise ValidationFailed(
            "code", f"A community of {township.code} has a code starting {township.code[:9]}."
        )
    if code[9:] == "000":
        raise ValidationFailed("code", f"{code} is the township's own code, not a community's.")
    lat = _optional_number(row.get("lat"), float, "lat", *LAT_RANGE)
    lng = _optional_number(row.get("lng"), float, "lng", *LNG_RANGE)
    if (lat is None) != (lng is None):
        raise ValidationFailed("lat" if lat is None else "lng", "Give both lat and lng, or neither.")
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "township_id": township.id,
        "lat": lat,
        "lng": lng,
        "population": _optional_number(row.get("population"), int, "population", 0),
        "households": _optional_number(row.get("households"), int, "households", 0),
        "_circle_id": township.circle_id,
    }


def _rows(reader: csv.DictReader):
    """Yield the reader's rows; a row it cannot read (a cell over its limit) refuses the file, 422."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # Nothing of this file is kept: the rows before it are not committed yet.
            db.session.rollback()
            raise csv_error(exc, reader.line_num + 1) from None  # the line it gave up on
        yield row


def import_communities(text: str) -> ImportReport:
    """Import communities from CSV text; good rows go in, bad rows are reported, never both half."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise csv_error(exc, 1) from None
    missing = [c for c in COMMUNITY_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            "file", f"Missing column(s): {', '.join(missing)}.", code="import_header_invalid"
        )
    townships = {t.code: t for t in db.session.scalars(sa.select(Township))}
    existing = {c.code: c for c in db.session.scalars(sa.select(Community))}
    seen: set[str] = set()
    for row in _rows(reader):
        # The reader's own line count: blank lines and quoted line breaks keep it true.
        line = reader.line_num
        code = (row.get("code") or "").strip() or None
        try:
            values = _community_values(row, townships)
        except ValidationFailed as exc:
            report.reject(line, code, exc.field, exc.message)
            continue
        if code in seen:
            report.reject(line, code, "code", "This code appears earlier in the file.")
            continue
        seen.add(code)
        circle_id = values.pop("_circle_id")
        community = existing.get(code)
        if community is None:
            db.session.add(Community(**values, circle_id=circle_id))
            report.created += 1
            continue
        changed = False
        for name, value in values.items():
            if getattr(community, name) != value:
                setattr(community, name, value)
                changed = True
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    sync_memberships()
    db.session.commit()
    return report
