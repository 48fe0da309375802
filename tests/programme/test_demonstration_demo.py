"""The demo's demonstration part: last year's rankings (the city's published) and credibility, once."""

from app.extensions import db
from app.models import DemonstrationRanking, EmployerCredibility, Notice
from app.services.demo.demonstration import demo_demonstration


def test_the_demo_ranks_last_year_once(make_staff, make_employer):
    employer, _ = make_employer()
    assert demo_demonstration() == {"credibility": 1}  # no city admin yet: credibility only
    make_staff("city_admin", "city", "341000000000", username="demo-city-admin")

    first = demo_demonstration()
    second = demo_demonstration()

    assert first == {"rankings": 2, "published": 1}
    assert second == {}
    rankings = {r.place_kind: r for r in db.session.scalars(db.select(DemonstrationRanking))}
    assert rankings["district"].status == "computed"
    assert rankings["city"].status == "published" and rankings["city"].selected_count >= 1
    notice = db.session.get(Notice, rankings["city"].notice_id)
    assert notice.status == "published" and "示范社区" in notice.title
    assert db.session.get(EmployerCredibility, employer.id).computed_at is not None
