"""Key rotation: re-encrypt personal data under the current DATA_KEY version, and count values by version.

Every sealed column is listed in SEALED with the field its values are bound to (encrypt's
`field`: contact phones are sealed as "phone", so the field cannot be read off the column's
name). unlisted_columns() finds any binary or *_enc column of the models that SEALED misses,
and both commands refuse to run while there is one, so a new sealed column cannot be skipped
by a rotation unnoticed.

The re-encryption runs while the app serves: a batch reads up to N rows not yet under the
current version (keyset order by id), then writes each back only where its ciphertext is
still the one read (compare-and-set), and commits. A row edited in between keeps the edit and
is left for the next run; a run can stop anywhere and start again from the beginning.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from app.common.crypto import KeyConfigError, decrypt, encrypt, keyring
from app.extensions import db
from app.models import Base  # app.models imports every model: the metadata holds every table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SealedColumn:
    """A column of encrypted values and the field they are bound to."""

    table: str
    column: str
    field: str

    @property
    def name(self) -> str:
        """Return table.column."""
        return f"{self.table}.{self.column}"


SEALED = (
    SealedColumn("accounts", "session_key_enc", "session_key"),
    SealedColumn("accounts", "totp_secret_enc", "totp_secret"),
    SealedColumn("employers", "contact_phone_enc", "phone"),
    SealedColumn("operators", "contact_phone_enc", "phone"),
    SealedColumn("residents", "id_number_enc", "id_number"),
    SealedColumn("residents", "phone_enc", "phone"),
    SealedColumn("registrations", "card_number_enc", "card_number"),
    SealedColumn("claims", "bank_account_enc", "bank_account"),
    SealedColumn("province_list_entries", "id_number_enc", "id_number"),
)


@dataclass
class BatchResult:
    """What one batch did: values moved to the current version, left (edited meanwhile), unreadable."""

    moved: int = 0
    changed: int = 0
    failed: int = 0


def unlisted_columns() -> list[str]:
    """Return the models' columns that look encrypted (binary, or named *_enc) but are not in SEALED."""
    listed = {(sealed.table, sealed.column) for sealed in SEALED}
    return [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if (isinstance(column.type, sa.LargeBinary) or column.name.endswith("_enc"))
        and (table.name, column.name) not in listed
    ]


def check_columns() -> None:
    """Refuse to work with a sealed column missing from SEALED (or a listed one the models lost)."""
    missing = [s.name for s in SEALED if s.column not in getattr(Base.metadata.tables.get(s.table), "c", {})]
    unlisted = unlisted_columns()
    if missing or unlisted:
        raise KeyConfigError(
            "key_rotation.SEALED is out of date: "
            + "; ".join(
                [*(f"{n} is not in the models" for n in missing), *(f"{n} is not listed" for n in unlisted)]
            )
        )


def _columns(sealed: SealedColumn) -> tuple[sa.Table, sa.Column, sa.Column]:
    """Return the table, its id and the sealed column."""
    table = Base.metadata.tables[sealed.table]
    return table, table.c.id, table.c[sealed.column]


def _version_of(column: sa.Column):
    """Return the SQL of a value's key version: its first byte in hex ('01'), the same on every backend."""
    return sa.func.upper(sa.func.hex(sa.func.substr(column, 1, 1)))


def status() -> dict[str, Counter]:
    """Count the values of every sealed column by key version ({"residents.phone_enc": {1: 10, 2: 5}})."""
    check_columns()
    counts: dict[str, Counter] = {}
    for sealed in SEALED:
        _, _, column = _columns(sealed)
        version = _version_of(column).label("version")
        rows = db.session.execute(
            sa.select(version, sa.func.count()).where(column.is_not(None)).group_by(version)
        ).all()
        counts[sealed.name] = Counter({int(v, 16) if v else 0: n for v, n in rows})
    db.session.commit()  # end the read's transaction: a long-lived one would hold old row versions
    return counts


def read_batch(sealed: SealedColumn, after_id: int, limit: int) -> list[tuple[int, bytes]]:
    """Return up to `limit` (id, ciphertext) of the column past `after_id` not under the current version."""
    _, row_id, column = _columns(sealed)
    current = f"{keyring().current:02X}"
    return [
        (ident, bytes(value))
        for ident, value in db.session.execute(
            sa.select(row_id, column)
            .where(row_id > after_id, column.is_not(None), _version_of(column) != current)
            .order_by(row_id)
            .limit(limit)
        )
    ]


def write_batch(sealed: SealedColumn, rows: list[tuple[int, bytes]]) -> BatchResult:
    """Re-encrypt the rows read, each only where its ciphertext is still the one read; commit."""
    table, row_id, column = _columns(sealed)
    # Re-encrypting changes no fact: updated_at (which syncs and lists read) keeps its value.
    unchanged = {c.name: c for c in table.columns if c.onupdate is not None}
    result = BatchResult()
    for ident, old in rows:
        try:
            new = encrypt(decrypt(old, sealed.field), sealed.field)
        except (InvalidTag, ValueError) as error:
            # The id and the error's kind only: never the value.
            log.warning(
                "key rotation: %s id %s cannot be decrypted (%s)", sealed.name, ident, type(error).__name__
            )
            result.failed += 1
            continue
        written = db.session.execute(
            sa.update(table).where(row_id == ident, column == old).values({sealed.column: new, **unchanged})
        ).rowcount
        if written:
            result.moved += 1
        else:
            result.changed += 1
    db.session.commit()
    return result


def unknown_versions(counts: dict[str, Counter]) -> dict[str, list[int]]:
    """Return, per column, the key versions its values use that this deployment does not hold."""
    held = keyring().encryption
    found = {name: sorted(v for v in versions if v not in held) for name, versions in counts.items()}
    return {name: versions for name, versions in found.items() if versions}


def reencrypt(batch: int = 500, progress: Callable[[str, BatchResult], None] | None = None) -> BatchResult:
    """Move every sealed value not under the current key version to it, table by table, batch by batch."""
    unknown = unknown_versions(status())
    if unknown:
        raise KeyConfigError(
            "values sealed under key versions that are not configured: "
            + "; ".join(f"{name}: {', '.join(map(str, versions))}" for name, versions in unknown.items())
        )
    total = BatchResult()
    for sealed in SEALED:
        after_id = 0
        while rows := read_batch(sealed, after_id, batch):
            result = write_batch(sealed, rows)
            after_id = rows[-1][0]
            total.moved, total.changed, total.failed = (
                total.moved + result.moved,
                total.changed + result.changed,
                total.failed + result.failed,
            )
            if progress:
                progress(sealed.name, result)
        db.session.commit()  # the last, empty read's transaction
    return total
