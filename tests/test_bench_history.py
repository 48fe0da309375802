"""The console's history generator at mini scale: a year of snapshots and a month of work, rerunnable."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Application, CheckIn, Job, LedgerSnapshot, Push, QueueCounter, Visit
from bench import generate_history
from bench.generate import build


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_history_fills_every_dashboard_and_reruns_in_place(app):
    _, manifest = build("mini", seed=3)
    report = generate_history.build("mini", 3, manifest)
    counts = report["counts"]
    db.session.commit()

    # Twelve months of snapshots per community, past months frozen.
    months = db.session.scalars(sa.select(LedgerSnapshot.month).distinct()).all()
    assert len(months) == 12
    assert _count(LedgerSnapshot) == 12 * manifest["communities"]

    # Check-ins, each station-day a gap-free queue with its counter; visits skip the dense worker.
    assert counts["check_ins"] == _count(CheckIn) > 1000
    assert db.session.scalar(sa.select(sa.func.sum(QueueCounter.last))) == counts["check_ins"]
    assert _count(Visit) == counts["visits"] > 0
    assert _count(Visit, Visit.worker_id == manifest["grid_worker"]["account_id"]) == 0
    assert _count(Job, Job.status == "expired") > 0
    assert _count(Application) == counts["applications"] > 0
    assert _count(Push) == counts["pushes"] > 0

    # A second run replaces the first one's rows rather than adding to them.
    again = generate_history.build("mini", 3, manifest)
    db.session.commit()
    assert again["counts"] == counts
    assert _count(CheckIn) == counts["check_ins"]
    assert _count(LedgerSnapshot) == 12 * manifest["communities"]
