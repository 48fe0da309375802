"""Registrations in the console (失业/就业登记): the review queue's buttons, a detail page, accept and reject.

The queue is the `registrations` list (app/services/lists/registrations.py: submitted by default,
filters and exports as every list); each row links to its detail page and, when it waits for
review and the role reviews, offers accept and reject (with the reason the person reads). The
detail read is audited as the API's is; the decisions are workflow.py's, pushed to the person.
"""

from flask import render_template, request, url_for

from app.common.clock import local_day
from app.console import bp, counter
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.console.work_queues import ROW_ACTIONS, RowAction, list_url
from app.errors import APIError, ValidationFailed
from app.models import Account, RegistrationStatus, Role
from app.services.lists.registrations import text
from app.services.registrations import workflow
from app.services.registrations.records import REVIEW_ROLES

LIST = "registrations"


def _detail_url(registration_id: int) -> str:
    """Return a registration's detail page."""
    return url_for("console.registration_detail", registration_id=registration_id)


def decisions(actor: Account, registration_id: int, status: str) -> list[RowAction]:
    """Return accept and reject for a registration under review, to a role that reviews."""
    if actor.role not in REVIEW_ROLES or status != RegistrationStatus.submitted:
        return []
    return [
        RowAction(
            "受理",
            url_for("console.accept_registration", registration_id=registration_id),
            testid=f"accept-{registration_id}",
        ),
        RowAction(
            "不予受理",
            url_for("console.reject_registration", registration_id=registration_id),
            reason="原因（本人可见）",
            style="danger",
            testid=f"reject-{registration_id}",
        ),
    ]


def row_actions(actor: Account, row: dict) -> list[RowAction]:
    """A row of the queue: its detail page, and the decisions when it waits for review."""
    detail = RowAction("详情", _detail_url(row["id"]), method="get", testid=f"detail-{row['id']}")
    return [detail, *decisions(actor, row["id"], row.get("status_code"))]


# The queue's buttons live with the registrations' pages (work_queues.py cannot import this module).
ROW_ACTIONS[LIST] = row_actions


@bp.get("/registrations/<int:registration_id>")
@console_login_required(*REVIEW_ROLES, Role.supervisor)
def registration_detail(registration_id: int):
    """Show one registration: the person, the form, its steps, and the decisions when under review."""
    actor = current_staff()
    try:
        registration = workflow.read(actor, registration_id, client_ip())
    except APIError as error:
        return refused(error)
    return render_template(
        "console/registration.html",
        registration=registration,
        text=text,
        actions=decisions(actor, registration.id, registration.status),
        here=_detail_url(registration.id),
        today=local_day().isoformat(),
        **counter.handles(actor, registration),
    )


@bp.post("/registrations/<int:registration_id>/accept")
@console_login_required(*REVIEW_ROLES)
def accept_registration(registration_id: int):
    """Accept a registration under review: its number, the ledger change, a push to the person."""
    try:
        registration = workflow.accept(current_staff(), registration_id, None, client_ip())
    except APIError as error:
        return action_refused(error, list_url(LIST))
    return done(f"已受理，登记编号 {registration.number}。", list_url(LIST))


@bp.post("/registrations/<int:registration_id>/reject")
@console_login_required(*REVIEW_ROLES)
def reject_registration(registration_id: int):
    """Reject a registration under review with the reason the person reads."""
    reason = (request.form.get("reason") or "").strip()[:200]
    try:
        if len(reason) < 2:
            raise ValidationFailed("reason", "Say why (at least 2 characters).", code="reason_required")
        workflow.reject(current_staff(), registration_id, reason, client_ip())
    except APIError as error:
        return action_refused(error, list_url(LIST))
    return done("已不予受理，原因已告知本人。", list_url(LIST))
