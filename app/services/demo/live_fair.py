"""Demo live job fair (直播带岗): an upcoming fair at the 城中 station streamed on WeChat Channels,
presenting three published demo jobs.

Written as rows, found again by its title, so a second run adds nothing.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import PLACE_COLUMN_NAMES, Event, EventJob, Job, Station, visible_clause
from app.services.demo.dates import at_local

TITLE = "演示 屯溪区直播带岗招聘会"
FINDER_ID = "sphTunxiJobFair01"
STATION_CODE = "341002-chengzhong-01"
JOBS_SHOWN = 3


def demo_live_fair() -> int:
    """Add the demo live job fair in three days' time with three published jobs; return 1 if added."""
    station = db.session.scalar(sa.select(Station).where(Station.code == STATION_CODE))
    if station is None or db.session.scalar(sa.select(Event.id).where(Event.title == TITLE)) is not None:
        return 0
    jobs = db.session.scalars(
        sa.select(Job.id)
        .where(visible_clause(), Job.district_id == station.district_id)
        .order_by(Job.id)
        .limit(JOBS_SHOWN)
    ).all()
    day = local_day() + timedelta(days=3)
    event = Event(
        title=TITLE,
        kind="job_fair",
        description="企业负责人在视频号直播间讲岗位、答疑，看中即可在小程序里一键报名。(演示数据)",
        station_id=station.id,
        address=station.address,
        starts_at=at_local(day, 14 * 60),
        ends_at=at_local(day, 16 * 60),
        capacity=500,
        status="scheduled",
        channels_finder_id=FINDER_ID,
        **{name: getattr(station, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(event)
    db.session.flush()
    db.session.add_all(
        EventJob(event_id=event.id, job_id=job_id, position=position) for position, job_id in enumerate(jobs)
    )
    return 1
