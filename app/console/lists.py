"""List pages (名单与待办): every listing of app/services/lists at /console/lists/<name>.

Filters, the text search ("q"), sorting by clicking a column's header and paging all travel in
the query string and go to `lists.page`, which scopes the rows to the viewer's place and masks
personal data (names shown; ID numbers, phones and addresses masked). A role the list is not
for gets a 403 page; a bad filter a 422 page that keeps the form. Rows carry the actions of
work_queues.py; residents carry "查看完整信息" for the roles that may: a POST with a reason to
people/personal_data.py `reveal` (audited), whose page shows the full values this once.
"""

from dataclasses import dataclass

from flask import render_template, request, url_for

from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, back_to, refused, say
from app.console.work_queues import list_links, list_url, row_actions
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services import lists
from app.services.lists.base import PAGE_SHOWS, Listing
from app.services.people import personal_data
from app.services.people.staff import CREATABLE_ROLES

PER_PAGE = 20
PER_PAGE_CHOICES = (20, 50, 100)
# Sort keys named otherwise than their column ("submitted" sorts "submitted_at" by the same rule).
SORT_COLUMNS = {"reports": "open_reports", "station": "station_code"}
REASON_LENGTH = (2, 200)  # as the API's reveal asks


@dataclass(frozen=True)
class Header:
    """One column header: its label, the sort a click asks for, and how the list is sorted by it now."""

    key: str
    label: str
    url: str | None = None
    state: str | None = None  # "asc" or "desc" when the list is sorted by this column
    masked: bool = False


def _sort_of(listing: Listing, key: str) -> str | None:
    """Return the sort key of a column (None: the column does not sort)."""
    for sort in listing.sorts:
        if key in (sort, f"{sort}_at", SORT_COLUMNS.get(sort)):
            return sort
    return None


def _here(**changes) -> str:
    """Return this list page's address with some query arguments changed (None drops one)."""
    args = {**request.args.to_dict(), **changes}
    args = {key: value for key, value in args.items() if value is not None}
    return url_for("console.list_page", name=request.view_args["name"], **args)


def _headers(listing: Listing, sort: str) -> list[Header]:
    """Return the table's headers; a sortable one links to its sort (again: reversed)."""
    headers = []
    for column in listing.columns:
        masked = column.personal is not None and column.personal not in PAGE_SHOWS
        key = _sort_of(listing, column.key)
        if key is None:
            headers.append(Header(column.key, column.header, masked=masked))
            continue
        state = {key: "asc", f"-{key}": "desc"}.get(sort)
        url = _here(sort=f"-{key}" if state == "asc" else key, page=None)
        headers.append(Header(column.key, column.header, url, state, masked))
    return headers


def _number(name: str, default: int) -> int:
    """Return a whole-number query argument, or 422 on it."""
    raw = request.args.get(name) or str(default)
    if not raw.isdigit():
        raise ValidationFailed(name, "Give a whole number.", code="invalid_page")
    return int(raw)


def _form_filters(listing: Listing) -> list[dict]:
    """Return the filters as the form macro draws them (a place is typed as its code)."""
    drawn = []
    for spec in listing.filters:
        if spec.kind == "place":
            drawn.append(
                {"name": spec.name, "label": f"{spec.label}（编码）", "kind": "text", "choices": None}
            )
        else:
            drawn.append({"name": spec.name, "label": spec.label, "kind": spec.kind, "choices": spec.choices})
    return drawn


def _render(listing: Listing, result, error: str | None = None, status: int = 200):
    """Render a list page (`result` None: the filters were refused, no rows)."""
    actor = current_staff()
    sort = request.args.get("sort") or listing.default_sort
    filter_args = {
        spec.name: request.args[spec.name] for spec in listing.filters if spec.name in request.args
    }
    rows = [(row, row_actions(listing.name, actor, row)) for row in (result.items if result else [])]
    personal = any(column.personal for column in listing.columns)
    page = render_template(
        "console/list.html",
        listing=listing,
        headers=_headers(listing, sort),
        rows=rows,
        result=result,
        error=error,
        with_actions=any(actions for _, actions in rows),
        filters=_form_filters(listing),
        filter_values={
            spec.name: request.args.get(spec.name, spec.default or "") for spec in listing.filters
        },
        page_url=lambda number: _here(page=number),
        per_page_urls=[(n, _here(per_page=n, page=None)) for n in PER_PAGE_CHOICES],
        export_xlsx=url_for("console.export_list", name=listing.name, format="xlsx", **filter_args),
        export_csv=url_for("console.export_list", name=listing.name, format="csv", **filter_args),
        may_reveal_export=personal and lists.may_reveal(actor),
        list_links=list_links(listing.name, actor),
        may_create_staff=listing.name == "staff_accounts" and bool(CREATABLE_ROLES.get(Role(actor.role))),
        here=request.full_path.rstrip("?"),
    )
    return page, status


@bp.get("/lists/<name>")
@console_login_required()
def list_page(name: str):
    """Show one page of a list: the viewer's rows, filtered, searched, sorted, masked."""
    try:
        listing = lists.get(name)
    except APIError as error:
        return refused(error)
    filters = {spec.name: request.args[spec.name] for spec in listing.filters if spec.name in request.args}
    try:
        number, per_page = _number("page", 1), _number("per_page", PER_PAGE)
        result = lists.page(
            name, current_staff(), filters, request.args.get("sort") or None, number, per_page
        )
    except APIError as error:
        if error.status != 422:
            return refused(error)
        labels = {spec.name: spec.label for spec in listing.filters} | {
            "sort": "排序",
            "per_page": "每页条数",
        }
        return _render(listing, None, say(error, labels), 422)
    return _render(listing, result)


@bp.post("/lists/residents/<int:resident_id>/reveal")
@console_login_required()
def reveal_resident(resident_id: int):
    """Show a resident's full ID number and phone once, for a reason (audited); roles that may only."""
    reason = (request.form.get("reason") or "").strip()
    try:
        if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
            raise ValidationFailed("reason", "Say why, in 2 to 200 characters.", code="reason_missing")
        revealed = personal_data.reveal(
            current_staff(), resident_id, list(personal_data.REVEALABLE_FIELDS), reason, client_ip()
        )
    except APIError as error:
        return action_refused(error, list_url("residents"))
    return render_template(
        "console/resident_revealed.html",
        revealed=revealed,
        reason=reason,
        back=back_to(list_url("residents")),
    )
