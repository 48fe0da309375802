"""Demo consents: the app users have accepted the current documents, as at their first run."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, ConsentAction, ConsentRecord, Resident
from app.services.people.consent_documents import current_documents


def demo_consents(users: list[tuple[Account, Resident]]) -> int:
    """Record the acceptance of every current document by the app users who have none; return how many."""
    documents = current_documents()
    answered = set(
        db.session.scalars(
            sa.select(ConsentRecord.account_id).where(ConsentRecord.account_id.in_([a.id for a, _ in users]))
        )
    )
    added = 0
    for account, _ in users:
        if account.id in answered:
            continue
        for document in documents.values():
            db.session.add(
                ConsentRecord(
                    account_id=account.id,
                    document_id=document.id,
                    purpose=document.purpose,
                    version=document.version,
                    action=ConsentAction.accepted.value,
                    client_version="demo",
                )
            )
            added += 1
    db.session.flush()
    return added
