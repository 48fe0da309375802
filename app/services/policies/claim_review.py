"""A claim's stages: accept, first review, second review, public notice and objections, approve, pay.

submitted → accepted (受理) → first_reviewed (初审) → second_reviewed (复核) → in_notice (公示) →
approved (核准: the amount frozen) → paid (发放); returned (退回补充材料, the claimant resubmits) or
rejected at any stage before approval, each with a reason; withdrawn by the claimant. Each step
is checked for role and place (404 outside it), refused with 409 wrong_stage (and the current
status) at the wrong stage, answers the state it reached when repeated by the same step,
records a ClaimEvent with the note, is audited, and the person is told (record_update push).
Who acts at each stage, and the deadlines, are in docs/POLICIES.md (section C).
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import APIError, Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Account, Claim, ClaimObjection, ClaimStatus, Role, utcnow
from app.queues import enqueue_after_commit
from app.services.people.consents import require_consent
from app.services.people.province_outbox import note_for_province
from app.services.policies import benefits
from app.services.policies.claims import (
    READ_ROLES,
    add_event,
    audit_step,
    get_claim,
    is_claimant,
    stage_due,
)

S = ClaimStatus
LOCAL = frozenset({Role.station_staff, Role.township_admin})
DISTRICT = frozenset({Role.district_admin})
# Who acts on a claim at each stage (and so may also return or reject it there).
STAGE_ROLES = {
    S.submitted: LOCAL,  # 受理: the station or the township
    S.accepted: LOCAL,  # 初审: the township or the station, not whoever accepted it
    S.first_reviewed: DISTRICT,  # 复核
    S.second_reviewed: DISTRICT,  # starts the public notice
    S.in_notice: DISTRICT,  # resolves objections, approves after the notice
    S.approved: DISTRICT,  # pays
}
UNDECIDED = (S.submitted, S.accepted, S.first_reviewed, S.second_reviewed, S.in_notice)
# Who records an objection heard during the notice: any staff of the place who handles people.
OBJECTION_ROLES = READ_ROLES - {Role.supervisor}
# The mini-program page a claim's push opens.
PAGE = "pages/claims/index"
# What the person reads of each outcome (≤ 20 characters each).
RESULTS = {
    "accepted": "已受理",
    "returned": "请补充材料",
    "rejected": "未通过",
    "approved": "已核准",
    "paid": "已发放",
}


def wrong_stage(claim: Claim, doing: str) -> APIError:
    """Return the 409 of a step at the wrong stage, naming the current status."""
    error = Conflict("wrong_stage", f"A claim cannot be {doing} while {claim.status}.")
    error.fields = {"status": [claim.status]}
    return error


def _for_step(actor: Account, claim_id: int, stage: S) -> Claim:
    """Return the claim locked for a step, refusing (403) a role that does not act at `stage`."""
    if actor.role not in STAGE_ROLES[stage]:
        raise Forbidden("role_forbidden", f"Your role does not act on claims that are {stage.value}.")
    return get_claim(actor, claim_id, for_update=True)


def _move(claim: Claim, actor: Account, to: S, note: str | None) -> str:
    """Move a claim to a status with its deadline and event; return the status it came from."""
    before = claim.status
    claim.status = to.value
    claim.stage_due_on = stage_due(to, local_day(), claim.notice_until)
    add_event(claim, actor, before, note)
    return before


# The outcomes a claimant is told by SMS first, whatever WeChat allows.
SMS_FIRST_OUTCOMES = frozenset({S.approved.value})


def _tell(claim: Claim, outcome: str, note: str | None = None) -> None:
    """Push an outcome to the claim's person after the commit (once per claim and outcome).

    An employer's claim is seen in its list; record pushes go to residents only.
    """
    if claim.resident_id is None:
        return
    count = len([e for e in claim.events if e.to_status == outcome])
    key = f"claim:{claim.id}:{outcome}:{count}"  # a second return is a second push
    subject = (claim.version.title if claim.version else "补贴申领")[:20]
    note = (note or "")[:20]
    # Money decided (approved, paid) goes by SMS first: the person must not miss it (docs/PUSH.md).
    sms_first = outcome in SMS_FIRST_OUTCOMES
    enqueue_after_commit(
        "push.notify_record", claim.resident_id, subject, key, RESULTS[outcome], note, PAGE, sms_first
    )


def _step(actor, claim_id, values, ip, stage: S, to: S, action: str, outcome: str | None = None) -> Claim:
    """Move a claim one stage on: role, place, stage checked; repeated, it answers where it is."""
    claim = _for_step(actor, claim_id, stage)
    if claim.status == to and claim.events and claim.events[-1].actor_id == actor.id:
        return claim  # the same step again (a retry)
    if claim.status != stage:
        raise wrong_stage(claim, action)
    _move(claim, actor, to, values.get("note"))
    if outcome:
        _tell(claim, outcome, values.get("note"))
    audit_step(f"claim.{action}", actor, claim, ip, note=values.get("note"))
    return claim


def accept(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Accept (受理) a submitted claim: station staff or a township admin in place."""
    return _step(actor, claim_id, values, ip, S.submitted, S.accepted, "accept", "accepted")


def first_review(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Pass the first review (初审): station staff or a township admin in place, not who accepted it."""
    claim = _for_step(actor, claim_id, S.accepted)
    if claim.status == S.accepted:
        accepted_by = next((e.actor_id for e in reversed(claim.events) if e.to_status == S.accepted), None)
        if accepted_by == actor.id:
            raise Forbidden(
                "same_reviewer", "The first review is made by someone other than who accepted it."
            )
    return _step(actor, claim_id, values, ip, S.accepted, S.first_reviewed, "first_review")


def second_review(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Pass the second review (复核): the district admin."""
    return _step(actor, claim_id, values, ip, S.first_reviewed, S.second_reviewed, "second_review")


def publicise(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Start the public notice (公示): from today for the version's notice_days (district admin)."""
    claim = _for_step(actor, claim_id, S.second_reviewed)
    if claim.status == S.in_notice:
        return claim
    if claim.status != S.second_reviewed:
        raise wrong_stage(claim, "publicised")
    today = local_day()
    claim.notice_from = today
    # The notice counts today: notice_days 7 started on the 1st ends on the 7th (its last day).
    claim.notice_until = today + timedelta(days=max(claim.version.notice_days, 1) - 1)
    _move(claim, actor, S.in_notice, values.get("note"))
    audit_step("claim.publicise", actor, claim, ip, notice_until=claim.notice_until.isoformat())
    return claim


def object_to(actor: Account, claim_id: int, values: dict, ip: str | None) -> ClaimObjection:
    """Record an objection (异议) heard during the notice: any staff in place."""
    if actor.role not in OBJECTION_ROLES:
        raise Forbidden("role_forbidden", "Your role does not record objections.")
    claim = get_claim(actor, claim_id, for_update=True)
    if claim.status != S.in_notice:
        raise wrong_stage(claim, "objected to")
    objection = ClaimObjection(
        text=values["text"], raised_by=values.get("raised_by"), recorded_by_id=actor.id
    )
    claim.objections.append(objection)
    db.session.flush()
    audit_step("claim.objection", actor, claim, ip, objection_id=objection.id)
    return objection


def resolve_objection(
    actor: Account, claim_id: int, objection_id: int, values: dict, ip: str | None
) -> Claim:
    """Resolve an objection (district admin): upheld rejects the claim, dismissed lets the notice go on."""
    claim = _for_step(actor, claim_id, S.in_notice)
    objection = next((o for o in claim.objections if o.id == objection_id), None)
    if objection is None:
        raise NotFound("objection_not_found", f"No objection {objection_id} on this claim.")
    if objection.status != "open":
        if objection.status == values["decision"]:
            return claim
        raise Conflict("objection_resolved", f"This objection was {objection.status} already.")
    if claim.status != S.in_notice:
        raise wrong_stage(claim, "decided on an objection")
    objection.status = values["decision"]
    objection.resolution = values["resolution"]
    objection.resolved_by_id, objection.resolved_at = actor.id, utcnow()
    if objection.status == "upheld":
        _close(claim, actor, S.rejected, f"异议成立: {values['resolution']}")
        _tell(claim, "rejected", values["resolution"])
    audit_step(
        "claim.resolve_objection", actor, claim, ip, objection_id=objection.id, decision=objection.status
    )
    return claim


def approve(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Approve (核准) after a notice that ended with no open objection: the amount is frozen."""
    claim = _for_step(actor, claim_id, S.in_notice)
    if claim.status == S.approved:
        return claim
    if claim.status != S.in_notice:
        raise wrong_stage(claim, "approved")
    if local_day() <= claim.notice_until:
        raise Conflict("notice_running", f"The public notice runs until {claim.notice_until.isoformat()}.")
    if any(o.status == "open" for o in claim.objections):
        raise Conflict("objection_open", "Decide on the open objections first.")
    # Frozen now: the amount of the version claimed, over the facts as claimed; a later version
    # of the policy (or a change of the person's facts) no longer moves it.
    amount = benefits.amount_fen(claim.version.benefit, claim.facts)
    claim.approved_fen = amount if amount is not None else claim.estimated_fen
    claim.decided_at = utcnow()
    _move(claim, actor, S.approved, values.get("note"))
    _tell(claim, "approved", f"{claim.approved_fen / 100:.2f}元" if claim.approved_fen is not None else "")
    audit_step("claim.approve", actor, claim, ip, approved_fen=claim.approved_fen)
    return claim


def pay(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Record the payment (发放) of an approved claim with its reference (district admin)."""
    claim = _for_step(actor, claim_id, S.approved)
    if claim.status == S.paid:
        return claim
    if claim.status != S.approved:
        raise wrong_stage(claim, "paid")
    claim.paid_at, claim.payment_reference = utcnow(), values["payment_reference"]
    _move(claim, actor, S.paid, values.get("note"))
    _tell(claim, "paid", values["payment_reference"])
    if claim.resident_id is not None:
        note_for_province("policy_enjoyment", "person", claim.resident_id, claim, "create")
    else:  # an employer's claim (a subsidy for hiring): the employer's record
        note_for_province("policy_enjoyment", "employer", claim.employer_id, claim, "create")
    audit_step("claim.pay", actor, claim, ip, payment_reference=values["payment_reference"])
    return claim


def _close(claim: Claim, actor: Account, to: S, reason: str) -> None:
    """Close a claim (rejected, withdrawn): it no longer blocks a new claim of the period."""
    claim.reason = reason[:255]
    claim.open_key = None
    claim.decided_at = utcnow() if to == S.rejected else claim.decided_at
    _move(claim, actor, to, reason)
    claim.stage_due_on = None


def _staff_decides(actor: Account, claim_id: int, done: S, doing: str) -> Claim | None:
    """Return the claim for a return or rejection by the role acting at its stage (None: done before)."""
    claim = get_claim(actor, claim_id, for_update=True)
    if claim.status == done:
        return None
    if claim.status not in UNDECIDED:
        raise wrong_stage(claim, doing)
    if actor.role not in STAGE_ROLES[S(claim.status)]:
        raise Forbidden("role_forbidden", f"Your role does not act on claims that are {claim.status}.")
    return claim


def return_claim(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Return a claim for more material (退回补充材料) with the reason: the claimant resubmits."""
    claim = _staff_decides(actor, claim_id, S.returned, "returned")
    if claim is None:
        return get_claim(actor, claim_id)
    claim.reason = values["reason"][:255]
    claim.notice_from = claim.notice_until = None
    _move(claim, actor, S.returned, values["reason"])
    _tell(claim, "returned", values["reason"])
    audit_step("claim.return", actor, claim, ip, reason=values["reason"])
    return claim


def reject(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Reject a claim before approval, with the reason the person reads."""
    claim = _staff_decides(actor, claim_id, S.rejected, "rejected")
    if claim is None:
        return get_claim(actor, claim_id)
    _close(claim, actor, S.rejected, values["reason"])
    _tell(claim, "rejected", values["reason"])
    audit_step("claim.reject", actor, claim, ip, reason=values["reason"])
    return claim


def _own(actor: Account, claim_id: int) -> Claim:
    """Return the claimant's own claim, locked (staff who entered it at the counter act for the person)."""
    claim = get_claim(actor, claim_id, for_update=True)
    if not is_claimant(actor) and claim.author_id != actor.id:
        raise Forbidden("not_yours", "Only the claimant, or whoever entered the claim, does this.")
    if actor.role == Role.resident:
        require_consent(actor)
    return claim


def resubmit(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Send a returned claim back to review (after adding the files asked for)."""
    claim = _own(actor, claim_id)
    if claim.status == S.submitted:
        return claim
    if claim.status != S.returned:
        raise wrong_stage(claim, "resubmitted")
    claim.reason = None
    claim.submitted_at = utcnow()
    _move(claim, actor, S.submitted, values.get("note"))
    audit_step("claim.resubmit", actor, claim, ip)
    return claim


def withdraw(actor: Account, claim_id: int, values: dict, ip: str | None) -> Claim:
    """Withdraw a claim before approval: it no longer holds the period."""
    claim = _own(actor, claim_id)
    if claim.status == S.withdrawn:
        return claim
    if claim.status not in (*UNDECIDED, S.returned):
        raise wrong_stage(claim, "withdrawn")
    _close(claim, actor, S.withdrawn, values.get("note") or "本人撤回")
    audit_step("claim.withdraw", actor, claim, ip)
    return claim


def run_daily(today=None) -> dict:
    """Count what the queues flag today: overdue claims by stage, notices ended (ready or held).

    Nothing moves by itself: approval is a district admin's decision after the notice (no
    auto-approval), and an overdue stage is shown in the queues (`overdue`), not escalated.
    """
    today = today or local_day()
    overdue = dict(
        db.session.execute(
            sa.select(Claim.status, sa.func.count())
            .where(Claim.stage_due_on < today, Claim.status.in_([*UNDECIDED, S.approved, S.returned]))
            .group_by(Claim.status)
        ).all()
    )
    open_objection = sa.exists().where(ClaimObjection.claim_id == Claim.id, ClaimObjection.status == "open")
    ended = sa.select(sa.func.count()).where(Claim.status == S.in_notice, Claim.notice_until < today)
    return {
        "overdue": {str(status): count for status, count in sorted(overdue.items())},
        "notices_ready": db.session.scalar(ended.where(~open_objection)),
        "notices_held": db.session.scalar(ended.where(open_objection)),
    }
