"""The console's exchange page: counts and dead letters for the city and supervisor, resends by the city."""

import sqlalchemy as sa

from app.extensions import db
from app.models.exchange import ExchangeRecord
from tests.support import console_client

PAGE = "/console/exchange"


def dead(subject: str, code: str) -> ExchangeRecord:
    """Write a dead record of a subject with a code."""
    record = ExchangeRecord(
        record_type="person_status",
        action="create",
        subject=subject,
        source_id=1,
        idempotency_key=f"hs-console-{subject}-{code}",
        status="dead",
        last_code=code,
        last_error=f"refused: {code}",
    )
    db.session.add(record)
    db.session.commit()
    return record


def test_the_city_sees_dead_letters_and_resends_one_code(app, make_staff):
    first, other = dead("person:1", "E_ONE"), dead("person:2", "E_TWO")
    client, token = console_client(app, make_staff("city_admin", "city", "341000000000"))
    page = client.get(PAGE).get_data(as_text=True)
    assert 'data-testid="dead-letters"' in page and "E_ONE" in page and "E_TWO" in page
    response = client.post(f"{PAGE}/resend", data={"csrf_token": token, "code": "E_ONE", "note": "已更正"})
    assert response.status_code == 303
    statuses = dict(db.session.execute(sa.select(ExchangeRecord.id, ExchangeRecord.status)).all())
    assert statuses == {first.id: "pending", other.id: "dead"}
    response = client.post(f"{PAGE}/records/{other.id}/resend", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ExchangeRecord, other.id).status == "pending"


def test_the_supervisor_reads_without_resend_buttons_and_others_are_refused(app, make_staff):
    record = dead("person:1", "E_ONE")
    client, token = console_client(app, make_staff("supervisor", "circle", "341002-chengzhong"))
    page = client.get(PAGE)
    assert page.status_code == 200 and "E_ONE" in page.get_data(as_text=True)
    assert "重发" not in page.get_data(as_text=True)
    refused = client.post(f"{PAGE}/records/{record.id}/resend", data={"csrf_token": token})
    assert refused.status_code == 403
    operator, _ = console_client(app, make_staff("operator", "circle", "341002-chengzhong"))
    assert operator.get(PAGE).status_code == 403
    db.session.expire_all()
    assert db.session.get(ExchangeRecord, record.id).status == "dead"
