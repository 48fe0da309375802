"""Demo key-group certifications (重点群体认定): one certified, two waiting for review, one rejected.

Recorded at the counter by the district's demo administrator for demo residents, each with a
small PDF as its evidence; client ids demo-certification-<n> make a second run add nothing.
"""

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from app.common import files
from app.common.clock import local_day
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Certification,
    CertificationEvidence,
    CertificationStatus,
    KeyGroup,
    Resident,
    StatusSource,
    utcnow,
)
from app.services.people.status import add_key_group

AUTHOR = "demo-district-admin"
# (resident name, key group, outcome, graduation year back from this year or None, reason)
DEMO_CERTIFICATIONS = (
    ("张秀英", KeyGroup.hard_to_employ, CertificationStatus.certified, None, None),
    ("杨军", KeyGroup.veteran, CertificationStatus.pending, None, None),
    ("李强", KeyGroup.college_graduate, CertificationStatus.pending, 1, None),
    ("刘洋", KeyGroup.disabled, CertificationStatus.rejected, None, "残疾证照片不清晰，请重新上传"),
)
EVIDENCE = b"%PDF-1.4\n% demo evidence (\xe6\xbc\x94\xe7\xa4\xba\xe8\xaf\x81\xe6\x98\x8e)\n%%EOF\n"


def demo_certifications() -> int:
    """Add the demo certifications that are missing; return how many were added (does not commit)."""
    author = db.session.scalar(sa.select(Account).where(Account.username == AUTHOR))
    if author is None:
        return 0
    today, added = local_day(), 0
    for number, (name, group, outcome, years_back, reason) in enumerate(DEMO_CERTIFICATIONS, start=1):
        client_id = f"demo-certification-{number}"
        known = sa.select(Certification.id).where(
            Certification.author_id == author.id, Certification.client_id == client_id
        )
        resident = db.session.scalar(sa.select(Resident).where(Resident.name == name).order_by(Resident.id))
        if resident is None or db.session.scalar(known) is not None:
            continue
        row = Certification(
            resident_id=resident.id,
            key_group=group.value,
            graduation_year=today.year - years_back if years_back is not None else None,
            status=CertificationStatus.pending.value,
            source=StatusSource.staff.value,
            author_id=author.id,
            client_id=client_id,
            **{column: getattr(resident, column) for column in PLACE_COLUMN_NAMES},
        )
        db.session.add(row)
        db.session.flush()
        row.evidence.append(
            CertificationEvidence(
                storage_name=files.store("evidence", EVIDENCE, files.PDF),
                original_name=f"{name}证明材料.pdf",
                content_type=files.PDF.content_type,
                size=len(EVIDENCE),
                sha256=hashlib.sha256(EVIDENCE).hexdigest(),
                uploaded_by_id=author.id,
            )
        )
        if outcome != CertificationStatus.pending:
            row.status, row.reviewer_id, row.decided_at, row.reason = (
                outcome.value,
                author.id,
                utcnow(),
                reason,
            )
        if outcome == CertificationStatus.certified:
            row.valid_from, row.valid_until = today - timedelta(days=90), today + timedelta(days=20)
            add_key_group(resident, group, StatusSource.staff, author, certification=row)
        added += 1
    return added
