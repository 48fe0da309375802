"""A grid worker's communities (网格员负责社区): see them, assign one more, unassign one.

Both changes are one call of grid/assignment.py's `set_communities` with the whole new list: the
page's forms carry the worker's current codes (plus the new one, or minus the one removed), as
the API's PUT does. A worker outside the actor's place is a 404 page; a community outside the
actor's or the worker's place comes back to the page as a flash message, nothing changed.
"""

from flask import render_template, request, url_for

from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError
from app.services.grid import assignment
from app.services.people import staff


def _page_url(account_id: int) -> str:
    """Return the worker's communities page."""
    return url_for("console.grid_worker_communities", account_id=account_id)


@bp.get("/grid-workers/<int:account_id>/communities")
@console_login_required()
def grid_worker_communities(account_id: int):
    """Show a grid worker's communities, with the forms to assign and unassign them."""
    actor = current_staff()
    try:
        # The worker (a staff account the actor manages, else 404) names the page.
        worker = staff.get_staff(actor, account_id)
        assigned = assignment.get_communities(actor, worker.id)
    except APIError as error:
        return refused(error)
    return render_template("console/grid_worker.html", worker=worker, communities=assigned["communities"])


@bp.post("/grid-workers/<int:account_id>/communities")
@console_login_required()
def set_grid_worker_communities(account_id: int):
    """Make the worker's communities the form's codes (the current ones plus or minus one)."""
    codes = [code.strip() for code in request.form.getlist("codes") if code.strip()]
    try:
        result = assignment.set_communities(current_staff(), account_id, codes, client_ip())
    except APIError as error:
        return action_refused(error, _page_url(account_id))
    names = "、".join(community.name for community in result["communities"]) or "无"
    verb = "已取消分配" if request.form.get("change") == "unassign" else "已分配社区"
    return done(f"{verb}，现负责：{names}。", _page_url(account_id))
