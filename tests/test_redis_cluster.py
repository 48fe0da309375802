"""The Redis-using code paths against a real Redis Cluster (REDIS_URL=redis+cluster://...).

Real backend only: a local 3-primary + 3-replica cluster is started by scripts/redis-cluster.sh
on 127.0.0.1:7100-7105 for this module and stopped after it; queues stay on TEST_REDIS_URL
(RQ cannot run on a cluster). Every multi-key command, Lua script and pipeline must keep to
one slot (hash tags), or the cluster answers CROSSSLOT and these tests fail.
"""

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis.cluster import RedisCluster

from app import create_app
from app.extensions import GuardedRedisCluster, db, get_redis, redis_connections
from app.models import CheckIn, Job
from app.services.grid import unmet
from app.services.jobs.search import board as job_board
from app.services.jobs.search import geo_index
from app.services.people import throttle
from tests.conftest import PASSWORD, _config
from tests.support import check_in, error_of, found, offset

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "redis-cluster.sh"
CLUSTER_URL = "redis+cluster://127.0.0.1:7100"
CITY = ("city_admin", "city", "341000000000")
YUZHONG = (29.716, 118.318)


@pytest.fixture(scope="module")
def cluster(backend, tmp_path_factory):
    """Start the local cluster for this module (real backend only); stop it afterwards."""
    if backend == "embedded":
        pytest.skip("Redis Cluster tests need --backend=real (the embedded backend is fakeredis)")
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("redis-server and redis-cli are needed to start a local Redis Cluster")
    data = tmp_path_factory.mktemp("redis-cluster")
    started = subprocess.run(
        [str(SCRIPT), "start", str(data)], capture_output=True, text=True, timeout=60, check=False
    )
    assert started.returncode == 0, started.stderr + started.stdout
    yield data
    subprocess.run([str(SCRIPT), "stop", str(data)], capture_output=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def _built_app(cluster, schema, redis_url, fake_wechat):
    """The app with REDIS_URL on the cluster and QUEUE_REDIS_URL on the ordinary test Redis."""
    config = {**_config(schema, redis_url, fake_wechat), "REDIS_URL": CLUSTER_URL}
    app = create_app("testing", config)
    assert isinstance(app.extensions["redis"], GuardedRedisCluster)
    assert not isinstance(app.extensions["queue_redis"], RedisCluster)
    return app, dict(app.config), dict(app.extensions)


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


def test_the_app_talks_to_the_cluster_and_healthz_pings_it(app, client):
    assert app.extensions["redis"].health_client is not None
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()


def test_queue_redis_url_on_a_cluster_refuses_to_start(app):
    config = dict(app.config, REDIS_URL=CLUSTER_URL, QUEUE_REDIS_URL=CLUSTER_URL)
    with pytest.raises(RuntimeError, match="QUEUE_REDIS_URL"):
        redis_connections.init_app(type("App", (), {"config": config, "extensions": {}})())


def test_nearby_search_finds_published_jobs_and_follows_their_changes(app, client, make_employer, make_job):
    _, employer = make_employer()
    near = make_job(employer, lat=offset(north_m=200)["lat"], lng=offset(north_m=200)["lng"])
    far = make_job(employer, kind="gig", lat=offset(north_m=900)["lat"], lng=offset(north_m=900)["lng"])

    assert found(client, radius=3000) == [near, far]
    assert found(client, radius=3000, kind="gig") == [far]
    # The board's change log: one Lua script over the {board} keys (the first search rebuilt the
    # empty index, whose catch-up noted both jobs again).
    connection = get_redis()
    assert connection.zcard(job_board.CHANGES) == 2
    assert int(connection.get(job_board.VERSION)) >= 2

    job = db.session.get(Job, near)
    job.status = "closed"
    db.session.commit()
    geo_index.sync_job(job)
    assert found(client, radius=3000) == [far]


def test_a_lost_geo_index_is_rebuilt_and_swapped_in(app, client, make_employer, make_job):
    _, employer = make_employer()
    job_id = make_job(employer)
    get_redis().flushdb()  # a cluster restarted without persistence

    assert found(client, radius=3000) == [job_id]
    connection = get_redis()
    assert connection.exists(geo_index.READY)
    assert connection.zscore(geo_index.JOBS_ALL, str(job_id)) is not None
    assert not list(connection.scan_iter("*:rebuild"))
    assert connection.get(job_board.GENERATION) is not None


def test_two_check_ins_at_one_station_get_numbers_one_and_two(client, admin, wechat_login):
    station = client.post(
        "/api/v1/stations",
        json={"name": "昱中就业服务站", "circle": "341002-chengzhong", "lat": YUZHONG[0], "lng": YUZHONG[1]},
        headers=admin,
    )
    assert station.status_code == 201, station.get_json()
    links = client.post(f"/api/v1/stations/{station.get_json()['id']}/page-links", headers=admin)
    qr_url = links.get_json()["qr_url"]

    numbers = []
    for _ in range(2):
        response = check_in(client, wechat_login()[1], qr_url)
        assert response.status_code in (200, 201), response.get_json()
        numbers.append(response.get_json()["queue_number"])

    assert numbers == [1, 2]
    assert sorted(db.session.scalars(sa.select(CheckIn.queue_number))) == [1, 2]


def test_failed_logins_lock_the_account_through_the_throttle_script(app, client, make_staff):
    make_staff("district_admin", "district", "341002000000", username="tunxi-admin")
    body = {"username": "tunxi-admin", "password": "not-the-password"}
    answers = [client.post("/api/v1/auth/login", json=body) for _ in range(app.config["LOGIN_MAX_FAILURES"])]

    assert [a.status_code for a in answers] == [401] * 4 + [429]
    assert error_of(answers[-1])["code"] == "account_locked"
    right = client.post("/api/v1/auth/login", json={**body, "password": PASSWORD})
    assert right.status_code == 429
    stored = [key.decode() for key in get_redis().scan_iter("login:*")]
    assert stored and all("{throttle}" in key for key in stored)


def test_a_right_password_gives_the_throttle_slot_back(app, client, make_staff):
    make_staff("district_admin", "district", "341002000000", username="tunxi-admin")
    reservation = throttle.reserve("tunxi-admin", "127.0.0.1")
    throttle.succeeded(reservation)
    assert (
        client.post("/api/v1/auth/login", json={"username": "tunxi-admin", "password": PASSWORD}).status_code
        == 200
    )


def test_statistics_are_cached_on_the_cluster(app, client, staff_headers):
    app.config["STATS_CACHE_SECONDS"] = 60
    _, headers = staff_headers(*CITY)
    first = client.get("/api/v1/stats/people", headers=headers)
    assert first.status_code == 200, first.get_json()

    keys = [key.decode() for key in get_redis().scan_iter("stats:*:people:city:*")]
    assert len(keys) == 1
    assert client.get("/api/v1/stats/people", headers=headers).get_json() == first.get_json()


def test_checklist_tokens_and_sets_of_several_communities_are_read_together(app):
    def query(communities, column, place, today):
        return sa.text("SELECT 1, 10, 29.7, 118.3, NULL UNION ALL SELECT 2, 20, NULL, NULL, '某路1号'")

    scope = ("township_id", 1)
    entries = unmet._through_cache(get_redis(), [1, 2, 3], scope, date(2026, 12, 6), query)
    again = unmet._through_cache(get_redis(), [1, 2, 3], scope, date(2026, 12, 6), query)

    assert entries == again and all(entry is not None for entry in entries)
    assert [list(unmet._unpack(entry).ids) for entry in again] == [[10], [20], []]


def test_a_phone_binding_uses_the_wechat_token_cache_and_lock(client, wechat_login, fake_wechat, places):
    _, headers, codes = wechat_login(phone="13812345678")
    bound = client.post("/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers)
    assert bound.status_code == 200, bound.get_json()
    assert bound.get_json()["phone"] == "138****5678"
    assert any(key.startswith(b"wechatpy") for key in get_redis().scan_iter("wechatpy*"))

    fake_wechat.expire_tokens()  # the cached token is refused: refreshed once, under the lock
    _, headers, codes = wechat_login(phone="13912345678")
    again = client.post("/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers)
    assert again.status_code == 200, again.get_json()


def test_with_every_node_down_search_and_statistics_still_answer(
    app, client, cluster, make_employer, make_job, staff_headers
):
    # Last in this module: it stops the cluster (the fixture's stop then finds nothing to stop).
    _, employer = make_employer()
    job_id = make_job(employer)
    _, headers = staff_headers(*CITY)
    subprocess.run([str(SCRIPT), "stop", str(cluster)], capture_output=True, timeout=30, check=True)

    assert found(client, radius=3000) == [job_id]  # from the database, the breaker now open
    assert client.get("/api/v1/stats/people", headers=headers).status_code == 200
    assert client.get("/healthz").status_code == 503
