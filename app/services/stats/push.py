"""Push: messages sent, refused for want of quota, skipped, failed, per template; SMS sent and their cost.

The month's pushes in the place (a push is placed where its resident lives; one to an account
without a resident record has no place and shows only in no place), through the (day, status)
index: one query, grouped by day, template, status and skip reason; a second counts the SMS sent,
those the provider's receipt says were delivered, and what they cost (cost_fen, in yuan).
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Push, PushChannel, PushStatus, SmsReceipt
from app.services.stats import labels
from app.services.stats.base import chart, in_place, ratio, table, window
from app.services.stats.places import PlaceRef

FIGURES = {
    "total": "推送总数",
    "sent": "已发送",
    "refused": "无订阅额度未发",
    "skipped_other": "其他原因未发",
    "failed": "发送失败",
    "pending": "待发送",
    "sent_rate": "送达率",
    "sms_sent": "短信已发送",
    "sms_delivered": "短信已送达",
    "sms_cost_yuan": "短信费用（元）",
}
COUNTS = ("total", "sent", "refused", "skipped_other", "failed", "pending")


def push(actor: Account, place: PlaceRef, month: date) -> dict:
    """Return a place's pushes of a month: sent, refused (no quota), skipped, failed, per template and day."""
    span = window(month)
    base = (in_place(Push, place), Push.day.between(span.first, span.last))
    reason = sa.case(
        (Push.status == PushStatus.skipped, sa.func.coalesce(Push.last_error, "other")), else_=None
    )
    totals = _empty()
    per_template: dict[str, dict] = {}
    reasons: dict[str, int] = {}
    days = [span.first.replace(day=d).isoformat() for d in range(1, span.last.day + 1)]
    daily = {day: _empty() for day in days}
    keys = (Push.day, Push.kind, Push.status, reason)
    for day, kind, status, why, n in db.session.execute(
        sa.select(*keys, sa.func.count()).where(*base).group_by(*keys)
    ):
        figure = _figure(status, why)
        for target in (totals, per_template.setdefault(kind, _empty()), daily[day.isoformat()]):
            target["total"] += n
            target[figure] += n
        if status == PushStatus.skipped:
            key = why if why in labels.SKIP_REASONS else "other"
            reasons[key] = reasons.get(key, 0) + n
    figures = {**totals, "sent_rate": ratio(totals["sent"], totals["total"]), **_sms(base)}
    keys = [*labels.TEMPLATES, *sorted(set(per_template) - set(labels.TEMPLATES))]
    template_rows = [
        {
            "key": key,
            "name": labels.name_of(labels.TEMPLATES, key),
            **per_template.get(key, _empty()),
            "sent_rate": ratio(
                per_template.get(key, _empty())["sent"], per_template.get(key, _empty())["total"]
            ),
        }
        for key in keys
    ]
    reason_rows = [
        {"key": key, "name": name, "value": reasons.get(key, 0)}
        for key, name in labels.SKIP_REASONS.items()
        if key in reasons or key != "other"
    ]
    count_columns = [(name, FIGURES[name]) for name in COUNTS]
    return {
        "section": "push",
        "place": place.as_dict(),
        "month": span.label,
        "live": span.current,
        "figures": figures,
        "labels": FIGURES,
        "series": {
            "by_template": chart(
                [r["name"] for r in template_rows],
                [(name, FIGURES[name], [r[name] for r in template_rows]) for name in COUNTS[1:]],
            ),
            "daily": chart(
                days,
                [
                    (name, FIGURES[name], [daily[d][name] for d in days])
                    for name in ("sent", "refused", "failed")
                ],
            ),
        },
        "tables": {
            "by_template": table(
                [("name", "消息模板"), *count_columns, ("sent_rate", FIGURES["sent_rate"])], template_rows
            ),
            "skip_reasons": table([("name", "未发送原因"), ("value", "条数")], reason_rows),
            "daily": table([("day", "日期"), *count_columns], [{"day": d, **daily[d]} for d in days]),
        },
    }


def _sms(base: tuple) -> dict:
    """Return the SMS sent in the place and month, those delivered, and their cost in yuan."""
    sent, delivered, cost = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.case((Push.receipt == SmsReceipt.delivered.value, 1))),
            sa.func.coalesce(sa.func.sum(Push.cost_fen), 0),
        ).where(*base, Push.channel == PushChannel.sms.value, Push.status == PushStatus.sent.value)
    ).one()
    return {"sms_sent": sent, "sms_delivered": delivered, "sms_cost_yuan": round(int(cost) / 100, 2)}


def _empty() -> dict:
    return dict.fromkeys(COUNTS, 0)


def _figure(status: str, reason: str | None) -> str:
    """Return which figure a push of this status (and skip reason) counts in."""
    if status == PushStatus.sent:
        return "sent"
    if status == PushStatus.failed:
        return "failed"
    if status == PushStatus.skipped:
        return "refused" if reason == "no_quota" else "skipped_other"
    return "pending"
