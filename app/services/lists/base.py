"""The shape of a listing: columns, filters and sorts, and the checks of what a caller asks for.

A listing (one module each beside this one) says who may open it, which rows an actor sees
(scoped through people/scoping.py), and how one row reads: a plain dict of display values that
an exporter writes as it is. Filter values and sort keys arrive from a query string or from an
export's stored filters, so they are checked here: 422 naming the field otherwise.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app.common.clock import utc_start_of, zone
from app.common.identity import mask_address, mask_name
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, ScopeKind
from app.services.people.places import PLACE_MODELS, find_place

# What a Column's `personal` may be: each is masked in a row unless the caller reveals it.
PERSONAL_KINDS = frozenset({"id_number", "phone", "name", "address"})
# What a list page shows in full: names, as the API's staff lists do (staff work by name);
# ID numbers, phones and addresses stay masked there: their full values are an audited reveal.
PAGE_SHOWS = frozenset({"name"})
FILTER_KINDS = frozenset({"choice", "text", "date", "place"})
MAX_TEXT = 64
MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # as the API's paging: past it, the offset would overflow the database's integer
ALL = ""  # a filter given as "" is switched off, even where it has a default


@dataclass(frozen=True)
class Column:
    """One column of a listing: its row key, its Chinese header, and what personal data it holds."""

    key: str
    header: str
    personal: str | None = None

    def __post_init__(self):
        if self.personal is not None and self.personal not in PERSONAL_KINDS:
            raise ValueError(f"unknown personal kind {self.personal!r}")


@dataclass(frozen=True)
class Filter:
    """One filter of a listing; the free-text search is the filter named "q".

    `choices` are (code, 中文) pairs for a "choice" filter, and the place levels a "place" filter
    accepts; `default` applies when the filter is not given at all (given as "": switched off).
    """

    name: str
    label: str
    kind: str
    choices: tuple | None = None
    default: str | None = None

    def __post_init__(self):
        if self.kind not in FILTER_KINDS:
            raise ValueError(f"unknown filter kind {self.kind!r}")


# The place filters a list offers: where a person or an employer is, or where a station is.
PLACE_LEVELS = ("community", "township", "circle", "district")
STATION_PLACE_LEVELS = ("circle", "township", "district")


def shows(reveal, personal: str | None) -> bool:
    """Tell whether a personal value of this kind is shown in full (`reveal`: bool or set of kinds)."""
    if personal is None or reveal is True:
        return True
    return bool(reveal) and personal in reveal


def masked(reveal, personal: str, value: str | None, hint: str | None = None, full=None):
    """Return a personal value as the caller may see it.

    `hint` is the stored mask (ID numbers, phones); `full` a callable giving the full value
    (a decryption), called only when it is shown.
    """
    if shows(reveal, personal):
        return full() if full is not None else value
    if hint is not None or value is None:
        return hint
    return mask_name(value) if personal == "name" else mask_address(value)


def local_time(moment: datetime | None) -> str | None:
    """Show a naive-UTC moment on the city's clock, to the minute."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(zone()).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str | None:
    """Show a date as YYYY-MM-DD."""
    return value.isoformat() if value is not None else None


def yes_no(value: bool | None) -> str | None:
    """Show a flag as 是 / 否."""
    return None if value is None else ("是" if value else "否")


def _flip(clause):
    """Reverse one ORDER BY clause (a DESC one becomes ASC)."""
    if isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op:
        return clause.element.asc()
    if isinstance(clause, UnaryExpression) and clause.modifier is operators.asc_op:
        return clause.element.desc()
    return clause.desc()


class Listing:
    """A list staff open in the console and export: who may, which rows, how a row reads.

    Subclasses set the attributes and write `select` and `row`; `rows` may load, for a whole
    page or streamed batch at once, what the rows need beyond their own object.
    """

    name: str
    title: str
    roles: frozenset
    model: type
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    # Sort key -> ORDER BY clauses; "-key" reverses them. The keyset breaks ties.
    sorts: dict = {}
    default_sort: str = "id"
    # Loader options for a page and for each streamed batch.
    options: tuple = ()
    # A stream pages through the rows by this key (unique, indexed), in this direction.
    newest_first: bool = False

    @property
    def keyset(self) -> tuple:
        """Return the columns that identify a row, in stream order (default: the model's id)."""
        return (self.model.id,)

    def key_of(self, obj) -> tuple:
        """Return the keyset values of a loaded row."""
        return (obj.id,)

    def select(self, actor, filters: dict):
        """Return the SELECT of the rows `actor` may see, with the cleaned `filters` applied."""
        raise NotImplementedError

    def row(self, obj, reveal) -> dict:
        """Return one row as display values (personal ones masked unless `reveal` shows them)."""
        raise NotImplementedError

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows of a page or batch (override to load what they share in one query)."""
        return [self.row(obj, reveal) for obj in objs]

    # ---- checking what the caller asks for ---------------------------------------------------

    def filter(self, name: str) -> Filter | None:
        """Return the listing's filter of this name, if any."""
        return next((f for f in self.filters if f.name == name), None)

    def clean(self, raw: Mapping | None) -> dict:
        """Check filter values and return them parsed; names of no filter here are ignored.

        A filter not given takes its default; one given as "" is off. A choice outside its
        choices, an unreadable date, an unknown place or an overlong text is a 422 on its name.
        """
        raw = raw or {}
        cleaned: dict = {}
        for spec in self.filters:
            value = raw.get(spec.name, spec.default)
            if value is None:
                continue
            value = unicodedata.normalize("NFKC", str(value)).strip()
            if value == ALL:
                continue
            cleaned[spec.name] = _parse(spec, value)
        return cleaned

    def order_by(self, sort: str | None) -> tuple:
        """Return the ORDER BY of a sort key ("key" or "-key"), ties broken by the keyset; 422 if unknown."""
        sort = (sort or self.default_sort).strip()
        key = sort.removeprefix("-")
        if key not in self.sorts:
            choices = ", ".join(sorted(self.sorts))
            raise ValidationFailed(
                "sort", f"Sort by one of: {choices} (prefix '-' to reverse).", code="invalid_sort"
            )
        clauses = self.sorts[key]
        clauses = clauses if isinstance(clauses, tuple) else (clauses,)
        if sort.startswith("-"):
            clauses = tuple(_flip(clause) for clause in clauses)
        first = clauses[0]
        descending = isinstance(first, UnaryExpression) and first.modifier is operators.desc_op
        tie = tuple(column.desc() if descending else column.asc() for column in self.keyset)
        return (*clauses, *tie)

    def headers(self) -> list[tuple[str, str]]:
        """Return (key, 中文表头) of each column, in order."""
        return [(column.key, column.header) for column in self.columns]


def _parse(spec: Filter, value: str):
    """Parse one filter value by its kind, or raise 422 on the filter's name."""
    if spec.kind == "choice":
        codes = [code for code, _ in spec.choices or ()]
        if value not in codes:
            raise ValidationFailed(spec.name, f"Choose one of: {', '.join(codes)}.", code="invalid_choice")
        return value
    if spec.kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(spec.name, "Give a date as YYYY-MM-DD.", code="invalid_date") from None
    if spec.kind == "place":
        return parse_place(spec, value)
    if len(value) > MAX_TEXT:
        raise ValidationFailed(spec.name, f"At most {MAX_TEXT} characters.", code="text_too_long")
    return value


@dataclass(frozen=True)
class PlaceFilter:
    """A place a list is narrowed to: its level, id and name."""

    kind: str
    id: int
    name: str


def parse_place(spec: Filter, value: str) -> PlaceFilter:
    """Read "<kind>:<code>" (or a bare code, its level found from it) as a place; 422 if there is none."""
    kinds = tuple(spec.choices or (k.value for k in ScopeKind))
    kind, _, code = value.rpartition(":")
    candidates = (kind,) if kind else kinds
    if kind and kind not in kinds:
        raise ValidationFailed(
            spec.name, f"A place here is one of: {', '.join(kinds)}.", code="invalid_place"
        )
    for candidate in candidates:
        place = find_place(candidate, code) if candidate in ScopeKind.__members__ else None
        if place is not None:
            return PlaceFilter(candidate, place.id, place.name)
    raise ValidationFailed(spec.name, f"No place with code {code}.", code="unknown_place")


def place_clause(model, place: PlaceFilter):
    """Return the WHERE clause that keeps rows of a model with place columns inside a place."""
    return getattr(model, f"{place.kind}_id") == place.id


def since_clause(column, filters: dict, since: str = "since", until: str = "until") -> list:
    """Return the clauses of a from/to filter pair of city days on a naive-UTC column."""
    clauses = []
    if filters.get(since):
        clauses.append(column >= utc_start_of(filters[since]))
    if filters.get(until):
        clauses.append(column < utc_start_of(date.fromordinal(filters[until].toordinal() + 1)))
    return clauses


def place_name(kind: str | None, place_id: int | None) -> str | None:
    """Return a place's name, remembered for the session (a list names the same few places)."""
    if kind is None or place_id is None:
        return None
    names = db.session.info.setdefault("list_place_names", {})
    if (kind, place_id) not in names:
        place = db.session.get(PLACE_MODELS[ScopeKind(kind)], place_id)
        names[(kind, place_id)] = place.name if place is not None else None
    return names[(kind, place_id)]


def staff_names(account_ids) -> dict[int, str]:
    """Return {account id: display name or username} of some accounts, in one query."""
    ids = {account_id for account_id in account_ids if account_id is not None}
    if not ids:
        return {}
    found = db.session.execute(
        sa.select(Account.id, Account.display_name, Account.username).where(Account.id.in_(ids))
    )
    return {account_id: shown or username for account_id, shown, username in found}
