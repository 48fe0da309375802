"""Staff pages: a grid worker's communities (assign, unassign), staff accounts (create, disable)."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, Community, GridAssignment
from tests.conftest import PASSWORD
from tests.console.lists_support import (
    YUDONG_1,
    YUZHONG,
    YUZHONG_1,
    YUZHONG_2,
    cells,
    flash_after,
    new_account,
    page_of,
    post_action,
    sign_in_as,
)
from tests.support import assign_directly, count

# ---- grid workers and their communities -------------------------------------------------------------


def codes_of(worker) -> list[str]:
    """Return the codes of the communities a grid worker is assigned, sorted."""
    return sorted(
        db.session.scalars(
            sa.select(Community.code)
            .join(GridAssignment, GridAssignment.community_id == Community.id)
            .where(GridAssignment.account_id == worker.id)
        )
    )


def test_an_operator_assigns_and_unassigns_a_grid_workers_communities(client, console_staff, make_staff):
    worker = make_staff("grid_worker", "township", YUZHONG, username="wangge-1")
    sign_in_as(client, console_staff, "operator")
    listed = page_of(client, "/console/lists/grid_workers")
    assert cells(listed, "username") == ["wangge-1"] and f'data-testid="communities-{worker.id}"' in listed
    page = page_of(client, f"/console/grid-workers/{worker.id}/communities")
    assert "尚未分配社区/村" in page
    path = f"/console/grid-workers/{worker.id}/communities"

    first = post_action(client, page, path, change="assign", codes=[YUZHONG_1])
    page = flash_after(client, first)
    assert "已分配社区，现负责：昱中一社区。" in page and codes_of(worker) == [YUZHONG_1]
    second = post_action(client, page, path, change="assign", codes=[YUZHONG_1, YUZHONG_2])
    page = flash_after(client, second)
    assert codes_of(worker) == [YUZHONG_1, YUZHONG_2]
    assert cells(page_of(client, "/console/lists/grid_workers"), "communities") == ["昱中一社区、昱中二社区"]
    # The page's "取消分配" form for 昱中一社区 carries the other codes only.
    form = re.search(rf'<tr data-code="{YUZHONG_1}">.*?</form>', page, re.S).group(0)
    others = re.findall(r'name="codes" value="(\d+)"', form)
    assert others == [YUZHONG_2]

    removed = post_action(client, page, path, change="unassign", codes=others)

    assert "已取消分配，现负责：昱中二社区。" in flash_after(client, removed)
    assert codes_of(worker) == [YUZHONG_2]
    assert [
        event.detail
        for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "grid.assign"))
    ][-1] == {"communities": [YUZHONG_2]}


def test_a_community_outside_the_place_is_refused_and_nothing_changes(client, console_staff, make_staff):
    worker = make_staff("grid_worker", "township", YUZHONG)
    assign_directly(worker, [YUZHONG_1])
    sign_in_as(client, console_staff, "operator")
    page = page_of(client, f"/console/grid-workers/{worker.id}/communities")

    response = post_action(
        client, page, f"/console/grid-workers/{worker.id}/communities", codes=[YUZHONG_1, YUDONG_1]
    )

    assert "该社区不在您或该网格员的管辖范围内" in flash_after(client, response)
    assert codes_of(worker) == [YUZHONG_1]


def test_a_grid_worker_outside_the_place_is_a_404(client, console_staff, make_staff):
    outside = make_staff("grid_worker", "community", YUDONG_1)
    assign_directly(outside, [YUDONG_1])
    sign_in_as(client, console_staff, "operator")
    home = page_of(client, "/console/lists/grid_workers")

    assert client.get(f"/console/grid-workers/{outside.id}/communities").status_code == 404
    response = post_action(client, home, f"/console/grid-workers/{outside.id}/communities", codes=[])
    assert response.status_code == 404
    assert codes_of(outside) == [YUDONG_1]


# ---- staff accounts -----------------------------------------------------------------------------


def staff_form(client) -> str:
    """Open the new-account form and return it."""
    return page_of(client, "/console/staff/new")


def test_a_township_admin_creates_a_staff_account_inside_their_township(client, console_staff):
    admin = sign_in_as(client, console_staff, "township_admin")
    listed = page_of(client, "/console/lists/staff_accounts")
    assert 'data-testid="new-staff"' in listed
    form = staff_form(client)
    assert '<option value="station_staff"' in form and '<option value="operator"' not in form
    assert f'value="{YUZHONG}"' in form  # starts at the admin's own place

    response = post_action(client, form, "/console/staff", **new_account())

    assert response.location == "/console/lists/staff_accounts"
    assert "已创建账号 zhan-yuan-1（服务站工作人员）" in flash_after(client, response)
    account = db.session.scalar(sa.select(Account).where(Account.username == "zhan-yuan-1"))
    assert account.role == "station_staff" and account.display_name == "站员小李"
    assert account.created_by_id == admin.id
    assert "zhan-yuan-1" in cells(page_of(client, "/console/lists/staff_accounts"), "username")
    signed_in = client.post("/api/v1/auth/login", json={"username": "zhan-yuan-1", "password": PASSWORD})
    assert signed_in.status_code == 200


@pytest.mark.parametrize(
    ("fields", "status", "said"),
    [
        ({"scope_code": "341002004000"}, 403, "该地区不在您的管辖范围内"),  # 老街: another township
        (
            {"role": "operator", "scope_kind": "circle", "scope_code": "341002-chengzhong"},
            403,
            "不能创建或管理该角色",
        ),
        ({"password2": "something-else"}, 422, "两次输入的密码不一致"),
        ({"password": "short", "password2": "short"}, 422, "「初始密码」：密码至少需要"),
        ({"username": "Bad Name!"}, 422, "「用户名」：用户名须为"),
        ({"scope_kind": "township", "scope_code": "000000000000"}, 422, "「地区编码」：没有这个地区编码"),
        ({"scope_kind": "community", "scope_code": YUZHONG_1}, 422, "「地区层级」：该角色不能设在这一级地区"),
        ({"role": "nonsense"}, 422, "「角色」"),
    ],
)
def test_a_refused_account_shows_the_form_again_with_what_was_typed(
    client, console_staff, fields, status, said
):
    sign_in_as(client, console_staff, "township_admin")
    form = staff_form(client)
    before = count(Account)

    response = post_action(client, form, "/console/staff", **new_account(**fields))

    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert said in page
    assert 'value="zhan-yuan-1"' in page or fields.get("username") in page
    assert PASSWORD not in page  # a password is never sent back
    assert count(Account) == before


def test_a_taken_username_is_a_409_on_the_form(client, console_staff, make_staff):
    make_staff("grid_worker", "community", YUZHONG_1, username="taken-name")
    sign_in_as(client, console_staff, "township_admin")

    response = post_action(client, staff_form(client), "/console/staff", **new_account(username="taken-name"))

    assert response.status_code == 409 and "该用户名已被使用" in response.get_data(as_text=True)


def test_a_role_that_creates_nobody_gets_no_form(client, console_staff):
    sign_in_as(client, console_staff, "supervisor")

    assert "new-staff" not in page_of(client, "/console/lists/staff_accounts")
    assert client.get("/console/staff/new").status_code == 403


def test_an_admin_disables_and_enables_an_account_they_manage(client, console_staff, make_staff):
    worker = make_staff("grid_worker", "community", YUZHONG_1, username="wangge-off")
    admin = sign_in_as(client, console_staff, "township_admin")
    listed = page_of(client, "/console/lists/staff_accounts")
    assert (
        f'data-testid="disable-{worker.id}"' in listed and f'data-testid="disable-{admin.id}"' not in listed
    )

    disabled = post_action(client, listed, f"/console/staff/{worker.id}/active", active="0")

    listed = flash_after(client, disabled)
    assert "已停用账号 wangge-off。" in listed and f'data-testid="enable-{worker.id}"' in listed
    db.session.refresh(worker)
    assert worker.is_active is False
    refused = client.post("/api/v1/auth/login", json={"username": "wangge-off", "password": PASSWORD})
    assert refused.status_code != 200

    enabled = post_action(client, listed, f"/console/staff/{worker.id}/active", active="1")

    assert "已启用账号 wangge-off。" in flash_after(client, enabled)
    db.session.refresh(worker)
    assert worker.is_active is True


def test_disabling_an_account_outside_the_place_is_a_404(client, console_staff, make_staff):
    outside = make_staff("grid_worker", "community", YUDONG_1)
    sign_in_as(client, console_staff, "township_admin")
    listed = page_of(client, "/console/lists/staff_accounts")

    response = post_action(client, listed, f"/console/staff/{outside.id}/active", active="0")

    assert response.status_code == 404
    db.session.refresh(outside)
    assert outside.is_active is True
