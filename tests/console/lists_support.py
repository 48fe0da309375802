"""Helpers of the list, work-queue and export tests: where each role works, pages and their cells."""

import re

from tests.conftest import PASSWORD
from tests.console.conftest import csrf_from

CITY, TUNXI = "341000000000", "341002000000"
CHENGZHONG = "341002-chengzhong"
YUZHONG, LAOJIE, YUDONG = "341002002000", "341002004000", "341002001000"
YUZHONG_1, YUZHONG_2, LAOJIE_1, YUDONG_1 = "341002002001", "341002002002", "341002004001", "341002001001"
# Where each staff role of these tests works (every one of them over 昱中一社区, none over 昱东).
PLACES = {
    "grid_worker": ("community", YUZHONG_1),
    "station_staff": ("circle", CHENGZHONG),
    "operator": ("circle", CHENGZHONG),
    "township_admin": ("township", YUZHONG),
    "district_admin": ("district", TUNXI),
    "city_admin": ("city", CITY),
    "supervisor": ("circle", CHENGZHONG),
}


def page_of(client, path: str, status: int = 200) -> str:
    """GET a console page, check its status, and return its HTML."""
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.location)
    return response.get_data(as_text=True)


def cells(html: str, key: str) -> list[str]:
    """Return the cells of one column of a list page's table, top to bottom."""
    return re.findall(rf'<td data-key="{key}"[^>]*>([^<]*)</td>', html)


def sign_in_as(client, console_staff, role: str, where=None):
    """Sign the client in as a new staff member of `role` (signing out whoever was signed in)."""
    client.delete_cookie("console_session", path="/console")
    kind, code = where or PLACES[role]
    account, _ = console_staff(role, kind, code)
    return account


def post_action(client, page_html: str, path: str, **fields):
    """POST a console action with the CSRF token of the page it was pressed on."""
    return client.post(path, data={"csrf_token": csrf_from(page_html), **fields})


def flash_after(client, response) -> str:
    """Follow an action's redirect and return the page it lands on."""
    assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:500])
    return page_of(client, response.location)


def new_account(**fields) -> dict:
    """Return the fields of the new-account form (a station staff member at 昱中 unless told)."""
    return {
        "username": "zhan-yuan-1",
        "display_name": "站员小李",
        "role": "station_staff",
        "scope_kind": "township",
        "scope_code": YUZHONG,
        "password": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
