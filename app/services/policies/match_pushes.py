"""The push of "policies find people": a `policy_notice` for each new match, once per person and version.

Residents with a WeChat account who accepted the template get one, and (the template's SMS
fallback) those with a phone in the ledger, account or not, under their quiet hours and daily
cap; a person's notices are scored by amount, so the best value goes first. A match is marked
notified when its push row is written (the row's unique key makes a repeat add nothing); one
whose person cannot receive it yet is pushed by a later run once they can. Employers get no
subscribe messages: their matches are not pushed.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from app.extensions import db
from app.models import Push, Resident, utcnow
from app.models.policies import PolicyVersion
from app.models.policy_matches import MatchStatus, PolicyMatch
from app.services.push import sms_send
from app.services.push.makers import PushItem, make_pushes
from app.services.push.subscriptions import receivers as receivers_of
from app.services.push.templates import template

PUSH_KIND = "policy_notice"


def _summary(match: PolicyMatch) -> str:
    """The notice's second line: the estimated amount and the deadline, short (a `thing` field)."""
    parts = []
    if match.amount_fen:
        parts.append(f"预计{match.amount_fen / 100:,.0f}元")
    if match.claim_deadline:
        parts.append(f"{match.claim_deadline.month}月{match.claim_deadline.day}日前申领")
    return "，".join(parts) or "您可能符合申领条件"


def push_new_matches(resident_ids: list[int], today: date | None = None) -> int:
    """Push a policy_notice for each qualified match of these residents not notified yet; return how many.

    Only residents who can be told get one (a WeChat account with the template accepted, or a
    phone for the SMS fallback); a person's notices are scored by amount, so under the daily cap
    the best-paid go first. A match is marked notified once its push row exists.
    """
    waiting = sa.and_(
        PolicyMatch.resident_id.in_(resident_ids),
        PolicyMatch.status == MatchStatus.qualified.value,
        PolicyMatch.notified_at.is_(None),
    )
    # Who could be told, by id only: most waiting matches are of people who cannot be, and loading
    # them whole (trace and facts) every daily run would cost more than the run.
    people = db.session.execute(
        sa.select(Resident.id, Resident.account_id, Resident.phone_hmac)
        .distinct()
        .join(PolicyMatch, PolicyMatch.resident_id == Resident.id)
        .where(waiting)
    ).all()
    accounts = sorted({p.account_id for p in people if p.account_id is not None})
    receivers = receivers_of(accounts, PUSH_KIND) if accounts else {}
    by_sms = sms_send.mode(PUSH_KIND) != "off"
    reachable = sorted(p.id for p in people if p.account_id in receivers or (by_sms and p.phone_hmac))
    if not reachable:
        return 0
    matches = db.session.scalars(
        sa.select(PolicyMatch)
        .options(
            load_only(
                PolicyMatch.id,
                PolicyMatch.resident_id,
                PolicyMatch.policy_version_id,
                PolicyMatch.amount_fen,
                PolicyMatch.claim_deadline,
                PolicyMatch.matched_at,
            )
        )
        .where(waiting, PolicyMatch.resident_id.in_(reachable))
    ).all()
    settings = template(PUSH_KIND)
    titles = {}
    items = []
    for match in matches:
        if match.policy_version_id not in titles:
            titles[match.policy_version_id] = db.session.get(PolicyVersion, match.policy_version_id).title
        data = settings["builder"](titles[match.policy_version_id], _summary(match), match.matched_at)
        page = f"{settings['page']}?match={match.id}"  # 我的政策, this match first
        score = float(match.amount_fen or 0)
        items.append(PushItem(match.resident_id, str(match.policy_version_id), data, page, score))
    written = make_pushes(PUSH_KIND, "policy_version", items)
    _mark_notified(matches)
    return written


def _mark_notified(matches: list[PolicyMatch]) -> None:
    """Mark notified the matches whose push row exists (written now, or by an earlier run)."""
    if not matches:
        return
    pushed = set(
        db.session.execute(
            sa.select(Push.resident_id, Push.object_id).where(
                Push.kind == PUSH_KIND,
                Push.object_type == "policy_version",
                Push.resident_id.in_(sorted({m.resident_id for m in matches})),
            )
        ).all()
    )
    ids = [m.id for m in matches if (m.resident_id, str(m.policy_version_id)) in pushed]
    if ids:
        db.session.execute(
            sa.update(PolicyMatch)
            .where(PolicyMatch.id.in_(ids))
            .values(notified_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
