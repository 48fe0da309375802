"""What services hand to views: one page of a list, and a row with the values computed for it."""

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db


@dataclass
class Page:
    """One page of a list: its items, which page, its size, and how many match in all."""

    items: list
    page: int
    per_page: int
    total: int


def paginate(statement, page: int, per_page: int, order_by=(), options=(), count=None) -> Page:
    """Return one page of `statement`'s rows and the total.

    `order_by` and loader `options` apply to the page only, not to the count; `count` is a
    ready-made COUNT statement where a plain count beats counting a subquery.
    """
    if count is None:
        count = sa.select(sa.func.count()).select_from(statement.subquery())
    total = db.session.scalar(count)
    items = db.session.scalars(
        statement.options(*options).order_by(*order_by).limit(per_page).offset((page - 1) * per_page)
    )
    return Page(list(items), page, per_page, total)


class RowWith:
    """A row seen with extra values computed for its view, leaving the row itself untouched.

    Reads fall through to the row, so a schema dumps it like the row plus the extras.
    """

    def __init__(self, row, **extras):
        self._row = row
        self.__dict__.update(extras)

    def __getattr__(self, name):
        return getattr(self._row, name)
