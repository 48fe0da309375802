"""Consent (服务协议, 隐私政策, 单独同意): versioned documents, each person's answers, deletion requests."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, utcnow


class ConsentPurpose(StrEnum):
    """What a document asks consent for; one current version each (services/people/consents.py)."""

    service_agreement = "service_agreement"  # 服务协议
    privacy_notice = "privacy_notice"  # 隐私政策 (个人信息处理规则)
    sensitive_data = "sensitive_data"  # 敏感个人信息单独同意: ID numbers, disability and other health data


class ConsentAction(StrEnum):
    """What a person did with a document."""

    accepted = "accepted"
    withdrawn = "withdrawn"


class DeletionStatus(StrEnum):
    """Where a deletion request is."""

    pending = "pending"  # received, the task not yet done
    done = "done"  # erased and anonymised; the ledger part kept until retain_until
    failed = "failed"  # the task raised; the daily sweep tries again


class ConsentDocument(Base):
    """One published version of one document; never changed once published (a new version instead)."""

    __tablename__ = "consent_documents"
    __table_args__ = (sa.UniqueConstraint("purpose", "version", name="uq_consent_documents_purpose_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(32))
    version: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text())
    # The body's SHA-256: what exactly a person accepted, and a republish of the same text is a retry.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # What changed since the last version, shown when a person is asked again.
    summary: Mapped[str | None] = mapped_column(sa.String(255))
    published_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow, index=True)
    # None: the bundled text (app/data/consents), installed on first use.
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))


class ConsentRecord(Base):
    """One acceptance or withdrawal of one document version by one account; append-only.

    A person's state for a purpose is their latest record of it (services/people/consents.py).
    """

    __tablename__ = "consent_records"
    __table_args__ = (sa.Index("ix_consent_records_account_id_purpose_id", "account_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("consent_documents.id"))
    purpose: Mapped[str] = mapped_column(sa.String(32))
    version: Mapped[str] = mapped_column(sa.String(16))
    action: Mapped[str] = mapped_column(sa.String(16))
    # The client it came from: the address, the user agent, and the mini-program's version.
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    client_version: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class DeletionRequest(Base):
    """A person's request to delete their data (PIPL art. 47); one per account, so a retry finds it."""

    __tablename__ = "deletion_requests"
    __table_args__ = (sa.Index("ix_deletion_requests_status_retain_until", "status", "retain_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), unique=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=DeletionStatus.pending.value)
    # The keyed hash of the WeChat openid (the openid itself is erased): the same person logging
    # in again later is shown that their request was carried out.
    openid_hmac: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # Whether ledger fields were kept (the person is in the employment ledger), and until when:
    # the daily sweep anonymises them after that day (LEDGER_RETENTION_YEARS).
    ledger_kept: Mapped[bool] = mapped_column(default=False)
    retain_until: Mapped[date | None]
    ledger_erased_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # What was erased, counted (files, applications, pushes …), and the last error when failed.
    detail: Mapped[dict | None] = mapped_column(JSONText())
    last_error: Mapped[str | None] = mapped_column(sa.String(255))
