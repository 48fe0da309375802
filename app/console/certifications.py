"""One key-group certification (重点群体认定) to review: its evidence, certify with a validity, or reject.

The review queue is the `certifications` list (services/lists/certifications.py), whose rows open
this page. Opening it is an audited read (as the API's detail); each evidence download is audited;
a reviewer may attach a file brought to the counter while it waits; certify and reject are POSTs
(CSRF) calling the same services as the API, and come back here with a flash message. Outside the
user's place: a 404 page, nothing changes.
"""

from datetime import date

from flask import render_template, request, url_for

from app.api.downloads import send_stored
from app.common.clock import local_day
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import CertificationStatus
from app.services.lists.labels import label
from app.services.registrations import certifications, evidence


def _page_url(certification_id: int) -> str:
    """Return the certification's page."""
    return url_for("console.certification_page", certification_id=certification_id)


def _date(field: str, required: bool) -> date | None:
    """Return a form date (YYYY-MM-DD), or 422 on the field."""
    value = (request.form.get(field) or "").strip()
    if not value:
        if required:
            raise ValidationFailed(field, "Give the date.", code="invalid_date")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(field, "A date is YYYY-MM-DD.", code="invalid_date") from None


@bp.get("/certifications/<int:certification_id>")
@console_login_required(*certifications.READ_ROLES)
def certification_page(certification_id: int):
    """Show a certification with its evidence files and, while pending, the forms to decide."""
    actor = current_staff()
    try:
        row = certifications.read(actor, certification_id, client_ip())
    except APIError as error:
        return refused(error)
    return render_template(
        "console/certification.html",
        row=row,
        group=label("key_group", row.key_group),
        status=label("certification_status", row.status),
        source=label("certification_source", row.source),
        may_decide=actor.role in certifications.REVIEW_ROLES and row.status == CertificationStatus.pending,
        may_download=actor.role in certifications.REVIEW_ROLES,
        today=local_day().isoformat(),
    )


@bp.get("/certifications/<int:certification_id>/evidence/<int:evidence_id>")
@console_login_required(*certifications.REVIEW_ROLES)
def certification_evidence(certification_id: int, evidence_id: int):
    """Download one evidence file (audited)."""
    try:
        stored = evidence.staff_file(current_staff(), certification_id, evidence_id, client_ip())
    except APIError as error:
        return refused(error)
    return send_stored(stored)


@bp.post("/certifications/<int:certification_id>/evidence")
@console_login_required(*certifications.REVIEW_ROLES)
def add_certification_evidence(certification_id: int):
    """Attach a file brought to the counter (a scan, the signed form) while the certification waits."""
    try:
        file, created = evidence.upload_as_staff(
            current_staff(), certification_id, request.files.get("file"), request.form.get("name") or None
        )
    except APIError as error:
        return action_refused(error, _page_url(certification_id))
    message = f"已上传「{file.original_name}」。" if created else f"「{file.original_name}」已上传过。"
    return done(message, _page_url(certification_id))


@bp.post("/certifications/<int:certification_id>/certify")
@console_login_required(*certifications.REVIEW_ROLES)
def certify_certification(certification_id: int):
    """Certify with the validity from the form: the key group starts, the resident is told."""
    try:
        row = certifications.certify(
            current_staff(),
            certification_id,
            _date("valid_from", required=True),
            _date("valid_until", required=False),
            client_ip(),
        )
    except APIError as error:
        return action_refused(error, _page_url(certification_id))
    until = row.valid_until.isoformat() if row.valid_until else "长期"
    return done(
        f"已认定「{label('key_group', row.key_group)}」，有效期至 {until}。", _page_url(certification_id)
    )


@bp.post("/certifications/<int:certification_id>/reject")
@console_login_required(*certifications.REVIEW_ROLES)
def reject_certification(certification_id: int):
    """Reject with the form's reason (the resident sees it)."""
    reason = (request.form.get("reason") or "").strip()[:200]
    try:
        certifications.reject(current_staff(), certification_id, reason, client_ip())
    except APIError as error:
        return action_refused(error, _page_url(certification_id))
    return done("已驳回该认定申请，原因已告知居民。", _page_url(certification_id))
