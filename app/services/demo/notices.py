"""Demo notices (信息发布): a few published through the real two-person review, and one waiting for it."""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, Notice
from app.services.notices import workflow

# (title, body, place kind, place code, audience, its value, author, reviewer or None: left in review)
DEMO_NOTICES = (
    (
        "春风行动专场招聘会",
        "本周六上午9:00在昱中街道就业服务站举办专场招聘会，30余家企业提供岗位，欢迎求职居民携带简历参加。",
        "community",
        "341002002001",
        "residents",
        None,
        "demo-operator",
        "demo-township-admin",
    ),
    (
        "高校毕业生求职创业补贴申领提醒",
        "2026届高校毕业生可在毕业学年内申领一次性求职创业补贴，请于本月底前通过“我的政策”查看并申领。",
        "district",
        "341002000000",
        "key_group",
        "college_graduate",
        "demo-district-admin",
        "demo-city-admin",
    ),
    (
        "网格员入户走访业务培训",
        "下周三下午在昱中街道办事处三楼会议室开展入户走访与台账更新培训，请各社区网格员准时参加。",
        "township",
        "341002002000",
        "staff",
        "grid_worker",
        "demo-township-admin",
        "demo-district-admin",
    ),
    (
        "用工需求登记提醒",
        "请辖区用人单位在小程序“发布岗位”中登记下季度用工需求，服务站将上门对接。",
        "circle",
        "341002-chengzhong",
        "employers",
        None,
        "demo-operator",
        None,
    ),
)


def _account(username: str) -> Account:
    """Return a demo staff account by its username."""
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def demo_notices() -> int:
    """Write the demo notices not there yet (by title), each through the real steps; return how many."""
    today = local_day()
    added = 0
    for title, body, kind, code, audience, value, author, reviewer in DEMO_NOTICES:
        if db.session.scalar(sa.select(Notice.id).where(Notice.title == title)) is not None:
            continue
        writer = _account(author)
        values = {
            "title": title,
            "body": body,
            "place_kind": kind,
            "place_code": code,
            "audience": audience,
            "audience_value": value,
            "valid_from": today,
            "valid_until": today + timedelta(days=30),
        }
        notice, _ = workflow.create(writer, values, None)
        workflow.submit(writer, notice["id"], None)
        if reviewer is not None:
            workflow.publish(_account(reviewer), notice["id"], None, None)
        added += 1
    return added
