"""The check-in benchmark's residents: logged in as a first WeChat login would, and past the consent gate."""

import uuid

import pymysql
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuthToken, CheckIn, ConsentRecord, Resident, Station
from app.services.people.consents import pending, require_consent
from app.services.people.tokens import hash_token
from bench import baselines
from bench.baselines import FLOOR_QUEUE_KEY
from bench.scenario_checkin import tokens
from tests.stations.test_check_ins import CITY, make_station, printed_url
from tests.support import check_in, new_household


def test_bench_residents_get_a_token_and_the_consent_a_first_run_gives(app, places):
    household = new_household("341002002001", [("unemployed", "19850101"), ("unemployed", "19900101")])
    ids = [member.id for member in household.members]

    issued, created = tokens(ids)
    again, created_again = tokens(ids)

    assert (set(issued), created, created_again) == (set(ids), 2, 0)
    for resident_id in ids:
        account = db.session.get(Resident, resident_id).account
        assert pending(account.id) == []
        require_consent(account)  # a check-in would pass the gate: no 403
    # The second call found the consent given and recorded nothing twice: 2 people × 3 documents.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 6


def test_the_floor_runs_the_check_ins_own_statements_and_writes_its_row(
    app, client, backend, staff_headers, wechat_login, monkeypatch
):
    if backend != "real":
        pytest.skip(
            "the floor is a MariaDB measure: its SQL is compiled for MariaDB and sent through PyMySQL"
        )
    admin = staff_headers(*CITY)[1]
    station = make_station(client, admin)
    url = printed_url(client, admin, station["id"])
    warm, resident, floored = (wechat_login()[1] for _ in range(3))
    monkeypatch.setattr(baselines, "_PLACES", {})
    # Both sides once first: the station's whole row (the check-in) and its places (the floor)
    # are read at a process's first check-in there, and only then.
    assert check_in(client, warm, url).status_code == 201
    assert floor_check_in(app, warm, url).status_code == 201
    sent = []
    execute = pymysql.cursors.Cursor.execute

    def recorded(cursor, query, args=None):
        sent.append(query)
        return execute(cursor, query, args)

    monkeypatch.setattr(pymysql.cursors.Cursor, "execute", recorded)

    assert check_in(client, resident, url).status_code == 201
    checked_in, sent[:] = list(sent), []
    answer = floor_check_in(app, floored, url)

    assert answer.status_code == 201
    assert len(checked_in) == 6 and sent == checked_in  # token, consent, stamp, lock, earlier, INSERT
    rows = db.session.execute(
        sa.select(CheckIn.account_id, CheckIn.station_id, CheckIn.circle_id, CheckIn.queue_number).where(
            CheckIn.queue_key == FLOOR_QUEUE_KEY
        )
    ).all()
    assert [row.queue_number for row in rows] == [1, 2]
    assert {row.station_id for row in rows} == {station["id"]}
    assert [row.account_id for row in rows] == [account_of(warm), account_of(floored)]
    assert rows[1].circle_id == db.session.get(Station, station["id"]).circle_id


def floor_check_in(app, headers: dict, url: str):
    """Send one check-in to the floor's view (the bench app registers it; the test app does not)."""
    body = {"url_or_token": url, "purpose": "consult", "client_id": uuid.uuid4().hex}
    with app.test_request_context("/bench/check-in-floor", method="POST", json=body, headers=headers):
        return baselines.check_in_floor()


def account_of(headers: dict) -> int:
    """Return the account behind a bearer token."""
    token = headers["Authorization"].partition(" ")[2]
    return db.session.scalar(sa.select(AuthToken.account_id).where(AuthToken.token_hash == hash_token(token)))
