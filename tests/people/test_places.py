"""Places: seeding the geography, the circles and communities API, importing communities."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, CircleArea, City, Community, District, Township
from app.services.people.place_import import PLACES_FILE, import_communities, seed_places

PLACE_MODELS = (City, District, Township, Circle, CircleArea, Community)
HEADER = "code,name,kind,township_code,lat,lng,population,households\n"
TUNXI_CIRCLES = {
    "chengzhong": ("城中就业圈", {"昱中街道", "老街街道"}, []),
    "chengdong": ("城东就业圈", {"昱东街道", "屯光镇"}, []),
    "chengxi": ("城西就业圈", {"昱西街道", "黎阳镇"}, []),
    "jiangnan": ("江南新城就业圈", {"阳湖镇"}, []),
    "gongye": ("工业园区就业圈", {"奕棋镇"}, ["九龙园区"]),
    "gaoxin": ("高新区就业圈", {"新潭镇"}, []),
}


def row_counts() -> dict:
    """Count the rows of every place table."""
    return {
        m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in PLACE_MODELS
    }


def community(code: str) -> Community | None:
    """Load a community afresh by code."""
    db.session.expire_all()
    return db.session.scalar(sa.select(Community).where(Community.code == code))


def error_of(response) -> dict:
    """Return the error envelope's body."""
    return response.get_json()["error"]


def write_csv(tmp_path, text: str, name: str = "communities.csv", encoding: str = "utf-8"):
    """Write a CSV file and return its path."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- seeding --------------------------------------------------------------------------------


def test_seed_places_loads_the_file(app):
    data = json.loads(PLACES_FILE.read_text(encoding="utf-8"))
    counts = seed_places()
    assert counts["cities"] == 1
    assert counts["districts"] == len(data["districts"]) == 7
    assert counts["townships"] == len(data["townships"])
    assert counts["circles"] == 6
    assert row_counts() == {
        "cities": 1,
        "districts": 7,
        "townships": len(data["townships"]),
        "circles": 6,
        "circle_areas": 1,
        "communities": 0,
    }
    city = db.session.scalar(sa.select(City))
    assert (city.code, city.name) == ("341000000000", "黄山市")
    tunxi = db.session.scalar(sa.select(District).where(District.code == "341002000000"))
    assert (tunxi.short_code, tunxi.name, tunxi.city_id) == ("341002", "屯溪区", city.id)
    assert counts["changed"] == sum(row_counts().values()) + 9  # each row, plus nine townships put in circles


def test_seed_places_twice_changes_nothing(app):
    seed_places()
    before = row_counts()
    again = seed_places()
    assert again["changed"] == 0
    assert row_counts() == before


def test_seed_places_command_is_idempotent(runner):
    first = runner.invoke(args=["seed-places"])
    assert first.exit_code == 0, first.output
    assert "1 city, 7 districts" in first.output and "6 circles" in first.output
    before = row_counts()
    second = runner.invoke(args=["seed-places"])
    assert second.exit_code == 0, second.output
    assert "(0 rows created or changed)" in second.output
    assert row_counts() == before


def test_seed_places_command_takes_another_file(runner, tmp_path):
    data = json.loads(PLACES_FILE.read_text(encoding="utf-8"))
    data["city"]["name"] = "黄山市（测试）"
    path = tmp_path / "places.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["seed-places", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(City.name)) == "黄山市（测试）"
    assert runner.invoke(args=["seed-places", "--file", str(tmp_path / "missing.json")]).exit_code == 2


def test_seed_places_repairs_drift_and_keeps_imported_communities(places):
    yuzhong1 = community("341002002001")
    yuzhong2 = community("341002002002")
    chengzhong = db.session.scalar(sa.select(Circle).where(Circle.key == "chengzhong"))
    gongye = db.session.scalar(sa.select(Circle).where(Circle.key == "gongye"))
    laojie = db.session.scalar(sa.select(Township).where(Township.code == "341002004000"))
    laojie.name, laojie.circle_id = "改错的名字", None
    yuzhong1.circle_id = None
    yuzhong2.circle_id = gongye.id  # placed in another circle on purpose
    db.session.commit()
    assert community("341002002001").circle_id is None
    before = row_counts()
    counts = seed_places()
    assert counts["changed"] >= 2
    assert row_counts() == before
    db.session.expire_all()
    laojie = db.session.scalar(sa.select(Township).where(Township.code == "341002004000"))
    assert (laojie.name, laojie.circle_id) == ("老街街道", chengzhong.id)
    # A community without a circle gets its township's again; the rest are untouched.
    assert community("341002002001").circle_id == chengzhong.id
    assert community("341002002002").circle_id == gongye.id
    assert community("341002004001").circle_id == chengzhong.id
    assert before["communities"] == 5


def test_township_moved_to_another_circle_takes_its_people_along(
    runner, client, places, tmp_path, make_resident, staff_headers
):
    resident = make_resident("341002004001", name="老街居民")
    # A 老街 community that an operator placed in the 工业园区 circle by hand stays there.
    import_communities(HEADER + "341002004002,老街二社区,community,341002004000,,,,\n")
    gongye = db.session.scalar(sa.select(Circle).where(Circle.key == "gongye"))
    community("341002004002").circle_id = gongye.id
    db.session.commit()
    data = json.loads(PLACES_FILE.read_text(encoding="utf-8"))
    circles = {item["key"]: item for item in data["pilot_circles"]["circles"]}
    circles["chengzhong"]["townships"].remove("341002004000")
    circles["chengxi"]["townships"].append("341002004000")
    path = tmp_path / "places.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["seed-places", "--file", str(path)]).exit_code == 0
    chengxi = db.session.scalar(sa.select(Circle).where(Circle.key == "chengxi"))
    assert community("341002004001").circle_id == chengxi.id
    assert db.session.get(type(resident), resident.id).circle_id == chengxi.id
    assert community("341002004002").circle_id == gongye.id
    # Staff scoping follows: the 城西 operator now sees the resident, the 城中 one no longer does.
    _, west = staff_headers("operator", "circle", "341002-chengxi")
    _, centre = staff_headers("operator", "circle", "341002-chengzhong")
    assert [r["name"] for r in client.get("/api/v1/residents", headers=west).get_json()["items"]] == [
        "老街居民"
    ]
    assert client.get(f"/api/v1/residents/{resident.id}", headers=centre).status_code == 404


def test_tunxi_circles_have_the_right_townships(places):
    circles = db.session.scalars(
        sa.select(Circle).join(District).where(District.code == "341002000000")
    ).all()
    assert {c.key for c in circles} == set(TUNXI_CIRCLES)
    for circle in circles:
        name, townships, areas = TUNXI_CIRCLES[circle.key]
        assert circle.name == name
        assert {t.name for t in circle.townships} == townships
        assert [a.name for a in circle.extra_areas] == areas
    # Imported communities follow their township's circle.
    assert community("341002004001").circle.key == "chengzhong"
    assert community("341002001001").circle.key == "chengdong"
    assert community("341003100001").circle_id is None


# --- GET /api/v1/places/circles -------------------------------------------------------------


def test_circles_endpoint(client, places):
    response = client.get("/api/v1/places/circles")
    assert response.status_code == 200
    body = response.get_json()
    assert [c["key"] for c in body] == ["chengzhong", "chengdong", "chengxi", "jiangnan", "gongye", "gaoxin"]
    by_key = {c["key"]: c for c in body}
    for key, (name, townships, areas) in TUNXI_CIRCLES.items():
        circle = by_key[key]
        assert circle["code"] == f"341002-{key}"
        assert circle["name"] == name
        assert circle["district"] == {"code": "341002000000", "name": "屯溪区"}
        assert {t["name"] for t in circle["townships"]} == townships
        assert [a["name"] for a in circle["extra_areas"]] == areas
    chengzhong = by_key["chengzhong"]["townships"]
    assert [t["code"] for t in chengzhong] == ["341002002000", "341002004000"]
    assert chengzhong[0] == {
        "code": "341002002000",
        "name": "昱中街道",
        "kind": "subdistrict",
        "lat": 29.716,
        "lng": 118.318,
    }
    jiulong = by_key["gongye"]["extra_areas"][0]
    assert (jiulong["lat"], jiulong["lng"]) == (29.72, 118.4) and "九龙" in jiulong["note"]
    assert "新潭镇" in by_key["gaoxin"]["note"]


@pytest.mark.parametrize(("district", "keys"), [("341002", 6), ("341002000000", 6), ("341003000000", 0)])
def test_circles_by_district(client, places, district, keys):
    response = client.get("/api/v1/places/circles", query_string={"district": district})
    assert response.status_code == 200
    assert len(response.get_json()) == keys


def test_circles_with_a_bad_district_code(client, places):
    response = client.get("/api/v1/places/circles", query_string={"district": "tunxi"})
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("validation_error", "district")


def test_circles_before_seeding_is_an_empty_list(client, app):
    response = client.get("/api/v1/places/circles")
    assert response.status_code == 200 and response.get_json() == []


# --- GET /api/v1/places/communities ---------------------------------------------------------


def test_communities_of_a_township(client, places):
    response = client.get("/api/v1/places/communities", query_string={"township": "341002002000"})
    assert response.status_code == 200
    assert response.get_json() == [
        {"code": "341002002001", "name": "昱中一社区", "kind": "community", "lat": 29.717, "lng": 118.319},
        {"code": "341002002002", "name": "昱中二社区", "kind": "community", "lat": 29.715, "lng": 118.317},
    ]
    village = client.get("/api/v1/places/communities", query_string={"township": "341003100000"}).get_json()
    assert [(c["code"], c["kind"]) for c in village] == [("341003100001", "village")]
    empty = client.get("/api/v1/places/communities", query_string={"township": "341002100000"})
    assert empty.status_code == 200 and empty.get_json() == []


def test_communities_of_an_unknown_township(client, places):
    response = client.get("/api/v1/places/communities", query_string={"township": "341002999000"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "township_not_found"
    assert "341002999000" in error_of(response)["message"]


@pytest.mark.parametrize("query", [{"township": "3410020020"}, {"township": "34100200200x"}, {}])
def test_communities_with_a_bad_township_code(client, places, query):
    response = client.get("/api/v1/places/communities", query_string=query)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("validation_error", "township")


# --- flask import-communities ---------------------------------------------------------------

MIXED = (
    HEADER
    + "341002003001,昱西一社区,community,341002003000,29.7120,118.2900,3000,1000\n"  # 2 ok
    + "34100200300,短代码社区,community,341002003000,29.71,118.29,,\n"  # 3 bad code
    + "341002001002,错街道社区,community,341002003000,29.71,118.29,,\n"  # 4 wrong township prefix
    + "341002999001,无街道社区,community,341002999000,29.71,118.29,,\n"  # 5 unknown township
    + "341002003002,坏类型社区,hamlet,341002003000,29.71,118.29,,\n"  # 6 bad kind
    + "341002003003,纬度错社区,community,341002003000,95,118.29,,\n"  # 7 lat out of range
    + "341002003001,重复社区,community,341002003000,29.71,118.29,,\n"  # 8 duplicate of line 2
    + "341002102001,黎阳一村,village,341002102000,,,800,260\n"  # 9 ok, no location
)
MIXED_REJECTED = [
    (3, "34100200300", "code"),
    (4, "341002001002", "code"),
    (5, "341002999001", "township_code"),
    (6, "341002003002", "kind"),
    (7, "341002003003", "lat"),
    (8, "341002003001", "code"),
]


def test_import_takes_good_rows_and_lists_bad_ones(runner, places, tmp_path):
    before = row_counts()["communities"]
    result = runner.invoke(args=["import-communities", str(write_csv(tmp_path, MIXED))])
    assert result.exit_code == 1
    assert "2 created, 0 updated, 0 unchanged, 6 rejected" in result.output
    for line, code, field in MIXED_REJECTED:
        assert f"line {line} ({code}): {field}: " in result.output
    assert "appears earlier" in result.output
    assert "341002003000" in result.output  # the prefix message names the township
    assert row_counts()["communities"] == before + 2
    good = community("341002003001")
    assert (good.name, good.kind, good.population, good.households) == ("昱西一社区", "community", 3000, 1000)
    assert (good.lat, good.lng) == (29.712, 118.29)
    assert good.township.code == "341002003000" and good.circle.key == "chengxi"
    village = community("341002102001")
    assert (village.kind, village.lat, village.circle.key) == ("village", None, "chengxi")
    for _, code, _ in MIXED_REJECTED[:-1]:
        assert community(code) is None


def test_import_report_from_the_service(places):
    report = import_communities(MIXED)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [(r["line"], r["code"], r["field"]) for r in report.rejected] == MIXED_REJECTED
    assert all(r["message"] for r in report.rejected)
    assert report.as_dict()["rejected"] == report.rejected


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("341002003004,,community,341002003000,,,,", "name"),
        ("341002003004,经度错,community,341002003000,29.7,181,,", "lng"),
        ("341002003004,经度错,community,341002003000,29.7,100.5,,", "lng"),
        ("341002003004,只有纬度,community,341002003000,29.7,,,", "lng"),
        ("341002003004,只有经度,community,341002003000,,118.3,,", "lat"),
        ("341002003004,非数字,community,341002003000,north,118.3,,", "lat"),
        ("341002003004,非数,community,341002003000,nan,118.3,,", "lat"),
        ("341002003004,无穷,community,341002003000,29.7,inf,,", "lng"),
        ("341002003004,人口错,community,341002003000,,,many,", "population"),
        ("341002003004,户数负,community,341002003000,,,,-3", "households"),
        ("341002003004,人口小数,community,341002003000,,,12.5,", "population"),
        (",无代码,community,341002003000,,,,", "code"),
        ("341002003000,街道本身,community,341002003000,,,,", "code"),
    ],
)
def test_import_rejects_each_bad_cell(places, row, field):
    before = row_counts()["communities"]
    report = import_communities(HEADER + row + "\n")
    assert [(r["line"], r["field"]) for r in report.rejected] == [(2, field)]
    assert report.created == 0
    assert row_counts()["communities"] == before


def test_import_reports_true_line_numbers_past_blank_lines(places):
    text = (
        HEADER
        + "341002003001,昱西一社区,community,341002003000,,,,\n\n\n"
        + "bad,坏,community,341002003000,,,,\n"
    )
    report = import_communities(text)
    assert report.created == 1
    assert [(r["line"], r["field"]) for r in report.rejected] == [(5, "code")]


def test_reimport_updates_instead_of_duplicating(runner, places, tmp_path):
    first = HEADER + (
        "341002003001,昱西一社区,community,341002003000,29.7120,118.2900,3000,1000\n"
        "341002003002,昱西二社区,community,341002003000,29.7130,118.2910,2000,700\n"
    )
    assert runner.invoke(args=["import-communities", str(write_csv(tmp_path, first))]).exit_code == 0
    before = row_counts()
    second = HEADER + (
        "341002003001,昱西一社区,community,341002003000,29.7120,118.2900,3100,1050\n"
        "341002003002,昱西二社区,community,341002003000,29.7130,118.2910,2000,700\n"
    )
    result = runner.invoke(args=["import-communities", str(write_csv(tmp_path, second, "again.csv"))])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 1 unchanged, 0 rejected" in result.output
    assert row_counts() == before
    assert (community("341002003001").population, community("341002003001").households) == (3100, 1050)
    # The fixture's own communities, imported again, are unchanged rows, not new ones.
    report = import_communities(
        HEADER + "341002002001,昱中一社区,community,341002002000,29.7170,118.3190,6000,2000\n"
    )
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert row_counts() == before


def test_reimport_keeps_residents_attached(places, make_resident):
    resident = make_resident("341002002001")
    community_id = community("341002002001").id
    report = import_communities(
        HEADER + "341002002001,昱中第一社区,community,341002002000,29.7170,118.3190,6100,2000\n"
    )
    assert report.updated == 1
    assert community("341002002001").id == community_id
    assert community("341002002001").name == "昱中第一社区"
    assert db.session.get(type(resident), resident.id).community_id == community_id


@pytest.mark.parametrize(
    "text",
    [
        "code,name,kind\n341002003001,昱西一社区,community\n",
        "",
        "341002003001,昱西一社区,community,341002003000,,,,\n",
    ],
)
def test_import_without_the_header_is_a_clear_error(runner, places, tmp_path, text):
    before = row_counts()
    result = runner.invoke(args=["import-communities", str(write_csv(tmp_path, text))])
    assert result.exit_code == 1
    assert "Missing column(s)" in result.output
    assert "township_code" in result.output
    assert "Traceback" not in result.output
    assert row_counts() == before


def test_import_header_error_names_the_missing_columns(places):
    from app.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        import_communities("code,name,kind,township_code\n")
    assert caught.value.code == "import_header_invalid"
    assert caught.value.field == "file"
    assert "lat, lng, population, households" in caught.value.message


def test_import_reads_a_byte_order_mark_and_excel_gbk(runner, places, tmp_path):
    bom = "\ufeff" + HEADER + "341002003001,昱西一社区,community,341002003000,,,,\n"
    result = runner.invoke(args=["import-communities", str(write_csv(tmp_path, bom, "bom.csv"))])
    assert result.exit_code == 0, result.output
    gbk = HEADER + "341002102001,黎阳一村,village,341002102000,,,,\n"
    result = runner.invoke(args=["import-communities", str(write_csv(tmp_path, gbk, "gbk.csv", "gbk"))])
    assert result.exit_code == 0, result.output
    assert community("341002003001").name == "昱西一社区"
    assert community("341002102001").name == "黎阳一村"


def test_import_of_a_missing_file(runner, places, tmp_path):
    result = runner.invoke(args=["import-communities", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
