"""A published notice pushed to the residents of its audience in its place, once per person.

Run by the task `notices.push_notice`, enqueued when a notice with `push` is published (held until
its first day when that is later). Residents go to `make_pushes` in chunks: it keeps those who may
receive a `notice` (a WeChat account with quota for it, or the SMS channel where the template
allows it) and writes one row per person (its unique key makes a repeated run add nothing); the
send applies the daily cap and quiet hours. Employers and staff get no subscribe messages: a
notice to them is read in the mini-program or the console, never pushed.
"""

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Notice, NoticeAudience, Resident, ResidentKeyGroup, Resume, ScopeKind, utcnow
from app.services.notices.reading import PAGE
from app.services.notices.rules import SEEKING_STATUSES, S, issuer, place_id
from app.services.people.scoping import SCOPE_COLUMNS
from app.services.push.makers import PushItem, make_pushes
from app.services.push.templates import template

KIND = "notice"
# Residents handed to make_pushes at a time (each chunk is one commit).
CHUNK = 1000
PUSHED_AUDIENCES = (NoticeAudience.residents, NoticeAudience.seekers, NoticeAudience.key_group)


def audience_residents(notice: Notice):
    """Return a SELECT of the ids of the residents in the notice's place and audience."""
    column = getattr(Resident, SCOPE_COLUMNS[ScopeKind(notice.place_kind)])
    statement = sa.select(Resident.id).where(column == place_id(notice))
    if notice.audience == NoticeAudience.seekers:
        open_resume = sa.exists().where(Resume.resident_id == Resident.id, Resume.open_to_work.is_(True))
        statement = statement.where(sa.or_(Resident.employment_status.in_(SEEKING_STATUSES), open_resume))
    elif notice.audience == NoticeAudience.key_group:
        today = local_day()
        statement = statement.where(
            sa.exists().where(
                ResidentKeyGroup.resident_id == Resident.id,
                ResidentKeyGroup.key_group == notice.audience_value,
                sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= today),
            )
        )
    return statement


def push_notice(notice_id: int) -> int:
    """Push a published notice to the residents of its audience; return the push rows written.

    Nothing for a notice not (or no longer) out, without `push`, or to employers or staff.
    """
    notice = db.session.get(Notice, notice_id)
    if notice is None or not notice.push or notice.status != S.published or notice.valid_until < local_day():
        return 0
    if notice.audience not in PUSHED_AUDIENCES:
        return 0
    data = template(KIND)["builder"](notice.title, issuer(notice), notice.published_at or utcnow())
    page = f"{PAGE}?id={notice.id}"
    statement = audience_residents(notice).order_by(Resident.id)
    written, after = 0, 0
    while True:
        ids = db.session.scalars(statement.where(Resident.id > after).limit(CHUNK)).all()
        if not ids:
            break
        items = [PushItem(resident_id, str(notice.id), data, page) for resident_id in ids]
        written += make_pushes(KIND, "notice", items)
        after = ids[-1]
    db.session.execute(sa.update(Notice).where(Notice.id == notice_id).values(pushed_at=utcnow()))
    db.session.commit()
    return written
