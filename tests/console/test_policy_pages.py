"""The policy catalogue (政策库) and the working list (政策找人) in the console (app/console/policies.py).

Managers write a draft from the form (the rule and the benefit typed as JSON, refused in
Chinese), submit it, and a second manager publishes it: the author is never offered 发布; the
policy's page shows the rule in words with the labels of the facts it reads. Other roles get a
403 page, a manager elsewhere a 404. The working list shows the qualified, unclaimed people of
the viewer's place, masked.
"""

import json

import sqlalchemy as sa

from app.extensions import db
from app.models import Policy, PolicyVersion
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as
from tests.policies.claims_support import make_match, make_version

POLICIES = "/console/policies"
WORKING_LIST = "/console/working-list"
TUNXI, HUANGSHAN_DISTRICT = "341002000000", "341003000000"
RULE = {"and": [{">=": [{"var": "age"}, 16]}, {"==": [{"var": "unemployment_registered"}, True]}]}


def form(**fields) -> dict:
    """Return the new-policy form, filled as a manager would."""
    return {
        "code": "HS-TEST-1",
        "subject": "person",
        "title": "一次性求职补贴（测试）",
        "document_number": "黄人社〔2026〕9号",
        "issuer": "黄山市人社局",
        "summary": "测试用政策",
        "effective_from": "2026-01-01",
        "benefit": json.dumps({"kind": "fixed", "amount": 1000}),
        "rule": json.dumps(RULE),
        "hints": "{}",
        "materials": "身份证\n银行卡",
        "claim_period": "once",
        "within_days": "90",
        "notice_days": "7",
        **fields,
    }


def policy_by_code(code: str) -> Policy:
    return db.session.scalar(sa.select(Policy).where(Policy.code == code))


def create(client, **fields):
    """Create a policy from the form; return the response."""
    html = page_of(client, f"{POLICIES}/new")
    return post_action(client, html, POLICIES, **form(**fields))


def test_a_district_admin_drafts_submits_and_a_second_admin_publishes(client, console_staff):
    author = sign_in_as(client, console_staff, "district_admin", ("district", TUNXI))
    created = create(client)
    page = flash_after(client, created)
    assert "已创建政策「一次性求职补贴（测试）」" in page
    policy = policy_by_code("HS-TEST-1")
    assert policy.district_id is not None and policy.versions[0].status == "draft"

    # The rule in words, the facts it reads with their labels, and the raw JSON.
    assert "年龄 ≥ 16岁" in page and "已办理失业登记" in page
    assert 'data-testid="rule-json"' in page and "unemployment_registered" in page
    assert 'data-testid="publish"' not in page

    submitted = post_action(client, page, f"{POLICIES}/{policy.id}/submit")
    page = flash_after(client, submitted)
    assert "已提交，待另一位管理员发布" in page
    # The author sees no 发布 button, and a forged publish is refused with the reason.
    assert 'data-testid="publish"' not in page and 'data-testid="publish-hint"' in page
    forged = post_action(client, page, f"{POLICIES}/{policy.id}/publish")
    assert forged.status_code == 403
    db.session.refresh(policy.versions[0])
    assert policy.versions[0].status == "pending" and policy.versions[0].author_id == author.id

    sign_in_as(client, console_staff, "city_admin")
    page = page_of(client, f"{POLICIES}/{policy.id}")
    assert 'data-testid="publish"' in page
    published = post_action(client, page, f"{POLICIES}/{policy.id}/publish")
    page = flash_after(client, published)
    assert "已发布" in page
    db.session.expire_all()
    assert policy_by_code("HS-TEST-1").versions[0].status == "published"
    catalogue = page_of(client, POLICIES)
    assert "一次性求职补贴（测试）" in catalogue and "已发布" in catalogue

    withdrawn = post_action(client, page, f"{POLICIES}/{policy.id}/withdraw", reason="政策到期")
    assert "已撤回该政策" in flash_after(client, withdrawn)
    db.session.expire_all()
    assert policy_by_code("HS-TEST-1").versions[0].status == "withdrawn"


def test_editing_a_published_policy_makes_a_new_draft_version(client, console_staff):
    sign_in_as(client, console_staff, "district_admin", ("district", TUNXI))
    flash_after(client, create(client, code="HS-TEST-2"))
    policy = policy_by_code("HS-TEST-2")
    page = page_of(client, f"{POLICIES}/{policy.id}")
    flash_after(client, post_action(client, page, f"{POLICIES}/{policy.id}/submit"))
    sign_in_as(client, console_staff, "city_admin")
    page = page_of(client, f"{POLICIES}/{policy.id}")
    flash_after(client, post_action(client, page, f"{POLICIES}/{policy.id}/publish"))

    edit = page_of(client, f"{POLICIES}/{policy.id}/edit")
    assert "一次性求职补贴（测试）" in edit and "unemployment_registered" in edit
    saved = post_action(
        client, edit, f"{POLICIES}/{policy.id}/edit", **form(title="一次性求职补贴（第二版）")
    )
    page = flash_after(client, saved)
    assert "已保存第 2 版草稿" in page
    statuses = db.session.scalars(
        sa.select(PolicyVersion.status)
        .where(PolicyVersion.policy_id == policy.id)
        .order_by(PolicyVersion.number)
    ).all()
    assert statuses == ["published", "draft"]


def test_a_bad_rule_or_benefit_comes_back_in_chinese_with_what_was_typed(client, console_staff):
    sign_in_as(client, console_staff, "city_admin")
    unknown_fact = create(client, rule=json.dumps({"==": [{"var": "shoe_size"}, 42]}))
    assert unknown_fact.status_code == 422
    html = unknown_fact.get_data(as_text=True)
    assert "「享受条件（JSON）」：享受条件规则有误" in html and "shoe_size" in html
    not_json = create(client, benefit="{amount: 1000")
    assert not_json.status_code == 422
    assert "「补贴标准（JSON）」" in not_json.get_data(as_text=True)
    assert policy_by_code("HS-TEST-1") is None


def test_only_managers_open_the_catalogue_and_only_in_their_place(client, console_staff):
    sign_in_as(client, console_staff, "district_admin", ("district", TUNXI))
    flash_after(client, create(client, code="HS-TEST-3"))
    policy = policy_by_code("HS-TEST-3")
    for role in ("station_staff", "grid_worker", "operator", "township_admin", "supervisor"):
        sign_in_as(client, console_staff, role)
        assert client.get(POLICIES).status_code == 403, role
        assert client.get(f"{POLICIES}/{policy.id}").status_code == 403, role
        assert "政策库" not in page_of(client, "/console/account"), role
    # A district admin elsewhere does not see a draft of 屯溪区.
    sign_in_as(client, console_staff, "district_admin", ("district", HUANGSHAN_DISTRICT))
    assert client.get(f"{POLICIES}/{policy.id}").status_code == 404
    assert "HS-TEST-3" not in page_of(client, POLICIES)
    assert "政策库" in page_of(client, "/console/account")


def test_the_working_list_shows_who_qualifies_in_my_place_masked(
    client, console_staff, make_staff, make_resident
):
    author = make_staff("city_admin", "city", "341000000000", username="policy-author")
    version = make_version(author.id, title="灵活就业社保补贴（测试）")
    near = make_resident(community_code="341002002001", name="符合者", phone="13812345678")
    far = make_resident(community_code="341002001001", name="外区者", phone="13812340000")
    make_match(version, near.id)
    make_match(version, far.id)

    sign_in_as(client, console_staff, "station_staff")
    html = page_of(client, WORKING_LIST)
    assert "符合者" in html and "外区者" not in html
    assert "灵活就业社保补贴（测试）" in html and "1000.00 元" in html
    assert "13812345678" not in html and near.phone_hint in html
    assert "政策找人" in html  # the nav entry
    for role in ("operator", "supervisor"):
        sign_in_as(client, console_staff, role)
        assert client.get(WORKING_LIST).status_code == 403, role
