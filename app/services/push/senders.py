"""The senders of check-in follow-ups and visit notices: each once per person and object.

Stations and grid enqueue these by name after the commit that calls for them
("push.notify_check_in_follow_up", "push.notify_planned_visit", "push.notify_visit_needs");
each looks again at what it is about (a follow-up closed, a visit cancelled meanwhile sends
nothing) and hands the messages to make_pushes, whose unique key (person, kind, object) makes a
repeated task send nothing more.
"""

import sqlalchemy as sa

from app.extensions import db
from app.models import CheckIn, PlannedVisit, PlannedVisitStatus, Resident, Visit, utcnow
from app.services.push.makers import PushItem, make_pushes
from app.services.push.templates import template

# The page each message opens: 我的 (the mini-program's own page; it lists the person's services).
PAGE = "pages/me/index"
FOLLOW_UP_NOTE = "服务站将与您联系跟进"
# What the person reads of a follow-up, by the visit's coded outcome: never the staff's own note
# (`outcome_note` is written for colleagues and is not shown to the person anywhere else).
FOLLOW_UP_MATTERS = {
    "recommended_jobs": "推荐岗位的跟进",
    "registered": "登记业务的跟进",
    "claim_started": "政策申领的跟进",
    "referred_to_training": "培训转介的跟进",
}
PLANNED_VISIT_NOTE = "网格员将上门走访"
NEEDS_RECORDED = "您登记的需求已记录，我们会跟进"


def notify_check_in_follow_up(check_in_id: int) -> int:
    """Tell the person of a served check-in that a follow-up is open (once per check-in)."""
    row = db.session.get(CheckIn, check_in_id)
    if row is None or row.resident_id is None or not row.follow_up or row.follow_up_closed_at is not None:
        return 0
    place = row.event.title if row.event is not None else row.station.name if row.station is not None else ""
    matter = FOLLOW_UP_MATTERS.get(row.outcome or "", FOLLOW_UP_NOTE)
    data = template("checkin_followup")["builder"](place, matter, row.served_at or utcnow())
    return make_pushes("checkin_followup", "check_in", [PushItem(row.resident_id, str(row.id), data, PAGE)])


def notify_planned_visit(planned_visit_id: int) -> int:
    """Tell each member of the household that a grid worker plans to visit (once per person and visit)."""
    planned = db.session.get(PlannedVisit, planned_visit_id)
    if planned is None or planned.status != PlannedVisitStatus.planned:
        return 0
    members = db.session.scalars(sa.select(Resident.id).where(Resident.household_id == planned.household_id))
    data = template("visit_notice")["builder"](planned.note or PLANNED_VISIT_NOTE, planned.planned_at)
    items = [PushItem(resident_id, str(planned.id), data, PAGE) for resident_id in members]
    return make_pushes("visit_notice", "planned_visit", items)


def notify_visit_needs(visit_id: int) -> int:
    """Tell each person whose needs a visit recorded that they were noted (once per person and visit)."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        return 0
    people = sorted({update["resident_id"] for update in visit.member_updates or [] if update.get("needs")})
    data = template("visit_notice")["builder"](NEEDS_RECORDED, visit.visited_at)
    items = [PushItem(resident_id, str(visit.id), data, PAGE) for resident_id in people]
    return make_pushes("visit_notice", "visit", items)
