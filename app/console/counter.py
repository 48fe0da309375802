"""At the counter (柜台办理): staff enter registrations and key groups on a resident's behalf.

Find the resident in the user's place (the `residents` listing's search: part of a name, or a
whole ID number or phone matched by its keyed hash, never decrypted), then fill one of three
forms: an unemployment registration, an employment registration, or a key group to certify.
Each form is checked by the API's own schema and handed to the same service as the API's staff
routes; it carries a client_id made when it was drawn, so a double submit writes one row. A
registration entered here waits for the person's confirmation or the signed form, uploaded on
its page (`attach_signed_form`); an employment in effect ends there too (离职, `end_registration`).
A certification's evidence and validity are added on its own page (certifications.py).
"""

import uuid

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for

from app.api.schemas.certifications import CertificationRecordSchema
from app.api.schemas.registrations import EmploymentInputSchema, UnemploymentInputSchema
from app.common.clock import local_day
from app.console import bp, wants_json
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, back_to, done, refused, say
from app.console.work_queues import LIST_LINKS, ROW_ACTIONS, RowAction
from app.errors import APIError, ValidationFailed
from app.models import Account, ContractType, EmploymentKind, RegistrationKind, RegistrationStatus, Resident
from app.services import lists
from app.services.lists.labels import label
from app.services.lists.registrations import text as registration_text
from app.services.registrations import certifications, employment, unemployment, workflow
from app.services.registrations.records import REVIEW_ROLES, staff_resident

# Who works at the counter: the roles the registration and certification services let enter.
COUNTER_ROLES = tuple(sorted(REVIEW_ROLES & certifications.REVIEW_ROLES))
SEARCH_ROWS = 20
SEARCH_MAX = 64  # as the lists' text filter allows
# The forms: their title, the API schema that checks them, and each field's label.
FORMS = {
    "unemployment": ("失业登记", UnemploymentInputSchema),
    "employment": ("就业登记", EmploymentInputSchema),
    "certification": ("重点群体认定", CertificationRecordSchema),
}
FIELD_LABELS = {
    "client_id": "表单编号",
    "reason_for_leaving": "失业原因",
    "last_employer_name": "原工作单位",
    "last_employer_uscc": "原单位统一社会信用代码",
    "left_on": "离职日期",
    "wanted_work": "求职意向",
    "wants_training": "愿意参加培训",
    "employment_card_number": "就业创业证编号",
    "employment_kind": "就业形式",
    "started_on": "入职日期",
    "employer_name": "单位名称",
    "employer_uscc": "统一社会信用代码",
    "contract_type": "合同类型",
    "work_description": "从事工作",
    "key_group": "重点群体",
    "graduation_year": "毕业年份",
    "note": "说明",
    "resident": "居民",
    "file": "文件",
    "ended_on": "离职日期",
    "reason": "原因",
}
DATE_FIELDS = {"left_on", "started_on", "ended_on"}
# The signed form is a PDF or a photo: the shared message about evidence types would name Word too.
SIGNED_FORM_TYPES = "签字登记表只能是 PDF、JPG 或 PNG 文件（按文件内容判断）。"


def _form_url(resident_id: int, kind: str) -> str:
    return url_for(f"console.{kind}_form", resident_id=resident_id)


def _registration_url(registration_id: int) -> str:
    return url_for("console.registration_detail", registration_id=registration_id)


# ---- finding the resident ------------------------------------------------------------------------


@bp.get("/counter")
@console_login_required(*COUNTER_ROLES)
def counter_search():
    """Find a resident in my place by name, or by a whole ID number or phone (its keyed hash)."""
    q = (request.args.get("q") or "").strip()
    result, error, status = None, None, 200
    if q:
        try:
            if len(q) > SEARCH_MAX:
                raise ValidationFailed("q", "At most 64 characters.", code="text_too_long")
            result = lists.page("residents", current_staff(), {"q": q}, None, 1, SEARCH_ROWS)
        except APIError as error_:
            if error_.status != 422:
                return refused(error_)
            error, status = say(error_), 422
    page = render_template("console/counter.html", q=q, result=result, error=error, forms=FORMS)
    return page, status


def _resident_links(actor: Account, row: dict) -> list[RowAction]:
    """A resident's counter forms, as a row's links (the roles that work at the counter)."""
    if actor.role not in COUNTER_ROLES:
        return []
    return [
        RowAction(title, _form_url(row["id"], kind), method="get", testid=f"counter-{kind}-{row['id']}")
        for kind, (title, _) in FORMS.items()
    ]


def _list_link(actor: Account) -> list[RowAction]:
    """The registrations' and certifications' lists offer the counter to the roles that enter."""
    if actor.role not in COUNTER_ROLES:
        return []
    return [RowAction("柜台办理", url_for("console.counter_search"), method="get", testid="counter")]


# The residents list's rows keep their own actions (reveal) and gain the counter's forms.
_RESIDENT_ACTIONS = ROW_ACTIONS.get("residents")


def _resident_row(actor: Account, row: dict) -> list[RowAction]:
    """A residents list row: its own actions, then the counter's forms."""
    own = _RESIDENT_ACTIONS(actor, row) if _RESIDENT_ACTIONS else []
    return [*own, *_resident_links(actor, row)]


ROW_ACTIONS["residents"] = _resident_row
LIST_LINKS["registrations"] = _list_link
LIST_LINKS["certifications"] = _list_link


# ---- the three forms -----------------------------------------------------------------------------


def _typed(kind: str, resident_id: int) -> dict:
    """Return what the form says, checked by the API's schema (blank fields left out), or 422."""
    raw = {key: value.strip() for key, value in request.form.items() if key != "csrf_token" and value.strip()}
    raw["resident_id"] = resident_id
    try:
        return FORMS[kind][1]().load(raw, unknown=ma.EXCLUDE)
    except ma.ValidationError as error:
        field = next(iter(error.messages))
        code = "invalid_date" if field in DATE_FIELDS else "invalid_input"
        raise ValidationFailed(field, str(error.messages[field]), code=code) from None


def _form(kind: str, resident: Resident, values: dict, error: str | None = None, status: int = 200):
    """Render a counter form with what was typed (a new client_id when the form is new)."""
    page = render_template(
        "console/counter_form.html",
        kind=kind,
        title=FORMS[kind][0],
        resident=resident,
        values=values,
        client_id=values.get("client_id") or uuid.uuid4().hex,
        choices={
            "employment_kind": [
                (k.value, registration_text("employment_kind", k.value)) for k in EmploymentKind
            ],
            "contract_type": [(k.value, registration_text("contract_type", k.value)) for k in ContractType],
            "key_group": [(g.value, label("key_group", g.value)) for g in certifications.CERTIFIABLE],
        },
        today=local_day().isoformat(),
        error=error,
    )
    return page, status


def _show(resident_id: int, kind: str):
    """Show a counter form for a resident in my place (404 outside it)."""
    try:
        resident = staff_resident(current_staff(), resident_id)
    except APIError as error:
        return refused(error)
    defaults = {"started_on": local_day().isoformat(), "employment_kind": "employed"}
    return _form(kind, resident, defaults)


def _enter(resident_id: int, kind: str):
    """Enter the form for the resident: one row per client_id; on to its page with a message."""
    actor = current_staff()
    try:
        # The place first: outside it, a 404 whatever the form says.
        resident = staff_resident(actor, resident_id)
    except APIError as error:
        return refused(error)
    try:
        values = _typed(kind, resident.id)
        if kind == "certification":
            row, created = certifications.record(actor, values, client_ip())
        else:
            service = unemployment if kind == "unemployment" else employment
            row, created = service.create(actor, values, client_ip())
    except APIError as error:
        if error.status in (403, 404):
            return refused(error)
        return _form(kind, resident, request.form.to_dict(), say(error, FIELD_LABELS), error.status)
    title = FORMS[kind][0]
    if kind == "certification":
        where = url_for("console.certification_page", certification_id=row.id)
        then = "请上传证明材料后认定。"
    else:
        where = _registration_url(row.id)
        then = "待本人在小程序中确认，或上传本人签字的登记表。"
    return done(f"已录入{title}，{then}" if created else f"该{title}此前已录入（未重复登记）。", where)


@bp.get("/counter/residents/<int:resident_id>/unemployment")
@console_login_required(*COUNTER_ROLES)
def unemployment_form(resident_id: int):
    """Show the unemployment registration form (失业登记) for a resident in my place."""
    return _show(resident_id, "unemployment")


@bp.post("/counter/residents/<int:resident_id>/unemployment")
@console_login_required(*COUNTER_ROLES)
def enter_unemployment(resident_id: int):
    """Enter an unemployment registration for the resident: it waits for confirmation or the signed form."""
    return _enter(resident_id, "unemployment")


@bp.get("/counter/residents/<int:resident_id>/employment")
@console_login_required(*COUNTER_ROLES)
def employment_form(resident_id: int):
    """Show the employment registration form (就业登记) for a resident in my place."""
    return _show(resident_id, "employment")


@bp.post("/counter/residents/<int:resident_id>/employment")
@console_login_required(*COUNTER_ROLES)
def enter_employment(resident_id: int):
    """Enter an employment registration for the resident: it waits for confirmation or the signed form."""
    return _enter(resident_id, "employment")


@bp.get("/counter/residents/<int:resident_id>/certification")
@console_login_required(*COUNTER_ROLES)
def certification_form(resident_id: int):
    """Show the key-group form (重点群体认定) for a resident in my place."""
    return _show(resident_id, "certification")


@bp.post("/counter/residents/<int:resident_id>/certification")
@console_login_required(*COUNTER_ROLES)
def enter_certification(resident_id: int):
    """Record a key group for the resident: evidence and validity follow on its page."""
    return _enter(resident_id, "certification")


# ---- on a registration's page --------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/signed-form")
@console_login_required(*COUNTER_ROLES)
def attach_signed_form(registration_id: int):
    """Upload the form the person signed (PDF, JPG, PNG): the registration goes to review."""
    here = _registration_url(registration_id)
    try:
        workflow.attach_form(current_staff(), registration_id, request.files.get("file"), client_ip())
    except APIError as error:
        if error.code == "file_type_not_allowed" and not wants_json():
            flash(SIGNED_FORM_TYPES, "error")
            return redirect(back_to(here), 303)
        return action_refused(error, here)
    return done("已上传签字登记表，登记已提交审核。", here)


@bp.post("/registrations/<int:registration_id>/end")
@console_login_required(*COUNTER_ROLES)
def end_registration(registration_id: int):
    """End a registration in effect: an employment (离职: its day and reason), or an unemployment one."""
    here = _registration_url(registration_id)
    values = {"reason": (request.form.get("reason") or "").strip()[:200] or None}
    try:
        raw = (request.form.get("ended_on") or "").strip()
        if raw:
            try:
                values["ended_on"] = ma.fields.Date().deserialize(raw)
            except ma.ValidationError:
                raise ValidationFailed("ended_on", "A date is YYYY-MM-DD.", code="invalid_date") from None
        registration = workflow.end(current_staff(), registration_id, values, client_ip())
    except APIError as error:
        return action_refused(error, here)
    if registration.kind == RegistrationKind.employment:
        return done(f"已登记离职（{registration.ended_on}），台账已改为失业。", here)
    return done("已注销该失业登记。", here)


def handles(actor: Account, registration) -> dict:
    """Tell the registration page which counter forms to show this actor (the services still decide)."""
    counter = actor.role in COUNTER_ROLES
    in_effect = registration.status == RegistrationStatus.accepted
    return {
        "may_attach_form": counter and registration.status == RegistrationStatus.pending_confirmation,
        "may_end": counter and in_effect,
    }
