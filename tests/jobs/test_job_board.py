"""The job board: nearby search from each process's memory, kept fresh through Redis.

Search behaviour on the board is tested with the GEO path in test_search.py (every test runs
on both); here: that the board's pages are the GEO path's byte for byte, and how a board
catches up with changes made in other processes, trimmed logs, lost notes and lost Redis.
"""

from datetime import timedelta

import pytest

from app.api.jobs import render_summaries
from app.extensions import db
from app.models import Job, utcnow
from app.services.jobs.search import board as job_board
from app.services.jobs.search import geo_index
from tests.support import CENTER, found, offset, search, set_job


@pytest.fixture
def boss(make_employer):
    """Return the headers of one verified employer at CENTER."""
    return make_employer()[1]


def other_process(app) -> job_board.JobBoard:
    """Return a board as another worker process would have it: its own copy, loaded now."""
    board = job_board.JobBoard(render_summaries)
    assert geo_index.ensure_built()
    assert board.sync(600, geo_index.READY)
    return board


def ids_of(board: job_board.JobBoard, radius_m: float = 3000, **filters) -> list[int]:
    """Return the job ids a board finds around CENTER, nearest first."""
    hits = board.nearest(job_board.Filters(*CENTER, radius_m, **filters), needed=100)
    return [int(fragment.split(b'"id":')[1].split(b",")[0]) for fragment, _ in hits]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "gig"},
        {"category": "catering", "wage_min": 3500},
        {"radius_m": 1200, "per_page": 3},
        {"page": 2, "per_page": 4},
        {"radius_m": 50000, "per_page": 100},
    ],
)
def test_board_pages_equal_the_geo_paths_byte_for_byte(app, client, boss, make_job, params):
    kinds, categories = ["regular", "gig", "part_time"], ["catering", "tea_processing", "retail"]
    for n in range(12):
        make_job(
            boss,
            title=f"岗位{n}“引号”",
            kind=kinds[n % 3],
            category=categories[n % 3],
            wage_min=2500 + 100 * n,
            wage_max=3000 + 150 * n,
            address=f"屯溪区老街{n}号",
            **offset(north_m=37 * n - 150, east_m=(-1) ** n * 91 * n),
        )
    board_page = search(client, **params)
    app.config["JOB_BOARD"] = False
    geo_page = search(client, **params)
    assert board_page.status_code == geo_page.status_code == 200
    assert board_page.get_json() == geo_page.get_json()
    assert board_page.headers["Content-Type"] == geo_page.headers["Content-Type"]


def test_a_change_in_another_process_reloads_only_that_job(app, client, boss, make_job, monkeypatch):
    first, second = make_job(boss, **offset(north_m=100)), make_job(boss, **offset(north_m=200))
    board = other_process(app)
    assert ids_of(board) == [first, second]
    loaded = []
    original = board._entries
    monkeypatch.setattr(
        board, "_entries", lambda session, ids: loaded.append(sorted(ids)) or original(session, ids)
    )

    assert client.post(f"/api/v1/jobs/{first}/close", headers=boss).status_code == 200
    third = make_job(boss, **offset(north_m=50))
    board.sync(600, geo_index.READY)

    assert ids_of(board) == [third, second]
    assert len(loaded) == 1, "the two changed jobs come in one query, not a full reload"
    assert loaded == [sorted([first, third])]


def test_a_board_that_fell_behind_the_trimmed_log_reloads_in_full(app, boss, make_job, monkeypatch):
    monkeypatch.setattr(job_board, "CHANGES_KEPT", 2)
    first = make_job(boss, **offset(north_m=100))
    board = other_process(app)
    later = [make_job(boss, **offset(north_m=200 + 10 * n)) for n in range(3)]
    assert app.extensions["redis"].zcard(job_board.CHANGES) == 2
    full_loads = []
    original = board._load_all
    monkeypatch.setattr(board, "_load_all", lambda *args: full_loads.append(args) or original(*args))

    board.sync(600, geo_index.READY)

    assert ids_of(board) == [first, *later]
    assert len(full_loads) == 1


def test_a_version_redis_lost_makes_the_board_reload_in_full(app, boss, make_job):
    first, second = make_job(boss, **offset(north_m=100)), make_job(boss, **offset(north_m=200))
    board = other_process(app)
    assert board.version > 0 and ids_of(board) == [first, second]
    set_job(first, status="closed")  # behind the index's back
    app.extensions["redis"].delete(job_board.VERSION)  # evicted, say

    assert board.sync(600, geo_index.READY)

    assert ids_of(board) == [second] and board.version == 0


def test_many_changes_fold_into_the_columns(app, boss, make_job, monkeypatch):
    monkeypatch.setattr(job_board, "OVERLAY_LIMIT", 2)
    board = other_process(app)
    jobs = [make_job(boss, **offset(north_m=100 * (n + 1))) for n in range(5)]
    board.sync(600, geo_index.READY)
    assert board._overlay == {} and len(board) == 5
    assert ids_of(board) == jobs
    assert ids_of(board, radius_m=250) == jobs[:2]


def test_redis_losing_everything_makes_the_board_reload(app, client, boss, make_job):
    job_id = make_job(boss, **offset(north_m=100))
    assert found(client) == [job_id]
    set_job(job_id, status="closed")  # behind the index's back, as if its note were lost
    assert found(client) == [job_id]

    app.extensions["redis"].flushdb()

    assert found(client) == []
    assert app.extensions["redis"].exists("geo:ready")


def test_a_lost_note_is_right_again_after_the_recheck_period(app, client, boss, make_job):
    job_id = make_job(boss, **offset(north_m=100))
    other = make_job(boss, **offset(north_m=200))
    assert found(client) == [job_id, other]
    set_job(job_id, status="closed")  # behind the index's back, as if its note were lost
    assert found(client) == [job_id, other]

    app.config["JOB_BOARD_RECHECK_SECONDS"] = 0

    assert found(client) == [other]


def test_a_job_leaves_the_board_when_its_time_runs_out(app, client, boss, make_job, monkeypatch):
    job_id = make_job(boss, valid_until=(utcnow() + timedelta(hours=1)).isoformat(), **offset(north_m=100))
    assert found(client) == [job_id]
    monkeypatch.setattr(job_board, "utcnow", lambda: utcnow() + timedelta(hours=2))
    assert found(client) == []


def test_text_search_does_not_use_the_board(app, client, boss, make_job):
    job_id = make_job(boss, title="茶艺师", **offset(north_m=100))
    assert found(client) == [job_id]  # the board has loaded it
    set_job(job_id, title="茶艺师（已改）")  # only the database knows
    assert search(client, q="已改").get_json()["items"][0]["job"]["title"] == "茶艺师（已改）"
    assert search(client).get_json()["items"][0]["job"]["title"] == "茶艺师"


def test_the_index_rebuild_starts_a_new_generation(app, runner, boss, make_job):
    make_job(boss, **offset(north_m=100))
    board = other_process(app)
    generation = board.generation
    db.session.commit()
    assert runner.invoke(args=["rebuild-geo-index"]).exit_code == 0
    assert app.extensions["redis"].get(job_board.GENERATION) not in (None, generation)
    board.sync(600, geo_index.READY)
    assert board.generation == app.extensions["redis"].get(job_board.GENERATION)


def test_between_syncs_only_this_processs_own_changes_show_at_once(app, client, boss, make_job):
    app.config["JOB_BOARD_SYNC_SECONDS"] = 60
    first, second = make_job(boss, **offset(north_m=100)), make_job(boss, **offset(north_m=200))
    assert found(client) == [first, second]

    # Another process closes the first job: the database and the Redis note, nothing here.
    set_job(first, status="closed")
    app.extensions["redis"].register_script(job_board._NOTE_CHANGES)(
        keys=[job_board.VERSION, job_board.CHANGES, job_board.FLOOR], args=[job_board.CHANGES_KEPT, first]
    )
    assert found(client) == [first, second], "asked Redis less than 60 s ago"

    # This process closes the second one: its own board catches up in the next search.
    assert client.post(f"/api/v1/jobs/{second}/close", headers=boss).status_code == 200
    assert found(client) == []


def test_note_changes_counts_versions_and_files_ids(app):
    connection = app.extensions["redis"]
    assert job_board.note_changes(connection, [7, 8]) == 1
    assert job_board.note_changes(connection, [8]) == 2
    assert connection.zrange(job_board.CHANGES, 0, -1, withscores=True) == [(b"7", 1.0), (b"8", 2.0)]
    assert geo_index.jobs_key(None) == geo_index.JOBS_ALL  # the GEO sets are untouched by notes
    assert not connection.exists(geo_index.JOBS_ALL)


def test_jobs_in_the_board_hold_the_columns_search_shows(app, boss, make_job):
    job_id = make_job(boss, wage_min=150, wage_max=200, wage_unit="day", kind="gig", **offset(north_m=100))
    board = other_process(app)
    job = db.session.get(Job, job_id)
    assert ids_of(board, kind="gig", wage_min=4350) == [job_id]
    assert ids_of(board, kind="gig", wage_min=4351) == []
    assert ids_of(board, kind="regular") == []
    assert job.monthly_wage_max == 4350
