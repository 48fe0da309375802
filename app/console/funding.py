"""Populations and the funding calculator (购买服务费用), with what-if and Excel (console page).

GET /console/funding computes what GET /api/v1/funding answers (services/programme/funding.py)
for the year, months and any what-if rates in the form (nothing is written), shows the
populations in force with their source, and offers the result as Excel. The city admin enters a
population (a POST with CSRF, audited, flash message back).
"""

from datetime import date

from flask import render_template, request, url_for

from app.common.clock import local_day
from app.common.files import attachment
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services.exports.writers import XLSX, xlsx_sheet
from app.services.programme import funding, funding_export, populations

SOURCE_TEXT = funding_export.SOURCE_TEXT
# The form's whole numbers and their bounds, as the API's query schema has them.
NUMBERS = {
    "year": (2020, 2100),
    "from_month": (1, 12),
    "to_month": (1, 12),
    "service_yuan_per_10k": (0, 1_000_000),
    "supervision_yuan_per_10k": (0, 1_000_000),
    "cap_yuan_per_10k": (0, 1_000_000),
}


def _number(form, name: str, low: int, high: int) -> int | None:
    """Read a whole number from a form or query string (None when empty), or 422 on the field."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(name, f"A whole number from {low} to {high}.", code="invalid_input")
    return int(raw)


def _args() -> dict:
    """Read the calculator's form into the service's arguments."""
    args = {name: _number(request.args, name, *bounds) for name, bounds in NUMBERS.items()}
    args["year"] = args["year"] or local_day().year
    return args


@bp.get("/funding")
@console_login_required(*funding.READ_ROLES)
def funding_page():
    """Show the fees per circle, operator, district and city for a year (what-if from the form)."""
    actor = current_staff()
    try:
        args = _args()
        result = funding.calculate(actor, args)
        figures = populations.list_populations(actor)
    except APIError as error:
        return refused(error)
    query = {name: value for name, value in args.items() if value is not None}
    return render_template(
        "console/funding.html",
        result=result,
        args=args,
        populations=figures,
        source_text=SOURCE_TEXT,
        export_url=url_for("console.export_funding", **query),
        may_enter=actor.role == Role.city_admin,
        today=local_day().isoformat(),
        census_day=populations.as_of_default().isoformat(),
    )


@bp.get("/funding/export")
@console_login_required(*funding.READ_ROLES)
def export_funding():
    """Download the calculator's result (Excel), as the page shows it."""
    actor = current_staff()
    try:
        result = funding.calculate(actor, _args())
    except APIError as error:
        return refused(error)
    data = xlsx_sheet(
        title="就业圈购买服务费用测算",
        place=funding_export.place_text(result),
        filters=funding_export.filters_text(result),
        exported_by=actor.username or str(actor.id),
        headers=funding_export.COLUMNS,
        rows=funding_export.rows(result),
    )
    return attachment(data, XLSX, f"funding-{result['year']}.xlsx")


@bp.post("/funding/populations")
@console_login_required(Role.city_admin)
def enter_population():
    """Enter a place's population from the form (city admin), audited."""
    back = url_for("console.funding_page")
    form = request.form
    try:
        values = {
            "place_kind": form.get("place_kind") or "",
            "place_code": (form.get("place_code") or "").strip(),
            "population": _number(form, "population", 1, 100_000_000),
            "urban_population": _number(form, "urban_population", 0, 100_000_000),
            "source": (form.get("source") or "").strip(),
        }
        if values["place_kind"] not in populations.KINDS:
            raise ValidationFailed("place_kind", "Choose from the list.", code="invalid_choice")
        if values["population"] is None:
            raise ValidationFailed("population", "Enter the population.", code="invalid_input")
        if not 2 <= len(values["source"]) <= 128:
            raise ValidationFailed("source", "2–128 characters.", code="invalid_input")
        try:
            values["as_of"] = date.fromisoformat((form.get("as_of") or "").strip())
        except ValueError:
            raise ValidationFailed("as_of", "A date is YYYY-MM-DD.", code="invalid_date") from None
        _, created = populations.set_population(current_staff(), values, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已录入人口数据。" if created else "该数据已在使用，未重复录入。", back)
