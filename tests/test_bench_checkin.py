"""The check-in benchmark's residents: logged in as a first WeChat login would, and past the consent gate."""

import sqlalchemy as sa

from app.extensions import db
from app.models import ConsentRecord, Resident
from app.services.people.consents import pending, require_consent
from bench.scenario_checkin import tokens
from tests.support import new_household


def test_bench_residents_get_a_token_and_the_consent_a_first_run_gives(app, places):
    household = new_household("341002002001", [("unemployed", "19850101"), ("unemployed", "19900101")])
    ids = [member.id for member in household.members]

    issued, created = tokens(ids)
    again, created_again = tokens(ids)

    assert (set(issued), created, created_again) == (set(ids), 2, 0)
    for resident_id in ids:
        account = db.session.get(Resident, resident_id).account
        assert pending(account.id) == []
        require_consent(account)  # a check-in would pass the gate: no 403
    # The second call found the consent given and recorded nothing twice: 2 people × 3 documents.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 6
