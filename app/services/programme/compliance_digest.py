"""The weekly compliance digest: each district admin its district's open gaps, each city admin the city's.

It goes out as a system notice to the admins of the place (notices/system.py: no second review,
a figure the platform computed), one notice per place and week, and a ComplianceDigest row per
admin (unique per week and admin): a retried or repeated run sends nothing twice. Sent any day
of the week, it is that week's (its Monday's): the scheduled run on Monday sends, later runs of
the week find it sent.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, ComplianceDigest, ComplianceGap, ComplianceRule, District, Role, ScopeKind
from app.services.notices.system import publish_system_notice
from app.services.people.places import describe_place

# The rules in the admins' words, for the notice's text.
RULE_TEXT = {
    ComplianceRule.circle_station: "就业圈无服务站",
    ComplianceRule.circle_full_time_staff: "就业圈无专职工作人员",
    ComplianceRule.community_officer: "社区/村无就业专员（网格员）",
    ComplianceRule.circle_visit_days: "上月上门走访不足天数",
    ComplianceRule.quarter_coverage: "上季度未全覆盖走访",
}
RECIPIENTS = {
    Role.district_admin.value: ScopeKind.district.value,
    Role.city_admin.value: ScopeKind.city.value,
}


def week_of(day: date) -> date:
    """Return the Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def summary_of(kind: str, place_id: int) -> dict:
    """Return the open gaps of a district or city: the total, per rule and (for a city) per district."""
    column = ComplianceGap.district_id if kind == ScopeKind.district.value else ComplianceGap.city_id
    open_here = sa.and_(column == place_id, ComplianceGap.closed_at.is_(None))
    by_rule = dict(
        db.session.execute(
            sa.select(ComplianceGap.rule, sa.func.count()).where(open_here).group_by(ComplianceGap.rule)
        ).all()
    )
    by_district = {
        name: number
        for name, number in db.session.execute(
            sa.select(District.name, sa.func.count())
            .select_from(ComplianceGap)
            .join(District, District.id == ComplianceGap.district_id)
            .where(open_here)
            .group_by(District.name)
            .order_by(District.name)
        )
    }
    return {"gaps": sum(by_rule.values()), "by_rule": by_rule, "by_district": by_district}


def _text(place_name: str, week: date, summary: dict) -> tuple[str, str]:
    """Return the notice's title and body."""
    title = f"{place_name}就业圈达标周报（{week:%m月%d日}）"
    if not summary["gaps"]:
        return title, f"截至本周一，{place_name}没有未达标项。"
    lines = [f"截至本周一，{place_name}共有 {summary['gaps']} 项未达标："]
    lines += [
        f"· {RULE_TEXT.get(rule, rule)}：{number} 项" for rule, number in sorted(summary["by_rule"].items())
    ]
    if len(summary["by_district"]) > 1:
        lines.append(
            "分区县：" + "，".join(f"{name} {number} 项" for name, number in summary["by_district"].items())
        )
    lines.append("详情见管理后台“达标检查”页面（各项均注明起始时间）。")
    return title, "\n".join(lines)


def send_digests(today: date | None = None) -> dict:
    """Send this week's digest to every district and city admin not yet sent it; return the counts."""
    today = today or local_day()
    week = week_of(today)
    admins = db.session.scalars(
        sa.select(Account)
        .where(
            Account.role.in_(list(RECIPIENTS)),
            Account.is_active.is_(True),
            Account.scope_id.is_not(None),
            ~sa.exists().where(ComplianceDigest.week == week, ComplianceDigest.account_id == Account.id),
        )
        .order_by(Account.id)
    ).all()
    sent = 0
    places: dict[tuple[str, int], tuple] = {}
    for admin in admins:
        kind = RECIPIENTS[admin.role]
        if admin.scope_kind != kind:  # an admin placed elsewhere than its level answers for no digest
            continue
        key = (kind, admin.scope_id)
        if key not in places:
            place = describe_place(kind, admin.scope_id)
            summary = summary_of(kind, admin.scope_id)
            title, body = _text(place["name"], week, summary)
            # One notice per place and week, to the place's admins of that role (the first admin
            # to get it stands as its author; a retry finds it by its client id).
            notice = publish_system_notice(
                admin,
                place_kind=kind,
                place_code=place["code"],
                title=title,
                body=body,
                audience="staff",
                audience_value=admin.role,
                valid_until=week + timedelta(days=13),
                client_id=f"compliance-digest-{week.isoformat()}-{kind}-{admin.scope_id}",
            )
            places[key] = (notice, summary)
        notice, summary = places[key]
        db.session.add(
            ComplianceDigest(
                week=week, account_id=admin.id, gaps=summary["gaps"], summary=summary, notice_id=notice.id
            )
        )
        sent += 1
    db.session.commit()
    return {"week": week, "sent": sent}


def my_digests(actor: Account, limit: int = 12) -> list[dict]:
    """Return the digests sent to me, newest week first."""
    rows = db.session.scalars(
        sa.select(ComplianceDigest)
        .where(ComplianceDigest.account_id == actor.id)
        .order_by(ComplianceDigest.week.desc())
        .limit(limit)
    )
    return [
        {"week": r.week, "gaps": r.gaps, "summary": r.summary, "notice_id": r.notice_id, "sent_at": r.sent_at}
        for r in rows
    ]
