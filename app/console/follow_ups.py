"""Open follow-ups of station visits (来访跟进): oldest first, in the viewer's place, closed one by one.

The list of GET /api/v1/check-ins/follow-ups (services/stations/queue.py; station staff see
their stations'), and closing one as PATCH /api/v1/check-ins/{id} {follow_up_closed: true} does.
"""

from flask import render_template, request, url_for

from app.common.identity import mask_name
from app.console import bp
from app.console.auth import console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError
from app.services.lists.labels import label
from app.services.stations import queue

PER_PAGE = 50


def _row(item) -> dict:
    """Return one follow-up as the page shows it (the person's name masked)."""
    person = item.person
    return {
        "id": item.id,
        "created_at": item.created_at,
        "where": item.event.title if item.event else item.station.name if item.station else "—",
        "person": mask_name(person.name) if person is not None and person.name else "—",
        "outcome": label("serve_outcome", item.outcome) or "—",
        "note": item.outcome_note or "—",
    }


@bp.get("/follow-ups")
@console_login_required(*queue.SERVE_ROLES)
def follow_ups_page():
    """Show the open follow-ups of visits in the viewer's place, oldest first."""
    page = request.args.get("page", "1")
    try:
        found = queue.open_follow_ups(
            current_staff(), None, int(page) if page.isdigit() and page != "0" else 1, PER_PAGE
        )
    except APIError as error:
        return refused(error)
    return render_template("console/follow_ups.html", found=found, rows=[_row(item) for item in found.items])


@bp.post("/follow-ups/<int:check_in_id>/close")
@console_login_required(*queue.SERVE_ROLES)
def close_follow_up(check_in_id: int):
    """Close one visit's follow-up (it has been dealt with)."""
    back = url_for("console.follow_ups_page")
    try:
        queue.serve(current_staff(), check_in_id, {"follow_up_closed": True})
    except APIError as error:
        return action_refused(error, back)
    return done("已关闭该跟进事项。", back)
