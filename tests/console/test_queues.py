"""The task queues page (console/queues.py): counts, workers and failed jobs for the city admin,
requeue and delete (audited), nobody else, never a job's arguments, and a down queue Redis said."""

import socket
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from rq import SimpleWorker, Worker

from app.extensions import RedisBreaker, db, guarded_redis
from app.models import AuditEvent, utcnow
from app.queues import enqueue, get_queue, task
from tests.console.conftest import LOGIN
from tests.console.lists_support import cells, flash_after, page_of, post_action, sign_in_as

PAGE = "/console/queues"
REQUEUE, REQUEUE_ALL, DELETE = (f"{PAGE}/failed/{action}" for action in ("requeue", "requeue-all", "delete"))
PHONE = "13800138000"  # a fake phone number: personal data the page must never show


@task("default")
def wait_here(label: str) -> str:
    """A task that is only ever left waiting on its queue."""
    return label


@task("push")
def fail_for(phone: str) -> None:
    """A task that fails with its argument (a phone number) in the message."""
    raise ValueError(f"no resident with phone {phone}")


@pytest.fixture
def workers_on(app):
    """Keep jobs on their queues (as with workers) instead of running them where enqueued."""
    app.config["RQ_ASYNC"] = True


def run_push_queue(app) -> None:
    """Work the push queue until it is empty, as a worker would."""
    SimpleWorker([get_queue("push")], connection=app.extensions["queue_redis"]).work(burst=True)


def failed_push_job(app) -> str:
    """Enqueue a push task that fails (its argument a phone number), run it, and return its id."""
    job = enqueue("test_queues.fail_for", PHONE)
    run_push_queue(app)
    assert job.id in get_queue("push").failed_job_registry
    return job.id


def audited(action: str) -> list[AuditEvent]:
    """Return the audit events of `action`, oldest first."""
    db.session.commit()
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_a_city_admin_sees_each_queues_counts_the_workers_and_the_failed_jobs_without_their_arguments(
    app, client, console_staff, workers_on
):
    enqueue("test_queues.wait_here", PHONE)
    enqueue("test_queues.wait_here", "later", at=utcnow() + timedelta(hours=1))
    job_id = failed_push_job(app)
    worker = Worker(
        [get_queue("default")], connection=app.extensions["queue_redis"], name="worker-on-default"
    )
    worker.register_birth()
    sign_in_as(client, console_staff, "city_admin")

    html = page_of(client, PAGE)

    assert cells(html, "waiting") == ["1", "0", "0"]  # default, push, exchange
    assert cells(html, "scheduled") == ["1", "0", "0"]
    assert cells(html, "failed") == ["0", "1", "0"]
    assert cells(html, "started") == ["0", "0", "0"]
    oldest = cells(html, "oldest")
    assert oldest[0].endswith("秒前") and oldest[1:] == ["—", "—"]
    assert 'data-key-value="worker-on-default"' in html
    failed = page_of(client, f"{PAGE}?queue=push")
    assert f'data-key-value="{job_id}"' in failed
    assert cells(failed, "func") == ["tests.console.test_queues.fail_for"]
    assert cells(failed, "error") == ["ValueError: no resident with phone …"]
    assert PHONE not in html and PHONE not in failed
    assert "Traceback" not in failed
    assert 'href="/console/queues"' in html  # in the city admin's navigation


def test_requeueing_one_failed_job_puts_it_back_on_its_queue_and_is_audited(
    app, client, console_staff, workers_on
):
    job_id = failed_push_job(app)
    admin = sign_in_as(client, console_staff, "city_admin")
    html = page_of(client, f"{PAGE}?queue=push")
    assert f'name="job_id" value="{job_id}"' in html  # the row's button posts these fields

    response = post_action(client, html, REQUEUE, queue="push", job_id=job_id)

    after = flash_after(client, response)
    assert "已重新排队。" in after
    assert cells(after, "waiting") == ["0", "1", "0"] and cells(after, "failed") == ["0", "0", "0"]
    assert get_queue("push").job_ids == [job_id]
    (event,) = audited("queues.requeue")
    assert (event.actor_id, event.object_id, event.outcome) == (admin.id, job_id, "success")
    assert event.detail == {"queue": "push", "job_id": job_id}
    # Requeued again, the same job is gone from the failed ones: said, and audited as not found.
    again = post_action(client, html, REQUEUE, queue="push", job_id=job_id)
    assert "该失败任务已不存在" in flash_after(client, again)
    assert [e.outcome for e in audited("queues.requeue")] == ["success", "not_found"]


def test_requeueing_all_failed_jobs_of_a_queue_puts_every_one_back_and_is_audited(
    app, client, console_staff, workers_on
):
    first, second = failed_push_job(app), failed_push_job(app)
    sign_in_as(client, console_staff, "city_admin")
    html = page_of(client, f"{PAGE}?queue=push")

    response = post_action(client, html, REQUEUE_ALL, queue="push")

    after = flash_after(client, response)
    assert "已重新排队 2 个失败任务。" in after
    assert sorted(get_queue("push").job_ids) == sorted([first, second])
    (event,) = audited("queues.requeue_all")
    assert event.object_id == "push" and event.detail == {"queue": "push", "count": 2}


def test_deleting_a_failed_job_removes_it_and_is_audited(app, client, console_staff, workers_on):
    job_id = failed_push_job(app)
    admin = sign_in_as(client, console_staff, "city_admin")
    html = page_of(client, f"{PAGE}?queue=push")

    response = post_action(client, html, DELETE, queue="push", job_id=job_id)

    after = flash_after(client, response)
    assert "已删除该失败任务。" in after
    assert cells(after, "failed") == ["0", "0", "0"] and f'data-key-value="{job_id}"' not in after
    assert get_queue("push").fetch_job(job_id) is None
    (event,) = audited("queues.delete")
    assert (event.actor_id, event.object_id) == (admin.id, job_id)


def test_an_action_without_its_csrf_token_is_refused(app, client, console_staff, workers_on):
    job_id = failed_push_job(app)
    sign_in_as(client, console_staff, "city_admin")

    response = client.post(DELETE, data={"queue": "push", "job_id": job_id})

    assert response.status_code in (400, 403)
    assert job_id in get_queue("push").failed_job_registry and audited("queues.delete") == []


@pytest.mark.parametrize("role", ["township_admin", "district_admin", "grid_worker", "supervisor"])
def test_other_staff_may_neither_see_the_queues_nor_act_on_them(app, client, console_staff, workers_on, role):
    job_id = failed_push_job(app)
    sign_in_as(client, console_staff, role)

    html = page_of(client, "/console/account")
    assert page_of(client, PAGE, status=403)
    response = post_action(client, html, DELETE, queue="push", job_id=job_id)

    assert response.status_code == 403
    assert job_id in get_queue("push").failed_job_registry
    assert 'href="/console/queues"' not in html


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and response.location.startswith(LOGIN)


def hung_queue_redis(app) -> socket.socket:
    """Point the queues at a server that accepts connections and never answers (through a breaker)."""
    server = socket.create_server(("127.0.0.1", 0))  # never accepts: the kernel's backlog connects
    url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    app.extensions["queue_redis"] = guarded_redis(url, app.config, RedisBreaker("queue", 5))
    return server


def refused_queue_redis(app) -> None:
    """Point the queues at a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.extensions["queue_redis"] = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)


@pytest.mark.parametrize("outage", ["hung", "refused"])
def test_with_the_queue_redis_down_the_page_says_so_instead_of_failing(app, client, console_staff, outage):
    sign_in_as(client, console_staff, "city_admin")
    html = page_of(client, "/console/account")
    server = hung_queue_redis(app) if outage == "hung" else refused_queue_redis(app)

    try:
        for _ in range(2):  # the second, with the breaker open, the same
            response = client.get(PAGE)
            assert response.status_code == 503
            assert "队列 Redis 暂不可用" in response.get_data(as_text=True)
        action = post_action(client, html, REQUEUE_ALL, queue="push")
    finally:
        if server is not None:
            server.close()

    assert action.status_code == 503 and "队列 Redis 暂不可用" in action.get_data(as_text=True)
    assert audited("queues.requeue_all") == []
