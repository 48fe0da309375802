"""Exporting a statistics table already in hand (a dashboard's table), written at once.

A table is what the stats wing hands to a page: {"columns": [[key, 中文表头], ...], "rows":
[dict, ...]}, already scoped to the viewer and small (one row per place, month or station), so
it is written during the request. It still becomes an ExportJob (born done), so its file is
downloaded, expired and purged like any other export, and it is audited as "export.stats".
"""

from collections.abc import Mapping

from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, utcnow
from app.services.exports.jobs import (
    ExportResult,
    audit_export,
    check_format,
    new_job,
    result_of,
    title_block,
    write_file,
)

SOURCE = "stats"


def _columns(table: Mapping) -> list[tuple[str, str]]:
    """Return a table's (key, header) pairs, or 422 when it has none."""
    columns = [(str(key), str(header)) for key, header in table.get("columns") or ()]
    if not columns:
        raise ValidationFailed("table", "The table has no columns.", code="empty_table")
    return columns


def export_table(
    actor: Account,
    title: str,
    table: Mapping,
    fmt: str,
    filters_desc: str | None,
    ip: str | None,
    place: str | None = None,
) -> ExportResult:
    """Write a statistics table in hand to a file now; return it (audited as "export.stats").

    `filters_desc` says in words what the table was cut by (a month, a purpose); `place` names
    the place it covers (default: the actor's own place).
    """
    if not actor.is_staff:
        raise Forbidden("role_forbidden", "Only staff export statistics.")
    check_format(fmt)
    columns = _columns(table)
    rows = table.get("rows") or []
    job = new_job(actor, SOURCE, title, {"table": title, "filters": filters_desc}, fmt, False, ip)
    job.total = len(rows)
    job.started_at = utcnow()
    block = title_block(actor, title, place, filters_desc or "", len(rows))
    keys = [key for key, _ in columns]
    write_file(
        job, block, [header for _, header in columns], ([row.get(key) for key in keys] for row in rows)
    )
    audit_export(actor, job)
    db.session.commit()
    return result_of(job)
