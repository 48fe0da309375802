"""List pages: who may open each list, scoping, masking and the audited reveal, filters, sort, paging."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Role
from app.services import lists
from app.services.people import audit
from tests.conftest import make_id_number
from tests.console.conftest import csrf_from
from tests.console.lists_support import (
    LAOJIE,
    LAOJIE_1,
    PLACES,
    YUDONG_1,
    YUZHONG_1,
    cells,
    page_of,
    sign_in_as,
)

CHENGZHONG = "341002-chengzhong"


@pytest.mark.parametrize("role", sorted(PLACES))
def test_every_list_page_opens_for_the_roles_it_is_for_and_refuses_the_others(client, console_staff, role):
    sign_in_as(client, console_staff, role)

    for name, listing in lists.REGISTRY.items():
        response = client.get(f"/console/lists/{name}")
        page = response.get_data(as_text=True)
        if Role(role) in listing.roles:
            assert response.status_code == 200, (role, name)
            assert f"<h1>{listing.title}</h1>" in page and 'data-testid="list-table"' in page
            assert all(f">{column.header}" in page for column in listing.columns), (role, name)
        else:
            assert response.status_code == 403, (role, name)
            assert "您的角色不能进行此操作" in page and 'data-testid="list-table"' not in page

    assert client.get("/console/lists/nothing-here").status_code == 404


def test_a_list_page_needs_a_signed_in_staff_member(client):
    response = client.get("/console/lists/residents?q=%E5%BC%A0")

    assert response.status_code == 302
    assert response.location.startswith("/console/login?reason=missing&next=")


def test_a_township_admin_sees_only_their_townships_residents(client, console_staff, make_resident):
    make_resident(YUZHONG_1, name="昱中居民")
    make_resident(LAOJIE_1, name="老街居民")
    make_resident(YUDONG_1, name="昱东居民")
    sign_in_as(client, console_staff, "township_admin")

    page = page_of(client, "/console/lists/residents")
    elsewhere = page_of(client, f"/console/lists/residents?place={LAOJIE}")

    assert cells(page, "name") == ["昱中居民"]
    assert "共 1 条" in page and "老街居民" not in page and "昱东居民" not in page
    assert cells(elsewhere, "name") == []  # a filter cannot widen the place


def test_the_audit_log_shows_a_supervisor_only_their_own_places_events(
    client, console_staff, make_staff, places
):
    inside = make_staff("operator", "circle", CHENGZHONG, username="inside-op")
    outside = make_staff("operator", "circle", "341002-chengdong", username="outside-op")
    audit.record("test.inside", actor=inside)
    audit.record("test.outside", actor=outside)
    db.session.commit()
    sign_in_as(client, console_staff, "supervisor")

    page = page_of(client, "/console/lists/audit_events?action=test.")

    assert cells(page, "action") == ["test.inside"]


def test_a_residents_id_number_and_phone_stay_masked_until_an_audited_reveal(
    client, console_staff, make_resident
):
    id_number = make_id_number("19850315")
    resident = make_resident(YUZHONG_1, name="王小明", id_number=id_number, phone="13912345678")
    sign_in_as(client, console_staff, "township_admin")

    page = page_of(client, "/console/lists/residents")
    assert id_number not in page and "13912345678" not in page
    assert cells(page, "phone") == ["139****5678"] and cells(page, "name") == ["王小明"]
    assert f'data-testid="reveal-{resident.id}"' in page

    revealed = client.post(
        f"/console/lists/residents/{resident.id}/reveal",
        data={
            "csrf_token": csrf_from(page),
            "reason": "办理失业登记核对身份",
            "next": "/console/lists/residents",
        },
    )

    assert revealed.status_code == 200
    shown = revealed.get_data(as_text=True)
    assert id_number in shown and "13912345678" in shown and "已记入审计日志" in shown
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal"))
    assert event.outcome == "success" and event.object_id == str(resident.id)
    assert event.detail == {"fields": ["id_number", "phone"], "reason": "办理失业登记核对身份"}
    again = page_of(client, "/console/lists/residents")
    assert id_number not in again and "13912345678" not in again  # shown once, not from now on


def test_a_reveal_needs_a_reason_and_writes_nothing_without_one(client, console_staff, make_resident):
    resident = make_resident(YUZHONG_1)
    sign_in_as(client, console_staff, "township_admin")
    page = page_of(client, "/console/lists/residents")

    response = client.post(
        f"/console/lists/residents/{resident.id}/reveal",
        data={"csrf_token": csrf_from(page), "reason": " ", "next": "/console/lists/residents?q=x"},
    )

    assert response.status_code == 303 and response.location == "/console/lists/residents?q=x"
    assert "请填写原因" in page_of(client, response.location)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal")) is None


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_contractors_have_no_reveal_button_and_are_refused_and_audited(
    client, console_staff, make_resident, role
):
    resident = make_resident(YUZHONG_1, phone="13912345678")
    sign_in_as(client, console_staff, role)
    page = page_of(client, "/console/lists/residents")
    assert "查看完整信息" not in page and "13912345678" not in page

    response = client.post(
        f"/console/lists/residents/{resident.id}/reveal",
        data={"csrf_token": csrf_from(page), "reason": "想看看"},
    )

    assert response.status_code == 403
    assert "13912345678" not in response.get_data(as_text=True)
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal"))
    assert event.outcome == "denied"


def test_a_reveal_outside_the_place_is_a_404_and_reveals_nothing(client, console_staff, make_resident):
    outside = make_resident(YUDONG_1, phone="13912345678")
    sign_in_as(client, console_staff, "township_admin")
    page = page_of(client, "/console/lists/residents")

    response = client.post(
        f"/console/lists/residents/{outside.id}/reveal",
        data={"csrf_token": csrf_from(page), "reason": "核对"},
    )

    assert response.status_code == 404
    assert "13912345678" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "resident.reveal")) is None


@pytest.fixture
def five_residents(make_resident):
    """Five residents of 昱中一社区, 居民A … 居民E; B and D employed, the others unemployed."""
    return {
        letter: make_resident(
            YUZHONG_1, name=f"居民{letter}", status="employed" if letter in "BD" else "unemployed"
        )
        for letter in "ACEBD"
    }


def test_filters_search_sorting_and_paging_shape_the_rows(client, console_staff, five_residents):
    sign_in_as(client, console_staff, "city_admin")

    employed = page_of(client, "/console/lists/residents?employment_status=employed&sort=name")
    searched = page_of(client, "/console/lists/residents?q=%E5%B1%85%E6%B0%91C")  # 居民C
    backwards = page_of(client, "/console/lists/residents?sort=-name")
    second = page_of(client, "/console/lists/residents?sort=name&per_page=2&page=2")

    assert cells(employed, "name") == ["居民B", "居民D"]
    assert cells(employed, "employment_status") == ["就业", "就业"]
    assert '<option value="employed" selected>' in employed  # the form shows the filter in force
    assert cells(searched, "name") == ["居民C"]
    assert cells(backwards, "name") == ["居民E", "居民D", "居民C", "居民B", "居民A"]
    assert cells(second, "name") == ["居民C", "居民D"]
    assert "共 5 条，第 2 / 3 页" in second


def test_a_header_sorts_by_its_column_and_a_second_click_reverses(client, console_staff, five_residents):
    sign_in_as(client, console_staff, "city_admin")

    first = page_of(client, "/console/lists/residents?employment_status=unemployed")
    by_name = re.search(r'<th scope="col" data-key="name">\s*<a class="sort" href="([^"]+)"', first).group(1)
    assert "employment_status=unemployed" in by_name and "sort=name" in by_name
    ascending = page_of(client, by_name.replace("&amp;", "&"))
    header = re.search(
        r'<th scope="col" data-key="name" aria-sort="ascending">\s*<a[^>]+href="([^"]+)"', ascending
    )
    descending = page_of(client, header.group(1).replace("&amp;", "&"))

    assert cells(ascending, "name") == ["居民A", "居民C", "居民E"]
    assert cells(descending, "name") == ["居民E", "居民C", "居民A"]
    assert 'data-key="name" aria-sort="descending"' in descending
    assert '<th scope="col" data-key="gender">' in first and 'data-key="gender"><a' not in first


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("employment_status=bogus", "「就业状态」：筛选条件的取值无效。"),
        ("place=999999999999", "「地区」：没有这个地区编码。"),
        ("sort=bogus", "「排序」：不支持的排序方式。"),
        ("page=abc", "页码无效。"),
        ("per_page=1000", "输入有误"),
    ],
)
def test_a_bad_filter_is_a_422_page_that_keeps_the_form(client, console_staff, five_residents, query, said):
    sign_in_as(client, console_staff, "city_admin")

    page = page_of(client, f"/console/lists/residents?q=%E5%B1%85&{query}", status=422)

    assert said in page
    assert 'name="q" value="居"' in page and cells(page, "name") == []


def test_a_work_queue_opens_on_its_default_filter_which_can_be_switched_off(
    client, console_staff, make_employer
):
    make_employer(name="待核验茶业", verified=False)
    make_employer(name="已核验茶业", verified=True)
    sign_in_as(client, console_staff, "operator")

    queue = page_of(client, "/console/lists/employers")
    everything = page_of(client, "/console/lists/employers?status=")

    assert cells(queue, "name") == ["待核验茶业"]
    assert '<option value="pending" selected>' in queue
    assert sorted(cells(everything, "name")) == sorted(["待核验茶业", "已核验茶业"])
