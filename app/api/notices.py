"""Notices (信息发布): staff write, review and withdraw them; everyone reads those for them."""

from flask import request

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.common import UPLOAD_DOC, file_doc
from app.api.schemas.notices import (
    MyNoticePageSchema,
    MyNoticeQuerySchema,
    NoticeCreateSchema,
    NoticeEditSchema,
    NoticeNoteSchema,
    NoticePageSchema,
    NoticeQuerySchema,
    NoticeReasonSchema,
    NoticeSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.errors import ErrorSchema
from app.models import STAFF_ROLES, Role
from app.services.notices import attachments, reading, workflow
from app.services.notices.rules import AUTHOR_ROLES, REVIEW_ROLES

URL_PREFIX = "/notices"
blp = Blueprint(
    "notices", __name__, description="Notices (信息发布): written, reviewed by a second person, read"
)
EVERYONE = (Role.resident, Role.employer, *STAFF_ROLES)
WRONG_STATUS = {
    "schema": ErrorSchema,
    "description": "`notice_status_conflict`: not in a status this step takes",
}


@blp.get("/mine")
@auth_required(*EVERYONE)
@blp.arguments(MyNoticeQuerySchema, location="query")
@blp.response(200, MyNoticePageSchema)
def for_me(args):
    """List the notices for me (my place, my groups) out today, newest first, with read state and unread."""
    return reading.for_me(current_account(), args)


@blp.get("")
@auth_required(*STAFF_ROLES)
@blp.arguments(NoticeQuerySchema, location="query")
@blp.response(200, NoticePageSchema)
def list_notices(args):
    """List the notices in my place (newest first; others' drafts left out), by ?status=."""
    return reading.managed_list(current_account(), args)


@blp.post("")
@auth_required(*AUTHOR_ROLES)
@blp.arguments(NoticeCreateSchema)
@blp.response(201, NoticeSchema)
@blp.alt_response(200, schema=NoticeSchema, description="Sent before with this client_id: the first draft")
def create(values):
    """Write a draft notice to a place in my place (422 place_not_found, place_out_of_scope …)."""
    notice, created = workflow.create(current_account(), values, client_ip())
    return notice, 201 if created else 200


@blp.get("/<int:notice_id>")
@auth_required(*EVERYONE)
@blp.response(200, NoticeSchema)
def get_notice(notice_id):
    """Open a notice: one for me is marked read (the first time); staff open those in their place."""
    return reading.read(current_account(), notice_id)


@blp.patch("/<int:notice_id>")
@auth_required(*AUTHOR_ROLES)
@blp.arguments(NoticeEditSchema)
@blp.response(200, NoticeSchema)
@blp.alt_response(409, **WRONG_STATUS)
def edit(values, notice_id):
    """Change my draft or returned notice (403 not_author)."""
    return workflow.edit(current_account(), notice_id, values, client_ip())


@blp.post("/<int:notice_id>/submit")
@auth_required(*AUTHOR_ROLES)
@blp.response(200, NoticeSchema)
@blp.alt_response(409, **WRONG_STATUS)
def submit(notice_id):
    """Send my draft or returned notice for review by a second person."""
    return workflow.submit(current_account(), notice_id, client_ip())


@blp.post("/<int:notice_id>/publish")
@auth_required(*REVIEW_ROLES)
@blp.arguments(NoticeNoteSchema)
@blp.response(200, NoticeSchema)
@blp.alt_response(409, **WRONG_STATUS)
def publish(values, notice_id):
    """Publish a notice in review: an admin over its place, not its author (403 not_reviewer); push it."""
    return workflow.publish(current_account(), notice_id, values.get("note"), client_ip())


@blp.post("/<int:notice_id>/return")
@auth_required(*REVIEW_ROLES)
@blp.arguments(NoticeReasonSchema)
@blp.response(200, NoticeSchema)
@blp.alt_response(409, **WRONG_STATUS)
def return_notice(values, notice_id):
    """Return a notice in review to its author with the reason (403 not_reviewer)."""
    return workflow.return_notice(current_account(), notice_id, values["reason"], client_ip())


@blp.post("/<int:notice_id>/withdraw")
@auth_required(*AUTHOR_ROLES)
@blp.arguments(NoticeReasonSchema)
@blp.response(200, NoticeSchema)
@blp.alt_response(409, **WRONG_STATUS)
def withdraw(values, notice_id):
    """Withdraw a published notice, with the reason: its author or an admin over its place."""
    return workflow.withdraw(current_account(), notice_id, values["reason"], client_ip())


@blp.post("/<int:notice_id>/attachment")
@auth_required(*AUTHOR_ROLES)
@blp.doc(**UPLOAD_DOC)
@blp.response(200, NoticeSchema)
@blp.alt_response(413, schema=ErrorSchema, description="`file_too_large`: over UPLOAD_MAX_BYTES")
@blp.alt_response(415, schema=ErrorSchema, description="`file_type_not_allowed`, `file_has_macros`")
@blp.alt_response(409, **WRONG_STATUS)
def attach(notice_id):
    """Attach (or replace) my draft notice's file: PDF, DOC/DOCX, JPG or PNG, typed by its content."""
    return attachments.attach(current_account(), notice_id, request.files.get("file"), client_ip())


@blp.get("/<int:notice_id>/attachment")
@auth_required(*EVERYONE)
@blp.doc(**file_doc(attachments.TYPES))
def download(notice_id):
    """Download a notice's file: anyone who may read the notice."""
    return send_stored(attachments.attachment_file(current_account(), notice_id))
