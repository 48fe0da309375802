"""Notices in the console (app/console/notices.py): write and submit, review by a second admin, withdraw.

The operator writes a notice on the list page and submits it; a township admin sees it waiting,
returns it with a reason, then (resubmitted) publishes it; an admin elsewhere gets a 404 page.
Every code the notices wing raises has its Chinese sentence.
"""

import re
from datetime import timedelta
from pathlib import Path

from app.common.clock import local_day
from app.console.messages import MESSAGES
from app.extensions import db
from app.models import Notice
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as

LIST = "/console/notices"
WING = Path(__file__).resolve().parents[2] / "app" / "services" / "notices"


def _form(**fields) -> dict:
    today = local_day()
    return {
        "title": "就业援助月活动通知",
        "body": "援助月期间各服务站延长服务时间。",
        "place_kind": "township",
        "place_code": "341002002000",
        "audience": "residents",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=10)).isoformat(),
        **fields,
    }


def _status(notice_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Notice, notice_id).status


def test_written_returned_resubmitted_and_published_in_the_console(client, console_staff):
    sign_in_as(client, console_staff, "operator", ("circle", "341002-chengzhong"))
    listing = page_of(client, LIST)
    assert 'data-testid="notice-form"' in listing and "通知公告" in listing
    written = post_action(client, listing, LIST, submit="1", **_form())
    page = flash_after(client, written)
    notice_id = int(re.search(r"/console/notices/(\d+)", written.location).group(1))
    assert "已提交审核" in page and _status(notice_id) == "in_review"
    assert 'data-testid="publish"' not in page  # the author never reviews

    sign_in_as(client, console_staff, "township_admin", ("township", "341002002000"))
    listing = page_of(client, f"{LIST}?status=in_review")
    assert "待我审核" in listing and "就业援助月活动通知" in listing
    page = page_of(client, f"{LIST}/{notice_id}")
    no_reason = flash_after(client, post_action(client, page, f"{LIST}/{notice_id}/return", reason=""))
    assert MESSAGES["reason_required"] in no_reason and _status(notice_id) == "in_review"
    returned = flash_after(client, post_action(client, page, f"{LIST}/{notice_id}/return", reason="补充地点"))
    assert "已退回" in returned and _status(notice_id) == "returned"
    db.session.get(Notice, notice_id).status = "in_review"  # as if the author resubmitted
    db.session.commit()
    page = page_of(client, f"{LIST}/{notice_id}")
    published = flash_after(client, post_action(client, page, f"{LIST}/{notice_id}/publish", note="同意"))
    assert "已发布" in published and _status(notice_id) == "published"

    sign_in_as(client, console_staff, "township_admin", ("township", "341002001000"))
    assert client.get(f"{LIST}/{notice_id}").status_code == 404
    page = page_of(client, LIST)
    refused = post_action(client, page, f"{LIST}/{notice_id}/withdraw", reason="不该发")
    assert refused.status_code == 404 and _status(notice_id) == "published"


def test_a_place_outside_mine_is_refused_with_a_sentence(client, console_staff):
    sign_in_as(client, console_staff, "operator", ("circle", "341002-chengzhong"))
    listing = page_of(client, LIST)

    page = flash_after(client, post_action(client, listing, LIST, **_form(place_code="341002001000")))

    assert MESSAGES["place_out_of_scope"] in page
    assert db.session.query(Notice).count() == 0


def test_every_code_the_notices_wing_raises_has_its_chinese_sentence():
    source = "\n".join(path.read_text(encoding="utf-8") for path in WING.glob("*.py"))
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    raised |= {"notice_not_found"}  # held in NOT_FOUND
    # What the services they call raise: files (app/common/files.py), the console's own form checks.
    raised |= {"file_missing", "file_empty", "file_too_large", "file_type_not_allowed", "file_has_macros"}
    raised |= {"invalid_date", "invalid_input", "invalid_choice", "reason_required"}
    assert {"place_out_of_scope", "not_reviewer", "notice_status_conflict"} <= raised
    assert sorted(raised - set(MESSAGES)) == []
