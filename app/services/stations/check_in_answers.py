"""What a person sees of their own check-ins: the answer with its next steps, one check-in, the list.

The next steps (完善信息, 绑定手机, 填写简历, 留意叫号, or come back when the station opens) are
built from one query's facts about the resident; a check-in just made passes the facts it read
(with its lock: check_ins._LOCK).
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.errors import APIError
from app.extensions import db
from app.models import Account, CheckIn, Resident, Resume, ResumeFile, Role, Station, utcnow
from app.services import statements
from app.services.results import Page, RowWith, paginate
from app.services.stations import opening_hours

# What the next steps ask of the resident behind an account (Resident.id is theirs: None, no resident).
FACT_COLUMNS = (
    Resident.id,
    Resident.name,
    Resident.id_number_hmac,
    Resident.community_id,
    Resident.phone_hmac,
    sa.or_(
        sa.exists().where(Resume.resident_id == Resident.id),
        # A résumé sent from a chat as a file counts, the form left empty.
        sa.exists().where(ResumeFile.resident_id == Resident.id),
    ).label("has_resume"),
)
_FACTS = sa.select(*FACT_COLUMNS).where(Resident.account_id == sa.bindparam("account_id"))


def next_step_facts(account_id: int) -> sa.Row | None:
    """Return the resident behind an account with what the next steps ask (None: no resident): one query."""
    return statements.run(_FACTS, {"account_id": account_id}).first()


def shown(role: str, row: CheckIn, repeated: bool, facts=False) -> RowWith:
    """Return a check-in as its person sees it: whether it was a repeat, and what to do next.

    `facts`: the resident's next-step facts when already read (None: no resident); read here otherwise.
    """
    if facts is False:
        facts = next_step_facts(row.account_id) if role == Role.resident else None
    return RowWith(row, repeated=repeated, next_steps=next_steps(role, facts, row))


def next_steps(role: str, facts, check_in: CheckIn) -> list[dict]:
    """Return what the person should do next, for the check-in result screen (Chinese text).

    `facts`: the resident's row of next_step_facts (None: the account has no resident record).
    """
    steps = []
    if role == Role.resident:
        if facts is None or not (facts.name and facts.id_number_hmac and facts.community_id):
            steps.append(
                {
                    "code": "complete_profile",
                    "message": "请完善个人信息（姓名、身份证号、所在社区），便于工作人员为您办理。",
                }
            )
        if facts is None or not facts.phone_hmac:
            steps.append({"code": "bind_phone", "message": "请绑定手机号，便于接收岗位推荐和办理进度。"})
        if check_in.purpose == "job_seeking" and (facts is None or not facts.has_resume):
            steps.append({"code": "write_resume", "message": "请填写简历，工作人员可据此为您推荐岗位。"})
    if check_in.queue_number is None:
        steps.append(come_back(check_in.station))
    elif check_in.served_at is None:
        steps.append(
            {"code": "wait_for_call", "message": f"请留意叫号：您是今天第 {check_in.queue_number} 号。"}
        )
    return steps


def come_back(station: Station) -> dict:
    """Return the step of an out-of-hours visit: closed now, when it opens, the visit noted."""
    opening = opening_hours.next_opening(station.opening_hours, utcnow())
    when = (
        f"下次开放：{opening_hours.local_text(opening)}，开放后再扫码即可取号。"
        if opening is not None
        else "近期暂无开放安排，请致电服务站或前往附近其他服务站。"
    )
    return {"code": "come_back", "message": f"服务站现在不在开放时间，您的来访已登记。{when}"}


def get_check_in(account: Account, check_in_id: int) -> RowWith:
    """Return one of the caller's own check-ins as shown (queue number, next steps), or 404."""
    row = db.session.scalar(
        sa.select(CheckIn).where(CheckIn.id == check_in_id, CheckIn.account_id == account.id)
    )
    if row is None:
        raise APIError(404, "check_in_not_found", f"No check-in {check_in_id} of yours.")
    return shown(account.role, row, repeated=True)


def list_mine(account: Account, page: int = 1, per_page: int = 20) -> Page:
    """Return one page of the caller's own check-ins, newest first, with the station or event."""
    return paginate(
        sa.select(CheckIn).where(CheckIn.account_id == account.id),
        page,
        per_page,
        order_by=(CheckIn.created_at.desc(), CheckIn.id.desc()),
        options=(selectinload(CheckIn.station), selectinload(CheckIn.event)),
    )
