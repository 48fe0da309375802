"""The demo's notices (`flask demo-data`): published through the two-person review, one in review, once."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Notice

DEMO_PASSWORD = "demo-password-for-tests"


def test_demo_data_publishes_the_demo_notices_once(app, client, runner, places, fake_wechat, login):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    first = runner.invoke(args=["demo-data"])
    again = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output

    notices = db.session.scalars(sa.select(Notice).order_by(Notice.id)).all()
    assert [n.status for n in notices] == ["published", "published", "published", "in_review"]
    assert all(n.reviewer_id != n.author_id for n in notices if n.status == "published")
    grid_worker = login("demo-grid-worker", DEMO_PASSWORD)
    mine = client.get("/api/v1/notices/mine", headers=grid_worker).get_json()
    assert [item["title"] for item in mine["items"]] == ["网格员入户走访业务培训"]
    # The circle's notice waits for an admin over the circle: the district's, not the township's.
    waiting = [n for n in notices if n.status == "in_review"][0]
    assert waiting.place_kind == "circle"
