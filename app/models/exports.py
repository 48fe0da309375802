"""Exports: a list or statistics table written to a file (Excel or CSV) for one staff member."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, utcnow


class ExportFormat(StrEnum):
    """The file an export is written as."""

    xlsx = "xlsx"  # Excel 工作簿
    csv = "csv"  # UTF-8 with a BOM, so Excel reads the Chinese


class ExportStatus(StrEnum):
    """Where an export stands: a large one waits for a worker; every file expires."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    expired = "expired"  # the link ran out and the file is deleted


class ExportJob(Base):
    """One export asked for by one account: what it holds, how far it got, and its file.

    Small exports are written at once and born `done`; large ones are written by the task
    `exports.run_export`. Either way the row tracks the file until the purge deletes it.
    """

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only this account may see the job or download its file.
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    # A listing's name (app/services/lists) or "stats" for a statistics table in hand.
    source: Mapped[str] = mapped_column(sa.String(48))
    title: Mapped[str] = mapped_column(sa.String(128))
    filters: Mapped[dict | None] = mapped_column(JSONText())
    format: Mapped[str] = mapped_column(sa.String(8))
    reveal: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default=ExportStatus.queued)
    total: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    # The file's name inside EXPORT_DIR (server-made), never a path a client gave.
    file_path: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int | None] = mapped_column(sa.BigInteger())
    error: Mapped[str | None] = mapped_column(sa.String(255))
    # Where the request came from, for the audit event written when a task finishes it.
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # The download link works until then; the purge deletes the file after it.
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(), index=True)
