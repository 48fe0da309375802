"""Schemas of notices (信息发布): writing one, the review steps, the lists, the view."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, Id, PageArgsSchema, UtcDateTime, one_of, page_schema
from app.models import NoticeAudience, NoticeStatus, ScopeKind

REASON = validate.Length(min=2, max=200)


class NoticeInputSchema(ma.Schema):
    """A notice's fields (all the required ones to write it; any of them to edit it)."""

    title = ma.fields.String(
        required=True, validate=validate.Length(min=2, max=80), metadata={"description": "标题"}
    )
    body = ma.fields.String(
        required=True, validate=validate.Length(min=2, max=5000), metadata={"description": "正文"}
    )
    place_kind = ma.fields.String(
        required=True,
        validate=one_of(ScopeKind),
        metadata={
            "description": "The level of the place it goes to: community, township, circle, district, city"
        },
    )
    place_code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "The place's code (a circle: <district short code>-<key>); inside your place"
        },
    )
    audience = ma.fields.String(
        required=True,
        validate=one_of(NoticeAudience),
        metadata={"description": "residents, seekers, key_group, employers or staff"},
    )
    audience_value = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "key_group: the group's code; staff: a role, or none for every staff role"},
    )
    valid_from = ma.fields.Date(required=True, metadata={"description": "The first day it shows"})
    valid_until = ma.fields.Date(required=True, metadata={"description": "The last day it shows"})
    event_id = Id(allow_none=True, metadata={"description": "An event it links to (not cancelled)"})
    policy_id = Id(allow_none=True, metadata={"description": "A policy it links to (published)"})
    push = ma.fields.Boolean(
        load_default=None, metadata={"description": "Push it to the residents of its audience once published"}
    )

    @ma.post_load
    def drop_unset_push(self, data, **kwargs):
        """Leave `push` alone when it was not sent (an edit keeps it)."""
        if data.get("push") is None:
            data.pop("push", None)
        return data


class NoticeCreateSchema(NoticeInputSchema):
    """A new notice: its fields and an optional idempotency key."""

    client_id = ClientId(
        load_default=None, metadata={"description": "Idempotency key: a retry returns the first draft"}
    )


class NoticeEditSchema(NoticeInputSchema):
    """A change to a draft or returned notice: any of its fields (loaded partial)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


class NoticeReasonSchema(ma.Schema):
    """Why a notice is returned or withdrawn (its author reads it)."""

    reason = ma.fields.String(required=True, validate=REASON)


class NoticeNoteSchema(ma.Schema):
    """An optional remark with the publication."""

    note = ma.fields.String(allow_none=True, validate=validate.Length(max=200))


class NoticeQuerySchema(PageArgsSchema):
    """The staff's list: ?status=, ?mine=true (only my own)."""

    status = ma.fields.String(validate=one_of(NoticeStatus))
    mine = ma.fields.Boolean(load_default=False)


class MyNoticeQuerySchema(PageArgsSchema):
    """Notices for me: ?unread=true for the unread ones only."""

    unread = ma.fields.Boolean(load_default=False)


class NoticePlaceSchema(ma.Schema):
    """A place as the API names it."""

    kind = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()


class NoticeAttachmentSchema(ma.Schema):
    """A notice's file: its name, type and size (download it at /notices/{id}/attachment)."""

    name = ma.fields.String()
    type = ma.fields.String()
    size = ma.fields.Integer()


class NoticeSchema(ma.Schema):
    """One notice as shown: its text, place, audience, validity, links, status and my read state."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    place = ma.fields.Nested(NoticePlaceSchema, allow_none=True)
    place_kind = ma.fields.String()
    place_code = ma.fields.String()
    audience = ma.fields.String()
    audience_value = ma.fields.String(allow_none=True)
    valid_from = ma.fields.Date()
    valid_until = ma.fields.Date()
    event_id = ma.fields.Integer(allow_none=True)
    policy_id = ma.fields.Integer(allow_none=True)
    attachment = ma.fields.Nested(NoticeAttachmentSchema, allow_none=True)
    push = ma.fields.Boolean()
    status = ma.fields.String()
    author_id = ma.fields.Integer()
    submitted_at = UtcDateTime(allow_none=True)
    reviewer_id = ma.fields.Integer(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    review_note = ma.fields.String(
        allow_none=True, metadata={"description": "The reviewer's reason or remark"}
    )
    published_at = UtcDateTime(allow_none=True)
    withdrawn_at = UtcDateTime(allow_none=True)
    withdraw_reason = ma.fields.String(allow_none=True)
    pushed_at = UtcDateTime(allow_none=True)
    read_at = UtcDateTime(allow_none=True, metadata={"description": "When I first opened it (for me only)"})
    may_review = ma.fields.Boolean(metadata={"description": "Staff: whether I may publish or return it"})


NoticePageSchema = page_schema(NoticeSchema, "NoticePageSchema")


class MyNoticePageSchema(NoticePageSchema):
    """Notices for me, newest first, and how many of them I have not opened."""

    unread = ma.fields.Integer(required=True)
