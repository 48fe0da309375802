"""Fixtures: the app on SQLite + fakeredis (embedded) or MariaDB + Redis (real), fake WeChat, factories.

`pytest --backend=embedded` (the default) uses a temporary SQLite file and fakeredis;
`pytest --backend=real` uses TEST_DATABASE_URL and TEST_REDIS_URL. Either way the schema
comes from the Alembic migrations, and every test starts from empty tables and Redis.
"""

import itertools
import os
import socket
import threading
import uuid
from typing import NamedTuple

import pytest
import requests
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from app.api.jobs import render_summaries
from app.common.identity import id_check_character
from app.config import Config
from app.extensions import db
from app.models import Account
from app.services.jobs.search.board import JobBoard
from app.services.stations import check_in_stations
from app.wechat.fake import create_fake_wechat, long_term_ids

APPID, SECRET = "wxtest00000000appid", "test-wechat-secret"
PASSWORD = "correct-horse-battery"
ME, RESUME, SUBSCRIPTIONS = "/api/v1/me", "/api/v1/me/resume", "/api/v1/me/subscriptions"
JOB_MATCH_TEMPLATE = "tmpl-job-match"
TEST_COMMUNITIES = """code,name,kind,township_code,lat,lng,population,households
341002002001,昱中一社区,community,341002002000,29.7170,118.3190,6000,2000
341002002002,昱中二社区,community,341002002000,29.7150,118.3170,5000,1800
341002004001,老街一社区,community,341002004000,29.7100,118.3050,4000,1500
341002001001,昱东一社区,community,341002001000,29.7230,118.3390,7000,2500
341003100001,黄山区一村,village,341003100000,30.2700,118.1400,900,300
"""


def pytest_addoption(parser):
    """Add --backend=embedded|real."""
    parser.addoption(
        "--backend",
        default="embedded",
        choices=("embedded", "real"),
        help="embedded: SQLite + fakeredis; real: TEST_DATABASE_URL + TEST_REDIS_URL",
    )


@pytest.fixture(scope="session")
def backend(request):
    """Return which backend this run uses."""
    return request.config.getoption("--backend")


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    """Return the test database URL for this run."""
    if backend == "embedded":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit("--backend=real needs TEST_DATABASE_URL", returncode=2)
    return url


@pytest.fixture(scope="session")
def redis_url(backend):
    """Return the test Redis URL (None means fakeredis)."""
    if backend == "embedded":
        return None
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.exit("--backend=real needs TEST_REDIS_URL", returncode=2)
    return url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeWeChat:
    """The fake WeChat server running on a free port, with helpers to act as the phone."""

    def __init__(self):
        self.app = create_fake_wechat(APPID, SECRET, long_term_ids(Config.PUSH_TEMPLATES))
        self.state = self.app.extensions["fake_state"]
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def codes(self, openid: str | None = None, phone: str | None = None) -> dict:
        """Mint a login code and a phone code, as wx.login and getPhoneNumber would."""
        return requests.post(
            self.base_url + "_fake/codes", json={"openid": openid, "phone": phone}, timeout=5
        ).json()

    def expire_tokens(self) -> None:
        """Expire every access token issued so far."""
        requests.post(self.base_url + "_fake/expire-tokens", timeout=5)

    def calls(self, path: str | None = None) -> list:
        """Return the API calls made so far (optionally to one path)."""
        calls = requests.get(self.base_url + "_fake/calls", timeout=5).json()["calls"]
        return [c for c in calls if path is None or c["path"] == path]


@pytest.fixture(scope="session")
def fake_wechat():
    """Run one fake WeChat server for the whole session."""
    fake = FakeWeChat()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


class FakeSms:
    """The fake SMS gateway (app/sms/fake.py) on a free port, with helpers to read and steer it."""

    def __init__(self):
        from app.config import Config
        from app.sms.fake import create_fake_sms, template_texts

        self.app = create_fake_sms(template_texts(Config.SMS_TEMPLATES))
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def sent(self) -> list[dict]:
        """Return the SMS sent so far, oldest first."""
        return requests.get(self.base_url + "_fake/sms", timeout=5).json()["messages"]

    def knobs(self, **knobs) -> None:
        """Set knobs (fail, throttle, undelivered, down, timeout: N sends each), or reset=True."""
        requests.post(self.base_url + "_fake/sms/knobs", json=knobs, timeout=5).raise_for_status()

    def reply(self, phone: str, text: str) -> None:
        """Play a person replying to an SMS."""
        requests.post(self.base_url + "_fake/sms/replies", json={"phone": phone, "text": text}, timeout=5)

    def callbacks(self) -> list[dict]:
        """Take the receipts and replies waiting (each {provider, what, body})."""
        return requests.get(self.base_url + "_fake/sms/callbacks", timeout=5).json()["callbacks"]


@pytest.fixture(scope="session")
def fake_sms_server():
    """Run one fake SMS gateway for the whole session."""
    fake = FakeSms()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def fake_sms(app, fake_sms_server):
    """Point the app's SMS at the fake gateway, emptied, for one test."""
    fake_sms_server.knobs(reset=True)
    app.config["SMS_API_BASE"] = fake_sms_server.base_url
    return fake_sms_server


class FakeProvince:
    """The fake provincial platform (app/province/fake.py) on a free port, with helpers to steer it."""

    def __init__(self):
        from app.province.fake import create_fake_province

        self.app = create_fake_province("hs-test-client", "test-province-secret")
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def held(self) -> dict:
        """Return what the fake holds: records (with deliveries), subjects (keys in order), calls, knobs."""
        return requests.get(self.base_url + "_fake/province/records", timeout=5).json()

    def knobs(self, **knobs) -> None:
        """Set knobs (docs/EXCHANGE.md; "5xx" as **{"5xx": N}), or reset=True."""
        requests.post(self.base_url + "_fake/province/knobs", json=knobs, timeout=5).raise_for_status()

    def seed(self, feed: str, items: list[dict]) -> list[dict]:
        """Add items to a feed the app reads (jobs, key-groups); return them as stamped."""
        response = requests.post(self.base_url + f"_fake/province/{feed}", json={"items": items}, timeout=5)
        return response.json()["items"]


@pytest.fixture(scope="session")
def fake_province_server():
    """Run one fake provincial platform for the whole session."""
    fake = FakeProvince()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def fake_province(app, fake_province_server):
    """Point the app's exchange at the fake province, emptied and switched on, for one test."""
    fake_province_server.knobs(reset=True)
    app.config.update(
        PROVINCE_EXCHANGE=True,
        PROVINCE_API_BASE=fake_province_server.base_url,
        PROVINCE_CLIENT_ID="hs-test-client",
        PROVINCE_SECRET="test-province-secret",
        PROVINCE_TIMEOUT_SECONDS=1.0,
    )
    return fake_province_server


def _config(database_url, redis_url, fake_wechat, storage_dir=None) -> dict:
    return {
        **({"STORAGE_DIR": str(storage_dir)} if storage_dir else {}),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "QUEUE_REDIS_URL": redis_url,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": fake_wechat.base_url,
    }


@pytest.fixture(scope="session")
def schema(database_url, redis_url, fake_wechat):
    """Build the schema once per run from the migrations (dropping leftovers first)."""
    from flask_migrate import upgrade

    app = create_app("testing", _config(database_url, redis_url, fake_wechat))
    with app.app_context():
        with db.engine.begin() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def _built_app(schema, redis_url, fake_wechat):
    """Build the app once (building the OpenAPI document costs a quarter second) with its state."""
    app = create_app("testing", _config(schema, redis_url, fake_wechat))
    return app, dict(app.config), dict(app.extensions)


@pytest.fixture
def app(_built_app, tmp_path):
    """Return the app with its first config and extensions, a clean Redis, its own file storage and exports.

    Tests may change app.config and app.extensions freely: both are put back before the next
    test. Tables are emptied afterwards.
    """
    app, config, extensions = _built_app
    app.config.clear()
    app.config.update(config, STORAGE_DIR=str(tmp_path / "storage"), EXPORT_DIR=str(tmp_path / "exports"))
    app.extensions.clear()
    app.extensions.update(extensions)
    # A job board of its own: the tables emptied after each test are a change no board hears
    # of (production never deletes jobs), and a board answering while Redis is down would show them.
    app.extensions["job_board"] = JobBoard(render_summaries)
    with app.app_context():
        app.extensions["redis"].flushdb()
        if app.extensions["queue_redis"] is not app.extensions["redis"]:
            app.extensions["queue_redis"].flushdb()
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            # InnoDB checks the self-reference row by row: unlink creators before deleting.
            connection.execute(sa.update(Account).values(created_by_id=None))
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()
        # The next test's stations take the same ids, perhaps within the same second.
        check_in_stations.forget()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in an app context of its own.

    As in production, each request then has its own database session, removed (rolled back)
    when the request ends, instead of sharing the session the test itself holds.
    """

    def open(self, *args, **kwargs):
        """Send one request inside a fresh app context."""
        # End the test's own transaction first: its setup becomes visible to the request,
        # and its next read sees what the request committed (MariaDB's REPEATABLE READ
        # would otherwise keep showing the test an older snapshot).
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    """Return a test client (one app context, so one DB session, per request)."""
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner."""
    return app.test_cli_runner()


PLACE_TABLES = (
    "cities",
    "districts",
    "circles",
    "circle_areas",
    "townships",
    "communities",
    "circle_memberships",
)


@pytest.fixture(scope="session")
def _places_snapshot():
    """Hold the place rows seeded by the first test that needs them, for the others to copy."""
    return {}


@pytest.fixture
def places(app, _places_snapshot):
    """Seed the Huangshan places and a few test communities.

    The first test seeds through the services; later tests insert the same rows in one
    statement per table (seeding row by row costs half a second a test).
    """
    from app.services.people.place_import import import_communities, seed_places

    tables = [t for t in db.metadata.sorted_tables if t.name in PLACE_TABLES]
    if not _places_snapshot:
        seed_places()
        report = import_communities(TEST_COMMUNITIES)
        assert not report.rejected, report.rejected
        db.session.commit()
        for table in tables:
            _places_snapshot[table.name] = [dict(row._mapping) for row in db.session.execute(table.select())]
        _places_snapshot["report"] = report
        return report
    with db.engine.begin() as connection:
        for table in tables:
            if _places_snapshot[table.name]:
                connection.execute(table.insert(), _places_snapshot[table.name])
    return _places_snapshot["report"]


_sequence = itertools.count(100)


def make_id_number(birth: str = "19900101", district: str = "341002") -> str:
    """Return a fresh valid ID-card number (GB 11643 check character)."""
    first17 = f"{district}{birth}{next(_sequence) % 1000:03d}"
    return first17 + id_check_character(first17)


@pytest.fixture
def make_staff(app, places):
    """Return a factory: make_staff(role, scope_kind, scope_code, username=None) -> Account."""
    from app.services.people.staff import create_admin

    counter = itertools.count(1)

    def factory(role, scope_kind, scope_code, username=None, password=PASSWORD):
        account, _ = create_admin(
            username or f"{role.replace('_', '-')}-{next(counter)}", password, role, scope_kind, scope_code
        )
        return account

    return factory


@pytest.fixture
def login(client):
    """Return a factory: login(username, password=PASSWORD, totp_code=None) -> Authorization headers.

    An account with TOTP on needs `totp_code` (tests.console.conftest.fresh_code makes one).
    """

    def factory(username, password=PASSWORD, totp_code=None):
        body = {"username": username, "password": password}
        body.update({"totp_code": totp_code} if totp_code is not None else {})
        response = client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return factory


@pytest.fixture
def staff_headers(make_staff, login):
    """Return a factory: staff_headers(role, scope_kind, scope_code) -> (account, headers)."""

    def factory(role, scope_kind, scope_code):
        account = make_staff(role, scope_kind, scope_code)
        return account, login(account.username)

    return factory


@pytest.fixture
def operator(staff_headers):
    """The 城中 circle's operator (its townships 昱中 and 老街): (account, headers)."""
    return staff_headers("operator", "circle", "341002-chengzhong")


@pytest.fixture
def make_resident(app, places):
    """Return a factory that writes a resident straight into the ledger."""
    from app.models import Resident, StatusSource
    from app.services.people.personal_data import set_id_number, set_phone
    from app.services.people.places import community_by_code
    from app.services.people.residents import set_community
    from app.services.people.status import record_status, set_key_groups

    def factory(
        community_code="341002002001",
        name="测试居民",
        id_number=None,
        phone="13812345678",
        status="unemployed",
        key_groups=(),
    ):
        resident = Resident(name=name)
        db.session.add(resident)
        set_id_number(resident, id_number or make_id_number())
        if phone:
            set_phone(resident, phone)
        set_community(resident, community_by_code(community_code) if community_code else None)
        set_key_groups(resident, list(key_groups))
        if status:
            record_status(resident, status, StatusSource.staff)
        db.session.commit()
        return resident

    return factory


def give_consent(*account_ids: int) -> None:
    """Record that accounts accepted every current consent document, as the mini-program's first run does.

    Written straight to the table (no audit event), so tests that count audit rows see only their own.
    """
    from app.models import ConsentRecord
    from app.services.people.consent_documents import current_documents

    documents = current_documents().values()
    db.session.add_all(
        ConsentRecord(
            account_id=account_id,
            document_id=document.id,
            purpose=document.purpose,
            version=document.version,
            action="accepted",
            client_version="test",
        )
        for account_id in account_ids
        for document in documents
    )
    db.session.commit()


@pytest.fixture
def wechat_login(client, fake_wechat):
    """Return a factory: wechat_login(openid=None, phone=None, consent=True) -> (json, headers, codes).

    A new resident has accepted the current consent documents (tests/people/test_consents.py
    pass `consent=False` for one who has not).
    """

    def factory(openid=None, phone=None, consent=True):
        codes = fake_wechat.codes(openid, phone)
        response = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if consent and body.get("is_new") and body["account"]["role"] == "resident":
            give_consent(body["account"]["id"])
        return body, {"Authorization": f"Bearer {body['token']}"}, codes

    return factory


class NewSeeker(NamedTuple):
    """A job seeker made by make_seeker."""

    resident_id: int
    account_id: int
    openid: str
    headers: dict


@pytest.fixture
def make_seeker(client, wechat_login, places):
    """Return a factory: make_seeker(name=…, lat=…, lng=…, accept=False, **résumé) -> NewSeeker.

    A resident logged in through WeChat, with a name, a home and a résumé (open to work unless the
    résumé fields say otherwise); `accept` reports one one-time accept of the job_match template to
    us, as the phone would (the fake WeChat's side of it is `grant` in tests/support.py).
    """

    def factory(name="求职者", lat=29.7165, lng=118.3185, accept=False, **resume):
        body, headers, codes = wechat_login()
        profile = client.patch(ME, json={"name": name, "home_lat": lat, "home_lng": lng}, headers=headers)
        assert profile.status_code == 200, profile.get_json()
        saved = client.put(RESUME, json=resume, headers=headers)
        assert saved.status_code == 200, saved.get_json()
        if accept:
            results = {JOB_MATCH_TEMPLATE: "accept", "errMsg": "ok"}
            report = client.post(
                SUBSCRIPTIONS, json={"client_id": uuid.uuid4().hex, "results": results}, headers=headers
            )
            assert report.status_code == 200, report.get_json()
        return NewSeeker(profile.get_json()["id"], body["account"]["id"], codes["openid"], headers)

    return factory


_credit_sequence = itertools.count(1)


def make_credit_code() -> str:
    """Return a fresh valid unified social credit code (GB 32100 check character)."""
    from app.common.credit_code import check_character

    first17 = f"91341002MA{next(_credit_sequence):07d}"
    return first17 + check_character(first17)


@pytest.fixture
def make_employer(client, wechat_login, places):
    """Return a factory: make_employer(name=…, lat=…, lng=…, verified=True) -> (Employer, headers).

    Registers through the API as a fresh WeChat user; `verified` sets the status directly.
    """
    from app.models import Employer

    def factory(name="黄山测试茶业有限公司", lat=29.7160, lng=118.3180, verified=True, **fields):
        _, headers, _ = wechat_login()
        body = {
            "name": name,
            "credit_code": make_credit_code(),
            "contact_name": "王经理",
            "contact_phone": "13955550000",
            "industry": "tea_processing",
            "size": "small",
            "address": "屯溪区测试路1号",
            "lat": lat,
            "lng": lng,
            **fields,
        }
        response = client.post("/api/v1/employers", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        employer = db.session.get(Employer, response.get_json()["id"])
        if verified:
            employer.status = "verified"
            db.session.commit()
        return employer, headers

    return factory


@pytest.fixture
def make_job(client, app):
    """Return a factory: make_job(employer_headers, publish=True, **fields) -> job id.

    Creates through the API; `publish` puts it straight into search (review has its own tests).
    """
    from app.models import Job
    from app.services.jobs.search import geo_index

    def factory(headers, publish=True, **fields):
        body = {
            "title": "茶叶分拣工",
            "category": "tea_processing",
            "kind": "regular",
            "wage_min": 3000,
            "wage_max": 4500,
            **fields,
        }
        response = client.post("/api/v1/jobs", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        job = db.session.get(Job, response.get_json()["id"])
        if publish:
            job.status = "published"
            job.published_at = job.refreshed_at = job.created_at
            db.session.commit()
            geo_index.sync_job(job)
        return job.id

    return factory


@pytest.fixture
def make_operator(app, places):
    """Return a factory: make_operator(name=…, district="341002", circle_key=None, staff=()) -> Operator.

    Makes an operator with a contract for this year (the district, or one of its circles by key),
    names it on the contract's circles and gives it the staff accounts passed.
    """
    from datetime import date

    from app.common.clock import local_day
    from app.models import Circle, District, Operator, OperatorContract

    counter = itertools.count(1)

    def factory(name=None, district="341002", circle_key=None, staff=(), population=50000, fee_fen=None):
        number = next(counter)
        district_row = db.session.scalars(sa.select(District).where(District.short_code == district)).one()
        operator = Operator(
            name=name or f"测试运营机构{number}",
            credit_code=make_credit_code(),
            city_id=district_row.city_id,
            contact_name="李主任",
        )
        db.session.add(operator)
        db.session.flush()
        circles = db.session.scalars(sa.select(Circle).where(Circle.district_id == district_row.id)).all()
        circle = next(c for c in circles if c.key == circle_key) if circle_key else None
        year = local_day().year
        db.session.add(
            OperatorContract(
                operator_id=operator.id,
                district_id=district_row.id,
                circle_id=circle.id if circle else None,
                starts_on=date(year, 1, 1),
                ends_on=date(year, 12, 31),
                population_served=population,
                fee_fen=fee_fen if fee_fen is not None else population * 80,  # 8,000 yuan per 10,000
            )
        )
        for each in [circle] if circle else circles:
            each.operator_id = operator.id
        for account in staff:
            db.session.get(Account, account.id).operator_id = operator.id
        db.session.commit()
        return operator

    return factory
