"""The push of "policies find people": a `policy_notice` for each new match, once per person and version.

Only residents with a WeChat account who accepted the template get one, under their quiet hours
and daily cap; a person's notices are scored by amount, so the best value goes first. A match is
marked notified when its push row is written (the row's unique key makes a repeat add nothing);
one whose person cannot receive it yet is pushed by a later run once they can. Employers get no
subscribe messages: their matches are not pushed.
"""

from datetime import date

import sqlalchemy as sa

from app.common.upsert import insert_ignoring_duplicates
from app.extensions import db
from app.models import Push, Resident, utcnow
from app.models.policies import PolicyVersion
from app.models.policy_matches import MatchStatus, PolicyMatch
from app.services.push.fan_out import enqueue_sends, push_row
from app.services.push.subscriptions import receivers as receivers_of
from app.services.push.templates import template

PUSH_KIND = "policy_notice"
# Push rows per multi-row INSERT (SQLite's bound-parameter limit).
INSERT_ROWS = 400


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

    Only residents with a WeChat account who accepted the template get one; a person's notices
    are scored by amount, so under the daily cap the best-paid go first. A match is marked
    notified when its push row is written (the row's unique key makes a repeat add nothing).
    """
    waiting = sa.and_(
        PolicyMatch.resident_id.in_(resident_ids),
        PolicyMatch.status == MatchStatus.qualified.value,
        PolicyMatch.notified_at.is_(None),
        Resident.account_id.is_not(None),
    )
    # Who could be told, by id only: most waiting matches are of people without the template's
    # quota, and loading them whole (trace and facts) every daily run would cost more than the run.
    accounts = db.session.scalars(
        sa.select(Resident.account_id)
        .distinct()
        .join(PolicyMatch, PolicyMatch.resident_id == Resident.id)
        .where(waiting)
    ).all()
    receivers = receivers_of(sorted(accounts), PUSH_KIND) if accounts else {}
    if not receivers:
        return 0
    rows = db.session.execute(
        sa.select(PolicyMatch, Resident.account_id)
        .join(Resident, Resident.id == PolicyMatch.resident_id)
        .where(waiting, Resident.account_id.in_(sorted(receivers)))
    ).all()
    settings = template(PUSH_KIND)
    titles = {}
    pushes, notified = [], []
    for match, account_id in rows:
        if account_id not in receivers:
            continue
        if match.policy_version_id not in titles:
            titles[match.policy_version_id] = db.session.get(PolicyVersion, match.policy_version_id).title
        pushes.append(
            push_row(
                account_id,
                PUSH_KIND,
                "policy_version",
                match.policy_version_id,
                receivers[account_id],
                settings["builder"](titles[match.policy_version_id], _summary(match), match.matched_at),
                page=f"{settings['page']}?match={match.id}",  # 我的政策, this match first
                score=float(match.amount_fen or 0),
                place=match,
            )
        )
        notified.append(match.id)
    if not pushes:
        return 0
    for start in range(0, len(pushes), INSERT_ROWS):
        insert_ignoring_duplicates(db.session, Push, pushes[start : start + INSERT_ROWS])
    db.session.execute(
        sa.update(PolicyMatch)
        .where(PolicyMatch.id.in_(notified))
        .values(notified_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    enqueue_sends(
        sa.and_(
            Push.kind == PUSH_KIND,
            Push.account_id.in_(sorted({row["account_id"] for row in pushes})),
            Push.object_type == "policy_version",
        )
    )
    return len(pushes)
