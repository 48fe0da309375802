"""The demo's supervision part: last month's spot-checks with a finding, and the districts' reports, once."""

from app.extensions import db
from app.models import Account, Finding, ProgressReport, SpotCheck, SpotCheckSample
from app.services.demo.supervision import demo_supervision
from tests.programme.supervision_support import CHENGZHONG, cover_last_month, visited_households
from tests.support import count


def test_the_demo_checks_last_month_once(make_staff, make_operator):
    assert demo_supervision() == {}  # no operator yet (the operators' demo runs first)
    supervisor = make_staff("supervisor", "district", "341002000000", username="demo-supervisor")
    manager = make_staff("operator", "circle", "341002-chengzhong", username="demo-operator")
    make_staff("district_admin", "district", "341002000000", username="demo-district-admin")
    worker = make_staff("grid_worker", "circle", "341002-chengzhong")
    operator = make_operator(circle_key="chengzhong", staff=[manager, worker])
    cover_last_month(operator)
    visited_households(CHENGZHONG, worker.id, 6)

    first = demo_supervision()
    second = demo_supervision()

    assert first == {
        "spot_check_samples": 1,
        "spot_check_calls": 4,
        "findings": 1,
        "progress_reports_filed": 1,
        "progress_reports_draft": 1,
    }
    assert second == {}
    assert count(SpotCheckSample) == 1 and count(SpotCheck) == 6
    finding = db.session.scalar(db.select(Finding))
    assert finding.status == "answered" and finding.answered_by_id == manager.id
    assert sorted(db.session.scalars(db.select(ProgressReport.status))) == ["draft", "filed"]
    assert db.session.get(Account, supervisor.id).role == "supervisor"
