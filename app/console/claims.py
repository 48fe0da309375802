"""Benefit claims in the console (待遇申领): the queues by stage, one claim's page and its review steps.

The queue counts the claims of each stage in the viewer's place and lists one stage's, oldest
deadline first, with the overdue ones flagged; a claim's page shows why the person qualified
(the trace, as evaluated when the match was made), the facts, the files (each download audited),
the steps so far, the objections, and the step the viewer may take at this stage: accept, first
review, second review, start the public notice, record or resolve an objection, approve, pay,
return for more material or reject with a note. claim_review.py decides each step (role, place,
stage) and refuses otherwise; the refusal comes back as a flash in Chinese. District admins
download the payment roster (an audited Excel file) from the queue.
"""

from dataclasses import dataclass

from flask import render_template, request, url_for

from app.api.downloads import send_stored
from app.common.clock import local_day
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import Account, ClaimStatus, Role
from app.services.exports.tables import export_table
from app.services.policies import catalogue, claim_intake, claim_review, claims, facts, roster, rules

S = ClaimStatus
STATUS_TEXT = {
    S.submitted: "待受理",
    S.accepted: "待初审",
    S.first_reviewed: "待复核",
    S.second_reviewed: "待公示",
    S.in_notice: "公示中",
    S.approved: "待发放",
    S.paid: "已发放",
    S.returned: "退回补充材料",
    S.rejected: "未通过",
    S.withdrawn: "已撤回",
}
# The queue's tabs, in the order a claim moves.
QUEUE_STAGES = (
    S.submitted,
    S.accepted,
    S.first_reviewed,
    S.second_reviewed,
    S.in_notice,
    S.approved,
    S.returned,
    S.paid,
    S.rejected,
)
CHANNEL_TEXT = {"resident": "本人申请", "employer": "单位申请", "counter": "柜台代办"}
ROSTER_ROLES = (Role.district_admin,)


@dataclass(frozen=True)
class Step:
    """One review step the claim page may offer: its button, the stage it applies to, its note box."""

    name: str  # the claim_review function
    label: str
    stages: tuple
    note: str | None = None  # the note box's label; required when `note_required`
    note_required: bool = False
    style: str = ""
    fields: tuple = ()  # extra inputs: (name, label, required)


UNDECIDED = tuple(claim_review.UNDECIDED)
STEPS = (
    Step("accept", "受理", (S.submitted,), note="受理意见（可选）"),
    Step("first_review", "初审通过", (S.accepted,), note="初审意见（可选）"),
    Step("second_review", "复核通过", (S.first_reviewed,), note="复核意见（可选）"),
    Step("publicise", "开始公示", (S.second_reviewed,), note="公示说明（可选）"),
    Step(
        "object",
        "登记异议",
        (S.in_notice,),
        note="异议内容",
        note_required=True,
        style="secondary",
        fields=(("raised_by", "异议人（可选）", False),),
    ),
    Step("approve", "核准", (S.in_notice,), note="核准意见（可选）"),
    Step(
        "pay",
        "登记发放",
        (S.approved,),
        note="发放说明（可选）",
        fields=(("payment_reference", "发放凭证号", True),),
    ),
    Step(
        "return_claim",
        "退回补充材料",
        UNDECIDED,
        note="需补充的材料（申请人可见）",
        note_required=True,
        style="secondary",
    ),
    Step(
        "reject",
        "不予通过",
        UNDECIDED,
        note="不予通过的原因（申请人可见）",
        note_required=True,
        style="danger",
    ),
)
STEP_BY_NAME = {step.name: step for step in STEPS}
DONE_TEXT = {
    "accept": "已受理，进入初审。",
    "first_review": "初审通过，已转区级复核。",
    "second_review": "复核通过，待公示。",
    "publicise": "已开始公示。",
    "object": "已登记异议，请区级管理员处理。",
    "resolve_objection": "已处理异议。",
    "approve": "已核准，金额已确定。",
    "pay": "已登记发放。",
    "return_claim": "已退回补充材料，申请人将收到通知。",
    "reject": "已不予通过，原因已告知申请人。",
}
# The note box's key in each step's values (the services name it by what it is).
NOTE_KEYS = {
    "object": "text",
    "return_claim": "reason",
    "reject": "reason",
    "resolve_objection": "resolution",
}


def _accepted_by(claim):
    """Return who accepted the claim (the first review is someone else's)."""
    return next((e.actor_id for e in reversed(claim.events) if e.to_status == S.accepted), None)


def _may(actor: Account, step: Step, claim) -> bool:
    """Tell whether to offer a step: the stage allows it and the role acts there (claim_review decides)."""
    if claim.status not in step.stages:
        return False
    if step.name == "object":
        return actor.role in claim_review.OBJECTION_ROLES
    if step.name == "first_review" and _accepted_by(claim) == actor.id:
        return False
    return actor.role in claim_review.STAGE_ROLES.get(S(claim.status), ())


def offered_steps(actor: Account, claim) -> list[Step]:
    """Return the steps the claim page offers this viewer at the claim's stage."""
    return [step for step in STEPS if _may(actor, step, claim)]


def _page_url(claim_id: int) -> str:
    return url_for("console.claim_page", claim_id=claim_id)


def _queue_url(**args) -> str:
    return url_for("console.claim_queue", **args)


# ---- the pages ------------------------------------------------------------------------------------


def _filters() -> dict:
    """Return the queue's filters from the query string (422 on a bad one)."""
    status = request.args.get("status") or S.submitted.value
    if status not in {s.value for s in QUEUE_STAGES}:
        raise ValidationFailed("status", "Not a stage.", code="invalid_choice")
    filters = {"status": status, "page": request.args.get("page", 1, type=int) or 1, "per_page": 20}
    overdue = request.args.get("overdue")
    if overdue in ("1", "0"):
        filters["overdue"] = overdue == "1"
    if request.args.get("policy_id", type=int):
        filters["policy_id"] = request.args.get("policy_id", type=int)
    return filters


@bp.get("/claims")
@console_login_required(*claims.READ_ROLES)
def claim_queue():
    """Show the claim queues: the counts of each stage and one stage's claims, overdue flagged."""
    actor = current_staff()
    try:
        filters = _filters()
        result = claims.queue(actor, filters)
        counts = _counts(actor)
    except APIError as error:
        return refused(error)
    today = local_day()
    rows = [
        {
            "claim": claim,
            "overdue": claims.is_overdue(claim, today),
            "name": _claimant(claim),
        }
        for claim in result.items
    ]
    return render_template(
        "console/claims.html",
        rows=rows,
        result=result,
        filters=filters,
        counts=counts,
        stages=QUEUE_STAGES,
        status_text=STATUS_TEXT,
        channel_text=CHANNEL_TEXT,
        may_roster=actor.role in ROSTER_ROLES,
        page_url=lambda n: _queue_url(**{**request.args.to_dict(), "page": n}),
    )


def _counts(actor: Account) -> dict:
    """Return, per stage, how many claims wait in the viewer's place and how many of them are overdue."""
    counts = {}
    for stage in QUEUE_STAGES:
        total = claims.queue(actor, {"status": stage.value, "page": 1, "per_page": 1}).total
        late = 0
        if total and stage not in (S.paid, S.rejected):
            late = claims.queue(
                actor, {"status": stage.value, "overdue": True, "page": 1, "per_page": 1}
            ).total
        counts[stage.value] = (total, late)
    return counts


def _fact_label(name: str) -> str:
    """Return a fact's Chinese label (its name when the catalogue does not know it)."""
    fact = facts.FACTS.get(name)
    return fact.label if fact else name


def fact_text(name: str, value) -> str:
    """Say a fact's value in Chinese: 是/否, key groups and statuses by name, numbers with their unit."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(rules.VALUE_LABELS.get(item, str(item)) for item in value)
    if isinstance(value, dict):
        return "、".join(f"{rules.VALUE_LABELS.get(key, key)} {count}" for key, count in value.items())
    if isinstance(value, str):
        return rules.VALUE_LABELS.get(value, value)
    fact = facts.FACTS.get(name)
    return f"{value}{fact.unit or '' if fact else ''}"


def _claimant(claim) -> str:
    """Return who claims: the person's name or the employer's."""
    if claim.resident is not None:
        return claim.resident.name or "（未填姓名）"
    if claim.employer is not None:
        return claim.employer.name
    return "—"


@bp.get("/claims/<int:claim_id>")
@console_login_required(*claims.READ_ROLES)
def claim_page(claim_id: int):
    """Show one claim: why it qualified (the trace), facts, files, steps, objections, the viewer's step."""
    actor = current_staff()
    try:
        claim = claims.read(actor, claim_id, client_ip())
    except APIError as error:
        return refused(error)
    return render_template(
        "console/claim.html",
        claim=claim,
        name=_claimant(claim),
        status_text=STATUS_TEXT,
        channel_text=CHANNEL_TEXT,
        overdue=claims.is_overdue(claim),
        steps=offered_steps(actor, claim),
        may_resolve=claim.status == S.in_notice and actor.role in claim_review.STAGE_ROLES[S.in_notice],
        fact_rows=[
            (name, _fact_label(name), fact_text(name, value)) for name, value in (claim.facts or {}).items()
        ],
        role_text={role.value: role.label for role in Role},
        declared=set(claim_intake.declared_facts(claim)),
        may_download=actor.role != Role.supervisor,
        may_open_policy=actor.role in catalogue.MANAGER_ROLES,
        value_labels=rules.VALUE_LABELS,
    )


@bp.get("/claims/<int:claim_id>/files/<int:attachment_id>")
@console_login_required(*claims.READ_ROLES)
def claim_file(claim_id: int, attachment_id: int):
    """Download one of a claim's files (audited)."""
    try:
        stored = claims.attachment_file(current_staff(), claim_id, attachment_id, client_ip())
    except APIError as error:
        return refused(error)
    return send_stored(stored)


def _step_values(step: str) -> dict:
    """Return a step's values from the form, as claim_review takes them (422 when one is missing)."""
    form = request.form
    note = (form.get("note") or "").strip()[:200]
    values = {NOTE_KEYS.get(step, "note"): note or None}
    spec = STEP_BY_NAME.get(step)
    required = spec.note_required if spec else True
    if required and len(note) < 2:
        raise ValidationFailed("note", "Say why (at least 2 characters).", code="reason_missing")
    for name, _label, needed in spec.fields if spec else ():
        value = (form.get(name) or "").strip()[:64]
        if needed and not value:
            raise ValidationFailed(name, "Give the payment reference.", code="payment_reference_required")
        values[name] = value or None
    return values


def _resolve(actor: Account, claim_id: int):
    """Resolve an objection: dismissed (the notice goes on) or upheld (the claim is rejected)."""
    values = _step_values("resolve_objection")
    values["decision"] = request.form.get("decision", "")
    if values["decision"] not in ("dismissed", "upheld"):
        raise ValidationFailed("decision", "Choose dismissed or upheld.", code="invalid_choice")
    objection_id = request.form.get("objection_id", type=int)
    if objection_id is None:
        raise ValidationFailed("objection_id", "Name the objection.", code="invalid_input")
    return claim_review.resolve_objection(actor, claim_id, objection_id, values, client_ip())


ACTIONS = {
    "accept": claim_review.accept,
    "first_review": claim_review.first_review,
    "second_review": claim_review.second_review,
    "publicise": claim_review.publicise,
    "object": claim_review.object_to,
    "approve": claim_review.approve,
    "pay": claim_review.pay,
    "return_claim": claim_review.return_claim,
    "reject": claim_review.reject,
}


def take_step(step: str, claim_id: int):
    """Take one review step on a claim: outside the viewer's place a 404 before the form is read."""
    actor = current_staff()
    try:
        claims.get_claim(actor, claim_id)
        if step == "resolve_objection":
            _resolve(actor, claim_id)
        else:
            ACTIONS[step](actor, claim_id, _step_values(step), client_ip())
    except APIError as error:
        return action_refused(error, _page_url(claim_id))
    return done(DONE_TEXT[step], _page_url(claim_id))


def _register_step(step: str) -> None:
    """Register POST /console/claims/<id>/<step> as the endpoint console.claim_<step>."""

    def view(claim_id: int):
        return take_step(step, claim_id)

    view.__name__ = f"claim_{step}"
    view.__doc__ = f"Take the step {step} on a claim (claim_review.py decides role, place and stage)."
    bp.post(
        f"/claims/<int:claim_id>/{step.removesuffix('_claim').replace('_', '-')}", endpoint=f"claim_{step}"
    )(console_login_required(*claims.READ_ROLES)(view))


for _step in (*ACTIONS, "resolve_objection"):
    _register_step(_step)


@bp.post("/claims/roster")
@console_login_required(*ROSTER_ROLES)
def claim_roster():
    """Download the payment roster of the district's approved claims (Excel; audited)."""
    actor = current_staff()
    filters = {}
    if request.form.get("policy_id", type=int):
        filters["policy_id"] = request.form.get("policy_id", type=int)
    try:
        rows = roster.rows(actor, filters, client_ip())
        result = export_table(
            actor,
            "待遇发放花名册",
            {"columns": roster.COLUMNS, "rows": rows},
            "xlsx",
            "已核准、待发放的申领",
            client_ip(),
        )
    except APIError as error:
        return action_refused(error, _queue_url(status=S.approved.value))
    return send_stored(result.stored())
