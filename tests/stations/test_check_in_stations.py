"""The station a check-in reads: its code's version and its closing seen at once, other edits by updated_at.

"Elsewhere" is another API process: its write reaches this one only through the database, so
these tests write with plain SQL, which fires none of this process's mapper events.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Station
from app.services.stations import check_in_stations
from tests.stations.test_check_ins import CITY, STATIONS, bulk_residents, make_station, printed_url
from tests.support import check_in


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


@pytest.fixture
def station(client, admin) -> dict:
    """A station whose printed code was scanned once, so this process keeps its copy."""
    body = make_station(client, admin, name="昱中就业服务站")
    body["qr_url"] = printed_url(client, admin, body["id"])
    first = check_in(client, bulk_residents(1)[0], body["qr_url"])
    assert first.status_code == 201, first.get_json()
    assert body["id"] in check_in_stations._kept
    return body


def edit_elsewhere(station_id: int, moved_s: int = 0, **values) -> None:
    """Change a station as another process would (plain SQL, no mapper event), committed.

    `updated_at` moves by `moved_s` seconds from what it was (0: an edit within the same second).
    """
    table = Station.__table__
    stamp = db.session.scalar(sa.select(table.c.updated_at).where(table.c.id == station_id))
    values["updated_at"] = stamp + timedelta(seconds=moved_s)
    db.session.execute(sa.update(table).where(table.c.id == station_id).values(**values))
    db.session.commit()


def test_a_code_replaced_elsewhere_is_refused_at_once(client, station):
    edit_elsewhere(station["id"], qr_version=Station.__table__.c.qr_version + 1)
    response = check_in(client, bulk_residents(1)[0], station["qr_url"])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "token_revoked"


def test_a_station_closed_elsewhere_is_refused_at_once(client, station):
    edit_elsewhere(station["id"], is_active=False)
    response = check_in(client, bulk_residents(1)[0], station["qr_url"])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "station_inactive"


def test_an_edit_elsewhere_shows_once_updated_at_moves(client, station):
    edit_elsewhere(station["id"], moved_s=1, name="昱中站（新址）")
    response = check_in(client, bulk_residents(1)[0], station["qr_url"])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["station"]["name"] == "昱中站（新址）"


def test_an_edit_elsewhere_in_the_same_second_shows_within_kept_seconds(client, station, monkeypatch):
    edit_elsewhere(station["id"], name="昱中站（新址）")  # updated_at as it was: the copy still serves
    kept = check_in(client, bulk_residents(1)[0], station["qr_url"])
    assert kept.get_json()["station"]["name"] == "昱中就业服务站"
    later = check_in_stations.time.monotonic() + check_in_stations.KEPT_SECONDS + 1
    monkeypatch.setattr(check_in_stations.time, "monotonic", lambda: later)
    response = check_in(client, bulk_residents(1)[0], station["qr_url"])
    assert response.get_json()["station"]["name"] == "昱中站（新址）"


def test_an_edit_in_this_process_shows_at_once(client, admin, station):
    edited = client.patch(f"{STATIONS}/{station['id']}", json={"name": "昱中站（新址）"}, headers=admin)
    assert edited.status_code == 200, edited.get_json()
    assert station["id"] not in check_in_stations._kept
    response = check_in(client, bulk_residents(1)[0], station["qr_url"])
    assert response.get_json()["station"]["name"] == "昱中站（新址）"


def test_no_such_station_keeps_nothing(app):
    with app.app_context():
        assert check_in_stations.station(10**9) is None
    assert 10**9 not in check_in_stations._kept
