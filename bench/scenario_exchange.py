"""Scenario 9: the provincial exchange catching up after an outage (docs/EXCHANGE.md, docs/PERFORMANCE.md).

Runs in-process against the benchmark database and the fake provincial platform (app/province/
fake.py, in a thread here). While the fake is down, `--changes` ledger status changes (default
10,000; 2,000 with --quick) are made through `record_status`, one commit each as requests make
them, by changes/5 residents of its own (BENCH-EX, made here in one community); each writes its
record and enqueues the relay (which a worker would run and find the province down). Then, the
fake back, the relay runs as one worker runs it (`exchange.relay`: batches of PROVINCE_BATCH)
until everything is sent, and the fake is asked what it holds: every record exactly once, in
order per person. `--prepare` first recreates the database, migrates it and seeds the places,
for a database without the generator's data.
"""

import argparse
import threading
import time
from datetime import date, timedelta

import sqlalchemy as sa

from bench.common import DATABASE_URL, bench_app, summary_row, write_result

STATUSES = ("employed", "unemployed", "flexible", "unemployed", "employed")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int) -> str:
    """Return a valid 18-digit ID number (GB 11643 check digit) for a serial: distinct for every serial.

    Registered in 合肥 (340102), where the generator places nobody: a rerun on generated data never
    meets a generated resident's number. The birth day moves on every 1,000 serials from 1970.
    """
    born = date(1970, 1, 1) + timedelta(days=serial // 1000)
    body = f"340102{born:%Y%m%d}{serial % 1000:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _fake_province():
    """Start the fake platform on a free port in a thread; return (state helper, base URL, server)."""
    import logging
    import socket

    from werkzeug.serving import make_server

    from app.province.fake import create_fake_province

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    fake = create_fake_province("hs-bench-client", "bench-province-secret")
    server = make_server("127.0.0.1", port, fake, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/", server


def _prepare() -> None:
    """Recreate, migrate and seed the places of the benchmark database (no generated data)."""
    from bench.generate import recreate_database

    recreate_database(DATABASE_URL)
    app = bench_app()
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import db, get_redis
        from app.services.people.place_import import seed_places

        upgrade()
        get_redis().flushdb()
        seed_places()
        db.session.commit()


def run(scale: str = "tunxi", quick: bool = False, changes: int | None = None) -> dict:
    """Make the changes with the province down, then time the relay catching up; check; write the result."""
    import requests

    changes = changes or (2000 if quick else 10000)
    app = bench_app()
    from app.extensions import db
    from app.models import Community, Resident
    from app.models.exchange import ExchangeRecord
    from app.services.exchange import relay
    from app.services.people.personal_data import set_id_number
    from app.services.people.residents import set_community
    from app.services.people.status import record_status

    base, server = _fake_province()
    # Set here, not through the environment: production refuses the fake's address and secret.
    app.config.update(
        PROVINCE_EXCHANGE=True,
        PROVINCE_API_BASE=base,
        PROVINCE_CLIENT_ID="hs-bench-client",
        PROVINCE_SECRET="bench-province-secret",
    )
    requests.post(base + "_fake/province/knobs", json={"down": True}, timeout=5).raise_for_status()
    with app.app_context():
        first_record = (db.session.scalar(sa.select(sa.func.max(ExchangeRecord.id))) or 0) + 1
        community = db.session.scalars(sa.select(Community).order_by(Community.id)).first()
        # After the earlier runs' people: their ID numbers stay theirs (a run of --repeat 3).
        earlier = db.session.scalar(
            sa.select(sa.func.count()).select_from(Resident).where(Resident.name.like("BENCH-EX%"))
        )
        people = []
        for serial in range(earlier, earlier + changes // len(STATUSES)):
            resident = Resident(name=f"BENCH-EX{serial}")
            db.session.add(resident)
            set_id_number(resident, id_number(serial))
            set_community(resident, community)
            people.append(resident)
        db.session.commit()
        ids = [resident.id for resident in people]
        started = time.perf_counter()
        for status in STATUSES:
            for resident_id in ids:
                record_status(db.session.get(Resident, resident_id), status, "staff")
                db.session.commit()  # one change, one transaction, as a request makes it
        writing = time.perf_counter() - started
        written = db.session.scalar(sa.select(sa.func.count()).where(ExchangeRecord.id >= first_record))

        requests.post(base + "_fake/province/knobs", json={"down": False}, timeout=5).raise_for_status()
        db.session.remove()
        started = time.perf_counter()
        totals = relay.relay()  # as one worker runs exchange.relay
        relaying = time.perf_counter() - started
        ours = db.session.execute(
            sa.select(ExchangeRecord.idempotency_key, ExchangeRecord.subject, ExchangeRecord.status)
            .where(ExchangeRecord.id >= first_record)
            .order_by(ExchangeRecord.id)
        ).all()
    held = requests.get(base + "_fake/province/records", timeout=30).json()
    server.shutdown()
    deliveries = {record["key"]: record["deliveries"] for record in held["records"]}
    by_subject: dict[str, list[str]] = {}
    for key, subject, _ in ours:
        by_subject.setdefault(subject, []).append(key)
    in_order = all(held["subjects"].get(subject) == keys for subject, keys in by_subject.items())
    once = all(deliveries.get(key) == 1 for key, _, _ in ours)
    return write_result(
        "exchange",
        {
            "scale": scale,
            "via": "in-process: record_status one commit each, then relay.relay() as 1 worker",
            "changes": changes,
            "records_written": written,
            "people": len(ids),
            "writing_seconds": round(writing, 2),
            "changes_per_second": round(changes / writing, 1),
            "relay_seconds": round(relaying, 2),
            "records_per_second": round(len(ours) / relaying, 1) if relaying else None,
            "batches": totals["batches"],
            "batch_size": app.config["PROVINCE_BATCH"],
            "all_sent": {status for _, _, status in ours} == {"sent"},
            "delivered_once": once,
            "in_order_per_person": in_order,
        },
    )


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    correct = bool(result["all_sent"] and result["delivered_once"] and result["in_order_per_person"])
    return [
        summary_row("relay catching up after an outage", result["records_per_second"], "records/s"),
        summary_row("ledger changes while the province is down", result["changes_per_second"], "changes/s"),
        summary_row("every record sent once, in order per person", correct, "", "yes", correct),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tunxi")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--changes", type=int)
    parser.add_argument("--prepare", action="store_true", help="recreate, migrate and seed the places first")
    arguments = parser.parse_args()
    if arguments.prepare:
        _prepare()
    run(arguments.scale, arguments.quick, arguments.changes)
