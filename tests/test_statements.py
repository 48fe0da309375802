"""Statements built once and run on the session's connection see what the session holds unflushed."""

from app.extensions import db
from app.models import Account, ConsentRecord, Role
from app.services.people.consent_documents import current_documents
from app.services.people.consents import pending


def test_a_gated_read_sees_answers_added_in_the_same_transaction(app):
    account = Account(role=Role.resident.value, openid="statements-1")
    db.session.add(account)
    db.session.flush()
    assert pending(account.id) == ["service_agreement", "privacy_notice", "sensitive_data"]
    db.session.add_all(
        ConsentRecord(
            account_id=account.id,
            document_id=document.id,
            purpose=document.purpose,
            version=document.version,
            action="accepted",
        )
        for document in current_documents().values()
    )
    # Not flushed: the gate's statement runs on the connection, after the session's autoflush.
    assert pending(account.id) == []
