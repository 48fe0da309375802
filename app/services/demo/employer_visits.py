"""Demo employers met in the field: a business staff registered (unclaimed), visits and calls, drafts."""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import NotFound
from app.extensions import db
from app.models import Account, Employer, EmployerVisit
from app.services.demo.employers import DEMO_EMPLOYERS, demo_credit_code
from app.services.jobs import employer_claims, employer_visits, hiring_needs

# The station staff member who meets employers in the demo (demo/people.py DEMO_STAFF).
DEMO_VISITOR = "demo-station-staff"
# The business staff registered in the field; its number continues demo_credit_code's series.
FIELD_EMPLOYER = {
    "client_id": "demo-field-employer-1",
    "name": "黄山演示程记茶庄",
    "credit_code": demo_credit_code(90),
    "community_code": "341002002001",
    "contact_name": "演示程老板",
    "contact_phone": "13900019090",
    "industry": "tea_processing",
    "size": "micro",
    "address": "屯溪区昱中演示路18号",
}


def _position(title, category, headcount, low, high, unit="month", days=30, skills=()):
    return {
        "title": title,
        "category": category,
        "headcount": headcount,
        "wage_min": low,
        "wage_max": high,
        "wage_unit": unit,
        "skills": list(skills),
        "deadline": local_day() + timedelta(days=days),
    }


def _reachable(visitor: Account) -> list[int]:
    """Return the ids of the demo employers (demo/employers.py) the visitor works on, in their order."""
    ids = []
    for number in range(1, len(DEMO_EMPLOYERS) + 1):
        try:
            ids.append(employer_visits.employer_by_credit_code(visitor, demo_credit_code(number)).id)
        except NotFound:
            continue
    return ids


def _visits(visitor: Account, field_employer_id: int) -> list[tuple[dict, bool]]:
    """Return the demo visits (by employer credit code or id) and whether to draft their needs."""
    today = local_day()
    reachable = _reachable(visitor)
    # A visit to the first, then a call to the second (the first again when it is alone in reach).
    first = reachable[0] if reachable else None
    second = reachable[1] if len(reachable) > 1 else first
    found = []
    if first is not None:
        found.append(
            (
                {
                    "client_id": "demo-employer-visit-1",
                    "employer_id": first,
                    "channel": "visit",
                    "visited_on": today - timedelta(days=6),
                    "met_name": "演示店长",
                    "met_title": "店长",
                    "needs": [
                        _position("面点师", "catering", 2, 4000, 5500, skills=["面点"]),
                        _position("洗碗工", "catering", 1, 130, 150, unit="day", days=14),
                    ],
                    "problems": ["recruitment", "turnover"],
                    "problem_notes": "旅游旺季后厨缺人，流失较多（演示数据）",
                    "subsidy_interest": ["social_insurance", "job_subsidy"],
                    "follow_up": "推送附近求职者，讲解社保补贴",
                    "follow_up_on": today + timedelta(days=7),
                },
                True,
            )
        )
    if second is not None:
        found.append(
            (
                {
                    "client_id": "demo-employer-visit-2",
                    "employer_id": second,
                    "channel": "phone",
                    "visited_on": today - timedelta(days=3),
                    "met_name": "演示联系人",
                    "problems": ["policy"],
                    "subsidy_interest": ["training"],
                    "follow_up": "寄送职业培训补贴申领材料",
                },
                False,
            )
        )
    found.append(
        (
            {
                "client_id": "demo-employer-visit-3",
                "employer_id": field_employer_id,
                "channel": "visit",
                "visited_on": today - timedelta(days=1),
                "met_name": "演示程老板",
                "met_title": "负责人",
                "needs": [_position("茶叶拣梗工", "tea_processing", 3, 3000, 3800, days=20, skills=["拣梗"])],
                "problems": ["recruitment", "skills"],
                "subsidy_interest": ["social_insurance"],
                "follow_up": "指导用微信认领单位并完善岗位",
            },
            False,
        )
    )
    return found


def demo_employer_visits() -> int:
    """Record the demo field employer, visits and calls, and one visit's drafts; return the visits added.

    The field employer's claim code is not kept anywhere: staff issue a fresh one to try a claim
    (POST /api/v1/employers/{id}/claim-code as demo-station-staff).
    """
    visitor = db.session.scalar(sa.select(Account).where(Account.username == DEMO_VISITOR))
    if visitor is None:
        return 0
    field = db.session.scalar(
        sa.select(Employer).where(Employer.credit_code == FIELD_EMPLOYER["credit_code"])
    )
    if field is None:
        # Through the real service, as staff register one.
        field, _, _, _ = employer_claims.register_in_field(visitor, dict(FIELD_EMPLOYER), None)
    added = 0
    for values, draft in _visits(visitor, field.id):
        existing = db.session.scalar(
            sa.select(EmployerVisit.id).where(
                EmployerVisit.staff_id == visitor.id, EmployerVisit.client_id == values["client_id"]
            )
        )
        if existing is not None:
            continue
        visit, _ = employer_visits.record_visit(visitor, values, None)
        added += 1
        if draft:
            hiring_needs.make_drafts(visitor, visit.id, None)
    return added
