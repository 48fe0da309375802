"""The residents list: scoped at every level, masked, filtered, searched, sorted and paged."""

import pytest

from app.errors import APIError
from app.extensions import db
from app.services import lists
from tests.conftest import make_id_number
from tests.support import assign_directly

CITY, TUNXI, CHENGZHONG = "341000000000", "341002000000", "341002-chengzhong"
YUZHONG, LAOJIE, YUDONG = "341002002000", "341002004000", "341002001000"
YUZHONG_1, YUZHONG_2, LAOJIE_1, YUDONG_1, HUANGSHAN_1 = (
    "341002002001",
    "341002002002",
    "341002004001",
    "341002001001",
    "341003100001",
)


@pytest.fixture
def everyone(make_resident):
    """One resident in each test community, named after it."""
    return {
        code: make_resident(code, name=name, phone=f"1380000{index:04d}")
        for index, (code, name) in enumerate(
            [
                (YUZHONG_1, "昱中一居民"),
                (YUZHONG_2, "昱中二居民"),
                (LAOJIE_1, "老街一居民"),
                (YUDONG_1, "昱东一居民"),
                (HUANGSHAN_1, "黄山区居民"),
            ]
        )
    }


def names_seen(actor, **filters) -> set[str]:
    """Return the names on the first page of residents the actor sees."""
    return {row["name"] for row in lists.page("residents", actor, filters, per_page=100).items}


def refused(call) -> APIError:
    """Run a call that must fail and return its error."""
    with pytest.raises(APIError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    ("role", "kind", "code", "expected"),
    [
        ("city_admin", "city", CITY, {"昱中一居民", "昱中二居民", "老街一居民", "昱东一居民", "黄山区居民"}),
        ("district_admin", "district", TUNXI, {"昱中一居民", "昱中二居民", "老街一居民", "昱东一居民"}),
        ("operator", "circle", CHENGZHONG, {"昱中一居民", "昱中二居民", "老街一居民"}),
        ("township_admin", "township", YUZHONG, {"昱中一居民", "昱中二居民"}),
        ("township_admin", "township", YUDONG, {"昱东一居民"}),
        ("station_staff", "township", LAOJIE, {"老街一居民"}),
        ("supervisor", "circle", CHENGZHONG, {"昱中一居民", "昱中二居民", "老街一居民"}),
    ],
)
def test_each_level_sees_its_own_place_only(make_staff, everyone, role, kind, code, expected):
    actor = make_staff(role, kind, code)

    page = lists.page("residents", actor, per_page=100)

    assert {row["name"] for row in page.items} == expected
    assert page.total == len(expected) == lists.count("residents", actor)
    assert {row["name"] for row in lists.stream("residents", actor)} == {
        f"{name[0]}{'*' * (len(name) - 1)}" for name in expected
    }


def test_a_grid_worker_sees_the_assigned_communities_only(make_staff, everyone):
    worker = make_staff("grid_worker", "township", YUZHONG)
    assign_directly(worker, [YUZHONG_2])

    assert names_seen(worker) == {"昱中二居民"}
    # A place filter cannot widen the scope: it only narrows it.
    assert names_seen(worker, place=f"community:{YUZHONG_1}") == set()


def test_a_place_filter_outside_the_actors_place_finds_nothing(make_staff, everyone):
    actor = make_staff("township_admin", "township", YUZHONG)

    assert names_seen(actor, place=f"township:{YUDONG}") == set()
    assert names_seen(actor, place=YUZHONG_2) == {"昱中二居民"}


def test_a_page_shows_names_but_masks_id_numbers_phones_and_addresses(make_staff, make_resident):
    id_number = make_id_number()
    resident = make_resident(YUZHONG_1, name="张秀英", id_number=id_number, phone="13912345678")
    resident.home_address = "屯溪区昱中街道幸福路18号3栋"
    db.session.commit()
    actor = make_staff("city_admin", "city", CITY)

    (row,) = lists.page("residents", actor).items

    assert row["name"] == "张秀英"
    assert row["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert row["phone"] == "139****5678"
    assert row["home_address"] == "屯溪区昱中街****"
    assert id_number not in str(row) and "13912345678" not in str(row)


def test_a_stream_masks_everything_unless_revealed_by_a_role_that_may(make_staff, make_resident):
    id_number = make_id_number()
    make_resident(YUZHONG_1, name="张秀英", id_number=id_number, phone="13912345678")
    admin = make_staff("township_admin", "township", YUZHONG)
    operator = make_staff("operator", "circle", CHENGZHONG)

    (masked,) = lists.stream("residents", admin)
    (revealed,) = lists.stream("residents", admin, reveal=True)

    assert (masked["name"], masked["phone"]) == ("张**", "139****5678")
    assert id_number not in str(masked)
    assert (revealed["name"], revealed["id_number"], revealed["phone"]) == (
        "张秀英",
        id_number,
        "13912345678",
    )
    assert lists.may_reveal(admin) and not lists.may_reveal(operator)
    error = refused(lambda: lists.stream("residents", operator, reveal=True))
    assert (error.status, error.code) == (403, "reveal_forbidden")
    (operator_row,) = lists.stream("residents", operator)
    assert operator_row["phone"] == "139****5678"


def test_filters_by_status_and_key_group(make_staff, make_resident):
    make_resident(YUZHONG_1, name="失业甲", status="unemployed_registered", key_groups=["hard_to_employ"])
    make_resident(YUZHONG_1, name="就业乙", status="employed", key_groups=["college_graduate"])
    make_resident(YUZHONG_1, name="就业丙", status="employed")
    actor = make_staff("township_admin", "township", YUZHONG)

    assert names_seen(actor, employment_status="employed") == {"就业乙", "就业丙"}
    assert names_seen(actor, key_group="hard_to_employ") == {"失业甲"}
    assert names_seen(actor, employment_status="employed", key_group="college_graduate") == {"就业乙"}
    row = next(r for r in lists.page("residents", actor).items if r["name"] == "失业甲")
    assert (row["employment_status"], row["employment_status_code"]) == ("登记失业", "unemployed_registered")
    # Registered unemployment brings its key group with it (the ledger core's rule).
    assert row["key_groups"] == "就业困难人员、登记失业人员"
    assert row["key_groups_code"] == ["hard_to_employ", "registered_unemployed"]


def test_search_by_part_of_a_name_or_a_whole_id_number_or_phone(make_staff, make_resident):
    id_number = make_id_number()
    make_resident(YUZHONG_1, name="王小明", id_number=id_number, phone="13700001111")
    make_resident(YUZHONG_1, name="李小红", phone="13700002222")
    actor = make_staff("township_admin", "township", YUZHONG)

    assert names_seen(actor, q="小") == {"王小明", "李小红"}
    assert names_seen(actor, q="小明") == {"王小明"}
    assert names_seen(actor, q=id_number.lower()) == {"王小明"}
    assert names_seen(actor, q="137 0000 2222") == {"李小红"}
    # Encrypted numbers are found whole, never by a part.
    assert names_seen(actor, q=id_number[:10]) == set()
    assert names_seen(actor, q="1370000") == set()
    assert names_seen(actor, q="100%") == set()


def test_sorts_and_pages(make_staff, make_resident):
    for name in ("丙", "甲", "乙", "丁", "戊"):
        make_resident(YUZHONG_1, name=name)
    actor = make_staff("township_admin", "township", YUZHONG)

    by_id = [row["id"] for row in lists.page("residents", actor, per_page=100).items]
    newest_first = [row["id"] for row in lists.page("residents", actor, sort="-id", per_page=100).items]
    pages = [lists.page("residents", actor, sort="id", page=n, per_page=2) for n in (1, 2, 3, 4)]

    assert by_id == sorted(by_id) and newest_first == by_id[::-1]
    assert [[row["id"] for row in p.items] for p in pages] == [by_id[0:2], by_id[2:4], by_id[4:], []]
    assert {p.total for p in pages} == {5}
    by_name = [row["name"] for row in lists.page("residents", actor, sort="name").items]
    assert by_name == sorted(by_name)


@pytest.mark.parametrize(
    ("filters", "sort", "field", "code"),
    [
        ({"employment_status": "sacked"}, None, "employment_status", "invalid_choice"),
        ({"key_group": "vip"}, None, "key_group", "invalid_choice"),
        ({"place": "township:000000000000"}, None, "place", "unknown_place"),
        ({"place": "city:341000000000"}, None, "place", "invalid_place"),
        ({"q": "x" * 65}, None, "q", "text_too_long"),
        ({}, "salary", "sort", "invalid_sort"),
        ({}, "-password", "sort", "invalid_sort"),
    ],
    ids=str,
)
def test_bad_filters_and_sorts_are_a_422_naming_the_field(make_staff, places, filters, sort, field, code):
    actor = make_staff("city_admin", "city", CITY)

    for call in (
        lambda: lists.page("residents", actor, filters, sort),
        lambda: (
            lists.stream("residents", actor, filters)
            if sort is None
            else lists.page("residents", actor, sort=sort)
        ),
        lambda: (
            lists.count("residents", actor, filters)
            if sort is None
            else lists.page("residents", actor, sort=sort)
        ),
    ):
        error = refused(call)
        assert (error.status, error.code, error.field) == (422, code, field)


@pytest.mark.parametrize(
    ("page", "per_page", "field"), [(0, 20, "page"), (1, 0, "per_page"), (1, 101, "per_page")]
)
def test_paging_out_of_range_is_a_422(make_staff, places, page, per_page, field):
    actor = make_staff("city_admin", "city", CITY)

    error = refused(lambda: lists.page("residents", actor, page=page, per_page=per_page))

    assert (error.status, error.field) == (422, field)


def test_names_of_no_filter_are_ignored_and_empty_values_switch_a_filter_off(make_staff, make_resident):
    make_resident(YUZHONG_1, name="甲", status="employed")
    make_resident(YUZHONG_1, name="乙", status="unemployed")
    actor = make_staff("township_admin", "township", YUZHONG)

    assert names_seen(actor, page="2", csrf_token="x", employment_status="") == {"甲", "乙"}
